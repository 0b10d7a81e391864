import assert from "node:assert/strict";
import {
  GpuDevice,
  InputEmbedding,
  InputError,
  PositionalEmbedding,
  TokenEmbedding,
  TorchGenerator,
} from "../../mod.ts";
import { assertClose, assertCloseTo } from "../helpers/assert_close.ts";
import { bookInputEmbeddings, chapter2Reference } from "../helpers/fixtures.ts";

const gpu = await GpuDevice.shared();
const reference = await chapter2Reference();
const book = reference.gpt2_embeddings_after_seed;

Deno.test("seed 123 → the book's Embedding(6, 3)", async (t) => {
  using embedding = await TokenEmbedding.create(gpu, 6, 3, { seed: 123 });
  await t.step("weights equal PyTorch's within 1e-6", async () => {
    assert.deepEqual([embedding.vocabSize, embedding.dim], [6, 3]);
    assert.deepEqual(embedding.weight.shape, [6, 3]);
    assertClose(await embedding.weight.read(), reference.embedding_6x3_after_seed.weight.flat(), {
      atol: 1e-6,
    });
  });
  await t.step("printed as the book prints it", async () => {
    assert.equal(
      await embedding.weight.format(),
      [
        "tensor([[ 0.3374, -0.1778, -0.1690],",
        "        [ 0.9178,  1.5810,  1.3010],",
        "        [ 1.2753, -0.2010, -0.1606],",
        "        [-0.4015,  0.9666, -1.1481],",
        "        [-1.1589,  0.3255, -0.6315],",
        "        [-2.8400, -0.7849, -1.4096]])",
      ].join("\n"),
    );
  });
  await t.step("forward looks up rows: the book's embedding_layer(input_ids)", async () => {
    using rows = await embedding.forward([2, 3, 5, 1]);
    assert.equal(
      await rows.format(),
      [
        "tensor([[ 1.2753, -0.2010, -0.1606],",
        "        [-0.4015,  0.9666, -1.1481],",
        "        [-2.8400, -0.7849, -1.4096],",
        "        [ 0.9178,  1.5810,  1.3010]])",
      ].join("\n"),
    );
  });
});

Deno.test("seed 123 → the book's GPT-2 tables and input embeddings", async (t) => {
  using embedding = await InputEmbedding.create(gpu, {
    vocabSize: 50257,
    contextLength: 4,
    dim: 256,
    seed: book.seed,
  });
  await t.step("token table [50257, 256]: sample rows, sum and absolute sum", async () => {
    assert.deepEqual(embedding.token.weight.shape, [50257, 256]);
    const weight = await embedding.token.weight.read();
    for (const [id, row] of Object.entries(book.token_weight_rows)) {
      const start = Number(id) * 256;
      assertClose(weight.subarray(start, start + 256), row, { atol: 1e-6 }, `row ${id}`);
    }
    let sum = 0;
    let absSum = 0;
    for (const value of weight) {
      sum += value;
      absSum += Math.abs(value);
    }
    assertCloseTo(sum, book.token_weight_sum, { rtol: 1e-5 }, "sum");
    assertCloseTo(absSum, book.token_weight_abs_sum, { rtol: 1e-5 }, "absolute sum");
  });
  await t.step("position table [4, 256], drawn after the token table", async () => {
    assert.deepEqual(embedding.position.weight.shape, [4, 256]);
    assertClose(await embedding.position.weight.read(), book.pos_weight.flat(), { atol: 1e-6 });
    using positions = await embedding.position.forward();
    assertClose(await positions.read(), book.pos_weight.flat(), { atol: 1e-6 });
  });
  await t.step("fused kernel on the first batch = every value of the book's tensor", async () => {
    using inputEmbeddings = await embedding.forward(book.batch_inputs);
    assert.deepEqual(inputEmbeddings.shape, book.input_embeddings_shape);
    const values = await inputEmbeddings.read();
    assertClose(values, await bookInputEmbeddings(), { atol: 1e-5 }, "input embeddings");
    assertClose(values.subarray(0, 256), book.input_embeddings_first_row, { atol: 1e-5 });
    const sum = values.reduce((a, b) => a + b, 0);
    assertCloseTo(sum, book.input_embeddings_sum, { rtol: 1e-5 }, "input embeddings sum");
  });
  await t.step("the same through the separate layers: lookup, then positional add", async () => {
    using tokens = await embedding.token.forward(book.batch_inputs);
    using sum = await embedding.position.addTo(tokens);
    assertClose(await sum.read(), await bookInputEmbeddings(), { atol: 1e-5 });
  });
});

