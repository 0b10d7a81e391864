import assert from "node:assert/strict";
import {
  ADAMW_DEFAULTS,
  GpuDevice,
  InputError,
  TorchBlockSampler,
  TorchGenerator,
} from "../../mod.ts";
import {
  BIGRAM_TENSOR_NAME,
  BigramLanguageModel,
  readBigramFile,
} from "../../src/nn/bigram_language_model.ts";
import { BigramCpuReference, gatherRows } from "../../src/nn/bigram_cpu_reference.ts";
import { crossEntropyCpu } from "../../src/gpu/kernels/cross_entropy/cpu_reference.ts";
import { writeSafetensors } from "../../src/formats/safetensors_writer.ts";
import { generateTokens, trainBigram } from "../../src/nn/bigram_training.ts";
import { assertClose, assertCloseTo } from "../helpers/assert_close.ts";
import {
  koreanCase,
  type NoteSettings,
  runNote,
  type SemigptCase,
  sums,
  verdictCase,
} from "../helpers/semigpt.ts";
import { withTempDir } from "../helpers/temp_dir.ts";

const gpu = await GpuDevice.shared();

/** The GPU model, optionally with its table split into segments of `maxBindingBytes`. */
function gpuModel(maxBindingBytes?: number) {
  return (vocabSize: number, generator: TorchGenerator, lr: number) =>
    BigramLanguageModel.create(gpu, { vocabSize, generator, lr, maxBindingBytes });
}

function cpuModel(vocabSize: number, generator: TorchGenerator, lr: number) {
  const model = new BigramCpuReference({ vocabSize, generator, lr });
  return Promise.resolve(model);
}

async function checkAgainstPyTorch({ text, reference }: SemigptCase): Promise<void> {
  const run = await runNote(text, reference.config, gpuModel());
  assertClose(run.trainLosses, reference.train_losses, { atol: 1e-4 }, "training losses");
  assert.deepEqual(run.evals.map((e) => e.step), reference.evals.map((e) => e.step));
  assertClose(
    run.evals.flatMap((e) => [e.train, e.eval]),
    reference.evals.flatMap((e) => [e.train, e.eval]),
    { atol: 1e-4 },
    "evaluations",
  );
  const { sum, absSum } = sums(run.table);
  assertCloseTo(sum, reference.final_weight.sum, { rtol: 1e-4 }, "table sum");
  assertCloseTo(absSum, reference.final_weight.abs_sum, { rtol: 1e-4 }, "table |sum|");
  assertClose(run.table.subarray(0, 8), reference.final_weight.row0_first8, { atol: 1e-4 });
  assert.deepEqual([...run.generated], reference.generated_ids, "generated ids");
}

Deno.test("BigramLanguageModel on the GPU follows PyTorch", async (t) => {
  for (const reference of [await verdictCase(), await koreanCase()]) {
    await t.step(reference.name, () => checkAgainstPyTorch(reference));
  }
});

Deno.test("BigramLanguageModel on the GPU against the CPU reference", async (t) => {
  const { text } = await koreanCase();
  // Other settings than any PyTorch reference: block 7, batch 5, another seed, a high rate.
  const settings: NoteSettings = {
    seed: 99,
    batch_size: 5,
    block_size: 7,
    lr: 0.08,
    steps: 30,
    eval_interval: 11,
    eval_iters: 2,
    max_new_tokens: 40,
  };
  const cpu = await runNote(text, settings, cpuModel);
  await t.step("Korean text (425 characters), block 7, one table binding", async () => {
    const run = await runNote(text, settings, gpuModel());
    assertClose(run.trainLosses, cpu.trainLosses, { atol: 1e-5 }, "losses");
    assertClose(run.table, cpu.table, { atol: 1e-5 }, "table");
    assert.deepEqual([...run.generated], [...cpu.generated]);
  });
  await t.step("the table split into 7 segments (64 rows each)", async () => {
    // Segments start at 256-byte offsets: rows of 1700 bytes go 64 to a segment.
    const run = await runNote(text, settings, async (vocabSize, generator, lr) => {
      const model = await gpuModel(128 << 10)(vocabSize, generator, lr);
      assert.equal(model.weight.segments.length, 7);
      return model;
    });
    assertClose(run.trainLosses, cpu.trainLosses, { atol: 1e-5 }, "losses");
    assertClose(run.table, cpu.table, { atol: 1e-5 }, "table");
  });
  await t.step("deterministic: two runs give bit-identical tables", async () => {
    const short = { ...settings, steps: 12, max_new_tokens: 0 };
    const [a, b] = [await runNote(text, short, gpuModel()), await runNote(text, short, gpuModel())];
    assert.deepEqual(new Uint32Array(a.table.buffer), new Uint32Array(b.table.buffer));
    assert.deepEqual(a.trainLosses, b.trainLosses);
  });
});

