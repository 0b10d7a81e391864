// What the safetensors reader and writer share: the dtypes and their sizes, the format's limits,
// and the bounded I/O chunk.

/**
 * The element types of the safetensors format (the reference implementation's names). The reader
 * lists tensors of every one of them; values convert to numbers from `F32`, `F16` and `BF16`.
 */
export type SafetensorsDtype =
  | "BOOL"
  | "F4"
  | "F6_E2M3"
  | "F6_E3M2"
  | "U8"
  | "I8"
  | "F8_E5M2"
  | "F8_E4M3"
  | "F8_E8M0"
  | "F8_E4M3FNUZ"
  | "F8_E5M2FNUZ"
  | "I16"
  | "U16"
  | "F16"
  | "BF16"
  | "I32"
  | "U32"
  | "F32"
  | "C64"
  | "F64"
  | "I64"
  | "U64";

/**
 * The size of one element of each dtype, in bits (the 4- and 6-bit floats are packed, so a
 * tensor of them must fill whole bytes).
 *
 * @example
 * ```ts
 * import { SAFETENSORS_DTYPE_BITS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(SAFETENSORS_DTYPE_BITS.F32, 32);
 * assert.equal(SAFETENSORS_DTYPE_BITS.BF16, 16);
 * assert.equal(SAFETENSORS_DTYPE_BITS.F4, 4);
 * ```
 */
export const SAFETENSORS_DTYPE_BITS: Readonly<Record<SafetensorsDtype, number>> = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
};

/** Whether a header's `dtype` names a known dtype. */
export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === "string" && Object.hasOwn(SAFETENSORS_DTYPE_BITS, value);
}

/** The key of the optional string-to-string map in the header. */
export const METADATA_KEY = "__metadata__";

/** The reference implementation refuses longer headers; so does this reader. */
export const MAX_HEADER_BYTES = 100_000_000;

/** Reads, writes and conversions go through buffers of at most this size (a multiple of 8). */
export const IO_CHUNK_BYTES: number = 8 * 1024 * 1024;

/** A path as messages show it. */
export function pathLabel(path: string | URL): string {
  return path instanceof URL ? decodeURIComponent(path.pathname) : path;
}

/** `[2, 3]`, as shapes are written in headers and messages. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** The product of a shape, or `undefined` when it exceeds `Number.MAX_SAFE_INTEGER`. */
export function elementCount(shape: readonly number[]): number | undefined {
  let count = 1;
  for (const size of shape) {
    count *= size;
    if (count > Number.MAX_SAFE_INTEGER) return undefined;
  }
  return count;
}
