import { InputError } from "../../../util/errors.ts";
import type { Tensor } from "../../tensor.ts";
import type { Dispatch, KernelCall } from "../compute_kernel.ts";
import { checkFloatTensor, checkOneBinding, sameDevice } from "../tensor_checks.ts";
import { backwardProgram } from "./_program.ts";

/**
 * Positional-embedding backward on the GPU: `grad[t, :] += Σ_b gradOutput[b, t, :]` for
 * `gradOutput` `[..., seq, dim]` (the leading dimensions are the batch) and `grad`
 * `[rows >= seq, dim]`; rows past `seq` are left as they are. The batch is summed in order
 * `b = 0, 1, …` from zero, so two runs give the same bits.
 *
 * @example
 * ```ts
 * import { GpuDevice, positionalBackward, Tensor } from "../../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const gpu = await GpuDevice.shared();
 * using gradOutput = await Tensor.from(gpu, [[[1, 2], [3, 4]], [[10, 20], [30, 40]]]);
 * using grad = await Tensor.zeros(gpu, [3, 2]);
 * await positionalBackward(gradOutput, grad);
 * assert.deepEqual(await grad.toArray(), [[11, 22], [33, 44], [0, 0]]);
 * ```
 *
 * @param gradOutput The gradient of the positional add's output, `f32 [..., seq, dim]`.
 * @param grad The position table's gradient, `f32 [rows >= seq, dim]`, added to in place.
 */
export async function positionalBackward(
  gradOutput: Tensor<"f32">,
  grad: Tensor<"f32">,
): Promise<void> {
  checkFloatTensor("gradOutput", gradOutput, { atLeast: 2 });
  checkFloatTensor("grad", grad, { exactly: 2 });
  const gpu = sameDevice({ gradOutput, grad });
  const [seq, dim] = gradOutput.shape.slice(-2);
  const [rows, columns] = grad.shape;
  if (columns !== dim || rows < seq) {
    throw new InputError(
      "grad",
      `must have at least ${seq} rows (the sequence length) and ${dim} columns, got ` +
        `[${grad.shape.join(", ")}]`,
    );
  }
  checkOneBinding("gradOutput", gradOutput);
  checkOneBinding("grad", grad);
  const { kernel, run } = positionalBackwardCall(gradOutput, grad);
  await kernel.run(gpu, run);
}

/** The positional backward program's run for checked tensors. */
export function positionalBackwardCall(gradOutput: Tensor<"f32">, grad: Tensor<"f32">): KernelCall {
  const [seq, dim] = gradOutput.shape.slice(-2);
  const batch = seq * dim === 0 ? 0 : gradOutput.size / (seq * dim);
  const program = backwardProgram("position", dim);
  const max = grad.device.limits.maxComputeWorkgroupsPerDimension;
  const x = Math.ceil(program.chunks / program.workgroupSize);
  const dispatches: Dispatch[] = [];
  if (batch > 0) {
    for (let first = 0; first < seq; first += max) {
      dispatches.push({
        uniforms: Uint32Array.of(batch, seq, first, 0),
        grid: { x, y: Math.min(max, seq - first) },
      });
    }
  }
  return {
    kernel: program.kernel,
    run: {
      storage: [[1, { buffer: gradOutput.buffer }], [2, { buffer: grad.buffer }]],
      dispatches,
    },
  };
}
