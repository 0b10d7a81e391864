// The note's training loop, evaluation and sampling, over any model that provides the few
// operations they need (the GPU model and its CPU reference alike).
import { InputError } from "../util/errors.ts";
import { checkInteger, checkOptions, describe } from "../util/checks.ts";
import { TorchGenerator } from "../util/torch_rng.ts";
import type { Batch } from "../batches/batch.ts";

/** The error for a non-finite loss: a diverged model is an error, never a number to report. */
function divergence(loss: number, where: string): InputError {
  return new InputError(
    "loss",
    `is ${loss} at ${where}: training diverged (the table holds NaN or infinite values); ` +
      "a lower learning rate avoids it",
  );
}

/**
 * What the note's loop needs of a bigram model. Training steps may run ahead of their losses:
 * {@linkcode TrainableBigram.trainStep} queues a step, {@linkcode TrainableBigram.takeLosses}
 * waits for the queued steps and returns their losses.
 */
export interface TrainableBigram {
  /** The vocabulary size V (the table is V × V). */
  readonly vocabSize: number;
  /**
   * The mean cross-entropy of a batch, without a gradient (`model(X, Y)` under `no_grad`). The
   * batch's arrays may be overwritten as soon as this returns.
   */
  loss(batch: Batch): Promise<number>;
  /**
   * Forward, loss, `zero_grad`, backward and one optimizer step on a batch. The batch's arrays
   * may be overwritten as soon as this returns.
   */
  trainStep(batch: Batch): void;
  /** The losses of the training steps since the last call, in order. */
  takeLosses(): Promise<Float32Array>;
  /** The softmax of the logits that follow token `id` (the model's next-token distribution). */
  nextTokenProbabilities(id: number): Promise<Float32Array>;
}

/** Something that draws batches, as {@linkcode TorchBlockSampler} does. */
export interface BatchSource {
  /** Draws the next batch. */
  sample(): Batch;
}

/** The note's two splits, each with its own sampler over one shared generator. */
export interface Splits<S extends BatchSource = BatchSource> {
  /** Batches of the training split. */
  train: S;
  /** Batches of the held-back split. */
  eval: S;
}

/** The mean losses of {@linkcode estimateLoss}. */
export interface SplitLosses {
  /** Mean loss over the training split's batches. */
  train: number;
  /** Mean loss over the held-back split's batches. */
  eval: number;
}

/**
 * The note's `estimate_loss`: the mean loss of `evalIters` batches of the training split, then of
 * `evalIters` batches of the held-back split (drawn in that order), without a gradient. Each mean
 * is float32, as `losses.mean()` of a float32 tensor.
 */
export async function estimateLoss(
  model: TrainableBigram,
  splits: Splits,
  evalIters: number,
): Promise<SplitLosses> {
  checkInteger("evalIters", evalIters, 1);
  const mean = async (source: BatchSource) => {
    // All batches drawn (and their ids taken by the model) before any loss is awaited, so that
    // a GPU model can compute them in one pass; the draws are in the note's order either way.
    const pending: Promise<number>[] = [];
    for (let k = 0; k < evalIters; k++) pending.push(model.loss(source.sample()));
    let sum = 0;
    for (const loss of await Promise.all(pending)) {
      if (!Number.isFinite(loss)) throw divergence(loss, "an evaluation");
      sum += loss;
    }
    return Math.fround(sum / evalIters);
  };
  const train = await mean(splits.train);
  const evalLoss = await mean(splits.eval);
  return { train, eval: evalLoss };
}

/**
 * The note's `generate`: `maxNewTokens` times, the softmax of the last token's logits (a bigram
 * model's logits depend on the last token only) and one `torch.multinomial(probs, 1)` draw
 * from `generator`. Returns the context followed by the new tokens.
 */
