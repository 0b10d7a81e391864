import { InputError } from "../util/errors.ts";
import { checkBoolean, checkInteger, describe } from "../util/checks.ts";
import { decodeUtf8 } from "../util/utf8.ts";
import {
  bf16ArrayToF32,
  bf16BitsToF32,
  f16ArrayToF32,
  f32ArrayToF16,
  f32ToF16Bits,
} from "../util/float16.ts";
import {
  elementCount,
  formatShape,
  IO_CHUNK_BYTES,
  isSafetensorsDtype,
  MAX_HEADER_BYTES,
  METADATA_KEY,
  pathLabel,
  SAFETENSORS_DTYPE_BITS,
  type SafetensorsDtype,
} from "./safetensors_format.ts";

/** One tensor as the header describes it. */
export interface SafetensorsTensorInfo {
  /** The tensor's name, e.g. `"wte.weight"`. */
  readonly name: string;
  /** Its element type. */
  readonly dtype: SafetensorsDtype;
  /** Its shape; `[]` for a scalar. Rows (see {@linkcode SafetensorsFile.readRows}) run along the first dimension. */
  readonly shape: readonly number[];
  /** Where its bytes start, from the beginning of the file. */
  readonly byteOffset: number;
  /** How many bytes it has. */
  readonly byteLength: number;
}

/** The typed array each read format gives. */
export interface TensorReadResults {
  /** float32 values, converted from `F32`, `F16` or `BF16`. */
  f32: Float32Array;
  /**
   * Half-precision bits: `F16` data as stored, `F32` and `BF16` rounded to nearest even. The
   * array starts at byte 0 of its own buffer, so an even-length one viewed as a `Uint32Array` is
   * pairs of halves packed little-endian (the low half first), ready for a GPU buffer.
   */
  f16: Uint16Array;
  /** The stored bytes (little-endian), any dtype. */
  raw: Uint8Array;
}

/** How to read a tensor's values: `"f32"` (the default), `"f16"` or `"raw"`. */
export type TensorReadFormat = keyof TensorReadResults;

/** Options of {@linkcode SafetensorsFile.readTensor} and {@linkcode SafetensorsFile.readRows}. */
export interface TensorReadOptions<F extends TensorReadFormat> {
  /** The format of the result (see {@linkcode TensorReadResults}). Default: `"f32"`. */
  as?: F;
}

/** Options of {@linkcode SafetensorsFile.rowChunks}. */
export interface RowChunkOptions<F extends TensorReadFormat> extends TensorReadOptions<F> {
  /**
   * Rows per chunk (the last chunk may have fewer). Default: as many as fit in 8 MiB of the
   * result format, at least one.
   */
  rowsPerChunk?: number;
  /**
   * Reuse one array for every chunk: each chunk's `data` is then a view of it (starting at its
   * byte 0) that the next chunk overwrites, so use it before asking for the next. Streaming a
   * table then allocates once, instead of leaving a new array per chunk for the garbage
   * collector (which may let tens of MiB of them pile up). Default: `false`.
   */
  reuse?: boolean;
}

/** A run of consecutive rows of a tensor, from {@linkcode SafetensorsFile.rowChunks}. */
export interface TensorRowChunk<F extends TensorReadFormat> {
  /** The first row's index. */
  readonly start: number;
  /** The number of rows. */
  readonly count: number;
  /** Their values, row after row, in a new array (a reused one with `reuse: true`). */
  readonly data: TensorReadResults[F];
}

/**
 * An open safetensors file: the tensors its header lists, read on request. Close it when done
 * (`using`, or {@linkcode SafetensorsFile.close}).
 *
 * Memory: only the header is held. Reads seek to a tensor's bytes and read them in chunks of at
 * most 8 MiB: straight into the result when the stored dtype is the one asked for, through an
 * 8 MiB conversion buffer (one per read call) when values are converted. So reading a table holds
 * the result and at most 8 MiB more, and {@linkcode SafetensorsFile.rowChunks} streams a table of any size in bounded
 * memory. Reads of one file run one at a time (they share the file position). The host must be
 * little-endian, as every platform Deno runs on is.
 */
