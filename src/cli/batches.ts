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
import type { DataLoader } from "../batches/data_loader.ts";
import { checkLoaderOptions } from "../batches/epoch_loader.ts";
import { checkWindowOptions } from "../windows/sliding_windows.ts";
import {
  checkAsOptions,
  type CommandHelp,
  filesHelp,
  type OptionSpecs,
  parseArgs,
  readTextArgument,
  runCli,
} from "./cli.ts";
import { buildLoader, LOADER_OPTIONS, nestedBatch, SHUFFLE_OPTIONS } from "./loader_options.ts";
import { TOKENIZER_OPTIONS, tokenizerFromOptions } from "./tokenizer_options.ts";

const COMMAND = "deno task batches";

/** The task's options, declared once: parsed, checked and listed by --help from here. */
export const OPTIONS = {
  ...TOKENIZER_OPTIONS,
  "batch-size": { ...LOADER_OPTIONS["batch-size"], required: true },
  "max-length": { ...LOADER_OPTIONS["max-length"], required: true },
  stride: { ...LOADER_OPTIONS.stride, required: true },
  "no-drop-last": LOADER_OPTIONS["no-drop-last"],
  ...SHUFFLE_OPTIONS,
  epoch: { ...SHUFFLE_OPTIONS.epoch, default: 0 },
  json: { type: "boolean", help: "print one JSON object" },
} satisfies OptionSpecs;

const HELP: CommandHelp = {
  usage: "[FILE|-] --batch-size B --max-length T --stride S [options]",
  about: "Windows and batches FILE as the book's create_dataloader_v1 (the sample text " +
    "data/the-verdict.txt without FILE, standard input for -) and prints the counts, the " +
    "first two batches and the last one.",
  files: filesHelp(COMMAND, "FILE", true),
};

/** What the task shows: the counts, the first two batches and the last one. */
interface Shown {
  tokenizerName: string;
  loader: DataLoader;
  epoch: number;
  firstBatches: ReturnType<typeof nestedBatch>[];
  lastBatch: ReturnType<typeof nestedBatch>;
}

function formatRows(rows: number[][]): string {
  return "[" + rows.map((row) => `[${row.join(", ")}]`).join(",\n ") + "]";
}

/** Parses and checks the arguments, before the text is read and tokenized. */
function parse(args: readonly string[]) {
  const { options, values, positionals } = parseArgs(COMMAND, args, OPTIONS, HELP);
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
  const loaderOptions = {
    batchSize: values.get("batch-size") as number,
    maxLength: values.get("max-length") as number,
    stride: values.get("stride") as number,
    shuffle,
    dropLast: options.get("no-drop-last") !== true,
    seed: options.get("seed") as number | undefined,
    rank: options.get("rank") as number | undefined,
    worldSize: options.get("world-size") as number | undefined,
  };
  checkAsOptions(() => {
    checkWindowOptions(loaderOptions);
    checkLoaderOptions(loaderOptions);
  }, OPTIONS);
  const epoch = values.get("epoch") as number;
  return { options, positionals, loaderOptions, epoch, json: options.get("json") === true };
}

/** Batches the text and keeps the batches shown. */
async function run(settings: ReturnType<typeof parse>): Promise<Shown> {
  const text = await readTextArgument(settings.positionals);
  const tokenizer = tokenizerFromOptions(settings.options, text);
  // Each batch is copied (nestedBatch) before the next: one set of arrays serves them all.
  const loaderOptions = { ...settings.loaderOptions, tokenizer, reuseBuffers: true };
  const loader = buildLoader(text, loaderOptions, OPTIONS);
  const firstBatches: ReturnType<typeof nestedBatch>[] = [];
  let lastBatch: ReturnType<typeof nestedBatch> | undefined;
  for (const batch of loader.batches(settings.epoch)) {
    if (batch.index < 2) firstBatches.push(nestedBatch(batch));
    if (batch.index === loader.numBatches - 1) lastBatch = nestedBatch(batch);
  }
  return {
    tokenizerName: tokenizer.name,
    loader,
    epoch: settings.epoch,
    firstBatches,
    lastBatch: lastBatch!,
  };
}

/** Prints the counts and the batches, as text or as one JSON object. */
function print(shown: Shown, json: boolean): void {
  const { loader, firstBatches, lastBatch, epoch } = shown;
  const counts = {
    num_tokens: loader.dataset.ids.length,
    num_windows: loader.dataset.length,
    num_batches: loader.numBatches,
  };
  if (json) {
    console.log(JSON.stringify({ ...counts, first_batches: firstBatches, last_batch: lastBatch }));
    return;
  }
  const { batchSize } = loader;
  const { maxLength, stride } = loader.dataset;
  console.log(
    `${shown.tokenizerName}: ${counts.num_tokens} tokens → ${counts.num_windows} windows ` +
      `(max length ${maxLength}, stride ${stride}) → ${counts.num_batches} ` +
      `batch${counts.num_batches === 1 ? "" : "es"} of ${batchSize}` +
      (lastBatch.inputs.length < batchSize ? ` (the last one ${lastBatch.inputs.length})` : "") +
      (loader.shuffle ? `, shuffled with seed ${loader.seed}, epoch ${epoch}` : "") +
      (loader.worldSize > 1 ? `, rank ${loader.rank} of ${loader.worldSize}` : ""),
  );
  const batches = firstBatches.map((batch, index) => ({ batch, index }));
  if (loader.numBatches > firstBatches.length) {
    batches.push({ batch: lastBatch, index: loader.numBatches - 1 });
  }
  for (const { batch, index } of batches) {
    console.log(`\nbatch ${index}: inputs`);
    console.log(formatRows(batch.inputs));
    console.log(`batch ${index}: targets`);
    console.log(formatRows(batch.targets));
  }
}

async function main(): Promise<void> {
  const settings = parse(Deno.args);
  print(await run(settings), settings.json);
}

if (import.meta.main) await runCli(COMMAND, main, { standardInput: true, specs: OPTIONS });
