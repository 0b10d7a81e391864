import { FileSystemError, InputError, systemErrorCode } from "../util/errors.ts";
import { checkBoolean, checkInteger, checkOptions, describe } from "../util/checks.ts";
import { checkEncodingName, type EncodingName, ENCODINGS, TiktokenError } from "./bpe_tokenizer.ts";
import { BpeWorkerPool } from "./bpe_worker_pool.ts";
import { decodeUtf8 } from "../util/utf8.ts";
import { lastSafeCut, nextSafeCut } from "./safe_cut.ts";
import {
  MAX_SHARD_TOKENS,
  shardFileName,
  type ShardInfo,
  type ShardSplit,
  type ShardVersion,
  shardVersionFor,
} from "../formats/shard_format.ts";
import {
  encodeShardList,
  isStaged,
  PREPARE_STAGING,
  PREPARED_SHARD_NAME,
  readShardList,
  SHARD_LIST,
  type ShardList,
  type ShardListEntry,
} from "../formats/shard_list.ts";
import { baseName, parentDir, pathExists } from "../util/atomic_file.ts";
import { entryKind, openRegularFile, statRegularFile } from "../util/regular_file.ts";
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
   * Called when another `prepareShards` run holds the folder (a run locks it, and a new folder's
   * parent, until it ends) and this one waits for it: one run per folder at a time.
   */
  onWait?: () => void;
  /**
   * Called at each step of putting the finished set in place (once it is what readers see, after
   * each older shard is removed and each new one linked in, once done); the step waits for a
   * returned promise. For progress displays and fault-injection tests.
   */
  onCommitStep?: (step: PrepareCommitStep) => void | Promise<void>;
}

/** A step of {@linkcode prepareShards}' commit. */
export type PrepareCommitStep =
  | { readonly step: "committed" }
  | { readonly step: "removed" | "linked"; readonly name: string }
  | { readonly step: "done" };

/** What prepare itself puts in a staging folder: nothing else is ever removed with it. */
const STAGING_ENTRY =
  /^(?:(?:train|val)_\d{6,}\.bin|\.(?:train|val)_\d{6,}\.bin\.[0-9a-f]{8}\.tmp|shards\.json|\.shards\.json\.tmp)$/;

/**
 * Removes a staging folder and what prepare put in it; a file it did not put there is kept,
 * and so is the folder then (an {@linkcode InputError} says so).
 */
async function removeStaging(staging: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(staging);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  if (!info.isDirectory) {
    throw new InputError(
      staging,
      `is ${entryKind(info)}; prepare builds its shards in a folder of this name: move it away`,
    );
  }
  for await (const entry of Deno.readDir(staging)) {
    if (entry.isFile && STAGING_ENTRY.test(entry.name)) {
      await Deno.remove(`${staging}/${entry.name}`);
    }
  }
  try {
    await Deno.remove(staging);
  } catch (error) {
    if (systemErrorCode(error) !== "ENOTEMPTY") throw error;
    throw new InputError(
      staging,
      "holds files that prepare did not put there; they are kept: move them away, then run " +
        "prepare again",
    );
  }
}

/** Writes a shard list to a temporary file in `staging`, then renames it to `dir`'s list. */
async function swapShardList(dir: string, staging: string, list: ShardList): Promise<void> {
  const temporary = `${staging}/.${SHARD_LIST}.tmp`;
  await Deno.writeTextFile(temporary, encodeShardList(list));
  await Deno.rename(temporary, `${dir}/${SHARD_LIST}`);
}

/** Hard-links a staged shard to its name in the folder (done already when one file). */
async function linkIn(from: string, to: string): Promise<void> {
  try {
    await Deno.link(from, to);
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    const [staged, placed] = await Promise.all([Deno.lstat(from), Deno.lstat(to)]);
    if (staged.ino === placed.ino && staged.dev === placed.dev) return; // a stopped run's link
    throw new InputError(
      to,
      `appeared while the new shards were being put in place; it is kept (the new set is ` +
        `complete, listed in ${SHARD_LIST}): move it away, then run prepare again to finish`,
    );
  }
}

