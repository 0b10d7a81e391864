import type { Batch } from "../batches/batch.ts";
import { InputError } from "../util/errors.ts";
import { checkGpuDevice, type GpuDevice } from "../gpu/device.ts";
import type { KernelCall, PreparedRun } from "../gpu/kernels/compute_kernel.ts";
import {
  crossEntropy,
  gradCall,
  lossItem,
  meanCall,
  rowStatsCall,
} from "../gpu/kernels/cross_entropy/cross_entropy.ts";
import { embeddingBackwardCall } from "../gpu/kernels/embedding_backward/embedding_backward.ts";
import { gather, gatherCall } from "../gpu/kernels/embedding/gather.ts";
import { softmaxCall } from "../gpu/kernels/softmax/softmax.ts";
import type { EmbeddingIds } from "../gpu/kernels/embedding_ids.ts";
import type { TensorStorageOptions } from "../gpu/storage_layout.ts";
import { Tensor } from "../gpu/tensor.ts";
import { checkInteger, checkOptions, describe } from "../util/checks.ts";
import { TorchGenerator } from "../util/torch_rng.ts";
import { openSafetensors } from "../formats/safetensors_reader.ts";
import { writeSafetensors } from "../formats/safetensors_writer.ts";
import { AdamW, type AdamWOptions, adamwStepCalls, checkAdamWOptions } from "./adamw.ts";
import { Parameter } from "./parameter.ts";
import {
  estimateLoss,
  generateTokens,
  type SplitLosses,
  type Splits,
  type TrainableBigram,
} from "./bigram_training.ts";

/** The table's name in saved files: the note's `state_dict()` key. */
export const BIGRAM_TENSOR_NAME = "embedding_token_table.weight";

/** The metadata key that holds the vocabulary (a JSON array of strings) in saved files. */
export const VOCABULARY_METADATA_KEY = "vocabulary";

/** The largest vocabulary: `V × V` float32 values must be addressable by one array. */
export const MAX_BIGRAM_VOCABULARY = 46340;

/** Throws an {@linkcode InputError} naming the vocabulary unless a `V × V` table is possible. */
export function checkBigramVocabulary(vocabSize: number): void {
  if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize > MAX_BIGRAM_VOCABULARY) {
    throw new InputError(
      "vocabulary",
      `has ${vocabSize} characters, but a bigram table (vocabulary × vocabulary) takes at most ` +
        `${MAX_BIGRAM_VOCABULARY}`,
    );
  }
}

/** Options of {@linkcode BigramLanguageModel.create}. */
export interface BigramLanguageModelOptions extends AdamWOptions, TensorStorageOptions {
  /** The vocabulary size V: the table is `V × V`. */
  vocabSize: number;
  /**
   * The stream the table is drawn from, `normal_(0, 1)` as `nn.Embedding(V, V)` does after
   * `torch.manual_seed` (the generator then continues, for the batches and the sampling).
   * Exactly one of `generator` and `weight`.
   */
  generator?: TorchGenerator;
  /** The initial table, `V × V` row-major (copied). Exactly one of `generator` and `weight`. */
  weight?: Float32Array;
  /** The characters of the vocabulary, kept with the model and written by `save`. */
  vocabulary?: readonly string[];
}

/** Options of {@linkcode BigramLanguageModel.save}. */
export interface BigramSaveOptions {
  /** Replace an existing file. Default: `false` (an existing file is an error). */
  overwrite?: boolean;
}

/** A batch's ids, copied. */
interface BatchIds {
  inputs: Uint32Array;
  targets: Uint32Array;
}

/** A loss asked for by `loss`, waiting for its pass. */
interface PendingLoss {
  ids: BatchIds;
  resolve: (loss: number) => void;
  reject: (error: unknown) => void;
}

/** Tables up to this size are softmaxed whole for sampling (one read instead of one a token). */
const PROBABILITIES_CACHE_BYTES = 16 << 20;

/** The GPU buffers of a step for batches of `rows` ids. */
interface StepBuffers extends Disposable {
  rows: number;
  inputs: Tensor<"u32">;
  targets: Tensor<"u32">;
  inputsBinding: GPUBufferBinding;
  targetsBinding: GPUBufferBinding;
  logits: Tensor<"f32">;
  gradLogits: Tensor<"f32">;
  stats: Tensor<"f32">;
  rowLosses: Tensor<"f32">;
  loss: Tensor<"f32">;
  /** Prepared once: the logits gathered, the rows' statistics and losses, their mean. */
  forward: PreparedRun[];
  /** Prepared once: the logits' gradient. */
  grad: PreparedRun;
}

