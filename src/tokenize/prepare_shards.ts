import { FileSystemError, InputError } from "../util/errors.ts";
import { checkBoolean, checkInteger, checkOptions, describe } from "../util/checks.ts";
import { checkEncodingName, type EncodingName, ENCODINGS, TiktokenError } from "./bpe_tokenizer.ts";
import { BpeWorkerPool } from "./bpe_worker_pool.ts";
import { decodeUtf8 } from "../util/utf8.ts";
import { lastSafeCut, nextSafeCut } from "./safe_cut.ts";
import {
  MAX_SHARD_TOKENS,
  PREPARE_COMMIT_RECORD,
  PREPARE_STAGING,
  shardFileName,
  type ShardInfo,
  type ShardSplit,
  type ShardVersion,
  shardVersionFor,
} from "../formats/shard_format.ts";
import { parentDir, pathExists } from "../util/atomic_file.ts";
import { openRegularFile, statRegularFile } from "../util/regular_file.ts";
import { ShardWriter } from "../formats/shard_writer.ts";

/** Options of {@linkcode prepareShards}. */
export interface PrepareShardsOptions {
  /** The folder the shards are written to; created when missing. */
  outDir: string;
  /** The encoding. Default: `"gpt2"`. */
  encoding?: EncodingName;
  /** Tokens per shard (the last of each split may hold fewer). Default: 100,000,000, as llm.c. */
  shardTokens?: number;
  /**
   * Write the first ⌈valFraction × input bytes⌉ bytes (rounded up to the next place where a
   * pre-token starts, or to the end of a document) to validation shards `val_…` before the
   * training shards `train_…`. Default: no validation split. Must be in (0, 1).
   */
  valFraction?: number;
  /** Replace existing shards of the folder (and remove those this run does not write). */
  overwrite?: boolean;
  /**
   * Web Workers that tokenize, each ~40 MB (its own V8 heap and tiktoken tables, gpt2). Default:
   * `min(navigator.hardwareConcurrency, 4)`, so that peak memory stays bounded on machines with
   * many cores; pass more to go faster there.
   */
  workers?: number;
  /** Bytes read from a file at a time. Default: 1 MiB. */
  chunkBytes?: number;
  /** Called after each piece of text is tokenized and written. */
  onProgress?: (progress: PrepareProgress) => void;
  /**
   * Called at each step of moving the finished set into place (after the commit record is
   * written, after each shard is moved, once committed); the step waits for a returned promise.
   * For progress displays and fault-injection tests.
   */
  onCommitStep?: (step: PrepareCommitStep) => void | Promise<void>;
}

/** A step of {@linkcode prepareShards}' commit. */
export type PrepareCommitStep =
  | { readonly step: "recorded" }
  | { readonly step: "moved-aside" | "moved-in"; readonly name: string }
  | { readonly step: "committed" };

/** What {@linkcode PREPARE_COMMIT_RECORD} holds: enough to put the folder back as it was. */
interface CommitRecord {
  /** The new shards' names, in the staging folder until moved in. */
  readonly shards: readonly string[];
  /** The folder's earlier shards, moved to `staging/old/` before the new ones move in. */
  readonly old: readonly string[];
}

/**
 * Puts a shard folder back as it was before an interrupted `prepareShards` run: undoes a
 * commit that was stopped half-way (its record names every move), then removes the staging
 * folder. Returns whether there was anything to clean.
 */
