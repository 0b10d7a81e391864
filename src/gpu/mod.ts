/**
 * The GPU layer on Deno's WebGPU: a device, tensors on GPU buffers (split into segments when
 * larger than one storage binding), a GPU-resident token stream, and the WGSL kernels with
 * their host code. It imports no pipeline stage: ids come in as typed arrays.
 *
 * @example Look up rows of a table on the GPU
 * ```ts
 * import { gather, GpuDevice, Tensor } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const gpu = await GpuDevice.shared();
 * using table = await Tensor.from(gpu, [[0, 0.5], [1, 1.5], [2, 2.5]]);
 * using rows = await gather([[2, 0]], table);
 * assert.deepEqual(await rows.toArray(), [[[2, 2.5], [0, 0.5]]]);
 * ```
 *
 * @module
 */
export { InputError } from "../util/errors.ts";
export { GpuError, type GpuErrorKind } from "./gpu_error.ts";
export { GpuDevice, type GpuDeviceOptions, type KernelLayout } from "./device.ts";
export {
  type DType,
  type DTypeArrays,
  type NestedArray,
  Tensor,
  type TensorOptions,
  type TensorSegment,
  type TensorStorageOptions,
} from "./tensor.ts";
export { type FormattableArray, formatTensor } from "./format_tensor.ts";
export { TokenStream, type TokenStreamOptions } from "./token_stream.ts";
// kernels: the embedding family
export type { TableDType } from "./kernels/tensor_checks.ts";
export type { EmbeddingIds } from "./kernels/embedding_ids.ts";
export { gather } from "./kernels/embedding/gather.ts";
export { positionalAdd } from "./kernels/embedding/positional_add.ts";
export { gatherPositionalAdd } from "./kernels/embedding/gather_positional_add.ts";
// kernels: training (embedding backward, cross-entropy, softmax, AdamW; deterministic)
export { embeddingBackward } from "./kernels/embedding_backward/embedding_backward.ts";
export { positionalBackward } from "./kernels/embedding_backward/positional_backward.ts";
export {
  crossEntropy,
  type CrossEntropyResult,
  crossEntropyWithGrad,
  lossItem,
} from "./kernels/cross_entropy/cross_entropy.ts";
export { softmax } from "./kernels/softmax/softmax.ts";
export { type AdamWHyperparameters, adamwStep } from "./kernels/adamw/adamw.ts";
