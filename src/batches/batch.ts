/**
 * One batch of windows: row-major `[rows, seqLength]` inputs and targets (each target row is its
 * input row shifted by one token in the stream).
 *
 * Each batch has arrays of its own, valid for as long as it is kept. A loader or sampler made
 * with `reuseBuffers: true` instead refills one set of arrays for every batch: such a batch is
 * valid until the next one is produced, so copy what you keep (`batch.inputs.slice()`).
 *
 * The arrays are flat; `rows` and `seqLength` give their shape, and the embedding layers' `forward`
 * takes the batch itself (`embedding.forward(batch)` gives `[rows, seqLength, dim]`).
 */
export interface Batch {
  /** `[rows, seqLength]` input ids, row-major and contiguous. */
  inputs: Uint32Array;
  /** `[rows, seqLength]` target ids: `targets[r][i]` is the token after `inputs[r][i]`. */
  targets: Uint32Array;
  /** Each row's window start, a token offset in the dataset's `ids` (row `r` is `ids[starts[r], starts[r] + seqLength)`). */
  starts: Uint32Array;
  /** Rows in this batch: `batchSize`, or fewer only in a short last batch when `dropLast` is off. */
  rows: number;
  /** Tokens per row, the dataset's `maxLength`. */
  seqLength: number;
  /** This batch's index within the epoch on this rank, from 0 to `numBatches - 1`. */
  index: number;
}
