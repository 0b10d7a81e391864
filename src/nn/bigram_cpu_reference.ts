// The note's bigram model (semiGPT) in plain float32 TypeScript, step for step as PyTorch's CPU
// kernels compute it: the reference the GPU model is tested against.
import { InputError } from "../util/errors.ts";
import { checkInteger, checkOptions, describe } from "../util/checks.ts";
import { TorchGenerator } from "../util/torch_rng.ts";
import type { Batch } from "../batches/batch.ts";
import { type AdamWSettings, checkAdamWSettings, type TrainableBigram } from "./bigram_training.ts";

const f32 = Math.fround;

/**
 * Mean cross-entropy of `[rows, vocab]` logits gathered from `table` by `inputs`, against
 * `targets`, as `F.cross_entropy(logits, targets)`: per row `logsumexp(row) − row[target]`
 * (max-subtracted), each row's value rounded to float32, their mean in float32.
 * With `gradTable`, also adds the gradient of that mean with respect to the table, as
 * `nn.Embedding`'s dense backward does: row `inputs[r]` gets `(softmax(row) − onehot) / rows`,
 * positions in order, each addition rounded to float32.
 */
export function bigramCrossEntropy(
  table: Float32Array,
  vocabSize: number,
  inputs: ArrayLike<number>,
  targets: ArrayLike<number>,
  rows: number,
  gradTable?: Float32Array,
): number {
  let total = 0;
  const exps = new Float64Array(vocabSize);
  for (let r = 0; r < rows; r++) {
    const offset = inputs[r] * vocabSize;
    let max = -Infinity;
    for (let j = 0; j < vocabSize; j++) max = Math.max(max, table[offset + j]);
    let sum = 0;
    for (let j = 0; j < vocabSize; j++) {
      exps[j] = Math.exp(table[offset + j] - max);
      sum += exps[j];
    }
    const target = targets[r];
    total += f32(Math.log(sum) + max - table[offset + target]);
    if (gradTable !== undefined) {
      for (let j = 0; j < vocabSize; j++) {
        const grad = f32((exps[j] / sum - (j === target ? 1 : 0)) / rows);
        gradTable[offset + j] = f32(gradTable[offset + j] + grad);
      }
    }
  }
  return f32(total / rows);
}

/**
 * One `torch.optim.AdamW` step (the single-tensor path PyTorch takes on the CPU) over `params`
 * with gradient `grads`, moments `m` and `v`, at step `t` (1 for the first), each operation
 * rounded to float32 as PyTorch's float32 tensors round it.
 */
export function adamwStep(
  params: Float32Array,
  grads: Float32Array,
  m: Float32Array,
  v: Float32Array,
  t: number,
  settings: AdamWSettings,
): void {
  const { lr, beta1, beta2, eps, weightDecay } = settings;
  const decay = f32(1 - lr * weightDecay);
  const b1 = f32(beta1);
  const oneMinusB1 = f32(1 - beta1);
  const b2 = f32(beta2);
  const oneMinusB2 = f32(1 - beta2);
  const biasCorrection2Sqrt = f32(Math.sqrt(1 - beta2 ** t));
  const negativeStepSize = f32(-(lr / (1 - beta1 ** t)));
  const epsF = f32(eps);
  for (let i = 0; i < params.length; i++) {
    const g = grads[i];
    params[i] = f32(params[i] * decay);
    const mi = f32(f32(m[i] * b1) + f32(g * oneMinusB1));
    const vi = f32(f32(v[i] * b2) + f32(f32(oneMinusB2 * g) * g));
    m[i] = mi;
    v[i] = vi;
    const denom = f32(f32(f32(Math.sqrt(vi)) / biasCorrection2Sqrt) + epsF);
    params[i] = f32(params[i] + f32(f32(negativeStepSize * mi) / denom));
  }
}

/**
 * `softmax(row)` of a float32 row, as `F.softmax(logits, dim=-1)`: `exp(x − max)` each rounded
 * to float32, multiplied by the float32 reciprocal of their sum.
 */
export function softmaxRow(row: Float32Array): Float32Array {
  let max = -Infinity;
  for (const x of row) max = Math.max(max, x);
  const out = new Float32Array(row.length);
  let sum = 0;
  for (let j = 0; j < row.length; j++) {
    out[j] = Math.exp(row[j] - max);
    sum += out[j];
  }
  const inverse = f32(1 / f32(sum));
  for (let j = 0; j < row.length; j++) out[j] = out[j] * inverse;
  return out;
}

/** Options of {@linkcode BigramCpuReference}. */
export interface BigramCpuReferenceOptions extends Partial<AdamWSettings> {
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
  readonly settings: AdamWSettings;
  readonly #grad: Float32Array;
  readonly #m: Float32Array;
  readonly #v: Float32Array;
  #step = 0;
  #losses: number[] = [];

  /**
   * A table drawn from `generator`, with zero AdamW moments.
   *
   * @param options The vocabulary size, the generator and the AdamW settings.
   */
  constructor(options: BigramCpuReferenceOptions) {
    checkOptions(options, "{ vocabSize, generator, lr?, ... }");
    const { vocabSize, generator } = options;
    checkInteger("vocabSize", vocabSize, 1, 46340); // V² float32 values in one array
    if (!(generator instanceof TorchGenerator)) {
      throw new InputError("generator", `must be a TorchGenerator, got ${describe(generator)}`);
    }
    this.settings = checkAdamWSettings(options);
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
    return Promise.resolve(
      bigramCrossEntropy(this.table, this.vocabSize, batch.inputs, batch.targets, rows),
    );
  }

  /** Forward, loss, backward and one AdamW step on a batch; the loss joins {@linkcode takeLosses}. */
  trainStep(batch: Batch): void {
    const rows = batch.rows * batch.seqLength;
    this.#grad.fill(0);
    const loss = bigramCrossEntropy(
      this.table,
      this.vocabSize,
      batch.inputs,
      batch.targets,
      rows,
      this.#grad,
    );
    adamwStep(this.table, this.#grad, this.#m, this.#v, ++this.#step, this.settings);
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
    return Promise.resolve(softmaxRow(row));
  }

  /** A copy of the table. */
  readTable(): Promise<Float32Array> {
    return Promise.resolve(this.table.slice());
  }
}
