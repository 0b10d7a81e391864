// What the data loaders share: how many batches an epoch has, the seeded window order, and the
// buffers a batch is gathered into. The in-memory DataLoader and the shard loader use the same
// pieces, so that a shard's batches are exactly the in-memory loader's batches of that shard.
import type { Batch } from "./batch.ts";
import { InputError } from "../util/errors.ts";
import type { TokenArray } from "../tokenize/token_ids.ts";
import { gatherWindows } from "./_gather_windows.ts";
import { Prng } from "../util/prng.ts";

/** Batches of `batchSize` windows in one epoch over `windows` windows: a short last one is kept unless `dropLast`. */
export function batchesPerEpoch(windows: number, batchSize: number, dropLast: boolean): number {
  return dropLast ? Math.floor(windows / batchSize) : Math.ceil(windows / batchSize);
}

/**
 * Throws an {@linkcode InputError} unless an epoch's `epochBatches` give every one of the
 * `worldSize` ranks at least one batch (each rank gets `floor(epochBatches / worldSize)`).
 */
export function checkEveryRankHasBatches(epochBatches: number, worldSize: number): void {
  if (epochBatches < worldSize) {
    throw new InputError(
      "worldSize",
      `is ${worldSize}, more than the ${epochBatches} batches of an epoch, so a rank would get no ` +
        `batch (each rank gets floor(${epochBatches} / worldSize)); use fewer ranks or a smaller batchSize`,
    );
  }
}

/**
 * The shuffled window order of an epoch: `0, 1, …, windows - 1` permuted by Fisher–Yates with the
 * generator `(seed, stream = epoch)`.
 *
 * @example
 * ```ts
 * import { windowOrder } from "./_epoch_batches.ts";
 * import assert from "node:assert/strict";
 *
 * const order = windowOrder(10, 123, 0);
 * assert.deepEqual([...order].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
 * assert.deepEqual(windowOrder(10, 123, 0), order);
 * ```
 */
export function windowOrder(windows: number, seed: number, epoch: number): Uint32Array {
  const order = new Uint32Array(windows);
  for (let w = 0; w < windows; w++) order[w] = w;
  return new Prng(seed, epoch).shuffle(order);
}

/**
 * The `inputs`, `targets` and `starts` of one iteration's batches: new arrays for every batch,
 * or, with `reuse`, one set allocated for full batches and refilled for every batch (a short
 * batch gets views of its first rows).
 *
 * @example
 * ```ts
 * import { BatchBuffers } from "./_epoch_batches.ts";
 * import assert from "node:assert/strict";
 *
 * const ids = Uint32Array.of(10, 11, 12, 13, 14, 15, 16);
 * const fresh = new BatchBuffers(2, 3, false);
 * const batch = fresh.fill(ids, 2, undefined, 1, 2, 0); // windows 1 and 2 at stride 2
 * assert.deepEqual([...batch.starts], [2, 4]);
 * assert.deepEqual([...batch.inputs], [12, 13, 14, 14, 15, 16]);
 * assert.notEqual(fresh.fill(ids, 2, undefined, 0, 2, 1).inputs, batch.inputs);
 *
 * const reused = new BatchBuffers(2, 3, true);
 * assert.equal(reused.fill(ids, 2, undefined, 0, 2, 0).inputs, reused.fill(ids, 2, undefined, 1, 2, 1).inputs);
 * ```
 */
export class BatchBuffers {
  readonly #seqLength: number;
  readonly #reuse: boolean;
  #inputs: Uint32Array;
  #targets: Uint32Array;
  #starts: Uint32Array;

  constructor(batchSize: number, seqLength: number, reuse: boolean) {
    this.#seqLength = seqLength;
    this.#reuse = reuse;
    const rows = reuse ? batchSize : 0; // without reuse, each batch allocates its own
    this.#inputs = new Uint32Array(rows * seqLength);
    this.#targets = new Uint32Array(rows * seqLength);
    this.#starts = new Uint32Array(rows);
  }

  /**
   * Gathers windows `first … first + rows - 1` of the epoch's order (window `w` itself without
   * an order) over `ids` at `stride`.
   */
  fill(
    ids: TokenArray,
    stride: number,
    order: Uint32Array | undefined,
    first: number,
    rows: number,
    index: number,
  ): Batch {
    const seqLength = this.#seqLength;
    if (!this.#reuse) {
      this.#inputs = new Uint32Array(rows * seqLength);
      this.#targets = new Uint32Array(rows * seqLength);
      this.#starts = new Uint32Array(rows);
    }
    const starts = this.#starts;
    for (let row = 0; row < rows; row++) {
      starts[row] = (order === undefined ? first + row : order[first + row]) * stride;
    }
    gatherWindows(ids, starts, rows, seqLength, this.#inputs, this.#targets);
    return rows === this.#inputs.length / seqLength
      ? { inputs: this.#inputs, targets: this.#targets, starts, rows, seqLength, index }
      : {
        inputs: this.#inputs.subarray(0, rows * seqLength),
        targets: this.#targets.subarray(0, rows * seqLength),
        starts: starts.subarray(0, rows),
        rows,
        seqLength,
        index,
      };
  }
}