/**
 * The Korean study note's bigram language model ("semiGPT") on the GPU: one `V × V` table whose
 * row for a token is the logits of the next token (`nn.Embedding(V, V)`), trained with mean
 * cross-entropy and `torch.optim.AdamW`, sampled with softmax + `torch.multinomial`.
 *
 * A training step runs on the GPU in WGSL: the rows of the batch's inputs gathered as logits,
 * cross-entropy and its gradient, the table's dense gradient (rows grouped by id, no atomics)
 * and one AdamW step over the whole table, moments kept on the GPU. Steps are queued without
 * waiting: their losses are read back together by {@linkcode BigramLanguageModel.takeLosses}.
 * Every kernel is deterministic, so two runs from the same seed give bit-identical tables, and
 * from the note's seed they follow PyTorch's losses step for step (see `trainBigram`).
 *
 * @example The note's first steps: seed, model, batches, AdamW, a sample
 * ```ts
 * import {
 *   BigramLanguageModel,
 *   CharTokenizer,
 *   generateTokens,
 *   GpuDevice,
 *   TorchBlockSampler,
 *   TorchGenerator,
 *   trainBigram,
 * } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const text = "hello world, hello semiGPT. ".repeat(20);
 * const tokenizer = CharTokenizer.fromText(text);
 * const ids = tokenizer.encode(text);
 * const split = Math.floor(0.9 * ids.length);
 * const generator = new TorchGenerator(1337); // torch.manual_seed(1337)
 * const gpu = await GpuDevice.shared();
 * using model = await BigramLanguageModel.create(gpu, {
 *   vocabSize: tokenizer.vocabSize,
 *   generator,
 *   lr: 1e-2,
 * });
 * const options = { blockSize: 8, batchSize: 4, generator };
 * const splits = {
 *   train: new TorchBlockSampler(ids.subarray(0, split), options),
 *   eval: new TorchBlockSampler(ids.subarray(split), options),
 * };
 * const { trainLosses, evals } = await trainBigram(model, splits, {
 *   steps: 20,
 *   evalInterval: 10,
 *   evalIters: 2,
 * });
 * assert.equal(trainLosses.length, 20);
 * assert.deepEqual(evals.map((e) => e.step), [0, 10, 20]);
 * const sample = await generateTokens(model, generator, [0], 10);
 * assert.equal(tokenizer.decode(sample).length, 11);
 * ```
 */
export class BigramLanguageModel implements TrainableBigram, Disposable {
  readonly #gpu: GpuDevice;
  readonly #vocabSize: number;
  readonly #table: Tensor<"f32">;
  /** The table as a parameter, with its gradient. */
  readonly #parameter: Parameter;
  readonly #grad: Tensor<"f32">;
  /** AdamW over the table; its moments are made at the first step. */
  readonly #optimizer: AdamW;
  readonly #vocabulary: readonly string[] | undefined;
  #step = 0;
  #buffers: StepBuffers | undefined;
  /** Losses of queued steps, on the GPU, `#pendingLosses` of them. */
  #lossLog: Tensor<"f32"> | undefined;
  #pendingLosses = 0;
  /** The queued steps: each runs after the previous one was submitted. */
  #queue: Promise<void> = Promise.resolve();
  /** One row of logits and its softmax, for sampling. */
  #sampleRow: { logits: Tensor<"f32">; probs: Tensor<"f32"> } | undefined;
  /** Losses asked for by `loss` and not yet run. */
  #pendingEvals: PendingLoss[] | undefined;
  /** Their values on the GPU, read back together. */
  #evalLog: Tensor<"f32"> | undefined;
  /** Every row's softmax, for a table small enough, and the step it was computed after. */
  #probabilities: { step: number; values: Float32Array } | undefined;
  #disposed = false;

  private constructor(
    gpu: GpuDevice,
    parameter: Parameter,
    grad: Tensor<"f32">,
    optimizer: AdamW,
    vocabulary: readonly string[] | undefined,
  ) {
    this.#gpu = gpu;
    this.#table = parameter.value;
    this.#vocabSize = this.#table.shape[0];
    this.#parameter = parameter;
    this.#grad = grad;
    this.#optimizer = optimizer;
    this.#vocabulary = vocabulary;
  }

