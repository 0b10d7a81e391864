/**
 * `deno task embed [FILE|-] [--encoding gpt2 | --model NAME | --tokenizer regex|char]
 * [--batch-size 8] [--max-length 4] [--stride 4] [--dim 256] [--seed 123 | --weights FILE]
 * [--no-drop-last] [--all [--readback]] [--json]`
 *
 * The main job, the book's section 2.8: tokenizes a text (the sample text without FILE), windows
 * and batches it, creates the token table (vocabulary × dim) and then the position table
 * (max-length × dim) from one seeded PyTorch-compatible stream, embeds the first batch on the GPU
 * and prints what the book prints. `--json` prints one object:
 * `{"adapter": {"description"}, "num_tokens", "num_windows", "num_batches",
 *   "first_batch": {"inputs", "targets"},
 *   "token_weight": {"shape", "sum", "abs_sum", "rows": {"<id>": [...]}},
 *   "position_weight": {"shape", "sum"}, "input_embeddings": {"shape", "sum", "first_row"}}`
 * (sums in float64; `rows` holds the token-table rows of ids 0, 1, 40, 367, 2885 and 50256 that
 * are below the vocabulary size).
 *
 * `--weights FILE` takes both tables from a safetensors file instead (GPT-2's `model.safetensors`:
 * `wte.weight` and `wpe.weight`, with or without the `transformer.` prefix): the dimension and
 * the context length are the file's, its vocabulary must be the tokenizer's, and `--max-length`
 * must not exceed its context length. `--dim` and `--seed` describe seeded tables, so they are an
 * error with it. The tables are streamed to the GPU in row chunks; `--json` adds
 * `"weights": {"path", "token_tensor", "position_tensor", "dtype"}` and reads the token table
 * back in chunks for its sums.
 *
 * `--all` embeds every batch instead (the results are discarded; `--readback` reads each back
 * and reports float64 sums of all values) and prints the time and throughput of each stage;
 * a progress bar is drawn on stderr when stderr is a terminal. With `--json`:
 * `{"adapter", "num_tokens", "num_windows", "num_batches", "batches_embedded",
 *   "tokens_embedded", "id_bytes_uploaded", "stages": {"tokenize", "window_batch", "tables",
 *   "token_stream", "upload", "embed", "readback"}, "total_ms", "embeddings"}`, each stage `{"ms", "tokens_per_s"}`
 * (`readback` and `embeddings` (`{"sum", "abs_sum"}`) are null without `--readback`).
 *
 * @module
 */
import { InputError } from "../util/errors.ts";
import { MAX_SEED } from "../util/prng.ts";
import { InputEmbedding } from "../nn/input_embedding.ts";
import { checkSameDim, findTable } from "../nn/safetensors_tables.ts";
import type { Batch } from "../batches/batch.ts";
import type { DataLoader } from "../batches/data_loader.ts";
import { GpuDevice } from "../gpu/device.ts";
import { formatTensor } from "../gpu/format_tensor.ts";
import type { Tensor } from "../gpu/tensor.ts";
import { formatShape } from "../formats/safetensors_format.ts";
import {
  openSafetensors,
  type SafetensorsFile,
  type SafetensorsTensorInfo,
} from "../formats/safetensors_reader.ts";
import {
  asOptionError,
  type CommandHelp,
  filesHelp,
  grantedPath,
  type OptionSpecs,
  outsideMessage,
  parseArgs,
  readTextArgument,
  runCli,
  userPath,
} from "./cli.ts";
import { buildLoader, LOADER_OPTIONS, nestedBatch } from "./loader_options.ts";
import { embedAllBatches, type EmbedAllResult, float64Sums, timedTokenizer } from "./embed_all.ts";
import { ProgressBar } from "./progress_bar.ts";
import { TOKENIZER_OPTIONS, tokenizerFromOptions } from "./tokenizer_options.ts";

const COMMAND = "deno task embed";

