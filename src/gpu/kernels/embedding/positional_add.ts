import code from "../../../../shaders/embedding/positional_add.wgsl" with { type: "text" };
import { InputError } from "../../../util/errors.ts";
import { Tensor } from "../../tensor.ts";
import { ComputeKernel, dispatchGrid, type KernelCall } from "../compute_kernel.ts";
import { checkOutputSize } from "./embedding_program.ts";
import { checkFloatTensor, checkOneBinding, sameDevice } from "../tensor_checks.ts";

const positionalAddKernel = new ComputeKernel("positional add", code);

/**
 * Adds absolute positional embeddings on the GPU: `out[b, t, :] = x[b, t, :] + positions[t, :]`
 * for `x` `[..., seq, dim]` and `positions` `[rows, dim]` with `rows >= seq` (the first `seq`
 * rows are used, as the book's `pos_embedding_layer(torch.arange(seq))`), broadcast over the
 * leading dimensions.
 *
 * @example
 * ```ts
 * import { GpuDevice, positionalAdd, Tensor } from "../../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const gpu = await GpuDevice.shared();
 * using x = await Tensor.from(gpu, [[[1, 1], [2, 2]], [[3, 3], [4, 4]]]);
 * using positions = await Tensor.from(gpu, [[0.5, -0.5], [10, 20], [99, 99]]);
 * using out = await positionalAdd(x, positions);
 * assert.deepEqual(await out.toArray(), [[[1.5, 0.5], [12, 22]], [[3.5, 2.5], [14, 24]]]);
 * ```
 *
 * @param x Embeddings `f32 [..., seq, dim]`.
 * @param positions The positional table `f32 [rows >= seq, dim]`.
 * @returns A new tensor shaped like `x`; dispose it when done.
 */
export async function positionalAdd(
  x: Tensor<"f32">,
  positions: Tensor<"f32">,
): Promise<Tensor<"f32">> {
  checkFloatTensor("x", x, { atLeast: 2 });
  checkFloatTensor("positions", positions, { exactly: 2 });
  const gpu = sameDevice({ x, positions });
  const [seq, dim] = x.shape.slice(-2);
  checkPositions(positions, seq, dim);
  checkOneBinding("x", x);
  checkOneBinding("positions", positions);
  checkOutputSize(gpu, "x", x.shape);
  const out = await Tensor.zeros(gpu, x.shape, "f32", "positional add output");
  try {
    const { kernel, run } = positionalAddCall(x, positions, out);
    await kernel.run(gpu, run);
  } catch (error) {
    out.dispose();
    throw error;
  }
  return out;
}

/** The positional-add program's run writing `x + positions` into `out`, for checked inputs. */
export function positionalAddCall(
  x: Tensor<"f32">,
  positions: Tensor<"f32">,
  out: Tensor<"f32">,
): KernelCall {
  const [seq, dim] = x.shape.slice(-2);
  const chunks = Math.ceil(dim / 4);
  const rows = dim === 0 ? 0 : x.size / dim;
  const total = rows * chunks;
  const grid = dispatchGrid(total, x.device.limits.maxComputeWorkgroupsPerDimension);
  return {
    kernel: positionalAddKernel,
    run: {
      storage: [
        [1, { buffer: x.buffer }],
        [2, { buffer: positions.buffer }],
        [3, { buffer: out.buffer }],
      ],
      dispatches: [{ uniforms: Uint32Array.of(total, dim, chunks, seq), grid }],
    },
  };
}

/** Throws unless the positional table has `dim` columns and at least `seq` rows. */
export function checkPositions(positions: Tensor<"f32">, seq: number, dim: number): void {
  const [rows, columns] = positions.shape;
  if (columns !== dim) {
    throw new InputError(
      "positions",
      `must have ${dim} columns (the embedding dimension), got shape [${rows}, ${columns}]`,
    );
  }
  if (rows < seq) {
    throw new InputError(
      "positions",
      `has ${rows} rows (the context length), fewer than the sequence length ${seq}`,
    );
  }
}
