import assert from "node:assert/strict";
import { BigramCpuReference } from "../../src/nn/bigram_cpu_reference.ts";
import { readBigramFile } from "../../src/nn/bigram_language_model.ts";
import { generateTokens } from "../../src/nn/bigram_training.ts";
import { TorchGenerator } from "../../mod.ts";
import { assertClose, assertCloseTo } from "../helpers/assert_close.ts";
import { runTask } from "../helpers/run_task.ts";
import { koreanCase, type SemigptReference, verdictCase } from "../helpers/semigpt.ts";
import { withTempDir } from "../helpers/temp_dir.ts";

const JSON_KEYS = [
  "vocab_size",
  "num_tokens",
  "train_tokens",
  "train_losses",
  "evals",
  "final_weight",
  "generated_ids",
  "generated_text",
  "tokens_per_second",
];

/** The task's flags for a reference's settings. */
function flags(config: SemigptReference["config"]): string[] {
  return [
    "--seed",
    `${config.seed}`,
    "--batch-size",
    `${config.batch_size}`,
    "--block-size",
    `${config.block_size}`,
    "--lr",
    `${config.lr}`,
    "--steps",
    `${config.steps}`,
    "--eval-interval",
    `${config.eval_interval}`,
    "--eval-iters",
    `${config.eval_iters}`,
    "--generate",
    `${config.max_new_tokens}`,
  ];
}

function checkAgainst(out: Record<string, unknown>, reference: SemigptReference): void {
  assert.deepEqual(Object.keys(out), JSON_KEYS);
  assert.equal(out.vocab_size, reference.vocab_size);
  assert.equal(out.num_tokens, reference.num_tokens);
  assert.equal(out.train_tokens, reference.train_tokens);
  assertClose(out.train_losses as number[], reference.train_losses, { atol: 1e-4 }, "losses");
  const evals = out.evals as SemigptReference["evals"];
  assert.deepEqual(evals.map((e) => e.step), reference.evals.map((e) => e.step));
  assertClose(
    evals.flatMap((e) => [e.train, e.eval]),
    reference.evals.flatMap((e) => [e.train, e.eval]),
    { atol: 1e-4 },
    "evaluations",
  );
  const weight = out.final_weight as SemigptReference["final_weight"];
  assertCloseTo(weight.sum, reference.final_weight.sum, { rtol: 1e-4 }, "table sum");
  assertCloseTo(weight.abs_sum, reference.final_weight.abs_sum, { rtol: 1e-4 }, "|table| sum");
  assertClose(weight.row0_first8, reference.final_weight.row0_first8, { atol: 1e-4 });
  assert.deepEqual(out.generated_ids, reference.generated_ids);
  assert.equal(out.generated_text, reference.generated_text);
  assert.ok(typeof out.tokens_per_second === "number" && out.tokens_per_second > 0);
}

Deno.test("deno task train --json matches PyTorch", async (t) => {
  await t.step("the note's run on the-verdict.txt, the text on standard input", async () => {
    const { reference } = await verdictCase();
    const text = await Deno.readFile(new URL("../../data/the-verdict.txt", import.meta.url));
    const { code, stdout, stderr } = await runTask("train", ["-", "--json"], text);
    assert.equal(code, 0, stderr);
    checkAgainst(JSON.parse(stdout), reference);
  });
  await t.step("a Korean text, block size 5, other settings, the text as FILE", async () => {
    const { reference, textPath } = await koreanCase();
    const { code, stdout, stderr } = await runTask("train", [
      textPath,
      ...flags(reference.config),
      "--json",
    ]);
    assert.equal(code, 0, stderr);
    checkAgainst(JSON.parse(stdout), reference);
  });
});

