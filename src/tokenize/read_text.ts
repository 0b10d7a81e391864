import { InputError } from "../util/errors.ts";
import { describe } from "../util/checks.ts";
import { openRegularFile } from "../util/regular_file.ts";
import { decodeUtf8 } from "../util/utf8.ts";

/**
 * The most bytes {@linkcode readTextFile} and {@linkcode readTextStream} read: 256 MiB. A text
 * is held whole in memory (as a string, then as ids), and one JavaScript string holds at most
 * about 512 Mi UTF-16 code units; larger corpora are streamed into token shards by
 * `prepareShards` (`deno task prepare`), which has no such limit.
 */
export const MAX_TEXT_BYTES = 256 * 1024 * 1024;

/** The error for a text over {@linkcode MAX_TEXT_BYTES} (`size` bytes when known). */
function tooLarge(label: string, size?: number): InputError {
  return new InputError(
    label,
    `${size === undefined ? "holds more than" : `is ${size} bytes, more than`} ${MAX_TEXT_BYTES} ` +
      `bytes (256 MiB), the limit for a text read whole into memory; stream larger corpora into ` +
      `token shards with prepareShards`,
  );
}

/** Reads chunks from `read` until it ends or passes {@linkcode MAX_TEXT_BYTES}. */
async function readLimited(
  read: () => Promise<Uint8Array | null>,
  label: string,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (true) {
    const chunk = await read();
    if (chunk === null) break;
    total += chunk.length;
    if (total > MAX_TEXT_BYTES) throw tooLarge(label);
    chunks.push(chunk);
  }
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

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
  const { file, info } = await openRegularFile(path, label);
  try {
    if (info.size > MAX_TEXT_BYTES) throw tooLarge(label, info.size);
    // in pieces up to the size `stat` gave, then on until the end (a file may grow meanwhile)
    let buffer = new Uint8Array(Math.max(1, info.size));
    const bytes = await readLimited(async () => {
      if (buffer.length === 0) buffer = new Uint8Array(1 << 16);
      let filled = 0;
      while (filled < buffer.length) {
        const read = await file.read(buffer.subarray(filled));
        if (read === null) break;
        filled += read;
      }
      if (filled === 0) return null;
      const chunk = buffer.subarray(0, filled);
      buffer = new Uint8Array(0);
      return chunk;
    }, label);
    return decodeUtf8(bytes, label);
  } finally {
    file.close();
  }
}

/**
 * Reads a stream of bytes (standard input: `Deno.stdin.readable`) as strict UTF-8 text (see
 * {@linkcode decodeUtf8}), stopping with an {@linkcode InputError} once it passes
 * {@linkcode MAX_TEXT_BYTES}: an endless stream (`< /dev/zero`) ends in that error, not in
 * running out of memory.
 *
 * @example
 * ```ts
 * import { readTextStream } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const stream = new Blob(["It had always been"]).stream();
 * assert.equal(await readTextStream(stream, "greeting"), "It had always been");
 * ```
 *
 * @param stream The bytes.
 * @param label What the stream is ("standard input"), for error messages.
 * @returns The text.
 */
export async function readTextStream(
  stream: ReadableStream<Uint8Array>,
  label: string,
): Promise<string> {
  if (!(stream instanceof ReadableStream)) {
    throw new InputError("stream", `must be a ReadableStream of bytes, got ${describe(stream)}`);
  }
  const reader = stream.getReader();
  try {
    const bytes = await readLimited(async () => {
      const { done, value } = await reader.read();
      return done ? null : value;
    }, label);
    return decodeUtf8(bytes, label);
  } finally {
    await reader.cancel().catch(() => {});
  }
}
