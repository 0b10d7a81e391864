/**
 * `deno task batches [FILE|-] [--encoding NAME | --model NAME | --tokenizer regex|char]
 * --batch-size B --max-length T --stride S [--no-drop-last] [--shuffle [--seed N] [--epoch E]]
 * [--rank R --world-size W] [--json]`
 *
 * Tokenizes a text (the sample text without FILE, standard input for `-`; `<|endoftext|>`
 * allowed, as the book's loader does), windows and batches it as the book's
 * `create_dataloader_v1`, and prints the counts and the first two and the last batch. `--json`
 * prints `{"num_tokens", "num_windows", "num_batches", "first_batches": [{"inputs", "targets"}, …],
 * "last_batch": {"inputs", "targets"}}` with the ids as nested arrays.
 *
 * @module
 */
import { InputError } from "../util/errors.ts";
import { checkLoaderOptions } from "../batches/epoch_loader.ts";
import { checkInteger } from "../util/checks.ts";
import { MAX_SEED } from "../util/prng.ts";
import { checkWindowOptions } from "../windows/sliding_windows.ts";
import { parseArgs, readTextArgument, runCli } from "./cli.ts";
import { buildLoader, checkAsOptions, LOADER_OPTIONS, nestedBatch } from "./loader_options.ts";
import { TOKENIZER_OPTIONS, tokenizerFromOptions } from "./tokenizer_options.ts";

const COMMAND = "deno task batches";

function formatRows(rows: number[][]): string {
  return "[" + rows.map((row) => `[${row.join(", ")}]`).join(",\n ") + "]";
}

function required(options: Map<string, unknown>, name: string): number {
  const value = options.get(name);
  if (value === undefined) {
    throw new InputError(`--${name}`, "is required: an integer >= 1");
  }
  return value as number;
}

async function main(): Promise<void> {
  const { options, positionals } = parseArgs(COMMAND, Deno.args, {
    ...TOKENIZER_OPTIONS,
    ...LOADER_OPTIONS,
    shuffle: { type: "boolean", help: "seeded random order" },
    seed: { type: "integer", help: "the shuffle seed, in [0, 4294967295]" },
    epoch: { type: "integer", help: "the epoch whose order to show" },
    rank: { type: "integer", help: "this rank, in [0, world size - 1]" },
    "world-size": { type: "integer", help: "data-parallel ranks" },
    json: { type: "boolean", help: "print one JSON object" },
  });
  const batchSize = required(options, "batch-size");
  const maxLength = required(options, "max-length");
  const stride = required(options, "stride");
  const shuffle = options.get("shuffle") === true;
  if (options.has("seed") && !shuffle) {
    throw new InputError("--seed", "only applies with --shuffle");
  }
  if (options.has("epoch") && !shuffle) {
    throw new InputError(
      "--epoch",
      "only applies with --shuffle (unshuffled epochs are all alike)",
    );
  }
  const epoch = (options.get("epoch") ?? 0) as number;
  const loaderOptions = {
    batchSize,
    maxLength,
    stride,
    shuffle,
    dropLast: options.get("no-drop-last") !== true,
    seed: options.get("seed") as number | undefined,
    rank: options.get("rank") as number | undefined,
    worldSize: options.get("world-size") as number | undefined,
  };
  // Every number is checked before the text is read and tokenized.
  checkAsOptions(() => {
    checkWindowOptions(loaderOptions);
    checkLoaderOptions(loaderOptions);
    checkInteger("epoch", epoch, 0, MAX_SEED);
  });
  const text = await readTextArgument(positionals);
  const tokenizer = tokenizerFromOptions(options, text);
  // Each batch is copied (nestedBatch) before the next: one set of arrays serves them all.
  const loader = buildLoader(text, { ...loaderOptions, tokenizer, reuseBuffers: true });
  const firstBatches: ReturnType<typeof nestedBatch>[] = [];
  let lastBatch: ReturnType<typeof nestedBatch> | undefined;
  for (const batch of loader.batches(epoch)) {
    if (batch.index < 2) firstBatches.push(nestedBatch(batch));
    if (batch.index === loader.numBatches - 1) lastBatch = nestedBatch(batch);
  }
  const counts = {
    num_tokens: loader.dataset.ids.length,
    num_windows: loader.dataset.length,
    num_batches: loader.numBatches,
  };
  if (options.get("json")) {
    console.log(JSON.stringify({ ...counts, first_batches: firstBatches, last_batch: lastBatch }));
    return;
  }
  console.log(
    `${tokenizer.name}: ${counts.num_tokens} tokens → ${counts.num_windows} windows ` +
      `(max length ${maxLength}, stride ${stride}) → ${counts.num_batches} ` +
      `batch${counts.num_batches === 1 ? "" : "es"} of ${batchSize}` +
      (lastBatch!.inputs.length < batchSize ? ` (the last one ${lastBatch!.inputs.length})` : "") +
      (shuffle ? `, shuffled with seed ${loader.seed}, epoch ${epoch}` : "") +
      (loader.worldSize > 1 ? `, rank ${loader.rank} of ${loader.worldSize}` : ""),
  );
  const shown = firstBatches.map((batch, index) => ({ batch, index }));
  if (loader.numBatches > firstBatches.length) {
    shown.push({ batch: lastBatch!, index: loader.numBatches - 1 });
  }
  for (const { batch, index } of shown) {
    console.log(`\nbatch ${index}: inputs`);
    console.log(formatRows(batch.inputs));
    console.log(`batch ${index}: targets`);
    console.log(formatRows(batch.targets));
  }
}

if (import.meta.main) await runCli(COMMAND, main, { standardInput: true });
