// Embedding tables from safetensors files (GPT-2's `wte` / `wpe`): finding them by name, checking
// their shapes and dtypes before anything is allocated, and streaming them into GPU tensors in
// row chunks, so that loading holds the tables on the device plus one chunk, never the file.
import { InputError } from "../util/errors.ts";
import { checkInteger, describe } from "../util/checks.ts";
import type { GpuDevice } from "../gpu/device.ts";
import type { TableDType } from "../gpu/kernels/tensor_checks.ts";
import type { TensorStorageOptions } from "../gpu/storage_layout.ts";
import { planTensorStorage, Tensor } from "../gpu/tensor.ts";
import { f16BitsToF32 } from "../util/float16.ts";
import { formatShape, IO_CHUNK_BYTES } from "../formats/safetensors_format.ts";
import { checkPositionTableSize, checkTableOptions } from "./embedding_table.ts";
import {
  listTensorNames,
  openSafetensors,
  type SafetensorsFile,
  type SafetensorsTensorInfo,
} from "../formats/safetensors_reader.ts";

/**
 * Where embedding tables are read from: a safetensors file's path, a `file:` URL, or a file
 * already opened with {@linkcode openSafetensors} (left open: its owner closes it).
 */
export type SafetensorsSource = string | URL | SafetensorsFile;

/** Which table, for names and messages. */
export type TableRole = "token" | "position";

/** The names GPT-2 files give each table: bare, and with `transformer.` (both occur). */
export const TABLE_NAMES: Readonly<Record<TableRole, readonly string[]>> = {
  token: ["wte.weight", "transformer.wte.weight"],
  position: ["wpe.weight", "transformer.wpe.weight"],
};

const TABLE_DTYPES = ["F32", "F16", "BF16"];

/** Runs `work` with the open file of `source`, closing it afterwards only if it was opened here. */
export async function withSafetensors<T>(
  source: SafetensorsSource,
  work: (file: SafetensorsFile) => Promise<T>,
): Promise<T> {
  if (typeof source === "string" || source instanceof URL) {
    using file = await openSafetensors(source);
    return await work(file);
  }
  if (!isSafetensorsFile(source)) {
    throw new InputError(
      "source",
      "must be a safetensors file's path, a file: URL or a file from openSafetensors, got " +
        describe(source),
    );
  }
  return await work(source);
}

function isSafetensorsFile(value: unknown): value is SafetensorsFile {
  const file = value as Partial<SafetensorsFile> | null;
  return typeof file === "object" && file !== null && typeof file.tensor === "function" &&
    typeof file.has === "function" && typeof file.rowChunks === "function";
}

/**
 * The `role` table of `file`: the tensor called `name` when given (by the option `option`), else
 * the one of {@linkcode TABLE_NAMES} the file has (with both, messages point to `option`, where
 * the caller has one). It must be a 2-D table of `F32`, `F16` or `BF16`
 * with at least one row and one column; anything else is an {@linkcode InputError} naming the
 * file and the tensor.
 */
export function findTable(
  file: SafetensorsFile,
  role: TableRole,
  name?: unknown,
  option?: string,
): SafetensorsTensorInfo {
  const what = `${role} embedding table`;
  let table: SafetensorsTensorInfo;
  if (name !== undefined) {
    if (typeof name !== "string") {
      throw new InputError(
        option ?? "name",
        `must be a tensor's name (a string), got ${describe(name)}`,
      );
    }
    table = file.tensor(name);
  } else {
    const present = TABLE_NAMES[role].filter((candidate) => file.has(candidate));
    const quoted = TABLE_NAMES[role].map((candidate) => JSON.stringify(candidate));
    if (present.length === 0) {
      throw new InputError(
        file.path,
        `has no ${what}: no tensor ${quoted.join(" or ")}; ${listTensorNames(file.tensors)}`,
      );
    }
    if (present.length > 1) {
      throw new InputError(
        file.path,
        `has two ${what}s, ${quoted.join(" and ")}` +
          (option === undefined
            ? ": which to use is ambiguous"
            : `; choose one with the ${option} option`),
      );
    }
    table = file.tensor(present[0]);
  }
  const described = `${what} ${JSON.stringify(table.name)}`;
  if (!TABLE_DTYPES.includes(table.dtype)) {
    throw new InputError(
      file.path,
      `has a ${described} of dtype ${table.dtype}; embedding tables must be F32, F16 or BF16`,
    );
  }
  if (table.shape.length !== 2 || table.shape[0] === 0 || table.shape[1] === 0) {
    const rows = role === "token" ? "vocabulary" : "context length";
    throw new InputError(
      file.path,
      `has a ${described} of shape ${formatShape(table.shape)}; an embedding table must be ` +
        `2-D, [${rows}, dim], with at least one row and one column`,
    );
  }
  return table;
}