  /**
   * A model with its table drawn from `generator` (or given as `weight`) and zero AdamW moments.
   * The table, its gradient and both moments live on the GPU: `16 · V²` bytes.
   *
   * @param gpu The device.
   * @param options The vocabulary size, the generator or the weight, and AdamW's options.
   */
  static async create(
    gpu: GpuDevice,
    options: BigramLanguageModelOptions,
  ): Promise<BigramLanguageModel> {
    checkGpuDevice("gpu", gpu);
    checkOptions(options, "{ vocabSize, generator | weight, lr?, ... }");
    const { vocabSize, generator, weight, vocabulary, maxBindingBytes } = options;
    checkInteger("vocabSize", vocabSize, 1, MAX_BIGRAM_VOCABULARY);
    const settings = checkAdamWOptions(options);
    if ((generator === undefined) === (weight === undefined)) {
      throw new InputError("options", "need exactly one of generator and weight");
    }
    if (generator !== undefined && !(generator instanceof TorchGenerator)) {
      throw new InputError("generator", `must be a TorchGenerator, got ${describe(generator)}`);
    }
    if (weight !== undefined) {
      if (!(weight instanceof Float32Array) || weight.length !== vocabSize * vocabSize) {
        throw new InputError(
          "weight",
          `must be a Float32Array of vocabSize² = ${vocabSize * vocabSize} values, got ` +
            describe(weight),
        );
      }
      const bad = weight.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) throw new InputError(`weight[${bad}]`, `must be finite, got ${weight[bad]}`);
    }
    if (vocabulary !== undefined) checkVocabulary(vocabulary, vocabSize);
    const values = weight ?? generator!.normal(vocabSize * vocabSize);
    const table = await Tensor.from(gpu, values, {
      shape: [vocabSize, vocabSize],
      label: "bigram table",
      maxBindingBytes,
    });
    const parameter = new Parameter("bigram table", table);
    try {
      const grad = await parameter.gradTensor();
      return new BigramLanguageModel(
        gpu,
        parameter,
        grad,
        new AdamW([parameter], settings),
        vocabulary === undefined ? undefined : [...vocabulary],
      );
    } catch (error) {
      parameter.dispose();
      table.dispose();
      throw error;
    }
  }

  /**
   * A model with the table of a file written by {@linkcode BigramLanguageModel.save} (see
   * {@linkcode readBigramFile}), and the vocabulary stored beside it, if any. Its optimizer
   * starts afresh.
   *
   * @param gpu The device.
   * @param path The safetensors file.
   * @param options AdamW's options for further training, and storage limits.
   */
  static async fromSafetensors(
    gpu: GpuDevice,
    path: string | URL,
    options: AdamWOptions & TensorStorageOptions = {},
  ): Promise<BigramLanguageModel> {
    checkGpuDevice("gpu", gpu);
    const saved = await readBigramFile(path);
    return await BigramLanguageModel.create(gpu, { ...options, ...saved });
  }

  /** The vocabulary size V. */
  get vocabSize(): number {
    return this.#vocabSize;
  }

  /** The `[V, V]` table (the model's only parameter); do not dispose it. */
  get weight(): Tensor<"f32"> {
    this.#checkLive();
    return this.#table;
  }

  /** The vocabulary given at creation or stored in the file, if any. */
  get vocabulary(): readonly string[] | undefined {
    return this.#vocabulary;
  }

  /** AdamW's options, defaults filled in. */
  get settings(): Readonly<Required<AdamWOptions>> {
    const { lr, betas, eps, weightDecay } = this.#optimizer;
    return { lr, betas, eps, weightDecay };
  }

  /** Optimizer steps taken. */
  get steps(): number {
    return this.#step;
  }

  /**
   * The note's `forward(inputs, targets)`: the logits `[...inputs.shape, V]` (the table's rows
   * of the inputs) and, with targets, the mean cross-entropy (over all positions).
   *
   * @param inputs Token ids in `[0, V)`, any shape.
   * @param targets The next ids, shaped like `inputs`.
   * @returns The logits (a new tensor; dispose it) and the loss (`null` without targets).
   */
  async forward(
    inputs: EmbeddingIds,
    targets?: EmbeddingIds,
  ): Promise<{ logits: Tensor<"f32">; loss: number | null }> {
    this.#checkLive();
    await this.#queue;
    const logits = await gather(inputs, this.#table);
    try {
      if (targets === undefined) return { logits, loss: null };
      using loss = await crossEntropy(logits, targets);
      return { logits, loss: await lossItem(loss) };
    } catch (error) {
      logits.dispose();
      throw error;
    }
  }

  /**
   * The mean cross-entropy of a batch, without a gradient. The batch's ids are copied before
   * this returns; losses asked for together (before awaiting any) are computed in one queue
   * pass and read back at once.
   */
  loss(batch: Batch): Promise<number> {
    this.#checkLive();
    const ids = this.#copyBatch(batch);
    return new Promise((resolve, reject) => {
      if (this.#pendingEvals === undefined) {
        this.#pendingEvals = [];
        queueMicrotask(() => this.#evaluatePending());
      }
      this.#pendingEvals.push({ ids, resolve, reject });
    });
  }

  /** Runs the losses asked for since the last pass: one submit each, one read for all. */
  #evaluatePending(): void {
    const pending = this.#pendingEvals ?? [];
    this.#pendingEvals = undefined;
    const work = this.#queue.then(async () => {
      const log = await this.#evalLogFor(pending.length);
      for (let i = 0; i < pending.length; i++) {
        const b = await this.#load(pending[i].ids);
        await this.#gpu.checked("bigram loss", (device) => {
          const encoder = device.createCommandEncoder({ label: "bigram loss" });
          record(encoder, b.forward);
          encoder.copyBufferToBuffer(b.loss.buffer, 0, log.buffer, i * 4, 4);
          device.queue.submit([encoder.finish()]);
        });
      }
      return await log.readRows(0, pending.length);
    });
    this.#queue = work.then(() => {});
    this.#queue.catch(() => {}); // reported to the pending losses below
    work.then((losses) => {
      pending.forEach(({ resolve, reject }, i) => {
        if (Number.isFinite(losses[i])) {
          resolve(losses[i]);
        } else {
          reject(
            new InputError(
              "loss",
              `is ${losses[i]}: the table holds NaN or infinite values; a lower learning rate ` +
                "avoids it",
            ),
          );
        }
      });
    }, (error) => pending.forEach(({ reject }) => reject(error)));
  }

  /**
   * Queues one training step on a batch: logits, loss, `zero_grad`, backward, AdamW step. The
   * batch's ids are copied before this returns (the sampler may overwrite them); the loss joins
   * {@linkcode BigramLanguageModel.takeLosses}, which also reports a failed step.
   */
  trainStep(batch: Batch): void {
    this.#checkLive();
    const ids = this.#copyBatch(batch);
    this.#step++;
    const slot = this.#pendingLosses++;
    this.#queue = this.#queue.then(() => this.#runStep(ids, slot));
    // A failed step is reported by takeLosses (which awaits the queue), not as unhandled.
    this.#queue.catch(() => {});
  }

  async #runStep(ids: BatchIds, slot: number): Promise<void> {
    const b = await this.#load(ids);
    const log = await this.#lossLogFor(slot + 1);
    // The runs that change every step: the ids' grouping and AdamW's bias corrections.
    const gpu = this.#gpu;
    const backward = embeddingBackwardCall(b.gradLogits, ids.inputs, this.#grad);
    using backwardRun = await backward.kernel.prepare(gpu, backward.run);
    const [adamw] = await adamwStepCalls(this.#optimizer);
    using adamwRun = await adamw.kernel.prepare(gpu, adamw.run);
    // One submit: logits, loss and its gradient; the loss into the log; zero_grad; backward;
    // AdamW. Its buffers may be released once submitted (the GPU keeps what it uses).
    await gpu.checked("bigram step", (device) => {
      const encoder = device.createCommandEncoder({ label: "bigram step" });
      record(encoder, b.forward);
      record(encoder, [b.grad]);
      encoder.copyBufferToBuffer(b.loss.buffer, 0, log.buffer, slot * 4, 4);
      for (const segment of this.#grad.segments) encoder.clearBuffer(segment.buffer);
      record(encoder, [backwardRun, adamwRun]);
      device.queue.submit([encoder.finish()]);
    });
  }

  /** The losses of the steps queued since the last call, in order (waits for them). */
  async takeLosses(): Promise<Float32Array> {
    this.#checkLive();
    await this.#queue;
    const count = this.#pendingLosses;
    if (count === 0) return new Float32Array(0);
    const losses = await this.#lossLog!.readRows(0, count);
    this.#pendingLosses = 0;
    return losses;
  }

  /** The softmax of the logits after token `id` (its table row), as `F.softmax(logits[:, -1, :])`. */
  async nextTokenProbabilities(id: number): Promise<Float32Array> {
    this.#checkLive();
    checkInteger("id", id, 0, this.#vocabSize - 1);
    await this.#queue;
    const v = this.#vocabSize;
    let values: Float32Array;
    if (v * v * 4 <= PROBABILITIES_CACHE_BYTES && this.#table.segments.length === 1) {
      // Every row at once (the same per-row kernel, so the same values as one row at a time),
      // kept until the next training step.
      if (this.#probabilities?.step !== this.#step) {
        using probs = await Tensor.zeros(this.#gpu, [v, v], "f32", "bigram probabilities");
        await this.#run([softmaxCall(this.#table, probs)]);
        this.#probabilities = { step: this.#step, values: await probs.read() };
      }
      values = this.#probabilities.values.slice(id * v, (id + 1) * v);
    } else {
      this.#sampleRow ??= {
        logits: await Tensor.zeros(this.#gpu, [1, v], "f32", "bigram sample logits"),
        probs: await Tensor.zeros(this.#gpu, [1, v], "f32", "bigram sample probs"),
      };
      const { logits, probs } = this.#sampleRow;
      await this.#run([
        gatherCall(this.#table, Uint32Array.of(id), logits),
        softmaxCall(logits, probs),
      ]);
      values = await probs.read();
    }
    const bad = values.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) {
      throw new InputError(
        "weight",
        `row ${id} holds NaN or infinite values: the model diverged; a lower learning rate avoids it`,
      );
    }
    return values;
  }

  /** The note's `estimate_loss` over two samplers (see `estimateLoss`). */
  estimateLoss(splits: Splits, evalIters: number): Promise<SplitLosses> {
    return estimateLoss(this, splits, evalIters);
  }

  /** The note's `generate` (see `generateTokens`): the context followed by new tokens. */
  generate(
    generator: TorchGenerator,
    context: ArrayLike<number>,
    maxNewTokens: number,
  ): Promise<Uint32Array> {
    return generateTokens(this, generator, context, maxNewTokens);
  }

  /** A copy of the table, `V × V` row-major, after the queued steps. */
  async readTable(): Promise<Float32Array> {
    this.#checkLive();
    await this.#queue;
    return await this.#table.read();
  }

  /**
   * Writes the table to a safetensors file (`embedding_token_table.weight`, F32 `[V, V]`, the
   * note's `state_dict` key), with the vocabulary in the metadata when the model has one:
   * atomically, and never over an existing file unless `overwrite`.
   *
   * @param path The file to write; its folder must exist.
   * @param options `overwrite`.
   */
  async save(path: string | URL, options: BigramSaveOptions = {}): Promise<void> {
    checkOptions(options, "{ overwrite? }");
    const data = await this.readTable();
    const metadata: Record<string, string> = { format: "pt" };
    if (this.#vocabulary !== undefined) {
      metadata[VOCABULARY_METADATA_KEY] = JSON.stringify(this.#vocabulary);
    }
    await writeSafetensors(path, {
      [BIGRAM_TENSOR_NAME]: { dtype: "F32", shape: [this.#vocabSize, this.#vocabSize], data },
    }, { metadata, overwrite: options.overwrite ?? false });
  }

  /** Frees the GPU memory. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#optimizer.dispose();
    this.#parameter.dispose();
    this.#table.dispose();
    this.#buffers?.[Symbol.dispose]();
    this.#lossLog?.dispose();
    this.#evalLog?.dispose();
    this.#sampleRow?.logits.dispose();
    this.#sampleRow?.probs.dispose();
  }

  /** Frees the GPU memory (what `using` calls). */
  [Symbol.dispose](): void {
    this.dispose();
  }

  #checkLive(): void {
    if (this.#disposed) throw new InputError("model", "is disposed");
  }

  /** Checks a batch's ids and copies them (the sampler reuses its arrays). */
  #copyBatch(batch: Batch): BatchIds {
    if (batch === null || typeof batch !== "object") {
      throw new InputError("batch", `must be a Batch, got ${describe(batch)}`);
    }
    const rows = batch.rows * batch.seqLength;
    if (!Number.isInteger(rows) || rows < 1) {
      throw new InputError("batch", `must hold at least one row of ids, got ${rows} ids`);
    }
    const copy = (name: string, ids: unknown) => {
      if (!(ids instanceof Uint32Array) || ids.length < rows) {
        throw new InputError(
          `batch.${name}`,
          `must be a Uint32Array of ${rows} ids, got ${describe(ids)}`,
        );
      }
      const out = ids.slice(0, rows);
      for (let i = 0; i < rows; i++) {
        if (out[i] >= this.#vocabSize) {
          throw new InputError(
            `batch.${name}[${i}]`,
            `must be an id in [0, ${this.#vocabSize - 1}], got ${out[i]}`,
          );
        }
      }
      return out;
    };
    return { inputs: copy("inputs", batch.inputs), targets: copy("targets", batch.targets) };
  }

  /** The step buffers for a batch of these ids (made or remade for a new size), ids written. */
  async #load(ids: BatchIds): Promise<StepBuffers> {
    const rows = ids.inputs.length;
    if (this.#buffers?.rows !== rows) {
      this.#buffers?.[Symbol.dispose]();
      this.#buffers = undefined;
      this.#buffers = await stepBuffers(this.#gpu, rows, this.#table);
    }
    const b = this.#buffers;
    this.#gpu.write(b.inputs.buffer, ids.inputs);
    this.#gpu.write(b.targets.buffer, ids.targets);
    return b;
  }

  async #run(calls: readonly KernelCall[]): Promise<void> {
    for (const { kernel, run } of calls) await kernel.run(this.#gpu, run);
  }

  async #evalLogFor(count: number): Promise<Tensor<"f32">> {
    if (count <= (this.#evalLog?.size ?? 0)) return this.#evalLog!;
    this.#evalLog?.dispose();
    this.#evalLog = undefined;
    return this.#evalLog = await Tensor.zeros(
      this.#gpu,
      [Math.max(64, 2 ** Math.ceil(Math.log2(count)))],
      "f32",
      "bigram evaluation losses",
    );
  }

  async #lossLogFor(count: number): Promise<Tensor<"f32">> {
    const capacity = this.#lossLog?.size ?? 0;
    if (count <= capacity) return this.#lossLog!;
    const grown = await Tensor.zeros(
      this.#gpu,
      [Math.max(1024, 2 * capacity)],
      "f32",
      "bigram losses",
    );
    if (this.#lossLog !== undefined) {
      const old = this.#lossLog;
      await this.#gpu.checked("bigram losses", (device) => {
        const encoder = device.createCommandEncoder();
        encoder.copyBufferToBuffer(old.buffer, 0, grown.buffer, 0, old.byteLength);
        device.queue.submit([encoder.finish()]);
      });
      old.dispose();
    }
    return this.#lossLog = grown;
  }
}

