/**
 * File formats: safetensors (read in row chunks and written atomically), llm.c's token shards
 * (header, reader, writer), and the 16-bit float conversions both use.
 *
 * @example A table written as F16 and read back as float32
 * ```ts
 * import { openSafetensors, writeSafetensors } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * await Deno.mkdir(".tmp", { recursive: true });
 * const dir = await Deno.makeTempDir({ dir: ".tmp" });
 * const path = `${dir}/table.safetensors`;
 * await writeSafetensors(path, {
 *   "wte.weight": { dtype: "F16", shape: [2, 2], data: new Float32Array([0, 0.5, 1, 1.5]) },
 * });
 * using file = await openSafetensors(path);
 * assert.deepEqual([...await file.readTensor("wte.weight")], [0, 0.5, 1, 1.5]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
export { FileSystemError, InputError } from "../util/errors.ts";
export { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from "../util/float16.ts";
export { SAFETENSORS_DTYPE_BITS, type SafetensorsDtype } from "./safetensors_format.ts";
export {
  openSafetensors,
  type RowChunkOptions,
  type SafetensorsFile,
  type SafetensorsTensorInfo,
  type TensorReadFormat,
  type TensorReadOptions,
  type TensorReadResults,
  type TensorRowChunk,
} from "./safetensors_reader.ts";
export {
  type TensorToWrite,
  writeSafetensors,
  type WriteSafetensorsOptions,
} from "./safetensors_writer.ts";
export {
  SHARD_HEADER_BYTES,
  SHARD_MAGIC,
  type ShardInfo,
  type ShardSplit,
  type ShardVersion,
  shardVersionFor,
} from "./shard_format.ts";
export {
  type ListedShard,
  listShards,
  type ListShardsOptions,
  readShard,
  readShardHeader,
  readShardTokens,
} from "./shard_reader.ts";
export { SHARD_LIST } from "./shard_list.ts";
export { ShardWriter, type ShardWriterOptions, writeShard } from "./shard_writer.ts";