Deno.test("deno task train: terminal output, --save, determinism, generate", async (t) => {
  const { textPath } = await koreanCase();
  const short = [textPath, "--steps", "8", "--eval-interval", "4", "--eval-iters", "2"];
  await withTempDir(async (dir) => {
    const relative = dir.slice(dir.indexOf(".tmp/"));
    await t.step("the evaluations and the generated text; no progress off a terminal", async () => {
      const { code, stdout, stderr } = await runTask("train", [...short, "--generate", "30"]);
      assert.equal(code, 0, stderr);
      assert.equal(stderr, "");
      assert.match(
        stdout,
        /^deno task train: 10666 characters, vocabulary 425; 9599 train, 1067 held back$/m,
      );
      assert.match(stdout, /^step 0: train loss \d\.\d{4}, eval loss \d\.\d{4}$/m);
      assert.match(stdout, /^step 4: train loss \d\.\d{4}, eval loss \d\.\d{4}$/m);
      assert.match(stdout, /^step 8: train loss \d\.\d{4}, eval loss \d\.\d{4}$/m);
      assert.match(stdout, /^trained 8 steps in \d+\.\d s \([\d,]+ tokens\/s\)$/m);
      const generated =
        stdout.split("generated (30 characters after the first of the vocabulary):\n")[1];
      assert.equal([...generated.replace(/\n$/, "")].length, 31);
    });
    await t.step("--save twice: bit-identical tables; an existing file is kept", async () => {
      const first = `${relative}/first.safetensors`;
      const second = `${relative}/second.safetensors`;
      for (const path of [first, second]) {
        const { code, stderr } = await runTask("train", [...short, "--save", path, "--json"]);
        assert.equal(code, 0, stderr);
      }
      const bytes = await Deno.readFile(`${dir}/first.safetensors`);
      assert.deepEqual(await Deno.readFile(`${dir}/second.safetensors`), bytes);
      const again = await runTask("train", [...short, "--save", first]);
      assert.equal(again.code, 2);
      assert.match(
        again.stderr,
        /^deno task train: --save .*first\.safetensors already exists; it is kept \(pass --overwrite to replace it\)\n$/,
      );
      assert.equal(again.stdout, "");
      assert.deepEqual(await Deno.readFile(`${dir}/first.safetensors`), bytes);
      const replaced = await runTask("train", [
        ...short,
        "--steps",
        "2",
        "--save",
        first,
        "--overwrite",
        "--json",
      ]);
      assert.equal(replaced.code, 0, replaced.stderr);
      assert.notDeepEqual(await Deno.readFile(`${dir}/first.safetensors`), bytes);
    });
    await t.step(
      "generate --weights: the saved table and vocabulary, sampled as the CPU reference",
      async () => {
        const path = `${relative}/second.safetensors`;
        const { code, stdout, stderr } = await runTask("generate", [
          "--weights",
          path,
          "--seed",
          "7",
          "--tokens",
          "40",
          "--context",
          "아",
          "--json",
        ]);
        assert.equal(code, 0, stderr);
        const out = JSON.parse(stdout);
        const saved = await readBigramFile(`${dir}/second.safetensors`);
        assert.equal(out.vocab_size, saved.vocabSize);
        const reference = new BigramCpuReference({
          vocabSize: saved.vocabSize,
          generator: new TorchGenerator(0),
        });
        reference.table.set(saved.weight);
        const context = saved.vocabulary!.indexOf("아");
        assert.deepEqual(out.context_ids, [context]);
        const expected = await generateTokens(reference, new TorchGenerator(7), [context], 40);
        assert.deepEqual(out.generated_ids, [...expected]);
        assert.equal(out.generated_text, [...expected].map((id) => saved.vocabulary![id]).join(""));
        const plain = await runTask("generate", [
          "--weights",
          path,
          "--seed",
          "7",
          "--tokens",
          "40",
          "--context",
          "아",
        ]);
        assert.equal(plain.stdout, out.generated_text + "\n");
      },
    );
  });
});

Deno.test("deno task train / generate: bad options are one line, exit code 2", async (t) => {
  const cases: [string, string[], RegExp][] = [
    [
      "train",
      ["--steps", "-1"],
      /^deno task train: --steps must be an integer in \[0, 100000000\], got -1$/,
    ],
    [
      "train",
      ["--batch-size", "0"],
      /^deno task train: --batch-size must be an integer in \[1, 65536\], got 0$/,
    ],
    [
      "train",
      ["--block-size", "2.5"],
      /^deno task train: --block-size must be an integer, got "2\.5"$/,
    ],
    ["train", ["--lr", "0"], /^deno task train: --lr must be a number > 0, got 0$/],
    ["train", ["--lr", "fast"], /^deno task train: --lr must be a number, got "fast"$/],
    [
      "train",
      ["--seed", "4294967296"],
      /^deno task train: --seed must be an integer in \[0, 4294967295\]/,
    ],
    [
      "train",
      ["--eval-interval", "0"],
      /^deno task train: --eval-interval must be an integer in \[1, /,
    ],
    ["train", ["--eval-iters", "0"], /^deno task train: --eval-iters must be an integer in \[1, /],
    ["train", ["--generate", "-5"], /^deno task train: --generate must be an integer in \[0, /],
    [
      "train",
      ["--overwrite"],
      /^deno task train: --overwrite replaces the file of --save, so it needs --save$/,
    ],
    [
      "train",
      ["--batch-size", "4096", "--block-size", "4096"],
      /^deno task train: --batch-size times --block-size must be at most 1048576/,
    ],
    [
      "train",
      ["--block-size", "2048"],
      /^deno task train: --block-size must be less than each split's length: the text has 20479 characters, 18431 for training and 2048 held back, so --block-size can be at most 2047, got 2048$/,
    ],
    [
      "train",
      ["--save", ".tmp/no/such/folder/m.safetensors"],
      /^deno task train: --save cannot write .*: the folder .* does not exist$/,
    ],
    ["train", ["--speed", "1"], /^deno task train: --speed is not an option of deno task train/],
    ["train", ["a.txt", "b.txt"], /^deno task train: FILE takes one path \(or -\), got 2$/],
    ["generate", [], /^deno task generate: --weights is required/],
    ["generate", ["--weights", "data/the-verdict.txt"], /^deno task generate: --weights /],
    [
      "generate",
      ["--weights", "tests/fixtures/safetensors_reference.safetensors"],
      /^deno task generate: --weights .* has no tensor "embedding_token_table\.weight"/,
    ],
    [
      "generate",
      ["--weights", "x.safetensors", "--tokens", "-1"],
      /^deno task generate: --tokens must be an integer in \[0, 1000000\], got -1$/,
    ],
  ];
  for (const [task, args, message] of cases) {
    await t.step(`${task} ${args.join(" ")}`, async () => {
      const { code, stdout, stderr } = await runTask(task, args);
      assert.equal(code, 2, stderr);
      assert.equal(stdout, "");
      assert.match(stderr.trimEnd(), message);
      assert.equal(stderr.trimEnd().split("\n").length, 1, stderr);
    });
  }
});
