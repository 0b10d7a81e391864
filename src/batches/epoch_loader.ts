// The core both data loaders share: their options, checked once, and how an epoch's batches are
// dealt to data-parallel ranks.
import { InputError } from "../util/errors.ts";
import { checkBoolean, checkInteger, checkOptions, describe } from "../util/checks.ts";
import { checkSeed } from "../util/prng.ts";
import { checkEveryRankHasBatches } from "./_epoch_batches.ts";

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
  /**
   * Refill one set of arrays for every batch of an iteration instead of giving each batch arrays
   * of its own: no allocation per batch, but a batch is valid only until the next one is
   * produced (copy what you keep). Default: `false`.
   */
  reuseBuffers?: boolean;
}

/** Loader options with the defaults filled in. */
export type LoaderSettings = Required<DataLoaderOptions>;

/** Validates loader options and fills in the defaults; throws an {@linkcode InputError} naming a bad one. */
export function checkLoaderOptions(options: DataLoaderOptions): LoaderSettings {
  checkOptions(options, "{ batchSize, ... }");
  const { batchSize, shuffle, seed = 0, dropLast, rank = 0, worldSize = 1, reuseBuffers } = options;
  checkInteger("batchSize", batchSize, 1);
  checkBoolean("shuffle", shuffle);
  checkSeed("seed", seed);
  checkBoolean("dropLast", dropLast);
  checkBoolean("reuseBuffers", reuseBuffers);
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
    reuseBuffers: reuseBuffers ?? false,
  };
}

/**
 * What {@linkcode DataLoader} and {@linkcode ShardDataLoader} share: the checked options and the
 * number of batches each rank gets in an epoch, `floor(epochBatches / worldSize)`.
 */
export abstract class EpochLoader {
  readonly #settings: LoaderSettings;
  readonly #numBatches: number;

  /**
   * Keeps checked settings; throws an {@linkcode InputError} when an epoch of `epochBatches`
   * batches leaves a rank without one.
   *
   * @param settings What {@linkcode checkLoaderOptions} returned.
   * @param epochBatches The batches of one epoch over all ranks.
   */
  protected constructor(settings: LoaderSettings, epochBatches: number) {
    checkEveryRankHasBatches(epochBatches, settings.worldSize);
    this.#settings = settings;
    this.#numBatches = Math.floor(epochBatches / settings.worldSize);
  }

  /** The options with their defaults filled in. */
  protected get settings(): LoaderSettings {
    return this.#settings;
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

  /** Whether a short last batch (of each shard, for shards) is dropped. */
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

  /** Whether an iteration refills one set of arrays for every batch (see the option). */
  get reuseBuffers(): boolean {
    return this.#settings.reuseBuffers;
  }

  /** Batches per epoch on this rank, the same for every epoch and every rank. */
  get numBatches(): number {
    return this.#numBatches;
  }
}
