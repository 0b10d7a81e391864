/**
 * `deno task bench:compare [--json]`
 *
 * The input embeddings of one batch (vocabulary 50257, B = 64, T = 256, D = 256 and 512) by
 * every contender, in one process on one device, each checked against the plain TypeScript
 * reference before its time counts: this module's fused kernel and its separate gather and add
 * kernels (ids resident, prepared through their host code), its public `InputEmbedding.forward`
 * (ids uploaded per batch) and `forwardWindows` over a GPU-resident token stream (window starts
 * uploaded per batch), `copyBufferToBuffer` of the same output bytes (the device's bandwidth
 * limit), the plain TypeScript loop, tfjs-webgpu and PyTorch on the CPU (when a `python3` with
 * torch exists). Then single-threaded against
 * parallel tokenization of a ≥ 20 MB text. Prints a table; `--json` prints one object:
 * `{"machine", "command", "settings", "contenders": {id: {"label", "available", "note",
 * "detail", "results": {"<D>": {"mtok_per_s", "ms_per_batch", "bytes_uploaded_per_batch",
 * "batches_per_repetition", "verified", "max_abs_error", "note"}}}}, "tokenize", "ratios",
 * "ratio_notes"}`; each ratio (at the first D) is a number, or null when a side is missing.
 *
 * Timing: a warm-up, a calibration of how many batches a repetition runs (GPU batches are
 * recorded into one submit and waited for with `onSubmittedWorkDone`), then the median of 5
 * repetitions. `--quick` (for the tests) runs tiny shapes.
 *
 * @module
 */
import { parseArgs, runCli } from "../src/cli/cli.ts";
import { InputError } from "../src/util/errors.ts";
import { SAMPLE_TEXT_URL } from "../src/cli/sample_text.ts";
import { GpuDevice } from "../src/gpu/device.ts";
import { BpeTokenizer } from "../src/tokenize/bpe_tokenizer.ts";
import { readTextFile } from "../src/tokenize/read_text.ts";
import {
  type Contender,
  type ContenderRun,
  ContenderUnavailable,
  type RunContext,
} from "./harness/contender.ts";
import {
  makeProblem,
  maxAbsDifference,
  type ProblemShape,
  TOLERANCE,
} from "./harness/embedding_problem.ts";
import { type MachineInfo, machineInfo } from "./harness/machine_info.ts";
import { measure, type TimingOptions } from "./harness/measure.ts";
import {
  bufferCopy,
  cpuLoop,
  fusedKernel,
  fusedPublicApi,
  gatherThenAddKernels,
  tokenStreamApi,
} from "./harness/module_contenders.ts";
import { encodeOnWorkers } from "./harness/parallel_tokenizer.ts";
import { tfjsWebGpu } from "./harness/tfjs_contender.ts";
import { torchCpu } from "./harness/torch_contender.ts";

const COMMAND = "deno task bench:compare";

/** Everyone measured, in the table's order. Append new contenders here. */
const CONTENDERS: readonly Contender[] = [
  fusedKernel,
  gatherThenAddKernels,
  fusedPublicApi,
  tokenStreamApi,
  bufferCopy,
  cpuLoop,
  tfjsWebGpu,
  torchCpu,
];

/** The ratios `--json` reports: [key, numerator contender, denominator contender]. */
const RATIOS: readonly [string, string, string][] = [
  ["fused_vs_copy", "fused", "copy"],
  ["fused_vs_torch_cpu", "fused", "torch_cpu"],
  ["fused_vs_tfjs_webgpu", "fused", "tfjs_webgpu"],
  ["fused_vs_gather_add", "fused", "gather_add"],
  ["fused_vs_cpu_loop", "fused", "cpu_loop"],
  ["fused_api_vs_fused", "fused_api", "fused"],
  ["stream_vs_fused_api", "stream", "fused_api"],
];

interface Settings {
  shape: Omit<ProblemShape, "dim">;
  dims: number[];
  timing: TimingOptions;
  /** The tokenization text is the sample text repeated to at least this many bytes. */
  tokenizeBytes: number;
}

