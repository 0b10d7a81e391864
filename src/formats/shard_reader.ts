import { InputError } from "../util/errors.ts";
import { checkInteger, checkOptions, describe } from "../util/checks.ts";
import { entryKind, openRegularFile } from "../util/regular_file.ts";
import {
  checkShardInfo,
  checkShardSize,
  decodeShardHeader,
  SHARD_HEADER_BYTES,
  type ShardInfo,
  type ShardSplit,
  shardSplitOf,
} from "./shard_format.ts";
import { isStaged, readShardList, SHARD_LIST, type ShardList } from "./shard_list.ts";

/** A shard found by {@linkcode listShards}: its header and the split its name says. */
export interface ListedShard extends ShardInfo {
  /** `"val"` or `"train"` when the file name says so (`val_000000.bin`), else undefined. */
  readonly split: ShardSplit | undefined;
}

/** Options of {@linkcode listShards}. */
export interface ListShardsOptions {
  /** Only the shards whose name says this split. Default: every `.bin` file. */
  split?: ShardSplit;
}

async function openShard(path: string): Promise<Deno.FsFile> {
  if (typeof path !== "string" || path === "") {
    throw new InputError("path", `must be a shard's path, got ${describe(path)}`);
  }
  return (await openRegularFile(path, path)).file;
}

async function readFull(file: Deno.FsFile, into: Uint8Array): Promise<number> {
  let filled = 0;
  while (filled < into.length) {
    const read = await file.read(into.subarray(filled));
    if (read === null) break;
    filled += read;
  }
  return filled;
}

async function headerOf(path: string, file: Deno.FsFile): Promise<ShardInfo> {
  const { size, isFile } = await file.stat();
  if (!isFile) throw new InputError(path, "is not a file");
  const header = new Uint8Array(SHARD_HEADER_BYTES);
  await readFull(file, header);
  return decodeShardHeader(path, header, size);
}

/**
 * Reads and checks a shard's header: the magic number, the version, and that the file's size
 * matches the token count. A truncated or foreign file is an {@linkcode InputError} naming the
 * file and the expected and actual values.
 *
 * @example
 * ```ts
 * import { readShardHeader, writeShard } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * await Deno.mkdir(".tmp", { recursive: true });
 * const dir = await Deno.makeTempDir({ dir: ".tmp" });
 * await writeShard(`${dir}/a.bin`, [1, 2, 3], { version: 2 });
 * const { version, tokenCount } = await readShardHeader(`${dir}/a.bin`);
 * assert.deepEqual([version, tokenCount], [2, 3]);
 * await Deno.writeTextFile(`${dir}/b.bin`, "not a shard");
 * await assert.rejects(readShardHeader(`${dir}/b.bin`), /is not a token shard: it has 11 bytes/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param path The shard file.
 * @returns Its header.
 */
export async function readShardHeader(path: string): Promise<ShardInfo> {
  using file = await openShard(path);
  return await headerOf(path, file);
}

/**
 * Reads a whole shard's tokens (checked as {@linkcode readShardHeader} does): a `Uint16Array`
 * for version 1, a `Uint32Array` for version 2.
 *
 * @example
 * ```ts
 * import { readShard, writeShard } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * await Deno.mkdir(".tmp", { recursive: true });
 * const dir = await Deno.makeTempDir({ dir: ".tmp" });
 * await writeShard(`${dir}/val_000000.bin`, [50256, 40, 367]);
 * assert.deepEqual(await readShard(`${dir}/val_000000.bin`), new Uint16Array([50256, 40, 367]));
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param path The shard file.
 * @returns The tokens.
 */
export async function readShard(path: string): Promise<Uint16Array | Uint32Array> {
  using file = await openShard(path);
  const info = await headerOf(path, file);
  return await readTokens(file, info, 0, info.tokenCount);
}

async function readTokens(
  file: Deno.FsFile,
  info: ShardInfo,
  start: number,
  count: number,
): Promise<Uint16Array | Uint32Array> {
  const tokens = info.version === 1 ? new Uint16Array(count) : new Uint32Array(count);
  await file.seek(SHARD_HEADER_BYTES + start * info.bytesPerToken, Deno.SeekMode.Start);
  const bytes = new Uint8Array(tokens.buffer);
  const read = await readFull(file, bytes);
  if (read !== bytes.length) {
    throw new InputError(
      info.path,
      `is truncated: ${bytes.length} bytes of tokens expected at byte ` +
        `${SHARD_HEADER_BYTES + start * info.bytesPerToken}, but only ${read} could be read`,
    );
  }
  return tokens;
}

/**
 * Reads `count` tokens of a shard from token `start` on, without reading the rest: what a data
 * loader over large shards needs. Pass the header from {@linkcode listShards} or
 * {@linkcode readShardHeader} to skip reading it again.
 *
 * @example
 * ```ts
 * import { listShards, readShardTokens, writeShard } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * await Deno.mkdir(".tmp", { recursive: true });
 * const dir = await Deno.makeTempDir({ dir: ".tmp" });
 * await writeShard(`${dir}/train_000000.bin`, Array.from({ length: 2000 }, (_, i) => i));
 * const [first] = await listShards(dir, { split: "train" });
 * const window = await readShardTokens(first, 1000, 257); // tokens 1000 … 1256 only
 * assert.deepEqual([window.length, window[0], window[256]], [257, 1000, 1256]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param shard A shard's path or header.
 * @param start The first token to read.
 * @param count How many tokens to read.
 * @returns The tokens: `Uint16Array` for version 1, `Uint32Array` for version 2.
 */
