// PyTorch on the CPU training the same steps (torch.optim.AdamW), through the first python3 that
// has torch: the reference figure for a native CPU library.
import { ContenderUnavailable } from "./contender.ts";
import { findTorchPython } from "./torch_contender.ts";
import type { TrainingContender, TrainingProblem, TrainingRun } from "./training_problem.ts";
import type { TimingOptions } from "./measure.ts";

const SCRIPT = decodeURIComponent(new URL("torch_training.py", import.meta.url).pathname);

interface TorchTrainingReport {
  torch: string;
  threads: number;
  ms_per_step: number;
  steps_per_repetition: number;
  samples: number[];
  first_loss: number;
}

function bytes(array: Float32Array | Uint32Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

async function runScript(
  python: string,
  problem: TrainingProblem,
  timing: TimingOptions,
  threads: number,
): Promise<TorchTrainingReport> {
  const child = new Deno.Command(python, {
    args: [SCRIPT],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const finished = child.output();
  const header = JSON.stringify({
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
  });
  const arrays = problem.kind === "semigpt_step"
    ? [problem.table, problem.inputs, problem.targets]
    : [problem.token, problem.position, problem.ids, problem.r];
  const writer = child.stdin.getWriter();
  try {
    await writer.write(new TextEncoder().encode(header + "\n"));
    for (const array of arrays) await writer.write(bytes(array));
    await writer.close();
  } catch {
    // The script exited early; its stderr says why.
  }
  const { success, stdout, stderr } = await finished;
  if (!success) {
    const message = new TextDecoder().decode(stderr).trim().split("\n").slice(-1)[0];
    throw new Error(`${python} ${SCRIPT} failed: ${message}`);
  }
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