/** The options, with the book's defaults (section 2.8). */
export const OPTIONS = {
  ...TOKENIZER_OPTIONS,
  "batch-size": { ...LOADER_OPTIONS["batch-size"], default: 8 },
  "max-length": { ...LOADER_OPTIONS["max-length"], default: 4 },
  stride: { ...LOADER_OPTIONS.stride, default: 4 },
  "no-drop-last": LOADER_OPTIONS["no-drop-last"],
  dim: { type: "integer", min: 1, default: 256, parameter: "dim", help: "the embedding dimension" },
  seed: {
    type: "integer",
    min: 0,
    max: MAX_SEED,
    default: 123,
    parameter: "seed",
    help: "torch.manual_seed before both tables",
  },
  weights: {
    type: "string",
    help: "a safetensors file with the tables (wte, wpe), instead of seeded ones",
    defaultText: "none",
  },
  json: { type: "boolean", help: "print one JSON object" },
  all: { type: "boolean", help: "embed every batch and time each stage" },
  readback: { type: "boolean", help: "with --all: read every batch back and sum it" },
} satisfies OptionSpecs;

const HELP: CommandHelp = {
  usage: "[FILE|-] [options]",
  about: "The book's input embeddings (section 2.8): tokenizes FILE (the sample text " +
    "data/the-verdict.txt without one, standard input for -), windows and batches it, makes the " +
    "seeded token and position tables and embeds the first batch on the GPU; --all embeds every " +
    "batch and times each stage.",
  files: filesHelp(COMMAND, "FILE and --weights", true),
};

/** Token-table rows reported by `--json` (the fixture's): the first ids and the first batch's. */
const REPORTED_ROWS = [0, 1, 40, 367, 2885, 50256];

/** Tables are read back for `--json` in pieces of this size, so that none is held whole. */
const READBACK_BYTES = 4 * 1024 * 1024;

/** Float64 sum and absolute sum of a table, read back a few rows at a time. */
async function tableSums(table: Tensor<"f32">): Promise<{ sum: number; absSum: number }> {
  const [rows, dim] = table.shape;
  const rowsPerRead = Math.max(1, Math.floor(READBACK_BYTES / (dim * 4)));
  const total = { sum: 0, absSum: 0 };
  for (let start = 0; start < rows; start += rowsPerRead) {
    const part = float64Sums(await table.readRows(start, Math.min(rowsPerRead, rows - start)));
    total.sum += part.sum;
    total.absSum += part.absSum;
  }
  return total;
}

/** The tables of a `--weights` file, found and checked before any other work; closes the file. */
interface Weights extends Disposable {
  file: SafetensorsFile;
  token: SafetensorsTensorInfo;
  position: SafetensorsTensorInfo;
}

/**
 * Opens the `--weights` file and finds its tables; the file's problems are reported as
 * `--weights` problems, and a path the task may not read says where it may.
 */
async function openWeights(path: string): Promise<Weights> {
  let file: SafetensorsFile | undefined;
  let granted = userPath(path);
  try {
    granted = await grantedPath(path, "--weights");
    file = await openSafetensors(granted);
    const token = findTable(file, "token");
    const position = findTable(file, "position");
    checkSameDim(file, token, position);
    return { file, token, position, [Symbol.dispose]: () => file?.close() };
  } catch (error) {
    file?.close();
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      throw new InputError(
        "--weights",
        outsideMessage(COMMAND, "read", userPath(path), { flag: "--weights" }),
      );
    }
    if (error instanceof InputError && error.parameter === granted) {
      throw new InputError("--weights", error.message);
    }
    throw error;
  }
}

/** `"wte.weight" F32 [50257, 768]`. */
function describeTable(table: SafetensorsTensorInfo): string {
  return `${JSON.stringify(table.name)} ${table.dtype} ${formatShape(table.shape)}`;
}

function torchSize(shape: readonly number[]): string {
  return `torch.Size([${shape.join(", ")}])`;
}

/** The task's settings: the options, checked, with their defaults. */
interface Settings {
  positionals: string[];
  options: Map<string, string | number | boolean>;
  batchSize: number;
  maxLength: number;
  stride: number;
  dim: number;
  seed: number;
  dropLast: boolean;
  weightsPath: string | undefined;
  all: boolean;
  readback: boolean;
  json: boolean;
}

