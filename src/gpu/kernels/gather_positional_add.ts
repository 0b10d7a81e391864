import code from "../../../shaders/gather_positional_add.wgsl" with { type: "text" };
import { InputError } from "../../errors.ts";
import { Tensor } from "../tensor.ts";
import { ComputeKernel } from "./compute_kernel.ts";
import { checkPositions } from "./positional_add.ts";
import { checkFloatTensor, sameDevice } from "./tensor_checks.ts";
import { checkTokenIds, type EmbeddingIds } from "./token_ids.ts";

/** The fused program (exported for benchmarks and tests). */
export const gatherPositionalAddKernel: ComputeKernel = new ComputeKernel(
  "gather + positional add",
  code,
);

/**
 * The book's input embeddings in one GPU pass (token lookup fused with the positional add):
 * `out[b, t, :] = table[ids[b, t], :] + positions[t, :]` for ids `[..., seq]`, a token table
 * `[vocab, dim]` and a positional table `[rows >= seq, dim]`. Equal to {@linkcode gather}
 * followed by {@linkcode positionalAdd}, without the intermediate tensor.
 *
 * @example
 * ```ts
 * import { gatherPositionalAdd, GpuDevice, Tensor } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const gpu = await GpuDevice.shared();
 * using table = await Tensor.from(gpu, [[0, 0], [1, 1], [2, 2]]);
 * using positions = await Tensor.from(gpu, [[0.5, 0.25], [10, 20]]);
 * using out = await gatherPositionalAdd([[2, 1], [0, 0]], table, positions);
 * assert.deepEqual(await out.toArray(), [[[2.5, 2.25], [11, 21]], [[0.5, 0.25], [10, 20]]]);
 * ```
 *
 * @param ids Token ids in `[0, vocab)`, shape `[..., seq]`.
 * @param table The token table, `f32 [vocab, dim]`.
 * @param positions The positional table, `f32 [rows >= seq, dim]`.
 * @returns A new tensor `[...ids.shape, dim]`; dispose it when done.
 */
export async function gatherPositionalAdd(
  ids: EmbeddingIds,
  table: Tensor<"f32">,
  positions: Tensor<"f32">,
): Promise<Tensor<"f32">> {
  checkFloatTensor("table", table, { exactly: 2 });
  checkFloatTensor("positions", positions, { exactly: 2 });
  const gpu = sameDevice({ table, positions });
  const [vocab, dim] = table.shape;
  const checked = checkTokenIds("ids", ids, vocab);
  if (checked.shape.length === 0) {
    throw new InputError("ids", "must have at least one dimension (the sequence)");
  }
  const seq = checked.shape[checked.shape.length - 1];
  checkPositions(positions, seq, dim);
  const chunks = Math.ceil(dim / 4);
  const total = checked.data.length * chunks;
  const out = await Tensor.zeros(gpu, [...checked.shape, dim], "f32", "input embeddings");
  try {
    await gatherPositionalAddKernel.run(gpu, {
      uniforms: Uint32Array.of(total, dim, chunks, seq),
      storage: [checked.data, table.buffer, positions.buffer, out.buffer],
      invocations: total,
    });
  } catch (error) {
    out.dispose();
    throw error;
  }
  return out;
}
