import { checkInteger, checkOptions } from "../util/checks.ts";
import { checkGpuDevice, type GpuDevice } from "../gpu/device.ts";
import { gather } from "../gpu/kernels/embedding/gather.ts";
import { positionalAdd } from "../gpu/kernels/embedding/positional_add.ts";
import { positionalBackward } from "../gpu/kernels/embedding_backward/positional_backward.ts";
import { Tensor } from "../gpu/tensor.ts";
import type { EmbeddingInit } from "./embedding_init.ts";
import { checkPositionTableSize, createTable, EmbeddingTable } from "./embedding_table.ts";
import { sinusoidalPositionalEncoding } from "./sinusoidal_positional_encoding.ts";
import {
  findTable,
  planPositionTable,
  type SafetensorsSource,
  streamTable,
  withSafetensors,
} from "./safetensors_tables.ts";

/** Options of {@linkcode PositionalEmbedding.fromSafetensors}. */
export interface PositionalEmbeddingFileOptions {
  /**
   * The table's name in the file. Default: `"wpe.weight"` or `"transformer.wpe.weight"` (GPT-2
   * files spell it either way), whichever the file has.
   */
  tensor?: string;
  /** Rows read and uploaded at a time. Default: 8 MiB of float32 rows. */
  rowsPerChunk?: number;
}

/**
 * An absolute positional embedding, as the book's `torch.nn.Embedding(contextLength, dim)`
 * applied to `torch.arange(seq)`: one learned row per position, added to token embeddings.
 *
 * @example
 * ```ts
 * import { GpuDevice, PositionalEmbedding, Tensor } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const gpu = await GpuDevice.shared();
 * using positions = await PositionalEmbedding.create(gpu, 4, 2, { weight: [[0, 0], [1, 1], [2, 2], [3, 3]] });
 * using first = await positions.forward(2); // pos_embedding_layer(torch.arange(2))
 * assert.deepEqual(await first.toArray(), [[0, 0], [1, 1]]);
 * using x = await Tensor.from(gpu, [[[0.5, 0.5], [0.5, 0.5]]]);
 * using sum = await positions.addTo(x);
 * assert.deepEqual(await sum.toArray(), [[[0.5, 0.5], [1.5, 1.5]]]);
 * ```
 */
export class PositionalEmbedding extends EmbeddingTable<"f32"> {
  /** The number of positions: sequences may be at most this long. */
  readonly contextLength: number;

  private constructor(weight: Tensor<"f32">, trainable = true) {
    super(weight, "position.weight", trainable);
    this.contextLength = weight.shape[0];
  }

  /**
   * The original Transformer's fixed positional encoding instead of a learned table:
   * `sin(pos / 10000^(2i / dim))` in even columns, `cos` in odd ones (see
   * {@linkcode sinusoidalPositionalEncoding}). It has no parameters: `parameters()` is empty,
   * `backward` does nothing, and an optimizer never changes it.
   *
   * @example In place of the book's learned table
   * ```ts
   * import { GpuDevice, InputEmbedding, PositionalEmbedding, TokenEmbedding } from "../../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const gpu = await GpuDevice.shared();
   * const token = await TokenEmbedding.create(gpu, 10, 4, { seed: 123 });
   * const position = await PositionalEmbedding.sinusoidal(gpu, 8, 4);
   * using embedding = new InputEmbedding(token, position);
   * assert.equal(position.trainable, false);
   * assert.equal(embedding.parameters().length, 1); // the token table only
   * using first = await position.forward(2);
   * assert.deepEqual((await first.toArray() as number[][])[0], [0, 1, 0, 1]);
   * ```
   *
   * @param gpu The device to hold the table.
   * @param contextLength The number of positions, an integer >= 1.
   * @param dim The embedding dimension, an integer >= 1.
   * @returns The fixed embedding; dispose it when done.
   */
  static async sinusoidal(
    gpu: GpuDevice,
    contextLength: number,
    dim: number,
  ): Promise<PositionalEmbedding> {
    checkGpuDevice("gpu", gpu);
    checkPositionTableSize(gpu, contextLength, dim);
    const weight = await Tensor.from(gpu, sinusoidalPositionalEncoding(contextLength, dim), {
      shape: [contextLength, dim],
      label: "sinusoidal positional encoding",
    });
    return new PositionalEmbedding(weight, false);
  }

  /**
   * Creates the table on `gpu`, its weights from a seed, a generator's stream or given values.
   *
   * @param gpu The device to hold the table.
   * @param contextLength The number of positions, an integer >= 1.
   * @param dim The embedding dimension, an integer >= 1.
   * @param init Where the weights come from (see {@linkcode EmbeddingInit}).
   */
  static async create(
    gpu: GpuDevice,
    contextLength: number,
    dim: number,
    init: EmbeddingInit,
  ): Promise<PositionalEmbedding> {
    checkGpuDevice("gpu", gpu);
    checkPositionTableSize(gpu, contextLength, dim);
    const label = "positional embedding weight";
    const spec = { rowsParameter: "contextLength", dtype: "f32" as const, label };
    return new PositionalEmbedding(await createTable(gpu, contextLength, dim, init, spec));
  }

