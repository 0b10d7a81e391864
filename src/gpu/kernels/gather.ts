import code from "../../../shaders/gather.wgsl" with { type: "text" };
import { Tensor } from "../tensor.ts";
import { ComputeKernel } from "./compute_kernel.ts";
import { checkFloatTensor } from "./tensor_checks.ts";
import { checkTokenIds, type EmbeddingIds } from "./token_ids.ts";

/** The gather program (exported for benchmarks and tests). */
export const gatherKernel: ComputeKernel = new ComputeKernel("gather", code);

/**
 * Token-embedding lookup on the GPU (`nn.Embedding`'s forward): `out[..., :] = table[ids[...], :]`
 * for ids of any shape and a table `[vocab, dim]`, giving `[...ids.shape, dim]`. Ids are checked
 * against the vocabulary before anything is dispatched.
 *
 * @example
 * ```ts
 * import { gather, GpuDevice, Tensor } from "../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const gpu = await GpuDevice.shared();
 * using table = await Tensor.from(gpu, [[0, 0.5], [1, 1.5], [2, 2.5]]);
 * using out = await gather([[2, 0]], table);
 * assert.deepEqual(out.shape, [1, 2, 2]);
 * assert.deepEqual([...await out.read()], [2, 2.5, 0, 0.5]);
 * await assert.rejects(gather([[3]], table), /ids\[0\]\[0\] is 3/);
 * ```
 *
 * @param ids Token ids in `[0, vocab)`.
 * @param table The embedding table, `f32 [vocab, dim]`.
 * @returns A new tensor `[...ids.shape, dim]`; dispose it when done.
 */
export async function gather(ids: EmbeddingIds, table: Tensor<"f32">): Promise<Tensor<"f32">> {
  checkFloatTensor("table", table, { exactly: 2 });
  const [vocab, dim] = table.shape;
  const checked = checkTokenIds("ids", ids, vocab);
  const chunks = Math.ceil(dim / 4);
  const total = checked.data.length * chunks;
  const gpu = table.device;
  const out = await Tensor.zeros(gpu, [...checked.shape, dim], "f32", "gather output");
  try {
    await gatherKernel.run(gpu, {
      uniforms: Uint32Array.of(total, dim, chunks),
      storage: [checked.data, table.buffer, out.buffer],
      invocations: total,
    });
  } catch (error) {
    out.dispose();
    throw error;
  }
  return out;
}
