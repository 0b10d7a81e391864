// This module's training steps for bench:compare: the note's semiGPT through its public model
// (`BigramLanguageModel.trainStep`, ids uploaded per step, losses read back after the steps),
// the book's input-embedding layers through the public layers and `AdamW`, and AdamW alone
// against copyBufferToBuffer. Each also reports where a step's time goes: its kernels timed apart.
import sumBody from "../kernels/dot_sum.wgsl" with { type: "text" };
import type { GpuDevice } from "../../src/gpu/device.ts";
import { adamwCall } from "../../src/gpu/kernels/adamw/adamw.ts";
import {
  type KernelCall,
  kernelFor,
  type PreparedRun,
} from "../../src/gpu/kernels/compute_kernel.ts";
import {
  gradCall,
  meanCall,
  rowStatsCall,
} from "../../src/gpu/kernels/cross_entropy/cross_entropy.ts";
import { gatherCall } from "../../src/gpu/kernels/embedding/gather.ts";
import { gatherPositionalAddCall } from "../../src/gpu/kernels/embedding/gather_positional_add.ts";
import { embeddingBackwardCall } from "../../src/gpu/kernels/embedding_backward/embedding_backward.ts";
import { positionalBackwardCall } from "../../src/gpu/kernels/embedding_backward/positional_backward.ts";
import { zerosLike } from "../../src/gpu/kernels/segments.ts";
import { Tensor } from "../../src/gpu/tensor.ts";
import { AdamW } from "../../src/nn/adamw.ts";
import { BigramLanguageModel } from "../../src/nn/bigram_language_model.ts";
import { InputEmbedding } from "../../src/nn/input_embedding.ts";
import { PositionalEmbedding } from "../../src/nn/positional_embedding.ts";
import { TokenEmbedding } from "../../src/nn/token_embedding.ts";
import { gpuBatches, type RecordBatch } from "./gpu_batches.ts";
import { measure, type Measurement, type TimingOptions } from "./measure.ts";
import type {
  InputEmbeddingStepProblem,
  SemigptStepProblem,
  TrainingContender,
  TrainingContext,
  TrainingRun,
} from "./training_problem.ts";

const ADAMW = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

/** Records prepared runs, each in a compute pass of its own. */
async function prepared(
  gpu: GpuDevice,
  calls: readonly KernelCall[],
): Promise<{ record: RecordBatch } & Disposable> {
  const runs: PreparedRun[] = [];
  for (const { kernel, run } of calls) runs.push(await kernel.prepare(gpu, run));
  return {
    record: (encoder) => {
      for (const run of runs) {
        const pass = encoder.beginComputePass();
        run.record(pass);
        pass.end();
      }
    },
    [Symbol.dispose]: () => runs.forEach((run) => run[Symbol.dispose]()),
  };
}

/** Milliseconds per recording of `record`, timed like every GPU contender (one submit). */
async function timeRecorded(
  gpu: GpuDevice,
  label: string,
  record: RecordBatch,
  timing: TimingOptions,
): Promise<number> {
  return (await measure(gpuBatches(gpu, label, record), timing)).msPerBatch;
}

/** Parts of a step timed apart: each part's calls prepared and recorded alone. */
async function breakdown(
  gpu: GpuDevice,
  parts: Record<string, KernelCall[] | RecordBatch>,
  timing: TimingOptions,
): Promise<Record<string, number>> {
  const times: Record<string, number> = {};
  for (const [name, part] of Object.entries(parts)) {
    if (typeof part === "function") {
      times[name] = await timeRecorded(gpu, name, part, timing);
      continue;
    }
    using run = await prepared(gpu, part);
    times[name] = await timeRecorded(gpu, name, run.record, timing);
  }
  return times;
}

/** The note's step through `BigramLanguageModel.trainStep`, as the train task runs it. */
export const semigptModule: TrainingContender = {
  id: "module",
  label: "this module: BigramLanguageModel.trainStep (WGSL kernels)",
  async run(problem, context): Promise<TrainingRun> {
    if (problem.kind !== "semigpt_step") throw new Error("semigpt_step only");
    const { gpu, timing } = context;
    const { vocabSize, batchSize, seqLength, lr } = problem;
    using model = await BigramLanguageModel.create(gpu, {
      vocabSize,
      weight: problem.table,
      lr,
    });
    const batch = {
      inputs: problem.inputs,
      targets: problem.targets,
      starts: new Uint32Array(batchSize),
      rows: batchSize,
      seqLength,
      index: 0,
    };
    model.trainStep(batch);
    const [firstLoss] = await model.takeLosses();
    const measurement = await measure(async (count) => {
      for (let i = 0; i < count; i++) model.trainStep(batch);
      await model.takeLosses();
    }, timing);
    return {
      measurement,
      firstLoss,
      breakdown: await semigptBreakdown(gpu, problem, timing),
      detail: "ids uploaded per step; losses read back once per repetition",
    };
  },
};

