import { Tensor } from "../tensor.ts";
import {
  checkOutputSize,
  embeddingDispatches,
  embeddingProgram,
  tableBindings,
  type TableDType,
} from "./embedding_program.ts";
import { checkTableTensor } from "./tensor_checks.ts";
import { checkTokenIds, type EmbeddingIds } from "./token_ids.ts";

/**
 * Token-embedding lookup on the GPU (`nn.Embedding`'s forward): `out[..., :] = table[ids[...], :]`
 * for ids of any shape and a table `[vocab, dim]`, giving `[...ids.shape, dim]`. Ids are checked
 * against the vocabulary before anything is dispatched. The table may be `f32` or `f16` (widened
 * to `f32`), and split into segments (see {@linkcode Tensor.segments}).
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
 * @param table The embedding table, `f32` or `f16` `[vocab, dim]`.
 * @returns A new `f32` tensor `[...ids.shape, dim]`; dispose it when done.
 */
export async function gather(
  ids: EmbeddingIds,
  table: Tensor<TableDType>,
): Promise<Tensor<"f32">> {
  checkTableTensor("table", table);
  const [vocab, dim] = table.shape;
  const checked = checkTokenIds("ids", ids, vocab);
  const gpu = table.device;
  const shape = [...checked.shape, dim];
  checkOutputSize(gpu, "ids", shape);
  const program = embeddingProgram("gather", table);
  const out = await Tensor.zeros(gpu, shape, "f32", "gather output");
  try {
    await program.kernel.run(gpu, {
      storage: [[1, { buffer: out.buffer }], [3, checked.data], ...tableBindings(table)],
      dispatches: embeddingDispatches(gpu, program, checked.data.length, 1),
    });
  } catch (error) {
    out.dispose();
    throw error;
  }
  return out;
}
