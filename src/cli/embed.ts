/**
 * `deno task embed [FILE|-] [--encoding gpt2 | --model NAME | --tokenizer regex|char]
 * [--batch-size 8] [--max-length 4] [--stride 4] [--dim 256] [--seed 123] [--no-drop-last]
 * [--all [--readback]] [--json]`
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
import { InputError } from "../errors.ts";
import { InputEmbedding } from "../embed/input_embedding.ts";
import type { DataLoader } from "../batches/data_loader.ts";
import { checkSeed } from "../internal/prng.ts";
import { checkInteger } from "../internal/checks.ts";
import { GpuDevice } from "../gpu/device.ts";
import { formatTensor } from "../gpu/format_tensor.ts";
import { parseArgs, readTextArgument, runCli } from "./cli.ts";
import {
  asOptionError,
  buildLoader,
  checkAsOptions,
  LOADER_OPTIONS,
  nestedBatch,
} from "./loader_options.ts";
import { embedAllBatches, type EmbedAllResult, timedTokenizer } from "./embed_all.ts";
import { ProgressBar } from "./progress_bar.ts";
import { TOKENIZER_OPTIONS, tokenizerFromOptions } from "./tokenizer_options.ts";

const COMMAND = "deno task embed";

/** Token-table rows reported by `--json` (the fixture's): the first ids and the first batch's. */
const REPORTED_ROWS = [0, 1, 40, 367, 2885, 50256];

/** The book's defaults (section 2.8). */
const DEFAULTS = { batchSize: 8, maxLength: 4, stride: 4, dim: 256, seed: 123 };

/** Float64 sum and absolute sum of float32 values. */
function sums(values: Float32Array): { sum: number; absSum: number } {
  let sum = 0;
  let absSum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    absSum += Math.abs(values[i]);
  }
  return { sum, absSum };
}

function torchSize(shape: readonly number[]): string {
  return `torch.Size([${shape.join(", ")}])`;
}

/** Milliseconds of the stages before the GPU, measured by main. */
interface CpuTimes {
  tokenize: number;
  windows: number;
}

