import { InputError } from "../util/errors.ts";
import { checkBoolean, checkInteger, checkOptions, describe } from "../util/checks.ts";
import {
  BatchBuffers,
  batchesPerEpoch,
  checkEveryRankHasBatches,
  windowOrder,
} from "./_epoch_batches.ts";
import { checkSeed, MAX_SEED } from "../util/prng.ts";
import { WindowDataset } from "../windows/window_dataset.ts";
import type { Batch } from "./batch.ts";

/** Options of {@linkcode DataLoader}. */
export interface DataLoaderOptions {
  /** Windows per batch, an integer >= 1. */
  batchSize: number;
  /** Visit the windows in a seeded random order, a new one each epoch. Default: `false`. */
  shuffle?: boolean;
  /** The shuffle seed, an integer in `[0, 2^32 - 1]`; ignored without `shuffle`. Default: `0`. */
  seed?: number;
  /**
   * Drop the last batch of an epoch when it has fewer than `batchSize` windows. Default: `false`,
   * as PyTorch's `DataLoader` (the book's `create_dataloader_v1`, and so
   * {@linkcode createDataLoaderV1}, drops it).
   */
  dropLast?: boolean;
  /** This process's rank for data-parallel training, an integer in `[0, worldSize - 1]`. Default: `0`. */
  rank?: number;
  /** The number of data-parallel ranks, an integer >= 1. Default: `1`. */
  worldSize?: number;
}

/** Loader options with the defaults filled in. */
export interface LoaderSettings {
  batchSize: number;
  shuffle: boolean;
  seed: number;
  dropLast: boolean;
  rank: number;
  worldSize: number;
}

/** Validates loader options and fills in the defaults; throws an {@linkcode InputError} naming a bad one. */
export function checkLoaderOptions(options: DataLoaderOptions): LoaderSettings {
  checkOptions(options, "{ batchSize, ... }");
  const { batchSize, shuffle, seed = 0, dropLast, rank = 0, worldSize = 1 } = options;
  checkInteger("batchSize", batchSize, 1);
  checkBoolean("shuffle", shuffle);
  checkSeed("seed", seed);
  checkBoolean("dropLast", dropLast);
  checkInteger("worldSize", worldSize, 1);
  if (typeof rank !== "number" || !Number.isInteger(rank) || rank < 0 || rank >= worldSize) {
    throw new InputError(
      "rank",
      `must be an integer in [0, worldSize - 1] = [0, ${worldSize - 1}], got ${describe(rank)}`,
    );
  }
  return {
    batchSize,
    shuffle: shuffle ?? false,
    seed,
    dropLast: dropLast ?? false,
    rank,
    worldSize,
  };
}

/**
 * Batches of a {@linkcode WindowDataset}, as PyTorch's `DataLoader` over the book's `GPTDatasetV1`:
 * without shuffling, batch `b` holds windows `b * batchSize` to `(b + 1) * batchSize - 1`, which
 * reproduces the book's batches exactly.
 *
 * - **Buffers**: each iteration (each call of {@linkcode DataLoader.batches}) allocates its
 *   `inputs`, `targets` and `starts` once and refills them for every batch; see {@linkcode Batch}.
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
export class DataLoader implements Iterable<Batch>, AsyncIterable<Batch> {
  readonly #dataset: WindowDataset;
  readonly #settings: LoaderSettings;
  readonly #numBatches: number;

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
    const { batchSize, dropLast, worldSize } = settings;
    const windows = dataset.length;
    const epochBatches = batchesPerEpoch(windows, batchSize, dropLast);
    if (epochBatches === 0) {
      throw new InputError(
        "batchSize",
        `is ${batchSize}, more than the dataset's ${windows} windows, and dropLast drops the one ` +
          `short batch: no batch is left (use a batchSize <= ${windows}, or dropLast: false)`,
      );
    }
    checkEveryRankHasBatches(epochBatches, worldSize);
    this.#dataset = dataset;
    this.#settings = settings;
    this.#numBatches = Math.floor(epochBatches / worldSize);
  }

  /** The dataset whose windows this loader batches. */
  get dataset(): WindowDataset {
    return this.#dataset;
  }

  /** Windows per (full) batch. */
  get batchSize(): number {
    return this.#settings.batchSize;
  }

  /** Whether each epoch visits the windows in a seeded random order. */
  get shuffle(): boolean {
    return this.#settings.shuffle;
  }

  /** The shuffle seed. */
  get seed(): number {
    return this.#settings.seed;
  }

  /** Whether a short last batch is dropped. */
  get dropLast(): boolean {
    return this.#settings.dropLast;
  }

  /** This loader's rank among `worldSize` data-parallel ranks. */
  get rank(): number {
    return this.#settings.rank;
  }

  /** The number of data-parallel ranks. */
  get worldSize(): number {
    return this.#settings.worldSize;
  }

  /** Batches per epoch on this rank, the same for every epoch and every rank. */
  get numBatches(): number {
    return this.#numBatches;
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
    const { batchSize, shuffle, seed, rank, worldSize } = this.#settings;
    const { ids, maxLength: seqLength, stride, length: windows } = this.#dataset;
    const order = shuffle ? windowOrder(windows, seed, epoch) : undefined;
    const buffers = new BatchBuffers(batchSize, seqLength);
    for (let index = 0; index < this.#numBatches; index++) {
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
