import { checkOptions } from "../util/checks.ts";
import { checkGpuDevice, type GpuDevice } from "../gpu/device.ts";
import type { TableDType } from "../gpu/kernels/tensor_checks.ts";
import { gather } from "../gpu/kernels/embedding/gather.ts";
import { embeddingBackward } from "../gpu/kernels/embedding_backward/embedding_backward.ts";
import type { EmbeddingIds } from "../gpu/kernels/embedding_ids.ts";
import type { Batch } from "../batches/batch.ts";
import { layerIds } from "./_layer_ids.ts";
import type { TensorStorageOptions } from "../gpu/storage_layout.ts";
import type { Tensor } from "../gpu/tensor.ts";
import type { EmbeddingInit } from "./embedding_init.ts";
import { checkTokenTable, createTable, EmbeddingTable } from "./embedding_table.ts";
import {
  findTable,
  planTokenTable,
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
export class TokenEmbedding<D extends TableDType = "f32"> extends EmbeddingTable<D> {
  /** The number of rows: ids must be in `[0, vocabSize)`. */
  readonly vocabSize: number;

  private constructor(weight: Tensor<D>) {
    super(weight, "token.weight");
    this.vocabSize = weight.shape[0];
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
    checkTokenTable(gpu, vocabSize, dim, dtype, options);
    const label = "token embedding weight";
    const spec = { rowsParameter: "vocabSize", dtype, label, storage: options };
    return new TokenEmbedding(await createTable(gpu, vocabSize, dim, init, spec));
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
      const plan = planTokenTable(gpu, file, table, options);
      return new TokenEmbedding(await streamTable(gpu, file, plan, "token embedding weight"));
    });
  }

  /**
   * Looks up the rows of `ids` (any shape), giving `[...ids.shape, dim]`, or of a data loader's
   * {@linkcode Batch}, giving `[batch.rows, batch.seqLength, dim]`; ids outside the vocabulary
   * are rejected before any GPU work.
   *
   * @param ids Token ids in `[0, vocabSize)`, or a batch.
   * @returns A new `f32` tensor; dispose it when done.
   */
  forward(ids: EmbeddingIds | Batch): Promise<Tensor<"f32">> {
    try {
      return gather(layerIds(ids), this.weight);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Adds the gradient of the table for a gradient of {@linkcode TokenEmbedding.forward}'s output
   * to {@linkcode EmbeddingTable.grad} (made on first use, zeros): each row of `gradOutput` goes
   * to the row of its id, so a token that occurs k times gets k contributions, and rows no id
   * touches get nothing (a dense gradient, as `nn.Embedding`'s default). Gradients accumulate
   * over calls, as PyTorch's do, until {@linkcode EmbeddingTable.zeroGrad}. Deterministic: no
   * atomics, the rows of one id added in ascending order (see {@linkcode embeddingBackward}).
   * Only an `f32` table trains.
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
    const parameter = this.parameter()!;
    await embeddingBackward(gradOutput, ids, await parameter.gradTensor());
  }
}