/** The kernels of the semiGPT step, each timed alone on the problem's shapes. */
async function semigptBreakdown(
  gpu: GpuDevice,
  problem: SemigptStepProblem,
  timing: TimingOptions,
): Promise<Record<string, number>> {
  const { vocabSize: v, batchSize, seqLength } = problem;
  const rows = batchSize * seqLength;
  using table = await Tensor.from(gpu, problem.table, { shape: [v, v] });
  using grad = await zerosLike(table, "grad");
  using m = await zerosLike(table, "exp_avg");
  using sq = await zerosLike(table, "exp_avg_sq");
  using inputs = await Tensor.from(gpu, problem.inputs);
  using targets = await Tensor.from(gpu, problem.targets);
  using logits = await Tensor.zeros(gpu, [rows, v]);
  using gradLogits = await Tensor.zeros(gpu, [rows, v]);
  using stats = await Tensor.zeros(gpu, [rows, 2]);
  using rowLosses = await Tensor.zeros(gpu, [rows]);
  using loss = await Tensor.zeros(gpu, []);
  const ids = { buffer: inputs.buffer };
  const next = { buffer: targets.buffer };
  return await breakdown(gpu, {
    "gather logits": [gatherCall(table, ids, logits)],
    "cross-entropy (row max/log-sum, mean)": [
      rowStatsCall(logits, next, stats, rowLosses),
      meanCall(rowLosses, loss),
    ],
    "cross-entropy gradient": [gradCall(logits, next, stats, gradLogits)],
    "zero_grad (clearBuffer)": (encoder) => {
      for (const segment of grad.segments) encoder.clearBuffer(segment.buffer);
    },
    "embedding backward": [embeddingBackwardCall(gradLogits, problem.inputs, grad)],
    "AdamW": [adamwCall(table, grad, m, sq, { lr: problem.lr, ...ADAMW, step: 1 })],
  }, timing);
}

/**
 * The book's layers' step through the public layers and optimizer, as a user writes it:
 * `forward`, the loss, `optimizer.zeroGrad()`, `embedding.backward(ids, R)`, `optimizer.step()`.
 */
export const inputEmbeddingModule: TrainingContender = {
  id: "module",
  label: "this module: InputEmbedding forward/backward + AdamW (WGSL kernels)",
  async run(problem, context): Promise<TrainingRun> {
    if (problem.kind !== "input_embedding_step") throw new Error("input_embedding_step only");
    const { gpu, timing } = context;
    const { vocabSize, dim, batchSize, seqLength, lr } = problem;
    const token = await TokenEmbedding.create(gpu, vocabSize, dim, { weight: problem.token });
    const position = await PositionalEmbedding.create(gpu, seqLength, dim, {
      weight: problem.position,
    }).catch((error) => {
      token.dispose();
      throw error;
    });
    using embedding = new InputEmbedding(token, position);
    using optimizer = new AdamW(embedding.parameters(), { lr });
    using r = await Tensor.from(gpu, problem.r, { shape: [batchSize, seqLength, dim] });
    using partials = await Tensor.zeros(gpu, [256]);
    using ones = await Tensor.from(gpu, new Float32Array(256).fill(1));
    using loss = await Tensor.zeros(gpu, [1]);
    const ids = { data: problem.ids, shape: [batchSize, seqLength] };
    const step = async () => {
      using out = await embedding.forward(ids);
      for (const { kernel, run } of dotSumCalls(out, r, partials, ones, loss)) {
        await kernel.run(gpu, run);
      }
      await optimizer.zeroGrad();
      await embedding.backward(ids, r); // d sum(out * R) / d out = R
      await optimizer.step();
    };
    await step();
    const [firstLoss] = await loss.read();
    const measurement = await measure(async (count) => {
      for (let i = 0; i < count; i++) await step();
      await gpu.device.queue.onSubmittedWorkDone();
    }, timing);
    const parts = await inputEmbeddingParts(gpu, problem);
    try {
      return {
        measurement,
        firstLoss,
        breakdown: await breakdown(gpu, parts.parts, timing),
        detail: "ids uploaded per step; loss = sum(out * R) by a two-pass reduction " +
          "(bench/kernels/dot_sum.wgsl); the breakdown times the same kernels apart",
      };
    } finally {
      parts[Symbol.dispose]();
    }
  },
};

interface InputEmbeddingParts extends Disposable {
  /** The step's kernels, to time apart. */
  parts: Record<string, KernelCall[] | RecordBatch>;
}

/** A reduction of `a · b` into `partials`, then of the partials into `out[0]`. */
function dotSumCalls(
  a: Tensor<"f32">,
  b: Tensor<"f32">,
  partials: Tensor<"f32">,
  ones: Tensor<"f32">,
  out: Tensor<"f32">,
): KernelCall[] {
  const kernel = kernelFor("dot sum", sumBody);
  const chunk = Math.ceil(a.size / partials.size);
  return [
    {
      kernel,
      run: {
        storage: [[1, { buffer: a.buffer }], [2, { buffer: b.buffer }], [3, {
          buffer: partials.buffer,
        }]],
        dispatches: [{
          uniforms: Uint32Array.of(a.size, chunk, 0, 0),
          grid: { x: Math.ceil(a.size / chunk), y: 1 },
        }],
      },
    },
    {
      kernel,
      run: {
        storage: [[1, { buffer: partials.buffer }], [2, { buffer: ones.buffer }], [3, {
          buffer: out.buffer,
        }]],
        dispatches: [{
          uniforms: Uint32Array.of(partials.size, partials.size, 0, 0),
          grid: { x: 1, y: 1 },
        }],
      },
    },
  ];
}

