// The GPU stages of embedding one batch, each on its own (vocabulary 50257, B = 64, T = 256,
// D = 256): uploading the ids, the kernels with every input already on the device, and reading
// the embeddings back. The kernels are prepared through their host code (the runs `gather`,
// `positionalAdd`, `gatherPositionalAdd` and `forwardWindows` dispatch); kernel benches record
// BATCHES batches into one submit and wait for onSubmittedWorkDone, so per-submit latency is
// shared out as in bench:compare; copyBufferToBuffer of the same output bytes is the baseline
// (the device's bandwidth limit).
//   deno bench bench/gpu_stages_bench.ts        (no permissions; WebGPU needs none)
import { GpuDevice } from "../src/gpu/device.ts";
import type { KernelCall } from "../src/gpu/kernels/compute_kernel.ts";
import { gatherCall } from "../src/gpu/kernels/embedding/gather.ts";
import { gatherPositionalAddCall } from "../src/gpu/kernels/embedding/gather_positional_add.ts";
import { positionalAddCall } from "../src/gpu/kernels/embedding/positional_add.ts";
import { Tensor } from "../src/gpu/tensor.ts";
import { TokenStream } from "../src/gpu/token_stream.ts";
import { makeProblem, uploadProblem } from "./harness/embedding_problem.ts";
import { gpuBatches, inPasses, type RecordBatch } from "./harness/gpu_batches.ts";

const BATCHES = 8;
const gpu = await GpuDevice.shared();
const problem = makeProblem({ vocabSize: 50257, batchSize: 64, seqLength: 256, dim: 256 });
const shape = `B=${problem.batchSize} T=${problem.seqLength} D=${problem.dim}`;
const inputs = await uploadProblem(gpu, problem);
const { ids, table, positions, out } = inputs;
const tokens = await Tensor.zeros(gpu, out.shape);
const copySource = await Tensor.zeros(gpu, out.shape);
// The batch's windows back to back, so that window b starts at b·T.
const stream = await TokenStream.create(gpu, problem.ids);
const starts = Uint32Array.from({ length: problem.batchSize }, (_, b) => b * problem.seqLength);
const startsOnDevice = await Tensor.from(gpu, starts);

const prepare = ({ kernel, run }: KernelCall) => kernel.prepare(gpu, run);
const idsOnDevice = { buffer: ids.buffer };
const fused = await prepare(gatherPositionalAddCall(table, positions, idsOnDevice, out));
const fromStream = await prepare(
  gatherPositionalAddCall(table, positions, { buffer: startsOnDevice.buffer }, out, {
    stream: stream.ids,
  }),
);
const gather = await prepare(gatherCall(table, idsOnDevice, tokens));
const add = await prepare(positionalAddCall(tokens, positions, out));
globalThis.addEventListener("unload", () => {
  for (
    const resource of [
      fused,
      fromStream,
      gather,
      add,
      inputs,
      tokens,
      copySource,
      stream,
      startsOnDevice,
    ]
  ) {
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
    encoder.copyBufferToBuffer(copySource.buffer, 0, out.buffer, 0, copySource.byteLength),
  true,
);
kernelBench(
  `fused gather + positional add ("${gpu.kernelLayout}" layout)`,
  inPasses("fused", fused),
);
kernelBench(
  "fused, ids read from the token stream at the window starts",
  inPasses("stream", fromStream),
);
kernelBench("gather", inPasses("gather", gather));
kernelBench("positional add", inPasses("add", add));
kernelBench("gather, then positional add", inPasses("gather + add", gather, add));

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
    gpu.write(ids.buffer, problem.ids);
    await gpu.device.queue.onSubmittedWorkDone();
  },
});
Deno.bench({
  name: `window starts of one batch (${starts.byteLength} bytes), writeBuffer`,
  group: "upload",
  async fn() {
    gpu.write(startsOnDevice.buffer, starts);
    await gpu.device.queue.onSubmittedWorkDone();
  },
});
Deno.bench({
  name: `the token table (${(problem.table.byteLength / 1e6).toFixed(1)} MB), writeBuffer`,
  group: "upload",
  async fn() {
    gpu.write(table.buffer, problem.table);
    await gpu.device.queue.onSubmittedWorkDone();
  },
});

Deno.bench({
  name: `one batch's embeddings (${(out.byteLength / 1e6).toFixed(1)} MB), Tensor.read`,
  group: "readback",
  async fn() {
    await out.read();
  },
});