/** Parses and checks the arguments (no file is read yet). */
function parse(args: readonly string[]): Settings {
  const { options, values, positionals } = parseArgs(COMMAND, args, OPTIONS, HELP);
  const settings: Settings = {
    positionals,
    options,
    batchSize: values.get("batch-size") as number,
    maxLength: values.get("max-length") as number,
    stride: values.get("stride") as number,
    dim: values.get("dim") as number,
    seed: values.get("seed") as number,
    dropLast: options.get("no-drop-last") !== true,
    weightsPath: options.get("weights") as string | undefined,
    all: options.get("all") === true,
    readback: options.get("readback") === true,
    json: options.get("json") === true,
  };
  if (settings.readback && !settings.all) {
    throw new InputError("--readback", "reads back every batch, so it needs --all");
  }
  if (settings.weightsPath !== undefined) {
    for (const [option, problem] of [["dim", "the dimension"], ["seed", "the values"]]) {
      if (options.has(option)) {
        throw new InputError(
          `--${option}`,
          `cannot be combined with --weights: the file's tables set ${problem}`,
        );
      }
    }
  }
  return settings;
}

/** What the CPU prepared: the weights file (if any), the loader and the tables to make. */
interface Prepared extends Disposable {
  weights: Weights | undefined;
  tokenizerName: string;
  vocabSize: number;
  loader: DataLoader;
  createEmbedding: (gpu: GpuDevice) => Promise<InputEmbedding>;
  /** Milliseconds of the stages before the GPU. */
  cpu: { tokenize: number; windows: number };
}

/**
 * Everything on the CPU first, so that bad input fails before any GPU work: the weights file's
 * header and tables, then the text, its tokenizer and batches.
 */
async function prepare(settings: Settings): Promise<Prepared> {
  const { maxLength, dim, seed } = settings;
  const weights = settings.weightsPath === undefined
    ? undefined
    : await openWeights(settings.weightsPath);
  try {
    if (weights !== undefined) {
      const contextLength = weights.position.shape[0];
      if (maxLength > contextLength) {
        throw new InputError(
          "--max-length",
          `is ${maxLength}, more than the context length of the weights: ${weights.file.path} ` +
            `has a position table ${describeTable(weights.position)}, so at most ${contextLength}`,
        );
      }
    }
    const text = await readTextArgument(settings.positionals);
    const tokenizeTimer = { ms: 0 };
    const tokenizer = timedTokenizer(tokenizerFromOptions(settings.options, text), tokenizeTimer);
    const vocabSize = tokenizer.vocabSize;
    if (weights !== undefined && weights.token.shape[0] !== vocabSize) {
      tokenizer[Symbol.dispose]?.();
      throw new InputError(
        "--weights",
        `${weights.file.path} has a token table ${describeTable(weights.token)}: a vocabulary ` +
          `of ${weights.token.shape[0]} tokens, but the tokenizer (${tokenizer.name}) has ` +
          `${vocabSize}; use the tokenizer the weights were trained with (GPT-2's is gpt2)`,
      );
    }
    // Seeded tables: the token table, then the position table (max length rows), from one
    // stream; a table too large for the device is refused (as --dim) before anything is made.
    const createEmbedding = (gpu: GpuDevice): Promise<InputEmbedding> =>
      weights === undefined
        ? InputEmbedding.create(gpu, { vocabSize, contextLength: maxLength, dim, seed })
          .catch((error) => asOptionError(error, OPTIONS))
        : InputEmbedding.fromSafetensors(gpu, weights.file, { vocabSize });
    const loaderStart = performance.now();
    const loader = buildLoader(text, {
      tokenizer,
      batchSize: settings.batchSize,
      maxLength,
      stride: settings.stride,
      dropLast: settings.dropLast,
      shuffle: false,
      reuseBuffers: settings.all, // --all sends each batch to the GPU before it makes the next
    }, OPTIONS);
    const cpu = {
      tokenize: tokenizeTimer.ms,
      windows: performance.now() - loaderStart - tokenizeTimer.ms,
    };
    return {
      weights,
      tokenizerName: tokenizer.name,
      vocabSize,
      loader,
      createEmbedding,
      cpu,
      [Symbol.dispose]: () => weights?.[Symbol.dispose](),
    };
  } catch (error) {
    weights?.[Symbol.dispose]();
    throw error;
  }
}

/** The first batch embedded, and what is printed about it. */
interface FirstBatch {
  gpu: GpuDevice;
  batch: Batch;
  tokenShape: readonly number[];
  positionShape: readonly number[];
  outputShape: readonly number[];
  /** The text output's embeddings, formatted as PyTorch prints them. */
  formatted?: string;
  /** The `--json` figures. */
  figures?: Record<string, unknown>;
}

