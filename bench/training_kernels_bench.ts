// The training kernels on their own, with every input already on the device: the note's semiGPT
// step (V = 2,701, B = 32, T = 8: logits are table rows) and the book's layers (V = 50,257,
// D = 256, B = 64, T = 256). Runs are prepared through the kernels' host code and BATCHES of them
// recorded into one submit (see harness/gpu_batches.ts); copyBufferToBuffer of the parameter
// table is each group's baseline (the device's bandwidth: a copy reads and writes the table once,
// an AdamW step reads four tables and writes three).
//   deno bench bench/training_kernels_bench.ts        (no permissions; WebGPU needs none)
import { GpuDevice } from "../src/gpu/device.ts";
import type { KernelCall, PreparedRun } from "../src/gpu/kernels/compute_kernel.ts";
import { adamwCall } from "../src/gpu/kernels/adamw/adamw.ts";
import {
  gradCall,
  meanCall,
  rowStatsCall,
} from "../src/gpu/kernels/cross_entropy/cross_entropy.ts";
import { gatherCall } from "../src/gpu/kernels/embedding/gather.ts";
import { embeddingBackwardCall } from "../src/gpu/kernels/embedding_backward/embedding_backward.ts";
import { positionalBackwardCall } from "../src/gpu/kernels/embedding_backward/positional_backward.ts";
import { softmaxCall } from "../src/gpu/kernels/softmax/softmax.ts";
import { zerosLike } from "../src/gpu/kernels/segments.ts";
import { Tensor } from "../src/gpu/tensor.ts";
import { TorchGenerator } from "../src/util/torch_rng.ts";
import { gpuBatches, inPasses, type RecordBatch } from "./harness/gpu_batches.ts";

const BATCHES = 4;
const gpu = await GpuDevice.shared();
const random = new TorchGenerator(1337);
const owned: Disposable[] = [];
const keep = <T extends Disposable>(x: T): T => (owned.push(x), x);
globalThis.addEventListener("unload", () => owned.forEach((x) => x[Symbol.dispose]()));
const prepare = async (...calls: KernelCall[]): Promise<PreparedRun[]> =>
  await Promise.all(calls.map(async ({ kernel, run }) => keep(await kernel.prepare(gpu, run))));
const hyper = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step: 1 };

function kernelBench(group: string, name: string, record: RecordBatch, baseline = false): void {
  const run = gpuBatches(gpu, name, record);
  Deno.bench({
    name: `${name}, ${BATCHES} per submit`,
    group,
    baseline,
    async fn() {
      await run(BATCHES);
    },
  });
}

/** copyBufferToBuffer of a tensor's bytes, the group's baseline. */
async function copyBench(group: string, like: Tensor): Promise<void> {
  const source = keep(await zerosLike(like, "copy source"));
  const target = keep(await zerosLike(like, "copy target"));
  kernelBench(group, `copyBufferToBuffer of ${(like.byteLength / 1e6).toFixed(1)} MB`, (e) => {
    source.segments.forEach((s, i) => {
      const t = target.segments[i];
      e.copyBufferToBuffer(s.buffer, s.offset, t.buffer, t.offset, s.size);
    });
  }, true);
}

{
  // The semiGPT step's kernels: V = 2,701, 256 rows of logits, ids drawn from 62 characters.
  const V = 2701;
  const N = 256;
  const group = `semiGPT V=${V} B=32 T=8`;
  const table = keep(await Tensor.from(gpu, random.normal(V * V), { shape: [V, V] }));
  const [grad, m, v] = await Promise.all(["grad", "m", "v"].map((l) => zerosLike(table, l)));
  [grad, m, v].forEach(keep);
  const logits = keep(await Tensor.zeros(gpu, [N, V]));
  const gradLogits = keep(await Tensor.zeros(gpu, [N, V]));
  const stats = keep(await Tensor.zeros(gpu, [N, 2]));
  const rowLosses = keep(await Tensor.zeros(gpu, [N]));
  const loss = keep(await Tensor.zeros(gpu, []));
  const ids = Uint32Array.from({ length: N }, () => random.nextUint32() % 62);
  const targets = Uint32Array.from({ length: N }, () => random.nextUint32() % 62);
  const [gather, stat, mean, dLogits, backward, adamw, softmax] = await prepare(
    gatherCall(table, ids, logits),
    rowStatsCall(logits, targets, stats, rowLosses),
    meanCall(rowLosses, loss),
    gradCall(logits, targets, stats, gradLogits),
    embeddingBackwardCall(gradLogits, ids, grad),
    adamwCall(table, grad, m, v, hyper),
    softmaxCall(logits, gradLogits),
  );
  await copyBench(group, table);
  kernelBench(group, "AdamW step of the table", inPasses("adamw", adamw));
  kernelBench(group, "zero_grad (clearBuffer of the gradient)", (e) => e.clearBuffer(grad.buffer));
  kernelBench(group, "logits: gather of 256 rows", inPasses("gather", gather));
  kernelBench(group, "cross-entropy: row stats and mean", inPasses("ce", stat, mean));
  kernelBench(group, "cross-entropy gradient", inPasses("ce grad", dLogits));
  kernelBench(group, "embedding backward (256 rows by id)", inPasses("backward", backward));
  kernelBench(group, "softmax of 256 rows", inPasses("softmax", softmax));
  kernelBench(
    group,
    "the whole step (forward, loss, gradient, zero_grad, backward, AdamW)",
    (e) => {
      inPasses("step", gather, stat, mean, dLogits)(e);
      e.clearBuffer(grad.buffer);
      inPasses("step", backward, adamw)(e);
    },
  );
}

{
  // The book's layers: V = 50,257, D = 256, a batch of 64 × 256 ids, positions 256.
  const V = 50257;
  const D = 256;
  const B = 64;
  const T = 256;
  const group = `book layers V=${V} D=${D} B=${B} T=${T}`;
  const table = keep(await Tensor.from(gpu, random.normal(V * D), { shape: [V, D] }));
  const [grad, m, v] = await Promise.all(["grad", "m", "v"].map((l) => zerosLike(table, l)));
  [grad, m, v].forEach(keep);
  const positionGrad = keep(await Tensor.zeros(gpu, [T, D]));
  const gradOutput = keep(await Tensor.from(gpu, random.normal(B * T * D), { shape: [B, T, D] }));
  const ids = Uint32Array.from({ length: B * T }, () => random.nextUint32() % V);
  const [backward, positional, adamw] = await prepare(
    embeddingBackwardCall(gradOutput, ids, grad),
    positionalBackwardCall(gradOutput, positionGrad),
    adamwCall(table, grad, m, v, hyper),
  );
  await copyBench(group, table);
  kernelBench(group, "AdamW step of the token table", inPasses("adamw", adamw));
  kernelBench(
    group,
    "token embedding backward (16,384 rows by id)",
    inPasses("backward", backward),
  );
  kernelBench(group, "positional embedding backward", inPasses("positional", positional));
}
