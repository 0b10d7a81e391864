// `deno task embed --all`: every batch of an epoch through the fused kernel, with the time of
// each stage. The token stream is uploaded once and each batch sends only its window starts
// (4 bytes per row; the kernel reads the ids on the GPU). Batches are embedded one at a time
// (each waited for), so that every stage's time is its own: making the batch on the CPU, the host
// call that uploads the starts and submits the kernel, the GPU's work, and (when asked) reading
// the result back.
import type { DataLoader } from "../batches/data_loader.ts";
import type { InputEmbedding } from "../nn/input_embedding.ts";
import { TokenStream } from "../gpu/token_stream.ts";
import type { Tokenizer } from "../tokenize/tokenizer.ts";

/** Milliseconds spent in each stage of embedding every batch. */
export interface EmbedAllTimes {
  /** Uploading the whole token stream once. */
  stream: number;
  /** Making the batches (windows gathered into `[rows, seqLength]` ids) on the CPU. */
  batch: number;
  /** `forwardWindows()`'s host work: checking and uploading the window starts, submitting. */
  upload: number;
  /** Waiting for the GPU to finish each batch. */
  embed: number;
  /** Reading each batch's embeddings back (0 without `readback`). */
  readback: number;
}

/** What {@linkcode embedAllBatches} did. */
export interface EmbedAllResult {
  /** Batches embedded. */
  batches: number;
  /** Tokens embedded: the sum over batches of rows × seqLength. */
  tokens: number;
  /**
   * Host → device bytes of ids: the token stream once, then 4 per window start (the kernel's
   * 16-byte uniform block per batch not included).
   */
  idBytes: number;
  /** Time per stage, in milliseconds. */
  ms: EmbedAllTimes;
  /** With `readback`: float64 sum and absolute sum of every embedding value read. */
  sums?: { sum: number; absSum: number };
}

/** Options of {@linkcode embedAllBatches}. */
export interface EmbedAllOptions {
  /** Read every batch's embeddings back to the CPU (and sum them). Default: discard them. */
  readback?: boolean;
  /** Called after each batch with the number done so far. */
  onBatch?: (done: number) => void;
}

/** Embeds every batch of `loader`'s epoch 0 with `embedding`, discarding (or summing) the results. */
export async function embedAllBatches(
  loader: DataLoader,
  embedding: InputEmbedding,
  options: EmbedAllOptions = {},
): Promise<EmbedAllResult> {
  const gpu = embedding.token.weight.device;
  const queue = gpu.device.queue;
  const ms: EmbedAllTimes = { stream: 0, batch: 0, upload: 0, embed: 0, readback: 0 };
  const streamStart = performance.now();
  using stream = await TokenStream.create(gpu, loader.dataset.ids);
  await queue.onSubmittedWorkDone();
  ms.stream = performance.now() - streamStart;
  let idBytes = 4 * stream.length;
  const sums = options.readback ? { sum: 0, absSum: 0 } : undefined;
  let batches = 0;
  let tokens = 0;
  const iterator = loader.batches(0);
  for (;;) {
    const t0 = performance.now();
    const next = iterator.next();
    const t1 = performance.now();
    ms.batch += t1 - t0;
    if (next.done) break;
    const { starts, rows, seqLength } = next.value;
    using out = await embedding.forwardWindows(stream, starts.subarray(0, rows), seqLength);
    idBytes += 4 * rows;
    const t2 = performance.now();
    await queue.onSubmittedWorkDone();
    const t3 = performance.now();
    ms.upload += t2 - t1;
    ms.embed += t3 - t2;
    if (sums !== undefined) {
      const values = await out.read();
      ms.readback += performance.now() - t3;
      float64Sums(values, sums);
    }
    batches++;
    tokens += rows * seqLength;
    options.onBatch?.(batches);
  }
  return { batches, tokens, idBytes, ms, sums };
}

/** Adds float32 `values` to a float64 sum and absolute sum (a fresh one by default). */
export function float64Sums(
  values: Float32Array,
  into: { sum: number; absSum: number } = { sum: 0, absSum: 0 },
): { sum: number; absSum: number } {
  for (let i = 0; i < values.length; i++) {
    into.sum += values[i];
    into.absSum += Math.abs(values[i]);
  }
  return into;
}

/** A tokenizer that adds the time each `encode` takes to `timer.ms`. */
export function timedTokenizer<T extends Tokenizer & Partial<Disposable>>(
  tokenizer: T,
  timer: { ms: number },
): Tokenizer & Partial<Disposable> {
  return {
    name: tokenizer.name,
    vocabSize: tokenizer.vocabSize,
    encode(text) {
      const start = performance.now();
      try {
        return tokenizer.encode(text);
      } finally {
        timer.ms += performance.now() - start;
      }
    },
    decode: (ids) => tokenizer.decode(ids),
    [Symbol.dispose]: () => tokenizer[Symbol.dispose]?.(),
  };
}
