import { InputError } from "../../../util/errors.ts";
import { Tensor } from "../../tensor.ts";
import type { KernelCall, StorageResource } from "../compute_kernel.ts";
import {
  checkOutputSize,
  embeddingDispatches,
  embeddingProgram,
  type ProgramOptions,
  streamBindings,
  tableBindings,
} from "./embedding_program.ts";
import { checkPositions } from "./positional_add.ts";
import {
  checkFloatTensor,
  checkOneBinding,
  checkTableTensor,
  sameDevice,
  type TableDType,
} from "../tensor_checks.ts";
import { checkEmbeddingIds, type EmbeddingIds } from "../embedding_ids.ts";

/**
 * The book's input embeddings in one GPU pass (token lookup fused with the positional add):
 * `out[b, t, :] = table[ids[b, t], :] + positions[t, :]` for ids `[..., seq]`, a token table
 * `[vocab, dim]` (`f32` or `f16`, in one or more segments) and a positional table
 * `[rows >= seq, dim]`. Equal to {@linkcode gather} followed by {@linkcode positionalAdd},
 * without the intermediate tensor.
 *
 * @example
 * ```ts
 * import { gatherPositionalAdd, GpuDevice, Tensor } from "../../../../mod.ts";
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
  const checked = checkEmbeddingIds("ids", ids, vocab);
  if (checked.shape.length === 0) {
    throw new InputError("ids", "must have at least one dimension (the sequence)");
  }
  const seq = checked.shape[checked.shape.length - 1];
  checkPositions(positions, seq, dim);
  checkOneBinding("positions", positions);
  const shape = [...checked.shape, dim];
  checkOutputSize(gpu, "ids", shape);
  const out = await Tensor.zeros(gpu, shape, "f32", "input embeddings");
  try {
    const { kernel, run } = gatherPositionalAddCall(table, positions, checked.data, out);
    await kernel.run(gpu, run);
  } catch (error) {
    out.dispose();
    throw error;
  }
  return out;
}

/** Options of {@linkcode gatherPositionalAddCall}. */
export interface FusedCallOptions extends ProgramOptions {
  /** Read the ids from this GPU-resident stream; `ids` are then the windows' starts. */
  stream?: Tensor<"u32">;
}

/**
 * The fused program's run writing `table[ids] + positions` into `out` `[..., seq, dim]`, for
 * inputs already checked. `ids` (`[..., seq]`, or with `stream` one start per window) are on
 * the CPU (uploaded by the run) or a `u32` buffer on the device.
 */
export function gatherPositionalAddCall(
  table: Tensor<TableDType>,
  positions: Tensor<"f32">,
  ids: StorageResource,
  out: Tensor<"f32">,
  options: FusedCallOptions = {},
): KernelCall {
  const { stream } = options;
  const program = embeddingProgram("fused", table, stream, options);
  const [seq, dim] = out.shape.slice(-2);
  const rows = seq * dim === 0 ? 0 : out.size / (seq * dim);
  return {
    kernel: program.kernel,
    run: {
      storage: [
        [1, { buffer: out.buffer }],
        [2, { buffer: positions.buffer }],
        [3, ids],
        ...tableBindings(table),
        ...(stream === undefined ? [] : streamBindings(stream)),
      ],
      dispatches: embeddingDispatches(table.device, program, rows, seq),
    },
  };
}
