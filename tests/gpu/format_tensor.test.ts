import assert from "node:assert/strict";
import { formatTensor, InputError } from "../../mod.ts";
import { chapter2Reference } from "../helpers/fixtures.ts";

const reference = await chapter2Reference();

Deno.test("tensors print as PyTorch prints them", async (t) => {
  await t.step("the book's Embedding(6, 3) weight", () => {
    const weight = Float32Array.from(reference.embedding_6x3_after_seed.weight.flat());
    assert.equal(
      formatTensor(weight, [6, 3]),
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
  await t.step("the book's first batch of token ids", () => {
    const inputs = Int32Array.from(reference.gpt2_embeddings_after_seed.batch_inputs.flat());
    assert.equal(
      formatTensor(inputs, [8, 4]),
      [
        "tensor([[   40,   367,  2885,  1464],",
        "        [ 1807,  3619,   402,   271],",
        "        [10899,  2138,   257,  7026],",
        "        [15632,   438,  2016,   257],",
        "        [  922,  5891,  1576,   438],",
        "        [  568,   340,   373,   645],",
        "        [ 1049,  5975,   284,   502],",
        "        [  284,  3285,   326,    11]])",
      ].join("\n"),
    );
  });
  await t.step("long vectors wrap at 80 columns", () => {
    const values = Float32Array.from({ length: 40 }, (_, i) => i + 0.5);
    assert.equal(
      formatTensor(values, [40]),
      [
        "tensor([ 0.5000,  1.5000,  2.5000,  3.5000,  4.5000,  5.5000,  6.5000,  7.5000,",
        "         8.5000,  9.5000, 10.5000, 11.5000, 12.5000, 13.5000, 14.5000, 15.5000,",
        "        16.5000, 17.5000, 18.5000, 19.5000, 20.5000, 21.5000, 22.5000, 23.5000,",
        "        24.5000, 25.5000, 26.5000, 27.5000, 28.5000, 29.5000, 30.5000, 31.5000,",
        "        32.5000, 33.5000, 34.5000, 35.5000, 36.5000, 37.5000, 38.5000, 39.5000])",
      ].join("\n"),
    );
  });
  await t.step("over 1000 elements: 3 items at each edge of every dimension", () => {
    const values = Float32Array.from({ length: 10 * 2 * 60 }, (_, i) => i / 1000 + 1);
    assert.equal(
      formatTensor(values, [10, 2, 60]),
      [
        "tensor([[[1.0000, 1.0010, 1.0020,  ..., 1.0570, 1.0580, 1.0590],",
        "         [1.0600, 1.0610, 1.0620,  ..., 1.1170, 1.1180, 1.1190]],",
        "",
        "        [[1.1200, 1.1210, 1.1220,  ..., 1.1770, 1.1780, 1.1790],",
        "         [1.1800, 1.1810, 1.1820,  ..., 1.2370, 1.2380, 1.2390]],",
        "",
        "        [[1.2400, 1.2410, 1.2420,  ..., 1.2970, 1.2980, 1.2990],",
        "         [1.3000, 1.3010, 1.3020,  ..., 1.3570, 1.3580, 1.3590]],",
        "",
        "        ...,",
        "",
        "        [[1.8400, 1.8410, 1.8420,  ..., 1.8970, 1.8980, 1.8990],",
        "         [1.9000, 1.9010, 1.9020,  ..., 1.9570, 1.9580, 1.9590]],",
        "",
        "        [[1.9600, 1.9610, 1.9620,  ..., 2.0170, 2.0180, 2.0190],",
        "         [2.0200, 2.0210, 2.0220,  ..., 2.0770, 2.0780, 2.0790]],",
        "",
        "        [[2.0800, 2.0810, 2.0820,  ..., 2.1370, 2.1380, 2.1390],",
        "         [2.1400, 2.1410, 2.1420,  ..., 2.1970, 2.1980, 2.1990]]])",
      ].join("\n"),
    );
    assert.equal(
      formatTensor(Int32Array.from({ length: 2000 }, (_, i) => i), [2000]),
      "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])",
    );
  });
  await t.step("integral, scientific, non-finite and tied values", () => {
    const f = (values: number[], shape = [values.length]) =>
      formatTensor(Float32Array.from(values), shape);
    assert.equal(f([0, 0, 0]), "tensor([0., 0., 0.])");
    assert.equal(f([-0, 0]), "tensor([-0., 0.])");
    assert.equal(f([1, 2, 300]), "tensor([  1.,   2., 300.])");
    assert.equal(f([1, 2, 3000.5]), "tensor([1.0000e+00, 2.0000e+00, 3.0005e+03])");
    assert.equal(f([1e-5, 1]), "tensor([1.0000e-05, 1.0000e+00])");
    assert.equal(f([0.5, NaN, Infinity, -Infinity]), "tensor([0.5000,    nan,    inf,   -inf])");
    // Python rounds exact ties to even: 0.03125 → 0.0312, 0.09375 → 0.0938.
    assert.equal(f([0.03125, -0.09375]), "tensor([ 0.0312, -0.0938])");
    assert.equal(f([1.5], []), "tensor(1.5000)");
    assert.equal(formatTensor(Int32Array.of(-3), []), "tensor(-3)");
    assert.equal(
      formatTensor(Uint32Array.of(4294967295, 0), [2]),
      "tensor([4294967295,          0])",
    );
  });
  await t.step("empty tensors", () => {
    assert.equal(formatTensor(new Float32Array(0), [0]), "tensor([])");
    assert.equal(formatTensor(new Float32Array(0), [0, 3]), "tensor([], size=(0, 3))");
  });
  await t.step("bad arguments", () => {
    assert.throws(
      () => formatTensor(new Float32Array(6), [4, 2]),
      (e: unknown) =>
        e instanceof InputError && e.message === "shape [4, 2] holds 8 elements, but data has 6",
    );
    assert.throws(
      () => formatTensor([1, 2] as unknown as Float32Array, [2]),
      /data must be a Float32Array, Float64Array, Int32Array or Uint32Array, got an array of length 2/,
    );
    assert.throws(
      () => formatTensor(new Float32Array(2), [2.5]),
      /shape must be an array of integers >= 0/,
    );
  });
});
