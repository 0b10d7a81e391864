import assert from "node:assert/strict";
import { CharTokenizer, TorchBlockSampler, TorchGenerator } from "../../mod.ts";
import { BigramCpuReference, gatherRows } from "../../src/nn/bigram_cpu_reference.ts";
import { generateTokens, trainBigram } from "../../src/nn/bigram_training.ts";
import { assertClose, assertCloseTo } from "../helpers/assert_close.ts";
import { koreanCase, sums, verdictCase } from "../helpers/semigpt.ts";

Deno.test("the CPU reference follows PyTorch step for step", async (t) => {
  for (const { name, text, reference } of [await verdictCase(), await koreanCase()]) {
    await t.step(name, async () => {
      const c = reference.config;
      const tokenizer = CharTokenizer.fromText(text);
      const ids = tokenizer.encode(text);
      assert.equal(tokenizer.vocabSize, reference.vocab_size);
      const split = Math.floor(0.9 * ids.length);
      const generator = new TorchGenerator(c.seed);
      const model = new BigramCpuReference({
        vocabSize: tokenizer.vocabSize,
        generator,
        lr: c.lr,
      });
      assertClose(model.table.subarray(0, 8), reference.init_weight.row0_first8, { atol: 1e-6 });
      const options = { blockSize: c.block_size, batchSize: c.batch_size, generator };
      const splits = {
        train: new TorchBlockSampler(ids.subarray(0, split), options),
        eval: new TorchBlockSampler(ids.subarray(split), options),
      };
      const result = await trainBigram(model, splits, {
        steps: c.steps,
        evalInterval: c.eval_interval,
        evalIters: c.eval_iters,
      });
      assertClose(result.trainLosses, reference.train_losses, { atol: 1e-5 }, "losses");
      assert.deepEqual(result.evals.map((e) => e.step), reference.evals.map((e) => e.step));
      assertClose(
        result.evals.flatMap((e) => [e.train, e.eval]),
        reference.evals.flatMap((e) => [e.train, e.eval]),
        { atol: 1e-5 },
        "evaluations",
      );
      const { sum, absSum } = sums(model.table);
      assertCloseTo(sum, reference.final_weight.sum, { rtol: 1e-6 }, "table sum");
      assertCloseTo(absSum, reference.final_weight.abs_sum, { rtol: 1e-6 }, "table |sum|");
      const generated = await generateTokens(model, generator, [0], c.max_new_tokens);
      assert.deepEqual([...generated], reference.generated_ids);
      assert.equal(tokenizer.decode(generated), reference.generated_text);
    });
  }
});

Deno.test("one CPU reference step against the float64 formulas of the docs", () => {
  // Cross-entropy, its gradient through the repeated rows of the batch (id 4 twice), and one
  // AdamW step over every element (untouched rows only decay).
  const vocab = 13;
  const lr = 0.05;
  const generator = new TorchGenerator(1);
  const model = new BigramCpuReference({ vocabSize: vocab, generator, lr });
  const start = Float64Array.from(model.table);
  const inputs = Uint32Array.of(4, 4, 0, 12, 7);
  const targets = Uint32Array.of(1, 4, 12, 0, 7);
  model.trainStep({ inputs, targets, starts: new Uint32Array(5), rows: 5, seqLength: 1, index: 0 });
  const grad = new Float64Array(vocab * vocab);
  let loss = 0;
  inputs.forEach((id, r) => {
    const row = [...start.subarray(id * vocab, (id + 1) * vocab)];
    const z = row.reduce((s, x) => s + Math.exp(x), 0);
    loss += (Math.log(z) - row[targets[r]]) / 5;
    row.forEach((x, j) => {
      grad[id * vocab + j] += (Math.exp(x) / z - (j === targets[r] ? 1 : 0)) / 5;
    });
  });
  // The first AdamW step: m = 0.1 g, v = 0.001 g², bias-corrected to g and g².
  const expected = start.map((p, i) => {
    const g = grad[i];
    const decayed = p * (1 - lr * 0.01);
    return g === 0 ? decayed : decayed - lr * g / (Math.abs(g) + 1e-8);
  });
  return model.takeLosses().then((losses) => {
    assertCloseTo(losses[0], loss, { rtol: 1e-6 });
    assertClose(model.table, expected, { atol: 2e-6 }, "table after one step");
    assert.deepEqual(
      model.table.subarray(vocab, 2 * vocab),
      Float32Array.from(
        start.subarray(vocab, 2 * vocab),
        (x) => Math.fround(x * Math.fround(1 - lr * 0.01)),
      ),
      "row 1, untouched, only decays",
    );
  });
});

Deno.test("gatherRows: the table's rows of the inputs", () => {
  const table = Float32Array.from({ length: 12 }, (_, i) => i);
  assert.deepEqual([...gatherRows(table, 3, [3, 0, 3], 3)], [9, 10, 11, 0, 1, 2, 9, 10, 11]);
});
