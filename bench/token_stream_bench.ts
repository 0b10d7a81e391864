// One batch of input embeddings (vocabulary 50257, B = 64, T = 256, D = 256): ids uploaded per
// call (4·B·T bytes) against window starts into a token stream already on the GPU (4·B bytes;
// the targets need no upload at all). Timings include the upload and wait for the GPU to finish.
import { GpuDevice, InputEmbedding, TokenStream, TorchGenerator } from "../mod.ts";

const [VOCAB, BATCH, SEQ, DIM] = [50257, 64, 256, 256];
const gpu = await GpuDevice.shared();
const random = new TorchGenerator(2);
const ids = Uint32Array.from({ length: 1 << 20 }, () => random.nextUint32() % VOCAB);
const stream = await TokenStream.create(gpu, ids);
const embedding = await InputEmbedding.create(gpu, {
  vocabSize: VOCAB,
  contextLength: SEQ,
  dim: DIM,
  seed: 123,
});
const starts = Uint32Array.from({ length: BATCH }, () => random.nextUint32() % (ids.length - SEQ));
const inputs = new Uint32Array(BATCH * SEQ);
starts.forEach((start, b) => inputs.set(ids.subarray(start, start + SEQ), b * SEQ));
const group = `one batch, B=${BATCH} T=${SEQ} D=${DIM}`;

Deno.bench({
  name: `forward: ids uploaded (${inputs.byteLength} bytes per batch)`,
  group,
  baseline: true,
  async fn() {
    using _out = await embedding.forward({ data: inputs, shape: [BATCH, SEQ] });
    await gpu.device.queue.onSubmittedWorkDone();
  },
});

Deno.bench({
  name: `forwardWindows: window starts uploaded (${starts.byteLength} bytes per batch)`,
  group,
  async fn() {
    using _out = await embedding.forwardWindows(stream, starts, SEQ);
    await gpu.device.queue.onSubmittedWorkDone();
  },
});
