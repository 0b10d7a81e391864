import { InputError } from "../util/errors.ts";
import { checkInteger, checkOptions, describe } from "../util/checks.ts";
import { checkGpuDevice, type GpuDevice } from "../gpu/device.ts";
import type { TableDType } from "../gpu/kernels/tensor_checks.ts";
import { gather } from "../gpu/kernels/embedding/gather.ts";
import { embeddingBackward } from "../gpu/kernels/embedding_backward/embedding_backward.ts";
import type { EmbeddingIds } from "../gpu/kernels/embedding_ids.ts";
import type { TensorStorageOptions } from "../gpu/storage_layout.ts";
import { planTensorStorage, Tensor } from "../gpu/tensor.ts";
import { type EmbeddingInit, initialWeight } from "./embedding_init.ts";
import { Parameter } from "./parameter.ts";
import {
  checkTokenTableSize,
  checkVocabulary,
  chunkRows,
  findTable,
  type SafetensorsSource,
  streamTable,
  withSafetensors,
} from "./safetensors_tables.ts";

/** Options of {@linkcode TokenEmbedding.create}: the table's element type and storage limits. */
export interface TokenEmbeddingOptions<D extends TableDType = TableDType>
  extends TensorStorageOptions {
  /**
   * `"f32"` (the default) or `"f16"`: half the memory, each weight rounded to the nearest half
   * (relative error at most 2⁻¹¹); lookups still return `f32`.
   */
  dtype?: D;
}

/** Options of {@linkcode TokenEmbedding.fromSafetensors}. */
export interface TokenEmbeddingFileOptions<D extends TableDType = TableDType>
  extends TokenEmbeddingOptions<D> {
  /**
   * The table's name in the file. Default: `"wte.weight"` or `"transformer.wte.weight"` (GPT-2
   * files spell it either way), whichever the file has.
   */
  tensor?: string;
  /**
   * The tokenizer's vocabulary size (`tokenizer.vocabSize`): the table must have this many rows.
   * Default: not checked.
   */
  vocabSize?: number;
  /**
   * Rows read and uploaded at a time (rounded up to an even number for an `f16` table of odd
   * dimension). Default: 8 MiB of float32 rows.
   */
  rowsPerChunk?: number;
}

const TABLE_DTYPES: readonly TableDType[] = ["f32", "f16"];

/**
 * A token embedding, as `torch.nn.Embedding(vocabSize, dim)`: a `[vocabSize, dim]` weight table
 * on the GPU whose `forward` looks up one row per token id.
 *
 * Tables of real models' sizes work: one larger than a storage binding (GPT-2's 50257 × 768 f32
 * is 154 MB, over llvmpipe's 128 MiB) is split by rows into segments (see
 * {@linkcode Tensor.segments}); one larger than the device can bind at all is refused with an
 * {@linkcode InputError} naming the sizes before anything is allocated. `dtype: "f16"` halves
 * the memory.
 *
 * @example The book's `torch.manual_seed(123); nn.Embedding(6, 3)`
 * ```ts
 * import { GpuDevice, TokenEmbedding } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const gpu = await GpuDevice.shared();
 * using embedding = await TokenEmbedding.create(gpu, 6, 3, { seed: 123 });
 * assert.match(await embedding.weight.format(), /^tensor\(\[\[ 0\.3374, -0\.1778, -0\.1690\],/);
 * using rows = await embedding.forward([2, 3, 5, 1]);
 * assert.deepEqual(rows.shape, [4, 3]);
 * assert.match(await rows.format(), /\[-2\.8400, -0\.7849, -1\.4096\]/);
 * ```
 *
 * @example A half-precision table: half the bytes, values within f16 rounding
 * ```ts
 * import { GpuDevice, TokenEmbedding } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const gpu = await GpuDevice.shared();
 * using half = await TokenEmbedding.create(gpu, 6, 3, { seed: 123 }, { dtype: "f16" });
 * assert.equal(half.weight.dtype, "f16");
 * assert.equal(half.weight.byteLength, 6 * 3 * 2);
 * using rows = await half.forward([0]);
 * assert.deepEqual([...await rows.read()], [0.33740234375, -0.177734375, -0.1689453125]);
 * ```
 */
export class TokenEmbedding<D extends TableDType = "f32"> {
  /** The number of rows: ids must be in `[0, vocabSize)`. */
  readonly vocabSize: number;
  /** The embedding dimension (columns). */
  readonly dim: number;
  /** The `[vocabSize, dim]` table (`f32`, or `f16` when created so). */
  readonly weight: Tensor<D>;
  #parameter: Parameter | undefined;

  private constructor(weight: Tensor<D>) {
    this.weight = weight;
    [this.vocabSize, this.dim] = weight.shape;
  }