/** Throws unless the token table has `vocabSize` rows (when given). */
function checkVocabulary(
  file: SafetensorsFile,
  table: SafetensorsTensorInfo,
  vocabSize: unknown,
): void {
  if (vocabSize === undefined) return;
  checkInteger("vocabSize", vocabSize, 1);
  if (table.shape[0] !== vocabSize) {
    throw new InputError(
      "vocabSize",
      `is ${vocabSize}, but the token embedding table ${JSON.stringify(table.name)} ` +
        `${formatShape(table.shape)} in ${file.path} has ${table.shape[0]} rows, one per token ` +
        "of the vocabulary it was trained with",
    );
  }
}

/** Throws unless the token and position tables have the same dimension. */
export function checkSameDim(
  file: SafetensorsFile,
  token: SafetensorsTensorInfo,
  position: SafetensorsTensorInfo,
): void {
  if (token.shape[1] !== position.shape[1]) {
    throw new InputError(
      file.path,
      `has a token embedding table ${JSON.stringify(token.name)} ${formatShape(token.shape)} ` +
        `and a position embedding table ${JSON.stringify(position.name)} ` +
        `${formatShape(position.shape)} of different dimensions (${token.shape[1]} and ` +
        `${position.shape[1]})`,
    );
  }
}

/** Rows per chunk of a table's upload: as given, or 8 MiB worth; even for odd-width `f16` rows. */
function chunkRows(
  table: SafetensorsTensorInfo,
  dtype: TableDType,
  rowsPerChunk: unknown,
): number {
  const dim = table.shape[1];
  const rows = rowsPerChunk ?? Math.max(1, Math.floor(IO_CHUNK_BYTES / (dim * 4)));
  checkInteger("rowsPerChunk", rows, 1);
  // f16 values go two to a 32-bit word: chunks of odd-width rows start on even rows.
  return dtype === "f16" && dim % 2 === 1 && rows % 2 === 1 ? rows + 1 : rows;
}

/** A file's table, checked and ready to stream: its element type, rows per chunk and limits. */
export interface TablePlan<D extends TableDType> {
  /** The table in the file. */
  table: SafetensorsTensorInfo;
  /** The element type it becomes on the GPU. */
  dtype: D;
  /** Rows read and uploaded at a time. */
  rowsPerChunk: number;
  /** Limits to split the table by. */
  storage: TensorStorageOptions;
}

/** Options of {@linkcode planTokenTable}: those of `TokenEmbedding.fromSafetensors`. */
export interface TokenTableOptions<D extends TableDType> extends TensorStorageOptions {
  /** The expected vocabulary size (rows). Default: not checked. */
  vocabSize?: number;
  /** The element type on the GPU. Default: `"f32"`. */
  dtype?: D;
  /** Rows read and uploaded at a time. Default: 8 MiB of float32 rows. */
  rowsPerChunk?: number;
}

/**
 * Throws an {@linkcode InputError} naming the tensor and the element when a chunk of a table
 * holds NaN or ±Infinity (as read: `f16` also catches values beyond float16's range), as the
 * same values passed as arrays are refused. One pass over rows already in memory.
 */