Deno.test("embedding layers from given weights and a shared generator", async (t) => {
  await t.step("given values, nested or flat", async () => {
    using nested = await TokenEmbedding.create(gpu, 2, 2, { weight: [[1, 2], [3, 4]] });
    using flat = await TokenEmbedding.create(gpu, 2, 2, { weight: Float32Array.of(1, 2, 3, 4) });
    assert.deepEqual(await nested.weight.toArray(), [[1, 2], [3, 4]]);
    assert.deepEqual(await flat.weight.toArray(), [[1, 2], [3, 4]]);
  });
  await t.step("one generator continues across tables, as torch's global generator", async () => {
    const generator = new TorchGenerator(7);
    using first = await TokenEmbedding.create(gpu, 5, 4, { generator });
    using second = await PositionalEmbedding.create(gpu, 3, 4, { generator });
    const stream = new TorchGenerator(7);
    assert.deepEqual(await first.weight.read(), stream.normal(20));
    assert.deepEqual(await second.weight.read(), stream.normal(12));
  });
  await t.step("an input embedding of your own layers", async () => {
    const token = await TokenEmbedding.create(gpu, 3, 2, { weight: [[0, 0], [1, 1], [2, 2]] });
    const position = await PositionalEmbedding.create(gpu, 2, 2, { weight: [[0.5, 0.5], [9, 9]] });
    using embedding = new InputEmbedding(token, position);
    using out = await embedding.forward([[2, 1]]);
    assert.deepEqual(await out.toArray(), [[[2.5, 2.5], [10, 10]]]);
  });
});

Deno.test("bad layer arguments are rejected before any GPU work", async (t) => {
  const before = gpu.liveBuffers;
  const rejects = (run: () => Promise<unknown>, parameter: string, message: string) =>
    assert.rejects(
      run,
      (e: unknown) =>
        e instanceof InputError && e.parameter === parameter && e.message.includes(message),
    );
  await t.step("sizes", async () => {
    await rejects(
      () => TokenEmbedding.create(gpu, 0, 3, { seed: 1 }),
      "vocabSize",
      "must be an integer >= 1, got 0",
    );
    await rejects(() => PositionalEmbedding.create(gpu, 4, 2.5, { seed: 1 }), "dim", "got 2.5");
    await rejects(
      () => InputEmbedding.create(gpu, { vocabSize: 10, contextLength: -1, dim: 4, seed: 1 }),
      "contextLength",
      "must be an integer >= 1, got -1",
    );
    await rejects(
      () => InputEmbedding.create(gpu, { vocabSize: 10, contextLength: 4, dim: 4, seed: 2 ** 32 }),
      "seed",
      "must be an integer in [0, 4294967295], got 4294967296",
    );
  });
  await t.step("weights of the wrong size", async () => {
    await rejects(
      () => TokenEmbedding.create(gpu, 3, 2, { weight: new Float32Array(5) }),
      "init.weight",
      "must hold vocabSize × dim = 3 × 2 = 6 values, got 5",
    );
    await rejects(
      () => PositionalEmbedding.create(gpu, 2, 2, { weight: [[1, 2, 3], [4, 5, 6]] }),
      "init.weight",
      "must have shape [2, 2] (contextLength, dim), got [2, 3]",
    );
    await rejects(
      () => TokenEmbedding.create(gpu, 1, 1, {} as { seed: number }),
      "init",
      "must have a seed, a generator or a weight",
    );
  });
  await t.step("sequences longer than the context, ids beyond the vocabulary", async () => {
    using embedding = await InputEmbedding.create(gpu, {
      vocabSize: 10,
      contextLength: 2,
      dim: 3,
      seed: 0,
    });
    const allocated = gpu.liveBuffers;
    await rejects(
      () => embedding.forward([[1, 2, 3]]),
      "positions",
      "fewer than the sequence length 3",
    );
    await rejects(() => embedding.forward([[1, 10]]), "ids", "but ids[0][1] is 10");
    await rejects(
      () => embedding.position.forward(3),
      "length",
      "must be an integer in [1, 2], got 3",
    );
    assert.equal(gpu.liveBuffers, allocated);
  });
  await t.step("layers of different widths cannot be combined", async () => {
    using token = await TokenEmbedding.create(gpu, 3, 2, { seed: 0 });
    using position = await PositionalEmbedding.create(gpu, 2, 3, { seed: 0 });
    assert.throws(
      () => new InputEmbedding(token, position),
      /position has dimension 3, but the token embedding has 2/,
    );
  });
  assert.equal(gpu.liveBuffers, before);
});
