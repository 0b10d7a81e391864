// Kernel-level GPU timing: a batch's runs are prepared once through the kernels' host code
// (`ComputeKernel.prepare`: uniforms uploaded, bind groups made) with every input already on the
// device, so that a repetition records many batches into one command encoder, submits once and
// waits for `onSubmittedWorkDone`. The public host functions (gather, gatherPositionalAdd, …)
// instead upload ids and uniforms and submit per call.
import type { GpuDevice } from "../../src/gpu/device.ts";
import type { PreparedRun } from "../../src/gpu/kernels/compute_kernel.ts";

/** Records one batch's GPU work into an encoder. */
export type RecordBatch = (encoder: GPUCommandEncoder) => void;

/** Records `runs` in order, each in a compute pass of its own (as `ComputeKernel.run` does). */
export function inPasses(label: string, ...runs: PreparedRun[]): RecordBatch {
  return (encoder) => {
    for (const run of runs) {
      const pass = encoder.beginComputePass({ label });
      run.record(pass);
      pass.end();
    }
  };
}

/**
 * `runBatches(count)` for `measure`: records `count` batches into one encoder, submits once
 * (inside the device's error scopes) and resolves when the GPU has finished them.
 */
export function gpuBatches(
  gpu: GpuDevice,
  label: string,
  record: RecordBatch,
): (count: number) => Promise<void> {
  return async (count) => {
    await gpu.checked(label, (device) => {
      const encoder = device.createCommandEncoder({ label });
      for (let i = 0; i < count; i++) record(encoder);
      device.queue.submit([encoder.finish()]);
    });
    await gpu.device.queue.onSubmittedWorkDone();
  };
}

/**
 * The bytes `work` writes to the device through its queue (`writeBuffer`, the one way the
 * module uploads), counted by wrapping the queue's method while `work` runs.
 */
export async function uploadedBytes(gpu: GpuDevice, work: () => Promise<void>): Promise<number> {
  const queue = gpu.device.queue;
  const writeBuffer = queue.writeBuffer;
  let bytes = 0;
  const counting: GPUQueue["writeBuffer"] = (buffer, offset, data, dataOffset, size) => {
    const elementBytes = ArrayBuffer.isView(data) && "BYTES_PER_ELEMENT" in data
      ? data.BYTES_PER_ELEMENT as number
      : 1;
    bytes += size !== undefined
      ? size * elementBytes
      : data.byteLength - (dataOffset ?? 0) * elementBytes;
    return writeBuffer.call(queue, buffer, offset, data, dataOffset, size);
  };
  Object.defineProperty(queue, "writeBuffer", { value: counting, configurable: true });
  try {
    await work();
  } finally {
    delete (queue as { writeBuffer?: unknown }).writeBuffer;
  }
  return bytes;
}
