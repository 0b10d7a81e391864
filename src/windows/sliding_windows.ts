// The core both window datasets share: the book's window sizes and the number of windows.
import { checkInteger, checkOptions } from "../util/checks.ts";

/** Options of {@linkcode WindowDataset}: the book's `max_length` and `stride`. */
export interface WindowDatasetOptions {
  /** Tokens per window (the model's context length), an integer >= 1. */
  maxLength: number;
  /** Tokens between the starts of consecutive windows, an integer >= 1. */
  stride: number;
}

/** Throws an {@linkcode InputError} unless `options` are valid window options (before any work). */
export function checkWindowOptions(options: WindowDatasetOptions): void {
  checkOptions(options, "{ maxLength, stride }");
  checkInteger("maxLength", options.maxLength, 1);
  checkInteger("stride", options.stride, 1);
}

/**
 * What {@linkcode WindowDataset} and {@linkcode ShardDataset} share: windows of `maxLength`
 * tokens whose starts are `stride` tokens apart, and how many there are.
 */
export abstract class SlidingWindows {
  readonly #maxLength: number;
  readonly #stride: number;
  readonly #length: number;

  /**
   * Keeps the window sizes (the caller has checked them) and the number of windows.
   *
   * @param options `maxLength` and `stride`.
   * @param length The number of windows.
   */
  protected constructor(options: WindowDatasetOptions, length: number) {
    this.#maxLength = options.maxLength;
    this.#stride = options.stride;
    this.#length = length;
  }

  /** Tokens per window. */
  get maxLength(): number {
    return this.#maxLength;
  }

  /** Tokens between consecutive window starts (within a shard, for shards). */
  get stride(): number {
    return this.#stride;
  }

  /** The number of windows (of all shards together, for shards): the book's `len(dataset)`. */
  get length(): number {
    return this.#length;
  }
}
