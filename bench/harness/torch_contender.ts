// PyTorch on the CPU (`nn.Embedding` + the position add, threads = cores), through the first
// python3 that has torch (see python.ts).
import { type Contender, ContenderUnavailable } from "./contender.ts";
import type { EmbeddingProblem } from "./embedding_problem.ts";
import type { TimingOptions } from "./measure.ts";
import { PYTHONS, runPythonCode, runPythonScript } from "./python.ts";

const SCRIPT = decodeURIComponent(new URL("torch_embedding.py", import.meta.url).pathname);

let found: Promise<{ python: string } | { missing: string }> | undefined;

/** The first of {@linkcode PYTHONS} that imports torch, or why none does. */
export function findTorchPython(): Promise<{ python: string } | { missing: string }> {
  found ??= (async () => {
    const reasons: string[] = [];
    for (const python of PYTHONS) {
      try {
        await runPythonCode(python, "import torch");
        return { python };
      } catch (error) {
        reasons.push((error as Error).message);
      }
    }
    return { missing: `no python3 with torch (${reasons.join("; ")})` };
  })();
  return found;
}

interface TorchReport {
  torch: string;
  threads: number;
  ms_per_batch: number;
  batches_per_repetition: number;
  samples: number[];
}

async function runScript(
  python: string,
  problem: EmbeddingProblem,
  timing: TimingOptions,
  threads: number,
): Promise<{ report: TorchReport; output: Float32Array }> {
  const { vocabSize, batchSize, seqLength, dim } = problem;
  const header = {
    vocab_size: vocabSize,
    batch_size: batchSize,
    seq_length: seqLength,
    dim,
    threads,
    repetitions: timing.repetitions,
    target_ms: timing.targetMs,
    min_batches: timing.minBatches,
    max_batches: timing.maxBatches,
  };
  const stdout = await runPythonScript(python, SCRIPT, header, [
    problem.table,
    problem.positions,
    problem.ids,
  ]);
  const newline = stdout.indexOf(10);
  const report = JSON.parse(new TextDecoder().decode(stdout.subarray(0, newline))) as TorchReport;
  const bytes = stdout.slice(newline + 1);
  return { report, output: new Float32Array(bytes.buffer, 0, bytes.byteLength >> 2) };
}

/** PyTorch CPU: `tok(ids) + pos(arange(T))` under `inference_mode`, with `set_num_threads(cores)`. */
export const torchCpu: Contender = {
  id: "torch_cpu",
  label: "PyTorch CPU nn.Embedding + add",
  async run(problem, context) {
    const found = await findTorchPython();
    if ("missing" in found) throw new ContenderUnavailable(found.missing);
    const { report, output } = await runScript(
      found.python,
      problem,
      context.timing,
      context.cores,
    );
    return {
      measurement: {
        msPerBatch: report.ms_per_batch,
        batchesPerRepetition: report.batches_per_repetition,
        samples: report.samples,
      },
      output,
      bytesUploadedPerBatch: null,
      detail: `torch ${report.torch}, ${report.threads} threads, ${found.python}`,
    };
  },
};
