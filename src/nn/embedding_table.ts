// The one path every embedding layer makes its table by: checked sizes (before anything is
// allocated), then weights from an EmbeddingInit or streamed from a file (safetensors_tables.ts),
// held as one GPU tensor that the layer frees.
import { InputError } from "../util/errors.ts";
import { checkInteger, describe } from "../util/checks.ts";
import type { GpuDevice } from "../gpu/device.ts";
import type { TableDType } from "../gpu/kernels/tensor_checks.ts";
import type { TensorStorageOptions } from "../gpu/storage_layout.ts";
import { planTensorStorage, Tensor } from "../gpu/tensor.ts";
import { type EmbeddingInit, initialWeight } from "./embedding_init.ts";
import { Parameter } from "./parameter.ts";

const TABLE_DTYPES: readonly TableDType[] = ["f32", "f16"];

/**
 * What the embedding layers ({@linkcode TokenEmbedding}, {@linkcode PositionalEmbedding}) share:
 * a `[rows, dim]` weight table on the GPU, freed with the layer, and (for an `f32` table that is
 * learned) the table as a trainable {@linkcode Parameter} with its gradient.
 */
export abstract class EmbeddingTable<D extends TableDType = TableDType> {
  /** The `[rows, dim]` table (`f32`, or `f16` for a token table created so). */
  readonly weight: Tensor<D>;
  /** The embedding dimension (columns). */
  readonly dim: number;
  /**
   * Whether the table is learned (`true`: a parameter with a gradient) or fixed (`false`, as
   * the sinusoidal encoding of {@linkcode PositionalEmbedding.sinusoidal}).
   */
  readonly trainable: boolean;
  readonly #parameterName: string;
  #parameter: Parameter | undefined;

  /**
   * Holds `weight`.
   *
   * @param weight The table, a 2-D tensor.
   * @param parameterName The table's name as a parameter, e.g. `"token.weight"`.
   * @param trainable Whether it is learned (default `true`).
   */
  protected constructor(weight: Tensor<D>, parameterName: string, trainable = true) {
    this.weight = weight;
    this.dim = weight.shape[1];
    this.trainable = trainable;
    this.#parameterName = parameterName;
  }

  /**
   * The table as a trainable {@linkcode Parameter} (the weight and its gradient), for an
   * optimizer such as {@linkcode AdamW}, as `nn.Embedding.parameters()`: `[weight]`, or `[]`
   * for a fixed table. Only an `f32` table trains.
   *
   * @returns The parameters.
   */
  parameters(): Parameter[] {
    const parameter = this.parameter();
    return parameter === undefined ? [] : [parameter];
  }

  /**
   * The table's accumulated gradient, shaped like it (PyTorch's `weight.grad`): `undefined`
   * before the first backward pass, and always for a fixed table.
   */
  get grad(): Tensor<"f32"> | undefined {
    return this.#parameter?.grad;
  }

  /** Sets the table's gradient to zero (as PyTorch 1.13's `zero_grad()`). */
  async zeroGrad(): Promise<void> {
    await this.#parameter?.zeroGrad();
  }

  /** The weight as a parameter (made on first use); `undefined` for a fixed table. */
  protected parameter(): Parameter | undefined {
    if (!this.trainable) return undefined;
    if (this.weight.dtype !== "f32") {
      throw new InputError(
        "dtype",
        `is ${this.weight.dtype}: only an f32 table trains (create it with dtype "f32")`,
      );
    }
    return this.#parameter ??= new Parameter(this.#parameterName, this.weight as Tensor<"f32">);
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

/**
 * Throws unless a `[vocabSize, dim]` token table of `dtype` is valid and fits what `gpu` can
 * bind (split into segments as `storage` allows); CPU work, before anything is made.
 */
export function checkTokenTable(
  gpu: GpuDevice,
  vocabSize: number,
  dim: number,
  dtype: TableDType,
  storage: TensorStorageOptions,
): void {
  checkTableOptions(vocabSize, dim, dtype);
  planTensorStorage(
    gpu,
    [vocabSize, dim],
    dtype,
    storage,
    "dim",
    `the token table [${vocabSize}, ${dim}] of ${dtype}`,
  );
}

/**
 * Throws unless a `[contextLength, dim]` f32 position table fits one storage binding (the
 * kernels bind it whole); CPU work, before anything is made.
 */
export function checkPositionTableSize(gpu: GpuDevice, contextLength: number, dim: number): void {
  checkInteger("contextLength", contextLength, 1);
  checkInteger("dim", dim, 1);
  const bytes = contextLength * dim * 4;
  const max = gpu.limits.maxStorageBufferBindingSize;
  if (bytes > max) {
    throw new InputError(
      "contextLength",
      `makes the position table [${contextLength}, ${dim}] of f32 ${bytes} bytes, more than one ` +
        `storage binding holds (maxStorageBufferBindingSize ${max})`,
    );
  }
}

/** How a table is made: its rows' name for messages, its element type, label and storage limits. */
export interface TableSpec<D extends TableDType> {
  /** The parameter that sets the rows (`"vocabSize"`, `"contextLength"`), for messages. */
  rowsParameter: string;
  /** The element type. */
  dtype: D;
  /** The GPU buffer's label. */
  label: string;
  /** Limits to split the table by. */
  storage?: TensorStorageOptions;
}

/** Makes a `[rows, dim]` table on `gpu` from `init` (its sizes already checked). */
export async function createTable<D extends TableDType>(
  gpu: GpuDevice,
  rows: number,
  dim: number,
  init: EmbeddingInit,
  spec: TableSpec<D>,
): Promise<Tensor<D>> {
  const values = initialWeight(spec.rowsParameter, rows, dim, init);
  const tensorOptions = {
    shape: [rows, dim],
    label: spec.label,
    maxBindingBytes: spec.storage?.maxBindingBytes,
    maxBufferBytes: spec.storage?.maxBufferBytes,
  };
  const weight = spec.dtype === "f16"
    ? await Tensor.from(gpu, values, { ...tensorOptions, dtype: "f16" })
    : await Tensor.from(gpu, values, tensorOptions);
  return weight as Tensor<D>;
}
