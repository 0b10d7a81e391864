import { InputError } from "../util/errors.ts";
import { describe } from "../util/checks.ts";

// PyTorch's default print options (torch.set_printoptions).
const PRECISION = 4;
const THRESHOLD = 1000;
const EDGE_ITEMS = 3;
const LINE_WIDTH = 80;
const PREFIX = "tensor(";

/** The element arrays {@linkcode formatTensor} prints: integer arrays print as integers. */
export type FormattableArray = Float32Array | Float64Array | Int32Array | Uint32Array;

/**
 * Prints values the way PyTorch prints a tensor (`print(t)` with default options), so that
 * results can be compared with the book by eye: 4 decimals in aligned columns, scientific
 * notation when magnitudes call for it, `1.` style for integral floats, and `...` summarisation
 * (3 items at each edge) above 1000 elements. Integer arrays print as integers. The dtype suffix
 * PyTorch adds for non-default dtypes is left out: integer ids play the part of PyTorch's int64.
 *
 * @example The book's `Embedding(6, 3)` weight, first two rows
 * ```ts
 * import { formatTensor } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const weight = Float32Array.of(0.3374, -0.1778, -0.169, 0.9178, 1.581, 1.301);
 * assert.equal(
 *   formatTensor(weight, [2, 3]),
 *   "tensor([[ 0.3374, -0.1778, -0.1690],\n        [ 0.9178,  1.5810,  1.3010]])",
 * );
 * assert.equal(formatTensor(Int32Array.of(40, 367, 2885, 1464), [1, 4]), "tensor([[  40,  367, 2885, 1464]])");
 * ```
 *
 * @param data The elements in row-major order.
 * @param shape The dimensions; their product must equal `data.length` (`[]` for a scalar).
 * @returns The printed form, e.g. `tensor([[ 0.3374, -0.1778]])`.
 */
export function formatTensor(data: FormattableArray, shape: readonly number[]): string {
  if (
    !(data instanceof Float32Array || data instanceof Float64Array ||
      data instanceof Int32Array || data instanceof Uint32Array)
  ) {
    throw new InputError(
      "data",
      `must be a Float32Array, Float64Array, Int32Array or Uint32Array, got ${describe(data)}`,
    );
  }
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new InputError("shape", `must be an array of integers >= 0, got ${describe(shape)}`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) {
    throw new InputError(
      "shape",
      `[${shape.join(", ")}] holds ${size} elements, but data has ${data.length}`,
    );
  }
  if (size === 0) {
    return shape.length === 1 ? "tensor([])" : `tensor([], size=(${shape.join(", ")}))`;
  }
  const summarize = size > THRESHOLD;
  const strides = rowMajorStrides(shape);
  const shown = summarize ? summarizedIndices(shape, strides) : undefined;
  const formatter = data instanceof Int32Array || data instanceof Uint32Array
    ? integerFormatter(data, shown)
    : floatFormatter(data, shown);
  const body = shape.length === 0
    ? formatter.format(data[0])
    : nested(data, shape, strides, 0, 0, PREFIX.length, summarize, formatter);
  return `${PREFIX}${body})`;
}

/** Formats one element, padded to `width` (the width of the widest element shown). */
interface Formatter {
  width: number;
  format(value: number): string;
}

function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d];
  }
  return strides;
}

/** The indices along one dimension that a summarised print shows. */
function shownAlong(length: number, summarize: boolean): number[] {
  const all = Array.from({ length }, (_, i) => i);
  if (!summarize || length <= 2 * EDGE_ITEMS) return all;
  return [...all.slice(0, EDGE_ITEMS), ...all.slice(length - EDGE_ITEMS)];
}

/** Flat indices of the elements a summarised print shows (PyTorch sizes columns on these only). */
function summarizedIndices(shape: readonly number[], strides: readonly number[]): number[] {
  let offsets = [0];
  for (let d = 0; d < shape.length; d++) {
    const along = shownAlong(shape[d], true);
    offsets = offsets.flatMap((offset) => along.map((i) => offset + i * strides[d]));
  }
  return offsets;
}

function nested(
  data: FormattableArray,
  shape: readonly number[],
  strides: readonly number[],
  dim: number,
  offset: number,
  indent: number,
  summarize: boolean,
  formatter: Formatter,
): string {
  const length = shape[dim];
  const elided = summarize && length > 2 * EDGE_ITEMS;
  const along = shownAlong(length, summarize);
  if (dim === shape.length - 1) {
    const items = along.map((i) => formatter.format(data[offset + i * strides[dim]]));
    if (elided) items.splice(EDGE_ITEMS, 0, " ...");
    // Each element takes its width plus ", ".
    const perLine = Math.max(1, Math.floor((LINE_WIDTH - indent) / (formatter.width + 2)));
    const lines: string[] = [];
    for (let i = 0; i < items.length; i += perLine) {
      lines.push(items.slice(i, i + perLine).join(", "));
    }
    return "[" + lines.join(",\n" + " ".repeat(indent + 1)) + "]";
  }
  const slices = along.map((i) =>
    nested(
      data,
      shape,
      strides,
      dim + 1,
      offset + i * strides[dim],
      indent + 1,
      summarize,
      formatter,
    )
  );
  if (elided) slices.splice(EDGE_ITEMS, 0, "...");
  const rank = shape.length - dim;
  return "[" + slices.join("," + "\n".repeat(rank - 1) + " ".repeat(indent + 1)) + "]";
}

function padStart(text: string, width: number): string {
  return text.length >= width ? text : " ".repeat(width - text.length) + text;
}