/** Embeds the first batch, as the book's `next(iter(dataloader))`, and reads back what is shown. */
async function embedFirstBatch(input: Prepared, json: boolean): Promise<FirstBatch> {
  const [batch] = input.loader;
  const gpu = await GpuDevice.shared();
  using embedding = await input.createEmbedding(gpu);
  input.weights?.file.close(); // the tables are on the GPU now
  using output = await embedding.forward(batch);
  const tokenWeight = embedding.token.weight;
  const result: FirstBatch = {
    gpu,
    batch,
    tokenShape: [...tokenWeight.shape],
    positionShape: [...embedding.position.weight.shape],
    outputShape: [...output.shape],
  };
  if (!json) return { ...result, formatted: await output.format() };
  const values = await output.read();
  const rows: Record<string, number[]> = {};
  for (const id of REPORTED_ROWS) {
    if (id < input.vocabSize) rows[id] = Array.from(await tokenWeight.readRows(id, 1));
  }
  const token = await tableSums(tokenWeight);
  const figures = {
    token_weight: { shape: result.tokenShape, sum: token.sum, abs_sum: token.absSum, rows },
    position_weight: {
      shape: result.positionShape,
      sum: float64Sums(await embedding.position.weight.read()).sum,
    },
    input_embeddings: {
      shape: result.outputShape,
      sum: float64Sums(values).sum,
      first_row: Array.from(values.subarray(0, embedding.dim)),
    },
  };
  return { ...result, figures };
}

/** Prints the first batch's report: the book's printout, or one JSON object. */
function printFirstBatch(input: Prepared, settings: Settings, result: FirstBatch): void {
  const { loader, weights } = input;
  if (result.figures !== undefined) {
    console.log(JSON.stringify({
      adapter: { description: result.gpu.description },
      num_tokens: loader.dataset.ids.length,
      num_windows: loader.dataset.length,
      num_batches: loader.numBatches,
      first_batch: nestedBatch(result.batch),
      ...result.figures,
      ...(weights === undefined ? {} : {
        weights: {
          path: weights.file.path,
          token_tensor: weights.token.name,
          position_tensor: weights.position.name,
          dtype: weights.token.dtype,
        },
      }),
    }));
    return;
  }
  console.log(
    `${input.tokenizerName}: ${loader.dataset.ids.length} tokens → ${loader.dataset.length} ` +
      `windows (max length ${settings.maxLength}, stride ${settings.stride}) → ` +
      `${loader.numBatches} batches of ${settings.batchSize}`,
  );
  console.log(`GPU: ${result.gpu.description}`);
  if (weights !== undefined) {
    console.log(
      `Weights: ${weights.file.path} (${describeTable(weights.token)}, ` +
        `${describeTable(weights.position)})`,
    );
  }
  const { batch } = result;
  const shape = [batch.rows, batch.seqLength];
  console.log("\nToken IDs:\n", formatTensor(Int32Array.from(batch.inputs), shape));
  console.log("\nTargets:\n", formatTensor(Int32Array.from(batch.targets), shape));
  console.log("\nInputs shape:\n", torchSize(shape));
  console.log(`\nToken embedding table: ${torchSize(result.tokenShape)}`);
  console.log(`Position embedding table: ${torchSize(result.positionShape)}`);
  console.log(`Input embeddings (token + position): ${torchSize(result.outputShape)}`);
  console.log("\nInput embeddings:\n", result.formatted);
}

/** `--all`: every batch embedded, and the time of each stage. */
interface EveryBatch {
  gpu: GpuDevice;
  result: EmbedAllResult;
  tablesMs: number;
  totalMs: number;
  vocabSize: number;
  dim: number;
  contextLength: number;
}

/** Embeds every batch (`--all`), timing each stage; a progress bar on a terminal. */
async function embedEveryBatch(
  input: Prepared,
  settings: Settings,
  start: number,
): Promise<EveryBatch> {
  const gpu = await GpuDevice.shared();
  const tablesStart = performance.now();
  using embedding = await input.createEmbedding(gpu);
  const tablesMs = performance.now() - tablesStart;
  const [vocabSize, dim] = embedding.token.weight.shape;
  const progress = new ProgressBar("embedding", input.loader.numBatches, "batches");
  try {
    const result = await embedAllBatches(input.loader, embedding, {
      readback: settings.readback,
      onBatch: (done) => progress.update(done),
    });
    const totalMs = performance.now() - start;
    const contextLength = embedding.position.contextLength;
    return { gpu, result, tablesMs, totalMs, vocabSize, dim, contextLength };
  } finally {
    progress.clear();
  }
}

