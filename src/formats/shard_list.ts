// The list of a shard folder's set that `prepareShards` writes. Renaming one file is atomic, so a
// folder whose list is swapped in one rename shows its readers the older set or the newer one,
// never a mix, whatever happens to the shard files around it.
import { InputError } from "../util/errors.ts";
import { entryKind } from "../util/regular_file.ts";
import { MAX_SHARD_TOKENS, type ShardSplit, shardSplitOf } from "./shard_format.ts";

/**
 * The file that lists the shards of a folder `prepare` made (`shards.json`). Readers of the
 * folder read exactly the shards it lists; a folder without it (llm.c's own scripts make those)
 * is read as every `.bin` file in it.
 *
 * @example
 * ```ts
 * import { listShards, prepareShards, SHARD_LIST } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * await Deno.mkdir(".tmp", { recursive: true });
 * const dir = await Deno.makeTempDir({ dir: ".tmp" });
 * await Deno.writeTextFile(`${dir}/a.txt`, "It had always been a cheap genius.");
 * await prepareShards([`${dir}/a.txt`], { outDir: `${dir}/shards` });
 * const list = JSON.parse(await Deno.readTextFile(`${dir}/shards/${SHARD_LIST}`));
 * const [shard] = await listShards(`${dir}/shards`);
 * assert.deepEqual(list.shards, [{ file: "train_000000.bin", split: "train", tokens: shard.tokenCount }]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export const SHARD_LIST = "shards.json";

/** The hidden folder inside a shard folder where `prepareShards` builds a set. */
export const PREPARE_STAGING = ".prepare-staging";

/** The name `prepare` gives a shard (`val_000000.bin`, `train_000001.bin`, …). */
export const PREPARED_SHARD_NAME = /^(?:train|val)_\d{6,}\.bin$/;

/** A file inside the staging folder. */
const STAGED = /^\.prepare-staging\//;

/** The largest shard list read: far beyond any real set (a million shards are ~60 MB). */
const MAX_LIST_BYTES = 256 * 1024 * 1024;

/** A shard as the list names it. */
export interface ShardListEntry {
  /** The file, relative to the folder: a shard name, or one inside {@linkcode PREPARE_STAGING}. */
  readonly file: string;
  /** The split its name says. */
  readonly split: ShardSplit;
  /** Its token count, as its header must say. */
  readonly tokens: number;
}

/** What {@linkcode SHARD_LIST} holds. */
export interface ShardList {
  /** Always `"llm.c token shards"`: marks the file as this list. */
  readonly format: "llm.c token shards";
  /** The encoding the tokens are in (what `prepare` was run with). */
  readonly encoding: string;
  /** The set, in order. */
  readonly shards: readonly ShardListEntry[];
  /**
   * Only while a `prepare` run moves its set in (its shards are still in the staging folder):
   * the older shards that it removes from the folder.
   */
  readonly replaces?: readonly string[];
}

/** Whether the list's set is still in the staging folder (a `prepare` run is moving it in). */
export function isStaged(list: ShardList): boolean {
  return list.shards.some((shard) => STAGED.test(shard.file));
}

/** The list as written: one shard a line, so that it reads well and diffs well. */
export function encodeShardList(list: ShardList): string {
  const lines = list.shards.map((shard) => `    ${JSON.stringify(shard)}`);
  const head = `{\n  "format": ${JSON.stringify(list.format)},\n  "encoding": ${
    JSON.stringify(list.encoding)
  },\n`;
  const replaces = list.replaces === undefined
    ? ""
    : `,\n  "replaces": ${JSON.stringify(list.replaces)}`;
  return `${head}  "shards": [\n${lines.join(",\n")}\n  ]${replaces}\n}\n`;
}

/**
 * Reads and checks `dir`'s {@linkcode SHARD_LIST}; undefined when there is none. Anything but a
 * regular file holding such a list is an {@linkcode InputError} naming the file (a file of that
 * name that is not the list is never taken for one, nor replaced).
 */
export async function readShardList(dir: string): Promise<ShardList | undefined> {
  const path = `${dir}/${SHARD_LIST}`;
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const problem = (what: string) =>
    new InputError(
      path,
      `is not the list of shards prepare writes: ${what}; a folder with a ${SHARD_LIST} is ` +
        `read as the shards it lists (move the file away to read every .bin file instead)`,
    );
  if (!info.isFile) throw problem(`it is ${entryKind(info)}, not a regular file`);
  if (info.size > MAX_LIST_BYTES) throw problem(`it has ${info.size} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw problem(`it is not JSON (${error.message})`);
  }
  const list = parsed as Partial<ShardList> | null;
  if (typeof list !== "object" || list === null || list.format !== "llm.c token shards") {
    throw problem(`it has no "format": "llm.c token shards"`);
  }
  if (typeof list.encoding !== "string") throw problem(`its "encoding" is not a string`);
  if (!Array.isArray(list.shards)) throw problem(`its "shards" is not a list`);
  const files = new Set<string>();
  list.shards.forEach((shard: Partial<ShardListEntry> | null, i: number) => {
    const file = shard?.file;
    if (typeof file !== "string" || !PREPARED_SHARD_NAME.test(file.replace(STAGED, ""))) {
      throw problem(`shards[${i}].file is not a shard name like train_000001.bin`);
    }
    if (files.has(file)) throw problem(`${file} is listed twice`);
    files.add(file);
    if (shard!.split !== shardSplitOf(file.replace(STAGED, ""))) {
      throw problem(`shards[${i}].split is not the split its name says`);
    }
    const tokens = shard!.tokens;
    if (!Number.isInteger(tokens) || tokens! < 0 || tokens! > MAX_SHARD_TOKENS) {
      throw problem(`shards[${i}].tokens is not a token count`);
    }
  });
  const staged = list.shards.filter((shard) => STAGED.test(shard.file)).length;
  if (staged !== 0 && staged !== list.shards.length) {
    throw problem(`some of its shards are in ${PREPARE_STAGING}, some not`);
  }
  const replaces = list.replaces;
  if (replaces !== undefined) {
    if (
      staged === 0 || !Array.isArray(replaces) ||
      !replaces.every((name) => typeof name === "string" && PREPARED_SHARD_NAME.test(name))
    ) {
      throw problem(`its "replaces" is not a list of shard names of a set being moved in`);
    }
  }
  return list as ShardList;
}