Deno.test("BigramLanguageModel API", async (t) => {
  const vocab = 11;
  const weight = new TorchGenerator(5).normal(vocab * vocab);
  await t.step("forward: the table's rows as logits and the mean cross-entropy", async () => {
    using model = await BigramLanguageModel.create(gpu, { vocabSize: vocab, weight });
    const inputs = [[3, 3, 0], [10, 2, 3]];
    const targets = [[1, 3, 10], [0, 0, 9]];
    const { logits, loss } = await model.forward(inputs, targets);
    using _logits = logits;
    assert.deepEqual(logits.shape, [2, 3, vocab]);
    const rows = await logits.read();
    inputs.flat().forEach((id, r) => {
      assert.deepEqual(
        rows.subarray(r * vocab, (r + 1) * vocab),
        weight.subarray(id * vocab, (id + 1) * vocab),
      );
    });
    const expected = crossEntropyCpu(
      gatherRows(weight, vocab, inputs.flat(), 6),
      targets.flat(),
      vocab,
    );
    assertCloseTo(loss!, expected, { atol: 1e-6 });
    const noTargets = await model.forward([[1]]);
    assert.equal(noTargets.loss, null);
    noTargets.logits.dispose();
  });
  await t.step("a step queued before takeLosses; each batch's ids are copied", async () => {
    using model = await BigramLanguageModel.create(gpu, { vocabSize: vocab, weight, lr: 0.1 });
    const reference = new BigramCpuReference({
      vocabSize: vocab,
      generator: new TorchGenerator(5),
      lr: 0.1,
    });
    const inputs = Uint32Array.of(1, 2, 2, 7);
    const targets = Uint32Array.of(2, 2, 7, 0);
    const batch = { inputs, targets, starts: new Uint32Array(2), rows: 2, seqLength: 2, index: 0 };
    model.trainStep(batch);
    reference.trainStep(batch);
    inputs.fill(9); // the sampler overwrites its arrays; the queued step must not see it
    targets.fill(9);
    model.trainStep(batch);
    reference.trainStep(batch);
    assertClose(await model.takeLosses(), await reference.takeLosses(), { atol: 1e-6 });
    assert.equal((await model.takeLosses()).length, 0);
    assertClose(await model.readTable(), reference.table, { atol: 1e-6 });
    assert.equal(model.steps, 2);
  });
  await t.step("more queued steps than the loss log holds", async () => {
    using model = await BigramLanguageModel.create(gpu, {
      vocabSize: 3,
      weight: new Float32Array(9),
    });
    const batch = {
      inputs: Uint32Array.of(0),
      targets: Uint32Array.of(1),
      starts: new Uint32Array(1),
      rows: 1,
      seqLength: 1,
      index: 0,
    };
    for (let i = 0; i < 1100; i++) model.trainStep(batch);
    const losses = await model.takeLosses();
    assert.equal(losses.length, 1100);
    assertCloseTo(losses[0], Math.log(3), { atol: 1e-6 });
    assert.ok(losses[1099] < losses[0]);
  });
  await t.step("losses asked together: one pass, each batch's own loss", async () => {
    using model = await BigramLanguageModel.create(gpu, { vocabSize: vocab, weight });
    const inputs = Uint32Array.of(1, 2, 3, 4);
    const targets = Uint32Array.of(5, 6, 7, 8);
    const batch = { inputs, targets, starts: new Uint32Array(2), rows: 2, seqLength: 2, index: 0 };
    const pending: Promise<number>[] = [];
    const expected: number[] = [];
    for (let k = 0; k < 5; k++) {
      inputs.fill(k, 0, 2 + k % 3); // the model copies the ids before the next batch reuses them
      expected.push(crossEntropyCpu(gatherRows(weight, vocab, inputs, 4), targets, vocab));
      pending.push(model.loss(batch));
    }
    assertClose(await Promise.all(pending), expected, { atol: 2e-6 });
    assertCloseTo(await model.loss(batch), expected[4], { atol: 2e-6 });
  });
  await t.step("nextTokenProbabilities: the softmax of the token's row", async () => {
    using model = await BigramLanguageModel.create(gpu, { vocabSize: vocab, weight });
    const probs = await model.nextTokenProbabilities(4);
    const row = [...weight.subarray(4 * vocab, 5 * vocab)];
    const z = row.reduce((s, x) => s + Math.exp(x), 0);
    assertClose(probs, row.map((x) => Math.exp(x) / z), { atol: 1e-7 });
    // a table too large to softmax whole (split into segments) gives the same values row by row
    using split = await BigramLanguageModel.create(gpu, {
      vocabSize: 300,
      weight: new TorchGenerator(6).normal(300 * 300),
      maxBindingBytes: 64 * 1200,
    });
    using whole = await BigramLanguageModel.create(gpu, {
      vocabSize: 300,
      weight: new TorchGenerator(6).normal(300 * 300),
    });
    assert.ok(split.weight.segments.length > 1 && whole.weight.segments.length === 1);
    for (const id of [0, 150, 299]) {
      assert.deepEqual(
        await split.nextTokenProbabilities(id),
        await whole.nextTokenProbabilities(id),
      );
    }
  });
  await t.step("bad arguments are InputErrors naming them", async () => {
    const rejects = async (work: () => Promise<unknown>, parameter: string) => {
      await assert.rejects(
        work,
        (e: unknown) => e instanceof InputError && e.parameter === parameter,
      );
    };
    await rejects(() => BigramLanguageModel.create(gpu, { vocabSize: 0, weight }), "vocabSize");
    await rejects(() => BigramLanguageModel.create(gpu, { vocabSize: vocab }), "options");
    await rejects(
      () =>
        BigramLanguageModel.create(gpu, {
          vocabSize: vocab,
          weight,
          generator: new TorchGenerator(1),
        }),
      "options",
    );
    await rejects(() => BigramLanguageModel.create(gpu, { vocabSize: 3, weight }), "weight");
    const nan = Float32Array.of(0, 0, 0, NaN);
    await rejects(
      () => BigramLanguageModel.create(gpu, { vocabSize: 2, weight: nan }),
      "weight[3]",
    );
    await rejects(
      () => BigramLanguageModel.create(gpu, { vocabSize: vocab, weight, lr: -1 }),
      "lr",
    );
    await rejects(
      () => BigramLanguageModel.create(gpu, { vocabSize: vocab, weight, betas: [0.9, 1] }),
      "beta2",
    );
    await rejects(
      () => BigramLanguageModel.create(gpu, { vocabSize: vocab, weight, vocabulary: ["a"] }),
      "vocabulary",
    );
    using model = await BigramLanguageModel.create(gpu, { vocabSize: vocab, weight });
    assert.deepEqual(model.settings, ADAMW_DEFAULTS);
    const batch = {
      inputs: Uint32Array.of(1, 11),
      targets: Uint32Array.of(0, 0),
      starts: new Uint32Array(1),
      rows: 1,
      seqLength: 2,
      index: 0,
    };
    assert.throws(
      () => model.trainStep(batch),
      (e: unknown) => e instanceof InputError && e.parameter === "batch.inputs[1]",
    );
    await rejects(() => model.nextTokenProbabilities(vocab), "id");
    await rejects(() => generateTokens(model, new TorchGenerator(1), [12], 3), "context[0]");
    model.dispose();
    await rejects(() => model.readTable(), "model");
  });
  await t.step("a diverged table is an error, not a loss", async () => {
    const huge = new Float32Array(4).fill(3e38);
    using model = await BigramLanguageModel.create(gpu, { vocabSize: 2, weight: huge, lr: 1e38 });
    const generator = new TorchGenerator(1);
    const ids = Uint32Array.of(0, 1, 0, 1, 1, 0, 1, 0, 0, 1);
    const sampler = new TorchBlockSampler(ids, { blockSize: 2, batchSize: 2, generator });
    await assert.rejects(
      trainBigram(model, { train: sampler, eval: sampler }, {
        steps: 5,
        evalInterval: 100,
        evalIters: 1,
      }),
      (e: unknown) => e instanceof InputError && /training diverged/.test(e.message),
    );
  });
});

