import { InputError } from "../util/errors.ts";
import { checkBoolean, checkInteger, describe } from "../util/checks.ts";
import { BatchBuffers, batchesPerEpoch, windowOrder } from "./_epoch_batches.ts";
import { MAX_SEED, Prng } from "../util/prng.ts";
import { ShardDataset } from "../windows/shard_dataset.ts";
import type { TokenArray } from "../tokenize/token_ids.ts";
import type { WindowDataset } from "../windows/window_dataset.ts";
import type { Batch } from "./batch.ts";
import { checkLoaderOptions, type DataLoaderOptions, EpochLoader } from "./epoch_loader.ts";

/** Options of {@linkcode ShardDataLoader}: those of {@linkcode DataLoader}, and prefetching. */
export interface ShardDataLoaderOptions extends DataLoaderOptions {
  /**
   * Start reading the next shard an iteration needs when it starts on the current one, so that
   * the read overlaps the current shard's batches: at most two shards are held then instead of
   * one. Default: `true`.
   */
  prefetch?: boolean;
}

/**
 * A {@linkcode Batch} from one shard: every row comes from shard `shard` (a batch never mixes
 * shards), and `starts` are token offsets in that shard, i.e. in `ids`.
 */
export interface ShardBatch extends Batch {
  /** The shard every row comes from, an index in the dataset's `shards`. */
  shard: number;
  /**
   * The shard's tokens, as read (row `r` is `ids[starts[r], starts[r] + seqLength)`): a stage
   * that keeps the token stream on the GPU uploads it when `shard` changes and indexes it with
   * `starts`. The same array for every batch of the shard; a new one for the next shard.
   */
  ids: TokenArray;
}

interface Segment {
  /** The shard. */
  shard: number;
  /** This rank's first batch of the shard, an index among the shard's batches. */
  first: number;
  /** This rank's batches of the shard: `first`, `first + worldSize`, … */
  count: number;
}