  /**
   * The table as a trainable {@linkcode Parameter} (`weight` and its gradient), for an optimizer
   * such as {@linkcode AdamW}: `nn.Embedding.parameters()`. Only an `f32` table trains.
   *
   * @returns `[weight]`.
   */
  parameters(): Parameter[] {
    return [this.#weightParameter()];
  }

  /**
   * The table's accumulated gradient `[vocabSize, dim]` (PyTorch's `weight.grad`): `undefined`
   * before the first {@linkcode TokenEmbedding.backward}.
   */
  get grad(): Tensor<"f32"> | undefined {
    return this.#parameter?.grad;
  }

  /**
   * Adds the gradient of the table for a gradient of {@linkcode TokenEmbedding.forward}'s output
   * to {@linkcode TokenEmbedding.grad} (made on first use, zeros): each row of `gradOutput` goes
   * to the row of its id, so a token that occurs k times gets k contributions, and rows no id
   * touches get nothing (a dense gradient, as `nn.Embedding`'s default). Gradients accumulate
   * over calls, as PyTorch's do, until {@linkcode TokenEmbedding.zeroGrad}. Deterministic: no
   * atomics, the rows of one id added in ascending order (see {@linkcode embeddingBackward}).
   *
   * @example
   * ```ts
   * import { GpuDevice, Tensor, TokenEmbedding } from "../../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const gpu = await GpuDevice.shared();
   * using embedding = await TokenEmbedding.create(gpu, 3, 2, { seed: 1 });
   * using gradOutput = await Tensor.from(gpu, [[1, 2], [10, 20], [100, 200]]);
   * await embedding.backward([2, 0, 2], gradOutput); // the ids of the forward pass
   * assert.deepEqual(await embedding.grad!.toArray(), [[10, 20], [0, 0], [101, 202]]);
   * ```
   *
   * @param ids The ids given to `forward`, in `[0, vocabSize)`.
   * @param gradOutput The gradient of `forward(ids)`, `f32 [...ids.shape, dim]`.
   */
  async backward(ids: EmbeddingIds, gradOutput: Tensor<"f32">): Promise<void> {
    const parameter = this.#weightParameter();
    await embeddingBackward(gradOutput, ids, await parameter.gradTensor());
  }

  /** Sets the table's gradient to zero (as PyTorch 1.13's `zero_grad()`). */
  async zeroGrad(): Promise<void> {
    await this.#parameter?.zeroGrad();
  }

  #weightParameter(): Parameter {
    if (this.weight.dtype !== "f32") {
      throw new InputError(
        "dtype",
        `is ${this.weight.dtype}: only an f32 token table trains (create it with dtype "f32")`,
      );
    }
    return this.#parameter ??= new Parameter("token.weight", this.weight as Tensor<"f32">);
  }

  /**
   * Creates the table on `gpu`, its weights from a seed, a generator's stream or given values.
   * The sizes are checked against the device's limits before any weight is made.
   *
   * @param gpu The device to hold the table.
   * @param vocabSize The number of rows, an integer >= 1.
   * @param dim The embedding dimension, an integer >= 1.
   * @param init Where the weights come from (see {@linkcode EmbeddingInit}).
   * @param options The element type (`"f32"` or `"f16"`) and limits to split the table by.
   */
  static async create<D extends TableDType = "f32">(
    gpu: GpuDevice,
    vocabSize: number,
    dim: number,
    init: EmbeddingInit,
    options: TokenEmbeddingOptions<D> = {},
  ): Promise<TokenEmbedding<D>> {
    checkGpuDevice("gpu", gpu);
    const dtype = (options.dtype ?? "f32") as D;
    checkTableOptions(vocabSize, dim, dtype);
    planTensorStorage(
      gpu,
      [vocabSize, dim],
      dtype,
      options,
      "dim",
      `the token table [${vocabSize}, ${dim}] of ${dtype}`,
    );
    const values = initialWeight("vocabSize", vocabSize, dim, init);
    const tensorOptions = {
      shape: [vocabSize, dim],
      label: "token embedding weight",
      maxBindingBytes: options.maxBindingBytes,
      maxBufferBytes: options.maxBufferBytes,
    };
    const weight = dtype === "f16"
      ? await Tensor.from(gpu, values, { ...tensorOptions, dtype: "f16" })
      : await Tensor.from(gpu, values, tensorOptions);
    return new TokenEmbedding(weight as Tensor<D>);
  }