/** The shapes and the full timing rule. */
const FULL: Settings = {
  shape: { vocabSize: 50257, batchSize: 64, seqLength: 256 },
  dims: [256, 512],
  timing: { repetitions: 5, targetMs: 200, minBatches: 4, maxBatches: 1000 },
  tokenizeBytes: 20_000_000,
};

/** Tiny shapes for the tests: every code path, in seconds. */
const QUICK: Settings = {
  shape: { vocabSize: 1000, batchSize: 2, seqLength: 8 },
  dims: [8, 12],
  timing: { repetitions: 5, targetMs: 2, minBatches: 2, maxBatches: 50 },
  tokenizeBytes: 40_000,
};

interface ShapeResult {
  mtok_per_s: number | null;
  ms_per_batch: number | null;
  bytes_uploaded_per_batch: number | null;
  batches_per_repetition: number | null;
  verified: boolean;
  max_abs_error: number | null;
  note: string | null;
}

interface ContenderReport {
  label: string;
  available: boolean;
  note: string | null;
  detail: string | null;
  results: Record<string, ShapeResult>;
}

interface TokenizeReport {
  encoding: string;
  text: string;
  text_bytes: number;
  tokens: number;
  single: { mb_per_s: number; ms: number };
  parallel: { mb_per_s: number; ms: number; workers: number; identical_ids: boolean };
  note: string | null;
}

interface Report {
  machine: MachineInfo;
  command: string;
  settings: {
    vocab_size: number;
    batch_size: number;
    seq_length: number;
    dims: number[];
    ratio_dim: number;
    repetitions: number;
    target_ms_per_repetition: number;
    quick: boolean;
  };
  contenders: Record<string, ContenderReport>;
  tokenize: TokenizeReport;
  ratios: Record<string, number | null>;
  ratio_notes: Record<string, string>;
}

const encoder = new TextEncoder();
const showProgress = Deno.stderr.isTerminal();

/** One progress line on stderr, only when it is a terminal. */
function progress(line: string): void {
  if (showProgress) Deno.stderr.writeSync(encoder.encode(`\r\x1b[K${line}`));
}

function failed(error: unknown): ShapeResult {
  return {
    mtok_per_s: null,
    ms_per_batch: null,
    bytes_uploaded_per_batch: null,
    batches_per_repetition: null,
    verified: false,
    max_abs_error: null,
    note: (error as Error).message,
  };
}

/** A contender's figures, or nulls with a note when its output is wrong. */
function shapeResult(run: ContenderRun, expected: Float32Array, tokens: number): ShapeResult {
  const error = maxAbsDifference(run.output, expected);
  const verified = error <= TOLERANCE;
  const ms = run.measurement.msPerBatch;
  return {
    mtok_per_s: verified ? tokens / ms / 1e3 : null,
    ms_per_batch: verified ? ms : null,
    bytes_uploaded_per_batch: run.bytesUploadedPerBatch,
    batches_per_repetition: run.measurement.batchesPerRepetition,
    verified,
    max_abs_error: Number.isFinite(error) ? error : null,
    note: verified ? null : `output differs from the CPU reference (max |error| ${error})`,
  };
}

async function compareEmbeddings(
  settings: Settings,
  context: RunContext,
): Promise<Record<string, ContenderReport>> {
  const reports: Record<string, ContenderReport> = {};
  for (const contender of CONTENDERS) {
    reports[contender.id] = {
      label: contender.label,
      available: true,
      note: null,
      detail: null,
      results: {},
    };
  }
  for (const dim of settings.dims) {
    progress(`D=${dim}: preparing the tables and the CPU reference`);
    const problem = makeProblem({ ...settings.shape, dim });
    const tokens = problem.batchSize * problem.seqLength;
    for (const contender of CONTENDERS) {
      const report = reports[contender.id];
      if (!report.available) continue;
      progress(`D=${dim}: ${contender.label}`);
      try {
        const run = await contender.run(problem, context);
        report.detail = run.detail ?? null;
        report.results[dim] = shapeResult(run, problem.expected, tokens);
      } catch (error) {
        if (!(error instanceof ContenderUnavailable)) {
          report.results[dim] = failed(error);
          continue;
        }
        report.available = false;
        report.note = error.message;
        report.results = {};
      }
    }
  }
  return reports;
}

