import { InputError } from "../util/errors.ts";
import { checkBoolean, checkInteger, describe } from "../util/checks.ts";
import { gatherWindows } from "./_gather_windows.ts";
import { checkSeed, Prng } from "../util/prng.ts";
import { ShardDataset } from "../windows/shard_dataset.ts";
import type { Batch } from "./batch.ts";
import { BlockSampler } from "./block_sampler.ts";

/** Options of {@linkcode ShardBlockSampler}. */
export interface ShardBlockSamplerOptions {
  /** Blocks per batch, an integer >= 1. */
  batchSize: number;
  /** The seed, an integer in `[0, 2^32 - 1]`. Default: `0`. */
  seed?: number;
  /**
   * Refill one set of arrays for every draw instead of giving each batch arrays of its own: a
   * batch is then valid only until the next draw (copy what you keep). Default: `false`.
   */
  reuseBuffers?: boolean;
}

/**
 * A {@linkcode Batch} of random blocks from several shards: row `r` is the block at token
 * `starts[r]` of shard `shards[r]`.
 */
export interface ShardBlockBatch extends Batch {
  /** Each row's shard, an index in the dataset's `shards`; `starts[r]` is an offset in it. */
  shards: Uint32Array;
}

const ZERO = Uint32Array.of(0);

/**
 * The {@linkcode RandomBlockSampler} over a {@linkcode ShardDataset}: each batch draws
 * `batchSize` seeded, independent, uniform blocks among **all** block positions of all shards,
 * where shard `k` has the starts `[0, tokenCountₖ - maxLength - 1]` (any token; the dataset's
 * stride is not used) and a block never crosses a shard's end. Rows of one batch may come from
 * different shards ({@linkcode ShardBlockBatch}).
 *
 * It reads only the blocks it draws: each row's `maxLength + 1` tokens, through the dataset's
 * reader (concurrently), so memory is the batch and nothing more, whatever the shards' size.
 * With one shard the draws are exactly {@linkcode RandomBlockSampler}'s for the same seed; with
 * several, they are its draws over the shards' block positions laid end to end.
 *
 * There are no epochs: it draws for as long as you ask. Every batch has arrays of its own, and
 * draws may overlap. With `reuseBuffers`, every batch shares one set of arrays, overwritten by
 * the next draw: await each batch (and copy what you keep) before asking for the next; a second
 * `sample()` while one is being read is then an {@linkcode InputError}.
 *
 * @example
 * ```ts
 * import { readShard, ShardBlockSampler, ShardDataset, writeShard } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * await Deno.mkdir(".tmp", { recursive: true });
 * const dir = await Deno.makeTempDir({ dir: ".tmp" });
 * await writeShard(`${dir}/train_000001.bin`, Array.from({ length: 300 }, (_, i) => i));
 * await writeShard(`${dir}/train_000002.bin`, Array.from({ length: 200 }, (_, i) => 1000 + i));
 * const dataset = await ShardDataset.open(dir, { split: "train", maxLength: 8, stride: 8 });
 * const sampler = new ShardBlockSampler(dataset, { batchSize: 4, seed: 1337 });
 * const batch = await sampler.sample();
 * for (let row = 0; row < batch.rows; row++) {
 *   const tokens = await readShard(dataset.shards[batch.shards[row]].path);
 *   const s = batch.starts[row];
 *   assert.ok(s + 8 < tokens.length); // the block and its target within the shard
 *   assert.equal(batch.inputs[row * 8], tokens[s]);
 *   assert.equal(batch.targets[row * 8 + 7], tokens[s + 8]);
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class ShardBlockSampler extends BlockSampler implements AsyncIterable<ShardBlockBatch> {
  readonly #dataset: ShardDataset;
  readonly #seed: number;
  readonly #prng: Prng;
  /** `#ends[k]`: the block positions of shards `0 … k` together. */
  readonly #ends: readonly number[];
  /** Each row's shard, shared by the draws with `reuseBuffers`. */
  readonly #shards: Uint32Array | undefined;
  #reading = false;

  /**
   * A sampler over the shards of `dataset`, with its `maxLength`; nothing is read here.
   *
   * @param dataset The shards.
   * @param options `batchSize` and the optional `seed`.
   */
  constructor(dataset: ShardDataset, options: ShardBlockSamplerOptions) {
    if (!(dataset instanceof ShardDataset)) {
      throw new InputError("dataset", `must be a ShardDataset, got ${describe(dataset)}`);
    }
    if (typeof options !== "object" || options === null) {
      throw new InputError(
        "options",
        `must be { batchSize, seed?, reuseBuffers? }, got ${describe(options)}`,
      );
    }
    const { batchSize, seed = 0, reuseBuffers } = options;
    checkInteger("batchSize", batchSize, 1);
    checkSeed("seed", seed);
    checkBoolean("reuseBuffers", reuseBuffers);
    const { maxLength } = dataset;
    super(batchSize, maxLength, reuseBuffers ?? false);
    let total = 0;
    this.#ends = dataset.shards.map((s) => (total += Math.max(0, s.tokenCount - maxLength)));
    this.#dataset = dataset;
    this.#seed = seed;
    this.#prng = new Prng(seed);
    this.#shards = reuseBuffers ? new Uint32Array(batchSize) : undefined;
  }

  /** The shards the blocks come from. */
  get dataset(): ShardDataset {
    return this.#dataset;
  }

  /** The seed the draws started from. */
  get seed(): number {
    return this.#seed;
  }

  /** Block positions of all shards together: `Σₖ max(0, tokenCountₖ - maxLength)`. */
  get numStarts(): number {
    return this.#ends[this.#ends.length - 1];
  }

  /** The shard holding block position `position` (binary search over the running totals). */
  #shardOf(position: number): number {
    let low = 0;
    let high = this.#ends.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#ends[middle] > position) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  /**
   * Draws the next batch and reads its blocks; its `index` counts the batches drawn before it.
   *
   * @returns The batch, in arrays of its own (that the next draw overwrites, with `reuseBuffers`).
   */
  async sample(): Promise<ShardBlockBatch> {
    if (this.#reading) {
      throw new InputError(
        "sample",
        "was called while the previous batch was still being read; with reuseBuffers, await " +
          "each batch first (batches share their arrays)",
      );
    }
    const maxLength = this.#dataset.maxLength;
    const arrays = this.drawArrays();
    const { inputs, targets, starts } = arrays;
    const shards = this.#shards ?? new Uint32Array(this.batchSize);
    const numStarts = this.numStarts;
    for (let row = 0; row < this.batchSize; row++) {
      const position = this.#prng.belowLarge(numStarts);
      const shard = this.#shardOf(position);
      shards[row] = shard;
      starts[row] = position - (shard === 0 ? 0 : this.#ends[shard - 1]);
    }
    const batch = this.nextBatch(arrays);
    this.#reading = this.reuseBuffers;
    try {
      const blocks = await Promise.all(
        Array.from(
          { length: this.batchSize },
          (_, row) => this.#dataset.readTokens(shards[row], starts[row], maxLength + 1),
        ),
      );
      blocks.forEach((block, row) => {
        const offset = row * maxLength;
        gatherWindows(
          block,
          ZERO,
          1,
          maxLength,
          inputs.subarray(offset),
          targets.subarray(offset),
        );
      });
    } finally {
      this.#reading = false;
    }
    return { ...batch, shards };
  }

  /** Endless batches (each one a {@linkcode ShardBlockSampler.sample}); stop with `break`. */
  async *[Symbol.asyncIterator](): AsyncIterableIterator<ShardBlockBatch> {
    while (true) yield await this.sample();
  }
}
