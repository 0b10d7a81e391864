// TensorFlow.js's WebGPU backend in Deno (`gather` + `add`), on the comparison's own device.
// WebGPU needs no Deno permission and tfjs asks for none.
import type * as TfCore from "npm:@tensorflow/tfjs-core@4.22.0";
import type { WebGPUBackend } from "npm:@tensorflow/tfjs-backend-webgpu@4.22.0";
import type { GpuDevice } from "../../src/gpu/device.ts";
import { type Contender, ContenderUnavailable } from "./contender.ts";
import { measure } from "./measure.ts";

export interface Tfjs {
  tf: typeof TfCore;
  backend: WebGPUBackend;
}

let loaded: Promise<Tfjs> | undefined;

/** Loads tfjs once and points its "webgpu" backend at `gpu`'s device. */
export function loadTfjs(gpu: GpuDevice): Promise<Tfjs> {
  loaded ??= (async () => {
    const tf = await import("npm:@tensorflow/tfjs-core@4.22.0");
    const { WebGPUBackend } = await import("npm:@tensorflow/tfjs-backend-webgpu@4.22.0");
    // The package registers a "webgpu" backend that requests a device of its own; replace it so
    // that both sides of the comparison share one device. Its kernels stay registered by name.
    tf.removeBackend("webgpu");
    tf.registerBackend("webgpu", () => new WebGPUBackend(gpu.device, gpu.adapterInfo));
    if (!await tf.setBackend("webgpu")) throw new Error('tf.setBackend("webgpu") failed');
    return { tf, backend: tf.backend() as WebGPUBackend };
  })();
  return loaded;
}

/**
 * Submits what tfjs has recorded. tfjs keeps its compute pass open between ops; finishing the
 * encoder without ending it is a validation error that drops all the recorded work.
 */
export function flush(backend: WebGPUBackend): void {
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
}

/** `tf.add(tf.gather(table, ids), positions)` per batch, ids already on the device. */
export const tfjsWebGpu: Contender = {
  id: "tfjs_webgpu",
  label: "tfjs-webgpu 4.22 gather + add (ids resident)",
  async run(problem, context) {
    const { gpu } = context;
    let tfjs: Tfjs;
    try {
      tfjs = await loadTfjs(gpu);
    } catch (error) {
      loaded = undefined;
      throw new ContenderUnavailable(`tfjs could not be loaded: ${(error as Error).message}`);
    }
    const { tf, backend } = tfjs;
    const { vocabSize, batchSize, seqLength, dim } = problem;
    const table = tf.tensor2d(problem.table, [vocabSize, dim]);
    const positions = tf.tensor2d(problem.positions, [seqLength, dim]);
    const ids = tf.tensor2d(Int32Array.from(problem.ids), [batchSize, seqLength], "int32");
    const batch = () => tf.tidy(() => tf.add(tf.gather(table, ids), positions));
    try {
      const first = batch();
      const output = await first.data() as Float32Array;
      first.dispose();
      const measurement = await measure(async (count) => {
        // Inside the device's error scopes, so that dropped work throws instead of looking fast.
        await gpu.checked("tfjs batches", () => {
          for (let i = 0; i < count; i++) batch().dispose();
          flush(backend);
        });
        await gpu.device.queue.onSubmittedWorkDone();
      }, context.timing);
      return { measurement, output, bytesUploadedPerBatch: 4 * batchSize * seqLength };
    } finally {
      tf.dispose([table, positions, ids]);
    }
  },
};
