import { InputError } from "../util/errors.ts";
import { checkInteger, describe } from "../util/checks.ts";
import { BatchBuffers, batchesPerEpoch, windowOrder } from "./_epoch_batches.ts";
import { MAX_SEED } from "../util/prng.ts";
import { WindowDataset } from "../windows/window_dataset.ts";
import type { Batch } from "./batch.ts";
import { checkLoaderOptions, type DataLoaderOptions, EpochLoader } from "./epoch_loader.ts";

/**
 * Batches of a {@linkcode WindowDataset}, as PyTorch's `DataLoader` over the book's `GPTDatasetV1`:
 * without shuffling, batch `b` holds windows `b * batchSize` to `(b + 1) * batchSize - 1`, which
 * reproduces the book's batches exactly.
 *
 * - **Arrays**: every batch has `inputs`, `targets` and `starts` of its own, valid as long as
 *   it is kept (`[...loader]` holds every batch of the epoch). With `reuseBuffers: true` an
 *   iteration refills one set for every batch instead, which saves an allocation per batch; see
 *   {@linkcode Batch}.
 * - **Shuffling** permutes the window indices with a seeded `xoshiro128**` generator whose stream is
 *   the epoch: the same `(seed, epoch)` always gives the same order, each epoch a different one.
 *   The order is *not* PyTorch's `torch.randperm` order for the same seed. It keeps one
 *   `Uint32Array` of window indices (4 bytes per window) per iteration.
 * - **Short last batch**: kept (with `rows < batchSize`) unless `dropLast`.
 * - **Sharding** for data-parallel training: the epoch's batches (after `dropLast`) are dealt out
 *   round-robin, global batch `g` going to rank `g % worldSize`, and the last
 *   `(batches % worldSize)` batches are **dropped**, so that every rank gets the same number,
 *   `floor(batches / worldSize)`, and no window is seen twice in an epoch. PyTorch's
 *   `DistributedSampler` instead **pads** by default (it repeats windows from the start of the
 *   epoch so that all ranks get `ceil(windows / worldSize)` of them) and shards windows rather than
 *   batches. All ranks must use the same seed; with shuffling, which batches are dropped changes
 *   every epoch.
 * - An epoch with no batch at all (more `batchSize` than windows with `dropLast`, or more ranks
 *   than batches) is an {@linkcode InputError}, not a silently empty loop.
 *
 * @example The book's batches of four windows (max length 4, stride 4)
 * ```ts
 * import { DataLoader, WindowDataset } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const ids = Uint32Array.from({ length: 21 }, (_, i) => 100 + i);
 * const dataset = new WindowDataset(ids, { maxLength: 4, stride: 4 });
 * const loader = new DataLoader(dataset, { batchSize: 2 });
 * assert.equal(loader.numBatches, 3);
 * const [first] = loader;
 * assert.deepEqual([...first.inputs], [100, 101, 102, 103, 104, 105, 106, 107]);
 * assert.deepEqual([...first.targets], [101, 102, 103, 104, 105, 106, 107, 108]);
 * assert.deepEqual([...first.starts], [0, 4]);
 * ```
 *
 * @example Several shuffled epochs, and two ranks
 * ```ts
 * import { DataLoader, WindowDataset } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const dataset = new WindowDataset(new Uint32Array(101), { maxLength: 4, stride: 1 });
 * const options = { batchSize: 8, shuffle: true, seed: 123, dropLast: true, worldSize: 2 };
 * const rank0 = new DataLoader(dataset, { ...options, rank: 0 });
 * const rank1 = new DataLoader(dataset, { ...options, rank: 1 });
 * assert.equal(rank0.numBatches, 6); // 97 windows → 12 full batches → 6 per rank
 * for (let epoch = 0; epoch < 3; epoch++) {
 *   const seen = new Set<number>();
 *   for (const loader of [rank0, rank1]) {
 *     for (const batch of loader.batches(epoch)) batch.starts.forEach((s) => seen.add(s));
 *   }
 *   assert.equal(seen.size, 96); // disjoint ranks; one window dropped with the short batch
 * }
 * ```
 */
export class DataLoader extends EpochLoader implements Iterable<Batch>, AsyncIterable<Batch> {
  readonly #dataset: WindowDataset;

  /**
   * A loader over `dataset`; bad options are an {@linkcode InputError} naming the option.
   *
   * @param dataset The windows to batch.
   * @param options `batchSize` and the optional `shuffle`, `seed`, `dropLast`, `rank`, `worldSize`.
   */
  constructor(dataset: WindowDataset, options: DataLoaderOptions) {
    if (!(dataset instanceof WindowDataset)) {
      throw new InputError("dataset", `must be a WindowDataset, got ${describe(dataset)}`);
    }
    const settings = checkLoaderOptions(options);
    const { batchSize, dropLast } = settings;
    const windows = dataset.length;
    const epochBatches = batchesPerEpoch(windows, batchSize, dropLast);
    if (epochBatches === 0) {
      throw new InputError(
        "batchSize",
        `is ${batchSize}, more than the dataset's ${windows} windows, and the one short batch is ` +
          `dropped: no batch is left (use a batchSize <= ${windows}, or dropLast: false)`,
      );
    }
    super(settings, epochBatches);
    this.#dataset = dataset;
  }

  /** The dataset whose windows this loader batches. */
  get dataset(): WindowDataset {
    return this.#dataset;
  }

  /**
   * The batches of one epoch on this rank; with `shuffle`, in the order derived from
   * `(seed, epoch)`. Each call iterates independently, with buffers of its own.
   *
   * @param epoch An integer in `[0, 2^32 - 1]`. Default: `0`.
   */
  batches(epoch = 0): IterableIterator<Batch> {
    checkInteger("epoch", epoch, 0, MAX_SEED);
    return this.#epoch(epoch);
  }

  *#epoch(epoch: number): IterableIterator<Batch> {
    const { batchSize, shuffle, seed, rank, worldSize } = this.settings;
    const { ids, maxLength: seqLength, stride, length: windows } = this.#dataset;
    const order = shuffle ? windowOrder(windows, seed, epoch) : undefined;
    // sized from the data: no batch holds more rows than there are windows
    const buffers = new BatchBuffers(Math.min(batchSize, windows), seqLength, this.reuseBuffers);
    for (let index = 0; index < this.numBatches; index++) {
      const first = (index * worldSize + rank) * batchSize;
      yield buffers.fill(ids, stride, order, first, Math.min(batchSize, windows - first), index);
    }
  }

  /** The batches of epoch 0. */
  [Symbol.iterator](): IterableIterator<Batch> {
    return this.batches(0);
  }

  /** The batches of epoch 0, for `for await`; for another epoch use `for await (… of loader.batches(epoch))`. */
  async *[Symbol.asyncIterator](): AsyncIterableIterator<Batch> {
    yield* this.batches(0);
  }
}