export interface SafetensorsFile extends Disposable {
  /** The file's path, as given to {@linkcode openSafetensors}. */
  readonly path: string;
  /** The file's size in bytes. */
  readonly size: number;
  /** The header's `__metadata__` (empty when there is none). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Every tensor, in the order of their bytes in the file. */
  readonly tensors: readonly SafetensorsTensorInfo[];

  /** Whether the file has a tensor of this name. */
  has(name: string): boolean;

  /** A tensor's description; a missing name is an {@linkcode InputError} listing the names there are. */
  tensor(name: string): SafetensorsTensorInfo;

  /**
   * A whole tensor's values, in row-major order.
   *
   * @param name The tensor's name.
   * @param options `as`: `"f32"` (default; from `F32`, `F16`, `BF16`), `"f16"` (same dtypes) or
   *   `"raw"` (any dtype).
   */
  readTensor<F extends TensorReadFormat = "f32">(
    name: string,
    options?: TensorReadOptions<F>,
  ): Promise<TensorReadResults[F]>;

  /**
   * Rows `[start, start + count)` of a tensor, along its first dimension (a row of a
   * `[vocab, dim]` table is one embedding vector; a scalar is one row of one value).
   *
   * @param name The tensor's name.
   * @param start The first row, in `[0, rows]`.
   * @param count How many rows, in `[0, rows - start]`.
   * @param options `as`, as for {@linkcode SafetensorsFile.readTensor}.
   */
  readRows<F extends TensorReadFormat = "f32">(
    name: string,
    start: number,
    count: number,
    options?: TensorReadOptions<F>,
  ): Promise<TensorReadResults[F]>;

  /**
   * A tensor's rows in consecutive chunks, each read when the iteration asks for it, so that a
   * table larger than memory can be copied into GPU buffers piece by piece. Bad arguments throw
   * here, before any iteration.
   *
   * @param name The tensor's name.
   * @param options `as` (as for {@linkcode SafetensorsFile.readTensor}), `rowsPerChunk` and
   *   `reuse`.
   */
  rowChunks<F extends TensorReadFormat = "f32">(
    name: string,
    options?: RowChunkOptions<F>,
  ): AsyncIterableIterator<TensorRowChunk<F>>;

  /** Closes the file; later reads throw. Also what `using` calls. */
  close(): void;
}

const FORMATS: readonly TensorReadFormat[] = ["f32", "f16", "raw"];

/** The dtypes each converted format is read from. */
const CONVERTIBLE: readonly SafetensorsDtype[] = ["F32", "F16", "BF16"];

/** How many names a "no such tensor" message lists before "and N more". */
const LISTED_NAMES = 20;

/**
 * Opens a safetensors file (the Hugging Face format of `model.safetensors`) and validates its
 * header: the whole file's layout is checked before any tensor is read, and every problem is an
 * {@linkcode InputError} naming the file and, where one is at fault, the tensor. Checked: the
 * 8-byte header length (within the file and at most 100 MB), the header (UTF-8 JSON object,
 * `__metadata__` of strings), each tensor's `dtype` (one of {@linkcode SafetensorsDtype}), `shape`
 * (non-negative integers) and `data_offsets` (within the data section; as many bytes as dtype ×
 * shape need), and that the tensors' bytes are contiguous: no overlap, no gap, no unused bytes at
 * the end.
 *
 * Needs read permission for the file. See {@linkcode SafetensorsFile} for how reads use memory.
 *
 * @example Write a small table and read it back
 * ```ts
 * import { openSafetensors, writeSafetensors } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * await Deno.mkdir(".tmp", { recursive: true });
 * const dir = await Deno.makeTempDir({ dir: ".tmp" });
 * const path = `${dir}/model.safetensors`;
 * await writeSafetensors(path, {
 *   "wte.weight": { dtype: "F16", shape: [3, 2], data: new Float32Array([1, 2, 3, 4, 5, 0.1]) },
 * });
 *
 * using file = await openSafetensors(path);
 * assert.deepEqual(file.tensor("wte.weight").shape, [3, 2]);
 * assert.deepEqual([...await file.readRows("wte.weight", 1, 1)], [3, 4]);
 * const all = await file.readTensor("wte.weight"); // Float32Array, converted from F16
 * assert.equal(all[5], 0.0999755859375); // 0.1 rounded to half precision
 * const halves = await file.readTensor("wte.weight", { as: "f16" }); // the stored bits
 * assert.equal(halves[0], 0x3c00);
 * for await (const chunk of file.rowChunks("wte.weight", { rowsPerChunk: 2 })) {
 *   assert.equal(chunk.data.length, chunk.count * 2); // rows [0, 2), then [2, 3)
 * }
 * assert.throws(() => file.tensor("wpe.weight"), /has no tensor "wpe.weight"; .*"wte.weight"/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param path The file (a path or a `file:` URL).
 * @returns The open file; close it when done.
 */