/**
 * Puts a set that is listed but still staged (the run that committed it may have been stopped
 * at any step since) under the shards' own names: removes the older shards it replaces, links
 * the new ones in, lists them there, and removes the staging folder. Each step can be repeated,
 * and readers see the new set throughout.
 */
async function placeStagedSet(
  dir: string,
  list: ShardList,
  step: (step: PrepareCommitStep) => void | Promise<void>,
): Promise<void> {
  const staging = `${dir}/${PREPARE_STAGING}`;
  for (const name of list.replaces ?? []) {
    await Deno.remove(`${dir}/${name}`).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
    await step({ step: "removed", name });
  }
  const shards: ShardListEntry[] = [];
  for (const shard of list.shards) {
    const name = shard.file.slice(PREPARE_STAGING.length + 1);
    await linkIn(`${dir}/${shard.file}`, `${dir}/${name}`);
    shards.push({ ...shard, file: name });
    await step({ step: "linked", name });
  }
  await swapShardList(dir, staging, { format: list.format, encoding: list.encoding, shards });
  await removeStaging(staging);
}

/**
 * Leaves a shard folder as the last `prepareShards` run into it left it committed: a set that
 * run listed is put in place; an uncommitted one (the run was stopped before) is removed.
 */
async function finishStoppedRun(dir: string): Promise<void> {
  const list = await readShardList(dir);
  if (list !== undefined && isStaged(list)) await placeStagedSet(dir, list, () => {});
  else await removeStaging(`${dir}/${PREPARE_STAGING}`);
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
  onWait: () => void;
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
  for (const name of ["onProgress", "onWait", "onCommitStep"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "function") {
      throw new InputError(name, `must be a function, got ${describe(options[name])}`);
    }
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
    onWait: options.onWait ?? (() => {}),
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

/**
 * Creates `dir` and its missing parents; returns the folders it created, outermost last. Errors
 * name `outDir`, the folder asked for.
 */
async function makeOutputFolder(dir: string, outDir: string): Promise<string[]> {
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
      throw new InputError(outDir, "is not a folder");
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new InputError(outDir, `cannot be created (${error.message})`);
    }
    throw error;
  }
  return created;
}

/**
 * The folder's shards from before (after finishing or removing what a stopped run left); they
 * are an {@linkcode InputError} unless `overwrite`, and so is a `.bin` file prepare does not name.
 */
async function existingShards(dir: string, overwrite: boolean): Promise<string[]> {
  await finishStoppedRun(dir);
  const existing: string[] = [];
  const foreign: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (PREPARED_SHARD_NAME.test(entry.name)) existing.push(entry.name);
    else if (!entry.name.startsWith(".") && entry.name.endsWith(".bin")) foreign.push(entry.name);
  }
  if (foreign.length > 0) {
    throw new InputError(
      `${dir}/${foreign.sort()[0]}`,
      "is a .bin file that prepare does not name; a folder prepare writes holds its own " +
        "shards only (val_000000.bin, train_000001.bin, …): prepare into another folder",
    );
  }
  existing.sort();
  const held = existing.length > 0
    ? existing
    : await pathExists(`${dir}/${SHARD_LIST}`)
    ? [SHARD_LIST]
    : [];
  if (held.length > 0 && !overwrite) {
    throw new InputError(
      dir,
      `already holds shards (${held.slice(0, 3).join(", ")}${
        held.length > 3 ? ", …" : ""
      }); they are kept (replace them: overwrite: true)`,
    );
  }
  return existing;
}

