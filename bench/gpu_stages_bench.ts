// The GPU stages of embedding one batch, each on its own (vocabulary 50257, B = 64, T = 256,
// D = 256): uploading the ids, the kernels with every input already on the device, and reading
// the embeddings back. Kernel benches record BATCHES batches into one submit and wait for
// onSubmittedWorkDone, so per-submit latency is shared out as in bench:compare; copyBufferToBuffer
// of the same output bytes is the baseline (the device's bandwidth limit).
//   deno bench bench/gpu_stages_bench.ts        (no permissions; WebGPU needs none)
import { GpuDevice } from "../src/gpu/device.ts";
import { gatherKernel } from "../src/gpu/kernels/gather.ts";
import { gatherPositionalAddKernel } from "../src/gpu/kernels/gather_positional_add.ts";
import { positionalAddKernel } from "../src/gpu/kernels/positional_add.ts";
import { Tensor } from "../src/gpu/tensor.ts";
import { makeProblem } from "./harness/embedding_problem.ts";
import { gpuBatches, prepareDispatch, type RecordBatch } from "./harness/gpu_batches.ts";
import { fusedRun, gatherRun, positionalAddRun, uploadProblem } from "./harness/kernel_runs.ts";

const BATCHES = 8;
const gpu = await GpuDevice.shared();
const problem = makeProblem({ vocabSize: 50257, batchSize: 64, seqLength: 256, dim: 256 });
const shape = `B=${problem.batchSize} T=${problem.seqLength} D=${problem.dim}`;
const inputs = await uploadProblem(gpu, problem);
const tokens = await Tensor.zeros(gpu, inputs.out.shape);
const copySource = await Tensor.zeros(gpu, inputs.out.shape);
const fused = await prepareDispatch(gpu, gatherPositionalAddKernel, fusedRun(inputs));
const gather = await prepareDispatch(gpu, gatherKernel, gatherRun(inputs, tokens));
const add = await prepareDispatch(
  gpu,
  positionalAddKernel,
  positionalAddRun(tokens, inputs.positions, inputs.out),
);
globalThis.addEventListener("unload", () => {
  for (const resource of [fused, gather, add, inputs, tokens, copySource]) {
    resource[Symbol.dispose]();
  }
});

function kernelBench(name: string, record: RecordBatch, baseline = false): void {
  const run = gpuBatches(gpu, name, record);
  Deno.bench({
    name: `${name}, ${BATCHES} batches per submit`,
    group: `kernels ${shape}`,
    baseline,
    async fn() {
      await run(BATCHES);
    },
  });
}

kernelBench(
  "copyBufferToBuffer of the output bytes",
  (encoder) =>
    encoder.copyBufferToBuffer(copySource.buffer, 0, inputs.out.buffer, 0, copySource.byteLength),
  true,
);
kernelBench("fused gather + positional add", fused.record);
kernelBench("gather", gather.record);
kernelBench("positional add", add.record);
kernelBench("gather, then positional add", (encoder) => {
  gather.record(encoder);
  add.record(encoder);
});

Deno.bench({
  name: "nothing: an empty submit, then onSubmittedWorkDone (the wait's own latency)",
  group: "upload",
  baseline: true,
  async fn() {
    gpu.device.queue.submit([]);
    await gpu.device.queue.onSubmittedWorkDone();
  },
});
Deno.bench({
  name: `ids of one batch (${problem.ids.byteLength} bytes), writeBuffer`,
  group: "upload",
  async fn() {
    gpu.write(inputs.ids.buffer, problem.ids);
    await gpu.device.queue.onSubmittedWorkDone();
  },
});
Deno.bench({
  name: `the token table (${(problem.table.byteLength / 1e6).toFixed(1)} MB), writeBuffer`,
  group: "upload",
  async fn() {
    gpu.write(inputs.table.buffer, problem.table);
    await gpu.device.queue.onSubmittedWorkDone();
  },
});

Deno.bench({
  name: `one batch's embeddings (${(inputs.out.byteLength / 1e6).toFixed(1)} MB), Tensor.read`,
  group: "readback",
  async fn() {
    await inputs.out.read();
  },
});