export async function openSafetensors(path: string | URL): Promise<SafetensorsFile> {
  if (typeof path !== "string" && !(path instanceof URL)) {
    throw new InputError("path", `must be a string or a URL, got ${describe(path)}`);
  }
  const label = pathLabel(path);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new InputError(label, "does not exist");
    throw error;
  }
  try {
    const stat = await file.stat();
    if (!stat.isFile) throw new InputError(label, "is not a file");
    const reader = new FileReader(file, label);
    const header = await readHeader(reader, stat.size);
    return new OpenSafetensorsFile(reader, stat.size, header.metadata, header.tensors);
  } catch (error) {
    file.close();
    throw error;
  }
}

/** Reads byte ranges of the file, one read at a time, in chunks of at most `IO_CHUNK_BYTES`. */
class FileReader {
  readonly #file: Deno.FsFile;
  readonly label: string;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(file: Deno.FsFile, label: string) {
    this.#file = file;
    this.label = label;
  }

  /** Runs `task` after every earlier one has finished: reads share the file's position. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(() => {
      if (this.#closed) throw new Error(`${this.label} is closed`);
      return task();
    });
    this.#queue = result.catch(() => {});
    return result;
  }

  /** Fills `target` with the bytes from `position` on (call inside {@linkcode exclusive}). */
  async read(position: number, target: Uint8Array): Promise<void> {
    await this.#file.seek(position, Deno.SeekMode.Start);
    let done = 0;
    while (done < target.length) {
      const end = Math.min(target.length, done + IO_CHUNK_BYTES);
      const read = await this.#file.read(target.subarray(done, end));
      if (read === null) {
        throw new InputError(
          this.label,
          `ended at byte ${position + done}, before byte ${position + target.length} that ` +
            "its header promised (did the file change after it was opened?)",
        );
      }
      done += read;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#file.close();
  }
}

interface Header {
  metadata: Record<string, string>;
  tensors: SafetensorsTensorInfo[];
}

async function readHeader(reader: FileReader, size: number): Promise<Header> {
  const label = reader.label;
  const notSafetensors = (problem: string) =>
    new InputError(label, `is not a safetensors file: ${problem}`);
  if (size < 8) {
    throw notSafetensors(`it has ${size} bytes, fewer than the 8 of the header length`);
  }
  const lengthField = new Uint8Array(8);
  await reader.read(0, lengthField);
  const headerLength = new DataView(lengthField.buffer).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw notSafetensors(
      `the header length in its first 8 bytes, ${headerLength}, exceeds the limit of ` +
        `${MAX_HEADER_BYTES} bytes`,
    );
  }
  if (headerLength > BigInt(size - 8)) {
    throw notSafetensors(
      `the header length in its first 8 bytes, ${headerLength}, runs past the end of the file ` +
        `(${size - 8} bytes follow the length)`,
    );
  }
  const headerBytes = new Uint8Array(Number(headerLength));
  await reader.read(8, headerBytes);
  let text: string;
  try {
    text = decodeUtf8(headerBytes, "header");
  } catch (error) {
    if (error instanceof InputError) throw notSafetensors(`its ${error.message}`);
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw notSafetensors(`its header is not JSON (${(error as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    const kind = Array.isArray(json) ? "an array" : json === null ? "null" : `a ${typeof json}`;
    throw notSafetensors(`its header is ${kind}, not a JSON object`);
  }
  const dataStart = 8 + headerBytes.length;
  const entries = json as Record<string, unknown>;
  return {
    metadata: parseMetadata(entries[METADATA_KEY], label),
    tensors: checkLayout(
      Object.keys(entries).filter((name) => name !== METADATA_KEY).map((name) =>
        parseTensorInfo(name, entries[name], dataStart, size, label)
      ),
      dataStart,
      size,
      label,
    ),
  };
}

function malformed(label: string, problem: string): InputError {
  return new InputError(label, `has a malformed safetensors header: ${problem}`);
}

function parseMetadata(value: unknown, label: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw malformed(
      label,
      `"${METADATA_KEY}" must be an object of strings, got ${describe(value)}`,
    );
  }
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== "string") {
      throw malformed(
        label,
        `"${METADATA_KEY}" must map names to strings, but ${JSON.stringify(key)} is ${
          describe(item)
        }`,
      );
    }
  }
  return value as Record<string, string>;
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** The JSON of a header value for a message, shortened. */
function excerpt(value: unknown): string {
  if (value === undefined) return "(missing)";
  const json = JSON.stringify(value);
  return json.length > 60 ? json.slice(0, 60) + "…" : json;
}

function parseTensorInfo(
  name: string,
  entry: unknown,
  dataStart: number,
  fileSize: number,
  label: string,
): SafetensorsTensorInfo {
  const tensor = `tensor ${JSON.stringify(name)}`;
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    throw malformed(
      label,
      `${tensor} must be an object with "dtype", "shape" and "data_offsets", got ${excerpt(entry)}`,
    );
  }
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (!isSafetensorsDtype(dtype)) {
    throw malformed(
      label,
      `${tensor} has dtype ${excerpt(dtype)}, which is not a safetensors dtype (one of ${
        Object.keys(SAFETENSORS_DTYPE_BITS).join(", ")
      })`,
    );
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw malformed(
      label,
      `${tensor} has shape ${excerpt(shape)}; a shape must be an array of non-negative integers`,
    );
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw malformed(
      label,
      `${tensor} has data_offsets ${excerpt(offsets)}; they must be two non-negative integers ` +
        "[begin, end]",
    );
  }
  const [begin, end] = offsets as number[];
  const dataLength = fileSize - dataStart;
  if (begin > end) {
    throw malformed(
      label,
      `${tensor} has data_offsets [${begin}, ${end}], which end before they begin`,
    );
  }
  if (end > dataLength) {
    throw malformed(
      label,
      `${tensor} has data_offsets [${begin}, ${end}], out of bounds: the data section has ` +
        `${dataLength} bytes (the file ${fileSize}, of which ${dataStart} are the header)`,
    );
  }
  const elements = elementCount(shape);
  if (elements === undefined) {
    throw malformed(label, `${tensor} has shape ${formatShape(shape)}, over 2^53 elements`);
  }
  const bits = elements * SAFETENSORS_DTYPE_BITS[dtype];
  if (bits % 8 !== 0) {
    throw malformed(
      label,
      `${tensor} has ${elements} elements of ${dtype} (${SAFETENSORS_DTYPE_BITS[dtype]} bits ` +
        "each), which do not fill whole bytes",
    );
  }
  if (bits / 8 !== end - begin) {
    throw malformed(
      label,
      `${tensor} has data_offsets [${begin}, ${end}], ${end - begin} bytes, but dtype ${dtype} ` +
        `and shape ${formatShape(shape)} need ${bits / 8} bytes`,
    );
  }
  return { name, dtype, shape, byteOffset: dataStart + begin, byteLength: end - begin };
}

/** Sorts the tensors by position and checks that they tile the data section exactly. */
function checkLayout(
  tensors: SafetensorsTensorInfo[],
  dataStart: number,
  fileSize: number,
  label: string,
): SafetensorsTensorInfo[] {
  tensors.sort((a, b) => a.byteOffset - b.byteOffset || a.byteLength - b.byteLength);
  const offsets = (t: SafetensorsTensorInfo) =>
    `[${t.byteOffset - dataStart}, ${t.byteOffset - dataStart + t.byteLength}]`;
  let position = dataStart;
  let previous: SafetensorsTensorInfo | undefined;
  for (const tensor of tensors) {
    if (tensor.byteOffset < position) {
      throw malformed(
        label,
        `tensors ${JSON.stringify(previous!.name)} (data_offsets ${offsets(previous!)}) and ` +
          `${JSON.stringify(tensor.name)} (data_offsets ${offsets(tensor)}) overlap`,
      );
    }
    if (tensor.byteOffset > position) {
      const where = previous === undefined
        ? `before the first tensor, ${JSON.stringify(tensor.name)}`
        : `between ${JSON.stringify(previous.name)} and ${JSON.stringify(tensor.name)}`;
      throw malformed(
        label,
        `bytes [${position - dataStart}, ${tensor.byteOffset - dataStart}) of the data section ` +
          `belong to no tensor (${where}); tensors must be contiguous`,
      );
    }
    position = tensor.byteOffset + tensor.byteLength;
    previous = tensor;
  }
  if (position < fileSize) {
    const where = previous === undefined
      ? "the header lists no tensors"
      : `after the last tensor, ${JSON.stringify(previous.name)}`;
    throw malformed(
      label,
      `bytes [${position - dataStart}, ${fileSize - dataStart}) of the data section belong to ` +
        `no tensor (${where}); tensors must cover the data section`,
    );
  }
  return tensors;
}

class OpenSafetensorsFile implements SafetensorsFile {
  readonly #reader: FileReader;
  readonly #byName: Map<string, SafetensorsTensorInfo>;
  readonly size: number;
  readonly metadata: Readonly<Record<string, string>>;
  readonly tensors: readonly SafetensorsTensorInfo[];

  constructor(
    reader: FileReader,
    size: number,
    metadata: Record<string, string>,
    tensors: SafetensorsTensorInfo[],
  ) {
    this.#reader = reader;
    this.size = size;
    this.metadata = metadata;
    this.tensors = tensors;
    this.#byName = new Map(tensors.map((tensor) => [tensor.name, tensor]));
  }

  get path(): string {
    return this.#reader.label;
  }

  has(name: string): boolean {
    return this.#byName.has(name);
  }

  tensor(name: string): SafetensorsTensorInfo {
    if (typeof name !== "string") {
      throw new InputError("name", `must be a tensor's name (a string), got ${describe(name)}`);
    }
    const tensor = this.#byName.get(name);
    if (tensor !== undefined) return tensor;
    throw new InputError(
      this.path,
      `has no tensor ${JSON.stringify(name)}; ${listTensorNames(this.tensors)}`,
    );
  }

  readTensor<F extends TensorReadFormat = "f32">(
    name: string,
    options: TensorReadOptions<F> = {},
  ): Promise<TensorReadResults[F]> {
    const tensor = this.tensor(name);
    const format = this.#format(tensor, options.as);
    return this.#reader.exclusive(() =>
      this.#readElements(tensor, 0, elementCount(tensor.shape)!, format)
    );
  }