async function compareTokenizers(settings: Settings): Promise<TokenizeReport> {
  const sample = await readTextFile(SAMPLE_TEXT_URL);
  const sampleBytes = encoder.encode(sample).length;
  const copies = Math.ceil(settings.tokenizeBytes / sampleBytes);
  const text = sample.repeat(copies);
  const megabytes = (sampleBytes * copies) / 1e6;
  const encoding = "gpt2";
  const workers = navigator.hardwareConcurrency;
  // One text per repetition: tokenizing 20 MB is long enough to time on its own.
  const timing = { ...settings.timing, minBatches: 1, maxBatches: 1 };

  progress(`tokenization: single-threaded, ${megabytes.toFixed(1)} MB`);
  using single = new BpeTokenizer(encoding);
  const ids = single.encode(text);
  const singleTime = await measure(() => {
    single.encode(text);
  }, timing);

  progress(`tokenization: ${workers} workers, ${megabytes.toFixed(1)} MB`);
  const parallelIds = await encodeOnWorkers(text, encoding, workers);
  const identical = parallelIds.length === ids.length &&
    parallelIds.every((id, i) => id === ids[i]);
  const parallelTime = await measure(async () => {
    await encodeOnWorkers(text, encoding, workers);
  }, timing);

  return {
    encoding,
    text: `data/the-verdict.txt × ${copies}`,
    text_bytes: sampleBytes * copies,
    tokens: ids.length,
    single: { mb_per_s: megabytes / singleTime.msPerBatch * 1e3, ms: singleTime.msPerBatch },
    parallel: {
      mb_per_s: megabytes / parallelTime.msPerBatch * 1e3,
      ms: parallelTime.msPerBatch,
      workers,
      identical_ids: identical,
    },
    note: identical ? null : "the parallel tokenizer's ids differ from single-threaded tiktoken's",
  };
}

function ratios(
  report: Omit<Report, "ratios" | "ratio_notes">,
): Pick<Report, "ratios" | "ratio_notes"> {
  const dim = report.settings.ratio_dim;
  const values: Record<string, number | null> = {};
  const notes: Record<string, string> = {};
  for (const [key, numerator, denominator] of RATIOS) {
    const [top, bottom] = [numerator, denominator].map((id) =>
      report.contenders[id]?.results[dim]?.mtok_per_s ?? null
    );
    values[key] = top !== null && bottom !== null ? top / bottom : null;
    if (values[key] === null) {
      const id = top === null ? numerator : denominator;
      const contender = report.contenders[id];
      notes[key] = `${id}: ${contender?.note ?? contender?.results[dim]?.note ?? "no figure"}`;
    }
  }
  const { single, parallel, note } = report.tokenize;
  const key = "tokenize_parallel_vs_single";
  values[key] = parallel.identical_ids ? parallel.mb_per_s / single.mb_per_s : null;
  if (values[key] === null) notes[key] = note!;
  return { ratios: values, ratio_notes: notes };
}

/** Columns padded to their widest cell; the first left-aligned, the others right-aligned. */
function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, column) =>
    Math.max(...rows.map((row) => row[column]?.length ?? 0))
  );
  return rows.map((row) =>
    row.map((cell, column) =>
      column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])
    ).join("  ").trimEnd()
  ).join("\n");
}

function formatNumber(value: number | null, digits = 3): string {
  if (value === null) return "–";
  return value >= 100 ? value.toFixed(0) : value.toPrecision(digits);
}

