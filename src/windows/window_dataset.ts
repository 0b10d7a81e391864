import { InputError } from "../util/errors.ts";
import { checkInteger } from "../util/checks.ts";
import { checkTokenArray, type TokenArray } from "../tokenize/token_ids.ts";
import {
  checkWindowOptions,
  SlidingWindows,
  type WindowDatasetOptions,
} from "./sliding_windows.ts";

/**
 * Throws an {@linkcode InputError} unless `count` tokens make at least one window of `maxLength`:
 * the book's `GPTDatasetV1` asserts "Number of tokenized inputs must at least be equal to
 * max_length+1", since the target is the input shifted by one token.
 */
export function checkEnoughTokens(parameter: string, count: number, maxLength: number): void {
  if (count < maxLength + 1) {
    throw new InputError(
      parameter,
      `holds ${count} tokens, but maxLength ${maxLength} needs at least maxLength + 1 = ${
        maxLength + 1
      } (an input and its target shifted by one token)`,
    );
  }
}

/**
 * The number of windows over `tokens` tokens: the length of the book's
 * `range(0, tokens - maxLength, stride)`, which is 0 when fewer than `maxLength + 1` tokens.
 */
export function windowCount(tokens: number, maxLength: number, stride: number): number {
  return tokens > maxLength ? Math.ceil((tokens - maxLength) / stride) : 0;
}

/**
 * The book's `GPTDatasetV1` over a token-id array, without copies: window `k` starts at token
 * `k * stride`, its input is `ids[start, start + maxLength)` and its target the same span shifted
 * by one token, `ids[start + 1, start + maxLength + 1)`.
 *
 * The starts are exactly the book's `range(0, len(ids) - max_length, stride)`, so there are
 * `ceil((n - maxLength) / stride)` windows for `n` tokens. The last start is at most
 * `n - maxLength - 1`, the last one whose target fits: when `(n - maxLength) % stride == 0` the
 * window at `n - maxLength` (whose input would fit but whose target would run one token past the
 * end) is not produced, and in general the last `(n - maxLength - 1) % stride` tokens are never
 * part of a target. This reproduces the book's counts (e.g. 1,286 windows for 5,145 tokens with
 * `maxLength` 4 and `stride` 4).
 *
 * Windows are `subarray` views of `ids`: the dataset holds the array you pass (it does not copy
 * it; changing the array changes the windows) and a few numbers, so its memory is O(n) at any
 * stride, where the book's list of tensors takes O(n · maxLength / stride).
 *
 * @example The book's first windows of "The Verdict" (max length 4, stride 1)
 * ```ts
 * import { BpeTokenizer, WindowDataset } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * using gpt2 = new BpeTokenizer("gpt2");
 * const ids = gpt2.encode("I HAD always thought Jack Gisburn rather a cheap genius");
 * const dataset = new WindowDataset(ids, { maxLength: 4, stride: 1 });
 * assert.equal(dataset.length, ids.length - 4);
 * assert.deepEqual([...dataset.input(0)], [40, 367, 2885, 1464]);
 * assert.deepEqual([...dataset.target(0)], [367, 2885, 1464, 1807]);
 * assert.equal(dataset.input(1).buffer, ids.buffer); // a view, not a copy
 * ```
 */
export class WindowDataset extends SlidingWindows {
  readonly #ids: TokenArray;

  /**
   * A dataset of windows over `ids`.
   *
   * @param ids The token ids (kept, not copied); at least `maxLength + 1` of them.
   * @param options `maxLength` and `stride`, integers >= 1.
   */
  constructor(ids: TokenArray, options: WindowDatasetOptions) {
    checkTokenArray(ids);
    checkWindowOptions(options);
    checkEnoughTokens("ids", ids.length, options.maxLength);
    super(options, windowCount(ids.length, options.maxLength, options.stride));
    this.#ids = ids;
  }

  /** The token ids the windows view. */
  get ids(): TokenArray {
    return this.#ids;
  }

  #checkIndex(index: number): void {
    checkInteger("index", index, 0, this.length - 1);
  }

  /** The token offset in {@linkcode WindowDataset.ids} where window `index` starts. */
  start(index: number): number {
    this.#checkIndex(index);
    return index * this.stride;
  }

  /** Window `index`'s input tokens: a view of `maxLength` ids, never a copy. */
  input(index: number): TokenArray {
    const start = this.start(index);
    return this.#ids.subarray(start, start + this.maxLength);
  }

  /** Window `index`'s target tokens: its input shifted by one token, a view as well. */
  target(index: number): TokenArray {
    const start = this.start(index) + 1;
    return this.#ids.subarray(start, start + this.maxLength);
  }
}
