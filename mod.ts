/**
 * The input pipeline of a GPT-style language model, from raw text to the input embeddings that
 * the first transformer block reads, as in chapter 2 of "Build a Large Language Model From
 * Scratch" (Raschka): **tokenize → windows → batches → embed**.
 *
 * Tokenizers (the book's regex word tokenizer, a character tokenizer and tiktoken's byte-pair
 * encodings) share one {@linkcode Tokenizer} interface.
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
export { InputError } from "./src/errors.ts";
export type { Tokenizer } from "./src/tokenize/tokenizer.ts";
export {
  END_OF_TEXT,
  RegexTokenizer,
  type RegexTokenizerOptions,
  splitWords,
  UNKNOWN,
  type WordPiece,
} from "./src/tokenize/regex_tokenizer.ts";
export { CharTokenizer } from "./src/tokenize/char_tokenizer.ts";
export {
  type AllowedSpecial,
  BpeTokenizer,
  type BpeTokenizerOptions,
  encodingForModel,
  type EncodingInfo,
  type EncodingName,
  ENCODINGS,
} from "./src/tokenize/bpe_tokenizer.ts";
export { decodeUtf8, readTextFile } from "./src/tokenize/read_text.ts";

// Parallel tokenization (issue 5, item 5): Web Workers, ids identical to single-threaded tiktoken.
export {
  BpeWorkerPool,
  type BpeWorkerPoolOptions,
  encodeParallel,
  type EncodeParallelOptions,
  type ParallelEncodeOptions,
} from "./src/tokenize/bpe_worker_pool.ts";

// Token shards in llm.c's format (issue 7): writer, reader and streaming preparation.
export {
  type ListedShard,
  listShards,
  type ListShardsOptions,
  readShard,
  readShardHeader,
  readShardTokens,
} from "./src/shards/shard_reader.ts";
export { ShardWriter, type ShardWriterOptions, writeShard } from "./src/shards/shard_writer.ts";
export {
  SHARD_HEADER_BYTES,
  SHARD_MAGIC,
  type ShardInfo,
  type ShardSplit,
  type ShardVersion,
  shardVersionFor,
} from "./src/shards/shard_format.ts";
export {
  type PrepareProgress,
  prepareShards,
  type PrepareShardsOptions,
  type PrepareSummary,
} from "./src/shards/prepare_shards.ts";
