import { FileSystemError, InputError } from "../util/errors.ts";
import {
  alreadyExists,
  baseName,
  commitFile,
  parentDir,
  pathExists,
  writeAll,
} from "../util/atomic_file.ts";
import { checkNumberList, checkOptions, describe } from "../util/checks.ts";
import {
  bytesPerToken,
  encodeShardHeader,
  MAX_SHARD_TOKENS,
  SHARD_HEADER_BYTES,
  type ShardInfo,
  type ShardVersion,
} from "./shard_format.ts";

/** Options of {@linkcode ShardWriter.create} and {@linkcode writeShard}. */
export interface ShardWriterOptions {
  /** 1: uint16 tokens (default); 2: uint32 tokens, for vocabularies over 65,536. */
  version?: ShardVersion;
  /** Replace an existing file at the path. Default: false (an existing file is an error). */
  overwrite?: boolean;
}

/** Turns a failure to create a file in `dir` into an {@linkcode InputError} naming the folder. */
function notWritable(dir: string, error: unknown): unknown {
  if (error instanceof Deno.errors.NotFound) return new InputError(dir, "does not exist");
  if (error instanceof Deno.errors.NotADirectory) {
    return new InputError(dir, "is not a folder");
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return new InputError(dir, `is not writable (${error.message})`);
  }
  return error; // Deno's own permission error (NotCapable) says which flag to add
}

