// Loading from shards: an epoch of the shard loader (reads included) against the in-memory
// DataLoader over the same tokens, and random blocks read from the shards. 4 shards of 2.5 M gpt2
// tokens (uint16) in .tmp, maxLength 256, stride 256, batch 8, shuffled.
//   deno bench --allow-read=.tmp --allow-write=.tmp bench/shard_loading_bench.ts
import {
  DataLoader,
  ShardBlockSampler,
  ShardDataLoader,
  ShardDataset,
  WindowDataset,
  writeShard,
} from "../mod.ts";
import { Prng } from "../src/util/prng.ts";

const SHARDS = 4;
const SHARD_TOKENS = 2_500_000;
const options = { maxLength: 256, stride: 256 };
const loaderOptions = { batchSize: 8, shuffle: true, seed: 1 };
const DIR = ".tmp/bench-shard-loading";

await Deno.mkdir(DIR, { recursive: true });
const prng = new Prng(1);
const streams = Array.from(
  { length: SHARDS },
  () => Uint16Array.from({ length: SHARD_TOKENS }, () => prng.below(50257)),
);
for (const [k, tokens] of streams.entries()) {
  await writeShard(`${DIR}/train_${String(k + 1).padStart(6, "0")}.bin`, tokens, {
    overwrite: true,
  });
}
globalThis.addEventListener("unload", () => Deno.removeSync(DIR, { recursive: true }));
const dataset = await ShardDataset.open(DIR, { split: "train", ...options });
const loader = new ShardDataLoader(dataset, loaderOptions);
const inMemory = streams.map((s) => new DataLoader(new WindowDataset(s, options), loaderOptions));
const batches = loader.numBatches;

Deno.bench({
  name: `ShardDataLoader: one epoch, ${batches} batches, ${SHARDS} shards read`,
  group: "epoch",
  baseline: true,
  async fn() {
    let count = 0;
    for await (const _ of loader.batches(0)) count++;
    if (count !== batches) throw new Error(`${count} batches`);
  },
});

Deno.bench({
  name: `DataLoader per shard, tokens in memory: the same ${batches} batches`,
  group: "epoch",
  fn() {
    let count = 0;
    for (const shardLoader of inMemory) for (const _ of shardLoader) count++;
    if (count !== batches) throw new Error(`${count} batches`);
  },
});

const sampler = new ShardBlockSampler(dataset, { batchSize: 8, seed: 1 });
Deno.bench({
  name: "ShardBlockSampler: one batch of 8 × 256 (8 reads of 257 tokens)",
  async fn() {
    await sampler.sample();
  },
});
