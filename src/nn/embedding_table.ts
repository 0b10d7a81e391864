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

const TABLE_DTYPES: readonly TableDType[] = ["f32", "f16"];

/**
 * What the embedding layers ({@linkcode TokenEmbedding}, {@linkcode PositionalEmbedding}) share:
 * a `[rows, dim]` weight table on the GPU, freed with the layer.
 */
export abstract class EmbeddingTable<D extends TableDType = TableDType> {
  /** The `[rows, dim]` table (`f32`, or `f16` for a token table created so). */
  readonly weight: Tensor<D>;
  /** The embedding dimension (columns). */
  readonly dim: number;

  /**
   * Holds `weight`.
   *
   * @param weight The table, a 2-D tensor.
   */
  protected constructor(weight: Tensor<D>) {
    this.weight = weight;
    this.dim = weight.shape[1];
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
