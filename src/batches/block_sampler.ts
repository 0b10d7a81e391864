// The core the block samplers share: the arrays each draw fills (new ones per batch, or one set
// refilled with reuseBuffers) and the count of batches drawn.
import type { TokenArray } from "../tokenize/token_ids.ts";
import { gatherWindows } from "./_gather_windows.ts";
import type { Batch } from "./batch.ts";

/** The arrays one draw fills: `[batchSize, seqLength]` inputs and targets, and the starts. */
export interface DrawArrays {
  /** `[batchSize, seqLength]` input ids, row-major. */
  inputs: Uint32Array;
  /** `[batchSize, seqLength]` target ids, each row its input row one token later. */
  targets: Uint32Array;
  /** Each row's start, drawn by the sampler. */
  starts: Uint32Array;
}

/**
 * What the block samplers ({@linkcode RandomBlockSampler}, {@linkcode TorchBlockSampler},
 * {@linkcode ShardBlockSampler}) share: `batchSize` rows of `seqLength` tokens at random starts,
 * in arrays of each batch's own (or, with `reuseBuffers`, one set that every draw overwrites),
 * and the index of each batch drawn. A subclass draws the starts into
 * {@linkcode BlockSampler.drawArrays}; the core gathers the rows.
 */
export abstract class BlockSampler {
  readonly #batchSize: number;
  readonly #seqLength: number;
  readonly #shared: DrawArrays | undefined;
  #drawn = 0;

  /**
   * Allocates the shared arrays with `reuseBuffers` (the caller has checked the sizes).
   *
   * @param batchSize Rows per batch.
   * @param seqLength Tokens per row.
   * @param reuseBuffers Refill one set of arrays for every batch.
   */
  protected constructor(batchSize: number, seqLength: number, reuseBuffers: boolean) {
    this.#batchSize = batchSize;
    this.#seqLength = seqLength;
    this.#shared = reuseBuffers ? this.#allocate() : undefined;
  }

  /** Blocks per batch. */
  get batchSize(): number {
    return this.#batchSize;
  }

  /** Whether every draw refills one set of arrays (a batch is valid until the next draw). */
  get reuseBuffers(): boolean {
    return this.#shared !== undefined;
  }

  #allocate(): DrawArrays {
    return {
      inputs: new Uint32Array(this.#batchSize * this.#seqLength),
      targets: new Uint32Array(this.#batchSize * this.#seqLength),
      starts: new Uint32Array(this.#batchSize),
    };
  }

  /** The arrays the next draw fills: new ones, or the shared set with `reuseBuffers`. */
  protected drawArrays(): DrawArrays {
    return this.#shared ?? this.#allocate();
  }

  /**
   * The next batch over `arrays`, its `index` counting the batches drawn before it (claimed when
   * called, so that an asynchronous draw numbers its batch before it reads).
   */
  protected nextBatch(arrays: DrawArrays): Batch {
    return { ...arrays, rows: this.#batchSize, seqLength: this.#seqLength, index: this.#drawn++ };
  }

  /** Gathers every row from `ids` at the drawn `arrays.starts` and returns the next batch. */
  protected gatherBatch(ids: TokenArray, arrays: DrawArrays): Batch {
    const { inputs, targets, starts } = arrays;
    gatherWindows(ids, starts, this.#batchSize, this.#seqLength, inputs, targets);
    return this.nextBatch(arrays);
  }
}
