import body from "../../../../shaders/softmax/softmax.wgsl" with { type: "text" };
import { Tensor } from "../../tensor.ts";
import { type Dispatch, type KernelCall, kernelFor } from "../compute_kernel.ts";
import { checkFloatTensor, checkOneBinding } from "../tensor_checks.ts";
import { rowReductionWgsl } from "../row_reduction.ts";

/**
 * Softmax over the last dimension on the GPU, as `F.softmax(x, dim=-1)`: max-subtracted (no
 * overflow for any finite input), each row reduced by one workgroup in a fixed order, so two
 * runs give the same bits. A row holding NaN or an infinity comes out as NaN throughout.
 *
 * @example Probabilities of the next token, to sample from
 * ```ts
 * import { GpuDevice, softmax, Tensor } from "../../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const gpu = await GpuDevice.shared();
 * using logits = await Tensor.from(gpu, [[0, Math.log(3)], [1000, 1000]]);
 * using probs = await softmax(logits);
 * const [a, b, c, d] = await probs.read();
 * assert.ok(Math.abs(a - 0.25) < 1e-7 && Math.abs(b - 0.75) < 1e-7);
 * assert.deepEqual([c, d], [0.5, 0.5]);
 * ```
 *
 * @param x Scores `f32 [..., vocab]`, in one storage binding.
 * @returns A new tensor shaped like `x`; dispose it when done.
 */
export async function softmax(x: Tensor<"f32">): Promise<Tensor<"f32">> {
  checkFloatTensor("x", x, { atLeast: 1 });
  checkOneBinding("x", x);
  const out = await Tensor.zeros(x.device, x.shape, "f32", "softmax output");
  try {
    const { kernel, run } = softmaxCall(x, out);
    await kernel.run(x.device, run);
  } catch (error) {
    out.dispose();
    throw error;
  }
  return out;
}

/** The softmax program's run writing `softmax(x)` into `out`, for checked tensors. */
export function softmaxCall(x: Tensor<"f32">, out: Tensor<"f32">): KernelCall {
  const vocab = x.shape[x.shape.length - 1];
  const rows = vocab === 0 ? 0 : x.size / vocab;
  const kernel = kernelFor(
    "softmax",
    [rowReductionWgsl(vocab), body].join("\n"),
  );
  const max = x.device.limits.maxComputeWorkgroupsPerDimension;
  const dispatches: Dispatch[] = [];
  for (let first = 0; first < rows; first += max) {
    dispatches.push({
      uniforms: Uint32Array.of(rows, first, 0, 0),
      grid: { x: Math.min(max, rows - first), y: 1 },
    });
  }
  return {
    kernel,
    run: { storage: [[1, { buffer: x.buffer }], [2, { buffer: out.buffer }]], dispatches },
  };
}
