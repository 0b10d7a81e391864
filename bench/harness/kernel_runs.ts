// The problem on the device, and the dispatches of this module's embedding kernels over it,
// with the uniforms and bindings their host functions use (src/gpu/kernels/gather.ts,
// positional_add.ts, gather_positional_add.ts): keep these in step with those files.
import type { GpuDevice } from "../../src/gpu/device.ts";
import { Tensor } from "../../src/gpu/tensor.ts";
import type { EmbeddingProblem } from "./embedding_problem.ts";
import type { ResidentKernelRun } from "./gpu_batches.ts";

/** The problem's inputs on the device, and an output tensor; disposing frees them all. */
export interface DeviceInputs extends Disposable {
  ids: Tensor<"u32">;
  table: Tensor<"f32">;
  positions: Tensor<"f32">;
  out: Tensor<"f32">;
}

/** Uploads the problem's ids, table and positions, and makes a zeroed output `[B, T, D]`. */
export async function uploadProblem(
  gpu: GpuDevice,
  problem: EmbeddingProblem,
): Promise<DeviceInputs> {
  const { vocabSize, batchSize, seqLength, dim } = problem;
  const owned: Tensor[] = [];
  const keep = <T extends Tensor>(tensor: T): T => {
    owned.push(tensor);
    return tensor;
  };
  const dispose = () => owned.forEach((tensor) => tensor.dispose());
  try {
    return {
      ids: keep(await Tensor.from(gpu, problem.ids, { shape: [batchSize, seqLength] })),
      table: keep(await Tensor.from(gpu, problem.table, { shape: [vocabSize, dim] })),
      positions: keep(await Tensor.from(gpu, problem.positions, { shape: [seqLength, dim] })),
      out: keep(await Tensor.zeros(gpu, [batchSize, seqLength, dim])),
      [Symbol.dispose]: dispose,
    };
  } catch (error) {
    dispose();
    throw error;
  }
}

/** The work items of the embedding kernels: one per 4 columns of each row of `out` `[B, T, D]`. */
function workItems(out: Tensor<"f32">): { total: number; chunks: number } {
  const [batch, seq, dim] = out.shape;
  const chunks = Math.ceil(dim / 4);
  return { total: batch * seq * chunks, chunks };
}

/** The fused kernel: `out = table[ids] + positions`. */
export function fusedRun(inputs: DeviceInputs): ResidentKernelRun {
  const { total, chunks } = workItems(inputs.out);
  const [, seq, dim] = inputs.out.shape;
  return {
    uniforms: Uint32Array.of(total, dim, chunks, seq),
    storage: [inputs.ids.buffer, inputs.table.buffer, inputs.positions.buffer, inputs.out.buffer],
    invocations: total,
  };
}

/** The gather kernel: `out = table[ids]`. */
export function gatherRun(inputs: DeviceInputs, out: Tensor<"f32">): ResidentKernelRun {
  const { total, chunks } = workItems(out);
  return {
    uniforms: Uint32Array.of(total, out.shape[2], chunks),
    storage: [inputs.ids.buffer, inputs.table.buffer, out.buffer],
    invocations: total,
  };
}

/** The positional-add kernel: `out = x + positions`. */
export function positionalAddRun(
  x: Tensor<"f32">,
  positions: Tensor<"f32">,
  out: Tensor<"f32">,
): ResidentKernelRun {
  const { total, chunks } = workItems(out);
  const [, seq, dim] = out.shape;
  return {
    uniforms: Uint32Array.of(total, dim, chunks, seq),
    storage: [x.buffer, positions.buffer, out.buffer],
    invocations: total,
  };
}