/** Prints each stage's time and throughput: a table, or one JSON object. */
function printEveryBatch(input: Prepared, settings: Settings, all: EveryBatch): void {
  const { loader, cpu } = input;
  const { gpu, result, vocabSize, dim, contextLength, totalMs } = all;
  const numTokens = loader.dataset.ids.length;
  const stage = (ms: number, tokens: number | null) => ({
    ms,
    tokens_per_s: tokens === null || ms <= 0 ? null : tokens / ms * 1e3,
  });
  const stages = {
    tokenize: stage(cpu.tokenize, numTokens),
    window_batch: stage(cpu.windows + result.ms.batch, result.tokens),
    tables: stage(all.tablesMs, null),
    token_stream: stage(result.ms.stream, numTokens),
    upload: stage(result.ms.upload, result.tokens),
    embed: stage(result.ms.embed, result.tokens),
    readback: settings.readback ? stage(result.ms.readback, result.tokens) : null,
  };
  if (settings.json) {
    console.log(JSON.stringify({
      adapter: { description: gpu.description },
      num_tokens: numTokens,
      num_windows: loader.dataset.length,
      num_batches: loader.numBatches,
      batches_embedded: result.batches,
      tokens_embedded: result.tokens,
      id_bytes_uploaded: result.idBytes,
      stages,
      total_ms: totalMs,
      embeddings: result.sums === undefined
        ? null
        : { sum: result.sums.sum, abs_sum: result.sums.absSum },
    }));
    return;
  }
  console.log(
    `${input.tokenizerName}: ${numTokens} tokens → ${loader.dataset.length} windows ` +
      `(max length ${settings.maxLength}, stride ${settings.stride}) → ${loader.numBatches} ` +
      `batches of ${loader.batchSize}`,
  );
  console.log(`GPU: ${gpu.description}`);
  console.log(
    `embedded ${result.batches} batches (${result.tokens} tokens, dim ${dim}); ` +
      (settings.readback ? "every batch read back" : "results discarded"),
  );
  const rows: [string, { ms: number; tokens_per_s: number | null } | null, string][] = [
    ["tokenize", stages.tokenize, `${numTokens} tokens`],
    ["window + batch", stages.window_batch, `${result.batches} batches`],
    ["tables", stages.tables, `token ${vocabSize} × ${dim}, position ${contextLength} × ${dim}`],
    ["token stream", stages.token_stream, `${4 * numTokens} bytes, uploaded once`],
    ["upload + dispatch", stages.upload, `window starts: ${result.idBytes - 4 * numTokens} bytes`],
    ["embed (GPU)", stages.embed, "fused gather + positional add"],
    ["readback", stages.readback, settings.readback ? "" : "not run (--readback)"],
  ];
  console.log(`\n${"stage".padEnd(18)} ${"ms".padStart(10)} ${"tokens/s".padStart(12)}`);
  for (const [name, times, note] of rows) {
    const ms = times === null ? "–" : times.ms.toFixed(1);
    const rate = times === null || times.tokens_per_s === null
      ? "–"
      : Math.round(times.tokens_per_s).toString();
    console.log(`${name.padEnd(18)} ${ms.padStart(10)} ${rate.padStart(12)}  ${note}`.trimEnd());
  }
  console.log(`${"total".padEnd(18)} ${totalMs.toFixed(1).padStart(10)}`);
  if (result.sums !== undefined) {
    console.log(`\nsum of all embeddings: ${result.sums.sum} (absolute: ${result.sums.absSum})`);
  }
}

/** Parse → prepare on the CPU → run on the GPU → print. */
async function main(): Promise<void> {
  const start = performance.now();
  const settings = parse(Deno.args);
  using input = await prepare(settings);
  if (settings.all) {
    printEveryBatch(input, settings, await embedEveryBatch(input, settings, start));
  } else {
    printFirstBatch(input, settings, await embedFirstBatch(input, settings.json));
  }
}

if (import.meta.main) await runCli(COMMAND, main, { standardInput: true, specs: OPTIONS });
