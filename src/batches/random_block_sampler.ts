import { checkBoolean, checkInteger, checkOptions } from "../util/checks.ts";
import { checkSeed, Prng } from "../util/prng.ts";
import { checkTokenArray, type TokenArray } from "../tokenize/token_ids.ts";
import { checkEnoughTokens } from "../windows/window_dataset.ts";
import type { Batch } from "./batch.ts";
import { BlockSampler } from "./block_sampler.ts";

/** Options of {@linkcode RandomBlockSampler}. */
export interface RandomBlockSamplerOptions {
  /** Tokens per block (the context length), an integer >= 1. */
  maxLength: number;
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
 * Batches of blocks at random offsets, as the `get_batch` / `batch_function` of a character-level
 * GPT (nanoGPT style) rather than the book's fixed windows: each batch draws `batchSize` seeded,
 * uniform, independent starts `s` in `[0, n - maxLength - 1]` (any token, not a stride grid; the
 * same start may come twice) and takes `x = ids[s, s + maxLength)`, `y = ids[s + 1, s + maxLength + 1)`.
 *
 * There are no epochs: the sampler draws for as long as you ask. Every {@linkcode Batch} has
 * arrays of its own (with `reuseBuffers`, one set that the next draw overwrites). The draws come
 * from `xoshiro128**` (see {@linkcode DataLoader}), not from PyTorch's generator.
 *
 * @example
 * ```ts
 * import { RandomBlockSampler } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const ids = Uint32Array.from({ length: 50 }, (_, i) => i);
 * const sampler = new RandomBlockSampler(ids, { maxLength: 8, batchSize: 4, seed: 1337 });
 * const batch = sampler.sample();
 * for (let row = 0; row < batch.rows; row++) {
 *   const s = batch.starts[row];
 *   assert.ok(s <= 50 - 8 - 1);
 *   assert.equal(batch.inputs[row * 8], s); // ids[i] = i here
 *   assert.equal(batch.targets[row * 8 + 7], s + 8);
 * }
 * ```
 */
export class RandomBlockSampler extends BlockSampler implements Iterable<Batch> {
  readonly #ids: TokenArray;
  readonly #maxLength: number;
  readonly #seed: number;
  readonly #prng: Prng;

  /**
   * A sampler over `ids`, which it keeps without copying.
   *
   * @param ids The token ids, at least `maxLength + 1` of them.
   * @param options `maxLength`, `batchSize` and the optional `seed`.
   */
  constructor(ids: TokenArray, options: RandomBlockSamplerOptions) {
    checkTokenArray(ids);
    checkOptions(options, "{ maxLength, batchSize, seed?, reuseBuffers? }");
    const { maxLength, batchSize, seed = 0, reuseBuffers } = options;
    checkInteger("maxLength", maxLength, 1);
    checkInteger("batchSize", batchSize, 1);
    checkSeed("seed", seed);
    checkBoolean("reuseBuffers", reuseBuffers);
    checkEnoughTokens("ids", ids.length, maxLength);
    super(batchSize, maxLength, reuseBuffers ?? false);
    this.#ids = ids;
    this.#maxLength = maxLength;
    this.#seed = seed;
    this.#prng = new Prng(seed);
  }

  /** The token ids the blocks come from. */
  get ids(): TokenArray {
    return this.#ids;
  }

  /** Tokens per block. */
  get maxLength(): number {
    return this.#maxLength;
  }

  /** The seed the draws started from. */
  get seed(): number {
    return this.#seed;
  }

  /** Draws the next batch; its `index` counts the batches drawn before it. */
  sample(): Batch {
    const bound = this.#ids.length - this.#maxLength;
    const arrays = this.drawArrays();
    for (let row = 0; row < this.batchSize; row++) arrays.starts[row] = this.#prng.below(bound);
    return this.gatherBatch(this.#ids, arrays);
  }

  /** Endless batches (each one a {@linkcode RandomBlockSampler.sample}); stop with `break`. */
  *[Symbol.iterator](): IterableIterator<Batch> {
    while (true) yield this.sample();
  }
}