export async function readShardTokens(
  shard: string | ShardInfo,
  start: number,
  count: number,
): Promise<Uint16Array | Uint32Array> {
  if (typeof shard !== "string") checkShardInfo("shard", shard);
  const path = typeof shard === "string" ? shard : shard.path;
  using file = await openShard(path);
  const info = typeof shard === "string" ? await headerOf(path, file) : shard;
  if (typeof shard !== "string") {
    // a header given by the caller must still describe this file (not one changed since)
    checkShardSize(path, info.tokenCount, info.bytesPerToken, (await file.stat()).size);
  }
  checkInteger("start", start, 0, info.tokenCount);
  checkInteger("count", count, 0, info.tokenCount - start);
  return await readTokens(file, info, start, count);
}

/**
 * The shards of a folder in order, each header checked, or only those of one split. A folder
 * `prepare` made holds {@linkcode SHARD_LIST}: its shards are the ones it lists, in its order,
 * each a regular file whose header says the listed token count, and another `.bin` file there is
 * an error. Any other folder (llm.c's own scripts make those) is read as every `.bin` file that
 * is not hidden, sorted by the number that ends the name (`val_000000.bin`, `train_000001.bin`,
 * …; llm.c's `…_train_000001.bin` likewise), then by name.
 *
 * `prepare` swaps the list in one rename when a new set is complete, so this returns the folder's
 * older set or its newer one, never a part or a mix, even while a run is stopped half-way.
 *
 * @example
 * ```ts
 * import { listShards, writeShard } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * await Deno.mkdir(".tmp", { recursive: true });
 * const dir = await Deno.makeTempDir({ dir: ".tmp" });
 * await writeShard(`${dir}/train_000001.bin`, [3, 4, 5]);
 * await writeShard(`${dir}/val_000000.bin`, [1, 2]);
 * const shards = await listShards(dir);
 * assert.deepEqual(shards.map((s) => [s.split, s.tokenCount]), [["val", 2], ["train", 3]]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param dir The folder.
 * @param options Which split to list.
 * @returns The shards, in order.
 */
export async function listShards(
  dir: string,
  options: ListShardsOptions = {},
): Promise<ListedShard[]> {
  if (typeof dir !== "string" || dir === "") {
    throw new InputError("dir", `must be a folder's path, got ${describe(dir)}`);
  }
  checkOptions(options, "{ split? }");
  const split = options.split;
  if (split !== undefined && split !== "train" && split !== "val") {
    throw new InputError("split", `must be "train" or "val", got ${describe(split)}`);
  }
  const base = dir.replace(/(.)[\\/]+$/, "$1");
  let list: ShardList | undefined;
  const names: string[] = [];
  try {
    list = await readShardList(base);
    // a set being moved in by prepare: the older and newer files around it are not read
    const listed = list && (isStaged(list) ? undefined : new Set(list.shards.map((s) => s.file)));
    for await (const entry of Deno.readDir(base)) {
      if (entry.name.startsWith(".") || !entry.name.endsWith(".bin")) continue;
      if (list !== undefined) {
        if (listed === undefined || listed.has(entry.name)) continue;
        throw new InputError(
          `${base}/${entry.name}`,
          `is not one of the shards ${SHARD_LIST} lists, which are this folder's set; move it ` +
            `out of the folder (or run prepare --overwrite again to make a new set)`,
        );
      }
      if (!entry.isFile) {
        // never skipped without a word: a link or a folder named like a shard is an error
        throw new InputError(
          `${base}/${entry.name}`,
          `is ${entryKind(await Deno.lstat(`${base}/${entry.name}`))}, not a regular file; ` +
            `shards are read from regular files only`,
        );
      }
      if (split === undefined || shardSplitOf(entry.name) === split) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new InputError(dir, "does not exist");
    if (error instanceof Deno.errors.NotADirectory) throw new InputError(dir, "is not a folder");
    throw error;
  }
  if (list !== undefined) return await listedShards(base, list, split);
  // by shard number (`val_000000`, `train_000001`, …), then by name
  const number = (name: string) => Number(/(\d+)\.bin$/.exec(name)?.[1] ?? Infinity);
  names.sort((a, b) => number(a) - number(b) || (a < b ? -1 : a > b ? 1 : 0));
  const shards: ListedShard[] = [];
  for (const name of names) {
    const info = await readShardHeader(`${base}/${name}`);
    shards.push({ ...info, split: shardSplitOf(name) });
  }
  return shards;
}

/** The shards a folder's list names, each a regular file whose header says the listed count. */
async function listedShards(
  dir: string,
  list: ShardList,
  split: ShardSplit | undefined,
): Promise<ListedShard[]> {
  const shards: ListedShard[] = [];
  for (const shard of list.shards) {
    if (split !== undefined && shard.split !== split) continue;
    const path = `${dir}/${shard.file}`;
    let entry: Deno.FileInfo;
    try {
      entry = await Deno.lstat(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      throw new InputError(path, `is listed in ${SHARD_LIST} but does not exist`);
    }
    if (!entry.isFile) {
      throw new InputError(
        path,
        `is ${entryKind(entry)}, not a regular file; shards are read from regular files only`,
      );
    }
    const info = await readShardHeader(path);
    if (info.tokenCount !== shard.tokens) {
      throw new InputError(
        path,
        `holds ${info.tokenCount} tokens, but ${SHARD_LIST} lists ${shard.tokens}: the file is ` +
          `not the shard prepare wrote`,
      );
    }
    shards.push({ ...info, split: shard.split });
  }
  return shards;
}
