// This module's own contenders: the fused kernel, the separate gather and positional-add
// kernels, the public host function, the plain TypeScript loop, and copyBufferToBuffer of the
// same output bytes (the device's bandwidth limit for writing the result).
import { gatherPositionalAddCpu } from "../../src/embed/cpu_reference.ts";
import type { GpuDevice } from "../../src/gpu/device.ts";
import { gatherKernel } from "../../src/gpu/kernels/gather.ts";
import {
  gatherPositionalAdd,
  gatherPositionalAddKernel,
} from "../../src/gpu/kernels/gather_positional_add.ts";
import { positionalAddKernel } from "../../src/gpu/kernels/positional_add.ts";
import { Tensor } from "../../src/gpu/tensor.ts";
import type { Contender, ContenderRun, RunContext } from "./contender.ts";
import type { EmbeddingProblem } from "./embedding_problem.ts";
import { gpuBatches, prepareDispatch, type RecordBatch } from "./gpu_batches.ts";
import { fusedRun, gatherRun, positionalAddRun, uploadProblem } from "./kernel_runs.ts";
import { measure } from "./measure.ts";

/** Bytes of one batch's ids, which every device contender must get onto the device. */
function idBytes(problem: EmbeddingProblem): number {
  return 4 * problem.batchSize * problem.seqLength;
}

/** Runs `record` once, reads `out` (the value checked), then measures. */
async function runRecorded(
  gpu: GpuDevice,
  label: string,
  record: RecordBatch,
  out: Tensor<"f32">,
  context: RunContext,
): Promise<{ measurement: ContenderRun["measurement"]; output: Float32Array }> {
  const runBatches = gpuBatches(gpu, label, record);
  await runBatches(1);
  const output = await out.read();
  return { output, measurement: await measure(runBatches, context.timing) };
}

/** The fused gather + positional-add kernel, ids already on the device. */
export const fusedKernel: Contender = {
  id: "fused",
  label: "fused gather + add kernel (ids resident)",
  async run(problem, context) {
    const { gpu } = context;
    using inputs = await uploadProblem(gpu, problem);
    using dispatch = await prepareDispatch(gpu, gatherPositionalAddKernel, fusedRun(inputs));
    const run = await runRecorded(gpu, this.id, dispatch.record, inputs.out, context);
    return { ...run, bytesUploadedPerBatch: idBytes(problem) };
  },
};

/** The gather kernel, then the positional-add kernel, through an intermediate tensor. */
export const gatherThenAddKernels: Contender = {
  id: "gather_add",
  label: "gather kernel, then add kernel (ids resident)",
  async run(problem, context) {
    const { gpu } = context;
    using inputs = await uploadProblem(gpu, problem);
    using tokens = await Tensor.zeros(gpu, inputs.out.shape);
    using gatherDispatch = await prepareDispatch(gpu, gatherKernel, gatherRun(inputs, tokens));
    using addDispatch = await prepareDispatch(
      gpu,
      positionalAddKernel,
      positionalAddRun(tokens, inputs.positions, inputs.out),
    );
    const record: RecordBatch = (encoder) => {
      gatherDispatch.record(encoder);
      addDispatch.record(encoder);
    };
    const run = await runRecorded(gpu, this.id, record, inputs.out, context);
    return { ...run, bytesUploadedPerBatch: idBytes(problem) };
  },
};

/**
 * `gatherPositionalAdd(ids, table, positions)` per batch, as a user calls it: the ids are checked
 * and uploaded, an output allocated, and one dispatch submitted per call.
 */
export const fusedPublicApi: Contender = {
  id: "fused_api",
  label: "gatherPositionalAdd() per batch (uploads ids)",
  async run(problem, context) {
    const { gpu } = context;
    using inputs = await uploadProblem(gpu, problem);
    const ids = { data: problem.ids, shape: [problem.batchSize, problem.seqLength] };
    const runBatches = async (count: number) => {
      for (let i = 0; i < count; i++) {
        (await gatherPositionalAdd(ids, inputs.table, inputs.positions)).dispose();
      }
      await gpu.device.queue.onSubmittedWorkDone();
    };
    using out = await gatherPositionalAdd(ids, inputs.table, inputs.positions);
    const output = await out.read();
    const measurement = await measure(runBatches, context.timing);
    // The ids and the kernel's 16-byte uniform block.
    return { measurement, output, bytesUploadedPerBatch: idBytes(problem) + 16 };
  },
};

/** copyBufferToBuffer of as many bytes as one batch's output: the bandwidth limit. */
export const bufferCopy: Contender = {
  id: "copy",
  label: "copyBufferToBuffer of the output bytes",
  async run(problem, context) {
    const { gpu } = context;
    // The source holds the reference output, so the copy is checked like every other contender.
    using source = await Tensor.from(gpu, problem.expected);
    using destination = await Tensor.zeros(gpu, source.shape);
    const record: RecordBatch = (encoder) =>
      encoder.copyBufferToBuffer(source.buffer, 0, destination.buffer, 0, source.byteLength);
    const run = await runRecorded(gpu, this.id, record, destination, context);
    return { ...run, bytesUploadedPerBatch: 0 };
  },
};

/** The plain TypeScript loop of src/embed/cpu_reference.ts, one thread. */
export const cpuLoop: Contender = {
  id: "cpu_loop",
  label: "plain TypeScript loop (CPU, 1 thread)",
  async run(problem, context) {
    const { ids, table, positions, seqLength, dim } = problem;
    const batch = () => gatherPositionalAddCpu(ids, table, positions, seqLength, dim);
    const output = batch();
    const measurement = await measure((count) => {
      for (let i = 0; i < count; i++) batch();
    }, context.timing);
    return { measurement, output, bytesUploadedPerBatch: null };
  },
};
