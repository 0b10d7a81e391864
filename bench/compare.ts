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
 * parallel tokenization of a ≥ 20 MB text. Then training steps (forward, loss, backward,
 * optimizer step), each contender's first loss checked against the CPU reference: the note's
 * semiGPT (V = 2701, B = 32, T = 8) and the book's input-embedding layers (V = 50257, D = 256,
 * B = 64, T = 256, loss `sum(out * R)`, both tables updated), by this module, tfjs-webgpu
 * (`tf.gather`, the loss, its gradients, `tf.train.adam`) and PyTorch CPU (`torch.optim.AdamW`),
 * with where this module's step spends its time (its kernels timed apart); and one AdamW step
 * against `copyBufferToBuffer` (bytes moved per second, both timed the same way).
 * Prints tables; `--json` prints one object:
 * `{"machine", "command", "settings", "contenders": {id: {"label", "available", "note",
 * "detail", "results": {"<D>": {"mtok_per_s", "ms_per_batch", "bytes_uploaded_per_batch",
 * "batches_per_repetition", "verified", "max_abs_error", "note"}}}}, "tokenize", "training":
 * {"problems": {id: {"shape", "expected_first_loss", "contenders": {id: {"label",
 * "available", "detail", "note", "result": {"ms_per_step", "steps_per_s",
 * "steps_per_repetition", "verified", "first_loss", "breakdown", "note"}}}}}, "adamw",
 * "adamw_note"}, "ratios", "ratio_notes"}`; each ratio is a number, or null when a side is
 * missing (the embedding ratios at the first D).
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
import {
  type AdamWBandwidth,
  adamwBandwidth,
  inputEmbeddingModule,
  semigptModule,
} from "./harness/training_contenders.ts";
import {
  lossMatches,
  makeInputEmbeddingStep,
  makeSemigptStep,
  type TrainingContender,
  type TrainingContext,
  type TrainingProblem,
} from "./harness/training_problem.ts";
import { tfjsTraining } from "./harness/tfjs_training.ts";
import { torchTraining } from "./harness/torch_training.ts";

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

/** The training steps compared, each with its contenders: ours, tfjs-webgpu, PyTorch CPU. */
const TRAINING: readonly {
  id: "semigpt_step" | "input_embedding_step";
  contenders: readonly TrainingContender[];
}[] = [
  { id: "semigpt_step", contenders: [semigptModule, tfjsTraining, torchTraining] },
  { id: "input_embedding_step", contenders: [inputEmbeddingModule, tfjsTraining, torchTraining] },
];

/** Training ratios: [key, problem, numerator contender, denominator contender]. */
const TRAINING_RATIOS: readonly [string, string, string, string][] = [
  ["semigpt_step_vs_tfjs_webgpu", "semigpt_step", "module", "tfjs_webgpu"],
  ["semigpt_step_vs_torch_cpu", "semigpt_step", "module", "torch_cpu"],
  ["input_embedding_step_vs_tfjs_webgpu", "input_embedding_step", "module", "tfjs_webgpu"],
  ["input_embedding_step_vs_torch_cpu", "input_embedding_step", "module", "torch_cpu"],
];

interface TrainingShapes {
  semigpt: { vocabSize: number; batchSize: number; seqLength: number };
  inputEmbedding: { vocabSize: number; dim: number; batchSize: number; seqLength: number };
  /** Training steps are long: a repetition runs at least this many, at most `maxSteps`. */
  timing: TimingOptions;
}

interface Settings {
  shape: Omit<ProblemShape, "dim">;
  dims: number[];
  timing: TimingOptions;
  training: TrainingShapes;
  /** The tokenization text is the sample text repeated to at least this many bytes. */
  tokenizeBytes: number;
}

/** The shapes and the full timing rule. */
const FULL: Settings = {
  shape: { vocabSize: 50257, batchSize: 64, seqLength: 256 },
  dims: [256, 512],
  timing: { repetitions: 5, targetMs: 200, minBatches: 4, maxBatches: 1000 },
  tokenizeBytes: 20_000_000,
  training: {
    semigpt: { vocabSize: 2701, batchSize: 32, seqLength: 8 },
    inputEmbedding: { vocabSize: 50257, dim: 256, batchSize: 64, seqLength: 256 },
    timing: { repetitions: 5, targetMs: 500, minBatches: 2, maxBatches: 200 },
  },
};

