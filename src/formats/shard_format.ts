import { InputError } from "../util/errors.ts";
import { checkInteger, describe } from "../util/checks.ts";

/**
 * The first header field of an llm.c token shard.
 *
 * @example The header, field by field
 * ```ts
 * import { SHARD_HEADER_BYTES, SHARD_MAGIC } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const header = new DataView(new ArrayBuffer(SHARD_HEADER_BYTES)); // 256 int32, little-endian
 * header.setInt32(0, SHARD_MAGIC, true); // 20240520
 * header.setInt32(4, 1, true); // version 1: uint16 tokens follow
 * header.setInt32(8, 5145, true); // the token count
 * assert.equal(header.byteLength, 1024);
 * ```
 */
export const SHARD_MAGIC = 20240520;

/**
 * The header's size: 256 little-endian int32 fields (magic, version, token count, then zeros).
 *
 * @example
 * ```ts
 * import { SHARD_HEADER_BYTES } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const tokenCount = 5145; // a version-1 shard of The Verdict
 * assert.equal(SHARD_HEADER_BYTES + 2 * tokenCount, 11314); // its file size in bytes
 * ```
 */
export const SHARD_HEADER_BYTES = 1024;

/** The largest token count a shard can hold: its header stores the count as an int32. */
export const MAX_SHARD_TOKENS = 2_147_483_647;

/** llm.c's shard versions: 1 stores uint16 tokens, 2 stores uint32 tokens. */
export type ShardVersion = 1 | 2;

/** What a shard's header says, with the file it was read from. */
export interface ShardInfo {
  /** The shard file. */
  readonly path: string;
  /** 1: uint16 tokens; 2: uint32 tokens (vocabularies over 65,536). */
  readonly version: ShardVersion;
  /** The number of tokens after the header. */
  readonly tokenCount: number;
  /** 2 for version 1, 4 for version 2. */
  readonly bytesPerToken: 2 | 4;
}

/** Which part of a corpus a shard holds, as llm.c names its shards (`…_val_000000.bin`). */
export type ShardSplit = "train" | "val";

/** The file name `prepare` gives a shard: `val_000000.bin`, `train_000001.bin`, … */
export function shardFileName(split: ShardSplit, index: number): string {
  return `${split}_${String(index).padStart(6, "0")}.bin`;
}

/** The split a shard file's name says (`val` or `train` between `_`, `-` or `.`), if any. */
export function shardSplitOf(name: string): ShardSplit | undefined {
  const match = /(?:^|[_.-])(train|val)(?=[_.-])/.exec(name);
  return match === null ? undefined : match[1] as ShardSplit;
}

/**
 * The shard version for a vocabulary: 1 (uint16) when every id fits in 16 bits, else 2.
 *
 * @example
 * ```ts
 * import { ENCODINGS, shardVersionFor } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(shardVersionFor(ENCODINGS.gpt2.vocabSize), 1);
 * assert.equal(shardVersionFor(ENCODINGS.o200k_base.vocabSize), 2);
 * ```
 *
 * @param vocabSize One past the largest id.
 * @returns The version.
 */
export function shardVersionFor(vocabSize: number): ShardVersion {
  checkInteger("vocabSize", vocabSize, 1);
  return vocabSize <= 65_536 ? 1 : 2;
}

/** Bytes per token of a version. */
export function bytesPerToken(version: ShardVersion): 2 | 4 {
  return version === 1 ? 2 : 4;
}

/** The 1,024 header bytes of a shard. */
export function encodeShardHeader(version: ShardVersion, tokenCount: number): Uint8Array {
  const header = new Uint8Array(SHARD_HEADER_BYTES);
  const view = new DataView(header.buffer);
  view.setInt32(0, SHARD_MAGIC, true);
  view.setInt32(4, version, true);
  view.setInt32(8, tokenCount, true);
  return header;
}

/**
 * Checks a shard's header and size: a foreign file, an unknown version, or a size that does
 * not match the token count is an {@linkcode InputError} naming the file and the expected and
 * actual values.
 */
export function decodeShardHeader(path: string, header: Uint8Array, fileBytes: number): ShardInfo {
  if (fileBytes < SHARD_HEADER_BYTES) {
    throw new InputError(
      path,
      `is not a token shard: it has ${fileBytes} bytes, fewer than the ${SHARD_HEADER_BYTES}-byte header`,
    );
  }
  const view = new DataView(header.buffer, header.byteOffset, SHARD_HEADER_BYTES);
  const magic = view.getInt32(0, true);
  if (magic !== SHARD_MAGIC) {
    throw new InputError(
      path,
      `is not a token shard: its magic number is ${magic}, expected ${SHARD_MAGIC} (llm.c's format)`,
    );
  }
  const version = view.getInt32(4, true);
  if (version !== 1 && version !== 2) {
    throw new InputError(
      path,
      `has shard version ${version}; expected 1 (uint16 tokens) or 2 (uint32 tokens)`,
    );
  }
  const tokenCount = view.getInt32(8, true);
  const width = bytesPerToken(version);
  if (tokenCount < 0) {
    throw new InputError(path, `is not a token shard: its header says ${tokenCount} tokens`);
  }
  checkShardSize(path, tokenCount, width, fileBytes);
  return { path, version, tokenCount, bytesPerToken: width };
}

/**
 * Throws an {@linkcode InputError} naming the file and the expected and actual byte counts
 * unless a shard of `tokenCount` tokens of `width` bytes has `fileBytes` bytes.
 */
export function checkShardSize(
  path: string,
  tokenCount: number,
  width: number,
  fileBytes: number,
): void {
  const expected = SHARD_HEADER_BYTES + tokenCount * width;
  if (fileBytes !== expected) {
    throw new InputError(
      path,
      `${fileBytes < expected ? "is truncated" : "has extra bytes"}: its header says ` +
        `${tokenCount} tokens of ${width} bytes, so ${expected} bytes are expected, ` +
        `but the file has ${fileBytes} bytes`,
    );
  }
}

/**
 * Throws an {@linkcode InputError} unless `shard` has the form of a shard's header
 * (`{ path, version, tokenCount, bytesPerToken }`, as {@linkcode decodeShardHeader} returns).
 */
export function checkShardInfo(parameter: string, shard: unknown): asserts shard is ShardInfo {
  const info = shard as Partial<ShardInfo> | null;
  if (
    typeof info !== "object" || info === null || typeof info.path !== "string" ||
    info.path === "" || (info.version !== 1 && info.version !== 2) ||
    info.bytesPerToken !== info.version * 2 || !Number.isInteger(info.tokenCount) ||
    info.tokenCount! < 0
  ) {
    throw new InputError(
      parameter,
      `must be a shard's header ({ path, version, tokenCount, bytesPerToken }, as listShards ` +
        `returns), got ${describe(shard)}`,
    );
  }
}