function printReport(report: Report): void {
  const { machine, settings, contenders, tokenize } = report;
  console.log(
    `${COMMAND}: vocabulary ${settings.vocab_size}, B=${settings.batch_size}, ` +
      `T=${settings.seq_length}; median of ${settings.repetitions} repetitions` +
      (settings.quick ? " (quick: tiny shapes, figures meaningless)" : ""),
  );
  console.log(
    `CPU: ${machine.cpu} (${machine.cores} cores) · GPU: ${machine.adapter} · ` +
      `Deno ${machine.deno} · ${machine.date}\n`,
  );
  const header = [
    "contender",
    ...settings.dims.map((dim) => `D=${dim} Mtok/s`),
    "upload B/batch",
    "checked",
  ];
  const rows = [header];
  const notes: string[] = [];
  for (const [id, contender] of Object.entries(contenders)) {
    if (!contender.available) {
      rows.push([contender.label, ...settings.dims.map(() => "absent"), "", ""]);
      notes.push(`${id}: ${contender.note}`);
      continue;
    }
    const results = settings.dims.map((dim) => contender.results[dim]);
    const bytes = results.find((r) => r !== undefined)?.bytes_uploaded_per_batch ?? null;
    rows.push([
      contender.label,
      ...results.map((r) => formatNumber(r?.mtok_per_s ?? null)),
      bytes === null ? "–" : bytes.toLocaleString("en"),
      results.every((r) => r?.verified) ? "ok" : "FAILED",
    ]);
    for (const [dim, r] of Object.entries(contender.results)) {
      if (r.note !== null) notes.push(`${id} at D=${dim}: ${r.note}`);
    }
    if (contender.detail !== null) notes.push(`${id}: ${contender.detail}`);
  }
  console.log(formatTable(rows));
  if (notes.length > 0) console.log("\n" + notes.join("\n"));
  const mb = formatNumber(tokenize.text_bytes / 1e6);
  console.log(
    `\ntokenization (${tokenize.encoding}, ${mb} MB, ${tokenize.text}): single-threaded ` +
      `${formatNumber(tokenize.single.mb_per_s)} MB/s, ${tokenize.parallel.workers} workers ` +
      `${formatNumber(tokenize.parallel.mb_per_s)} MB/s` +
      (tokenize.note === null ? "" : ` (${tokenize.note})`),
  );
  console.log(`\nratios at D=${settings.ratio_dim} (throughput over throughput):`);
  console.log(formatTable(
    Object.entries(report.ratios).map(([key, value]) => [
      `  ${key}`,
      formatNumber(value),
      value === null ? `(${report.ratio_notes[key]})` : "",
    ]),
  ));
}

async function main(): Promise<void> {
  const { options, positionals } = parseArgs(COMMAND, Deno.args, {
    json: { type: "boolean", help: "print one JSON object" },
    quick: { type: "boolean", help: "tiny shapes, for the tests" },
  });
  if (positionals.length > 0) {
    throw new InputError(
      positionals[0],
      "is not an argument of this command: it takes only --json and --quick",
    );
  }
  const quick = options.get("quick") === true;
  const settings = quick ? QUICK : FULL;
  const gpu = await GpuDevice.shared();
  const machine = await machineInfo(gpu);
  const context: RunContext = { gpu, timing: settings.timing, cores: machine.cores };
  const contenders = await compareEmbeddings(settings, context);
  const tokenize = await compareTokenizers(settings);
  progress("");
  const partial = {
    machine,
    command: [COMMAND, ...Deno.args].join(" "),
    settings: {
      vocab_size: settings.shape.vocabSize,
      batch_size: settings.shape.batchSize,
      seq_length: settings.shape.seqLength,
      dims: settings.dims,
      ratio_dim: settings.dims[0],
      repetitions: settings.timing.repetitions,
      target_ms_per_repetition: settings.timing.targetMs,
      quick,
    },
    contenders,
    tokenize,
  };
  const report: Report = { ...partial, ...ratios(partial) };
  if (options.get("json")) {
    console.log(JSON.stringify(report));
  } else {
    printReport(report);
  }
}

if (import.meta.main) await runCli(COMMAND, main);
