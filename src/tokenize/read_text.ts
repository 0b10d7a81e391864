import { InputError } from "../util/errors.ts";
import { describe } from "../util/checks.ts";
import { decodeUtf8 } from "../util/utf8.ts";

/**
 * Reads a text file as strict UTF-8 (see {@linkcode decodeUtf8}); a missing file is an
 * {@linkcode InputError} naming it.
 *
 * @example
 * ```ts
 * import { readTextFile } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const text = await readTextFile("data/the-verdict.txt"); // needs --allow-read
 * assert.equal(text.length, 20479);
 * await assert.rejects(readTextFile("data/missing.txt"), /data\/missing.txt does not exist/);
 * ```
 *
 * @param path The file to read (a path or a `file:` URL).
 * @returns The file's text.
 */
export async function readTextFile(path: string | URL): Promise<string> {
  const valid = (typeof path === "string" && path !== "") ||
    (path instanceof URL && path.protocol === "file:");
  if (!valid) {
    throw new InputError(
      "path",
      `must be a file path or a file: URL, got ${path instanceof URL ? path.href : describe(path)}`,
    );
  }
  const label = path instanceof URL ? decodeURIComponent(path.pathname) : path;
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new InputError(label, "does not exist");
    if (error instanceof Deno.errors.IsADirectory) {
      throw new InputError(label, "is a directory, not a text file");
    }
    throw error;
  }
  return decodeUtf8(bytes, label);
}
