// The note's bigram model (semiGPT) in plain float32 TypeScript, composed of the training
// kernels' CPU references (each computes as PyTorch's CPU kernels do): the reference the GPU
// model is tested against.
import { InputError } from "../util/errors.ts";
import { checkInteger, checkOptions, describe } from "../util/checks.ts";
import { TorchGenerator } from "../util/torch_rng.ts";
import type { Batch } from "../batches/batch.ts";
import { adamwStepCpu } from "../gpu/kernels/adamw/cpu_reference.ts";
import {
  crossEntropyCpu,
  crossEntropyGradCpu,
} from "../gpu/kernels/cross_entropy/cpu_reference.ts";
import { embeddingBackwardCpu } from "../gpu/kernels/embedding_backward/cpu_reference.ts";
import { softmaxCpu } from "../gpu/kernels/softmax/cpu_reference.ts";
import { adamwHyperparameters, type AdamWOptions, checkAdamWOptions } from "./adamw.ts";
import type { TrainableBigram } from "./bigram_training.ts";

/** The logits of a batch: row `r` is the table's row `inputs[r]`. */
export function gatherRows(
  table: Float32Array,
  vocabSize: number,
  inputs: ArrayLike<number>,
  rows: number,
): Float32Array {
  const logits = new Float32Array(rows * vocabSize);
  for (let r = 0; r < rows; r++) {
    const start = inputs[r] * vocabSize;
    logits.set(table.subarray(start, start + vocabSize), r * vocabSize);
  }
  return logits;
}

/** Options of {@linkcode BigramCpuReference}. */
export interface BigramCpuReferenceOptions extends AdamWOptions {
  /** The vocabulary size V: the table is `V × V`. */
  vocabSize: number;
  /** The stream the table is drawn from (`normal_(0, 1)`), as `nn.Embedding(V, V)` draws it. */
  generator: TorchGenerator;
}

/**
 * The note's semiGPT on the CPU in float32: a `V × V` table whose row `i` is the logits of the
 * token after token `i`, trained with cross-entropy and AdamW. Slow (the whole table moves
 * every step), exact in intent: it is the reference for {@linkcode BigramLanguageModel}.
 */
export class BigramCpuReference implements TrainableBigram {
  readonly vocabSize: number;
  /** The `[V, V]` table, row-major. */
  readonly table: Float32Array;
  readonly settings: Required<AdamWOptions>;
  readonly #grad: Float32Array;
  readonly #m: Float32Array;
  readonly #v: Float32Array;
  #step = 0;
  #losses: number[] = [];

  /**
   * A table drawn from `generator`, with zero AdamW moments.
   *
   * @param options The vocabulary size, the generator and AdamW's options.
   */
  constructor(options: BigramCpuReferenceOptions) {
    checkOptions(options, "{ vocabSize, generator, lr?, ... }");
    const { vocabSize, generator } = options;
    checkInteger("vocabSize", vocabSize, 1, 46340); // V² float32 values in one array
    if (!(generator instanceof TorchGenerator)) {
      throw new InputError("generator", `must be a TorchGenerator, got ${describe(generator)}`);
    }
    this.settings = checkAdamWOptions(options);
    this.vocabSize = vocabSize;
    this.table = generator.normal(vocabSize * vocabSize);
    this.#grad = new Float32Array(vocabSize * vocabSize);
    this.#m = new Float32Array(vocabSize * vocabSize);
    this.#v = new Float32Array(vocabSize * vocabSize);
  }

  /** The optimizer steps taken. */
  get steps(): number {
    return this.#step;
  }

  /** The mean cross-entropy of a batch, without a gradient. */
  loss(batch: Batch): Promise<number> {
    const rows = batch.rows * batch.seqLength;
    const logits = gatherRows(this.table, this.vocabSize, batch.inputs, rows);
    return Promise.resolve(
      crossEntropyCpu(logits, batch.targets.subarray(0, rows), this.vocabSize),
    );
  }

  /**
   * Forward, loss, `zero_grad`, backward and one AdamW step on a batch; the loss joins
   * {@linkcode BigramCpuReference.takeLosses}.
   */
  trainStep(batch: Batch): void {
    const rows = batch.rows * batch.seqLength;
    const inputs = batch.inputs.subarray(0, rows);
    const targets = batch.targets.subarray(0, rows);
    const logits = gatherRows(this.table, this.vocabSize, inputs, rows);
    const loss = crossEntropyCpu(logits, targets, this.vocabSize);
    const gradLogits = crossEntropyGradCpu(logits, targets, this.vocabSize);
    this.#grad.fill(0);
    embeddingBackwardCpu(gradLogits, inputs, this.#grad, this.vocabSize);
    adamwStepCpu(
      this.table,
      this.#grad,
      this.#m,
      this.#v,
      adamwHyperparameters(this.settings, ++this.#step),
    );
    this.#losses.push(loss);
  }

  /** The losses of the training steps since the last call, in order. */
  takeLosses(): Promise<Float32Array> {
    const losses = Float32Array.from(this.#losses);
    this.#losses = [];
    return Promise.resolve(losses);
  }

  /** `softmax` of the logits after token `id`: its table row. */
  nextTokenProbabilities(id: number): Promise<Float32Array> {
    checkInteger("id", id, 0, this.vocabSize - 1);
    const row = this.table.subarray(id * this.vocabSize, (id + 1) * this.vocabSize);
    return Promise.resolve(softmaxCpu(row, this.vocabSize));
  }

  /** A copy of the table. */
  readTable(): Promise<Float32Array> {
    return Promise.resolve(this.table.slice());
  }
}
