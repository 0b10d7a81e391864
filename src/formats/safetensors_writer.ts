import { FileSystemError, InputError } from "../util/errors.ts";
import { alreadyExists, baseName, commitFile, pathExists, writeAll } from "../util/atomic_file.ts";
import { checkOptions, describe } from "../util/checks.ts";
import { f32ArrayToBf16, f32ArrayToF16 } from "../util/float16.ts";
import {
  elementCount,
  formatShape,
  IO_CHUNK_BYTES,
  isSafetensorsDtype,
  METADATA_KEY,
  pathLabel,
  SAFETENSORS_DTYPE_BITS,
  type SafetensorsDtype,
} from "./safetensors_format.ts";

/** What a kept file is told when `overwrite` is off. */
const REFUSAL = "already exists; pass { overwrite: true } to replace it";

/**
 * A tensor to write. `data` holds the values in row-major order:
 * - a `Float32Array` for dtype `F32`, `F16` or `BF16` (rounded to nearest even for the last two);
 * - a `Uint16Array` of the stored bits for a 16-bit dtype (`F16`, `BF16`, `I16`, `U16`);
 * - a `Uint8Array` of the stored bytes (little-endian) for any dtype.
 */
export interface TensorToWrite {
  /** The element type stored in the file. */
  dtype: SafetensorsDtype;
  /** The shape; `[]` for a scalar. */
  shape: readonly number[];
  /** The values (see above). */
  data: Float32Array | Uint16Array | Uint8Array;
}

/** Options of {@linkcode writeSafetensors}. */
export interface WriteSafetensorsOptions {
  /** The header's `__metadata__`: names to strings, e.g. `{ format: "pt" }`. Default: none. */
  metadata?: Record<string, string>;
  /** Replace an existing file. Default: `false` (an existing file is an error). */
  overwrite?: boolean;
}

interface PlannedTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: readonly number[];
  data: Float32Array | Uint16Array | Uint8Array;
  byteLength: number;
}

/**
 * Writes tensors to a safetensors file (the Hugging Face format), atomically: into a new file in
 * the same directory, which is renamed over the target only when complete, so a failed write
 * leaves no partial file and never damages an existing one.
 *
 * Layout, as the reference writer does it: the JSON header is padded with spaces to a multiple of
 * 8 bytes; the tensors are ordered by element size, largest first, then by name (UTF-16 code-unit
 * order), so that each tensor starts at a multiple of its element size; the header lists them in
 * that order after `__metadata__`. Conversions to `F16`/`BF16` go through one buffer of at most 8
 * MiB, so writing needs little memory beyond the given arrays.
 *
 * Needs read and write permission for the target's directory. Bad arguments (an unknown dtype, a
 * shape that does not match the data, an existing file without `overwrite`) are an
 * {@linkcode InputError} thrown before anything is written. A failure of the file system (no
 * space left, a read-only folder) is a {@linkcode FileSystemError} naming the target, and leaves
 * no file behind: not a partial one, and an existing file is untouched.
 *
 * @example
 * ```ts
 * import { openSafetensors, writeSafetensors } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * await Deno.mkdir(".tmp", { recursive: true });
 * const dir = await Deno.makeTempDir({ dir: ".tmp" });
 * const path = `${dir}/tables.safetensors`;
 * const wpe = new Float32Array([0.5, -1.5, 2.25, 3]);
 * await writeSafetensors(path, { "wpe.weight": { dtype: "BF16", shape: [2, 2], data: wpe } }, {
 *   metadata: { format: "pt" },
 * });
 * await assert.rejects(
 *   writeSafetensors(path, { "wpe.weight": { dtype: "F32", shape: [2, 2], data: wpe } }),
 *   /already exists/,
 * );
 *
 * using file = await openSafetensors(path);
 * assert.deepEqual(file.metadata, { format: "pt" });
 * assert.deepEqual(await file.readTensor("wpe.weight"), wpe); // exact in bfloat16
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param path The file to write (a path or a `file:` URL); its directory must exist.
 * @param tensors The tensors by name.
 * @param options `metadata` and `overwrite`.
 */
export async function writeSafetensors(
  path: string | URL,
  tensors: Readonly<Record<string, TensorToWrite>>,
  options: WriteSafetensorsOptions = {},
): Promise<void> {
  if (typeof path !== "string" && !(path instanceof URL)) {
    throw new InputError("path", `must be a string or a URL, got ${describe(path)}`);
  }
  checkOptions(options, "{ metadata?, overwrite? }");
  const label = pathLabel(path);
  const planned = planTensors(tensors);
  const header = encodeHeader(planned, checkMetadata(options.metadata));
  const overwrite = options.overwrite ?? false;
  if (typeof overwrite !== "boolean") {
    throw new InputError("overwrite", `must be true or false, got ${describe(overwrite)}`);
  }
  if (!overwrite && await pathExists(label)) throw alreadyExists(label, REFUSAL);

  const temporary = `${directoryOf(label)}.${baseName(label)}.${
    crypto.randomUUID().slice(0, 8)
  }.tmp`;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(temporary, { write: true, createNew: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new InputError(label, `cannot be written: its directory does not exist`);
    }
    throw FileSystemError.from(error, "write", label);
  }
  try {
    try {
      await writeAll(file, header);
      for (const tensor of planned) await writeTensor(file, tensor);
      await file.syncData();
    } finally {
      file.close();
    }
    // without overwrite, a file created meanwhile is kept, never replaced
    await commitFile(temporary, label, overwrite, REFUSAL);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    // the system's words ("No space left on device") name no file: say which
    throw FileSystemError.from(error, "write", label);
  }
}

