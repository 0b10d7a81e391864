import { checkInteger, checkOptions } from "../util/checks.ts";
import { checkGpuDevice, type GpuDevice } from "../gpu/device.ts";
import { gather } from "../gpu/kernels/embedding/gather.ts";
import { positionalAdd } from "../gpu/kernels/embedding/positional_add.ts";
import type { Tensor } from "../gpu/tensor.ts";
import type { EmbeddingInit } from "./embedding_init.ts";
import { checkPositionTableSize, createTable, EmbeddingTable } from "./embedding_table.ts";
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

  private constructor(weight: Tensor<"f32">) {
    super(weight);
    this.contextLength = weight.shape[0];
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
}