/** `--all`: embeds every batch and reports each stage's time and throughput. */
async function embedAll(
  loader: DataLoader,
  tokenizerName: string,
  settings: { vocabSize: number; maxLength: number; stride: number; dim: number; seed: number },
  cpu: CpuTimes,
  output: { json: boolean; readback: boolean; start: number },
): Promise<void> {
  const { vocabSize, maxLength, stride, dim, seed } = settings;
  const gpu = await GpuDevice.shared();
  const tablesStart = performance.now();
  using embedding = await InputEmbedding.create(gpu, {
    vocabSize,
    contextLength: maxLength,
    dim,
    seed,
  }).catch(asOptionError);
  const tablesMs = performance.now() - tablesStart;
  const progress = new ProgressBar("embedding", loader.numBatches, "batches");
  let result: EmbedAllResult;
  try {
    result = await embedAllBatches(loader, embedding, {
      readback: output.readback,
      onBatch: (done) => progress.update(done),
    });
  } finally {
    progress.clear();
  }
  const totalMs = performance.now() - output.start;
  const numTokens = loader.dataset.ids.length;
  const stage = (ms: number, tokens: number | null) => ({
    ms,
    tokens_per_s: tokens === null || ms <= 0 ? null : tokens / ms * 1e3,
  });
  const stages = {
    tokenize: stage(cpu.tokenize, numTokens),
    window_batch: stage(cpu.windows + result.ms.batch, result.tokens),
    tables: stage(tablesMs, null),
    token_stream: stage(result.ms.stream, numTokens),
    upload: stage(result.ms.upload, result.tokens),
    embed: stage(result.ms.embed, result.tokens),
    readback: output.readback ? stage(result.ms.readback, result.tokens) : null,
  };
  if (output.json) {
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
    `${tokenizerName}: ${numTokens} tokens → ${loader.dataset.length} windows ` +
      `(max length ${maxLength}, stride ${stride}) → ${loader.numBatches} batches of ` +
      `${loader.batchSize}`,
  );
  console.log(`GPU: ${gpu.description}`);
  console.log(
    `embedded ${result.batches} batches (${result.tokens} tokens, dim ${dim}); ` +
      (output.readback ? "every batch read back" : "results discarded"),
  );
  const rows: [string, { ms: number; tokens_per_s: number | null } | null, string][] = [
    ["tokenize", stages.tokenize, `${numTokens} tokens`],
    ["window + batch", stages.window_batch, `${result.batches} batches`],
    ["tables", stages.tables, `token ${vocabSize} × ${dim}, position ${maxLength} × ${dim}`],
    ["token stream", stages.token_stream, `${4 * numTokens} bytes, uploaded once`],
    ["upload + dispatch", stages.upload, `window starts: ${result.idBytes - 4 * numTokens} bytes`],
    ["embed (GPU)", stages.embed, "fused gather + positional add"],
    ["readback", stages.readback, output.readback ? "" : "not run (--readback)"],
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

async function main(): Promise<void> {
  const start = performance.now();
  const { options, positionals } = parseArgs(COMMAND, Deno.args, {
    ...TOKENIZER_OPTIONS,
    ...LOADER_OPTIONS,
    dim: { type: "integer", help: "the embedding dimension" },
    seed: { type: "integer", help: "torch.manual_seed before both tables, in [0, 4294967295]" },
    json: { type: "boolean", help: "print one JSON object" },
    all: { type: "boolean", help: "embed every batch and time each stage" },
    readback: { type: "boolean", help: "with --all: read every batch back and sum it" },
  });
  const get = (name: string, fallback: number) => (options.get(name) ?? fallback) as number;
  const batchSize = get("batch-size", DEFAULTS.batchSize);
  const maxLength = get("max-length", DEFAULTS.maxLength);
  const stride = get("stride", DEFAULTS.stride);
  const dim = get("dim", DEFAULTS.dim);
  const seed = get("seed", DEFAULTS.seed);
  const dropLast = options.get("no-drop-last") !== true;
  const all = options.get("all") === true;
  const readback = options.get("readback") === true;
  if (readback && !all) {
    throw new InputError("--readback", "reads back every batch, so it needs --all");
  }
  checkAsOptions(() => {
    checkInteger("dim", dim, 1);
    checkSeed("seed", seed);
  });

  // Everything on the CPU first, so that bad input fails before any GPU work.
  const text = await readTextArgument(positionals);
  const tokenizeTimer = { ms: 0 };
  const tokenizer = timedTokenizer(tokenizerFromOptions(options, text), tokenizeTimer);
  const vocabSize = tokenizer.vocabSize;
  const loaderStart = performance.now();
  const loader = buildLoader(text, {
    tokenizer,
    batchSize,
    maxLength,
    stride,
    dropLast,
    shuffle: false,
  });
  if (all) {
    const cpu = {
      tokenize: tokenizeTimer.ms,
      windows: performance.now() - loaderStart - tokenizeTimer.ms,
    };
    const json = options.get("json") === true;
    const settings = { vocabSize, maxLength, stride, dim, seed };
    await embedAll(loader, tokenizer.name, settings, cpu, { json, readback, start });
    return;
  }
  const [batch] = loader; // the first batch, as the book's `next(iter(dataloader))`
  const shape = [batch.rows, batch.seqLength];
  const inputs = batch.inputs.slice(0, batch.rows * batch.seqLength);
  const targets = batch.targets.slice(0, batch.rows * batch.seqLength);

  const gpu = await GpuDevice.shared();
  // A table too large for the device is refused (as --dim) before anything is allocated.
  using embedding = await InputEmbedding.create(gpu, {
    vocabSize,
    contextLength: maxLength,
    dim,
    seed,
  }).catch(asOptionError);
  using output = await embedding.forward({ data: inputs, shape });

  if (options.get("json")) {
    const tokenWeight = await embedding.token.weight.read();
    const positionWeight = await embedding.position.weight.read();
    const values = await output.read();
    const rows: Record<string, number[]> = {};
    for (const id of REPORTED_ROWS) {
      if (id < vocabSize) rows[id] = Array.from(tokenWeight.subarray(id * dim, (id + 1) * dim));
    }
    const token = sums(tokenWeight);
    console.log(JSON.stringify({
      adapter: { description: gpu.description },
      num_tokens: loader.dataset.ids.length,
      num_windows: loader.dataset.length,
      num_batches: loader.numBatches,
      first_batch: nestedBatch(batch),
      token_weight: {
        shape: [...embedding.token.weight.shape],
        sum: token.sum,
        abs_sum: token.absSum,
        rows,
      },
      position_weight: {
        shape: [...embedding.position.weight.shape],
        sum: sums(positionWeight).sum,
      },
      input_embeddings: {
        shape: [...output.shape],
        sum: sums(values).sum,
        first_row: Array.from(values.subarray(0, dim)),
      },
    }));
    return;
  }
  console.log(
    `${tokenizer.name}: ${loader.dataset.ids.length} tokens → ${loader.dataset.length} windows ` +
      `(max length ${maxLength}, stride ${stride}) → ${loader.numBatches} batches of ${batchSize}`,
  );
  console.log(`GPU: ${gpu.description}`);
  console.log("\nToken IDs:\n", formatTensor(Int32Array.from(inputs), shape));
  console.log("\nTargets:\n", formatTensor(Int32Array.from(targets), shape));
  console.log("\nInputs shape:\n", torchSize(shape));
  console.log(`\nToken embedding table: ${torchSize(embedding.token.weight.shape)}`);
  console.log(`Position embedding table: ${torchSize(embedding.position.weight.shape)}`);
  console.log(`Input embeddings (token + position): ${torchSize(output.shape)}`);
  console.log("\nInput embeddings:\n", await output.format());
}

if (import.meta.main) await runCli(COMMAND, main, { standardInput: true });