/** Checks that a vocabulary has `size` distinct single characters. */
function checkVocabulary(vocabulary: unknown, size: number, where = "vocabulary"): void {
  if (!Array.isArray(vocabulary) || vocabulary.length !== size) {
    throw new InputError(
      where,
      `must list ${size} characters (one per table row), got ${describe(vocabulary)}`,
    );
  }
  const seen = new Set<string>();
  vocabulary.forEach((char, i) => {
    if (typeof char !== "string" || [...char].length !== 1 || seen.has(char)) {
      throw new InputError(
        where,
        `entry ${i} must be a single character, not repeated, got ${describe(char)}`,
      );
    }
    seen.add(char);
  });
}

/** Allocates the step buffers for `rows` ids of the table's vocabulary, runs prepared. */
async function stepBuffers(
  gpu: GpuDevice,
  rows: number,
  table: Tensor<"f32">,
): Promise<StepBuffers> {
  const vocab = table.shape[0];
  const made: Tensor[] = [];
  const runs: PreparedRun[] = [];
  const dispose = () => {
    runs.forEach((run) => run[Symbol.dispose]());
    made.forEach((tensor) => tensor.dispose());
  };
  const keep = async <D extends "f32" | "u32">(shape: number[], dtype: D, label: string) => {
    const tensor = await Tensor.zeros(gpu, shape, dtype, `bigram ${label}`);
    made.push(tensor);
    return tensor;
  };
  const prepare = async ({ kernel, run }: KernelCall) => {
    const prepared = await kernel.prepare(gpu, run);
    runs.push(prepared);
    return prepared;
  };
  try {
    const inputs = await keep([rows], "u32", "inputs");
    const targets = await keep([rows], "u32", "targets");
    const logits = await keep([rows, vocab], "f32", "logits");
    const gradLogits = await keep([rows, vocab], "f32", "logits gradient");
    const stats = await keep([rows, 2], "f32", "row stats");
    const rowLosses = await keep([rows], "f32", "row losses");
    const loss = await keep([], "f32", "loss");
    const inputsBinding = { buffer: inputs.buffer };
    const targetsBinding = { buffer: targets.buffer };
    const forward = [
      await prepare(gatherCall(table, inputsBinding, logits)),
      await prepare(rowStatsCall(logits, targetsBinding, stats, rowLosses)),
      await prepare(meanCall(rowLosses, loss)),
    ];
    const grad = await prepare(gradCall(logits, targetsBinding, stats, gradLogits));
    return {
      rows,
      inputs,
      targets,
      inputsBinding,
      targetsBinding,
      logits,
      gradLogits,
      stats,
      rowLosses,
      loss,
      forward,
      grad,
      [Symbol.dispose]: dispose,
    };
  } catch (error) {
    dispose();
    throw error;
  }
}

