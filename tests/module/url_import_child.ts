// Run by url_import.test.ts from http://127.0.0.1:PORT/tests/module/url_import_child.ts, so that
// "../../mod.ts" below is http://127.0.0.1:PORT/mod.ts and everything it imports (modules, WGSL
// shaders, npm:tiktoken and its WebAssembly) is resolved from there. Reads the text on standard
// input (no permission needed) and prints the book's first batch and its input embeddings.
import { createDataLoaderV1, GpuDevice, InputEmbedding } from "../../mod.ts";

const text = await new Response(Deno.stdin.readable).text();
const [batch] = createDataLoaderV1(text, { batchSize: 8, maxLength: 4, stride: 4, shuffle: false });
const gpu = await GpuDevice.shared();
using embedding = await InputEmbedding.create(gpu, {
  vocabSize: 50257,
  contextLength: 4,
  dim: 256,
  seed: 123,
});
using output = await embedding.forward({
  data: batch.inputs,
  shape: [batch.rows, batch.seqLength],
});
console.log(JSON.stringify({
  module: import.meta.resolve("../../mod.ts"),
  inputs: Array.from(batch.inputs),
  embeddings: Array.from(await output.read()),
}));
