import { InputError } from "../util/errors.ts";
import { checkInteger, checkOptions, describe } from "../util/checks.ts";
import { flattenNested, indexPath, type NestedArray } from "../util/nested_array.ts";
import { f16ArrayToF32, f32ArrayToF16 } from "../util/float16.ts";
import { checkGpuDevice, countTensor, type GpuDevice } from "./device.ts";
import { formatTensor } from "./format_tensor.ts";
import { planStorage, type StoragePlan, type TensorStorageOptions } from "./storage_layout.ts";

/** The typed array that holds each element type on the CPU. */
export interface DTypeArrays {
  /** 32-bit floats. */
  f32: Float32Array;
  /** 16-bit floats, stored in pairs per 32-bit word on the GPU and widened to float32 on reading. */
  f16: Float32Array;
  /** 32-bit signed integers. */
  i32: Int32Array;
  /** 32-bit unsigned integers. */
  u32: Uint32Array;
}

/**
 * A tensor's element type: `"f32"`, `"i32"` or `"u32"` (4 bytes each), or `"f16"` (2 bytes, packed
 * in pairs: `f16` tensors halve the memory of a table, at half precision).
 */
export type DType = keyof DTypeArrays;

export type { NestedArray, TensorStorageOptions };

/**
 * One storage binding's worth of a tensor: rows `[firstRow, firstRow + rows)` of the first
 * dimension, in `buffer` at bytes `[offset, offset + size)`. Bind it as
 * `{ buffer, offset, size }`.
 */
export interface TensorSegment {
  /** The GPU buffer that holds the segment. */
  readonly buffer: GPUBuffer;
  /** Its first byte in the buffer (a multiple of `minStorageBufferOffsetAlignment`). */
  readonly offset: number;
  /** Its bytes (a multiple of 4). */
  readonly size: number;
  /** Its first row. */
  readonly firstRow: number;
  /** How many rows it holds. */
  readonly rows: number;
}

/** Options of {@linkcode Tensor.from}. */
export interface TensorOptions<D extends DType> extends TensorStorageOptions {
  /**
   * The element type. A typed array's own type is used when absent (and must agree when given);
   * plain numbers default to `"f32"`.
   */
  dtype?: D;
  /** The dimensions, when they differ from the data's own (a typed array is 1-D otherwise). */
  shape?: readonly number[];
  /** A name for errors and GPU debugging labels. */
  label?: string;
}

const BYTES_PER_ELEMENT: Readonly<Record<DType, number>> = { f32: 4, f16: 2, i32: 4, u32: 4 };
const DTYPES: readonly DType[] = ["f32", "f16", "i32", "u32"];
const ARRAY_TYPES = {
  f32: Float32Array,
  f16: Float32Array,
  i32: Int32Array,
  u32: Uint32Array,
} as const;

/** Tensors whose contents an owner vouches for (e.g. a TokenStream's checked ids), and why. */
const readOnly = new WeakMap<Tensor, string>();

/**
 * Refuses later {@linkcode Tensor.writeRows} on `tensor`: its owner checked the contents once and
 * relies on them (a token stream's largest id), so writes would bypass that check.
 */
export function makeReadOnly(tensor: Tensor, owner: string): void {
  readOnly.set(tensor, owner);
}

/**
 * A dense, row-major tensor on the GPU: a shape, an element type (`f32`, `f16`, `i32`, `u32`)
 * and its storage (usable as storage, copy source and copy destination).
 *
 * A tensor up to the device's `maxStorageBufferBindingSize` is one buffer and one binding. A
 * larger one (a GPT-2 token table: 50257 × 768 × 4 bytes = 154 MB, over llvmpipe's 128 MiB) is
 * split by rows of its first dimension into {@linkcode Tensor.segments}, one storage binding
 * each, in as many buffers as `maxBufferSize` requires; kernels bind the segments and pick one by
 * row. {@linkcode Tensor.read} reads them all back.
 *
 * Tensors hold GPU memory until disposed: call {@linkcode Tensor.dispose} or declare them with
 * `using`. Disposing twice is harmless; any other use after disposal throws.
 *
 * @example Upload, read back and print
 * ```ts
 * import { GpuDevice, Tensor } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const gpu = await GpuDevice.shared();
 * using t = await Tensor.from(gpu, [[0.5, -1], [2, 3.25]]);
 * assert.deepEqual(t.shape, [2, 2]);
 * assert.equal(t.dtype, "f32");
 * assert.deepEqual([...await t.read()], [0.5, -1, 2, 3.25]);
 * assert.equal(await t.format(), "tensor([[ 0.5000, -1.0000],\n        [ 2.0000,  3.2500]])");
 * ```
 */
