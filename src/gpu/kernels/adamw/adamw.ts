import code from "../../../../shaders/adamw/adamw.wgsl" with { type: "text" };
import { InputError } from "../../../util/errors.ts";
import { describe } from "../../../util/checks.ts";
import type { GpuDevice } from "../../device.ts";
import type { Tensor } from "../../tensor.ts";
import { type Dispatch, dispatchGrid, type KernelCall, kernelFor } from "../compute_kernel.ts";
import { checkSameLayout } from "../segments.ts";
import { checkFloatTensor, sameDevice } from "../tensor_checks.ts";
import { adamwFactors, type AdamWHyperparameters } from "./cpu_reference.ts";

export type { AdamWHyperparameters };

const WORKGROUP_SIZE = 64;

const kernel = kernelFor(
  "adamw",
  [`const WORKGROUP_SIZE: u32 = ${WORKGROUP_SIZE}u;`, code].join("\n"),
);

/**
 * 16-byte buffers per device for the vec4 bindings of a tensor of fewer than 4 elements (its
 * own buffer is too small to bind as vec4s; the kernel then touches only its f32 bindings): one
 * for the gradient's read-only binding, one for the others (WebGPU forbids one buffer in both).
 */
const placeholders = new WeakMap<GpuDevice, GPUBuffer>();
const readPlaceholders = new WeakMap<GpuDevice, GPUBuffer>();

function placeholder(gpu: GpuDevice, read: boolean): GPUBufferBinding {
  const cache = read ? readPlaceholders : placeholders;
  let buffer = cache.get(gpu);
  if (buffer === undefined) {
    buffer = gpu.createBuffer({
      label: "adamw placeholder",
      size: 16,
      usage: GPUBufferUsage.STORAGE,
    });
    cache.set(gpu, buffer);
  }
  return { buffer, offset: 0, size: 16 };
}

/**
 * One AdamW step on the GPU, exactly as `torch.optim.AdamW` computes it on the CPU (decoupled
 * weight decay on every element, bias corrections, `eps` added after the square root, the
 * scalar factors computed in float64 and rounded once to f32): updates `param`, and its moments
 * `expAvg` and `expAvgSq`, in place from `grad`. All four are `f32` tensors of one shape, split
 * into segments alike (see {@linkcode Tensor.segments}); one dispatch per segment, one submit.
 *
 * @example One step from zero moments (the update's size is about `lr`)
 * ```ts
 * import { adamwStep, GpuDevice, Tensor } from "../../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const gpu = await GpuDevice.shared();
 * using param = await Tensor.from(gpu, [1, -1]);
 * using grad = await Tensor.from(gpu, [0.5, -2]);
 * using expAvg = await Tensor.zeros(gpu, [2]);
 * using expAvgSq = await Tensor.zeros(gpu, [2]);
 * const hyper = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: 1 };
 * await adamwStep(param, grad, expAvg, expAvgSq, hyper);
 * const [a, b] = await param.read();
 * assert.ok(Math.abs(a - 0.9) < 1e-6 && Math.abs(b + 0.9) < 1e-6);
 * ```
 *
 * @param param The parameter, `f32`, updated in place.
 * @param grad Its gradient, same shape and segments.
 * @param expAvg The first moment (zeros before the first step), updated in place.
 * @param expAvgSq The second moment (zeros before the first step), updated in place.
 * @param hyperparameters Learning rate, betas, eps, weight decay and the step number (from 1).
 */
export async function adamwStep(
  param: Tensor<"f32">,
  grad: Tensor<"f32">,
  expAvg: Tensor<"f32">,
  expAvgSq: Tensor<"f32">,
  hyperparameters: AdamWHyperparameters,
): Promise<void> {
  checkAdamWHyperparameters(hyperparameters);
  for (const [name, tensor] of Object.entries({ param, grad, expAvg, expAvgSq })) {
    checkFloatTensor(name, tensor, { atLeast: 0 });
  }
  const gpu = sameDevice({ param, grad, expAvg, expAvgSq });
  const distinct = new Set([param, grad, expAvg, expAvgSq]).size === 4;
  if (!distinct) {
    throw new InputError("grad", "param, grad, expAvg and expAvgSq must be four different tensors");
  }
  checkSameLayout("grad", grad, param, "param");
  checkSameLayout("expAvg", expAvg, param, "param");
  checkSameLayout("expAvgSq", expAvgSq, param, "param");
  const { kernel, run } = adamwCall(param, grad, expAvg, expAvgSq, hyperparameters);
  await kernel.run(gpu, run);
}

