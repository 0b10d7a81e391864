// The core the block samplers share: one set of batch arrays, refilled by every draw, and the
// count of batches drawn.
import type { TokenArray } from "../tokenize/token_ids.ts";
import { gatherWindows } from "./_gather_windows.ts";
import type { Batch } from "./batch.ts";

/**
 * What the block samplers ({@linkcode RandomBlockSampler}, {@linkcode TorchBlockSampler},
 * {@linkcode ShardBlockSampler}) share: `batchSize` rows of `seqLength` tokens at random starts,
 * in one set of arrays that every draw overwrites (copy what you keep), and the index of each
 * batch drawn. A subclass draws the starts; the core gathers the rows.
 */
export abstract class BlockSampler {
  readonly #batchSize: number;
  readonly #seqLength: number;
  /** `[batchSize, seqLength]` inputs, refilled by every draw. */
  protected readonly inputs: Uint32Array;
  /** `[batchSize, seqLength]` targets, refilled by every draw. */
  protected readonly targets: Uint32Array;
  /** Each row's start, drawn by the subclass before it gathers. */
  protected readonly starts: Uint32Array;
  #drawn = 0;

  /**
   * Allocates the batch arrays (the caller has checked the sizes).
   *
   * @param batchSize Rows per batch.
   * @param seqLength Tokens per row.
   */
  protected constructor(batchSize: number, seqLength: number) {
    this.#batchSize = batchSize;
    this.#seqLength = seqLength;
    this.inputs = new Uint32Array(batchSize * seqLength);
    this.targets = new Uint32Array(batchSize * seqLength);
    this.starts = new Uint32Array(batchSize);
  }

  /** Blocks per batch. */
  get batchSize(): number {
    return this.#batchSize;
  }

  /**
   * The next batch over the current arrays, its `index` counting the batches drawn before it
   * (claimed when called, so that an asynchronous draw numbers its batch before it reads).
   */
  protected nextBatch(): Batch {
    return {
      inputs: this.inputs,
      targets: this.targets,
      starts: this.starts,
      rows: this.#batchSize,
      seqLength: this.#seqLength,
      index: this.#drawn++,
    };
  }

  /** Gathers every row from `ids` at the drawn `starts` and returns the next batch. */
  protected gatherBatch(ids: TokenArray): Batch {
    gatherWindows(ids, this.starts, this.#batchSize, this.#seqLength, this.inputs, this.targets);
    return this.nextBatch();
  }
}
