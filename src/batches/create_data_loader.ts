import { InputError } from "../util/errors.ts";
import { checkOptions, describe } from "../util/checks.ts";
import { BpeTokenizer } from "../tokenize/bpe_tokenizer.ts";
import type { Tokenizer } from "../tokenize/tokenizer.ts";
import { checkEnoughTokens, WindowDataset } from "../windows/window_dataset.ts";
import { checkWindowOptions, type WindowDatasetOptions } from "../windows/sliding_windows.ts";
import { DataLoader } from "./data_loader.ts";
import { checkLoaderOptions, type DataLoaderOptions } from "./epoch_loader.ts";

/**
 * Options of {@linkcode createDataLoaderV1}: the window options of {@linkcode WindowDataset} and
 * the loader options of {@linkcode DataLoader}, all optional, with the book's defaults
 * (`batchSize` 4, `maxLength` 256, `stride` 128, `shuffle` and `dropLast` true; the others as
 * {@linkcode DataLoader}'s), and the tokenizer.
 */
export interface CreateDataLoaderOptions
  extends Partial<WindowDatasetOptions>, Partial<DataLoaderOptions> {
  /**
   * The tokenizer. Default: GPT-2's byte-pair encoding with `<|endoftext|>` allowed, as the book's
   * `tiktoken.get_encoding("gpt2")` + `allowed_special={"<|endoftext|>"}` (created and disposed
   * inside the call; a tokenizer you pass is left for you to dispose).
   */
  tokenizer?: Tokenizer;
}

/**
 * The book's `create_dataloader_v1(txt, batch_size=4, max_length=256, stride=128, shuffle=True,
 * drop_last=True)`: tokenizes `text`, windows it and returns a {@linkcode DataLoader}. Options are
 * checked before the text is tokenized. Unlike PyTorch, shuffling is seeded (`seed`, default 0),
 * so the order is reproducible, but it is not PyTorch's order.
 *
 * @example The book's first batch (batch 8, max length 4, stride 4, no shuffling)
 * ```ts
 * import { createDataLoaderV1 } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const text = "I HAD always thought Jack Gisburn rather a cheap genius--though a good fellow enough";
 * const loader = createDataLoaderV1(text, {
 *   batchSize: 2,
 *   maxLength: 4,
 *   stride: 4,
 *   shuffle: false,
 * });
 * const [first] = loader;
 * assert.deepEqual([...first.inputs], [40, 367, 2885, 1464, 1807, 3619, 402, 271]);
 * assert.deepEqual([...first.targets], [367, 2885, 1464, 1807, 3619, 402, 271, 10899]);
 * ```
 *
 * @param text The text to tokenize (special tokens as the tokenizer allows).
 * @param options Batch and window sizes, shuffling, sharding and the tokenizer.
 * @returns A loader whose `dataset.ids` are the text's token ids.
 */
export function createDataLoaderV1(
  text: string,
  options: CreateDataLoaderOptions = {},
): DataLoader {
  if (typeof text !== "string") {
    throw new InputError("text", `must be a string, got ${describe(text)}`);
  }
  checkOptions(options, "an object");
  const {
    batchSize = 4,
    maxLength = 256,
    stride = 128,
    shuffle = true,
    dropLast = true,
    tokenizer,
    ...sharding
  } = options;
  const windowOptions = { maxLength, stride };
  const loaderOptions = { batchSize, shuffle, dropLast, ...sharding };
  checkWindowOptions(windowOptions);
  checkLoaderOptions(loaderOptions);
  if (tokenizer !== undefined && typeof tokenizer?.encode !== "function") {
    throw new InputError("tokenizer", `must be a Tokenizer, got ${describe(tokenizer)}`);
  }
  if (text === "") {
    throw new InputError(
      "text",
      `is empty, but maxLength ${maxLength} needs at least maxLength + 1 = ${maxLength + 1} tokens`,
    );
  }
  let ids: Uint32Array;
  if (tokenizer === undefined) {
    using gpt2 = new BpeTokenizer("gpt2", { allowedSpecial: ["<|endoftext|>"] });
    ids = gpt2.encode(text);
  } else {
    ids = tokenizer.encode(text);
  }
  checkEnoughTokens("text", ids.length, maxLength);
  return new DataLoader(new WindowDataset(ids, windowOptions), loaderOptions);
}