  readRows<F extends TensorReadFormat = "f32">(
    name: string,
    start: number,
    count: number,
    options: TensorReadOptions<F> = {},
  ): Promise<TensorReadResults[F]> {
    const tensor = this.tensor(name);
    const format = this.#format(tensor, options.as);
    const { rows, rowLength } = this.#rows(tensor, format);
    checkRowArgument("start", start, rows, tensor);
    checkRowArgument("count", count, rows - start, tensor);
    return this.#reader.exclusive(() =>
      this.#readElements(tensor, start * rowLength, count * rowLength, format)
    );
  }

  rowChunks<F extends TensorReadFormat = "f32">(
    name: string,
    options: RowChunkOptions<F> = {},
  ): AsyncIterableIterator<TensorRowChunk<F>> {
    const tensor = this.tensor(name);
    const format = this.#format(tensor, options.as);
    const { rows, rowLength } = this.#rows(tensor, format);
    const resultBits = format === "raw"
      ? SAFETENSORS_DTYPE_BITS[tensor.dtype]
      : format === "f32"
      ? 32
      : 16;
    const rowBytes = rowLength * resultBits / 8;
    const rowsPerChunk = options.rowsPerChunk ??
      Math.max(1, Math.floor(IO_CHUNK_BYTES / Math.max(1, rowBytes)));
    checkInteger("rowsPerChunk", rowsPerChunk, 1);
    checkBoolean("reuse", options.reuse);
    return this.#chunks(tensor, rows, rowLength, rowsPerChunk, format, options.reuse === true);
  }

  async *#chunks<F extends TensorReadFormat>(
    tensor: SafetensorsTensorInfo,
    rows: number,
    rowLength: number,
    rowsPerChunk: number,
    format: F,
    reuse: boolean,
  ): AsyncIterableIterator<TensorRowChunk<F>> {
    let buffers: ReadBuffers<F> | undefined;
    for (let start = 0; start < rows; start += rowsPerChunk) {
      const count = Math.min(rowsPerChunk, rows - start);
      if (reuse) {
        buffers ??= readBuffers(tensor, Math.min(rowsPerChunk, rows) * rowLength, format);
      }
      const data = await this.#reader.exclusive(() =>
        this.#readElements(tensor, start * rowLength, count * rowLength, format, buffers)
      );
      yield { start, count, data };
    }
  }

  close(): void {
    this.#reader.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** The requested format, checked against the tensor's dtype. */
  #format<F extends TensorReadFormat>(tensor: SafetensorsTensorInfo, requested: F | undefined): F {
    const format = requested ?? "f32" as F;
    if (!FORMATS.includes(format)) {
      throw new InputError(
        "as",
        `must be one of ${FORMATS.map((f) => `"${f}"`).join(", ")}, got ${describe(format)}`,
      );
    }
    if (format !== "raw" && !CONVERTIBLE.includes(tensor.dtype)) {
      throw new InputError(
        "as",
        `"${format}" needs a tensor of dtype ${CONVERTIBLE.join(", ")}, but ` +
          `${JSON.stringify(tensor.name)} in ${this.path} is ${tensor.dtype}; read it with ` +
          '{ as: "raw" }',
      );
    }
    return format;
  }

  /** The rows of a tensor along its first dimension (a scalar is one row). */
  #rows(
    tensor: SafetensorsTensorInfo,
    format: TensorReadFormat,
  ): { rows: number; rowLength: number } {
    const rows = tensor.shape.length === 0 ? 1 : tensor.shape[0];
    const rowLength = elementCount(tensor.shape.slice(1))!;
    if (format === "raw" && (rowLength * SAFETENSORS_DTYPE_BITS[tensor.dtype]) % 8 !== 0) {
      throw new InputError(
        this.path,
        `tensor ${JSON.stringify(tensor.name)} has rows of ${rowLength} ${tensor.dtype} ` +
          "elements, which do not end on byte boundaries; read the whole tensor instead",
      );
    }
    return { rows, rowLength };
  }

  /**
   * Reads `count` elements from element `first` on, into `buffers` (views of their start) when
   * given, else into a new array (and a new conversion buffer).
   */
  async #readElements<F extends TensorReadFormat>(
    tensor: SafetensorsTensorInfo,
    first: number,
    count: number,
    format: F,
    buffers: ReadBuffers<F> = readBuffers(tensor, count, format),
  ): Promise<TensorReadResults[F]> {
    const bits = SAFETENSORS_DTYPE_BITS[tensor.dtype];
    const position = tensor.byteOffset + first * bits / 8;
    const byteLength = count * bits / 8;
    const result = buffers.result.subarray(
      0,
      format === "raw" ? byteLength : count,
    ) as TensorReadResults[F];
    const scratch = buffers.scratch;
    if (scratch === undefined) {
      await this.#reader.read(position, new Uint8Array(result.buffer, 0, result.byteLength));
      return result;
    }
    const elementBytes = bits / 8;
    for (let done = 0; done < byteLength; done += scratch.length) {
      const bytes = scratch.subarray(0, Math.min(scratch.length, byteLength - done));
      await this.#reader.read(position + done, bytes);
      const from = done / elementBytes;
      const length = bytes.length / elementBytes;
      if (result instanceof Float32Array) {
        const source = new Uint16Array(bytes.buffer, 0, length);
        const target = result.subarray(from, from + length);
        if (tensor.dtype === "F16") f16ArrayToF32(source, target);
        else bf16ArrayToF32(source, target);
      } else if (tensor.dtype === "F32") {
        f32ArrayToF16(
          new Float32Array(bytes.buffer, 0, length),
          result.subarray(from) as Uint16Array,
        );
      } else {
        const source = new Uint16Array(bytes.buffer, 0, length);
        const target = result as Uint16Array;
        for (let i = 0; i < length; i++) target[from + i] = f32ToF16Bits(bf16BitsToF32(source[i]));
      }
    }
    return result as TensorReadResults[F];
  }
}

