import assert from "node:assert/strict";
import { CharTokenizer, TorchBlockSampler, TorchGenerator } from "../../mod.ts";
import {
  adamwStep,
  BigramCpuReference,
  bigramCrossEntropy,
  softmaxRow,
} from "../../src/nn/bigram_cpu_reference.ts";
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

Deno.test("CPU reference pieces", async (t) => {
  await t.step("cross-entropy and its gradient against float64 formulas", () => {
    const vocab = 13;
    const table = new TorchGenerator(1).normal(vocab * vocab, 0, 3);
    const inputs = [4, 4, 0, 12, 7];
    const targets = [1, 4, 12, 0, 7];
    const grad = new Float32Array(vocab * vocab);
    const loss = bigramCrossEntropy(table, vocab, inputs, targets, 5, grad);
    const expectedGrad = new Float64Array(vocab * vocab);
    let expected = 0;
    inputs.forEach((id, r) => {
      const row = [...table.subarray(id * vocab, (id + 1) * vocab)];
      const z = row.reduce((s, x) => s + Math.exp(x), 0);
      expected += (Math.log(z) - row[targets[r]]) / 5;
      row.forEach((x, j) => {
        expectedGrad[id * vocab + j] += (Math.exp(x) / z - (j === targets[r] ? 1 : 0)) / 5;
      });
    });
    assertCloseTo(loss, expected, { rtol: 1e-6 });
    assertClose(grad, expectedGrad, { atol: 1e-7 }, "gradient");
    // rows no input touches have no gradient; id 4 (twice) got both contributions
    assert.ok(grad.subarray(vocab, 2 * vocab).every((x) => x === 0));
  });
  await t.step("AdamW against the float64 update of the docs", () => {
    const n = 50;
    const g = new TorchGenerator(2);
    const params = g.normal(n);
    const grads = g.normal(n);
    grads.fill(0, 0, 5); // untouched elements still decay
    const m = new Float32Array(n);
    const v = new Float32Array(n);
    const p64 = Float64Array.from(params);
    const m64 = new Float64Array(n);
    const v64 = new Float64Array(n);
    const settings = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
    for (let t = 1; t <= 3; t++) {
      adamwStep(params, grads, m, v, t, settings);
      for (let i = 0; i < n; i++) {
        p64[i] *= 1 - 0.01 * 0.01;
        m64[i] = 0.9 * m64[i] + 0.1 * grads[i];
        v64[i] = 0.999 * v64[i] + 0.001 * grads[i] * grads[i];
        const denom = Math.sqrt(v64[i]) / Math.sqrt(1 - 0.999 ** t) + 1e-8;
        p64[i] -= 0.01 / (1 - 0.9 ** t) * m64[i] / denom;
      }
    }
    assertClose(params, p64, { atol: 2e-6 }, "parameters");
  });
  await t.step("softmax sums to 1 and keeps the order", () => {
    const probs = softmaxRow(Float32Array.of(1000, 999, -5, 1000));
    assertCloseTo(probs.reduce((a, b) => a + b), 1, { atol: 1e-6 });
    assert.ok(probs[0] === probs[3] && probs[1] < probs[0] && probs[2] < probs[1]);
  });
});
