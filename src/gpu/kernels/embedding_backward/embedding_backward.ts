import { InputError } from "../../../util/errors.ts";
import type { Tensor } from "../../tensor.ts";
import type { Dispatch, KernelCall } from "../compute_kernel.ts";
import { segmentBinding } from "../segments.ts";
import { checkFloatTensor, checkOneBinding, sameDevice } from "../tensor_checks.ts";
import { checkEmbeddingIds, type EmbeddingIds } from "../embedding_ids.ts";
import { backwardProgram } from "./_program.ts";

/**
 * Token-embedding backward on the GPU (`nn.Embedding`'s gradient): for every row of
 * `gradOutput` `[...ids.shape, dim]`, adds it to row `ids[...]` of `grad` `[vocab, dim]`, so a
 * token that occurs k times gets k contributions; rows of ids that do not occur are left as
 * they are (zero after a reset, as PyTorch's dense gradient).
 *
 * Deterministic without atomics: the rows are grouped by id on the host (a counting sort of the
 * ids, which are on the CPU anyway), and one invocation per id and 4 columns adds that id's rows
 * in ascending order, from zero, then adds the sum to `grad` (PyTorch's order: `index_add_`
 * into zeros, then accumulation into `.grad`). Two runs give the same bits. `grad` may be
 * split into segments (see {@linkcode Tensor.segments}); `gradOutput` must fit one binding.
 *
 * @example Id 2 occurs twice: its rows add up; rows 0 and 3 stay zero
 * ```ts
 * import { embeddingBackward, GpuDevice, Tensor } from "../../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const gpu = await GpuDevice.shared();
 * using gradOutput = await Tensor.from(gpu, [[[1, 2], [10, 20], [100, 200]]]);
 * using grad = await Tensor.zeros(gpu, [4, 2]);
 * await embeddingBackward(gradOutput, [[2, 1, 2]], grad);
 * assert.deepEqual(await grad.toArray(), [[0, 0], [10, 20], [101, 202], [0, 0]]);
 * ```
 *
 * @param gradOutput The gradient of the lookup's output, `f32 [...ids.shape, dim]`.
 * @param ids The ids of the forward pass, in `[0, vocab)`.
 * @param grad The table's gradient, `f32 [vocab, dim]`, added to in place.
 */
export async function embeddingBackward(
  gradOutput: Tensor<"f32">,
  ids: EmbeddingIds,
  grad: Tensor<"f32">,
): Promise<void> {
  checkFloatTensor("gradOutput", gradOutput, { atLeast: 1 });
  checkFloatTensor("grad", grad, { exactly: 2 });
  const gpu = sameDevice({ gradOutput, grad });
  const [vocab, dim] = grad.shape;
  const checked = checkEmbeddingIds("ids", ids, vocab);
  const expected = [...checked.shape, dim];
  if (
    gradOutput.shape.length !== expected.length ||
    gradOutput.shape.some((d, i) => d !== expected[i])
  ) {
    throw new InputError(
      "gradOutput",
      `must have shape [${expected.join(", ")}] (the ids' shape and the table's dimension), ` +
        `got [${gradOutput.shape.join(", ")}]`,
    );
  }
  checkOneBinding("gradOutput", gradOutput);
  const { kernel, run } = embeddingBackwardCall(gradOutput, checked.data, grad);
  await kernel.run(gpu, run);
}

/**
 * The ids' rows grouped by id: the distinct ids ascending, where each one's rows start, and the
 * row numbers grouped by id (ascending within one), in one array (see token_backward.wgsl).
 */
export function groupRowsById(ids: Uint32Array, vocab: number): {
  plan: Uint32Array;
  uniqueIds: Uint32Array;
} {
  const counts = new Uint32Array(vocab);
  for (let i = 0; i < ids.length; i++) counts[ids[i]]++;
  let unique = 0;
  for (let id = 0; id < vocab; id++) if (counts[id] > 0) unique++;
  const plan = new Uint32Array(2 * unique + 1 + ids.length);
  const uniqueIds = plan.subarray(0, unique);
  const starts = plan.subarray(unique, 2 * unique + 1);
  const order = plan.subarray(2 * unique + 1);
  // Where each id's rows go in `order` (reusing `counts` as the running position).
  let u = 0;
  let next = 0;
  for (let id = 0; id < vocab; id++) {
    const count = counts[id];
    if (count === 0) continue;
    uniqueIds[u] = id;
    starts[u] = next;
    counts[id] = next;
    next += count;
    u++;
  }
  starts[unique] = next;
  for (let row = 0; row < ids.length; row++) order[counts[ids[row]]++] = row;
  return { plan, uniqueIds };
}

/**
 * The token backward program's run adding `gradOutput` `[rows, dim]` into `grad` by the checked
 * `ids` (`rows` of them): one dispatch per segment of `grad` that any id falls in.
 */
export function embeddingBackwardCall(
  gradOutput: Tensor<"f32">,
  ids: Uint32Array,
  grad: Tensor<"f32">,
): KernelCall {
  const [vocab, dim] = grad.shape;
  const program = backwardProgram("token", dim);
  const { plan, uniqueIds } = groupRowsById(ids, vocab);
  const max = grad.device.limits.maxComputeWorkgroupsPerDimension;
  const x = Math.ceil(program.chunks / program.workgroupSize);
  const dispatches: Dispatch[] = [];
  let u = 0;
  grad.segments.forEach((segment, index) => {
    const end = segment.firstRow + segment.rows;
    const first = u;
    while (u < uniqueIds.length && uniqueIds[u] < end) u++;
    for (let start = first; start < u; start += max) {
      const stop = Math.min(u, start + max);
      dispatches.push({
        uniforms: Uint32Array.of(uniqueIds.length, start, stop, segment.firstRow),
        grid: { x, y: stop - start },
        storage: [[2, segmentBinding(grad, index)]],
      });
    }
  });
  return {
    kernel: program.kernel,
    run: { storage: [[1, { buffer: gradOutput.buffer }], [3, plan]], dispatches },
  };
}