  /**
   * Loads a pretrained token table from a safetensors file: GPT-2's `wte.weight` (also spelled
   * `transformer.wte.weight`) by default, or the tensor named by `tensor`. The vocabulary size
   * and dimension are the table's shape; with `vocabSize`, a table of another vocabulary is an
   * error. The file's `F32`, `F16` or `BF16` values become an `f32` table (exactly), or with
   * `dtype: "f16"` a half-precision one (`F16` values copied as stored, others rounded).
   *
   * Everything is checked before any GPU work: a missing table (the message lists the file's
   * tensors), two spellings at once, a table that is not 2-D or not of those dtypes, a
   * vocabulary mismatch, a table larger than the device can bind. Then the table is streamed
   * into GPU memory `rowsPerChunk` rows at a time (8 MiB by default) through one reused array,
   * so that loading holds the table on the device plus about two chunks, never the whole file.
   *
   * Needs read permission for the file.
   *
   * @example A table written to a file, loaded and looked up
   * ```ts
   * import { GpuDevice, TokenEmbedding, writeSafetensors } from "../../mod.ts";
   * import assert from "node:assert/strict";
   *
   * await Deno.mkdir(".tmp", { recursive: true });
   * const dir = await Deno.makeTempDir({ dir: ".tmp" });
   * const path = `${dir}/model.safetensors`;
   * const wte = new Float32Array([0, 0.5, 1, 1.5, 2, 2.5]); // 3 tokens × 2 dimensions
   * await writeSafetensors(path, {
   *   "transformer.wte.weight": { dtype: "F16", shape: [3, 2], data: wte },
   * });
   *
   * const gpu = await GpuDevice.shared();
   * using embedding = await TokenEmbedding.fromSafetensors(gpu, path, { vocabSize: 3 });
   * assert.deepEqual([embedding.vocabSize, embedding.dim], [3, 2]);
   * using rows = await embedding.forward([2, 0]);
   * assert.deepEqual([...await rows.read()], [2, 2.5, 0, 0.5]);
   * await assert.rejects(
   *   TokenEmbedding.fromSafetensors(gpu, path, { vocabSize: 50257 }),
   *   /vocabSize is 50257, but the token embedding table "transformer.wte.weight" \[3, 2\]/,
   * );
   * await Deno.remove(dir, { recursive: true });
   * ```
   *
   * @param gpu The device to hold the table.
   * @param source The file: a path, a `file:` URL, or an open {@linkcode SafetensorsFile}
   *   (left open).
   * @param options The tensor's name, the expected vocabulary size, the element type, rows per
   *   chunk and storage limits.
   * @returns The embedding; dispose it when done.
   */
  static async fromSafetensors<D extends TableDType = "f32">(
    gpu: GpuDevice,
    source: SafetensorsSource,
    options: TokenEmbeddingFileOptions<D> = {},
  ): Promise<TokenEmbedding<D>> {
    checkGpuDevice("gpu", gpu);
    checkOptions(
      options,
      "{ tensor?, vocabSize?, dtype?, rowsPerChunk?, maxBindingBytes?, maxBufferBytes? }",
    );
    return await withSafetensors(source, async (file) => {
      const table = findTable(file, "token", options.tensor, "tensor");
      checkVocabulary(file, table, options.vocabSize);
      const dtype = (options.dtype ?? "f32") as D;
      checkTableOptions(table.shape[0], table.shape[1], dtype);
      const rowsPerChunk = chunkRows(table, dtype, options.rowsPerChunk);
      const storage = {
        maxBindingBytes: options.maxBindingBytes,
        maxBufferBytes: options.maxBufferBytes,
      };
      checkTokenTableSize(gpu, file, table, dtype, storage);
      const weight = await streamTable(
        gpu,
        file,
        table,
        dtype,
        "token embedding weight",
        rowsPerChunk,
        storage,
      );
      return new TokenEmbedding(weight);
    });
  }

  /**
   * Looks up the rows of `ids` (any shape), giving `[...ids.shape, dim]`; ids outside the
   * vocabulary are rejected before any GPU work.
   *
   * @param ids Token ids in `[0, vocabSize)`.
   * @returns A new `f32` tensor; dispose it when done.
   */
  forward(ids: EmbeddingIds): Promise<Tensor<"f32">> {
    return gather(ids, this.weight);
  }

  /** Frees the table and its gradient. */
  dispose(): void {
    this.#parameter?.dispose();
    this.weight.dispose();
  }

  /** Frees the table at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Checks a token table's sizes and element type (CPU work, before anything is made). */
export function checkTableOptions(vocabSize: unknown, dim: unknown, dtype: unknown): void {
  checkInteger("vocabSize", vocabSize, 1);
  checkInteger("dim", dim, 1);
  if (!TABLE_DTYPES.includes(dtype as TableDType)) {
    throw new InputError("dtype", `must be "f32" or "f16", got ${describe(dtype)}`);
  }
}
