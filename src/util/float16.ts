// Bit-level conversions between float32 and the two 16-bit float formats of model files:
// IEEE 754 binary16 (safetensors "F16") and bfloat16 ("BF16", the upper half of a float32).

import { InputError } from "./errors.ts";
import { describe } from "./checks.ts";

const f32 = new Float32Array(1);
const f32Bits = new Uint32Array(f32.buffer);

// The checks below are single comparisons, cheap enough for the per-element loops that use them.

function checkBits(bits: number): void {
  if (typeof bits !== "number" || (bits & 0xffff) !== bits) {
    throw new InputError(
      "bits",
      `must be an integer in [0, 65535] (16 bits), got ${describe(bits)}`,
    );
  }
}

function checkValue(value: number): void {
  if (typeof value !== "number") {
    throw new InputError("value", `must be a number, got ${describe(value)}`);
  }
}

/**
 * The value of an IEEE 754 half-precision number (`F16`) given by its 16 bits: subnormals, signed
 * zeros, infinities and NaN included. Every half is exactly representable as a float32.
 *
 * @example
 * ```ts
 * import { f16BitsToF32 } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(f16BitsToF32(0x3c00), 1);
 * assert.equal(f16BitsToF32(0xc000), -2);
 * assert.equal(f16BitsToF32(0x7bff), 65504); // the largest half
 * assert.equal(f16BitsToF32(0x0001), 2 ** -24); // the smallest subnormal
 * assert.equal(f16BitsToF32(0x7c00), Infinity);
 * assert.ok(Number.isNaN(f16BitsToF32(0x7e00)));
 * ```
 *
 * @param bits The half's bits, an integer in `[0, 0xffff]`.
 * @returns The value as a number (a float32 value).
 */
export function f16BitsToF32(bits: number): number {
  checkBits(bits);
  const sign = bits & 0x8000;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return (sign ? -mantissa : mantissa) * 2 ** -24; // zero or subnormal
  // Normal, infinity or NaN: widen the fields in place (the exponent bias grows from 15 to 127).
  f32Bits[0] = (sign << 16) | ((exponent === 0x1f ? 0xff : exponent + 112) << 23) |
    (mantissa << 13);
  return f32[0];
}

/**
 * The bits of the half-precision number (`F16`) nearest to a value, rounding to nearest with ties
 * to even (as `Math.f16round` and PyTorch's `.half()` do): beyond ±65504 it overflows to ±infinity,
 * below 2⁻²⁵ it underflows to ±0, NaN stays a (quiet) NaN.
 *
 * @example
 * ```ts
 * import { f32ToF16Bits } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(f32ToF16Bits(1), 0x3c00);
 * assert.equal(f32ToF16Bits(0.1), 0x2e66);
 * assert.equal(f32ToF16Bits(1 + 2 ** -11), 0x3c00); // a tie rounds to the even neighbour
 * assert.equal(f32ToF16Bits(65520), 0x7c00); // overflows to infinity
 * ```
 *
 * @param value The value; it is first rounded to float32, as a Float32Array element would be.
 * @returns The half's bits, in `[0, 0xffff]`.
 */
export function f32ToF16Bits(value: number): number {
  checkValue(value);
  f32[0] = value;
  const bits = f32Bits[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 | (mantissa >>> 13) : 0);
  const halfExponent = exponent - 112;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign; // below half the smallest subnormal
    // Subnormal: the 24-bit significand in units of 2⁻²⁴, rounded to nearest even. A carry into
    // bit 10 yields the smallest normal, which is the right encoding.
    return sign | roundShift(mantissa | 0x800000, 14 - halfExponent);
  }
  // Normal: a carry out of the mantissa bumps the exponent, up to infinity: again the right encoding.
  return sign | roundShift((halfExponent << 23) | mantissa, 13);
}

/**
 * The value of a bfloat16 number (`BF16`) given by its 16 bits: the upper half of a float32.
 *
 * @example
 * ```ts
 * import { bf16BitsToF32 } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(bf16BitsToF32(0x3f80), 1);
 * assert.equal(bf16BitsToF32(0x4049), 3.140625);
 * assert.equal(bf16BitsToF32(0xff80), -Infinity);
 * ```
 *
 * @param bits The bfloat16's bits, an integer in `[0, 0xffff]`.
 * @returns The value as a number (a float32 value).
 */
export function bf16BitsToF32(bits: number): number {
  checkBits(bits);
  f32Bits[0] = bits << 16;
  return f32[0];
}

/**
 * The bits of the bfloat16 number (`BF16`) nearest to a value, rounding to nearest with ties to
 * even (as PyTorch's `.bfloat16()` does); NaN stays a (quiet) NaN.
 *
 * @example
 * ```ts
 * import { f32ToBf16Bits } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(f32ToBf16Bits(1), 0x3f80);
 * assert.equal(f32ToBf16Bits(Math.PI), 0x4049);
 * assert.equal(f32ToBf16Bits(1 + 2 ** -8), 0x3f80); // a tie rounds to the even neighbour
 * assert.equal(f32ToBf16Bits(1 + 3 * 2 ** -8), 0x3f82);
 * ```
 *
 * @param value The value; it is first rounded to float32, as a Float32Array element would be.
 * @returns The bfloat16's bits, in `[0, 0xffff]`.
 */
export function f32ToBf16Bits(value: number): number {
  checkValue(value);
  f32[0] = value;
  const bits = f32Bits[0];
  if ((bits & 0x7fffffff) > 0x7f800000) return (bits >>> 16) | 0x40; // NaN: keep it quiet
  return (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16; // below 2³², as NaN is handled above
}

/** `value >>> shift` rounded to nearest, ties to even (value < 2³¹, shift in [1, 24]). */
function roundShift(value: number, shift: number): number {
  const half = 1 << (shift - 1);
  const rest = value & ((half << 1) - 1);
  const truncated = value >>> shift;
  return rest > half || (rest === half && (truncated & 1)) ? truncated + 1 : truncated;
}

// Bulk conversions for whole chunks of a tensor. Halves go through the engine's Float16Array,
// whose conversions are IEEE's (round to nearest even) and an order of magnitude faster than a
// loop over the functions above.

/** Converts half-precision bits to float32 values, element by element (`source.length` of them). */
export function f16ArrayToF32(source: Uint16Array, target: Float32Array): void {
  target.set(new Float16Array(source.buffer, source.byteOffset, source.length));
}

/** Converts float32 values to half-precision bits, element by element, rounding to nearest even. */
export function f32ArrayToF16(source: Float32Array, target: Uint16Array): void {
  new Float16Array(target.buffer, target.byteOffset, source.length).set(source);
}

/** Converts bfloat16 bits to float32 values, element by element (`source.length` of them). */
export function bf16ArrayToF32(source: Uint16Array, target: Float32Array): void {
  const targetBits = new Uint32Array(target.buffer, target.byteOffset, source.length);
  for (let i = 0; i < source.length; i++) targetBits[i] = source[i] << 16;
}

/** Converts float32 values to bfloat16 bits, element by element, as {@linkcode f32ToBf16Bits} does. */
export function f32ArrayToBf16(source: Float32Array, target: Uint16Array): void {
  const sourceBits = new Uint32Array(source.buffer, source.byteOffset, source.length);
  for (let i = 0; i < sourceBits.length; i++) {
    const bits = sourceBits[i];
    target[i] = (bits & 0x7fffffff) > 0x7f800000
      ? (bits >>> 16) | 0x40
      : (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
  }
}
