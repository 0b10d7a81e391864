// The whole pipeline in a program: text → token ids → batches → input embeddings on the GPU.
// Run from the project's folder: deno run --allow-read=data --allow-env=XDG_RUNTIME_DIR examples/pipeline.ts
import { createDataLoaderV1, GpuDevice, InputEmbedding } from "../mod.ts";

// GPT-2's byte-pair encoding, windows of 4 tokens at stride 4, batches of 8 (the book's 2.8)
const text = await Deno.readTextFile("data/the-verdict.txt");
const loader = createDataLoaderV1(text, { batchSize: 8, maxLength: 4, stride: 4, shuffle: false });

// torch.manual_seed(123), then nn.Embedding(50257, 256) and nn.Embedding(4, 256), on the GPU
const gpu = await GpuDevice.shared();
using embedding = await InputEmbedding.create(gpu, {
  vocabSize: 50257,
  contextLength: 4,
  dim: 256,
  seed: 123,
});

const batches = [...loader]; // every batch keeps its own arrays
console.log(`${batches.length} batches of ${batches[0].rows} × ${batches[0].seqLength} tokens`);
using x = await embedding.forward(batches[0]); // token + position embeddings, [8, 4, 256]
const first = Array.from((await x.read()).subarray(0, 3), (v) => v.toFixed(4));
console.log(`input embeddings [${x.shape.join(", ")}], the first row begins ${first.join(", ")}`);
