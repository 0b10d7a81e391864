/**
 * Token ids to training batches: the book's sliding windows ({@linkcode WindowDataset}, and
 * {@linkcode ShardDataset} over a folder of token shards), the train/validation split, and the
 * batches of `[batchSize, seqLength]` inputs and targets drawn from them, in epochs
 * ({@linkcode DataLoader}, {@linkcode ShardDataLoader}) or at random offsets
 * ({@linkcode RandomBlockSampler}, {@linkcode ShardBlockSampler}).
 *
 * @example The book's batches of four-token windows
 * ```ts
 * import { DataLoader, WindowDataset } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const ids = Uint32Array.from({ length: 21 }, (_, i) => 100 + i);
 * const loader = new DataLoader(new WindowDataset(ids, { maxLength: 4, stride: 4 }), {
 *   batchSize: 2,
 * });
 * const [first] = loader;
 * assert.deepEqual([...first.inputs], [100, 101, 102, 103, 104, 105, 106, 107]);
 * assert.deepEqual([...first.targets], [101, 102, 103, 104, 105, 106, 107, 108]);
 * ```
 *
 * @module
 */
export { InputError } from "../util/errors.ts";
export type { TokenArray } from "../tokenize/token_ids.ts";
export type { Tokenizer } from "../tokenize/tokenizer.ts";
export { TorchGenerator } from "../util/torch_rng.ts";
export type { ShardInfo, ShardSplit, ShardVersion } from "../formats/shard_format.ts";
// windows: token ids → sliding-window datasets
export { SlidingWindows, type WindowDatasetOptions } from "../windows/sliding_windows.ts";
export { WindowDataset } from "../windows/window_dataset.ts";
export {
  type OpenShardDatasetOptions,
  ShardDataset,
  type ShardDatasetOptions,
  type ShardTokenReader,
} from "../windows/shard_dataset.ts";
export {
  type TrainValidationSplit,
  trainValidationSplit,
} from "../windows/train_validation_split.ts";
// batches: windows → [batchSize, seqLength] inputs and targets
export type { Batch } from "./batch.ts";
export { type DataLoaderOptions, EpochLoader, type LoaderSettings } from "./epoch_loader.ts";
export { DataLoader } from "./data_loader.ts";
export {
  type ShardBatch,
  ShardDataLoader,
  type ShardDataLoaderOptions,
} from "./shard_data_loader.ts";
export { type CreateDataLoaderOptions, createDataLoaderV1 } from "./create_data_loader.ts";
export { BlockSampler, type DrawArrays } from "./block_sampler.ts";
export { RandomBlockSampler, type RandomBlockSamplerOptions } from "./random_block_sampler.ts";
export { TorchBlockSampler, type TorchBlockSamplerOptions } from "./torch_block_sampler.ts";
export {
  type ShardBlockBatch,
  ShardBlockSampler,
  type ShardBlockSamplerOptions,
} from "./shard_block_sampler.ts";
