// PyTorch on the CPU training the same steps (torch.optim.AdamW), through the first python3 that
// has torch: the reference figure for a native CPU library.
import { ContenderUnavailable } from "./contender.ts";
import { findTorchPython } from "./torch_contender.ts";
import type { TrainingContender, TrainingProblem, TrainingRun } from "./training_problem.ts";
import type { TimingOptions } from "./measure.ts";
import { runPythonScript } from "./python.ts";

const SCRIPT = decodeURIComponent(new URL("torch_training.py", import.meta.url).pathname);

interface TorchTrainingReport {
  torch: string;
  threads: number;
  ms_per_step: number;
  steps_per_repetition: number;
  samples: number[];
  first_loss: number;
}

async function runScript(
  python: string,
  problem: TrainingProblem,
  timing: TimingOptions,
  threads: number,
): Promise<TorchTrainingReport> {
  const header = {
    kind: problem.kind,
    vocab_size: problem.vocabSize,
    batch_size: problem.batchSize,
    seq_length: problem.seqLength,
    dim: problem.kind === "input_embedding_step" ? problem.dim : null,
    lr: problem.lr,
    threads,
    repetitions: timing.repetitions,
    target_ms: timing.targetMs,
    min_batches: timing.minBatches,
    max_batches: timing.maxBatches,
  };
  const arrays = problem.kind === "semigpt_step"
    ? [problem.table, problem.inputs, problem.targets]
    : [problem.token, problem.position, problem.ids, problem.r];
  const stdout = await runPythonScript(python, SCRIPT, header, arrays);
  return JSON.parse(new TextDecoder().decode(stdout));
}

/** PyTorch CPU: forward, loss, zero_grad, backward, AdamW step, `set_num_threads(cores)`. */
export const torchTraining: TrainingContender = {
  id: "torch_cpu",
  label: "PyTorch CPU (nn.Embedding, autograd, torch.optim.AdamW)",
  async run(problem, context): Promise<TrainingRun> {
    const found = await findTorchPython();
    if ("missing" in found) throw new ContenderUnavailable(found.missing);
    const report = await runScript(found.python, problem, context.timing, context.cores);
    return {
      measurement: {
        msPerBatch: report.ms_per_step,
        batchesPerRepetition: report.steps_per_repetition,
        samples: report.samples,
      },
      firstLoss: report.first_loss,
      detail: `torch ${report.torch}, ${report.threads} threads, ${found.python}`,
    };
  },
};
