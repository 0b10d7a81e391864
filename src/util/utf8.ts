import { InputError } from "./errors.ts";
import { checkInteger, describe } from "./checks.ts";

/** The offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/**
 * Decodes UTF-8 strictly: invalid bytes are an {@linkcode InputError} that gives the offset of
 * the first one, instead of a silent U+FFFD. A byte-order mark is kept, as Python's `open()` does.
 *
 * @example
 * ```ts
 * import { decodeUtf8 } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(decodeUtf8(new Uint8Array([0x68, 0x69]), "greeting"), "hi");
 * assert.throws(() => decodeUtf8(new Uint8Array([0x68, 0xff]), "greeting"), /byte offset 1/);
 * ```
 *
 * @param bytes The bytes to decode.
 * @param label What the bytes are (a file name), for the error message.
 * @param byteOffset Where `bytes` start in the file, when they are a chunk of it (default 0);
 *   added to the offset in the error message.
 * @returns The text.
 */
export function decodeUtf8(bytes: Uint8Array, label: string, byteOffset = 0): string {
  if (!(bytes instanceof Uint8Array)) {
    throw new InputError("bytes", `must be a Uint8Array, got ${describe(bytes)}`);
  }
  if (typeof label !== "string") {
    throw new InputError("label", `must be a string (a file name), got ${describe(label)}`);
  }
  checkInteger("byteOffset", byteOffset, 0);
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    throw new InputError(
      label,
      `is not valid UTF-8: invalid byte 0x${
        bytes[offset]?.toString(16).padStart(2, "0")
      } at byte offset ${byteOffset + offset}`,
    );
  }
}