/** Checks every tensor and orders them as they will be stored. */
function planTensors(tensors: Readonly<Record<string, TensorToWrite>>): PlannedTensor[] {
  if (typeof tensors !== "object" || tensors === null || Array.isArray(tensors)) {
    throw new InputError(
      "tensors",
      `must be an object of tensors by name, got ${describe(tensors)}`,
    );
  }
  const planned = Object.entries(tensors).map(([name, tensor]) => planTensor(name, tensor));
  const bits = (t: PlannedTensor) => SAFETENSORS_DTYPE_BITS[t.dtype];
  return planned.sort((a, b) =>
    bits(b) - bits(a) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}

function planTensor(name: string, tensor: TensorToWrite): PlannedTensor {
  const parameter = `tensors[${JSON.stringify(name)}]`;
  if (name === METADATA_KEY) {
    throw new InputError(parameter, `is not allowed: "${METADATA_KEY}" is the header's metadata`);
  }
  if (typeof tensor !== "object" || tensor === null) {
    throw new InputError(parameter, `must be { dtype, shape, data }, got ${describe(tensor)}`);
  }
  const { dtype, shape, data } = tensor;
  if (!isSafetensorsDtype(dtype)) {
    throw new InputError(
      `${parameter}.dtype`,
      `must be a safetensors dtype (one of ${Object.keys(SAFETENSORS_DTYPE_BITS).join(", ")}), ` +
        `got ${describe(dtype)}`,
    );
  }
  if (
    !Array.isArray(shape) ||
    !shape.every((size) => Number.isSafeInteger(size) && size >= 0)
  ) {
    throw new InputError(
      `${parameter}.shape`,
      `must be an array of non-negative integers, got ${
        Array.isArray(shape) ? JSON.stringify(shape) : describe(shape)
      }`,
    );
  }
  const elements = elementCount(shape);
  if (elements === undefined) {
    throw new InputError(`${parameter}.shape`, `has over 2^53 elements: ${formatShape(shape)}`);
  }
  const bits = SAFETENSORS_DTYPE_BITS[dtype];
  if ((elements * bits) % 8 !== 0) {
    throw new InputError(
      `${parameter}.shape`,
      `${formatShape(shape)} has ${elements} elements of ${dtype} (${bits} bits each), which ` +
        "do not fill whole bytes",
    );
  }
  const byteLength = elements * bits / 8;
  let expected: number;
  if (data instanceof Float32Array && (dtype === "F32" || dtype === "F16" || dtype === "BF16")) {
    expected = elements;
  } else if (data instanceof Uint16Array && bits === 16) {
    expected = elements;
  } else if (data instanceof Uint8Array) {
    expected = byteLength;
  } else {
    throw new InputError(
      `${parameter}.data`,
      `must be a Float32Array (for F32, F16, BF16), a Uint16Array (for a 16-bit dtype) or a ` +
        `Uint8Array of the stored bytes; got ${describe(data)} for dtype ${dtype}`,
    );
  }
  if (data.length !== expected) {
    const unit = data instanceof Uint8Array ? "bytes" : "values";
    throw new InputError(
      `${parameter}.data`,
      `must have ${expected} ${unit} for dtype ${dtype} and shape ${formatShape(shape)}, ` +
        `got ${data.length}`,
    );
  }
  return { name, dtype, shape: [...shape], data, byteLength };
}

function checkMetadata(metadata: unknown): Record<string, string> | undefined {
  if (metadata === undefined) return undefined;
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    throw new InputError("metadata", `must be an object of strings, got ${describe(metadata)}`);
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== "string") {
      throw new InputError(
        `metadata[${JSON.stringify(key)}]`,
        `must be a string, got ${describe(value)}`,
      );
    }
  }
  return metadata as Record<string, string>;
}

/** The length field and the JSON header, padded with spaces to a multiple of 8 bytes. */
function encodeHeader(
  tensors: readonly PlannedTensor[],
  metadata: Record<string, string> | undefined,
): Uint8Array {
  // Entries are joined by hand: a JS object would move integer-like names (e.g. "0") first.
  const entries: string[] = [];
  if (metadata !== undefined) {
    entries.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  for (const { name, dtype, shape, byteLength } of tensors) {
    const info = { dtype, shape, data_offsets: [offset, offset + byteLength] };
    entries.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    offset += byteLength;
  }
  const json = new TextEncoder().encode(`{${entries.join(",")}}`);
  const padded = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(padded), true);
  bytes.set(json, 8);
  return bytes;
}

async function writeTensor(file: Deno.FsFile, tensor: PlannedTensor): Promise<void> {
  const { data, dtype } = tensor;
  if (data instanceof Float32Array && dtype !== "F32") {
    const chunkLength = IO_CHUNK_BYTES / 2;
    const scratch = new Uint16Array(Math.min(chunkLength, data.length));
    for (let from = 0; from < data.length; from += chunkLength) {
      const source = data.subarray(from, from + chunkLength);
      if (dtype === "F16") f32ArrayToF16(source, scratch);
      else f32ArrayToBf16(source, scratch);
      await writeAll(file, new Uint8Array(scratch.buffer, 0, source.length * 2));
    }
  } else {
    await writeAll(file, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
}

/** The directory part of a path, with its trailing separator (`""` for a bare file name). */
function directoryOf(path: string): string {
  return path.slice(0, Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
}