  /**
   * Loads a pretrained position table from a safetensors file: GPT-2's `wpe.weight` (also
   * spelled `transformer.wpe.weight`) by default, or the tensor named by `tensor`. The context
   * length and dimension are the table's shape (`[1024, 768]` for GPT-2 small); `F32`, `F16` and
   * `BF16` values become `f32`. The file is checked first (as
   * {@linkcode TokenEmbedding.fromSafetensors} does), then the table is streamed to the GPU in
   * row chunks. Needs read permission for the file.
   *
   * @example
   * ```ts
   * import { GpuDevice, PositionalEmbedding, writeSafetensors } from "../../mod.ts";
   * import assert from "node:assert/strict";
   *
   * await Deno.mkdir(".tmp", { recursive: true });
   * const dir = await Deno.makeTempDir({ dir: ".tmp" });
   * const path = `${dir}/model.safetensors`;
   * const wpe = new Float32Array([0, 0, 1, 1, 2, 2]); // 3 positions × 2 dimensions
   * await writeSafetensors(path, { "wpe.weight": { dtype: "BF16", shape: [3, 2], data: wpe } });
   *
   * const gpu = await GpuDevice.shared();
   * using positions = await PositionalEmbedding.fromSafetensors(gpu, path);
   * assert.deepEqual([positions.contextLength, positions.dim], [3, 2]);
   * using first = await positions.forward(2);
   * assert.deepEqual(await first.toArray(), [[0, 0], [1, 1]]);
   * await Deno.remove(dir, { recursive: true });
   * ```
   *
   * @param gpu The device to hold the table.
   * @param source The file: a path, a `file:` URL, or an open {@linkcode SafetensorsFile}
   *   (left open).
   * @param options The tensor's name and rows per chunk.
   * @returns The embedding; dispose it when done.
   */
  static async fromSafetensors(
    gpu: GpuDevice,
    source: SafetensorsSource,
    options: PositionalEmbeddingFileOptions = {},
  ): Promise<PositionalEmbedding> {
    checkGpuDevice("gpu", gpu);
    checkOptions(options, "{ tensor?, rowsPerChunk? }");
    return await withSafetensors(source, async (file) => {
      const table = findTable(file, "position", options.tensor, "tensor");
      const plan = planPositionTable(gpu, table, options.rowsPerChunk);
      return new PositionalEmbedding(
        await streamTable(gpu, file, plan, "positional embedding weight"),
      );
    });
  }

  /**
   * The embeddings of positions `0 .. length − 1` (the book's `pos_embeddings`), `[length, dim]`.
   *
   * @param length How many positions, in `[1, contextLength]` (default: all).
   * @returns A new tensor; dispose it when done.
   */
  async forward(length: number = this.contextLength): Promise<Tensor<"f32">> {
    checkInteger("length", length, 1, this.contextLength);
    return await gather(Uint32Array.from({ length }, (_, i) => i), this.weight);
  }

  /**
   * Adds each position's row to `x` `[..., seq, dim]` (seq <= contextLength), broadcast over
   * the leading dimensions.
   *
   * @param x Token embeddings, `f32 [..., seq, dim]`.
   * @returns A new tensor shaped like `x`; dispose it when done.
   */
  addTo(x: Tensor<"f32">): Promise<Tensor<"f32">> {
    return positionalAdd(x, this.weight);
  }

  /**
   * Adds the table's gradient for a gradient of `x + positions` (see
   * {@linkcode PositionalEmbedding.addTo}) to {@linkcode PositionalEmbedding.grad}: row `t`
   * gets the sum over the batch of `gradOutput[..., t, :]`, added in a fixed order. Rows past
   * the sequence length get nothing. Does nothing for the fixed sinusoidal encoding.
   *
   * @example
   * ```ts
   * import { GpuDevice, PositionalEmbedding, Tensor } from "../../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const gpu = await GpuDevice.shared();
   * using positions = await PositionalEmbedding.create(gpu, 3, 2, { seed: 1 });
   * using gradOutput = await Tensor.from(gpu, [[[1, 2], [3, 4]], [[10, 20], [30, 40]]]);
   * await positions.backward(gradOutput);
   * assert.deepEqual(await positions.grad!.toArray(), [[11, 22], [33, 44], [0, 0]]);
   * ```
   *
   * @param gradOutput The gradient of the sum, `f32 [..., seq, dim]` with `seq <= contextLength`.
   */
  async backward(gradOutput: Tensor<"f32">): Promise<void> {
    const parameter = this.parameter();
    if (parameter === undefined) return;
    await positionalBackward(gradOutput, await parameter.gradTensor());
  }
}
