// How a tensor's rows are laid out over GPU buffers and storage bindings. One storage binding
// holds at most `maxStorageBufferBindingSize` bytes (128 MiB on llvmpipe and by WebGPU's default)
// and one buffer at most `maxBufferSize`, so a larger tensor is split by rows into segments: each
// segment one binding, several segments to a buffer, every segment starting on a row and at an
// offset the device accepts for a binding. Kernels bind the segments and pick one by row.
import { InputError } from "../util/errors.ts";
import { checkInteger } from "../util/checks.ts";
import type { GpuDevice } from "./device.ts";

/** Storage bindings a kernel needs besides a tensor's segments (ids, positions, output). */
export const OTHER_BINDINGS = 3;

/** Limits to split a tensor's storage by; the device's own when absent. */
export interface TensorStorageOptions {
  /**
   * The most bytes of one segment (one storage binding); default: the device's
   * `maxStorageBufferBindingSize`. Smaller values split smaller tensors, e.g. to test the split.
   */
  maxBindingBytes?: number;
  /** The most bytes of one GPU buffer; default: the device's `maxBufferSize`. */
  maxBufferBytes?: number;
}

/** Where one segment lives: buffer `buffer`, bytes `[offset, offset + size)`. */
export interface SegmentPlan {
  buffer: number;
  offset: number;
  size: number;
  firstRow: number;
  rows: number;
}

/** The segments of a tensor and the sizes of the buffers that hold them. */
export interface StoragePlan {
  /** Rows of the first dimension (1 for a scalar). */
  rows: number;
  /** Bytes of one row (may be odd multiples of 2 for `f16`). */
  rowBytes: number;
  /** Rows of every segment but the last. */
  segmentRows: number;
  segments: SegmentPlan[];
  bufferSizes: number[];
}

/** What is being laid out, for error messages: the parameter and how to describe its size. */
export interface PlanSubject {
  parameter: string;
  /** E.g. `"the token table [50257, 100000] of f32"`. */
  description: string;
}

/** The most segments one tensor may have: what a kernel can bind beside its other buffers. */
export function maxSegments(gpu: GpuDevice): number {
  return Math.max(1, gpu.limits.maxStorageBuffersPerShaderStage - OTHER_BINDINGS);
}

/**
 * Splits `rows` rows of `rowBytes` bytes into segments within the device's limits (or smaller
 * ones from `options`); an {@linkcode InputError} naming the sizes when they cannot fit. CPU work
 * only: call it before allocating anything.
 */
export function planStorage(
  gpu: GpuDevice,
  rows: number,
  rowBytes: number,
  subject: PlanSubject,
  options: TensorStorageOptions = {},
): StoragePlan {
  const limits = gpu.limits;
  const maxBinding = options.maxBindingBytes ?? limits.maxStorageBufferBindingSize;
  const maxBuffer = options.maxBufferBytes ?? limits.maxBufferSize;
  checkInteger("maxBindingBytes", maxBinding, 4, limits.maxStorageBufferBindingSize);
  checkInteger("maxBufferBytes", maxBuffer, 4, limits.maxBufferSize);
  const totalBytes = ceil4(rows * rowBytes);
  const segmentLimit = Math.min(maxBinding, maxBuffer);
  if (totalBytes <= segmentLimit) {
    // The common case: one buffer, one binding (at least 4 bytes, so that empty tensors bind).
    const size = Math.max(totalBytes, 4);
    return {
      rows,
      rowBytes,
      segmentRows: rows,
      segments: [{ buffer: 0, offset: 0, size, firstRow: 0, rows }],
      bufferSizes: [size],
    };
  }
  // Segments start at offsets that are multiples of the alignment and of the row size.
  const alignment = limits.minStorageBufferOffsetAlignment;
  const rowsPerAlignment = alignment / gcd(rowBytes, alignment);
  const segmentRows = Math.floor(segmentLimit / rowBytes / rowsPerAlignment) * rowsPerAlignment;
  const segmentCount = segmentRows === 0 ? Infinity : Math.ceil(rows / segmentRows);
  const allowed = maxSegments(gpu);
  if (segmentCount > allowed) {
    throw new InputError(
      subject.parameter,
      `makes ${subject.description} ${totalBytes} bytes, more than this device can bind for ` +
        `one tensor: ${allowed} storage bindings (maxStorageBuffersPerShaderStage ` +
        `${limits.maxStorageBuffersPerShaderStage} − ${OTHER_BINDINGS} for the kernel's other ` +
        `buffers) of at most ${segmentLimit} bytes (maxStorageBufferBindingSize ${maxBinding}, ` +
        `maxBufferSize ${maxBuffer}), whole rows of ${rowBytes} bytes at offsets aligned to ` +
        `${alignment} bytes`,
    );
  }
  const segmentBytes = segmentRows * rowBytes;
  const perBuffer = Math.floor(maxBuffer / segmentBytes);
  const segments: SegmentPlan[] = [];
  const bufferSizes: number[] = [];
  for (let i = 0; i < segmentCount; i++) {
    const firstRow = i * segmentRows;
    const segment = {
      buffer: Math.floor(i / perBuffer),
      offset: (i % perBuffer) * segmentBytes,
      size: ceil4(Math.min(segmentRows, rows - firstRow) * rowBytes),
      firstRow,
      rows: Math.min(segmentRows, rows - firstRow),
    };
    segments.push(segment);
    bufferSizes[segment.buffer] = segment.offset + segment.size;
  }
  return { rows, rowBytes, segmentRows, segments, bufferSizes };
}

function ceil4(bytes: number): number {
  return Math.ceil(bytes / 4) * 4;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