/** Makes the staging folder the new set is built in. */
async function makeStaging(staging: string, dir: string): Promise<void> {
  try {
    await Deno.mkdir(staging);
  } catch (error) {
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new InputError(parentDir(staging), `is not writable (${error.message})`);
    }
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new InputError(dir, `is being prepared by another run (${staging} appeared)`);
    }
    throw FileSystemError.from(error, "create", staging);
  }
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
 * **All or nothing.** The set is written only when every file was read to its end unchanged
 * (an input whose size or modification time changes while it is read is an
 * {@linkcode InputError}), and it becomes what readers see in one rename. A new folder is built
 * whole beside its place (`.NAME.prepare-staging`), {@linkcode SHARD_LIST} included, and renamed
 * into place. In a folder that exists, the set is built in `outDir/.prepare-staging` and then
 * listed: renaming the new `shards.json` over the old is the commit, after which the older
 * shards are removed and the new ones linked in under their own names. Readers (`listShards`,
 * `ShardDataset`, `ShardDataLoader`) follow the list, so a run that fails, or is killed at any
 * point, leaves them the older set or the complete new one, never a part or a mix; the next run
 * into the folder finishes a committed set's moves or removes an uncommitted one, and leaves no
 * debris. Other `.bin` files in the folder are an error (a folder prepare writes holds its own
 * shards only); folders made by other tools (llm.c's scripts) have no list and are read as every
 * `.bin` file in them. Runs into one folder take turns: a run locks the folder (and a new
 * folder's parent) until it ends, and another waits for it (`onWait` is called).
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
  // without leave to write the folder, Deno's own error says so before anything is made
  if (!await mayWrite(dir)) await Deno.mkdir(dir, { recursive: true });
  using output = await claimOutput(dir, settings.onWait);
  const { isNew, staging, created } = output;
  try {
    if (isNew) await removeStaging(staging); // what a run stopped before its rename left
    const existing = isNew ? [] : await existingShards(dir, settings.overwrite);
    const info = ENCODINGS[settings.encoding];
    const version = shardVersionFor(info.vocabSize);
    const eot = Uint32Array.of(info.specialTokens["<|endoftext|>"]);
    await makeStaging(staging, dir);
    const { sink, pipeline } = await buildSet(staging, files, before, totalBytes, {
      settings,
      version,
      eot,
      start,
    });
    // Every file is prepared: the set becomes what readers see in one rename.
    const shards = sink.shards.map(({ name, info, split }) => ({
      file: name,
      split,
      tokens: info.tokenCount,
    }));
    const list = { format: "llm.c token shards", encoding: settings.encoding, shards } as const;
    if (isNew) await commitNewFolder(staging, dir, list, settings.onCommitStep);
    else await commitIntoFolder(dir, list, existing, settings.onCommitStep);
    await settings.onCommitStep({ step: "done" });
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

/** Where a run builds its set, and the locks it holds until disposed. */
interface ClaimedOutput extends Disposable {
  /** Whether the folder is new: built whole in `staging` beside it, then renamed into place. */
  readonly isNew: boolean;
  /** The staging folder: beside a new folder, else inside the folder. */
  readonly staging: string;
  /** The folders this run created, innermost first: removed again (while empty) on failure. */
  readonly created: readonly string[];
}

/**
 * Decides how the set is built and locks what the run works in, waiting for another run that
 * holds it. A new folder is built beside its place and renamed into it whole, where this
 * program may write beside it (the tasks may); otherwise the new set is built inside the folder
 * and becomes visible by one rename of its list. Locks are `flock`s on the open folders: the
 * folder, and for a new one its parent (always in that order), so a killed run's locks go with
 * it. (On Windows, where folders cannot be opened, nothing is locked.)
 */
async function claimOutput(dir: string, onWait: () => void): Promise<ClaimedOutput> {
  const locks: Deno.FsFile[] = [];
  try {
    const parent = parentDir(dir);
    let created: string[] = [];
    let exists = await isFolder(dir);
    let isNew = false;
    if (!exists && await mayWrite(parent)) {
      created = await makeOutputFolder(parent, dir);
      locks.push(...await lockFolder(parent, onWait));
      exists = await isFolder(dir); // made meanwhile by the run that held the lock
      isNew = !exists;
    }
    if (!isNew) {
      if (!exists) created = [...await makeOutputFolder(dir, dir), ...created];
      locks.push(...await lockFolder(dir, onWait));
    }
    return {
      isNew,
      staging: isNew
        ? `${parent}/.${baseName(dir)}${PREPARE_STAGING}`
        : `${dir}/${PREPARE_STAGING}`,
      created,
      [Symbol.dispose]: () => locks.forEach((lock) => lock.close()),
    };
  } catch (error) {
    locks.forEach((lock) => lock.close());
    throw error;
  }
}

/** How long a lock is waited for before `onWait` is called. */
const LOCK_NOTICE_MS = 100;

/** An exclusive lock on a folder, held while the returned handle is open (none on Windows). */
async function lockFolder(dir: string, onWait: () => void): Promise<Deno.FsFile[]> {
  if (Deno.build.os === "windows") return [];
  const folder = await Deno.open(dir, { read: true });
  let waiting = true;
  const notice = setTimeout(() => waiting && onWait(), LOCK_NOTICE_MS);
  try {
    await folder.lock(true);
  } catch (error) {
    folder.close();
    throw error;
  } finally {
    waiting = false;
    clearTimeout(notice);
  }
  return [folder];
}

/** Whether this program was granted writing to `path` (without a prompt). */
async function mayWrite(path: string): Promise<boolean> {
  return (await Deno.permissions.query({ name: "write", path })).state === "granted";
}

/** Whether `dir` is a folder; false when nothing is there; an {@linkcode InputError} if a file. */
async function isFolder(dir: string): Promise<boolean> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    // (a parent that is a file: making the folder says so)
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return false;
    }
    throw error;
  }
  if (!info.isDirectory) throw new InputError(dir, "is not a folder");
  return true;
}

