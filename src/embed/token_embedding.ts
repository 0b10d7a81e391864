import { checkGpuDevice, type GpuDevice } from "../gpu/device.ts";
import { gather } from "../gpu/kernels/gather.ts";
import type { EmbeddingIds } from "../gpu/kernels/token_ids.ts";
import { Tensor } from "../gpu/tensor.ts";
import { type EmbeddingInit, initialWeight } from "./embedding_init.ts";

/**
 * A token embedding, as `torch.nn.Embedding(vocabSize, dim)`: a `[vocabSize, dim]` weight table
 * on the GPU whose `forward` looks up one row per token id.
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
 */
export class TokenEmbedding {
  /** The number of rows: ids must be in `[0, vocabSize)`. */
  readonly vocabSize: number;
  /** The embedding dimension (columns). */
  readonly dim: number;
  /** The `[vocabSize, dim]` table. */
  readonly weight: Tensor<"f32">;

  private constructor(weight: Tensor<"f32">) {
    this.weight = weight;
    [this.vocabSize, this.dim] = weight.shape;
  }

  /**
   * Creates the table on `gpu`, its weights from a seed, a generator's stream or given values.
   *
   * @param gpu The device to hold the table.
   * @param vocabSize The number of rows, an integer >= 1.
   * @param dim The embedding dimension, an integer >= 1.
   * @param init Where the weights come from (see {@linkcode EmbeddingInit}).
   */
  static async create(
    gpu: GpuDevice,
    vocabSize: number,
    dim: number,
    init: EmbeddingInit,
  ): Promise<TokenEmbedding> {
    checkGpuDevice("gpu", gpu);
    const values = initialWeight("vocabSize", vocabSize, dim, init);
    const weight = await Tensor.from(gpu, values, {
      shape: [vocabSize, dim],
      label: "token embedding weight",
    });
    return new TokenEmbedding(weight);
  }

  /**
   * Looks up the rows of `ids` (any shape), giving `[...ids.shape, dim]`; ids outside the
   * vocabulary are rejected before any GPU work.
   *
   * @param ids Token ids in `[0, vocabSize)`.
   * @returns A new tensor; dispose it when done.
   */
  forward(ids: EmbeddingIds): Promise<Tensor<"f32">> {
    return gather(ids, this.weight);
  }

  /** Frees the table. */
  dispose(): void {
    this.weight.dispose();
  }

  /** Frees the table at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
