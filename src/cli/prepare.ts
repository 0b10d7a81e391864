/**
 * `deno task prepare FILE... --out DIR [--encoding gpt2] [--shard-tokens N]
 * [--val-fraction F] [--overwrite] [--workers N] [--chunk-bytes N] [--json]`
 *
 * Streams text files into token shards in llm.c's format (see `prepareShards`): each file is
 * one document preceded by `<|endoftext|>`. Shows progress on stderr when it is a terminal and
 * ends with a summary line (or, with `--json`, one JSON object) on stdout.
 *
 * @module
 */
import { InputError } from "../util/errors.ts";
import type { EncodingName } from "../tokenize/bpe_tokenizer.ts";
import {
  DEFAULT_CHUNK_BYTES,
  DEFAULT_PREPARE_WORKERS,
  DEFAULT_SHARD_TOKENS,
  MAX_CHUNK_BYTES,
  MAX_PREPARE_WORKERS,
  type PrepareProgress,
  prepareShards,
  type PrepareShardsOptions,
  type PrepareSummary,
} from "../tokenize/prepare_shards.ts";
import {
  asOptionError,
  type CommandHelp,
  filesHelp,
  grantedPath,
  type OptionSpecs,
  parseArgs,
  runCli,
  userPath,
} from "./cli.ts";
import { TOKENIZER_OPTIONS } from "./tokenizer_options.ts";
import { MAX_SHARD_TOKENS } from "../formats/shard_format.ts";

const COMMAND = "deno task prepare";

/** The options; their ranges are prepareShards' own checks, reported under these names. */
export const OPTIONS = {
  out: { type: "string", required: true, parameter: "outDir", help: "the folder for the shards" },
  encoding: TOKENIZER_OPTIONS.encoding,
  "shard-tokens": {
    type: "integer",
    min: 1,
    max: MAX_SHARD_TOKENS,
    default: DEFAULT_SHARD_TOKENS,
    parameter: "shardTokens",
    help: "tokens per shard",
  },
  "val-fraction": {
    type: "number",
    parameter: "valFraction",
    help: "the fraction of input bytes for validation, in (0, 1)",
    defaultText: "none: every shard is for training",
  },
  overwrite: {
    type: "boolean",
    parameter: "overwrite",
    help: "replace the folder's existing shards",
  },
  workers: {
    type: "integer",
    min: 1,
    max: MAX_PREPARE_WORKERS,
    parameter: "workers",
    help: "tokenizing Web Workers (~40 MB each)",
    defaultText: `min(CPU count, ${DEFAULT_PREPARE_WORKERS})`,
  },
  "chunk-bytes": {
    type: "integer",
    min: 1,
    max: MAX_CHUNK_BYTES,
    default: DEFAULT_CHUNK_BYTES,
    parameter: "chunkBytes",
    help: "bytes read at a time",
  },
  json: { type: "boolean", help: "print the summary as one JSON object" },
} satisfies OptionSpecs;

const HELP: CommandHelp = {
  usage: "FILE... --out DIR [options]",
  about: "Streams text files into token shards in llm.c's format (each file one document after " +
    "<|endoftext|>), all or nothing: val_000000.bin with --val-fraction, then train_000001.bin, ….",
  files: filesHelp(COMMAND, "FILE and --out", false),
};

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/** One progress line: bytes done of all, tokens, tokens/s and the estimated time left. */
export function formatProgress(progress: PrepareProgress): string {
  const { bytesDone, totalBytes, tokens, seconds } = progress;
  const percent = totalBytes > 0 ? (100 * bytesDone) / totalBytes : 100;
  const rate = seconds > 0 ? tokens / seconds : 0;
  const eta = bytesDone > 0 ? (seconds * (totalBytes - bytesDone)) / bytesDone : Infinity;
  return `${megabytes(bytesDone)} / ${megabytes(totalBytes)} (${percent.toFixed(1)}%), ` +
    `${tokens.toLocaleString("en-US")} tokens, ${Math.round(rate).toLocaleString("en-US")} ` +
    `tokens/s, ETA ${duration(eta)}`;
}

/** The peak resident memory of this process: the kernel's high-water mark where readable. */
async function peakResidentBytes(sampled: number): Promise<number> {
  try {
    const status = await Deno.readTextFile("/proc/self/status");
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
    if (kib !== undefined) return Math.max(sampled, Number(kib) * 1024);
  } catch {
    // not Linux, or no read permission there: the sampled peak has to do
  }
  return sampled;
}