/** The kernels the layers' step runs, on tensors of their own (for the breakdown). */
async function inputEmbeddingParts(
  gpu: GpuDevice,
  problem: InputEmbeddingStepProblem,
): Promise<InputEmbeddingParts> {
  const { vocabSize, dim, batchSize, seqLength, lr } = problem;
  const owned: Tensor[] = [];
  const keep = <T extends Tensor>(tensor: T) => (owned.push(tensor), tensor);
  const dispose = () => owned.forEach((tensor) => tensor.dispose());
  try {
    const token = keep(await Tensor.from(gpu, problem.token, { shape: [vocabSize, dim] }));
    const position = keep(await Tensor.from(gpu, problem.position, { shape: [seqLength, dim] }));
    const ids = keep(await Tensor.from(gpu, problem.ids));
    const r = keep(await Tensor.from(gpu, problem.r, { shape: [batchSize, seqLength, dim] }));
    const out = keep(await Tensor.zeros(gpu, [batchSize, seqLength, dim]));
    const partials = keep(await Tensor.zeros(gpu, [256]));
    const ones = keep(await Tensor.from(gpu, new Float32Array(256).fill(1)));
    const loss = keep(await Tensor.zeros(gpu, [1]));
    const tokenGrad = keep(await zerosLike(token, "token grad"));
    const tokenM = keep(await zerosLike(token, "token exp_avg"));
    const tokenV = keep(await zerosLike(token, "token exp_avg_sq"));
    const positionGrad = keep(await zerosLike(position, "position grad"));
    const positionM = keep(await zerosLike(position, "position exp_avg"));
    const positionV = keep(await zerosLike(position, "position exp_avg_sq"));
    const hyper = { lr, ...ADAMW, step: 1 };
    return {
      parts: {
        "forward (fused gather + add)": [
          gatherPositionalAddCall(token, position, { buffer: ids.buffer }, out),
        ],
        "loss sum(out * R)": dotSumCalls(out, r, partials, ones, loss),
        "zero_grad (clearBuffer)": (encoder) => {
          for (const grad of [tokenGrad, positionGrad]) {
            for (const segment of grad.segments) encoder.clearBuffer(segment.buffer);
          }
        },
        "token backward (rows grouped by id)": [embeddingBackwardCall(r, problem.ids, tokenGrad)],
        "position backward (sum over the batch)": [positionalBackwardCall(r, positionGrad)],
        "AdamW (both tables)": [
          adamwCall(token, tokenGrad, tokenM, tokenV, hyper),
          adamwCall(position, positionGrad, positionM, positionV, hyper),
        ],
      },
      [Symbol.dispose]: dispose,
    };
  } catch (error) {
    dispose();
    throw error;
  }
}

/** AdamW's effective bandwidth against copyBufferToBuffer's, both timed the same way. */
export interface AdamWBandwidth {
  elements: number;
  adamw: { ms: number; bytes: number; gb_per_s: number };
  copy: { ms: number; bytes: number; gb_per_s: number };
  measurement: { adamw: Measurement; copy: Measurement };
}

/**
 * One AdamW step over `elements` float32 values (reading the parameter, its gradient and both
 * moments, writing the parameter and both moments: 28 bytes an element) against
 * copyBufferToBuffer of the parameter's bytes (reading and writing each: 8 bytes an element).
 * Both are recorded many times into one submit and waited for with onSubmittedWorkDone, the
 * median of the repetitions (`gpuBatches` + `measure`, as every "× copy" figure of bench:compare).
 */
export async function adamwBandwidth(
  context: TrainingContext,
  elements: number,
): Promise<AdamWBandwidth> {
  const { gpu, timing } = context;
  const values = new Float32Array(elements).map((_, i) => Math.sin(i));
  using param = await Tensor.from(gpu, values);
  using grad = await Tensor.from(gpu, values);
  using m = await zerosLike(param, "exp_avg");
  using v = await zerosLike(param, "exp_avg_sq");
  using copy = await zerosLike(param, "copy");
  using adamw = await prepared(gpu, [
    adamwCall(param, grad, m, v, { lr: 1e-3, ...ADAMW, step: 1 }),
  ]);
  const adamwTime = await measure(gpuBatches(gpu, "AdamW", adamw.record), timing);
  const copyTime = await measure(
    gpuBatches(gpu, "copy", (encoder) => {
      encoder.copyBufferToBuffer(param.buffer, 0, copy.buffer, 0, param.byteLength);
    }),
    timing,
  );
  const figure = (ms: number, bytes: number) => ({ ms, bytes, gb_per_s: bytes / ms / 1e6 });
  return {
    elements,
    adamw: figure(adamwTime.msPerBatch, 28 * elements),
    copy: figure(copyTime.msPerBatch, 8 * elements),
    measurement: { adamw: adamwTime, copy: copyTime },
  };
}
