import assert from "node:assert/strict";
import { adamwStep, GpuDevice, InputError, Tensor, TorchGenerator } from "../../../mod.ts";
import {
  type AdamWHyperparameters,
  adamwStepCpu,
} from "../../../src/gpu/kernels/adamw/cpu_reference.ts";
import { assertClose } from "../../helpers/assert_close.ts";

const gpu = await GpuDevice.shared();
const alignment = gpu.limits.minStorageBufferOffsetAlignment;

function lcm(a: number, b: number): number {
  let [x, y] = [a, b];
  while (y !== 0) [x, y] = [y, x % y];
  return (a / x) * b;
}

const DEFAULTS = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

/**
 * Runs `steps` AdamW steps on the GPU and the CPU from the same random start (some rows with a
 * zero gradient, as an embedding's untouched rows) and compares everything after each step.
 */
async function compare(
  shape: number[],
  steps: number,
  hyper: Omit<AdamWHyperparameters, "step">,
  random: TorchGenerator,
  segmentRows?: number,
): Promise<Float32Array> {
  const size = shape.reduce((a, b) => a * b, 1);
  const rowElements = shape.length < 2 ? 1 : size / shape[0];
  const unit = lcm(rowElements * 4, alignment);
  const binding = unit * Math.max(1, Math.floor(segmentRows! * rowElements * 4 / unit));
  const storage = segmentRows === undefined
    ? {}
    : { maxBindingBytes: binding, maxBufferBytes: binding };
  const param = random.normal(size);
  const m = new Float32Array(size);
  const v = new Float32Array(size);
  using p = await Tensor.from(gpu, param, { shape, ...storage });
  if (segmentRows !== undefined) {
    assert.ok(p.segments.length > 1, `[${shape}] split into ${p.segments.length} segments`);
    assert.ok(new Set(p.segments.map((s) => s.buffer)).size > 1, "over several buffers");
  }
  using gm = await Tensor.zeros(gpu, shape, "f32", "m", storage);
  using gv = await Tensor.zeros(gpu, shape, "f32", "v", storage);
  for (let step = 1; step <= steps; step++) {
    const grad = random.normal(size);
    for (let i = 0; i < size; i += 3 * rowElements) grad.fill(0, i, i + rowElements);
    using g = await Tensor.from(gpu, grad, { shape, ...storage });
    await adamwStep(p, g, gm, gv, { ...hyper, step });
    adamwStepCpu(param, grad, m, v, { ...hyper, step });
    const label = `[${shape}] step ${step}`;
    // The moment updates are fused multiply-adds, as in PyTorch; a device whose fma rounds the
    // product first (llvmpipe does) differs in the last bit of some elements.
    assertClose(await gm.read(), m, { atol: 1e-7, rtol: 1e-6 }, `m ${label}`);
    assertClose(await gv.read(), v, { atol: 1e-12, rtol: 1e-6 }, `v ${label}`);
    assertClose(await p.read(), param, { atol: 1e-6, rtol: 1e-6 }, `param ${label}`);
  }
  return await p.read();
}

Deno.test("AdamW follows the CPU reference (PyTorch's order of operations)", async (t) => {
  const random = new TorchGenerator(12);
  await t.step("odd sizes, several steps, defaults and other hyperparameters", async () => {
    await compare([7], 3, DEFAULTS, random);
    await compare([13, 5], 4, { ...DEFAULTS, lr: 1e-2 }, random);
    await compare(
      [62, 62],
      3,
      { lr: 0.1, beta1: 0.5, beta2: 0.9, eps: 1e-3, weightDecay: 0.5 },
      random,
    );
    await compare([3], 2, { ...DEFAULTS, weightDecay: 0 }, random);
    await compare([], 2, DEFAULTS, random);
  });
  await t.step("a table split into segments, in several buffers", async () => {
    await compare([301, 7], 2, DEFAULTS, random, 40);
    await compare([100, 16], 2, DEFAULTS, random, 24);
    // A last segment of 1 element: no whole vec4 in it.
    await compare([65, 1], 2, DEFAULTS, random, 8);
    await compare([1001, 3], 2, DEFAULTS, random, 56);
  });
  await t.step("two runs give the same bits", async () => {
    const first = await compare([257, 9], 3, DEFAULTS, new TorchGenerator(1));
    const second = await compare([257, 9], 3, DEFAULTS, new TorchGenerator(1));
    assert.deepEqual(second, first);
  });
});

Deno.test("AdamW with a zero gradient only decays (and moves by its moments)", async () => {
  using p = await Tensor.from(gpu, [2, -4]);
  using g = await Tensor.zeros(gpu, [2]);
  using m = await Tensor.zeros(gpu, [2]);
  using v = await Tensor.zeros(gpu, [2]);
  await adamwStep(p, g, m, v, { ...DEFAULTS, step: 1 });
  const decay = Math.fround(1 - 1e-3 * 0.01);
  assert.deepEqual([...await p.read()], [Math.fround(2 * decay), Math.fround(-4 * decay)]);
});

Deno.test("AdamW rejects bad hyperparameters and mismatched tensors", async () => {
  using p = await Tensor.zeros(gpu, [4, 2]);
  using other = await Tensor.zeros(gpu, [2, 4]);
  const step = { ...DEFAULTS, step: 1 };
  const rejects = (run: () => Promise<unknown>, parameter: string) =>
    assert.rejects(run, (e: unknown) => e instanceof InputError && e.parameter === parameter);
  await rejects(() => adamwStep(p, p, p, p, { ...step, lr: -1 }), "lr");
  await rejects(() => adamwStep(p, p, p, p, { ...step, beta1: 1 }), "beta1");
  await rejects(() => adamwStep(p, p, p, p, { ...step, eps: NaN }), "eps");
  await rejects(() => adamwStep(p, p, p, p, { ...step, step: 0 }), "step");
  await rejects(() => adamwStep(p, other, p, p, step), "grad");
  using m = await Tensor.zeros(gpu, [4, 2]);
  using v = await Tensor.zeros(gpu, [4, 2]);
  await rejects(() => adamwStep(p, p, m, v, step), "grad");
  using split = await Tensor.zeros(gpu, [64, 2], "f32", "split", { maxBindingBytes: 256 });
  using whole = await Tensor.zeros(gpu, [64, 2]);
  await rejects(() => adamwStep(split, whole, split, split, step), "grad");
});