/** Tiny shapes for the tests: every code path, in seconds. */
const QUICK: Settings = {
  shape: { vocabSize: 1000, batchSize: 2, seqLength: 8 },
  dims: [8, 12],
  timing: { repetitions: 5, targetMs: 2, minBatches: 2, maxBatches: 50 },
  tokenizeBytes: 40_000,
  training: {
    semigpt: { vocabSize: 61, batchSize: 2, seqLength: 4 },
    inputEmbedding: { vocabSize: 1000, dim: 12, batchSize: 2, seqLength: 4 },
    timing: { repetitions: 5, targetMs: 2, minBatches: 2, maxBatches: 20 },
  },
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

interface TrainingResult {
  ms_per_step: number | null;
  steps_per_s: number | null;
  steps_per_repetition: number | null;
  verified: boolean;
  first_loss: number | null;
  /** Milliseconds per step of each part, timed apart (only this module's contender). */
  breakdown: Record<string, number> | null;
  note: string | null;
}

interface TrainingContenderReport {
  label: string;
  available: boolean;
  detail: string | null;
  result: TrainingResult | null;
  note: string | null;
}

interface TrainingProblemReport {
  shape: Record<string, number>;
  expected_first_loss: number;
  contenders: Record<string, TrainingContenderReport>;
}

interface TrainingReport {
  problems: Record<string, TrainingProblemReport>;
  adamw: {
    elements: number;
    adamw: { ms: number; bytes: number; gb_per_s: number };
    copy: { ms: number; bytes: number; gb_per_s: number };
    timing: string;
  } | null;
  adamw_note: string | null;
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
  training: TrainingReport;
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

/** Runs one training contender on a problem, or says why it could not. */
async function runTraining(
  contender: TrainingContender,
  problem: TrainingProblem,
  context: TrainingContext,
): Promise<TrainingContenderReport> {
  const report: TrainingContenderReport = {
    label: contender.label,
    available: true,
    detail: null,
    result: null,
    note: null,
  };
  try {
    const run = await contender.run(problem, context);
    const verified = lossMatches(run.firstLoss, problem.expectedLoss);
    const ms = run.measurement.msPerBatch;
    report.detail = run.detail ?? null;
    report.result = {
      ms_per_step: verified ? ms : null,
      steps_per_s: verified ? 1e3 / ms : null,
      steps_per_repetition: run.measurement.batchesPerRepetition,
      verified,
      first_loss: Number.isFinite(run.firstLoss) ? run.firstLoss : null,
      breakdown: run.breakdown ?? null,
      note: verified
        ? null
        : `first loss ${run.firstLoss} differs from the CPU reference's ${problem.expectedLoss}`,
    };
  } catch (error) {
    if (error instanceof ContenderUnavailable) {
      report.available = false;
    }
    report.note = (error as Error).message;
  }
  return report;
}

/** Every training step by every contender, then AdamW against copyBufferToBuffer. */
async function compareTraining(
  settings: Settings,
  context: RunContext,
): Promise<TrainingReport> {
  const { semigpt, inputEmbedding, timing } = settings.training;
  const trainingContext: TrainingContext = { ...context, timing };
  const problems: Record<string, TrainingProblemReport> = {};
  for (const { id, contenders } of TRAINING) {
    progress(`${id}: preparing the problem and the CPU reference`);
    const problem = id === "semigpt_step"
      ? makeSemigptStep(semigpt)
      : makeInputEmbeddingStep(inputEmbedding);
    const shape = id === "semigpt_step" ? semigpt : inputEmbedding;
    const report: TrainingProblemReport = {
      shape: { ...shape },
      expected_first_loss: problem.expectedLoss,
      contenders: {},
    };
    for (const contender of contenders) {
      progress(`${id}: ${contender.label}`);
      report.contenders[contender.id] = await runTraining(contender, problem, trainingContext);
    }
    problems[id] = report;
  }
  progress("AdamW against copyBufferToBuffer");
  let adamw: TrainingReport["adamw"] = null;
  let adamwNote: string | null = null;
  try {
    const figures: AdamWBandwidth = await adamwBandwidth(
      trainingContext,
      semigpt.vocabSize * semigpt.vocabSize,
    );
    adamw = {
      elements: figures.elements,
      adamw: figures.adamw,
      copy: figures.copy,
      timing: "each recorded many times into one submit, waited for with onSubmittedWorkDone, " +
        "median of the repetitions; AdamW moves 28 bytes an element (reads param, grad, exp_avg, " +
        "exp_avg_sq; writes param, exp_avg, exp_avg_sq), the copy 8 (reads and writes the " +
        "param's bytes)",
    };
  } catch (error) {
    adamwNote = (error as Error).message;
  }
  return { problems, adamw, adamw_note: adamwNote };
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
  for (const [key, problem, numerator, denominator] of TRAINING_RATIOS) {
    const contenders = report.training.problems[problem]?.contenders ?? {};
    const [top, bottom] = [numerator, denominator].map((id) =>
      contenders[id]?.result?.steps_per_s ?? null
    );
    values[key] = top !== null && bottom !== null ? top / bottom : null;
    if (values[key] === null) {
      const id = top === null ? numerator : denominator;
      const contender = contenders[id];
      notes[key] = `${problem} ${id}: ${contender?.note ?? contender?.result?.note ?? "no figure"}`;
    }
  }
  const adamw = report.training.adamw;
  values.adamw_vs_copy = adamw === null ? null : adamw.adamw.gb_per_s / adamw.copy.gb_per_s;
  if (adamw === null) notes.adamw_vs_copy = report.training.adamw_note ?? "no figure";
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

function printTraining(training: TrainingReport): void {
  for (const [id, problem] of Object.entries(training.problems)) {
    const shape = Object.entries(problem.shape).map(([k, v]) => `${k} ${v}`).join(", ");
    console.log(`\ntraining step ${id} (${shape}): forward, loss, backward, optimizer step`);
    const rows = [["contender", "ms/step", "steps/s", "checked"]];
    const notes: string[] = [];
    for (const [cid, contender] of Object.entries(problem.contenders)) {
      const result = contender.result;
      rows.push([
        contender.label,
        formatNumber(result?.ms_per_step ?? null),
        formatNumber(result?.steps_per_s ?? null),
        !contender.available ? "absent" : result?.verified ? "ok" : "FAILED",
      ]);
      const note = contender.note ?? result?.note ?? null;
      if (note !== null) notes.push(`${cid}: ${note}`);
      if (contender.detail !== null) notes.push(`${cid}: ${contender.detail}`);
      if (result?.breakdown) {
        const total = Object.values(result.breakdown).reduce((a, b) => a + b, 0);
        notes.push(
          `${cid}: where a step goes (kernels timed apart, ms): ` +
            Object.entries(result.breakdown).map(([part, ms]) =>
              `${part} ${formatNumber(ms)} (${Math.round(100 * ms / total)}%)`
            ).join(", "),
        );
      }
    }
    console.log(formatTable(rows));
    if (notes.length > 0) console.log(notes.join("\n"));
  }
  const adamw = training.adamw;
  if (adamw !== null) {
    console.log(
      `\nAdamW over ${adamw.elements.toLocaleString("en")} elements: ` +
        `${formatNumber(adamw.adamw.ms)} ms, ${formatNumber(adamw.adamw.gb_per_s)} GB/s of ` +
        `${formatNumber(adamw.adamw.bytes / 1e6)} MB; copyBufferToBuffer of the parameter: ` +
        `${formatNumber(adamw.copy.ms)} ms, ${formatNumber(adamw.copy.gb_per_s)} GB/s`,
    );
  } else {
    console.log(`\nAdamW against copy: ${training.adamw_note}`);
  }
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
  printTraining(report.training);
  console.log(
    `\nratios (throughput over throughput; the embedding ones at D=${settings.ratio_dim}):`,
  );
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
  const training = await compareTraining(settings, context);
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
    training,
  };
  const report: Report = { ...partial, ...ratios(partial) };
  if (options.get("json")) {
    console.log(JSON.stringify(report));
  } else {
    printReport(report);
  }
}

if (import.meta.main) await runCli(COMMAND, main);