Deno.test("BigramLanguageModel saved as safetensors and loaded back", async (t) => {
  const vocab = 5;
  const vocabulary = ["\n", " ", "a", "가", "🎉"];
  const weight = new TorchGenerator(8).normal(vocab * vocab);
  await withTempDir(async (dir) => {
    const path = `${dir}/model.safetensors`;
    await t.step("save writes the table and the vocabulary; never over a file", async () => {
      using model = await BigramLanguageModel.create(gpu, { vocabSize: vocab, weight, vocabulary });
      await model.save(path);
      const saved = await readBigramFile(path);
      assert.deepEqual(saved, { vocabSize: vocab, weight, vocabulary });
      await assert.rejects(model.save(path), /already exists/);
      await model.save(path, { overwrite: true });
    });
    await t.step(
      "loaded, it generates what the CPU reference generates from the table",
      async () => {
        using model = await BigramLanguageModel.fromSafetensors(gpu, path);
        assert.deepEqual(model.vocabulary, vocabulary);
        assert.deepEqual(await model.readTable(), weight);
        const reference = new BigramCpuReference({
          vocabSize: vocab,
          generator: new TorchGenerator(0),
        });
        reference.table.set(weight);
        const expected = await generateTokens(reference, new TorchGenerator(3), [4], 50);
        assert.deepEqual(await model.generate(new TorchGenerator(3), [4], 50), expected);
      },
    );
    await t.step("files that are not a bigram table are refused, naming the file", async () => {
      const cases: [
        string,
        Record<string, { dtype: "F32" | "I64"; shape: number[]; data: Float32Array | Uint8Array }>,
        Record<string, string>,
        RegExp,
      ][] = [
        [
          "other.safetensors",
          { "wte.weight": { dtype: "F32", shape: [2, 2], data: new Float32Array(4) } },
          {},
          /has no tensor "embedding_token_table.weight"/,
        ],
        [
          "oblong.safetensors",
          { [BIGRAM_TENSOR_NAME]: { dtype: "F32", shape: [2, 3], data: new Float32Array(6) } },
          {},
          /square/,
        ],
        [
          "ints.safetensors",
          { [BIGRAM_TENSOR_NAME]: { dtype: "I64", shape: [1, 1], data: new Uint8Array(8) } },
          {},
          /dtype I64/,
        ],
        [
          "vocab.safetensors",
          { [BIGRAM_TENSOR_NAME]: { dtype: "F32", shape: [2, 2], data: new Float32Array(4) } },
          { vocabulary: '["a"]' },
          /must list 2 characters/,
        ],
        [
          "inf.safetensors",
          {
            [BIGRAM_TENSOR_NAME]: { dtype: "F32", shape: [1, 1], data: Float32Array.of(Infinity) },
          },
          {},
          /non-finite/,
        ],
      ];
      for (const [name, tensors, metadata, message] of cases) {
        const file = `${dir}/${name}`;
        await writeSafetensors(file, tensors, { metadata });
        await assert.rejects(
          BigramLanguageModel.fromSafetensors(gpu, file),
          (e: unknown) =>
            e instanceof InputError && e.parameter === file && message.test(e.message),
          name,
        );
      }
    });
  });
});
