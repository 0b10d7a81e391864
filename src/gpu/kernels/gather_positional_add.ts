import { InputError } from "../../errors.ts";
import { Tensor } from "../tensor.ts";
import {
  checkOutputSize,
  embeddingDispatches,
  embeddingProgram,
  tableBindings,
  type TableDType,
} from "./embedding_program.ts";
import { checkPositions } from "./positional_add.ts";
import {
  checkFloatTensor,
  checkOneBinding,
  checkTableTensor,
  sameDevice,
} from "./tensor_checks.ts";
import { checkTokenIds, type EmbeddingIds } from "./token_ids.ts";

/**
 * The book's input embeddings in one GPU pass (token lookup fused with the positional add):
 * `out[b, t, :] = table[ids[b, t], :] + positions[t, :]` for ids `[..., seq]`, a token table
 * `[vocab, dim]` (`f32` or `f16`, in one or more segments) and a positional table
 * `[rows >= seq, dim]`. Equal to {@linkcode gather} followed by {@linkcode positionalAdd},
 * without the intermediate tensor.
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
 * @param table The token table, `f32` or `f16` `[vocab, dim]`.
 * @param positions The positional table, `f32 [rows >= seq, dim]`.
 * @returns A new `f32` tensor `[...ids.shape, dim]`; dispose it when done.
 */
export async function gatherPositionalAdd(
  ids: EmbeddingIds,
  table: Tensor<TableDType>,
  positions: Tensor<"f32">,
): Promise<Tensor<"f32">> {
  checkTableTensor("table", table);
  checkFloatTensor("positions", positions, { exactly: 2 });
  const gpu = sameDevice({ table, positions });
  const [vocab, dim] = table.shape;
  const checked = checkTokenIds("ids", ids, vocab);
  if (checked.shape.length === 0) {
    throw new InputError("ids", "must have at least one dimension (the sequence)");
  }
  const seq = checked.shape[checked.shape.length - 1];
  checkPositions(positions, seq, dim);
  checkOneBinding("positions", positions);
  const shape = [...checked.shape, dim];
  checkOutputSize(gpu, "ids", shape);
  const program = embeddingProgram("fused", table);
  const out = await Tensor.zeros(gpu, shape, "f32", "input embeddings");
  try {
    await program.kernel.run(gpu, {
      storage: [
        [1, { buffer: out.buffer }],
        [2, { buffer: positions.buffer }],
        [3, checked.data],
        ...tableBindings(table),
      ],
      dispatches: embeddingDispatches(gpu, program, seq === 0 ? 0 : checked.data.length / seq, seq),
    });
  } catch (error) {
    out.dispose();
    throw error;
  }
  return out;
}
