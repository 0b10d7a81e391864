import { InputError } from "../util/errors.ts";
import { describe } from "../util/checks.ts";
import { checkEnoughTokens, WindowDataset } from "./window_dataset.ts";
import { checkWindowOptions, type WindowDatasetOptions } from "./sliding_windows.ts";
import { checkTokenArray, type TokenArray } from "../tokenize/token_ids.ts";

/** The two sides of {@linkcode trainValidationSplit}. */
export interface TrainValidationSplit {
  /** Windows over `ids[0, splitIndex)`. */
  train: WindowDataset;
  /** Windows over `ids[splitIndex, n)`. */
  validation: WindowDataset;
  /** The first token of the validation side: `floor(trainRatio * n)`. */
  splitIndex: number;
}

/**
 * Splits a token stream at a token boundary into a training and a validation dataset, as the
 * book's chapter 5 does with `train_ratio = 0.90`: the first `floor(trainRatio * n)` tokens are for
 * training, the rest for validation. Both sides are views of `ids` (nothing is copied), windowed
 * with the same options, and no window crosses the split.
 *
 * The book splits the *text* by characters and tokenizes each side; splitting the ids instead
 * avoids cutting a token in two, so the two sides together hold exactly the tokens of the whole.
 *
 * @example
 * ```ts
 * import { trainValidationSplit } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const ids = Uint32Array.from({ length: 100 }, (_, i) => i);
 * const { train, validation, splitIndex } = trainValidationSplit(ids, 0.9, {
 *   maxLength: 4,
 *   stride: 4,
 * });
 * assert.equal(splitIndex, 90);
 * assert.equal(train.ids.length, 90);
 * assert.deepEqual([...validation.input(0)], [90, 91, 92, 93]);
 * ```
 *
 * @param ids The token ids.
 * @param trainRatio The share of tokens for training, a number in (0, 1).
 * @param options The windows' `maxLength` and `stride`, for both sides.
 * @returns The two datasets and the index where the validation side starts.
 */
export function trainValidationSplit(
  ids: TokenArray,
  trainRatio: number,
  options: WindowDatasetOptions,
): TrainValidationSplit {
  if (typeof trainRatio !== "number" || !(trainRatio > 0 && trainRatio < 1)) {
    throw new InputError(
      "trainRatio",
      `must be a number in (0, 1), both ends excluded, got ${describe(trainRatio)}`,
    );
  }
  checkTokenArray(ids);
  checkWindowOptions(options);
  const splitIndex = Math.floor(trainRatio * ids.length);
  const context = `(trainRatio ${trainRatio} of ${ids.length} tokens)`;
  checkEnoughTokens(`the training side ${context}`, splitIndex, options.maxLength);
  checkEnoughTokens(
    `the validation side ${context}`,
    ids.length - splitIndex,
    options.maxLength,
  );
  return {
    train: new WindowDataset(ids.subarray(0, splitIndex), options),
    validation: new WindowDataset(ids.subarray(splitIndex), options),
    splitIndex,
  };
}
