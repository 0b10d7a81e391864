import assert from "node:assert/strict";
import { DataLoader } from "../../src/batches/data_loader.ts";
import { gatherPositionalAddCpu } from "../../src/gpu/kernels/embedding/cpu_reference.ts";
import { TorchGenerator } from "../../src/util/torch_rng.ts";
import { BpeTokenizer } from "../../src/tokenize/bpe_tokenizer.ts";
import { WindowDataset } from "../../src/windows/window_dataset.ts";
import { assertClose } from "../helpers/assert_close.ts";
import { chapter2Reference, verdictText } from "../helpers/fixtures.ts";
import { runTask } from "../helpers/run_task.ts";

const STAGES = [
  "tokenize",
  "window_batch",
  "tables",
  "token_stream",
  "upload",
  "embed",
  "readback",
];

/** Float64 sums of every batch's input embeddings, computed on the CPU as the task's GPU path. */
async function cpuSums(
  options: { batchSize: number; maxLength: number; stride: number; dim: number; seed: number },
): Promise<{ sum: number; absSum: number; batches: number }> {
  const { batchSize, maxLength, stride, dim, seed } = options;
  using gpt2 = new BpeTokenizer("gpt2", { allowedSpecial: ["<|endoftext|>"] });
  const dataset = new WindowDataset(gpt2.encode(await verdictText()), { maxLength, stride });
  const loader = new DataLoader(dataset, { batchSize, dropLast: false });
  // torch.manual_seed(seed), then the token table and the position table from the same stream
  const generator = new TorchGenerator(seed);
  const table = generator.normal(gpt2.vocabSize * dim);
  const positions = generator.normal(maxLength * dim);
  let sum = 0;
  let absSum = 0;
  let batches = 0;
  for (const batch of loader) {
    const values = gatherPositionalAddCpu(batch.inputs, table, positions, maxLength, dim);
    for (const value of values) {
      sum += value;
      absSum += Math.abs(value);
    }
    batches++;
  }
  return { sum, absSum, batches };
}

Deno.test("deno task embed --all", async (t) => {
  const reference = await chapter2Reference();

  await t.step("--json: every batch of the book's loader, each stage timed", async () => {
    const book = reference.dataloader_cases.find((c) =>
      c.config.batch_size === 8 && c.config.max_length === 4 && c.config.stride === 4
    )!;
    const { code, stdout, stderr } = await runTask("embed", ["--all", "--json"]);
    assert.equal(code, 0, stderr);
    assert.equal(stderr, "", "nothing on stderr when it is not a terminal");
    const out = JSON.parse(stdout);
    assert.equal(out.num_windows, book.num_windows);
    assert.equal(out.num_batches, book.num_batches);
    assert.equal(out.batches_embedded, book.num_batches);
    assert.equal(out.tokens_embedded, book.num_batches * 8 * 4);
    // the token stream once, then 4 bytes per window start (T = 4 tokens per window)
    assert.equal(out.id_bytes_uploaded, 4 * out.num_tokens + out.tokens_embedded);
    assert.deepEqual(Object.keys(out.stages), STAGES);
    for (const name of STAGES.filter((s) => s !== "readback")) {
      const { ms, tokens_per_s } = out.stages[name];
      assert.ok(ms >= 0, `${name}: ${ms} ms`);
      if (name === "tables") assert.equal(tokens_per_s, null);
      else assert.ok(tokens_per_s === null || tokens_per_s > 0, `${name}: ${tokens_per_s}`);
    }
    assert.equal(out.stages.readback, null);
    assert.equal(out.embeddings, null);
    assert.ok(out.total_ms >= out.stages.embed.ms);
  });

  await t.step("--readback: the sums of all embeddings equal the CPU reference's", async () => {
    // The fixture's long windows (39 of them), a short last batch kept, a small dimension.
    const options = { batchSize: 8, maxLength: 256, stride: 128, dim: 8, seed: 7 };
    const { code, stdout, stderr } = await runTask("embed", [
      "--batch-size",
      "8",
      "--max-length",
      "256",
      "--stride",
      "128",
      "--dim",
      "8",
      "--seed",
      "7",
      "--no-drop-last",
      "--all",
      "--readback",
      "--json",
    ]);
    assert.equal(code, 0, stderr);
    assert.equal(stderr, "");
    const out = JSON.parse(stdout);
    const expected = await cpuSums(options);
    assert.equal(out.num_windows, 39);
    assert.equal(out.batches_embedded, expected.batches);
    assert.equal(out.batches_embedded, 5); // 4 full batches and one of 7 windows
    assert.equal(out.tokens_embedded, 39 * 256);
    assert.ok(out.stages.readback.ms > 0);
    assertClose([out.embeddings.sum], [expected.sum], { rtol: 1e-12 }, "sum");
    assertClose([out.embeddings.abs_sum], [expected.absSum], { rtol: 1e-12 }, "absolute sum");
  });

  await t.step("the text report: counts, then one line per stage", async () => {
    const { code, stdout, stderr } = await runTask("embed", ["--all", "--readback"]);
    assert.equal(code, 0, stderr);
    assert.equal(stderr, "");
    const lines = stdout.split("\n");
    assert.equal(
      lines[0],
      "gpt2: 5145 tokens → 1286 windows (max length 4, stride 4) → 160 batches of 8",
    );
    assert.match(stdout, /^embedded 160 batches \(5120 tokens, dim 256\); every batch read back$/m);
    for (
      const stage of [
        "tokenize",
        "window + batch",
        "tables",
        "token stream",
        "upload + dispatch",
        "embed (GPU)",
        "readback",
        "total",
      ]
    ) {
      assert.match(
        stdout,
        new RegExp(`^${stage.replace(/[()+]/g, "\\$&")} +\\d+\\.\\d`, "m"),
        stage,
      );
    }
    assert.match(stdout, /^sum of all embeddings: -?\d/m);
  });

  await t.step("bad input: one line, exit code 2, before any GPU work", async () => {
    for (
      const [args, message] of [
        [["--readback"], /--readback reads back every batch, so it needs --all/],
        [["--all", "--dim", "0"], /--dim must be an integer >= 1, got 0/],
        [["--all", "--batch-size", "2000"], /--batch-size is 2000, more than/],
      ] as const
    ) {
      const { code, stderr } = await runTask("embed", [...args]);
      assert.equal(code, 2, stderr);
      assert.match(stderr, message);
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
    }
  });
});
