// This module's own contenders: the fused kernel and the separate gather and positional-add
// kernels (prepared through their host code, inputs resident), the public `forward` and the
// GPU-resident token stream's `forwardWindows` as a user calls them per batch, the plain
// TypeScript loop, and copyBufferToBuffer of the same output bytes (the device's bandwidth limit
// for writing the result).
import { gatherPositionalAddCpu } from "../../src/gpu/kernels/embedding/cpu_reference.ts";
import { InputEmbedding } from "../../src/nn/input_embedding.ts";
import { PositionalEmbedding } from "../../src/nn/positional_embedding.ts";
import { TokenEmbedding } from "../../src/nn/token_embedding.ts";
import type { GpuDevice } from "../../src/gpu/device.ts";
import { ROWS_PER_INVOCATION } from "../../src/gpu/kernels/embedding/embedding_program.ts";
import { gatherCall } from "../../src/gpu/kernels/embedding/gather.ts";
import { gatherPositionalAddCall } from "../../src/gpu/kernels/embedding/gather_positional_add.ts";
import { positionalAddCall } from "../../src/gpu/kernels/embedding/positional_add.ts";
import { Tensor } from "../../src/gpu/tensor.ts";
import { TokenStream } from "../../src/gpu/token_stream.ts";
import type { Contender, ContenderRun, RunContext } from "./contender.ts";
import { type EmbeddingProblem, uploadProblem } from "./embedding_problem.ts";
import { gpuBatches, inPasses, type RecordBatch, uploadedBytes } from "./gpu_batches.ts";
import { measure } from "./measure.ts";

/**
 * Bytes of one batch's ids: what the contenders that keep them resident for timing would upload
 * per batch in use.
 */
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

/**
 * Calls `batch` (one batch through a public method: its upload, allocation and submit) once for
 * the output and the bytes it uploads, then measures calls of it.
 */
async function runPerCall(
  gpu: GpuDevice,
  batch: () => Promise<Tensor<"f32">>,
  context: RunContext,
): Promise<ContenderRun> {
  let output: Float32Array | undefined;
  const bytes = await uploadedBytes(gpu, async () => {
    using out = await batch();
    output = await out.read();
  });
  const measurement = await measure(async (count) => {
    for (let i = 0; i < count; i++) (await batch()).dispose();
    await gpu.device.queue.onSubmittedWorkDone();
  }, context.timing);
  return { measurement, output: output!, bytesUploadedPerBatch: bytes };
}

/** An `InputEmbedding` holding the problem's tables. */
async function problemEmbedding(
  gpu: GpuDevice,
  problem: EmbeddingProblem,
): Promise<InputEmbedding> {
  const { vocabSize, seqLength, dim } = problem;
  const token = await TokenEmbedding.create(gpu, vocabSize, dim, { weight: problem.table });
  try {
    const position = await PositionalEmbedding.create(gpu, seqLength, dim, {
      weight: problem.positions,
    });
    return new InputEmbedding(token, position);
  } catch (error) {
    token.dispose();
    throw error;
  }
}

/** The fused gather + positional-add kernel in the device's default layout, ids on the device. */
export const fusedKernel: Contender = {
  id: "fused",
  label: "fused gather + add kernel (ids resident)",
  async run(problem, context) {
    const { gpu } = context;
    using inputs = await uploadProblem(gpu, problem);
    const { ids, table, positions, out } = inputs;
    const { kernel, run } = gatherPositionalAddCall(table, positions, { buffer: ids.buffer }, out);
    using prepared = await kernel.prepare(gpu, run);
    const record = inPasses(this.id, prepared);
    return {
      ...await runRecorded(gpu, this.id, record, out, context),
      bytesUploadedPerBatch: idBytes(problem),
      detail: `the "${gpu.kernelLayout}" layout (this device's default), ` +
        `${ROWS_PER_INVOCATION} rows per invocation`,
    };
  },
};

/** The gather kernel, then the positional-add kernel, through an intermediate tensor. */
export const gatherThenAddKernels: Contender = {
  id: "gather_add",
  label: "gather kernel, then add kernel (ids resident)",
  async run(problem, context) {
    const { gpu } = context;
    using inputs = await uploadProblem(gpu, problem);
    const { ids, table, positions, out } = inputs;
    using tokens = await Tensor.zeros(gpu, out.shape);
    const gather = gatherCall(table, { buffer: ids.buffer }, tokens);
    const add = positionalAddCall(tokens, positions, out);
    using gatherRun = await gather.kernel.prepare(gpu, gather.run);
    using addRun = await add.kernel.prepare(gpu, add.run);
    const record = inPasses(this.id, gatherRun, addRun);
    const run = await runRecorded(gpu, this.id, record, out, context);
    return { ...run, bytesUploadedPerBatch: idBytes(problem) };
  },
};

/**
 * `InputEmbedding.forward(ids)` per batch, as a user calls it: the ids checked and uploaded, an
 * output allocated, one submit per call.
 */
export const fusedPublicApi: Contender = {
  id: "fused_api",
  label: "InputEmbedding.forward() per batch (uploads ids)",
  async run(problem, context) {
    const { gpu } = context;
    using embedding = await problemEmbedding(gpu, problem);
    const ids = { data: problem.ids, shape: [problem.batchSize, problem.seqLength] };
    return await runPerCall(gpu, () => embedding.forward(ids), context);
  },
};

/**
 * `InputEmbedding.forwardWindows(stream, starts, T)` per batch: the token stream (here the
 * batch's windows back to back) uploaded once beforehand, each call uploading only the B window
 * starts.
 */
export const tokenStreamApi: Contender = {
  id: "stream",
  label: "forwardWindows() per batch (stream resident, uploads starts)",
  async run(problem, context) {
    const { gpu } = context;
    const { batchSize, seqLength } = problem;
    using embedding = await problemEmbedding(gpu, problem);
    using stream = await TokenStream.create(gpu, problem.ids);
    const starts = Uint32Array.from({ length: batchSize }, (_, b) => b * seqLength);
    return await runPerCall(
      gpu,
      () => embedding.forwardWindows(stream, starts, seqLength),
      context,
    );
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

/** The plain TypeScript loop of src/gpu/kernels/embedding/cpu_reference.ts, one thread. */
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
