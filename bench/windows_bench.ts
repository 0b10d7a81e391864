// Windowing and batching over 10 M synthetic tokens, maxLength 256, stride 1 (about 10 M windows):
// batches per second (each bench iteration makes one batch, so iter/s = batches/s) and the memory
// the dataset and the loader add. Run: deno bench bench/windows_bench.ts
import { type Batch, DataLoader, RandomBlockSampler, WindowDataset } from "../mod.ts";
import { Prng } from "../src/util/prng.ts";

const NUM_TOKENS = 10_000_000;
const MAX_LENGTH = 256;
const STRIDE = 1;
const BATCH_SIZE = 8;
const GPT2_VOCAB = 50257;

const prng = new Prng(1);
const ids = new Uint32Array(NUM_TOKENS);
for (let i = 0; i < NUM_TOKENS; i++) ids[i] = prng.below(GPT2_VOCAB);

function allocated(): number {
  const { heapUsed, external } = Deno.memoryUsage();
  return heapUsed + external;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

// One dataset adds too little to see against the heap's noise, so measure many over the same ids.
const INSTANCES = 10_000;
const before = allocated();
const datasets = Array.from(
  { length: INSTANCES },
  () => new WindowDataset(ids, { maxLength: MAX_LENGTH, stride: STRIDE }),
);
const perDataset = (allocated() - before) / INSTANCES;
const dataset = datasets[0];
const windows = dataset.length;

// A loader's iteration allocates each batch's arrays (once, with reuseBuffers), and with
// shuffling a permutation.
function iterationBytes(shuffle: boolean): number {
  const start = allocated();
  const epoch = new DataLoader(dataset, { batchSize: BATCH_SIZE, shuffle, seed: 1 }).batches(0);
  epoch.next();
  const bytes = allocated() - start;
  epoch.return?.();
  return bytes;
}
const sequentialBytes = iterationBytes(false);
const shuffledBytes = iterationBytes(true);
// The book's GPTDatasetV1 keeps two int64 tensors of maxLength per window.
const bookBytes = windows * 2 * MAX_LENGTH * 8;

console.log(
  [
    `windows bench: ${NUM_TOKENS.toLocaleString("en")} tokens, maxLength ${MAX_LENGTH}, ` +
    `stride ${STRIDE} → ${windows.toLocaleString("en")} windows, batch ${BATCH_SIZE}`,
    `  token ids (Uint32Array):                 ${megabytes(ids.byteLength)}`,
    `  a WindowDataset adds:                    ~${Math.round(perDataset)} bytes ` +
    `(heapUsed + external over ${INSTANCES.toLocaleString("en")} instances)`,
    `  a loader iteration adds, sequential:     ~${sequentialBytes.toLocaleString("en")} bytes ` +
    `(a batch's two ${BATCH_SIZE}×${MAX_LENGTH} Uint32 arrays = ${
      2 * BATCH_SIZE * MAX_LENGTH * 4
    } ` +
    "bytes, new for every batch unless reuseBuffers)",
    `  a loader iteration adds, shuffled:       ~${megabytes(shuffledBytes)} ` +
    `(+ the permutation, 4 bytes per window = ${megabytes(windows * 4)})`,
    `  the book's list of int64 tensors:        ${megabytes(bookBytes)}`,
  ].join("\n"),
);

/** A bench body that makes one batch per call, starting a new epoch when one ends. */
function batchMaker(loader: DataLoader): () => Batch {
  let epoch = 0;
  let iterator = loader.batches(epoch);
  return () => {
    let next = iterator.next();
    if (next.done) {
      iterator = loader.batches(++epoch);
      next = iterator.next();
    }
    return next.value;
  };
}

const sequential = batchMaker(new DataLoader(dataset, { batchSize: BATCH_SIZE }));
const sequentialReusing = batchMaker(
  new DataLoader(dataset, { batchSize: BATCH_SIZE, reuseBuffers: true }),
);
const shuffled = batchMaker(
  new DataLoader(dataset, { batchSize: BATCH_SIZE, shuffle: true, seed: 123 }),
);
const shuffledLoader = new DataLoader(dataset, { batchSize: BATCH_SIZE, shuffle: true });
const sampler = new RandomBlockSampler(ids, {
  maxLength: MAX_LENGTH,
  batchSize: BATCH_SIZE,
  seed: 123,
});
const reusingSampler = new RandomBlockSampler(ids, {
  maxLength: MAX_LENGTH,
  batchSize: BATCH_SIZE,
  seed: 123,
  reuseBuffers: true,
});
// Warm the shuffled maker so its first permutation is not timed as a batch.
shuffled();

Deno.bench({
  name: "DataLoader sequential, one batch",
  group: "batch 8 × 256",
  baseline: true,
  fn: () => {
    sequential();
  },
});

Deno.bench({
  name: "DataLoader sequential, one batch, reuseBuffers (no allocation per batch)",
  group: "batch 8 × 256",
  fn: () => {
    sequentialReusing();
  },
});

Deno.bench({
  name: "DataLoader shuffled, one batch",
  group: "batch 8 × 256",
  fn: () => {
    shuffled();
  },
});

Deno.bench({
  name: "RandomBlockSampler, one batch",
  group: "batch 8 × 256",
  fn: () => {
    sampler.sample();
  },
});

Deno.bench({
  name: "RandomBlockSampler, one batch, reuseBuffers",
  group: "batch 8 × 256",
  fn: () => {
    reusingSampler.sample();
  },
});

Deno.bench({
  name: "start a shuffled epoch (permute 10 M windows)",
  n: 5,
  warmup: 1,
  fn: () => {
    shuffledLoader.batches(1).next();
  },
});

Deno.bench({
  name: "WindowDataset over 10 M tokens",
  fn: () => {
    new WindowDataset(ids, { maxLength: MAX_LENGTH, stride: STRIDE });
  },
});
