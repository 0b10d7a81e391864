/**
 * The input pipeline of a GPT-style language model, from raw text to the input embeddings that
 * the first transformer block reads, as in chapter 2 of "Build a Large Language Model From
 * Scratch" (Raschka): **tokenize → windows → batches → embed**, the last on the GPU through
 * hand-written WGSL kernels on Deno's WebGPU.
 *
 * This entry point exports everything. Each stage is also an entry point of its own, which loads
 * only what that stage needs (the GPU layer does not load tiktoken's WebAssembly):
 * `./tokenize` (tokenizers, shard preparation), `./data` (windows and batches), `./gpu` (device,
 * tensors, kernels), `./nn` (embedding layers), `./formats` (safetensors, token shards).
 *
 * @example The whole pipeline: text → token ids → windows → batches → embeddings on the GPU
 * ```ts
 * import { BpeTokenizer, DataLoader, GpuDevice, InputEmbedding, WindowDataset } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * using tokenizer = new BpeTokenizer("gpt2");
 * const ids = tokenizer.encode("I HAD always thought Jack Gisburn rather a cheap genius");
 * const windows = new WindowDataset(ids, { maxLength: 4, stride: 4 });
 * const loader = new DataLoader(windows, { batchSize: 2 });
 *
 * const gpu = await GpuDevice.shared();
 * using embedding = await InputEmbedding.create(gpu, {
 *   vocabSize: tokenizer.vocabSize,
 *   contextLength: 4,
 *   dim: 8,
 *   seed: 123,
 * });
 * for (const batch of loader) {
 *   const inputs = { data: batch.inputs, shape: [batch.rows, batch.seqLength] };
 *   using x = await embedding.forward(inputs); // [rows, 4, 8] on the GPU
 *   assert.deepEqual(x.shape, [batch.rows, 4, 8]);
 * }
 * ```
 *
 * @module
 */
// tokenize: text → token ids (tokenizers, strict UTF-8, parallel encoding, shard preparation)
export * from "./src/tokenize/mod.ts";
// windows and batches: token ids → sliding windows → [batch, seqLength] inputs and targets
export * from "./src/batches/mod.ts";
// formats: safetensors files, llm.c token shards, 16-bit floats
export * from "./src/formats/mod.ts";
// gpu: device, tensors, token stream, WGSL kernels
export * from "./src/gpu/mod.ts";
// nn: embedding layers and their seeded initialisation
export * from "./src/nn/mod.ts";