/**
 * Batches of a {@linkcode ShardDataset}, read lazily: the {@linkcode DataLoader} over a folder
 * of token shards too large to hold at once. Iteration is asynchronous only (`for await`),
 * since shards are read from files.
 *
 * **An epoch** walks the shards one after the other, in order, or with `shuffle` in a
 * per-epoch shuffled order, and yields each shard's batches before moving on. A batch never
 * mixes shards (see {@linkcode ShardBatch}), and shard `k`'s batches are exactly those of the
 * in-memory loader over that shard, `new DataLoader(await dataset.load(k), { batchSize,
 * shuffle, seed: loader.shardSeed(k), dropLast }).batches(epoch)`: a short last batch per shard
 * is kept unless `dropLast`. Shards without a window are skipped.
 *
 * **Shuffling** here means two things, both seeded and new each epoch: the order of the shards
 * is the list permuted with the generator `(seed, epoch)` ({@linkcode ShardDataLoader.shardOrder}),
 * and the windows of shard `k` are permuted as {@linkcode DataLoader} permutes them, with the
 * seed {@linkcode ShardDataLoader.shardSeed}`(k)` and the epoch. Unlike the in-memory loader,
 * which permutes all windows together, windows of different shards never share a batch and the
 * batches of one shard come together: shards of well-mixed documents make this matter little,
 * as for llm.c's loader, which also shuffles shards and windows within a shard.
 *
 * **Memory**: one shard's tokens (2 bytes a token for version 1, 4 for version 2; 200 MB for a
 * 100,000,000-token gpt2 shard), two while `prefetch` reads the next one, plus, when shuffling,
 * the current shard's window order (4 bytes a window), plus the batch buffers (2 × batchSize ×
 * maxLength × 4 bytes). Never all shards: a shard's tokens are dropped when the iteration moves
 * on (unless you keep a batch's `ids`). Each epoch reads its shards again.
 *
 * **Sharding** (`rank`, `worldSize`) is the in-memory loader's: the epoch's batches, in the
 * epoch's order across all shards, are dealt round-robin (global batch `g` to rank
 * `g % worldSize`) and the last `batches % worldSize` are dropped, so that every rank gets the
 * same {@linkcode ShardDataLoader.numBatches} and no window is used twice in an epoch. That count
 * comes from the headers: `floor(Σₖ batchesₖ / worldSize)`, where shard `k` has
 * `ceil(windowsₖ / batchSize)` batches (`floor` with `dropLast`). All ranks
 * use the same seed; each reads only the shards that hold one of its batches.
 *
 * @example Two shards, shuffled, over several epochs
 * ```ts
 * import { ShardDataLoader, ShardDataset, writeShard } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * await Deno.mkdir(".tmp", { recursive: true });
 * const dir = await Deno.makeTempDir({ dir: ".tmp" });
 * await writeShard(`${dir}/train_000001.bin`, Array.from({ length: 41 }, (_, i) => i));
 * await writeShard(`${dir}/train_000002.bin`, Array.from({ length: 21 }, (_, i) => 100 + i));
 * const dataset = await ShardDataset.open(dir, { split: "train", maxLength: 4, stride: 4 });
 * const loader = new ShardDataLoader(dataset, { batchSize: 2, shuffle: true, seed: 7 });
 * assert.equal(loader.numBatches, 5 + 3); // 10 and 5 windows, short last batches kept
 * for (let epoch = 0; epoch < 2; epoch++) {
 *   for await (const batch of loader.batches(epoch)) {
 *     const { shard, ids, starts, inputs, targets } = batch;
 *     assert.equal(inputs[0], ids[starts[0]]); // starts are offsets in the batch's shard
 *     assert.equal(targets[3], inputs[3] + 1); // targets: the next token, within the shard
 *     assert.ok(shard === 0 ? inputs[0] < 100 : inputs[0] >= 100); // one shard per batch
 *   }
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class ShardDataLoader extends EpochLoader implements AsyncIterable<ShardBatch> {
  readonly #dataset: ShardDataset;
  readonly #prefetch: boolean;
  readonly #shardBatches: readonly number[];

  /**
   * A loader over `dataset`; bad options are an {@linkcode InputError} naming the option. The
   * number of batches comes from the shards' headers: nothing is read here.
   *
   * @param dataset The shards' windows.
   * @param options `batchSize` and the optional `shuffle`, `seed`, `dropLast`, `rank`,
   * `worldSize` and `prefetch`.
   */
  constructor(dataset: ShardDataset, options: ShardDataLoaderOptions) {
    if (!(dataset instanceof ShardDataset)) {
      throw new InputError("dataset", `must be a ShardDataset, got ${describe(dataset)}`);
    }
    const settings = checkLoaderOptions(options);
    checkBoolean("prefetch", options.prefetch);
    const { batchSize, dropLast } = settings;
    const shardBatches = dataset.shards.map((_, k) =>
      batchesPerEpoch(dataset.windowCount(k), batchSize, dropLast)
    );
    const epochBatches = shardBatches.reduce((sum, count) => sum + count, 0);
    if (epochBatches === 0) {
      const most = Math.max(...dataset.shards.map((_, k) => dataset.windowCount(k)));
      throw new InputError(
        "batchSize",
        `is ${batchSize}, more than any shard's windows (at most ${most}), and each shard's ` +
          `short batch is dropped: no batch is left (batches do not mix shards; use a ` +
          `batchSize <= ${most}, or dropLast: false)`,
      );
    }
    super(settings, epochBatches);
    this.#dataset = dataset;
    this.#prefetch = options.prefetch ?? true;
    this.#shardBatches = shardBatches;
  }

  /** The shards' windows this loader batches. */
  get dataset(): ShardDataset {
    return this.#dataset;
  }

  /** Whether the next shard is read while the current one's batches are used. */
  get prefetch(): boolean {
    return this.#prefetch;
  }

  /**
   * The seed of shard `shard`'s window order: the first draw of the generator `(seed, stream =
   * shard)`. Shard `k`'s batches in an epoch are those of a {@linkcode DataLoader} over its
   * windows with this seed and the same epoch.
   *
   * @param shard The shard's index in the dataset's `shards`.
   * @returns A seed in `[0, 2^32 - 1]`.
   */
  shardSeed(shard: number): number {
    checkInteger("shard", shard, 0, this.#dataset.shards.length - 1);
    return new Prng(this.settings.seed, shard).nextUint32();
  }

  /**
   * The shards an epoch visits, in order: every shard with a window, in the dataset's order, or
   * with `shuffle` the dataset's list permuted by Fisher–Yates with the generator `(seed,
   * epoch)` (shards without a window then left out).
   *
   * @param epoch An integer in `[0, 2^32 - 1]`. Default: `0`.
   * @returns Shard indices.
   */
  shardOrder(epoch = 0): number[] {
    checkInteger("epoch", epoch, 0, MAX_SEED);
    const order = this.#dataset.shards.map((_, k) => k);
    if (this.settings.shuffle) new Prng(this.settings.seed, epoch).shuffle(order);
    return order.filter((k) => this.#dataset.windowCount(k) > 0);
  }

  /**
   * The batches of one epoch on this rank, read shard by shard. Each call iterates
   * independently; each batch has arrays of its own (one set refilled for every batch with
   * `reuseBuffers`; see {@linkcode Batch}).
   *
   * @param epoch An integer in `[0, 2^32 - 1]`. Default: `0`.
   */
  batches(epoch = 0): AsyncIterableIterator<ShardBatch> {
    checkInteger("epoch", epoch, 0, MAX_SEED);
    return this.#epoch(epoch);
  }

  /** This rank's batches of an epoch, grouped by shard, in the order they come. */
  #segments(epoch: number): Segment[] {
    const { rank, worldSize } = this.settings;
    const kept = this.numBatches * worldSize; // the epoch's last batches % worldSize are dropped
    const segments: Segment[] = [];
    let offset = 0; // the epoch's index of the shard's first batch
    for (const shard of this.shardOrder(epoch)) {
      const batches = this.#shardBatches[shard];
      const end = Math.min(offset + batches, kept);
      const firstGlobal = offset + ((rank - (offset % worldSize)) + worldSize) % worldSize;
      if (firstGlobal < end) {
        segments.push({
          shard,
          first: firstGlobal - offset,
          count: Math.ceil((end - firstGlobal) / worldSize),
        });
      }
      offset += batches;
    }
    return segments;
  }

  async *#epoch(epoch: number): AsyncIterableIterator<ShardBatch> {
    const { batchSize, shuffle, worldSize } = this.settings;
    const segments = this.#segments(epoch);
    // sized from the data: no batch holds more rows than the largest shard has windows
    let rows = 0;
    for (let k = 0; k < this.#dataset.shards.length; k++) {
      rows = Math.max(rows, Math.min(batchSize, this.#dataset.windowCount(k)));
    }
    const buffers = new BatchBuffers(rows, this.#dataset.maxLength, this.reuseBuffers);
    const load = (segment: Segment | undefined): Promise<WindowDataset> | undefined => {
      const loading = segment === undefined ? undefined : this.#dataset.load(segment.shard);
      // a failed read surfaces when the iteration gets to that shard, not as an unhandled one
      loading?.catch(() => {});
      return loading;
    };
    let next = load(segments[0]);
    let index = 0;
    for (let s = 0; s < segments.length; s++) {
      const { shard, first, count } = segments[s];
      const windows = await (next ?? this.#dataset.load(shard));
      next = this.#prefetch ? load(segments[s + 1]) : undefined;
      const order = shuffle ? windowOrder(windows.length, this.shardSeed(shard), epoch) : undefined;
      for (let i = 0, local = first; i < count; i++, local += worldSize) {
        const start = local * batchSize;
        const rows = Math.min(batchSize, windows.length - start);
        const batch = buffers.fill(windows.ids, windows.stride, order, start, rows, index++);
        yield { ...batch, shard, ids: windows.ids };
      }
    }
  }

  /** The batches of epoch 0, for `for await`; for another epoch use `loader.batches(epoch)`. */
  [Symbol.asyncIterator](): AsyncIterableIterator<ShardBatch> {
    return this.batches(0);
  }
}