export class Tensor<D extends DType = DType> {
  readonly #gpu: GpuDevice;
  readonly #shape: readonly number[];
  readonly #dtype: D;
  readonly #size: number;
  readonly #label: string;
  readonly #plan: StoragePlan;
  #buffers: GPUBuffer[] | undefined;
  #segments: readonly TensorSegment[];

  private constructor(
    gpu: GpuDevice,
    buffers: GPUBuffer[],
    plan: StoragePlan,
    shape: readonly number[],
    dtype: D,
    label: string,
  ) {
    this.#gpu = gpu;
    this.#buffers = buffers;
    this.#plan = plan;
    this.#segments = Object.freeze(plan.segments.map((segment) =>
      Object.freeze({
        buffer: buffers[segment.buffer],
        offset: segment.offset,
        size: segment.size,
        firstRow: segment.firstRow,
        rows: segment.rows,
      })
    ));
    this.#shape = Object.freeze([...shape]);
    this.#dtype = dtype;
    this.#size = elementCount(shape);
    this.#label = label;
    countTensor(gpu, 1);
  }

  /**
   * Uploads a typed array (`Float32Array` → `f32`, `Int32Array` → `i32`, `Uint32Array` → `u32`)
   * as a tensor, 1-D unless `options.shape` says otherwise.
   *
   * @param gpu The device to hold the tensor.
   * @param data The elements in row-major order (copied).
   * @param options Shape, dtype and label.
   */
  static from(
    gpu: GpuDevice,
    data: Float32Array,
    options?: TensorOptions<"f32">,
  ): Promise<Tensor<"f32">>;
  /**
   * Uploads a `Float32Array` as an `f16` tensor: each value rounded to the nearest half
   * (ties to even), two to a 32-bit word.
   *
   * @param gpu The device to hold the tensor.
   * @param data The elements in row-major order (converted).
   * @param options Shape, `dtype: "f16"` and label.
   */
  static from(
    gpu: GpuDevice,
    data: Float32Array,
    options: TensorOptions<"f16"> & { dtype: "f16" },
  ): Promise<Tensor<"f16">>;
  /**
   * Uploads an `Int32Array` as an `i32` tensor.
   *
   * @param gpu The device to hold the tensor.
   * @param data The elements in row-major order (copied).
   * @param options Shape, dtype and label.
   */
  static from(
    gpu: GpuDevice,
    data: Int32Array,
    options?: TensorOptions<"i32">,
  ): Promise<Tensor<"i32">>;
  /**
   * Uploads a `Uint32Array` as a `u32` tensor.
   *
   * @param gpu The device to hold the tensor.
   * @param data The elements in row-major order (copied).
   * @param options Shape, dtype and label.
   */
  static from(
    gpu: GpuDevice,
    data: Uint32Array,
    options?: TensorOptions<"u32">,
  ): Promise<Tensor<"u32">>;
  /**
   * Uploads nested arrays of numbers (`[[1, 2], [3, 4]]` has shape `[2, 2]`; a bare number is a
   * scalar of shape `[]`), as `f32` unless `options.dtype` says otherwise. Integer dtypes reject
   * values that are not integers in their range.
   *
   * @param gpu The device to hold the tensor.
   * @param data The numbers; every array at one depth must have the same length.
   * @param options Shape, dtype and label.
   */
  static from<D extends DType = "f32">(
    gpu: GpuDevice,
    data: NestedArray | number,
    options?: TensorOptions<D>,
  ): Promise<Tensor<D>>;
  static async from(
    gpu: GpuDevice,
    data: Float32Array | Int32Array | Uint32Array | NestedArray | number,
    options: TensorOptions<DType> = {},
  ): Promise<Tensor> {
    checkGpuDevice("gpu", gpu);
    const { values, shape, dtype } = toTypedArray(data, options);
    return await Tensor.#upload(gpu, values, shape, dtype, options.label ?? "tensor", options);
  }

  /**
   * A tensor of zeros.
   *
   * @param gpu The device to hold the tensor.
   * @param shape The dimensions, each an integer >= 0.
   * @param dtype The element type (default `"f32"`).
   * @param label A name for errors and GPU debugging labels.
   * @param storage Limits to split the storage by (default: the device's).
   */
  static async zeros<D extends DType = "f32">(
    gpu: GpuDevice,
    shape: readonly number[],
    dtype: D = "f32" as D,
    label = "zeros",
    storage: TensorStorageOptions = {},
  ): Promise<Tensor<D>> {
    checkGpuDevice("gpu", gpu);
    checkShape("shape", shape);
    checkDType(dtype);
    // WebGPU zero-initialises new buffers.
    return await Tensor.#upload(gpu, undefined, shape, dtype, label, storage);
  }

  static async #upload<D extends DType>(
    gpu: GpuDevice,
    values: DTypeArrays[DType] | undefined,
    shape: readonly number[],
    dtype: D,
    label: string,
    storage: TensorStorageOptions,
  ): Promise<Tensor<D>> {
    const plan = planTensorStorage(gpu, shape, dtype, storage);
    // f16 values go up as their bits, two to a word (the last word padded with a zero half).
    const words = dtype === "f16" && values !== undefined
      ? halfWords(values as Float32Array)
      : values;
    const buffers: GPUBuffer[] = [];
    try {
      await gpu.checked(`creating ${label}`, () => {
        for (const size of plan.bufferSizes) {
          buffers.push(gpu.createBuffer({
            label,
            size,
            usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
          }));
        }
        if (words === undefined || words.length === 0) return;
        // Each buffer holds whole segments, which start on 4-byte boundaries.
        for (const segment of plan.segments) {
          const start = (segment.firstRow * plan.rowBytes) / 4;
          const end = Math.min(words.length, start + segment.size / 4);
          gpu.write(buffers[segment.buffer], words.subarray(start, end), segment.offset);
        }
      });
    } catch (error) {
      for (const buffer of buffers) gpu.releaseBuffer(buffer);
      throw error;
    }
    return new Tensor(gpu, buffers, plan, shape, dtype, label);
  }

  /** The device that holds the tensor. */
  get device(): GpuDevice {
    return this.#gpu;
  }

  /** The dimensions, e.g. `[8, 4, 256]`; `[]` for a scalar. */
  get shape(): readonly number[] {
    return this.#shape;
  }

  /** The element type. */
  get dtype(): D {
    return this.#dtype;
  }

  /** The number of elements (the product of the shape). */
  get size(): number {
    return this.#size;
  }

  /** The number of bytes of the elements (4 per element, 2 for `f16`). */
  get byteLength(): number {
    return this.#size * BYTES_PER_ELEMENT[this.#dtype];
  }

  /** The tensor's name, used in errors. */
  get label(): string {
    return this.#label;
  }

  /** Whether {@linkcode Tensor.dispose} was called. */
  get disposed(): boolean {
    return this.#buffers === undefined;
  }

  /**
   * The GPU buffer holding the elements (at least 4 bytes); throws after disposal, and for a
   * tensor split over several buffers (bind its {@linkcode Tensor.segments} instead).
   */
  get buffer(): GPUBuffer {
    const buffers = this.#liveBuffers();
    if (buffers.length !== 1) {
      throw new InputError(
        "tensor",
        `${this.#label} is split over ${buffers.length} GPU buffers; bind its segments instead`,
      );
    }
    return buffers[0];
  }

  /**
   * The storage bindings that hold the rows, in row order: one for a tensor up to the device's
   * `maxStorageBufferBindingSize`, more for a larger one. Throws after disposal.
   *
   * @example A table split into segments of 64 rows (tiny limits, to show the split)
   * ```ts
   * import { GpuDevice, Tensor } from "../../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const gpu = await GpuDevice.shared();
   * const values = Float32Array.from({ length: 150 * 4 }, (_, i) => i);
   * using table = await Tensor.from(gpu, values, { shape: [150, 4], maxBindingBytes: 1024 });
   * assert.deepEqual(table.segments.map((s) => [s.firstRow, s.rows]), [[0, 64], [64, 64], [128, 22]]);
   * assert.equal(table.segmentRows, 64);
   * assert.deepEqual(await table.read(), values);
   * ```
   */
  get segments(): readonly TensorSegment[] {
    this.#liveBuffers();
    return this.#segments;
  }

  /** The rows of every segment but the last (all rows when there is one segment). */
  get segmentRows(): number {
    return this.#plan.segmentRows;
  }

  /** Copies the elements back to the CPU (an `f16` tensor as float32 values). */
  async read(): Promise<DTypeArrays[D]> {
    const buffers = this.#liveBuffers();
    const payload = this.byteLength;
    const bytes = new Uint8Array(Math.ceil(payload / 4) * 4);
    // Buffer by buffer: each holds a run of whole rows.
    let done = 0;
    for (let i = 0; i < buffers.length && done < bytes.length; i++) {
      const length = Math.min(this.#plan.bufferSizes[i], bytes.length - done);
      bytes.set(new Uint8Array(await this.#gpu.read(buffers[i], length)), done);
      done += length;
    }
    if (this.#dtype === "f16") {
      const values = new Float32Array(this.#size);
      f16ArrayToF32(new Uint16Array(bytes.buffer, 0, this.#size), values);
      return values as DTypeArrays[D];
    }
    return new ARRAY_TYPES[this.#dtype](bytes.buffer) as DTypeArrays[D];
  }

  /**
   * Writes rows `[firstRow, firstRow + n)` of the first dimension, `n` being `data.length` over
   * the elements of a row, wherever they lie: across segments and buffers (see
   * {@linkcode Tensor.segments}). With {@linkcode Tensor.zeros}, this fills a table piece by
   * piece, so that a table larger than memory can be streamed in (as
   * {@linkcode TokenEmbedding.fromSafetensors} does from a file).
   *
   * `data` is the tensor's own typed array (`Float32Array` for `f32`, `Int32Array` for `i32`,
   * `Uint32Array` for `u32`); an `f16` tensor takes a `Float32Array` (rounded to the nearest
   * half) or a `Uint16Array` of half-precision bits (written as they are). Since `f16` values are
   * stored two to a 32-bit word, an `f16` write must start on an even element, and end on one
   * unless it ends the tensor. The values are copied before the call returns (into WebGPU's
   * staging memory, which is released once the GPU has copied them).
   *
   * @example Fill a table split over three segments, in chunks that straddle them
   * ```ts
   * import { GpuDevice, Tensor } from "../../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const gpu = await GpuDevice.shared();
   * using table = await Tensor.zeros(gpu, [150, 4], "f32", "table", { maxBindingBytes: 1024 });
   * const values = Float32Array.from({ length: 150 * 4 }, (_, i) => i);
   * for (let row = 0; row < 150; row += 40) {
   *   await table.writeRows(row, values.subarray(row * 4, Math.min(150, row + 40) * 4));
   * }
   * assert.equal(table.segments.length, 3);
   * assert.deepEqual(await table.read(), values);
   * assert.deepEqual([...await table.readRows(63, 2)], [252, 253, 254, 255, 256, 257, 258, 259]);
   * ```
   *
   * @param firstRow The first row to write, in `[0, rows]`.
   * @param data Whole rows of values, in row-major order.
   */
  async writeRows(
    firstRow: number,
    data: DTypeArrays[D] | (D extends "f16" ? Uint16Array : never),
  ): Promise<void> {
    this.#liveBuffers();
    const owner = readOnly.get(this);
    if (owner !== undefined) {
      throw new InputError(
        "tensor",
        `${this} is read-only: ${owner} checked its contents when it was created; create a new one`,
      );
    }
    const dtype = this.#dtype;
    const expected = dtype === "f16"
      ? "a Float32Array or a Uint16Array of half bits"
      : `a ${ARRAY_TYPES[dtype].name}`;
    const matches = data instanceof ARRAY_TYPES[dtype] ||
      (dtype === "f16" && data instanceof Uint16Array);
    if (!matches) {
      throw new InputError("data", `must be ${expected} for ${this}, got ${describe(data)}`);
    }
    const rowElements = this.#rowElements();
    if (rowElements === 0 ? data.length !== 0 : data.length % rowElements !== 0) {
      throw new InputError(
        "data",
        `must hold whole rows of ${rowElements} elements for ${this}, got ${data.length} elements`,
      );
    }
    const count = rowElements === 0 ? 0 : data.length / rowElements;
    this.#checkRows(firstRow, count, "data");
    if (count === 0) return;
    let words: Float32Array | Int32Array | Uint32Array;
    if (dtype === "f16") {
      const first = firstRow * rowElements;
      const end = first + data.length;
      if (first % 2 !== 0 || (end % 2 !== 0 && end !== this.#size)) {
        throw new InputError(
          "firstRow",
          `writes elements [${first}, ${end}) of the f16 tensor ${this}, but f16 values are ` +
            "stored two to a 32-bit word: a write must start on an even element and end on one " +
            "unless it ends the tensor",
        );
      }
      words = halfWords(data as Float32Array | Uint16Array);
    } else {
      words = data as Float32Array | Int32Array | Uint32Array;
    }
    await this.#gpu.checked(`writing rows of ${this.#label}`, (device) => {
      for (const run of this.#runs(firstRow, count)) {
        const start = run.dataByte / 4;
        const end = Math.min(words.length, start + Math.ceil(run.byteLength / 4));
        this.#gpu.write(run.segment.buffer, words.subarray(start, end), run.bufferByte);
      }
      // wgpu stages each write in new memory and releases it only after the next submission:
      // an empty one flushes this call's, so that a loop of writes holds one chunk at a time.
      device.queue.submit([]);
    });
  }

  /**
   * Copies rows `[firstRow, firstRow + rowCount)` of the first dimension back to the CPU (an
   * `f16` tensor's as float32 values): a few rows of a large table without reading all of it.
   *
   * @param firstRow The first row, in `[0, rows]`.
   * @param rowCount How many rows, in `[0, rows − firstRow]`.
   */
  async readRows(firstRow: number, rowCount: number): Promise<DTypeArrays[D]> {
    this.#liveBuffers();
    checkInteger("rowCount", rowCount, 0);
    this.#checkRows(firstRow, rowCount, "rowCount");
    const elements = rowCount * this.#rowElements();
    const bytes = new Uint8Array(Math.ceil(elements * BYTES_PER_ELEMENT[this.#dtype] / 4) * 4);
    for (const run of this.#runs(firstRow, rowCount)) {
      // Reads start and end on 4-byte boundaries: an f16 run may start mid-word.
      const start = Math.floor(run.bufferByte / 4) * 4;
      const end = Math.ceil((run.bufferByte + run.byteLength) / 4) * 4;
      const words = new Uint8Array(await this.#gpu.read(run.segment.buffer, end - start, start));
      const skip = run.bufferByte - start;
      bytes.set(words.subarray(skip, skip + run.byteLength), run.dataByte);
    }
    if (this.#dtype === "f16") {
      const values = new Float32Array(elements);
      f16ArrayToF32(new Uint16Array(bytes.buffer, 0, elements), values);
      return values as DTypeArrays[D];
    }
    return new ARRAY_TYPES[this.#dtype](bytes.buffer) as DTypeArrays[D];
  }

  /** Elements per row of the first dimension (the whole scalar for shape `[]`). */
  #rowElements(): number {
    return this.#shape.length === 0 ? 1 : this.#shape.slice(1).reduce((a, b) => a * b, 1);
  }

  /** Checks that rows `[firstRow, firstRow + count)` (`count` given by `parameter`) exist. */
  #checkRows(firstRow: unknown, count: number, parameter: string): asserts firstRow is number {
    const rows = this.#plan.rows;
    checkInteger("firstRow", firstRow, 0, rows);
    if (firstRow + count > rows) {
      throw new InputError(
        parameter,
        `reaches row ${firstRow + count - 1} (${count} rows from row ${firstRow}), past the ` +
          `last row of ${this} (${rows} rows)`,
      );
    }
  }

  /** The pieces of rows `[firstRow, firstRow + rowCount)` in each segment they touch. */
  *#runs(firstRow: number, rowCount: number): Generator<RowRun> {
    const rowBytes = this.#plan.rowBytes;
    for (const segment of this.#segments) {
      const first = Math.max(firstRow, segment.firstRow);
      const end = Math.min(firstRow + rowCount, segment.firstRow + segment.rows);
      if (first >= end) continue;
      yield {
        segment,
        bufferByte: segment.offset + (first - segment.firstRow) * rowBytes,
        dataByte: (first - firstRow) * rowBytes,
        byteLength: (end - first) * rowBytes,
      };
    }
  }

  /** The elements as nested arrays of numbers, one level per dimension (a number for a scalar). */
  async toArray(): Promise<NestedArray | number> {
    const values = await this.read();
    if (this.#shape.length === 0) return values[0];
    const build = (dim: number, offset: number, stride: number): NestedArray => {
      const length = this.#shape[dim];
      const inner = stride / length;
      return Array.from(
        { length },
        (_, i) =>
          dim === this.#shape.length - 1
            ? values[offset + i]
            : build(dim + 1, offset + i * inner, inner),
      );
    };
    return build(0, 0, this.#size);
  }

  /** Reads the tensor back and prints it as PyTorch does (see {@linkcode formatTensor}). */
  async format(): Promise<string> {
    return formatTensor(await this.read(), this.#shape);
  }

  /** A short description: label, shape and dtype (the values need {@linkcode Tensor.format}). */
  toString(): string {
    return `Tensor(${JSON.stringify(this.#label)}, shape=[${this.#shape.join(", ")}], ` +
      `dtype=${this.#dtype}${this.disposed ? ", disposed" : ""})`;
  }

  /** Frees the GPU buffers. Calling it again does nothing; other uses afterwards throw. */
  dispose(): void {
    if (this.#buffers === undefined) return;
    for (const buffer of this.#buffers) this.#gpu.releaseBuffer(buffer);
    this.#buffers = undefined;
    countTensor(this.#gpu, -1);
  }

  #liveBuffers(): GPUBuffer[] {
    if (this.#buffers === undefined) throw disposedError("tensor", this);
    return this.#buffers;
  }

  /** Disposes the tensor at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** Part of a row range that lies in one segment. */
interface RowRun {
  segment: TensorSegment;
  /** Where the part starts in the segment's buffer. */
  bufferByte: number;
  /** Where it starts in the range's own bytes. */
  dataByte: number;
  /** Its bytes (for f16, possibly 2 mod 4). */
  byteLength: number;
}

/**
 * Half-precision values as 32-bit words, two to a word (the last padded with a zero half):
 * `Float32Array` values rounded, `Uint16Array` bits as they are (copied only when their buffer
 * offset or length does not allow a word view).
 */
function halfWords(data: Float32Array | Uint16Array): Uint32Array {
  if (data instanceof Uint16Array && data.byteOffset % 4 === 0 && data.length % 2 === 0) {
    return new Uint32Array(data.buffer, data.byteOffset, data.length / 2);
  }
  const halves = new Uint16Array(data.length + (data.length % 2));
  if (data instanceof Uint16Array) halves.set(data);
  else f32ArrayToF16(data, halves);
  return new Uint32Array(halves.buffer);
}

/** The error for a disposed tensor passed as `parameter`. */
export function disposedError(parameter: string, tensor: Tensor): InputError {
  return new InputError(
    parameter,
    `is a disposed tensor (${tensor.label}, shape [${tensor.shape.join(", ")}]) and cannot be used`,
  );
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The segments of a tensor of `shape` and `dtype` on `gpu`: CPU work, checked before allocation. */
export function planTensorStorage(
  gpu: GpuDevice,
  shape: readonly number[],
  dtype: DType,
  storage: TensorStorageOptions = {},
  parameter = "shape",
  description = `the tensor [${shape.join(", ")}] of ${dtype}`,
): StoragePlan {
  const rows = shape.length === 0 ? 1 : shape[0];
  const rowElements = rows === 0 ? 0 : elementCount(shape) / rows;
  return planStorage(gpu, rows, rowElements * BYTES_PER_ELEMENT[dtype], {
    parameter,
    description,
  }, storage);
}

function checkDType(dtype: unknown): asserts dtype is DType {
  if (!DTYPES.includes(dtype as DType)) {
    throw new InputError("dtype", `must be one of ${DTYPES.join(", ")}, got ${describe(dtype)}`);
  }
}

function checkShape(parameter: string, shape: unknown): asserts shape is readonly number[] {
  if (
    !Array.isArray(shape) ||
    shape.some((d) => typeof d !== "number" || !Number.isInteger(d) || d < 0)
  ) {
    throw new InputError(
      parameter,
      `must be an array of integers >= 0, got ${
        Array.isArray(shape) ? `[${shape.map(describe).join(", ")}]` : describe(shape)
      }`,
    );
  }
}

function dtypeOfArray(data: unknown): DType | undefined {
  if (data instanceof Float32Array) return "f32";
  if (data instanceof Int32Array) return "i32";
  if (data instanceof Uint32Array) return "u32";
  return undefined;
}

/** Checks and converts what {@linkcode Tensor.from} accepts into a typed array and a shape. */
function toTypedArray(
  data: unknown,
  options: TensorOptions<DType>,
): { values: DTypeArrays[DType]; shape: readonly number[]; dtype: DType } {
  checkOptions(options, "{ dtype?, shape?, label? }");
  if (options.dtype !== undefined) checkDType(options.dtype);
  if (options.shape !== undefined) checkShape("shape", options.shape);
  const arrayType = dtypeOfArray(data);
  let values: DTypeArrays[DType];
  let shape: readonly number[];
  if (arrayType !== undefined) {
    const halves = options.dtype === "f16" && arrayType === "f32"; // rounded on upload
    if (options.dtype !== undefined && options.dtype !== arrayType && !halves) {
      throw new InputError(
        "dtype",
        `is ${options.dtype}, but data is a ${(data as object).constructor.name} (${arrayType})`,
      );
    }
    values = data as DTypeArrays[DType];
    shape = [values.length];
  } else if (typeof data === "number" || Array.isArray(data)) {
    const dtype = options.dtype ?? "f32";
    const flat = typeof data === "number"
      ? { values: [data], shape: [] }
      : flattenNested(data as NestedArray, "data");
    if (dtype === "i32" || dtype === "u32") checkIntegers(flat.values, flat.shape, dtype);
    values = ARRAY_TYPES[dtype].from(flat.values);
    shape = flat.shape;
  } else {
    throw new InputError(
      "data",
      `must be a Float32Array, Int32Array, Uint32Array, nested arrays of numbers or a number, got ${
        describe(data)
      }`,
    );
  }
  if (options.shape !== undefined) {
    if (elementCount(options.shape) !== values.length) {
      throw new InputError(
        "shape",
        `[${options.shape.join(", ")}] holds ${elementCount(options.shape)} elements, ` +
          `but data has ${values.length}`,
      );
    }
    shape = options.shape;
  }
  return { values, shape, dtype: options.dtype ?? dtypeOfArray(values)! };
}

const INTEGER_RANGES = { i32: [-(2 ** 31), 2 ** 31 - 1], u32: [0, 2 ** 32 - 1] } as const;

function checkIntegers(
  values: readonly number[],
  shape: readonly number[],
  dtype: "i32" | "u32",
): void {
  const [min, max] = INTEGER_RANGES[dtype];
  const bad = values.findIndex((v) => !Number.isInteger(v) || v < min || v > max);
  if (bad >= 0) {
    throw new InputError(
      `data${indexPath(bad, shape)}`,
      `must be an integer in [${min}, ${max}] for ${dtype}, got ${values[bad]}`,
    );
  }
}
