import code from "../../../../shaders/adamw/adamw.wgsl" with { type: "text" };
import { InputError } from "../../../util/errors.ts";
import type { Tensor } from "../../tensor.ts";
import { type Dispatch, dispatchGrid, type KernelCall, kernelFor } from "../compute_kernel.ts";
import { checkSameLayout, segmentBinding } from "../segments.ts";
import { checkFloatTensor, sameDevice } from "../tensor_checks.ts";
import { adamwFactors, type AdamWHyperparameters } from "./cpu_reference.ts";

export type { AdamWHyperparameters };

const WORKGROUP_SIZE = 64;

const scalarKernel = kernelFor(
  "adamw",
  [`const WORKGROUP_SIZE: u32 = ${WORKGROUP_SIZE}u;`, "alias E = f32;", code].join("\n"),
);

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
      throw new InputError(name, `must be a number ${range}, got ${String(value)}`);
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
  const max = param.device.limits.maxComputeWorkgroupsPerDimension;
  const rowElements = param.shape.length === 0 ? 1 : param.size / Math.max(1, param.shape[0]);
  const dispatches: Dispatch[] = param.segments.map((segment, index) => {
    const count = segment.rows * rowElements;
    const uniforms = new Uint32Array(floats.buffer.slice(0));
    uniforms[0] = count;
    return {
      uniforms,
      grid: dispatchGrid(count, max, WORKGROUP_SIZE),
      storage: [
        [1, segmentBinding(param, index)],
        [2, segmentBinding(grad, index)],
        [3, segmentBinding(expAvg, index)],
        [4, segmentBinding(expAvgSq, index)],
      ],
    };
  });
  return { kernel: scalarKernel, run: { storage: [], dispatches } };
}
