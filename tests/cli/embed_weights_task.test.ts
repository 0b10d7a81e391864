// `deno task embed --weights FILE` with small safetensors files of GPT-2's vocabulary (the
// GPT-2-small-shaped file, and the memory it takes, are in tests/nn/gpt2_small_weights.test.ts).
import assert from "node:assert/strict";
import {
  BpeTokenizer,
  DataLoader,
  TorchGenerator,
  WindowDataset,
  writeSafetensors,
} from "../../mod.ts";
import { gatherPositionalAddCpu } from "../../src/gpu/kernels/embedding/cpu_reference.ts";
import { chapter2Reference, verdictText } from "../helpers/fixtures.ts";
import { PARENT, READ_SCOPE, ROOT_PATH, runTask } from "../helpers/run_task.ts";
import { withTempDir } from "../helpers/temp_dir.ts";

const VOCAB = 50257;
const DIM = 8;
const CONTEXT = 6;

/** Float64 sum and absolute sum, in order. */
function sums(values: ArrayLike<number>): { sum: number; absSum: number } {
  let sum = 0;
  let absSum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    absSum += Math.abs(values[i]);
  }
  return { sum, absSum };
}

Deno.test("deno task embed --weights", async (t) => {
  const book = (await chapter2Reference()).gpt2_embeddings_after_seed;
  const random = new TorchGenerator(11);
  const wte = random.normal(VOCAB * DIM);
  const wpe = random.normal(CONTEXT * DIM);
  // the values an F16 file holds
  const token = Float32Array.from(wte, Math.f16round);
  const position = Float32Array.from(wpe, Math.f16round);

  await withTempDir(async (dir) => {
    const path = `${dir}/model.safetensors`;
    await writeSafetensors(path, {
      "transformer.wte.weight": { dtype: "F16", shape: [VOCAB, DIM], data: wte },
      "transformer.wpe.weight": { dtype: "F16", shape: [CONTEXT, DIM], data: wpe },
    });

    await t.step(
      "--json: the file's tables and the book's first batch, against the CPU",
      async () => {
        const { code, stdout, stderr } = await runTask("embed", ["--weights", path, "--json"]);
        assert.equal(code, 0, stderr);
        assert.equal(stderr, "");
        const out = JSON.parse(stdout);
        assert.deepEqual(out.first_batch.inputs, book.batch_inputs);
        assert.deepEqual(out.token_weight.shape, [VOCAB, DIM]);
        for (const [id, row] of Object.entries(out.token_weight.rows)) {
          assert.deepEqual(row, [...token.subarray(Number(id) * DIM, (Number(id) + 1) * DIM)]);
        }
        assert.deepEqual(Object.keys(out.token_weight.rows), [
          "0",
          "1",
          "40",
          "367",
          "2885",
          "50256",
        ]);
        const tokenSums = sums(token);
        assert.equal(out.token_weight.sum, tokenSums.sum);
        assert.equal(out.token_weight.abs_sum, tokenSums.absSum);
        // the whole position table: the file's context length, not --max-length
        assert.deepEqual(out.position_weight.shape, [CONTEXT, DIM]);
        assert.equal(out.position_weight.sum, sums(position).sum);
        const expected = gatherPositionalAddCpu(book.batch_inputs.flat(), token, position, 4, DIM);
        assert.deepEqual(out.input_embeddings.shape, [8, 4, DIM]);
        assert.deepEqual(out.input_embeddings.first_row, [...expected.subarray(0, DIM)]);
        assert.equal(out.input_embeddings.sum, sums(expected).sum);
        assert.deepEqual(out.weights, {
          path,
          token_tensor: "transformer.wte.weight",
          position_tensor: "transformer.wpe.weight",
          dtype: "F16",
        });
      },
    );

    await t.step("the text report names the tables", async () => {
      const bf16 = `${dir}/bf16.safetensors`;
      await writeSafetensors(bf16, {
        "wte.weight": { dtype: "BF16", shape: [VOCAB, DIM], data: wte },
        "wpe.weight": { dtype: "BF16", shape: [CONTEXT, DIM], data: wpe },
      });
      const { code, stdout, stderr } = await runTask("embed", [
        "--weights",
        bf16,
        "--max-length",
        String(CONTEXT),
        "--batch-size",
        "2",
      ]);
      assert.equal(code, 0, stderr);
      assert.equal(stderr, "");
      assert.match(
        stdout,
        /^gpt2: 5145 tokens → 1285 windows \(max length 6, stride 4\) → 642 batches of 2\n/,
      );
      assert.ok(
        stdout.includes(
          `\nWeights: ${bf16} ("wte.weight" BF16 [50257, 8], "wpe.weight" BF16 [6, 8])\n`,
        ),
        stdout,
      );
      assert.ok(stdout.includes("Token embedding table: torch.Size([50257, 8])"));
      assert.ok(stdout.includes("Position embedding table: torch.Size([6, 8])"));
      assert.ok(stdout.includes("Input embeddings (token + position): torch.Size([2, 6, 8])"));
    });

    await t.step("--all --readback: every batch, against the CPU", async () => {
      const { code, stdout, stderr } = await runTask("embed", [
        "--weights",
        path,
        "--max-length",
        String(CONTEXT),
        "--stride",
        "5",
        "--no-drop-last",
        "--all",
        "--readback",
        "--json",
      ]);
      assert.equal(code, 0, stderr);
      const out = JSON.parse(stdout);
      using gpt2 = new BpeTokenizer("gpt2", { allowedSpecial: ["<|endoftext|>"] });
      const dataset = new WindowDataset(gpt2.encode(await verdictText()), {
        maxLength: CONTEXT,
        stride: 5,
      });
      const loader = new DataLoader(dataset, { batchSize: 8, dropLast: false });
      let sum = 0;
      let absSum = 0;
      for (const batch of loader) {
        const part = sums(gatherPositionalAddCpu(batch.inputs, token, position, CONTEXT, DIM));
        sum += part.sum;
        absSum += part.absSum;
      }
      assert.equal(out.batches_embedded, loader.numBatches);
      assert.equal(out.embeddings.sum, sum);
      assert.equal(out.embeddings.abs_sum, absSum);
    });

    await t.step("bad input: one line, exit code 2, nothing on stdout", async () => {
      const file = async (name: string, tensors: Parameters<typeof writeSafetensors>[1]) => {
        await writeSafetensors(`${dir}/${name}`, tensors);
        return `${dir}/${name}`;
      };
      const noPositions = await file("no-wpe.safetensors", {
        "wte.weight": { dtype: "F32", shape: [4, 2], data: new Float32Array(8) },
      });
      const wide = await file("wide.safetensors", {
        "wte.weight": { dtype: "F32", shape: [4, 2], data: new Float32Array(8) },
        "wpe.weight": { dtype: "F32", shape: [2, 3], data: new Float32Array(6) },
      });
      const both = await file("both.safetensors", {
        "wte.weight": { dtype: "F32", shape: [4, 2], data: new Float32Array(8) },
        "transformer.wte.weight": { dtype: "F32", shape: [4, 2], data: new Float32Array(8) },
        "wpe.weight": { dtype: "F32", shape: [2, 2], data: new Float32Array(4) },
      });
      const notSafetensors = `${dir}/model.bin`;
      await Deno.writeTextFile(notSafetensors, "x");
      const cases: [string[], string][] = [
        [
          ["--dim", "768"],
          "--dim cannot be combined with --weights: the file's tables set the dimension",
        ],
        [
          ["--seed", "1"],
          "--seed cannot be combined with --weights: the file's tables set the values",
        ],
        [
          ["--max-length", "7"],
          `--max-length is 7, more than the context length of the weights: ${path} has a ` +
          'position table "transformer.wpe.weight" F16 [6, 8], so at most 6',
        ],
        [
          ["--encoding", "cl100k_base"],
          `--weights ${path} has a token table "transformer.wte.weight" F16 [50257, 8]: a ` +
          "vocabulary of 50257 tokens, but the tokenizer (cl100k_base) has 100277; use the " +
          "tokenizer the weights were trained with (GPT-2's is gpt2)",
        ],
      ];
      for (const [args, line] of cases) {
        const { code, stdout, stderr } = await runTask("embed", ["--weights", path, ...args]);
        assert.equal(stderr, `deno task embed: ${line}\n`);
        assert.equal(code, 2);
        assert.equal(stdout, "");
      }
      const fileCases: [string, string][] = [
        [`${dir}/missing.safetensors`, `--weights ${dir}/missing.safetensors does not exist`],
        [
          notSafetensors,
          `--weights ${notSafetensors} is not a safetensors file: it has 1 bytes, fewer than the ` +
          "8 of the header length",
        ],
        [
          noPositions,
          `--weights ${noPositions} has no position embedding table: no tensor "wpe.weight" or ` +
          '"transformer.wpe.weight"; its 1 tensors: "wte.weight"',
        ],
        [
          both,
          `--weights ${both} has two token embedding tables, "wte.weight" and ` +
          '"transformer.wte.weight": which to use is ambiguous',
        ],
        [
          wide,
          `--weights ${wide} has a token embedding table "wte.weight" [4, 2] and a position ` +
          'embedding table "wpe.weight" [2, 3] of different dimensions (2 and 3)',
        ],
        [
          "../model.safetensors",
          `--weights cannot read "${PARENT}/model.safetensors": ${READ_SCOPE}: cd ${PARENT} && ` +
          `deno task --config ${ROOT_PATH}/deno.json embed --weights model.safetensors`,
        ],
      ];
      for (const [weights, line] of fileCases) {
        const { code, stdout, stderr } = await runTask("embed", ["--weights", weights]);
        assert.equal(stderr, `deno task embed: ${line}\n`);
        assert.equal(code, 2);
        assert.equal(stdout, "");
      }
    });
  });
});
