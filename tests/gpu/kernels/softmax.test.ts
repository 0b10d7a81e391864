import assert from "node:assert/strict";
import { GpuDevice, softmax, Tensor, TorchGenerator } from "../../../mod.ts";
import { softmaxCpu } from "../../../src/gpu/kernels/softmax/cpu_reference.ts";
import { assertClose } from "../../helpers/assert_close.ts";

const gpu = await GpuDevice.shared();

Deno.test("softmax follows the CPU reference on random shapes", async () => {
  const random = new TorchGenerator(5);
  const shapes = [[1, 1], [3, 2], [5, 3], [2, 62], [4, 65], [1, 2701], [2, 50257]];
  for (let i = 0; i < 5; i++) {
    shapes.push([1 + random.nextUint32() % 50, 1 + random.nextUint32() % 3000]);
  }
  for (const [rows, vocab] of shapes) {
    const values = random.normal(rows * vocab).map((x) => 4 * x);
    using x = await Tensor.from(gpu, values, { shape: [rows, vocab] });
    using probs = await softmax(x);
    const actual = await probs.read();
    assertClose(actual, softmaxCpu(values, vocab), { atol: 1e-9, rtol: 1e-5 }, `${rows}×${vocab}`);
    for (let r = 0; r < rows; r++) {
      const sum = actual.subarray(r * vocab, (r + 1) * vocab).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-5, `row ${r} sums to ${sum}`);
    }
  }
});

Deno.test("softmax is stable, deterministic, and NaN for non-finite rows", async () => {
  using big = await Tensor.from(gpu, [[1e30, 1e30, -1e30], [-1e4, -1e4, -1e4]]);
  using probs = await softmax(big);
  assert.deepEqual([...await probs.read()], [0.5, 0.5, 0, 1 / 3, 1 / 3, 1 / 3].map(Math.fround));
  const random = new TorchGenerator(6);
  using x = await Tensor.from(gpu, random.normal(64 * 2701), { shape: [64, 2701] });
  using a = await softmax(x);
  using b = await softmax(x);
  assert.deepEqual(await a.read(), await b.read());
  using bad = await Tensor.from(gpu, [[0, NaN], [1, 2], [Infinity, 0]]);
  using out = await softmax(bad);
  const values = await out.read();
  assert.ok([0, 1, 4, 5].every((i) => Number.isNaN(values[i])));
  assert.ok(Number.isFinite(values[2]) && Number.isFinite(values[3]));
});