async function recoverInterruptedPrepare(dir: string): Promise<boolean> {
  const recordPath = `${dir}/${PREPARE_COMMIT_RECORD}`;
  const staging = `${dir}/${PREPARE_STAGING}`;
  let record: CommitRecord | undefined;
  try {
    const info = await Deno.lstat(recordPath);
    // written atomically by prepareShards, so never torn; still, only its shard names are used
    const parsed = info.isFile ? JSON.parse(await Deno.readTextFile(recordPath)) : {};
    const names = (list: unknown) =>
      Array.isArray(list) ? list.filter((n) => typeof n === "string" && SHARD_NAME.test(n)) : [];
    record = { shards: names(parsed?.shards), old: names(parsed?.old) };
  } catch (error) {
    if (error instanceof SyntaxError) record = { shards: [], old: [] };
    else if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (record !== undefined) {
    const old = new Set(record.old);
    for (const name of record.shards) {
      if (await isMovedIn(dir, name, old)) await Deno.remove(`${dir}/${name}`);
    }
    for (const name of record.old) {
      if (await pathExists(`${staging}/old/${name}`)) {
        await Deno.rename(`${staging}/old/${name}`, `${dir}/${name}`);
      }
    }
    await Deno.remove(recordPath);
  }
  const debris = await pathExists(staging);
  if (debris) await Deno.remove(staging, { recursive: true });
  return record !== undefined || debris;
}

/**
 * Whether `dir/name` is a new shard that an interrupted commit moved in: not an old shard still
 * in place, not a file that appeared there meanwhile (a new shard is linked in, then unlinked
 * from the staging folder, so while both names exist they are one file).
 */
async function isMovedIn(dir: string, name: string, old: ReadonlySet<string>): Promise<boolean> {
  const staging = `${dir}/${PREPARE_STAGING}`;
  if (old.has(name) && !await pathExists(`${staging}/old/${name}`)) return false;
  let target: Deno.FileInfo;
  try {
    target = await Deno.lstat(`${dir}/${name}`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
  try {
    const staged = await Deno.lstat(`${staging}/${name}`);
    return staged.ino === target.ino && staged.dev === target.dev;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return true;
    throw error;
  }
}

/** Moves a file to a name that must be free (a link, then an unlink): nothing is replaced. */
async function moveToFreeName(from: string, to: string): Promise<void> {
  try {
    await Deno.link(from, to);
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new InputError(to, "appeared while the shards were being moved into place; it is kept");
    }
    throw error;
  }
  await Deno.remove(from);
}

/** The size and modification time of an input, to notice it changing while it is read. */
function fingerprint(info: Deno.FileInfo): string {
  return `${info.size} bytes, modified ${info.mtime?.toISOString() ?? "at an unknown time"}`;
}

/** How far {@linkcode prepareShards} has come. */
export interface PrepareProgress {
  /** Bytes of input tokenized and written so far. */
  readonly bytesDone: number;
  /** Bytes of all inputs. */
  readonly totalBytes: number;
  /** Tokens written so far. */
  readonly tokens: number;
  /** Seconds since the start. */
  readonly seconds: number;
}

/** What {@linkcode prepareShards} wrote. */
export interface PrepareSummary {
  /** The encoding. */
  readonly encoding: EncodingName;
  /** 1 (uint16 tokens) or 2 (uint32 tokens). */
  readonly version: ShardVersion;
  /** The input files, one document each. */
  readonly files: number;
  /** Bytes of all inputs. */
  readonly bytes: number;
  /** Tokens written, every document's `<|endoftext|>` included. */
  readonly tokens: number;
  /** Tokens in validation shards. */
  readonly valTokens: number;
  /** Tokens in training shards. */
  readonly trainTokens: number;
  /** The shards, in order, each with its split. */
  readonly shards: readonly (ShardInfo & { readonly split: ShardSplit })[];
  /** Seconds from start to end. */
  readonly seconds: number;
}

/** Tokens per shard by default: llm.c's shard size. */
export const DEFAULT_SHARD_TOKENS = 100_000_000;
/** The most workers `prepareShards` starts by default (each costs ~40 MB). */
export const DEFAULT_PREPARE_WORKERS = 4;
/** Bytes read at a time by default. */
export const DEFAULT_CHUNK_BYTES = 1 << 20;
/** The most workers `prepareShards` starts when asked. */
export const MAX_PREPARE_WORKERS = 256;
/** The most bytes `prepareShards` reads at a time when asked. */
export const MAX_CHUNK_BYTES = 1 << 30;
const SHARD_NAME = /^(?:train|val)_\d{6,}\.bin$/;
/** The most characters of a file held while looking for a place to cut it: 64 Mi. */
const MAX_UNCUT_CHARS = 64 * 1024 * 1024;

/** The error for an input that changed while it was read. */
function changed(path: string): InputError {
  return new InputError(
    path,
    "changed while it was read (its size or modification time is not what it was at the start); " +
      "nothing was written: run prepare again once the file is complete",
  );
}

/** UTF-8 bytes of `text[from..to)` (text decoded from UTF-8 has no lone surrogates). */
function utf8Length(text: string, from = 0, to = text.length): number {
  let bytes = 0;
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** The first index of `text` where at least `bytes` UTF-8 bytes precede it. */
function indexAfterBytes(text: string, bytes: number): number {
  let index = 0;
  let counted = 0;
  while (index < text.length && counted < bytes) {
    counted += utf8Length(text, index, index + 1);
    index += text.charCodeAt(index) >= 0xd800 && text.charCodeAt(index) <= 0xdbff ? 2 : 1;
  }
  return index;
}

/** How many leading bytes form whole UTF-8 sequences; the rest wait for the next chunk. */
function completeUtf8Length(bytes: Uint8Array): number {
  for (let i = bytes.length - 1; i >= Math.max(0, bytes.length - 3); i--) {
    const byte = bytes[i];
    if (byte < 0x80) return bytes.length;
    if (byte >= 0xc0) {
      const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
      return i + needed > bytes.length ? i : bytes.length;
    }
  }
  return bytes.length;
}

/** Writes tokens into consecutive shards of one split, then the next. */
class ShardSink {
  readonly #dir: string;
  readonly #shardTokens: number;
  readonly #version: ShardVersion;
  #split: ShardSplit;
  #writer: ShardWriter | undefined;
  /** The finished shards' file names and headers, in order. */
  readonly shards: { name: string; info: ShardInfo; split: ShardSplit }[] = [];

  constructor(dir: string, shardTokens: number, version: ShardVersion, split: ShardSplit) {
    this.#dir = dir;
    this.#shardTokens = shardTokens;
    this.#version = version;
    this.#split = split;
  }

  async write(ids: Uint32Array): Promise<void> {
    let offset = 0;
    while (offset < ids.length) {
      this.#writer ??= await ShardWriter.create(
        `${this.#dir}/${shardFileName(this.#split, this.shards.length)}`,
        { version: this.#version },
      );
      const take = Math.min(ids.length - offset, this.#shardTokens - this.#writer.tokenCount);
      await this.#writer.write(ids.subarray(offset, offset + take));
      offset += take;
      if (this.#writer.tokenCount === this.#shardTokens) await this.#closeShard();
    }
  }

  async #closeShard(): Promise<void> {
    if (this.#writer === undefined) return;
    const info = await this.#writer.close();
    this.#writer = undefined;
    this.shards.push({
      name: shardFileName(this.#split, this.shards.length),
      info,
      split: this.#split,
    });
  }

  async startSplit(split: ShardSplit): Promise<void> {
    await this.#closeShard();
    this.#split = split;
  }

  finish(): Promise<void> {
    return this.#closeShard();
  }

  async abort(): Promise<void> {
    await this.#writer?.abort();
  }
}

/** A piece of text on its way through the workers, or the start of the training split. */
type Pending = { ids: Promise<Uint32Array>; bytesDone: number } | "train";

/** {@linkcode prepareShards}' options, checked, with their defaults filled in. */
interface PrepareSettings {
  outDir: string;
  encoding: EncodingName;
  shardTokens: number;
  valFraction: number | undefined;
  chunkBytes: number;
  workers: number;
  overwrite: boolean;
  onProgress: ((progress: PrepareProgress) => void) | undefined;
  onCommitStep: (step: PrepareCommitStep) => void | Promise<void>;
}

/** Checks the arguments before any work; an {@linkcode InputError} names a bad one. */
function checkPrepareArguments(
  files: readonly string[],
  options: PrepareShardsOptions,
): PrepareSettings {
  if (!Array.isArray(files) || files.length === 0 || files.some((f) => typeof f !== "string")) {
    throw new InputError("files", `must be a non-empty list of paths, got ${describe(files)}`);
  }
  checkOptions(options, "{ outDir, encoding?, shardTokens?, valFraction?, ... }");
  checkBoolean("overwrite", options.overwrite);
  if (options.onProgress !== undefined && typeof options.onProgress !== "function") {
    throw new InputError("onProgress", `must be a function, got ${describe(options.onProgress)}`);
  }
  const outDir = options.outDir;
  if (typeof outDir !== "string" || outDir === "") {
    throw new InputError("outDir", `must be a folder's path, got ${describe(outDir)}`);
  }
  const encoding = options.encoding ?? "gpt2";
  checkEncodingName(encoding);
  const shardTokens = options.shardTokens ?? DEFAULT_SHARD_TOKENS;
  checkInteger("shardTokens", shardTokens, 1, MAX_SHARD_TOKENS);
  const valFraction = options.valFraction;
  if (
    valFraction !== undefined &&
    (typeof valFraction !== "number" || !(valFraction > 0 && valFraction < 1))
  ) {
    throw new InputError(
      "valFraction",
      `must be a number between 0 and 1 (exclusive), got ${describe(valFraction)}`,
    );
  }
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  checkInteger("chunkBytes", chunkBytes, 1, MAX_CHUNK_BYTES);
  const workers = options.workers ??
    Math.min(navigator.hardwareConcurrency, DEFAULT_PREPARE_WORKERS);
  checkInteger("workers", workers, 1, MAX_PREPARE_WORKERS);
  return {
    outDir,
    encoding,
    shardTokens,
    valFraction,
    chunkBytes,
    workers,
    overwrite: options.overwrite ?? false,
    onProgress: options.onProgress,
    onCommitStep: options.onCommitStep ?? (() => {}),
  };
}

/** Each input as it is at the start (it must not change while read), and their total size. */
async function measureInputs(
  files: readonly string[],
): Promise<{ totalBytes: number; before: Map<string, Deno.FileInfo> }> {
  let totalBytes = 0;
  const before = new Map<string, Deno.FileInfo>();
  for (const file of files) {
    const info = await statRegularFile(file, file);
    before.set(file, info);
    totalBytes += info.size;
  }
  return { totalBytes, before };
}

/** Creates `dir` and its missing parents; returns the folders it created, outermost last. */
async function makeOutputFolder(dir: string): Promise<string[]> {
  const created: string[] = [];
  // (a path that cannot be looked at counts as existing: mkdir then says what is wrong)
  const exists = (path: string) => pathExists(path).catch(() => true);
  for (let path = dir; !await exists(path); path = parentDir(path)) {
    created.push(path);
    if (parentDir(path) === path) break;
  }
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists || error instanceof Deno.errors.NotADirectory) {
      throw new InputError(dir, "is not a folder");
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new InputError(dir, `cannot be created (${error.message})`);
    }
    throw error;
  }
  return created;
}

/**
 * The folder's shards from before (after putting back a run stopped earlier and removing its
 * debris); they are an {@linkcode InputError} unless `overwrite`.
 */
async function existingShards(dir: string, overwrite: boolean): Promise<string[]> {
  await recoverInterruptedPrepare(dir);
  const existing: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (SHARD_NAME.test(entry.name)) existing.push(entry.name);
  }
  existing.sort();
  if (existing.length > 0 && !overwrite) {
    throw new InputError(
      dir,
      `already holds shards (${existing.slice(0, 3).join(", ")}${
        existing.length > 3 ? ", …" : ""
      }); they are kept (replace them: overwrite: true)`,
    );
  }
  return existing;
}

/** Makes the staging folder the new set is built in. */
async function makeStaging(dir: string): Promise<string> {
  const staging = `${dir}/${PREPARE_STAGING}`;
  try {
    await Deno.mkdir(staging);
  } catch (error) {
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new InputError(dir, `is not writable (${error.message})`);
    }
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new InputError(dir, `is being prepared by another run (${PREPARE_STAGING} appeared)`);
    }
    throw error;
  }
  return staging;
}

/**
 * Text in, ids out in order: pieces are encoded on the workers (at most `2 × workers` in
 * flight), written to the sink as they come back in order, and the validation split ends at the
 * first safe cut at or after its share of the input bytes.
 */
class TokenPipeline {
  readonly #pool: BpeWorkerPool;
  readonly #sink: ShardSink;
  readonly #pending: Pending[] = [];
  readonly #maxPending: number;
  readonly #valTarget: number;
  readonly #report: (bytesDone: number, tokens: number) => void;
  #inputBytes = 0; // input bytes before the text being cut
  #valPending: boolean;
  #path = "";
  /** Tokens written so far. */
  tokens = 0;
  /** Tokens of the validation split. */
  valTokens = 0;

  constructor(
    pool: BpeWorkerPool,
    sink: ShardSink,
    workers: number,
    valTarget: number,
    report: (bytesDone: number, tokens: number) => void,
  ) {
    this.#pool = pool;
    this.#sink = sink;
    this.#maxPending = 2 * workers;
    this.#valTarget = valTarget;
    this.#valPending = valTarget >= 0;
    this.#report = report;
  }

  async #drainOne(): Promise<void> {
    const next = this.#pending.shift()!;
    if (next === "train") {
      await this.#sink.startSplit("train");
      this.valTokens = this.tokens;
      return;
    }
    const ids = await next.ids;
    await this.#sink.write(ids);
    this.tokens += ids.length;
    this.#report(next.bytesDone, this.tokens);
  }

  async #submit(item: Pending): Promise<void> {
    // a failure surfaces when the item is drained, in order; until then it must not be unhandled
    if (item !== "train") item.ids.catch(() => {});
    this.#pending.push(item);
    while (this.#pending.length > this.#maxPending) await this.#drainOne();
  }

  /** Starts a document: the validation split ends before it if its share is done, then `eot`. */
  async startDocument(path: string, eot: Uint32Array): Promise<void> {
    this.#path = path;
    if (this.#valPending && this.#inputBytes >= this.#valTarget) {
      await this.#submit("train");
      this.#valPending = false;
    }
    await this.#submit({ ids: Promise.resolve(eot), bytesDone: this.#inputBytes });
  }

  /** Encodes a piece of the current document (cut where a pre-token starts). */
  async submitText(text: string): Promise<void> {
    if (text === "") return;
    const bytes = utf8Length(text);
    const path = this.#path;
    const encode = (piece: string) =>
      this.#pool.encodeOrdinary(piece, { chunkChars: piece.length }).catch((error) => {
        // a trap inside tiktoken, named with the file it happened in
        throw error instanceof TiktokenError
          ? new TiktokenError(`${path}: ${error.message}`, { cause: error })
          : error;
      });
    const inputBytes = this.#inputBytes;
    if (this.#valPending && inputBytes + bytes >= this.#valTarget) {
      // validation ends at the first safe cut (or the document's end) at or after the target
      const cut = nextSafeCut(text, indexAfterBytes(text, this.#valTarget - inputBytes));
      const valPart = cut < 0 ? text : text.slice(0, cut);
      const valBytes = cut < 0 ? bytes : utf8Length(valPart);
      await this.#submit({ ids: encode(valPart), bytesDone: inputBytes + valBytes });
      await this.#submit("train");
      this.#valPending = false;
      if (cut >= 0) {
        await this.#submit({ ids: encode(text.slice(cut)), bytesDone: inputBytes + bytes });
      }
    } else {
      await this.#submit({ ids: encode(text), bytesDone: inputBytes + bytes });
    }
    this.#inputBytes += bytes;
  }

  /** Ends the validation split if it is still open, and writes everything still in flight. */
  async finish(): Promise<void> {
    if (this.#valPending) await this.#submit("train");
    while (this.#pending.length > 0) await this.#drainOne();
  }
}

/**
 * Streams a file's text into `submitText` in pieces cut only where a pre-token starts, decoding
 * UTF-8 strictly; the file must be the one measured at the start (`before`), read to its end.
 */
async function streamFile(
  path: string,
  before: Deno.FileInfo,
  chunkBytes: number,
  submitText: (text: string) => Promise<void>,
): Promise<void> {
  const opened = await openRegularFile(path, path);
  using file = opened.file;
  if (fingerprint(opened.info) !== fingerprint(before)) throw changed(path);
  const buffer = new Uint8Array(chunkBytes + 3);
  let carried = 0; // bytes of an incomplete UTF-8 character at the start of `buffer`
  let fileOffset = 0; // offset in the file of `buffer[0]`
  let text = ""; // decoded text after the last cut
  let scanned = 1; // safe cuts before this index of `text` were looked for already
  while (true) {
    const read = await file.read(buffer.subarray(carried, carried + chunkBytes));
    const filled = carried + (read ?? 0);
    const complete = read === null ? filled : completeUtf8Length(buffer.subarray(0, filled));
    text += decodeUtf8(buffer.subarray(0, complete), path, fileOffset);
    buffer.copyWithin(0, complete, filled);
    carried = filled - complete;
    fileOffset += complete;
    if (read === null) break;
    const cut = lastSafeCut(text, scanned);
    if (cut > 0) {
      await submitText(text.slice(0, cut));
      text = text.slice(cut);
    }
    scanned = Math.max(1, text.length);
    if (text.length > MAX_UNCUT_CHARS) {
      throw new InputError(
        path,
        `has ${MAX_UNCUT_CHARS} characters without a place to cut before byte offset ` +
          `${fileOffset} (a space or tab after a word, or a lone newline); prepare holds at ` +
          `most that much of a file at a time`,
      );
    }
  }
  // the file must be the one measured at the start, read to its end
  const after = await file.stat();
  if (fileOffset !== before.size || fingerprint(after) !== fingerprint(opened.info)) {
    throw changed(path);
  }
  await submitText(text);
}

/**
 * Moves the finished set into place. The commit record names every move before the first one,
 * so that the folder can be put back as it was at any point; readers refuse the folder while it
 * is there, and removing it is the commit. On failure the folder is put back as it was.
 */
async function commitShards(
  dir: string,
  staging: string,
  record: CommitRecord,
  step: (step: PrepareCommitStep) => void | Promise<void>,
): Promise<void> {
  const recordPath = `${dir}/${PREPARE_COMMIT_RECORD}`;
  try {
    await Deno.writeTextFile(`${staging}/commit.json`, JSON.stringify(record));
    await Deno.rename(`${staging}/commit.json`, recordPath);
    await step({ step: "recorded" });
    if (record.old.length > 0) await Deno.mkdir(`${staging}/old`);
    for (const name of record.old) {
      await Deno.rename(`${dir}/${name}`, `${staging}/old/${name}`);
      await step({ step: "moved-aside", name });
    }
    for (const name of record.shards) {
      // the old shards are aside: every name is free unless a file appeared meanwhile
      await moveToFreeName(`${staging}/${name}`, `${dir}/${name}`);
      await step({ step: "moved-in", name });
    }
    await Deno.remove(recordPath);
  } catch (error) {
    // put the folder back as it was, if the file system lets us
    await recoverInterruptedPrepare(dir).catch(() => {});
    throw FileSystemError.from(error, "move the shards into", dir);
  }
  await step({ step: "committed" });
}

/**
 * Prepares token shards in llm.c's format from text files of any size: each file is one
 * document, preceded by `<|endoftext|>` and encoded as ordinary text (special-token strings in
 * it are just text, as llm.c's data scripts do). Files are streamed in chunks and cut only where
 * a pre-token starts, then tokenized on Web Workers, so the ids equal a single-threaded
 * `[eot, ...encodeOrdinary(text)]` per document while memory stays bounded.
 *
 * Shards hold `shardTokens` tokens each and are named `val_000000.bin` (with `valFraction`) and
 * `train_000001.bin`, … in one numbering. Existing shards there are an {@linkcode InputError}
 * (before any work) unless `overwrite` is set.
 *
 * **All or nothing.** The set is built in the hidden folder `outDir/.prepare-staging` and moved
 * into place only when every file was read to its end unchanged (an input whose size or
 * modification time changes while it is read is an {@linkcode InputError}). Before the first
 * move, a commit record (`outDir/.prepare-commit.json`) names every move: the earlier shards
 * go aside into the staging folder, the new ones come in, and removing the record is the
 * commit. A run that fails leaves the folder as it was; a run that is killed leaves it as it
 * was, or complete, or (killed during the moves) marked by the record, which every reader
 * (`listShards`, `readShard…`, `ShardDataset`, `ShardDataLoader`) refuses. The next run into
 * the folder first puts it back as it was and removes the debris of the stopped run. Folders
 * made by other tools (llm.c's scripts) have no record and load as they are. Run one
 * `prepareShards` per folder at a time.
 *
 * @example
 * ```ts
 * import { BpeTokenizer, listShards, prepareShards, readShard } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * await Deno.mkdir(".tmp", { recursive: true });
 * const dir = await Deno.makeTempDir({ dir: ".tmp" });
 * await Deno.writeTextFile(`${dir}/a.txt`, "It had always been <|endoftext|> to me.");
 * await Deno.writeTextFile(`${dir}/b.txt`, "I HAD always thought Jack Gisburn rather a cheap genius.");
 * const summary = await prepareShards([`${dir}/a.txt`, `${dir}/b.txt`], {
 *   outDir: `${dir}/shards`,
 *   shardTokens: 8,
 *   valFraction: 0.2,
 * });
 * const shards = await listShards(`${dir}/shards`);
 * assert.deepEqual([shards[0].split, shards.at(-1)!.split], ["val", "train"]);
 * const tokens = (await Promise.all(shards.map((s) => readShard(s.path)))).flatMap((t) => [...t]);
 * using gpt2 = new BpeTokenizer("gpt2");
 * const expected = [50256, ...gpt2.encodeOrdinary(await Deno.readTextFile(`${dir}/a.txt`))];
 * expected.push(50256, ...gpt2.encodeOrdinary(await Deno.readTextFile(`${dir}/b.txt`)));
 * assert.deepEqual(tokens, expected);
 * assert.equal(summary.tokens, expected.length);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @param files The input files, UTF-8 text.
 * @param options Where to write, the encoding, the shard size and the validation fraction.
 * @returns What was written.
 */
export async function prepareShards(
  files: readonly string[],
  options: PrepareShardsOptions,
): Promise<PrepareSummary> {
  const start = performance.now();
  const settings = checkPrepareArguments(files, options);
  const { totalBytes, before } = await measureInputs(files);
  const dir = settings.outDir.replace(/(.)[\\/]+$/, "$1");
  // the folders this run creates: removed again if the run fails
  const created = await makeOutputFolder(dir);
  try {
    const existing = await existingShards(dir, settings.overwrite);
    using pool = new BpeWorkerPool(settings.encoding, { workers: settings.workers });
    const staging = await makeStaging(dir);
    const info = ENCODINGS[settings.encoding];
    const eot = Uint32Array.of(info.specialTokens["<|endoftext|>"]);
    const version = shardVersionFor(info.vocabSize);
    const { valFraction } = settings;
    const valTarget = valFraction === undefined ? -1 : Math.ceil(valFraction * totalBytes);
    const firstSplit = valTarget < 0 ? "train" : "val";
    const sink = new ShardSink(staging, settings.shardTokens, version, firstSplit);
    const report = (bytesDone: number, tokens: number) =>
      settings.onProgress?.({
        bytesDone,
        totalBytes,
        tokens,
        seconds: (performance.now() - start) / 1000,
      });
    const pipeline = new TokenPipeline(pool, sink, settings.workers, valTarget, report);
    try {
      for (const path of files) {
        await pipeline.startDocument(path, eot);
        await streamFile(
          path,
          before.get(path)!,
          settings.chunkBytes,
          (text) => pipeline.submitText(text),
        );
      }
      await pipeline.finish();
      await sink.finish();
    } catch (error) {
      await sink.abort();
      await Deno.remove(staging, { recursive: true }).catch(() => {});
      throw error;
    }
    // Every file is prepared: move the set into place.
    const record = { shards: sink.shards.map(({ name }) => name), old: existing };
    await commitShards(dir, staging, record, settings.onCommitStep);
    await Deno.remove(staging, { recursive: true });
    const { tokens, valTokens } = pipeline;
    return {
      encoding: settings.encoding,
      version,
      files: files.length,
      bytes: totalBytes,
      tokens,
      valTokens,
      trainTokens: tokens - valTokens,
      shards: sink.shards.map(({ name, info, split }) => ({
        ...info,
        path: `${dir}/${name}`,
        split,
      })),
      seconds: (performance.now() - start) / 1000,
    };
  } catch (error) {
    // a failed run leaves no folder of its own behind (each removed only while empty)
    for (const path of created) {
      if (!await Deno.remove(path).then(() => true, () => false)) break;
    }
    throw error;
  }
}