/**
 * Tokenizes every file, in order, into shards in `staging`, checking that each file is read to
 * its end unchanged. On failure the staging folder is removed.
 */
async function buildSet(
  staging: string,
  files: readonly string[],
  before: Map<string, Deno.FileInfo>,
  totalBytes: number,
  { settings, version, eot, start }: {
    settings: PrepareSettings;
    version: ShardVersion;
    eot: Uint32Array;
    start: number;
  },
): Promise<{ sink: ShardSink; pipeline: TokenPipeline }> {
  const { valFraction } = settings;
  const valTarget = valFraction === undefined ? -1 : Math.ceil(valFraction * totalBytes);
  const sink = new ShardSink(
    staging,
    settings.shardTokens,
    version,
    valTarget < 0 ? "train" : "val",
  );
  const report = (bytesDone: number, tokens: number) =>
    settings.onProgress?.({
      bytesDone,
      totalBytes,
      tokens,
      seconds: (performance.now() - start) / 1000,
    });
  try {
    using pool = new BpeWorkerPool(settings.encoding, { workers: settings.workers });
    const pipeline = new TokenPipeline(pool, sink, settings.workers, valTarget, report);
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
    return { sink, pipeline };
  } catch (error) {
    await sink.abort();
    await removeStaging(staging).catch(() => {});
    throw error;
  }
}

/** A new folder: the staging folder, list included, is renamed to `dir` whole. */
async function commitNewFolder(
  staging: string,
  dir: string,
  list: ShardList,
  step: (step: PrepareCommitStep) => void | Promise<void>,
): Promise<void> {
  try {
    await Deno.writeTextFile(`${staging}/${SHARD_LIST}`, encodeShardList(list));
    await Deno.rename(staging, dir);
  } catch (error) {
    await removeStaging(staging).catch(() => {});
    const code = systemErrorCode(error);
    if (code === "ENOTEMPTY" || code === "EEXIST") {
      throw new InputError(dir, "appeared while prepare ran; it is kept");
    }
    throw FileSystemError.from(error, "move the shards into", dir);
  }
  await step({ step: "committed" });
}

/**
 * A folder that exists: the set, built in its staging folder, is listed there in one rename of
 * the list (the commit), then put under its own names in place of the older shards.
 */
async function commitIntoFolder(
  dir: string,
  list: ShardList,
  existing: readonly string[],
  step: (step: PrepareCommitStep) => void | Promise<void>,
): Promise<void> {
  const staging = `${dir}/${PREPARE_STAGING}`;
  const staged: ShardList = {
    ...list,
    shards: list.shards.map((shard) => ({ ...shard, file: `${PREPARE_STAGING}/${shard.file}` })),
    replaces: existing,
  };
  try {
    await swapShardList(dir, staging, staged);
  } catch (error) {
    await removeStaging(staging).catch(() => {});
    throw FileSystemError.from(error, "write the shard list of", dir);
  }
  await step({ step: "committed" });
  try {
    await placeStagedSet(dir, staged, step);
  } catch (error) {
    // committed: the next run into the folder finishes this
    throw FileSystemError.from(error, "move the shards into", dir);
  }
}
