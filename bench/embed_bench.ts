// The embedding kernels against the plain TypeScript reference, at the book's sizes and at a
// larger batch (vocabulary 50257, D = 256). GPU timings include upload of the ids and wait for
// the queue to finish; readback is not included.
import { gather, gatherPositionalAdd, GpuDevice, positionalAdd, Tensor } from "../mod.ts";
import { gatherPositionalAddCpu } from "../src/gpu/kernels/embedding/cpu_reference.ts";
import { TorchGenerator } from "../src/util/torch_rng.ts";

const gpu = await GpuDevice.shared();
const VOCAB = 50257;
const DIM = 256;
const random = new TorchGenerator(1);
const tableValues = random.normal(VOCAB * DIM);
const table = await Tensor.from(gpu, tableValues, { shape: [VOCAB, DIM] });

for (const [batch, seq] of [[8, 4], [64, 256]]) {
  const ids = {
    data: Uint32Array.from({ length: batch * seq }, () => random.nextUint32() % VOCAB),
    shape: [batch, seq],
  };
  const positionValues = random.normal(seq * DIM);
  const positions = await Tensor.from(gpu, positionValues, { shape: [seq, DIM] });
  const group = `B=${batch} T=${seq} D=${DIM}`;

  Deno.bench({
    name: "fused gather + positional add (GPU)",
    group,
    baseline: true,
    async fn() {
      const out = await gatherPositionalAdd(ids, table, positions);
      await gpu.device.queue.onSubmittedWorkDone();
      out.dispose();
    },
  });
  Deno.bench({
    name: "gather, then positional add (GPU)",
    group,
    async fn() {
      const tokens = await gather(ids, table);
      const out = await positionalAdd(tokens, positions);
      await gpu.device.queue.onSubmittedWorkDone();
      tokens.dispose();
      out.dispose();
    },
  });
  Deno.bench({
    name: "plain TypeScript loop (CPU)",
    group,
    fn() {
      gatherPositionalAddCpu(ids.data, tableValues, positionValues, seq, DIM);
    },
  });
}
