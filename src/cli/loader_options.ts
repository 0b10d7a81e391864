// Options shared by the tasks that window and batch a text (batches, embed): their declarations,
// and building the loader.
import { type CreateDataLoaderOptions, createDataLoaderV1 } from "../batches/create_data_loader.ts";
import type { Batch } from "../batches/batch.ts";
import type { DataLoader } from "../batches/data_loader.ts";
import { MAX_SEED } from "../util/prng.ts";
import type { Tokenizer } from "../tokenize/tokenizer.ts";
import { asOptionError, type OptionSpecs } from "./cli.ts";

/** The windowing and batching options of the batches and embed tasks. */
export const LOADER_OPTIONS = {
  "batch-size": { type: "integer", min: 1, parameter: "batchSize", help: "windows per batch" },
  "max-length": { type: "integer", min: 1, parameter: "maxLength", help: "tokens per window" },
  stride: { type: "integer", min: 1, parameter: "stride", help: "tokens between window starts" },
  "no-drop-last": { type: "boolean", parameter: "dropLast", help: "keep a short last batch" },
} satisfies OptionSpecs;

/** The shuffling and data-parallel options of the batches task. */
export const SHUFFLE_OPTIONS = {
  shuffle: { type: "boolean", help: "seeded random order" },
  seed: {
    type: "integer",
    min: 0,
    max: MAX_SEED,
    default: 0,
    parameter: "seed",
    help: "the shuffle seed",
  },
  epoch: {
    type: "integer",
    min: 0,
    max: MAX_SEED,
    parameter: "epoch",
    help: "the epoch whose order to show",
  },
  rank: {
    type: "integer",
    min: 0,
    default: 0,
    parameter: "rank",
    help: "this rank, below --world-size",
  },
  "world-size": {
    type: "integer",
    min: 1,
    default: 1,
    parameter: "worldSize",
    help: "data-parallel ranks",
  },
} satisfies OptionSpecs;

/** Windows and batches `text` as the book's `create_dataloader_v1`; disposes the tokenizer. */
export function buildLoader(
  text: string,
  options: CreateDataLoaderOptions & { tokenizer: Tokenizer & Partial<Disposable> },
  specs: OptionSpecs,
): DataLoader {
  try {
    return createDataLoaderV1(text, options);
  } catch (error) {
    return asOptionError(error, specs);
  } finally {
    options.tokenizer[Symbol.dispose]?.();
  }
}

/** One batch as nested arrays, `[rows][seqLength]`. */
export function nestedBatch(batch: Batch): { inputs: number[][]; targets: number[][] } {
  const rows = (flat: Uint32Array) =>
    Array.from(
      { length: batch.rows },
      (_, r) => Array.from(flat.subarray(r * batch.seqLength, (r + 1) * batch.seqLength)),
    );
  return { inputs: rows(batch.inputs), targets: rows(batch.targets) };
}
