// Text → every batch embedded, as `deno task embed --all` does it (the same function): the
// sample text repeated to about 1 MB, gpt2, B = 64, T = 256, stride 256, D = 256; tokenizing,
// windowing, the seeded tables and each batch's upload and kernel, results discarded (or read
// back). Each batch is waited for, so this is a floor for a pipelined loop.
//   deno bench --allow-read=. bench/end_to_end_bench.ts
import { createDataLoaderV1 } from "../src/batches/create_data_loader.ts";
import { SAMPLE_TEXT_URL } from "../src/cli/sample_text.ts";
import { embedAllBatches } from "../src/cli/embed_all.ts";
import { InputEmbedding } from "../src/nn/input_embedding.ts";
import { GpuDevice } from "../src/gpu/device.ts";
import { readTextFile } from "../src/tokenize/read_text.ts";

const sample = await readTextFile(SAMPLE_TEXT_URL);
const text = sample.repeat(Math.ceil(1_000_000 / sample.length));
const options = { batchSize: 64, maxLength: 256, stride: 256, shuffle: false };
const gpu = await GpuDevice.shared();
const group = `${(text.length / 1e6).toFixed(1)} MB of text, B=64 T=256 D=256`;

async function endToEnd(readback: boolean): Promise<void> {
  const loader = createDataLoaderV1(text, options);
  using embedding = await InputEmbedding.create(gpu, {
    vocabSize: 50257,
    contextLength: options.maxLength,
    dim: 256,
    seed: 123,
  });
  await embedAllBatches(loader, embedding, { readback });
}

Deno.bench({
  name: "text → all batches embedded (discarded)",
  group,
  baseline: true,
  n: 3,
  warmup: 1,
  async fn() {
    await endToEnd(false);
  },
});
Deno.bench({
  name: "text → all batches embedded and read back",
  group,
  n: 3,
  warmup: 1,
  async fn() {
    await endToEnd(true);
  },
});
