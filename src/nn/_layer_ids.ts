// What the embedding layers' `forward` takes: the kernels' token ids, or a data loader's Batch,
// which carries its own shape (a flat `batch.inputs` alone would read as one long sequence).
import type { Batch } from "../batches/batch.ts";
import type { EmbeddingIds } from "../gpu/kernels/embedding_ids.ts";
import { InputError } from "../util/errors.ts";
import { describe } from "../util/checks.ts";

/** Token ids for an embedding layer: any {@linkcode EmbeddingIds}, or a whole {@linkcode Batch}. */
export type LayerIds = EmbeddingIds | Batch;

/** Whether `ids` is a batch (its `inputs` with `rows` and `seqLength`) rather than bare ids. */
function isBatch(ids: LayerIds): ids is Batch {
  return typeof ids === "object" && ids !== null && !Array.isArray(ids) &&
    !ArrayBuffer.isView(ids) && "inputs" in ids;
}

/**
 * The ids a kernel takes: a {@linkcode Batch} becomes its inputs shaped `[rows, seqLength]`;
 * anything else is passed on as it is (the kernels check it).
 */
export function layerIds(ids: LayerIds): EmbeddingIds {
  if (!isBatch(ids)) return ids;
  const { inputs, rows, seqLength } = ids;
  const data: unknown = inputs;
  if (!(data instanceof Uint32Array || data instanceof Int32Array)) {
    throw new InputError(
      "batch.inputs",
      `must be a Uint32Array or Int32Array, got ${describe(inputs)}`,
    );
  }
  for (const [name, value] of [["rows", rows], ["seqLength", seqLength]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new InputError(`batch.${name}`, `must be an integer >= 1, got ${describe(value)}`);
    }
  }
  if (inputs.length !== rows * seqLength) {
    throw new InputError(
      "batch.inputs",
      `holds ${inputs.length} ids, not rows × seqLength = ${rows} × ${seqLength}`,
    );
  }
  return { data: inputs, shape: [rows, seqLength] };
}

/**
 * Throws an {@linkcode InputError} for flat ids (a 1-D array) longer than `contextLength`: they
 * are one sequence, and most often a batch's `inputs` passed without the batch's shape.
 */
export function checkNotFlatBatch(ids: EmbeddingIds, contextLength: number): void {
  const flat = ArrayBuffer.isView(ids) ||
    (Array.isArray(ids) && ids.length > 0 && ids.every((id) => typeof id === "number"));
  const length = (ids as ArrayLike<number>).length;
  if (flat && length > contextLength) {
    throw new InputError(
      "ids",
      `is one flat sequence of ${length} ids, longer than contextLength ${contextLength}; for a ` +
        "batch pass the Batch itself, forward(batch), or its ids with their shape, " +
        "forward({ data: batch.inputs, shape: [batch.rows, batch.seqLength] })",
    );
  }
}