export async function generateTokens(
  model: TrainableBigram,
  generator: TorchGenerator,
  context: ArrayLike<number>,
  maxNewTokens: number,
): Promise<Uint32Array> {
  if (!(generator instanceof TorchGenerator)) {
    throw new InputError("generator", `must be a TorchGenerator, got ${describe(generator)}`);
  }
  checkInteger("maxNewTokens", maxNewTokens, 0);
  if (context === null || typeof context !== "object" || !(context.length >= 1)) {
    throw new InputError("context", `must hold at least one token id, got ${describe(context)}`);
  }
  const ids = new Uint32Array(context.length + maxNewTokens);
  for (let i = 0; i < context.length; i++) {
    checkInteger(`context[${i}]`, context[i], 0, model.vocabSize - 1);
    ids[i] = context[i];
  }
  for (let i = context.length; i < ids.length; i++) {
    const probs = await model.nextTokenProbabilities(ids[i - 1]);
    ids[i] = generator.multinomial(probs)[0];
  }
  return ids;
}

/** Settings of {@linkcode trainBigram}: the note's loop. */
export interface TrainLoopOptions {
  /** Training steps, an integer >= 0. */
  steps: number;
  /** Evaluate before every step that is a multiple of this, and after the last; an integer >= 1. */
  evalInterval: number;
  /** Batches per split in each evaluation, an integer >= 1. */
  evalIters: number;
  /** Called after each evaluation. */
  onEval?: (evaluation: Evaluation) => void;
  /**
   * Called as training steps finish, with the number done, the losses that became known (steps
   * run ahead of their losses; the losses arrive at least every `lossInterval` steps) and the
   * milliseconds spent in training steps so far.
   */
  onSteps?: (done: number, losses: Float32Array, trainMs: number) => void;
  /** Read the losses back at least this often (steps), an integer >= 1. Default: 50. */
  lossInterval?: number;
}

/** One evaluation of the loop: the step before which it ran and the two mean losses. */
export interface Evaluation extends SplitLosses {
  /** The step it ran before (the number of training steps done). */
  step: number;
}

/** What {@linkcode trainBigram} measured. */
export interface TrainLoopResult {
  /** Each training step's loss, in order. */
  trainLosses: Float32Array;
  /** The evaluations, in order: before step 0, every `evalInterval` steps, and after the last. */
  evals: Evaluation[];
  /** Milliseconds spent in training steps (evaluations excluded). */
  trainMs: number;
}

/**
 * The note's training loop: for each step, an evaluation when `step % evalInterval == 0`, then one
 * training batch, forward, backward and optimizer step; after the last step one more evaluation.
 * Every batch comes from the splits' samplers in exactly the note's order, so with samplers over
 * one seeded {@linkcode TorchGenerator} the batches are PyTorch's.
 */
export async function trainBigram(
  model: TrainableBigram,
  splits: Splits,
  options: TrainLoopOptions,
): Promise<TrainLoopResult> {
  checkOptions(options, "{ steps, evalInterval, evalIters, ... }");
  const { steps, evalInterval, evalIters, onEval, onSteps, lossInterval = 50 } = options;
  checkInteger("steps", steps, 0);
  checkInteger("evalInterval", evalInterval, 1);
  checkInteger("evalIters", evalIters, 1);
  checkInteger("lossInterval", lossInterval, 1);
  const trainLosses = new Float32Array(steps);
  const evals: Evaluation[] = [];
  let known = 0;
  let trainMs = 0;
  let stepsStart = performance.now();
  const collect = async (done: number) => {
    const losses = await model.takeLosses();
    const bad = losses.findIndex((loss) => !Number.isFinite(loss));
    if (bad >= 0) throw divergence(losses[bad], `training step ${known + bad}`);
    trainLosses.set(losses, known);
    known += losses.length;
    trainMs += performance.now() - stepsStart;
    onSteps?.(done, losses, trainMs);
    stepsStart = performance.now();
  };
  const evaluate = async (step: number) => {
    const evaluation = { step, ...await estimateLoss(model, splits, evalIters) };
    evals.push(evaluation);
    onEval?.(evaluation);
  };
  for (let step = 0; step < steps; step++) {
    if (step % evalInterval === 0) {
      if (known < step) await collect(step);
      await evaluate(step);
      stepsStart = performance.now();
    }
    model.trainStep(splits.train.sample());
    if (step + 1 - known >= lossInterval) await collect(step + 1);
  }
  if (known < steps) await collect(steps);
  await evaluate(steps);
  return { trainLosses, evals, trainMs };
}