function checkFiniteRows(
  file: SafetensorsFile,
  table: SafetensorsTensorInfo,
  dtype: TableDType,
  start: number,
  data: Float32Array | Uint16Array,
): void {
  let bad = -1;
  if (data instanceof Float32Array) {
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        bad = i;
        break;
      }
    }
  } else {
    for (let i = 0; i < data.length; i++) {
      if ((data[i] & 0x7c00) === 0x7c00) { // float16 exponent all ones: ±Infinity or NaN
        bad = i;
        break;
      }
    }
  }
  if (bad < 0) return;
  const dim = table.shape[1];
  const value = data instanceof Float32Array ? data[bad] : f16BitsToF32(data[bad]);
  const beyond = dtype === "f16" && table.dtype !== "F16"
    ? ` when read as float16 (the file's ${table.dtype} value is not finite, or beyond ±65504)`
    : "";
  throw new InputError(
    file.path,
    `tensor ${JSON.stringify(table.name)} holds ${describe(value)}${beyond} at ` +
      `[${start + Math.floor(bad / dim)}, ${bad % dim}]; embedding tables must hold finite numbers`,
  );
}

/**
 * Checks a token table of `file` before any GPU work (its vocabulary, element type, chunk size,
 * and that the device can bind it) and says how to stream it.
 */
export function planTokenTable<D extends TableDType>(
  gpu: GpuDevice,
  file: SafetensorsFile,
  table: SafetensorsTensorInfo,
  options: TokenTableOptions<D>,
): TablePlan<D> {
  checkVocabulary(file, table, options.vocabSize);
  const dtype = (options.dtype ?? "f32") as D;
  checkTableOptions(table.shape[0], table.shape[1], dtype);
  const rowsPerChunk = chunkRows(table, dtype, options.rowsPerChunk);
  const storage = {
    maxBindingBytes: options.maxBindingBytes,
    maxBufferBytes: options.maxBufferBytes,
  };
  checkTokenTableSize(gpu, file, table, dtype, storage);
  return { table, dtype, rowsPerChunk, storage };
}

/** Checks a position table of a file before any GPU work and says how to stream it (as `f32`). */
export function planPositionTable(
  gpu: GpuDevice,
  table: SafetensorsTensorInfo,
  rowsPerChunk: unknown,
): TablePlan<"f32"> {
  checkPositionTableSize(gpu, table.shape[0], table.shape[1]);
  return { table, dtype: "f32", rowsPerChunk: chunkRows(table, "f32", rowsPerChunk), storage: {} };
}

/**
 * Creates an empty tensor of the plan's shape and element type and streams the table into it,
 * `rowsPerChunk` rows at a time through one reused array (converted as read: `F16` data for an
 * `f16` tensor is copied as stored). The tensor is disposed if anything fails.
 */
export async function streamTable<D extends TableDType>(
  gpu: GpuDevice,
  file: SafetensorsFile,
  plan: TablePlan<D>,
  label: string,
): Promise<Tensor<D>> {
  const { table, dtype, rowsPerChunk, storage } = plan;
  const tensor = await Tensor.zeros(gpu, table.shape, dtype, label, storage);
  try {
    const chunks = file.rowChunks(table.name, { as: dtype, rowsPerChunk, reuse: true });
    for await (const { start, data } of chunks) {
      checkFiniteRows(file, table, dtype, start, data as Float32Array | Uint16Array);
      await tensor.writeRows(start, data as Parameters<Tensor<D>["writeRows"]>[1]);
    }
  } catch (error) {
    tensor.dispose();
    throw error;
  }
  return tensor;
}

/**
 * Throws unless the token table fits what `gpu` can bind as `dtype` (CPU work, before anything
 * is allocated).
 */
function checkTokenTableSize(
  gpu: GpuDevice,
  file: SafetensorsFile,
  table: SafetensorsTensorInfo,
  dtype: TableDType,
  storage: TensorStorageOptions,
): void {
  planTensorStorage(
    gpu,
    table.shape,
    dtype,
    storage,
    file.path,
    `its token embedding table ${JSON.stringify(table.name)} ${formatShape(table.shape)} as ` +
      dtype,
  );
}
