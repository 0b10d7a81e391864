/**
 * Model layers on the GPU: token, positional and input embeddings (PyTorch's `nn.Embedding`),
 * initialised from a seeded PyTorch-compatible generator ({@linkcode TorchGenerator}), from
 * given values, or from a safetensors file such as GPT-2's.
 *
 * @example The book's `torch.manual_seed(123); nn.Embedding(6, 3)`
 * ```ts
 * import { TokenEmbedding } from "./mod.ts";
 * import { GpuDevice } from "../gpu/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const gpu = await GpuDevice.shared();
 * using embedding = await TokenEmbedding.create(gpu, 6, 3, { seed: 123 });
 * assert.match(await embedding.weight.format(), /^tensor\(\[\[ 0\.3374, -0\.1778, -0\.1690\],/);
 * ```
 *
 * @module
 */
export { InputError } from "../util/errors.ts";
export { TorchGenerator } from "../util/torch_rng.ts";
// what the layers take and give: the whole GPU layer (device, tensors, ids, kernels) and the
// safetensors files tables are loaded from
export * from "../gpu/mod.ts";
export type {
  RowChunkOptions,
  SafetensorsFile,
  SafetensorsTensorInfo,
  TensorReadFormat,
  TensorReadOptions,
  TensorReadResults,
  TensorRowChunk,
} from "../formats/safetensors_reader.ts";
export type { SafetensorsDtype } from "../formats/safetensors_format.ts";
// what the layers' and the model's forward() take besides ids: a data loader's batch, which
// carries its shape
export type { Batch } from "../batches/batch.ts";
export type { EmbeddingInit } from "./embedding_init.ts";
export { EmbeddingTable } from "./embedding_table.ts";
export type { SafetensorsSource } from "./safetensors_tables.ts";
export {
  TokenEmbedding,
  type TokenEmbeddingFileOptions,
  type TokenEmbeddingOptions,
} from "./token_embedding.ts";
export {
  PositionalEmbedding,
  type PositionalEmbeddingFileOptions,
} from "./positional_embedding.ts";
export {
  InputEmbedding,
  type InputEmbeddingFileOptions,
  type InputEmbeddingOptions,
} from "./input_embedding.ts";
// training: parameters and their gradients, the AdamW optimizer, the fixed sinusoidal encoding
export { Parameter } from "./parameter.ts";
export { AdamW, ADAMW_DEFAULTS, type AdamWOptions, checkAdamWOptions } from "./adamw.ts";
export { sinusoidalPositionalEncoding } from "./sinusoidal_positional_encoding.ts";
// the Korean note's bigram model (semiGPT): the model, its training loop, evaluation, sampling
export {
  BIGRAM_TENSOR_NAME,
  BigramLanguageModel,
  type BigramLanguageModelOptions,
  type BigramSaveOptions,
  readBigramFile,
  type SavedBigram,
} from "./bigram_language_model.ts";
export {
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
} from "./bigram_training.ts";