function integerFormatter(data: Int32Array | Uint32Array, shown: number[] | undefined): Formatter {
  let width = 1;
  for (const value of shown === undefined ? data : shown.map((i) => data[i])) {
    width = Math.max(width, String(value).length);
  }
  return { width, format: (value) => padStart(String(value), width) };
}

/** PyTorch's `_Formatter` for floating tensors: fixed, integral (`1.`) or scientific mode. */
function floatFormatter(data: Float32Array | Float64Array, shown: number[] | undefined): Formatter {
  const values = shown === undefined ? Array.from(data) : shown.map((i) => data[i]);
  const finiteNonZero = values.filter((v) => Number.isFinite(v) && v !== 0);
  let width = 1;
  if (finiteNonZero.length === 0) {
    return { width, format: (value) => padStart(integralString(value), width) };
  }
  const magnitudes = finiteNonZero.map(Math.abs);
  const max = Math.max(...magnitudes);
  const min = Math.min(...magnitudes);
  const integral = finiteNonZero.every((v) => v === Math.ceil(v));
  let mode: "integral" | "fixed" | "scientific";
  if (integral) {
    mode = max / min > 1000 || max > 1e8 ? "scientific" : "integral";
  } else {
    mode = max / min > 1000 || max > 1e8 || min < 1e-4 ? "scientific" : "fixed";
  }
  const render: (value: number) => string = mode === "scientific"
    ? (v) => pythonExponential(v, PRECISION)
    : mode === "integral"
    ? integralString
    : (v) => pythonFixed(v, PRECISION);
  // Integral mode counts the trailing point of `1.` that its widest value gets too.
  for (const value of finiteNonZero) width = Math.max(width, render(value).length);
  return { width, format: (value) => padStart(render(value), width) };
}

/** `1.` style: PyTorch marks integral floats with a trailing point (not on inf and nan). */
function integralString(value: number): string {
  const text = pythonFixed(value, 0);
  return Number.isFinite(value) ? text + "." : text;
}

/**
 * Python's `f"{value:.{digits}f}"`: like `toFixed`, but exact ties round half to even (JavaScript
 * rounds them up), and `inf`, `nan`, `-0.0000` are spelled as Python does.
 */
function pythonFixed(value: number, digits: number): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  const sign = value < 0 || Object.is(value, -0) ? "-" : "";
  const { digits: exact, exponent } = exactDecimal(Math.abs(value));
  // value = exact × 10^exponent; keep `digits` decimals: the integer N = round(value × 10^digits).
  const rounded = roundDigits(exact, -(exponent + digits));
  const padded = rounded.padStart(digits + 1, "0");
  const integer = padded.slice(0, padded.length - digits);
  return sign + (digits === 0 ? integer : `${integer}.${padded.slice(padded.length - digits)}`);
}

/** Python's `f"{value:.{digits}e}"`, e.g. `1.2346e+05` (exact ties round half to even). */
function pythonExponential(value: number, digits: number): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  const sign = value < 0 || Object.is(value, -0) ? "-" : "";
  let mantissa: string;
  let exponent10: number;
  if (value === 0) {
    mantissa = "0".repeat(digits + 1);
    exponent10 = 0;
  } else {
    const { digits: exact, exponent } = exactDecimal(Math.abs(value));
    exponent10 = exact.length - 1 + exponent;
    mantissa = roundDigits(exact, exact.length - (digits + 1));
    if (mantissa.length > digits + 1) { // 9.99995 → 10.0000: one more power of ten
      mantissa = mantissa.slice(0, digits + 1);
      exponent10++;
    }
  }
  const fraction = digits > 0 ? "." + mantissa.slice(1) : "";
  const exponentText = (exponent10 < 0 ? "-" : "+") + String(Math.abs(exponent10)).padStart(2, "0");
  return `${sign}${mantissa[0]}${fraction}e${exponentText}`;
}

/**
 * Drops the last `cut` decimal digits of a non-negative integer written in `digits`, rounding
 * half to even (a negative `cut` appends zeros). Returns the rounded integer's digits.
 */
function roundDigits(digits: string, cut: number): string {
  if (cut <= 0) return digits + "0".repeat(-cut);
  const kept = cut >= digits.length ? "0" : digits.slice(0, digits.length - cut);
  const dropped = cut > digits.length
    ? "0".repeat(cut - digits.length) + digits
    : digits.slice(-cut);
  const half = "5" + "0".repeat(cut - 1);
  const up = dropped > half || (dropped === half && Number(kept[kept.length - 1]) % 2 === 1);
  return up ? (BigInt(kept) + 1n).toString() : kept.replace(/^0+(?=\d)/, "");
}

/** The exact decimal value of a finite double >= 0: `digits × 10^exponent`. */
function exactDecimal(value: number): { digits: string; exponent: number } {
  if (value === 0) return { digits: "0", exponent: 0 };
  const bits = new DataView(new ArrayBuffer(8));
  bits.setFloat64(0, value);
  const high = bits.getUint32(0);
  const low = bits.getUint32(4);
  const biased = (high >>> 20) & 0x7ff;
  let mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(low);
  let exponent2: number;
  if (biased === 0) {
    exponent2 = -1074; // subnormal
  } else {
    mantissa |= 1n << 52n;
    exponent2 = biased - 1075;
  }
  if (exponent2 >= 0) return { digits: (mantissa << BigInt(exponent2)).toString(), exponent: 0 };
  // m · 2^-k = m · 5^k · 10^-k
  return { digits: (mantissa * 5n ** BigInt(-exponent2)).toString(), exponent: exponent2 };
}
