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
export { InputError } from "./src/util/errors.ts";
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
export { readTextFile } from "./src/tokenize/read_text.ts";
export { decodeUtf8 } from "./src/util/utf8.ts";

// windows: token ids → sliding-window datasets
export type { TokenArray } from "./src/tokenize/token_ids.ts";
export { SlidingWindows, type WindowDatasetOptions } from "./src/windows/sliding_windows.ts";
export { WindowDataset } from "./src/windows/window_dataset.ts";
export {
  type TrainValidationSplit,
  trainValidationSplit,
} from "./src/windows/train_validation_split.ts";

// batches: windows → [batch, seqLength] inputs and targets
export type { Batch } from "./src/batches/batch.ts";
export { DataLoader } from "./src/batches/data_loader.ts";
export {
  type DataLoaderOptions,
  EpochLoader,
  type LoaderSettings,
} from "./src/batches/epoch_loader.ts";
export { BlockSampler } from "./src/batches/block_sampler.ts";
export {
  RandomBlockSampler,
  type RandomBlockSamplerOptions,
} from "./src/batches/random_block_sampler.ts";
export {
  TorchBlockSampler,
  type TorchBlockSamplerOptions,
} from "./src/batches/torch_block_sampler.ts";
export {
  type CreateDataLoaderOptions,
  createDataLoaderV1,
} from "./src/batches/create_data_loader.ts";
// weights: safetensors files (read and write) and 16-bit float conversions
export { SAFETENSORS_DTYPE_BITS, type SafetensorsDtype } from "./src/formats/safetensors_format.ts";
export {
  openSafetensors,
  type RowChunkOptions,
  type SafetensorsFile,
  type SafetensorsTensorInfo,
  type TensorReadFormat,
  type TensorReadOptions,
  type TensorReadResults,
  type TensorRowChunk,
} from "./src/formats/safetensors_reader.ts";
export {
  type TensorToWrite,
  writeSafetensors,
  type WriteSafetensorsOptions,
} from "./src/formats/safetensors_writer.ts";
export { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from "./src/util/float16.ts";
// embed / gpu: WebGPU device, tensors, WGSL embedding kernels, embedding layers, seeded init
export { GpuDevice, type GpuDeviceOptions } from "./src/gpu/device.ts";
export { GpuError, type GpuErrorKind } from "./src/gpu/gpu_error.ts";
export {
  type DType,
  type DTypeArrays,
  type NestedArray,
  Tensor,
  type TensorOptions,
} from "./src/gpu/tensor.ts";
export { type FormattableArray, formatTensor } from "./src/gpu/format_tensor.ts";
export type { EmbeddingIds } from "./src/gpu/kernels/embedding/embedding_ids.ts";
export { gather } from "./src/gpu/kernels/embedding/gather.ts";
export { positionalAdd } from "./src/gpu/kernels/embedding/positional_add.ts";
export { gatherPositionalAdd } from "./src/gpu/kernels/embedding/gather_positional_add.ts";
export { TorchGenerator } from "./src/util/torch_rng.ts";
export type { EmbeddingInit } from "./src/nn/embedding_init.ts";
export { TokenEmbedding } from "./src/nn/token_embedding.ts";
export { PositionalEmbedding } from "./src/nn/positional_embedding.ts";
export { InputEmbedding, type InputEmbeddingOptions } from "./src/nn/input_embedding.ts";
// the Korean note's bigram model (semiGPT): training loop, evaluation, sampling
export {
  BIGRAM_TENSOR_NAME,
  BigramLanguageModel,
  type BigramLanguageModelOptions,
  type BigramSaveOptions,
  readBigramFile,
  type SavedBigram,
} from "./src/nn/bigram_language_model.ts";
export {
  ADAMW_DEFAULTS,
  type AdamWSettings,
  type BatchSource,
  estimateLoss,
  type Evaluation,
  generateTokens,
  type SplitLosses,
  type Splits,
  type TrainableBigram,
  trainBigram,
  type TrainLoopOptions,
  type TrainLoopResult,
} from "./src/nn/bigram_training.ts";
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
} from "./src/formats/shard_reader.ts";
export { ShardWriter, type ShardWriterOptions, writeShard } from "./src/formats/shard_writer.ts";
export {
  SHARD_HEADER_BYTES,
  SHARD_MAGIC,
  type ShardInfo,
  type ShardSplit,
  type ShardVersion,
  shardVersionFor,
} from "./src/formats/shard_format.ts";
export {
  type PrepareProgress,
  prepareShards,
  type PrepareShardsOptions,
  type PrepareSummary,
} from "./src/tokenize/prepare_shards.ts";

// Loading from shards (issue 7, item 3): windows, batches and random blocks over a folder of
// token shards, read lazily; windows do not cross shard boundaries.
export {
  type OpenShardDatasetOptions,
  ShardDataset,
  type ShardDatasetOptions,
  type ShardTokenReader,
} from "./src/windows/shard_dataset.ts";
export {
  type ShardBatch,
  ShardDataLoader,
  type ShardDataLoaderOptions,
} from "./src/batches/shard_data_loader.ts";
export {
  type ShardBlockBatch,
  ShardBlockSampler,
  type ShardBlockSamplerOptions,
} from "./src/batches/shard_block_sampler.ts";
// kernels: tables of any size the device can bind (segments), packed f16 tables
export type { TensorSegment, TensorStorageOptions } from "./src/gpu/tensor.ts";
export type { TableDType, TokenEmbeddingOptions } from "./src/nn/token_embedding.ts";
// kernels: the GPU-resident token stream (InputEmbedding.forwardWindows), kernel layouts
export { TokenStream, type TokenStreamOptions } from "./src/gpu/token_stream.ts";
export type { KernelLayout } from "./src/gpu/device.ts";
// Pretrained embeddings (issue 9): GPT-2's wte / wpe from safetensors files, streamed to the GPU.
export type { SafetensorsSource } from "./src/nn/safetensors_tables.ts";
export type { TokenEmbeddingFileOptions } from "./src/nn/token_embedding.ts";
export type { PositionalEmbeddingFileOptions } from "./src/nn/positional_embedding.ts";
export type { InputEmbeddingFileOptions } from "./src/nn/input_embedding.ts";
