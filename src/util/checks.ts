import { InputError } from "./errors.ts";

/**
 * Throws an {@linkcode InputError} unless `value` is an integer in `[min, max]`.
 *
 * @example
 * ```ts
 * import { checkInteger } from "./checks.ts";
 * import assert from "node:assert/strict";
 *
 * checkInteger("batchSize", 8, 1);
 * assert.throws(() => checkInteger("batchSize", 0, 1), /batchSize must be an integer >= 1, got 0/);
 * ```
 *
 * @param parameter The parameter's name, used in the message.
 * @param value The value to check.
 * @param min The smallest allowed value.
 * @param max The largest allowed value (default: `Number.MAX_SAFE_INTEGER`).
 */
export function checkInteger(
  parameter: string,
  value: unknown,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new InputError(parameter, `must be an integer ${range}, got ${describe(value)}`);
  }
}

/** Throws an {@linkcode InputError} unless `value` is `true`, `false` or `undefined` (an option's default). */
export function checkBoolean(
  parameter: string,
  value: unknown,
): asserts value is boolean | undefined {
  if (value !== undefined && typeof value !== "boolean") {
    throw new InputError(parameter, `must be true or false, got ${describe(value)}`);
  }
}

/**
 * Throws an {@linkcode InputError} unless `options` is an object (an options bag, which may be
 * empty), describing what it should hold.
 *
 * @example
 * ```ts
 * import { checkOptions } from "./checks.ts";
 * import assert from "node:assert/strict";
 *
 * checkOptions({}, "{ seed? }");
 * assert.throws(() => checkOptions(null, "{ seed? }"), /options must be \{ seed\? \}, got null/);
 * ```
 *
 * @param options The value to check.
 * @param expected What it should be, e.g. `"{ maxLength, stride }"`.
 */
export function checkOptions(options: unknown, expected: string): asserts options is object {
  if (typeof options !== "object" || options === null) {
    throw new InputError("options", `must be ${expected}, got ${describe(options)}`);
  }
}

/**
 * Throws an {@linkcode InputError} unless `value` is an array or a typed array (a list of ids to
 * decode, for example); its elements are the caller's to check.
 *
 * @example
 * ```ts
 * import { checkNumberList } from "./checks.ts";
 * import assert from "node:assert/strict";
 *
 * checkNumberList("ids", Uint32Array.of(1, 2));
 * assert.throws(() => checkNumberList("ids", "1 2"), /ids must be an array or a typed array of numbers, got "1 2"/);
 * ```
 *
 * @param parameter The parameter's name, used in the message.
 * @param value The value to check.
 */
export function checkNumberList(
  parameter: string,
  value: unknown,
): asserts value is ArrayLike<number> {
  if (!Array.isArray(value) && !(ArrayBuffer.isView(value) && !(value instanceof DataView))) {
    throw new InputError(
      parameter,
      `must be an array or a typed array of numbers, got ${describe(value)}`,
    );
  }
}

/** A short, printable description of a value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
  }
  if (
    typeof value === "number" || typeof value === "boolean" || value === null || value === undefined
  ) {
    return String(value);
  }
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return withArticle(value.constructor.name);
  if (typeof value === "object") {
    const name = Object.getPrototypeOf(value)?.constructor?.name;
    return name && name !== "Object" ? withArticle(name) : "an object";
  }
  return withArticle(typeof value);
}

function withArticle(noun: string): string {
  return (/^[aeio]/i.test(noun) ? "an " : "a ") + noun; // "a Uint8Array", "an Int32Array"
}

/**
 * Throws an {@linkcode InputError} unless `ids` is a `Uint32Array` or `Uint16Array` of at most
 * `maxLength` elements: the arrays of unsigned ids that the pipeline's stages and the GPU's
 * token stream index with 32-bit offsets.
 *
 * @param parameter The parameter's name, used in the message.
 * @param ids The value to check.
 * @param maxLength The most elements allowed.
 */
export function checkIdArray(
  parameter: string,
  ids: unknown,
  maxLength: number,
): asserts ids is Uint32Array | Uint16Array {
  if (!(ids instanceof Uint32Array || ids instanceof Uint16Array)) {
    throw new InputError(
      parameter,
      `must be a Uint32Array or Uint16Array of token ids, got ${describe(ids)}` +
        (Array.isArray(ids) ? " (use Uint32Array.from(ids))" : ""),
    );
  }
  if (ids.length > maxLength) {
    throw new InputError(parameter, `must hold at most ${maxLength} tokens, got ${ids.length}`);
  }
}

/** The most ids a stream holds: offsets into it are 32-bit unsigned integers. */
export const MAX_STREAM_IDS = 0xffff_ffff;