/** Records prepared runs into an encoder, each in a compute pass of its own. */
function record(encoder: GPUCommandEncoder, runs: readonly PreparedRun[]): void {
  for (const run of runs) {
    const pass = encoder.beginComputePass({ label: "bigram" });
    run.record(pass);
    pass.end();
  }
}

/** A saved bigram table, read by {@linkcode readBigramFile}. */
export interface SavedBigram {
  /** V. */
  vocabSize: number;
  /** The `[V, V]` table, row-major. */
  weight: Float32Array;
  /** The vocabulary stored in the metadata, if any. */
  vocabulary?: string[];
}

/**
 * Reads a bigram table on the CPU: a safetensors file with a square `embedding_token_table.weight`
 * (F32, F16 or BF16; finite values) and, optionally, metadata `"vocabulary"`: a JSON array of V
 * distinct characters. Every problem is an {@linkcode InputError} naming the file.
 *
 * @param path The safetensors file.
 */
export async function readBigramFile(path: string | URL): Promise<SavedBigram> {
  using file = await openSafetensors(path);
  const where = file.path;
  const info = file.tensors.find((tensor) => tensor.name === BIGRAM_TENSOR_NAME);
  if (info === undefined) {
    throw new InputError(
      where,
      `has no tensor ${JSON.stringify(BIGRAM_TENSOR_NAME)} (it holds ${
        file.tensors.map((tensor) => JSON.stringify(tensor.name)).join(", ") || "no tensors"
      }): not a saved bigram model`,
    );
  }
  const [rows, columns] = info.shape;
  if (info.shape.length !== 2 || rows !== columns || rows < 1) {
    throw new InputError(
      where,
      `has ${BIGRAM_TENSOR_NAME} of shape [${info.shape.join(", ")}]; a bigram table is ` +
        "square, [vocabulary, vocabulary]",
    );
  }
  if (!["F32", "F16", "BF16"].includes(info.dtype)) {
    throw new InputError(
      where,
      `has ${BIGRAM_TENSOR_NAME} of dtype ${info.dtype}; F32, F16 or BF16 needed`,
    );
  }
  if (rows > MAX_BIGRAM_VOCABULARY) {
    throw new InputError(
      where,
      `has a ${rows} × ${rows} table; at most ${MAX_BIGRAM_VOCABULARY} rows are supported`,
    );
  }
  const raw = file.metadata[VOCABULARY_METADATA_KEY];
  let vocabulary: string[] | undefined;
  if (raw !== undefined) {
    try {
      vocabulary = JSON.parse(raw);
    } catch {
      vocabulary = undefined;
    }
    if (!Array.isArray(vocabulary)) {
      throw new InputError(
        where,
        `has metadata "${VOCABULARY_METADATA_KEY}" that is not a JSON array of characters`,
      );
    }
    checkVocabulary(vocabulary, rows, where);
  }
  const weight = await file.readTensor(BIGRAM_TENSOR_NAME);
  const bad = weight.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) {
    throw new InputError(
      where,
      `has a non-finite value (${weight[bad]}) in ${BIGRAM_TENSOR_NAME} at element ${bad}`,
    );
  }
  return vocabulary === undefined
    ? { vocabSize: rows, weight }
    : { vocabSize: rows, weight, vocabulary };
}
