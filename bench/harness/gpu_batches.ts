// Kernel-level GPU timing: a batch's dispatches are prepared once (uniforms uploaded, bind group
// made) with every input already on the device, so that a repetition records many batches into
// one command encoder, submits once and waits for `onSubmittedWorkDone`. The public host
// functions (gather, gatherPositionalAdd, …) instead upload ids and uniforms and submit per call.
import type { GpuDevice } from "../../src/gpu/device.ts";
import {
  type ComputeKernel,
  dispatchGrid,
  type KernelRun,
} from "../../src/gpu/kernels/compute_kernel.ts";

/** Records one batch's GPU work into an encoder. */
export type RecordBatch = (encoder: GPUCommandEncoder) => void;

/** A {@linkcode KernelRun} whose storage bindings are all buffers already on the device. */
export interface ResidentKernelRun extends KernelRun {
  storage: readonly GPUBuffer[];
}

/** A prepared dispatch of `kernel`; dispose it to free its uniform buffer. */
export interface PreparedDispatch extends Disposable {
  record: RecordBatch;
}

/**
 * Prepares `run` (the same object a host function passes to `kernel.run`) for recording many
 * times: its uniforms are uploaded once and its bind group made once.
 */
export async function prepareDispatch(
  gpu: GpuDevice,
  kernel: ComputeKernel,
  run: ResidentKernelRun,
): Promise<PreparedDispatch> {
  const pipeline = await kernel.pipeline(gpu);
  const grid = dispatchGrid(run.invocations, gpu.limits.maxComputeWorkgroupsPerDimension);
  let uniforms: GPUBuffer | undefined;
  const bindGroup = await gpu.checked(`preparing ${kernel.label}`, (device) => {
    uniforms = gpu.createBuffer({
      label: `${kernel.label} uniforms (bench)`,
      size: Math.max(16, Math.ceil(run.uniforms.byteLength / 16) * 16),
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    gpu.write(uniforms, run.uniforms);
    return device.createBindGroup({
      label: `${kernel.label} (bench)`,
      layout: pipeline.getBindGroupLayout(0),
      entries: [uniforms, ...run.storage].map((buffer, binding) => ({
        binding,
        resource: { buffer },
      })),
    });
  }).catch((error) => {
    if (uniforms !== undefined) gpu.releaseBuffer(uniforms);
    throw error;
  });
  return {
    record(encoder) {
      const pass = encoder.beginComputePass({ label: kernel.label });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(grid.x, grid.y);
      pass.end();
    },
    [Symbol.dispose]() {
      gpu.releaseBuffer(uniforms!);
    },
  };
}

/**
 * `runBatches(count)` for {@linkcode measure}: records `count` batches into one encoder, submits
 * once (inside the device's error scopes) and resolves when the GPU has finished them.
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