/**
 * "its 3 tensors: "a", "b", "c"" (sorted, the first 20), or "it has no tensors": what a message
 * about a missing tensor says a file has.
 */
export function listTensorNames(tensors: readonly SafetensorsTensorInfo[]): string {
  const names = tensors.map((tensor) => tensor.name).sort();
  if (names.length === 0) return "it has no tensors";
  const listed = names.slice(0, LISTED_NAMES).map((n) => JSON.stringify(n)).join(", ");
  const more = names.length > LISTED_NAMES ? `, and ${names.length - LISTED_NAMES} more` : "";
  return `its ${names.length} tensors: ${listed}${more}`;
}

/** Where a read puts its values: the result array, and the buffer values are converted through. */
interface ReadBuffers<F extends TensorReadFormat> {
  /** At least as many elements (bytes for `"raw"`) as the read; it starts at byte 0 of its buffer. */
  result: TensorReadResults[F];
  /** Present when the stored dtype is not the format's: up to 8 MiB of stored bytes at a time. */
  scratch?: Uint8Array;
}

/** Buffers for reads of up to `count` elements of `tensor` in `format`. */
function readBuffers<F extends TensorReadFormat>(
  tensor: SafetensorsTensorInfo,
  count: number,
  format: F,
): ReadBuffers<F> {
  const byteLength = count * SAFETENSORS_DTYPE_BITS[tensor.dtype] / 8;
  const result = format === "raw"
    ? new Uint8Array(byteLength)
    : format === "f32"
    ? new Float32Array(count)
    : new Uint16Array(count);
  const converted = format !== "raw" && (format === "f32" ? "F32" : "F16") !== tensor.dtype;
  return {
    result: result as TensorReadResults[F],
    scratch: converted ? new Uint8Array(Math.min(byteLength, IO_CHUNK_BYTES)) : undefined,
  };
}

function checkRowArgument(
  parameter: string,
  value: unknown,
  max: number,
  tensor: SafetensorsTensorInfo,
): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > max) {
    throw new InputError(
      parameter,
      `must be an integer in [0, ${max}] for tensor ${JSON.stringify(tensor.name)} of shape ` +
        `${formatShape(tensor.shape)}, got ${describe(value)}`,
    );
  }
}
