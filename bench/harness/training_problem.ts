// The training steps bench:compare times: the note's semiGPT step (nn.Embedding(V, V), mean
// cross-entropy, backward, optimizer step) and the book's input-embedding layers' step (token +
// position tables, loss = sum(out * R), backward, optimizer step on both tables). Every
// contender starts from the same seeded tables and batch; its first step's loss is checked
// against the plain TypeScript reference before its time counts.
import { TorchGenerator } from "../../src/util/torch_rng.ts";
import type { GpuDevice } from "../../src/gpu/device.ts";
import { Prng } from "../../src/util/prng.ts";
import { crossEntropyCpu } from "../../src/gpu/kernels/cross_entropy/cpu_reference.ts";
import { gatherRows } from "../../src/nn/bigram_cpu_reference.ts";
import type { Measurement, TimingOptions } from "./measure.ts";

/** The note's step: one `[V, V]` table, `B × T` (input, target) pairs. */
export interface SemigptStepProblem {
  kind: "semigpt_step";
  vocabSize: number;
  batchSize: number;
  seqLength: number;
  lr: number;
  /** `[V, V]`, standard normal. */
  table: Float32Array;
  /** `[B, T]` input ids. */
  inputs: Uint32Array;
  /** `[B, T]` target ids. */
  targets: Uint32Array;
  /** The first step's loss (mean cross-entropy) from the CPU reference. */
  expectedLoss: number;
}

/** The book's layers' step: `out = token[ids] + position[t]`, `loss = sum(out * R)`. */
export interface InputEmbeddingStepProblem {
  kind: "input_embedding_step";
  vocabSize: number;
  dim: number;
  batchSize: number;
  seqLength: number;
  lr: number;
  /** `[V, D]`, standard normal. */
  token: Float32Array;
  /** `[T, D]`, standard normal. */
  position: Float32Array;
  /** `[B, T]` ids. */
  ids: Uint32Array;
  /** `[B, T, D]`, standard normal: the upstream gradient. */
  r: Float32Array;
  /** The first step's loss from the CPU reference (float64 sum). */
  expectedLoss: number;
}

export type TrainingProblem = SemigptStepProblem | InputEmbeddingStepProblem;

/** The semiGPT step's shape from the issue: V = 2701, B = 32, T = 8. */
export function makeSemigptStep(
  shape: { vocabSize: number; batchSize: number; seqLength: number },
  seed = 1337,
): SemigptStepProblem {
  const { vocabSize, batchSize, seqLength } = shape;
  const table = new TorchGenerator(seed).normal(vocabSize * vocabSize);
  const prng = new Prng(seed);
  const rows = batchSize * seqLength;
  const inputs = Uint32Array.from({ length: rows }, () => prng.below(vocabSize));
  const targets = Uint32Array.from({ length: rows }, () => prng.below(vocabSize));
  const expectedLoss = crossEntropyCpu(
    gatherRows(table, vocabSize, inputs, rows),
    targets,
    vocabSize,
  );
  return {
    kind: "semigpt_step",
    ...shape,
    lr: 1e-2,
    table,
    inputs,
    targets,
    expectedLoss,
  };
}

/** The book's layers' step from the issue: V = 50257, D = 256, B = 64, T = 256. */
export function makeInputEmbeddingStep(
  shape: { vocabSize: number; dim: number; batchSize: number; seqLength: number },
  seed = 123,
): InputEmbeddingStepProblem {
  const { vocabSize, dim, batchSize, seqLength } = shape;
  const random = new TorchGenerator(seed);
  const token = random.normal(vocabSize * dim);
  const position = random.normal(seqLength * dim);
  const r = random.normal(batchSize * seqLength * dim);
  const prng = new Prng(seed);
  const ids = Uint32Array.from({ length: batchSize * seqLength }, () => prng.below(vocabSize));
  let expectedLoss = 0;
  for (let row = 0; row < batchSize * seqLength; row++) {
    const t = row % seqLength;
    for (let d = 0; d < dim; d++) {
      expectedLoss += Math.fround(token[ids[row] * dim + d] + position[t * dim + d]) *
        r[row * dim + d];
    }
  }
  return {
    kind: "input_embedding_step",
    ...shape,
    lr: 1e-3,
    token,
    position,
    ids,
    r,
    expectedLoss,
  };
}

/** Whether a contender's first loss matches the reference (relative 1e-4, absolute for |x| < 1). */
export function lossMatches(loss: number, expected: number): boolean {
  return Math.abs(loss - expected) <= 1e-4 * Math.max(1, Math.abs(expected));
}

/** What every training contender gets besides the problem. */
export interface TrainingContext {
  gpu: GpuDevice;
  timing: TimingOptions;
  cores: number;
}

/** One contender's figures for one training problem. */
export interface TrainingRun {
  /** Time per step. */
  measurement: Measurement;
  /** The loss of the first step (before any update), checked against the reference. */
  firstLoss: number;
  /** Extra facts for the report. */
  detail?: string;
  /** Where a step's time goes: milliseconds per step of each part, timed apart. */
  breakdown?: Record<string, number>;
}

/** A way of running training steps. */
export interface TrainingContender {
  readonly id: string;
  readonly label: string;
  /** Whether it runs this problem (every contender runs both). */
  run(problem: TrainingProblem, context: TrainingContext): Promise<TrainingRun>;
}
