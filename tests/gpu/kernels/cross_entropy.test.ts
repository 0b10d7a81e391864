import assert from "node:assert/strict";
import {
  crossEntropy,
  crossEntropyWithGrad,
  GpuDevice,
  InputError,
  lossItem,
  Tensor,
  TorchGenerator,
} from "../../../mod.ts";
import {
  cascadeMeanCpu,
  crossEntropyCpu,
  crossEntropyGradCpu,
} from "../../../src/gpu/kernels/cross_entropy/cpu_reference.ts";
import { assertClose } from "../../helpers/assert_close.ts";

const gpu = await GpuDevice.shared();

/** Random logits (scaled normals) and targets for `rows` rows of `vocab` classes. */
function problem(random: TorchGenerator, rows: number, vocab: number, scale = 3) {
  const logits = random.normal(rows * vocab).map((x) => x * scale);
  const targets = Uint32Array.from({ length: rows }, () => random.nextUint32() % vocab);
  return { logits, targets };
}

async function compare(random: TorchGenerator, rows: number, vocab: number, scale = 3) {
  const { logits, targets } = problem(random, rows, vocab, scale);
  using x = await Tensor.from(gpu, logits, { shape: [rows, vocab] });
  using result = await crossEntropyWithGrad(x, targets);
  const label = `N=${rows} V=${vocab}`;
  const loss = await lossItem(result.loss);
  // The GPU's exp and log round differently from the CPU's in the last bits.
  assertClose([loss], [crossEntropyCpu(logits, targets, vocab)], { rtol: 2e-6 }, `loss ${label}`);
  assertClose(
    await result.grad.read(),
    crossEntropyGradCpu(logits, targets, vocab),
    // At the target, −1/rows + p/rows cancels: allow a few ulps of 1/rows there.
    { atol: 4e-7 / rows, rtol: 1e-5 },
    `gradient ${label}`,
  );
  using alone = await crossEntropy(x, targets);
  assert.equal(await lossItem(alone), loss, `${label}: the loss alone is the same`);
  return { loss, grad: await result.grad.read() };
}

Deno.test("cross-entropy and its gradient follow the CPU reference", async (t) => {
  const random = new TorchGenerator(3);
  await t.step("vocabulary widths not multiples of 4: 1, 2, 3, 5, 62, 63, 65, 2701", async () => {
    for (const vocab of [1, 2, 3, 5, 62, 63, 65, 2701]) await compare(random, 37, vocab);
  });
  await t.step("random shapes", async () => {
    for (let i = 0; i < 6; i++) {
      await compare(random, 1 + random.nextUint32() % 300, 1 + random.nextUint32() % 3000);
    }
  });
  await t.step("GPT-2's 50,257 classes", async () => {
    await compare(random, 3, 50257);
  });
  await t.step("large logits (no overflow: max-subtracted)", async () => {
    const { loss } = await compare(random, 20, 100, 1e4);
    assert.ok(Number.isFinite(loss));
  });
  await t.step("every target the same; one row", async () => {
    const vocab = 17;
    const logits = random.normal(64 * vocab);
    const targets = new Uint32Array(64).fill(5);
    using x = await Tensor.from(gpu, logits, { shape: [64, vocab] });
    using result = await crossEntropyWithGrad(x, targets);
    assertClose([await lossItem(result.loss)], [crossEntropyCpu(logits, targets, vocab)], {
      rtol: 2e-6,
    });
    await compare(random, 1, 9);
  });
  await t.step("two runs give the same bits", async () => {
    const first = await compare(new TorchGenerator(9), 256, 2701);
    const second = await compare(new TorchGenerator(9), 256, 2701);
    assert.equal(second.loss, first.loss);
    assert.deepEqual(second.grad, first.grad);
  });
});

Deno.test("the gradient is (softmax - onehot) / rows and each row sums to zero", async () => {
  const random = new TorchGenerator(4);
  const { logits, targets } = problem(random, 8, 11);
  using x = await Tensor.from(gpu, logits, { shape: [2, 4, 11] });
  using result = await crossEntropyWithGrad(x, { data: targets, shape: [2, 4] });
  const grad = await result.grad.read();
  assert.deepEqual(result.grad.shape, [2, 4, 11]);
  for (let r = 0; r < 8; r++) {
    const row = [...logits.subarray(r * 11, r * 11 + 11)];
    const m = Math.max(...row);
    const z = row.reduce((s, v) => s + Math.exp(v - m), 0);
    const expected = row.map((v, c) => (Math.exp(v - m) / z - (c === targets[r] ? 1 : 0)) / 8);
    assertClose(grad.subarray(r * 11, r * 11 + 11), expected, { atol: 1e-8, rtol: 1e-5 });
  }
});

Deno.test("the mean sums the row losses in PyTorch's cascade order", () => {
  // 17 values: rows 1..16 are summed apart and added to row 0 once, at row 16.
  const values = [1e8, ...new Array(16).fill(1)];
  // Sequentially, each 1 would vanish against 1e8 in float32; the cascade keeps their 16.
  assert.equal(cascadeMeanCpu(values), Math.fround(Math.fround(1e8 + 16) / 17));
});

Deno.test("non-finite logits give a NaN loss, which lossItem refuses", async () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    using x = await Tensor.from(gpu, [[0, 1, 2], [3, bad, 5]]);
    using loss = await crossEntropy(x, [0, 1]);
    assert.ok(Number.isNaN((await loss.read())[0]), `${bad}`);
    await assert.rejects(
      lossItem(loss),
      (e: unknown) => e instanceof InputError && e.parameter === "loss" && /is NaN/.test(e.message),
    );
  }
});

Deno.test("cross-entropy rejects bad targets and shapes before any GPU work", async () => {
  using x = await Tensor.zeros(gpu, [2, 3]);
  await assert.rejects(crossEntropy(x, [0, 3]), /targets must hold token ids in \[0, 2\]/);
  await assert.rejects(crossEntropy(x, [0, 1, 2]), /targets must have shape \[2\]/);
  using empty = await Tensor.zeros(gpu, [0, 3]);
  await assert.rejects(crossEntropy(empty, []), /targets must hold at least one row/);
});
