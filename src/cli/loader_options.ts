// Options shared by the tasks that window and batch a text (batches, embed): their specs, the
// translation of library parameter names into option names, and building the loader.
import { type CreateDataLoaderOptions, createDataLoaderV1 } from "../batches/create_data_loader.ts";
import type { Batch } from "../batches/batch.ts";
import type { DataLoader } from "../batches/data_loader.ts";
import { InputError } from "../util/errors.ts";
import type { Tokenizer } from "../tokenize/tokenizer.ts";
import type { OptionSpec } from "./cli.ts";

/** The windowing and batching options of the batches and embed tasks. */
export const LOADER_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  "batch-size": { type: "integer", help: "windows per batch" },
  "max-length": { type: "integer", help: "tokens per window" },
  stride: { type: "integer", help: "tokens between window starts" },
  "no-drop-last": { type: "boolean", help: "keep a short last batch" },
};

/** The library's parameter names → the tasks' options, for error messages. */
const OPTION_OF: Readonly<Record<string, string>> = {
  batchSize: "--batch-size",
  maxLength: "--max-length",
  stride: "--stride",
  seed: "--seed",
  rank: "--rank",
  worldSize: "--world-size",
  epoch: "--epoch",
  dim: "--dim",
  encoding: "--encoding",
  model: "--model",
  allowedSpecial: "--allowed-special",
};

/**
 * Re-throws an {@linkcode InputError} about a library parameter as one about its option
 * (`names`: parameter → option; the loader's by default).
 */
export function asOptionError(
  error: unknown,
  names: Readonly<Record<string, string>> = OPTION_OF,
): never {
  if (!(error instanceof InputError)) throw error;
  const parameter = Object.hasOwn(names, error.parameter)
    ? names[error.parameter]
    : error.parameter;
  // Library names inside the message too ("maxLength + 1"), where they cannot be mistaken for
  // words: the camelCase ones.
  const problem = error.message.slice(error.parameter.length + 1).replace(
    /\b(batchSize|maxLength|worldSize)\b/g,
    (name) => OPTION_OF[name],
  );
  if (parameter === error.parameter && problem === error.message.slice(parameter.length + 1)) {
    throw error;
  }
  throw new InputError(parameter, problem);
}

/** Runs `check` and reports what it rejects under the option's name. */
export function checkAsOptions(check: () => void): void {
  try {
    check();
  } catch (error) {
    asOptionError(error);
  }
}

/** Windows and batches `text` as the book's `create_dataloader_v1`; disposes the tokenizer. */
export function buildLoader(
  text: string,
  options: CreateDataLoaderOptions & { tokenizer: Tokenizer & Partial<Disposable> },
): DataLoader {
  try {
    return createDataLoaderV1(text, options);
  } catch (error) {
    return asOptionError(error);
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
