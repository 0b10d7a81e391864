import { InputError } from "../errors.ts";
import { checkOptions, describe } from "../internal/checks.ts";
import { flattenNested, indexPath, type NestedArray } from "../internal/nested_array.ts";
import { checkGpuDevice, type GpuDevice } from "./device.ts";
import { formatTensor } from "./format_tensor.ts";

/** The typed array that holds each element type. */
export interface DTypeArrays {
  /** 32-bit floats. */
  f32: Float32Array;
  /** 32-bit signed integers. */
  i32: Int32Array;
  /** 32-bit unsigned integers. */
  u32: Uint32Array;
}

/** A tensor's element type: `"f32"`, `"i32"` or `"u32"` (4 bytes each). */
export type DType = keyof DTypeArrays;

export type { NestedArray };

/** Options of {@linkcode Tensor.from}. */
export interface TensorOptions<D extends DType> {
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

const BYTES_PER_ELEMENT = 4;
const DTYPES: readonly DType[] = ["f32", "i32", "u32"];
const ARRAY_TYPES = { f32: Float32Array, i32: Int32Array, u32: Uint32Array } as const;

/**
 * A dense, row-major tensor in a GPU buffer: a shape, an element type (`f32`, `i32`, `u32`)
 * and the buffer (usable as storage, copy source and copy destination).
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
  #buffer: GPUBuffer | undefined;

  private constructor(
    gpu: GpuDevice,
    buffer: GPUBuffer,
    shape: readonly number[],
    dtype: D,
    label: string,
  ) {
    this.#gpu = gpu;
    this.#buffer = buffer;
    this.#shape = Object.freeze([...shape]);
    this.#dtype = dtype;
    this.#size = elementCount(shape);
    this.#label = label;
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
    return await Tensor.#upload(gpu, values, shape, dtype, options.label ?? "tensor");
  }

  /**
   * A tensor of zeros.
   *
   * @param gpu The device to hold the tensor.
   * @param shape The dimensions, each an integer >= 0.
   * @param dtype The element type (default `"f32"`).
   * @param label A name for errors and GPU debugging labels.
   */
  static async zeros<D extends DType = "f32">(
    gpu: GpuDevice,
    shape: readonly number[],
    dtype: D = "f32" as D,
    label = "zeros",
  ): Promise<Tensor<D>> {
    checkGpuDevice("gpu", gpu);
    checkShape("shape", shape);
    checkDType(dtype);
    // WebGPU zero-initialises new buffers.
    return await Tensor.#upload(gpu, undefined, shape, dtype, label);
  }

  static async #upload<D extends DType>(
    gpu: GpuDevice,
    values: DTypeArrays[DType] | undefined,
    shape: readonly number[],
    dtype: D,
    label: string,
  ): Promise<Tensor<D>> {
    const byteLength = elementCount(shape) * BYTES_PER_ELEMENT;
    const maxBytes = gpu.limits.maxBufferSize;
    if (byteLength > maxBytes) {
      throw new InputError(
        "shape",
        `[${shape.join(", ")}] needs ${byteLength} bytes, more than this device's ` +
          `maxBufferSize of ${maxBytes} bytes`,
      );
    }
    let buffer: GPUBuffer | undefined;
    try {
      await gpu.checked(`creating ${label}`, () => {
        // A 4-byte minimum keeps empty tensors bindable.
        buffer = gpu.createBuffer({
          label,
          size: Math.max(byteLength, BYTES_PER_ELEMENT),
          usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
        });
        if (values !== undefined && values.length > 0) gpu.write(buffer, values);
      });
    } catch (error) {
      if (buffer !== undefined) gpu.releaseBuffer(buffer);
      throw error;
    }
    return new Tensor(gpu, buffer!, shape, dtype, label);
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

  /** The number of bytes of the elements (4 per element). */
  get byteLength(): number {
    return this.#size * BYTES_PER_ELEMENT;
  }

  /** The tensor's name, used in errors. */
  get label(): string {
    return this.#label;
  }

  /** Whether {@linkcode Tensor.dispose} was called. */
  get disposed(): boolean {
    return this.#buffer === undefined;
  }

  /** The GPU buffer holding the elements (at least 4 bytes); throws after disposal. */
  get buffer(): GPUBuffer {
    if (this.#buffer === undefined) throw disposedError("tensor", this);
    return this.#buffer;
  }

  /** Copies the elements back to the CPU. */
  async read(): Promise<DTypeArrays[D]> {
    const bytes = await this.#gpu.read(this.buffer, this.byteLength);
    return new ARRAY_TYPES[this.#dtype](bytes) as DTypeArrays[D];
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

  /** Frees the GPU buffer. Calling it again does nothing; other uses afterwards throw. */
  dispose(): void {
    if (this.#buffer === undefined) return;
    this.#gpu.releaseBuffer(this.#buffer);
    this.#buffer = undefined;
  }

  /** Disposes the tensor at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
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
    if (options.dtype !== undefined && options.dtype !== arrayType) {
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
    if (dtype !== "f32") checkIntegers(flat.values, flat.shape, dtype);
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
  return { values, shape, dtype: dtypeOfArray(values)! };
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