/** Throws unless the hyperparameters are in PyTorch's allowed ranges. */
export function checkAdamWHyperparameters(h: AdamWHyperparameters): void {
  if (typeof h !== "object" || h === null) {
    throw new InputError(
      "hyperparameters",
      "must be { lr, beta1, beta2, eps, weightDecay, step }",
    );
  }
  const finite = (name: string, value: unknown, ok: (v: number) => boolean, range: string) => {
    if (typeof value !== "number" || !Number.isFinite(value) || !ok(value)) {
      throw new InputError(name, `must be a number ${range}, got ${describe(value)}`);
    }
  };
  finite("lr", h.lr, (v) => v >= 0, ">= 0");
  finite("beta1", h.beta1, (v) => v >= 0 && v < 1, "in [0, 1)");
  finite("beta2", h.beta2, (v) => v >= 0 && v < 1, "in [0, 1)");
  finite("eps", h.eps, (v) => v >= 0, ">= 0");
  finite("weightDecay", h.weightDecay, (v) => v >= 0, ">= 0");
  finite("step", h.step, (v) => Number.isInteger(v) && v >= 1, "that is an integer >= 1");
}

/** The AdamW program's run for checked tensors: one dispatch per segment. */
export function adamwCall(
  param: Tensor<"f32">,
  grad: Tensor<"f32">,
  expAvg: Tensor<"f32">,
  expAvgSq: Tensor<"f32">,
  hyperparameters: AdamWHyperparameters,
): KernelCall {
  const k = adamwFactors(hyperparameters);
  const floats = new Float32Array([
    0,
    k.decay,
    k.beta1,
    k.oneMinusBeta1,
    k.beta2,
    k.oneMinusBeta2,
    k.biasCorrection2Sqrt,
    k.eps,
    k.negativeStepSize,
    0,
    0,
    0,
  ]);
  const gpu = param.device;
  const max = gpu.limits.maxComputeWorkgroupsPerDimension;
  const alignment = gpu.limits.minStorageBufferOffsetAlignment;
  const rowElements = param.shape.length === 0 ? 1 : param.size / Math.max(1, param.shape[0]);
  const tensors = [param, grad, expAvg, expAvgSq];
  const dispatches: Dispatch[] = [];
  param.segments.forEach((segment, index) => {
    const count = segment.rows * rowElements;
    if (count === 0) return;
    const count4 = Math.floor(count / 4);
    const tailCount = count % 4;
    // The f32 view starts at the last offset the device accepts before the tail.
    const tailByte = Math.floor((count4 * 16) / alignment) * alignment;
    const uniforms = new Uint32Array(floats.buffer.slice(0));
    uniforms[0] = count4;
    uniforms[9] = tailCount;
    uniforms[10] = (count4 * 16 - tailByte) / 4;
    const storage: [number, GPUBufferBinding][] = [];
    tensors.forEach((tensor, k) => {
      const { buffer, offset } = tensor.segments[index];
      const whole = count4 > 0
        ? { buffer, offset, size: count4 * 16 }
        // No whole vec4 here: bind any 16 bytes the kernel will not touch.
        : tensor.size >= 4
        ? { buffer: tensor.segments[0].buffer, offset: tensor.segments[0].offset, size: 16 }
        : placeholder(gpu, tensor === grad);
      storage.push([1 + k, whole]);
      // Without a tail, any 4 bytes (untouched) fill the f32 bindings.
      const tail = tailCount > 0 ? count * 4 - tailByte : 4;
      storage.push([5 + k, {
        buffer,
        offset: tailCount > 0 ? offset + tailByte : offset,
        size: tail,
      }]);
    });
    dispatches.push({
      uniforms,
      grid: dispatchGrid(count4 + tailCount, max, WORKGROUP_SIZE),
      storage,
    });
  });
  return { kernel, run: { storage: [], dispatches } };
}