/**
 * Writes one token shard in llm.c's format: a 1,024-byte header (magic 20240520, version, token
 * count as little-endian int32) and the tokens as little-endian uint16 (version 1) or uint32
 * (version 2). Tokens are streamed to a hidden temporary file in the shard's folder, which
 * {@linkcode ShardWriter.close} completes and renames into place, so a shard is never seen half
 * written; an existing file is never replaced unless `overwrite` is set. A writer that fails, is
 * aborted, or is disposed before `close` (`await using`) removes its temporary file.
 *
 * @example
 * ```ts
 * import { readShard, ShardWriter } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * await Deno.mkdir(".tmp", { recursive: true });
 * const dir = await Deno.makeTempDir({ dir: ".tmp" });
 * {
 *   await using writer = await ShardWriter.create(`${dir}/train_000000.bin`);
 *   await writer.write(new Uint32Array([50256, 464, 2068]));
 *   await writer.write([7586, 21831]);
 *   const info = await writer.close();
 *   assert.deepEqual([info.version, info.tokenCount], [1, 5]);
 *   assert.deepEqual(await readShard(info.path), new Uint16Array([50256, 464, 2068, 7586, 21831]));
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class ShardWriter implements AsyncDisposable {
  readonly #path: string;
  readonly #temporary: string;
  readonly #version: ShardVersion;
  readonly #overwrite: boolean;
  #file: Deno.FsFile | undefined;
  #tokenCount = 0;
  #closed = false;

  private constructor(
    path: string,
    temporary: string,
    file: Deno.FsFile,
    version: ShardVersion,
    overwrite: boolean,
  ) {
    this.#path = path;
    this.#temporary = temporary;
    this.#file = file;
    this.#version = version;
    this.#overwrite = overwrite;
  }

  /**
   * Starts a shard at `path`. An existing file there is an {@linkcode InputError} unless
   * `overwrite` is set; so is a folder that does not exist or cannot be written.
   *
   * @param path The shard's final path.
   * @param options The version (token width) and whether an existing file may be replaced.
   * @returns The writer.
   */
  static async create(path: string, options: ShardWriterOptions = {}): Promise<ShardWriter> {
    if (typeof path !== "string" || path === "" || /[\\/]$/.test(path)) {
      throw new InputError("path", `must be a file path, got ${describe(path)}`);
    }
    checkOptions(options, "{ version?, overwrite? }");
    const version = options.version ?? 1;
    if (version !== 1 && version !== 2) {
      throw new InputError("version", `must be 1 (uint16) or 2 (uint32), got ${describe(version)}`);
    }
    const overwrite = options.overwrite ?? false;
    if (typeof overwrite !== "boolean") {
      throw new InputError("overwrite", `must be true or false, got ${describe(overwrite)}`);
    }
    if (!overwrite && await pathExists(path)) throw alreadyExists(path);
    const dir = parentDir(path);
    const temporary = `${dir}/.${baseName(path)}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    let file: Deno.FsFile;
    try {
      file = await Deno.open(temporary, { write: true, createNew: true });
    } catch (error) {
      throw notWritable(dir, error);
    }
    const writer = new ShardWriter(path, temporary, file, version, overwrite);
    await writer.#guard(() => writeAll(file, new Uint8Array(SHARD_HEADER_BYTES)));
    return writer;
  }

  /** The shard's final path. */
  get path(): string {
    return this.#path;
  }

  /** 1 (uint16 tokens) or 2 (uint32 tokens). */
  get version(): ShardVersion {
    return this.#version;
  }

  /** The tokens written so far. */
  get tokenCount(): number {
    return this.#tokenCount;
  }

  /** Runs a step; on any failure the temporary file is removed and the writer is done. */
  async #guard<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      await this.abort();
      throw FileSystemError.from(error, "write", this.#path);
    }
  }

  #open(): Deno.FsFile {
    if (this.#file === undefined) {
      throw new InputError(
        "writer",
        `of ${this.#path} is ${this.#closed ? "closed" : "aborted"}; create a new one`,
      );
    }
    return this.#file;
  }

  /**
   * Appends tokens. Ids must be integers in [0, 65,535] for version 1 and [0, 4,294,967,295]
   * for version 2; anything else is an {@linkcode InputError} that also aborts the writer.
   *
   * @param tokens The ids to append.
   */
  async write(tokens: ArrayLike<number>): Promise<void> {
    const file = this.#open();
    await this.#guard(async () => {
      checkNumberList("tokens", tokens);
      const limit = this.#version === 1 ? 0xffff : 0xffffffff;
      if (!(tokens instanceof Uint16Array) && !(tokens instanceof Uint32Array && limit > 0xffff)) {
        for (let i = 0; i < tokens.length; i++) {
          const id = tokens[i];
          if (!Number.isInteger(id) || id < 0 || id > limit) {
            throw new InputError(
              `tokens[${i}]`,
              `must be an integer in [0, ${limit}] for a version ${this.#version} shard, got ${id}`,
            );
          }
        }
      }
      if (this.#tokenCount + tokens.length > MAX_SHARD_TOKENS) {
        throw new InputError(
          "tokens",
          `would make ${this.#path} hold more than ${MAX_SHARD_TOKENS} tokens, the format's limit`,
        );
      }
      const typed = this.#version === 1
        ? (tokens instanceof Uint16Array ? tokens : Uint16Array.from(tokens))
        : (tokens instanceof Uint32Array ? tokens : Uint32Array.from(tokens));
      // typed arrays are little-endian on every platform Deno runs on, as the format wants
      await writeAll(file, new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength));
      this.#tokenCount += tokens.length;
    });
  }

  /**
   * Completes the header, flushes the file to disk and renames it to its final path.
   *
   * @returns The written shard's header.
   */
  async close(): Promise<ShardInfo> {
    const file = this.#open();
    return await this.#guard(async () => {
      await file.seek(0, Deno.SeekMode.Start);
      await writeAll(file, encodeShardHeader(this.#version, this.#tokenCount));
      await file.syncData();
      file.close();
      this.#file = undefined;
      await commitFile(this.#temporary, this.#path, this.#overwrite);
      this.#closed = true;
      return {
        path: this.#path,
        version: this.#version,
        tokenCount: this.#tokenCount,
        bytesPerToken: bytesPerToken(this.#version),
      };
    });
  }

  /** Drops the shard: the temporary file is removed. Harmless after `close` or a failure. */
  async abort(): Promise<void> {
    if (this.#closed) return;
    this.#file?.close();
    this.#file = undefined;
    await Deno.remove(this.#temporary).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }

  /** Aborts the shard unless it was closed, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.abort();
  }
}

/**
 * Writes a whole shard at once (see {@linkcode ShardWriter}): atomic, and an existing file is
 * an error unless `overwrite` is set.
 *
 * @example
 * ```ts
 * import { readShard, writeShard } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * await Deno.mkdir(".tmp", { recursive: true });
 * const dir = await Deno.makeTempDir({ dir: ".tmp" });
 * await writeShard(`${dir}/tokens.bin`, new Uint32Array([15496, 995]));
 * assert.deepEqual(await readShard(`${dir}/tokens.bin`), new Uint16Array([15496, 995]));
 * await assert.rejects(writeShard(`${dir}/tokens.bin`, [1]), /already exists; it is kept/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param path The shard's path.
 * @param tokens The ids.
 * @param options The version (token width) and whether an existing file may be replaced.
 * @returns The written shard's header.
 */
export async function writeShard(
  path: string,
  tokens: ArrayLike<number>,
  options: ShardWriterOptions = {},
): Promise<ShardInfo> {
  checkNumberList("tokens", tokens); // before the file is created
  await using writer = await ShardWriter.create(path, options);
  await writer.write(tokens);
  return await writer.close();
}
