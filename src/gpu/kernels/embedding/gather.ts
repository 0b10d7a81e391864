import { Tensor } from "../../tensor.ts";
import type { KernelCall, StorageResource } from "../compute_kernel.ts";
import {
  checkOutputSize,
  embeddingDispatches,
  embeddingProgram,
  tableBindings,
} from "./embedding_program.ts";
import { checkTableTensor, type TableDType } from "../tensor_checks.ts";
import { checkEmbeddingIds, type EmbeddingIds } from "../embedding_ids.ts";

/**
 * Token-embedding lookup on the GPU (`nn.Embedding`'s forward): `out[..., :] = table[ids[...], :]`
 * for ids of any shape and a table `[vocab, dim]`, giving `[...ids.shape, dim]`. Ids are checked
 * against the vocabulary before anything is dispatched. The table may be `f32` or `f16` (widened
 * to `f32`), and split into segments (see {@linkcode Tensor.segments}).
 *
 * @example
 * ```ts
 * import { gather, GpuDevice, Tensor } from "../../../../mod.ts";
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
  const checked = checkEmbeddingIds("ids", ids, vocab);
  const gpu = table.device;
  const shape = [...checked.shape, dim];
  checkOutputSize(gpu, "ids", shape);
  const out = await Tensor.zeros(gpu, shape, "f32", "gather output");
  try {
    const { kernel, run } = gatherCall(table, checked.data, out);
    await kernel.run(gpu, run);
  } catch (error) {
    out.dispose();
    throw error;
  }
  return out;
}

/**
 * The gather program's run writing `table[ids]` into `out` `[...ids.shape, dim]`, for ids
 * already checked: on the CPU (uploaded by the run) or a `u32` buffer on the device.
 */
export function gatherCall(
  table: Tensor<TableDType>,
  ids: StorageResource,
  out: Tensor<"f32">,
): KernelCall {
  const program = embeddingProgram("gather", table);
  const rows = out.size / Math.max(1, table.shape[1]);
  return {
    kernel: program.kernel,
    run: {
      storage: [[1, { buffer: out.buffer }], [3, ids], ...tableBindings(table)],
      dispatches: embeddingDispatches(table.device, program, rows, 1),
    },
  };
}
