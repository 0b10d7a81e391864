import { InputError } from "../util/errors.ts";
import { checkBoolean, checkInteger, checkOptions, describe } from "../util/checks.ts";
import { TorchGenerator } from "../util/torch_rng.ts";
import { checkTokenArray, type TokenArray } from "../tokenize/token_ids.ts";
import { checkEnoughTokens } from "../windows/window_dataset.ts";
import type { Batch } from "./batch.ts";
import { BlockSampler } from "./block_sampler.ts";

/** Options of {@linkcode TorchBlockSampler}. */
export interface TorchBlockSamplerOptions {
  /** Tokens per block (the context length, the note's `block_size`), an integer >= 1. */
  blockSize: number;
  /** Blocks per batch, an integer >= 1. */
  batchSize: number;
  /**
   * The PyTorch-compatible stream the window starts are drawn from, shared with whatever else
   * draws from it (the model's initial table, the other split's sampler, sampling), as the
   * note's one global generator is.
   */
  generator: TorchGenerator;
  /**
   * Refill one set of arrays for every draw instead of giving each batch arrays of its own: a
   * batch is then valid only until the next draw (copy what you keep). Default: `false`.
   */
  reuseBuffers?: boolean;
}

/**
 * Batches of blocks at random offsets drawn exactly as the character-level GPT of the Korean
 * study note draws them (its `batch_function`):
 *
 * ```python
 * starts = torch.randint(len(data) - block_size, (batch_size,))
 * x = torch.stack([data[i : i + block_size] for i in starts])
 * y = torch.stack([data[i + 1 : i + block_size + 1] for i in starts])
 * ```
 *
 * Each {@linkcode TorchBlockSampler.sample} makes one `torch.randint` call on the given
 * {@linkcode TorchGenerator} (`batchSize` 32-bit draws), so a user who seeds the generator as
 * the note seeds PyTorch gets the note's batches draw for draw, interleaved with any other
 * draws on the same stream in the same order.
 *
 * Every {@linkcode Batch} it returns has arrays of its own (with `reuseBuffers`, one set that
 * the next draw overwrites).
 *
 * @example `torch.manual_seed(1337)`, then two batches of 4 blocks of 8 tokens
 * ```ts
 * import { TorchBlockSampler, TorchGenerator } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const ids = Uint32Array.from({ length: 100 }, (_, i) => i);
 * const generator = new TorchGenerator(1337);
 * const sampler = new TorchBlockSampler(ids, { blockSize: 8, batchSize: 4, generator });
 * const batch = sampler.sample();
 * // The starts are torch.randint(100 - 8, (4,)) on the same stream.
 * assert.deepEqual(batch.starts, new TorchGenerator(1337).randint(100 - 8, 4));
 * assert.equal(batch.inputs[0], batch.starts[0]); // ids[i] = i here
 * assert.equal(batch.targets[7], batch.starts[0] + 8);
 * ```
 */
export class TorchBlockSampler extends BlockSampler {
  readonly #ids: TokenArray;
  readonly #blockSize: number;
  readonly #generator: TorchGenerator;

  /**
   * A sampler over `ids`, which it keeps without copying.
   *
   * @param ids The token ids (one split of the text), at least `blockSize + 1` of them.
   * @param options `blockSize`, `batchSize` and the `generator`.
   */
  constructor(ids: TokenArray, options: TorchBlockSamplerOptions) {
    checkTokenArray(ids);
    checkOptions(options, "{ blockSize, batchSize, generator, reuseBuffers? }");
    const { blockSize, batchSize, generator, reuseBuffers } = options;
    checkInteger("blockSize", blockSize, 1);
    checkInteger("batchSize", batchSize, 1);
    if (!(generator instanceof TorchGenerator)) {
      throw new InputError("generator", `must be a TorchGenerator, got ${describe(generator)}`);
    }
    checkBoolean("reuseBuffers", reuseBuffers);
    checkEnoughTokens("ids", ids.length, blockSize);
    super(batchSize, blockSize, reuseBuffers ?? false);
    this.#ids = ids;
    this.#blockSize = blockSize;
    this.#generator = generator;
  }

  /** The token ids the blocks come from. */
  get ids(): TokenArray {
    return this.#ids;
  }

  /** Tokens per block. */
  get blockSize(): number {
    return this.#blockSize;
  }

  /** The generator the starts are drawn from. */
  get generator(): TorchGenerator {
    return this.#generator;
  }

  /**
   * Draws the next batch: `torch.randint(ids.length − blockSize, (batchSize,))` window starts,
   * then the inputs and the targets shifted by one. Its `index` counts the batches drawn before.
   */
  sample(): Batch {
    const arrays = this.drawArrays();
    this.#generator.fillRandint(arrays.starts, this.#ids.length - this.#blockSize);
    return this.gatherBatch(this.#ids, arrays);
  }
}