/** The summary line printed at the end. */
function formatSummary(summary: PrepareSummary, outDir: string, peakRss: number): string {
  const val = summary.shards.filter((s) => s.split === "val").length;
  const train = summary.shards.length - val;
  const seconds = Math.max(summary.seconds, 1e-9);
  return `prepared ${summary.files} file${summary.files === 1 ? "" : "s"} ` +
    `(${megabytes(summary.bytes)}) into ${
      summary.tokens.toLocaleString("en-US")
    } ${summary.encoding} ` +
    `tokens in ${summary.shards.length} shard${summary.shards.length === 1 ? "" : "s"} ` +
    `(${val} val with ${summary.valTokens.toLocaleString("en-US")} tokens, ${train} train; ` +
    `uint${summary.version === 1 ? 16 : 32}) in ${outDir}: ${summary.seconds.toFixed(1)} s, ` +
    `${(summary.bytes / 1e6 / seconds).toFixed(2)} MB/s, ` +
    `${Math.round(summary.tokens / seconds).toLocaleString("en-US")} tokens/s, ` +
    `peak RSS ${Math.round(peakRss / 1e6)} MB`;
}

/** The files to prepare and prepareShards' options, from the arguments. */
function parse(args: readonly string[]) {
  const { options, positionals } = parseArgs(COMMAND, args, OPTIONS, HELP);
  if (positionals.length === 0) {
    throw new InputError("FILE", "is missing: name one or more text files to prepare");
  }
  const prepareOptions: PrepareShardsOptions = {
    outDir: userPath(String(options.get("out"))),
    encoding: options.get("encoding") as EncodingName | undefined,
    shardTokens: options.get("shard-tokens") as number | undefined,
    valFraction: options.get("val-fraction") as number | undefined,
    overwrite: options.get("overwrite") === true,
    workers: options.get("workers") as number | undefined,
    chunkBytes: options.get("chunk-bytes") as number | undefined,
  };
  return {
    fileArguments: positionals,
    outArgument: String(options.get("out")),
    prepareOptions,
    json: options.get("json") === true,
  };
}

/** Prepares the shards, with progress on stderr when it is a terminal; measures the peak RSS. */
async function run(
  files: string[],
  options: PrepareShardsOptions,
): Promise<{ summary: PrepareSummary; peakRss: number }> {
  let peakRss = Deno.memoryUsage().rss;
  const showProgress = Deno.stderr.isTerminal();
  let lastShown = 0;
  const encoder = new TextEncoder();
  const onProgress = (progress: PrepareProgress) => {
    peakRss = Math.max(peakRss, Deno.memoryUsage().rss);
    const now = performance.now();
    if (showProgress && (now - lastShown > 200 || progress.bytesDone === progress.totalBytes)) {
      lastShown = now;
      Deno.stderr.writeSync(encoder.encode(`\r\x1b[K${formatProgress(progress)}`));
    }
  };
  let summary: PrepareSummary;
  try {
    const onWait = () =>
      Deno.stderr.writeSync(
        encoder.encode(`waiting for another prepare run into ${options.outDir} to end\n`),
      );
    summary = await prepareShards(files, { ...options, onProgress, onWait });
  } catch (error) {
    asOptionError(error, OPTIONS);
  }
  if (showProgress) Deno.stderr.writeSync(encoder.encode("\n"));
  return { summary, peakRss: await peakResidentBytes(peakRss) };
}

/** The summary: one line, or one JSON object. */
function print(summary: PrepareSummary, outDir: string, peakRss: number, json: boolean): void {
  if (!json) {
    console.log(formatSummary(summary, outDir, peakRss));
    return;
  }
  console.log(JSON.stringify({
    encoding: summary.encoding,
    version: summary.version,
    files: summary.files,
    bytes: summary.bytes,
    tokens: summary.tokens,
    val_tokens: summary.valTokens,
    train_tokens: summary.trainTokens,
    shards: summary.shards.map((s) => ({ path: s.path, split: s.split, tokens: s.tokenCount })),
    seconds: summary.seconds,
    peak_rss_bytes: peakRss,
  }));
}

async function main(): Promise<void> {
  const parsed = parse(Deno.args);
  const { json } = parsed;
  // real paths, each refused when a link leads out of the run folder
  const prepareOptions = {
    ...parsed.prepareOptions,
    outDir: await grantedPath(parsed.outArgument, "--out"),
  };
  const files = await Promise.all(parsed.fileArguments.map((path) => grantedPath(path)));
  const { summary, peakRss } = await run(files, prepareOptions);
  print(summary, prepareOptions.outDir, peakRss, json);
}

if (import.meta.main) await runCli(COMMAND, main, { specs: OPTIONS });
