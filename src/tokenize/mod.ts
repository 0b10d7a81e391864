/**
 * Text to token ids: the book's regex word tokenizer, a character tokenizer and tiktoken's
 * byte-pair encodings behind one {@linkcode Tokenizer} interface; strict UTF-8 reading; parallel
 * encoding in Web Workers; and streaming a corpus into token shards ({@linkcode prepareShards}).
 *
 * @example Tokenize the book's way
 * ```ts
 * import { BpeTokenizer } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * using tokenizer = new BpeTokenizer("gpt2");
 * assert.deepEqual([...tokenizer.encode("Akwirw ier")], [33901, 86, 343, 86, 220, 959]);
 * ```
 *
 * @module
 */
export { InputError } from "../util/errors.ts";
export { decodeUtf8 } from "../util/utf8.ts";
export type { Tokenizer } from "./tokenizer.ts";
export type { TokenArray } from "./token_ids.ts";
export {
  END_OF_TEXT,
  RegexTokenizer,
  type RegexTokenizerOptions,
  splitWords,
  UNKNOWN,
  type WordPiece,
} from "./regex_tokenizer.ts";
export { CharTokenizer } from "./char_tokenizer.ts";
export {
  type AllowedSpecial,
  BpeTokenizer,
  type BpeTokenizerOptions,
  encodingForModel,
  type EncodingInfo,
  type EncodingName,
  ENCODINGS,
} from "./bpe_tokenizer.ts";
export {
  BpeWorkerPool,
  type BpeWorkerPoolOptions,
  encodeParallel,
  type EncodeParallelOptions,
  type ParallelEncodeOptions,
} from "./bpe_worker_pool.ts";
export { readTextFile } from "./read_text.ts";
export type { ShardInfo, ShardSplit, ShardVersion } from "../formats/shard_format.ts";
export {
  type PrepareProgress,
  prepareShards,
  type PrepareShardsOptions,
  type PrepareSummary,
} from "./prepare_shards.ts";
