import { InputError } from "../util/errors.ts";
import { checkInteger, checkOptions, describe } from "../util/checks.ts";
import {
  checkShardInfo,
  checkShardSize,
  decodeShardHeader,
  SHARD_HEADER_BYTES,
  type ShardInfo,
  type ShardSplit,
  shardSplitOf,
} from "./shard_format.ts";

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
  try {
    return await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new InputError(path, "does not exist");
    throw error;
  }
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
 * The shards of a folder in order, each header checked: every `.bin` file that is not hidden,
 * or only those of one split, sorted by the number that ends the name (`val_000000.bin`,
 * `train_000001.bin`, … as `prepare` names them; llm.c's `…_train_000001.bin` likewise), then
 * by name.
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
 * @returns The shards, in name order.
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
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || entry.name.startsWith(".") || !entry.name.endsWith(".bin")) continue;
      if (split === undefined || shardSplitOf(entry.name) === split) names.push(entry.name);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new InputError(dir, "does not exist");
    if (error instanceof Deno.errors.NotADirectory) throw new InputError(dir, "is not a folder");
    throw error;
  }
  // by shard number (`val_000000`, `train_000001`, …), then by name
  const number = (name: string) => Number(/(\d+)\.bin$/.exec(name)?.[1] ?? Infinity);
  names.sort((a, b) => number(a) - number(b) || (a < b ? -1 : a > b ? 1 : 0));
  const base = dir.replace(/[\\/]+$/, "");
  const shards: ListedShard[] = [];
  for (const name of names) {
    const info = await readShardHeader(`${base}/${name}`);
    shards.push({ ...info, split: shardSplitOf(name) });
  }
  return shards;
}
