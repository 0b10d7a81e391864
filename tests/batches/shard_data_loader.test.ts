import assert from "node:assert/strict";
import {
  DataLoader,
  InputError,
  readShardTokens,
  type ShardBatch,
  ShardDataLoader,
  type ShardDataLoaderOptions,
  ShardDataset,
  type TokenArray,
  WindowDataset,
} from "../../mod.ts";
import { Prng } from "../../src/util/prng.ts";
import { loggingReader, randomStream, type ReadCall, writeShards } from "../helpers/shards.ts";
import { withTempDir } from "../helpers/temp_dir.ts";

/** What a batch holds, copied; `ids` stays a reference. */
interface Snapshot {
  inputs: number[];
  targets: number[];
  starts: number[];
  rows: number;
  seqLength: number;
  index: number;
  shard: number;
}

function snapshot(batch: ShardBatch | (Omit<ShardBatch, "ids">)): Snapshot {
  return {
    inputs: [...batch.inputs],
    targets: [...batch.targets],
    starts: [...batch.starts],
    rows: batch.rows,
    seqLength: batch.seqLength,
    index: batch.index,
    shard: batch.shard,
  };
}

async function collect(loader: ShardDataLoader, epoch: number): Promise<Snapshot[]> {
  const batches: Snapshot[] = [];
  for await (const batch of loader.batches(epoch)) {
    const tokens = batch.ids;
    assert.equal(tokens.length, loader.dataset.shards[batch.shard].tokenCount);
    batches.push(snapshot(batch));
  }
  return batches;
}

interface Case {
  streams: TokenArray[];
  maxLength: number;
  stride: number;
  options: ShardDataLoaderOptions;
}

/**
 * The reference: the in-memory DataLoader over each shard's tokens, shards in the documented
 * order (Fisher–Yates with the generator (seed, epoch) when shuffling), each shard's windows
 * with the seed (seed, stream = shard)'s first draw; then dealt round-robin to the ranks.
 */
function expected(c: Case, epoch: number, rank: number, worldSize: number): Snapshot[] {
  const { batchSize, shuffle = false, seed = 0, dropLast = false } = c.options;
  const order = c.streams.map((_, k) => k);
  if (shuffle) new Prng(seed, epoch).shuffle(order);
  const global: Snapshot[] = [];
  for (const k of order) {
    const tokens = c.streams[k];
    if (tokens.length < c.maxLength + 1) continue;
    const windows = new WindowDataset(tokens, { maxLength: c.maxLength, stride: c.stride });
    if (dropLast && windows.length < batchSize) continue;
    const shardSeed = new Prng(seed, k).nextUint32();
    const loader = new DataLoader(windows, { batchSize, shuffle, seed: shardSeed, dropLast });
    for (const batch of loader.batches(epoch)) global.push(snapshot({ ...batch, shard: k }));
  }
  const kept = Math.floor(global.length / worldSize) * worldSize;
  return global.slice(0, kept).filter((_, g) => g % worldSize === rank)
    .map((batch, index) => ({ ...batch, index }));
}

function drawCase(prng: Prng, iteration: number): Case {
  const maxLength = 1 + prng.below(8);
  const stride = 1 + prng.below(5);
  const uint16 = iteration % 2 === 0;
  const streams = Array.from(
    { length: 1 + prng.below(5) },
    () => randomStream(prng, prng.below(6 * maxLength + 40), uint16),
  );
  streams[prng.below(streams.length)] = randomStream(
    prng,
    maxLength + 1 + prng.below(60),
    uint16,
  );
  const options = {
    batchSize: 1 + prng.below(6),
    shuffle: prng.below(3) > 0,
    seed: prng.nextUint32(),
    dropLast: prng.below(2) === 1,
  };
  const most = Math.max(
    ...streams.map((s) =>
      s.length > maxLength ? new WindowDataset(s, { maxLength, stride }).length : 0
    ),
  );
  options.batchSize = Math.min(options.batchSize, most); // at least one batch
  return { streams, maxLength, stride, options };
}

Deno.test("ShardDataLoader = the in-memory DataLoader per shard, over random shard folders", async (t) => {
  const prng = new Prng(4242);
  const cases = Array.from({ length: 50 }, (_, i) => drawCase(prng, i));
  await withTempDir(async (dir) => {
    const datasets: ShardDataset[] = [];
    for (const [i, c] of cases.entries()) {
      await Deno.mkdir(`${dir}/case${i}`);
      await writeShards(`${dir}/case${i}`, c.streams);
      datasets.push(
        await ShardDataset.open(`${dir}/case${i}`, {
          split: "train",
          maxLength: c.maxLength,
          stride: c.stride,
        }),
      );
    }

    await t.step("batches, shard order and shard seeds, several epochs", async () => {
      for (const [i, c] of cases.entries()) {
        const loader = new ShardDataLoader(datasets[i], c.options);
        for (const epoch of [0, 1, 5]) {
          const want = expected(c, epoch, 0, 1);
          assert.deepEqual(await collect(loader, epoch), want, `case ${i}, epoch ${epoch}`);
          assert.equal(loader.numBatches, want.length, "numBatches from the headers");
          const order = c.streams.map((_, k) => k);
          if (c.options.shuffle) new Prng(c.options.seed!, epoch).shuffle(order);
          assert.deepEqual(
            loader.shardOrder(epoch),
            order.filter((k) => c.streams[k].length > c.maxLength),
          );
        }
        const iterated: Snapshot[] = [];
        for await (const batch of loader) iterated.push(snapshot(batch));
        assert.deepEqual(iterated, expected(c, 0, 0, 1), "for await = epoch 0");
        assert.equal(loader.shardSeed(0), new Prng(c.options.seed!, 0).nextUint32());
      }
    });

    await t.step("rows: targets are inputs shifted by one within the shard", async () => {
      for (const [i, c] of cases.entries()) {
        const loader = new ShardDataLoader(datasets[i], c.options);
        for await (const batch of loader.batches(2)) {
          const tokens = c.streams[batch.shard];
          assert.deepEqual(batch.ids, tokens);
          for (let r = 0; r < batch.rows; r++) {
            const s = batch.starts[r];
            assert.equal(s % c.stride, 0);
            assert.ok(s + c.maxLength + 1 <= tokens.length, "the window stays in its shard");
            for (let j = 0; j < c.maxLength; j++) {
              assert.equal(batch.inputs[r * c.maxLength + j], tokens[s + j]);
              assert.equal(batch.targets[r * c.maxLength + j], tokens[s + j + 1]);
            }
          }
          if (c.options.dropLast) assert.equal(batch.rows, c.options.batchSize);
        }
      }
    });

    await t.step(
      "shuffled: each epoch a permutation of all windows, another one each epoch",
      async () => {
        let compared = 0;
        for (const [i, c] of cases.entries()) {
          const options = { ...c.options, shuffle: true, dropLast: false };
          const loader = new ShardDataLoader(datasets[i], options);
          const all = c.streams.flatMap((tokens, k) =>
            tokens.length <= c.maxLength ? [] : Array.from(
              { length: new WindowDataset(tokens, c).length },
              (_, w) => `${k}:${w * c.stride}`,
            )
          ).sort();
          const windows = async (epoch: number) =>
            (await collect(loader, epoch)).flatMap((b) => b.starts.map((s) => `${b.shard}:${s}`));
          const first = await windows(0);
          assert.deepEqual(first.toSorted(), all, `case ${i}`);
          assert.deepEqual(await windows(0), first, "same seed, same epoch: same order");
          const again = new ShardDataLoader(datasets[i], options);
          assert.deepEqual(
            (await collect(again, 0)).flatMap((b) => b.starts),
            (await collect(loader, 0)).flatMap((b) => b.starts),
          );
          if (all.length >= 8) {
            assert.notDeepEqual(await windows(1), first, `case ${i}: epoch 1 = epoch 0`);
            const other = new ShardDataLoader(datasets[i], {
              ...options,
              seed: (options.seed! ^ 1) >>> 0,
            });
            assert.notDeepEqual(
              (await collect(other, 0)).flatMap((b) => b.starts.map((s) => `${b.shard}:${s}`)),
              first,
            );
            compared++;
          }
        }
        assert.ok(compared >= 30, `only ${compared} cases had 8 windows or more`);
      },
    );

    await t.step(
      "ranks: equal counts, disjoint, dealt round-robin from the epoch's batches",
      async () => {
        for (const [i, c] of cases.entries()) {
          const whole = new ShardDataLoader(datasets[i], c.options);
          const worldSize = 1 + prng.below(Math.min(4, whole.numBatches));
          const epoch = prng.below(3);
          const seen = new Set<string>();
          for (let rank = 0; rank < worldSize; rank++) {
            const loader = new ShardDataLoader(datasets[i], { ...c.options, rank, worldSize });
            const batches = await collect(loader, epoch);
            assert.deepEqual(
              batches,
              expected(c, epoch, rank, worldSize),
              `case ${i}, rank ${rank}`,
            );
            assert.equal(batches.length, Math.floor(whole.numBatches / worldSize));
            assert.equal(loader.numBatches, batches.length);
            for (const b of batches) {
              for (const s of b.starts) {
                const key = `${b.shard}:${s}`;
                assert.ok(!seen.has(key), `window ${key} on two ranks`);
                seen.add(key);
              }
            }
          }
        }
      },
    );

    await t.step("prefetch off: the same batches", async () => {
      for (const [i, c] of cases.slice(0, 20).entries()) {
        const loader = new ShardDataLoader(datasets[i], { ...c.options, prefetch: false });
        assert.deepEqual(await collect(loader, 3), expected(c, 3, 0, 1));
      }
    });
  });
});

Deno.test("ShardDataLoader reads lazily: one shard at a time, the next one ahead", async (t) => {
  await withTempDir(async (dir) => {
    const streams = Array.from(
      { length: 6 },
      (_, k) => Uint16Array.from({ length: 30 + k }, (_, i) => 1000 * k + i),
    );
    const paths = await writeShards(dir, streams);
    const log: ReadCall[] = [];
    const dataset = await ShardDataset.open(dir, {
      split: "train",
      maxLength: 4,
      stride: 4,
      read: loggingReader(log, readShardTokens),
    });
    const shardOf = (path: string) => paths.indexOf(path);

    for (const prefetch of [true, false]) {
      await t.step(`prefetch ${prefetch}: reads as the epoch walks the shards`, async () => {
        const loader = new ShardDataLoader(dataset, {
          batchSize: 3,
          shuffle: true,
          seed: 9,
          prefetch,
        });
        assert.equal(loader.numBatches, 6 * 3, "7 windows a shard, 3 batches each");
        log.length = 0;
        const order = loader.shardOrder(4);
        const visited: number[] = [];
        for await (const batch of loader.batches(4)) {
          if (visited.at(-1) !== batch.shard) visited.push(batch.shard);
          const position = visited.length - 1;
          // read so far: the shards up to this one, and the next one only when prefetching
          const read = log.map((call) => shardOf(call.path));
          assert.deepEqual(
            read,
            order.slice(0, position + (prefetch ? 2 : 1)),
          );
        }
        assert.deepEqual(visited, order, "a shard's batches come together");
        assert.deepEqual(
          log.map(({ start, count }) => [start, count]),
          order.map((k) => [0, streams[k].length]),
          "each shard read once, whole",
        );
      });
    }

    await t.step("a rank reads only the shards that hold its batches", async () => {
      // 2 batches a shard: rank r of 4 gets one batch of every other shard
      const options = { batchSize: 4, dropLast: false, worldSize: 4 };
      for (let rank = 0; rank < 4; rank++) {
        log.length = 0;
        const loader = new ShardDataLoader(dataset, { ...options, rank });
        const shards = (await collect(loader, 0)).map((b) => b.shard);
        assert.deepEqual(shards, rank < 2 ? [0, 2, 4] : [1, 3, 5]);
        assert.deepEqual(log.map((call) => shardOf(call.path)), shards);
      }
    });

    await t.step("nothing is read before iterating; an early break reads no further", async () => {
      log.length = 0;
      const loader = new ShardDataLoader(dataset, { batchSize: 2 });
      const batches = loader.batches(0);
      assert.equal(log.length, 0);
      for await (const _ of batches) break;
      assert.deepEqual(log.map((call) => shardOf(call.path)), [0, 1]);
    });
  });
});

Deno.test("ShardDataLoader: a failing read surfaces when the iteration reaches that shard", async () => {
  await withTempDir(async (dir) => {
    const paths = await writeShards(dir, [new Uint16Array(20), new Uint32Array(20)]);
    const dataset = await ShardDataset.open(dir, { maxLength: 4, stride: 4 });
    await Deno.truncate(paths[1], 1040);
    const loader = new ShardDataLoader(dataset, { batchSize: 2 });
    // the truncated second shard is prefetched during the first; breaking early is harmless
    for await (const _ of loader) break;
    const shards: number[] = [];
    await assert.rejects(
      async () => {
        for await (const batch of loader) shards.push(batch.shard);
      },
      (e: unknown) =>
        e instanceof InputError && e.parameter === paths[1] && /is truncated/.test(e.message),
    );
    assert.deepEqual(shards, [0, 0], "the first shard's batches came first");
  });
});

Deno.test("ShardDataLoader rejects bad options before any read", async (t) => {
  await withTempDir(async (dir) => {
    await writeShards(dir, [new Uint16Array(13), new Uint16Array(9), new Uint16Array(3)]);
    const log: ReadCall[] = [];
    // windows of 4 at stride 4: 3 and 2 (the third shard has none)
    const dataset = await ShardDataset.open(dir, {
      maxLength: 4,
      stride: 4,
      read: loggingReader(log, readShardTokens),
    });
    const rejects = (options: unknown, parameter: string, message: RegExp) =>
      assert.throws(
        () => new ShardDataLoader(dataset, options as ShardDataLoaderOptions),
        (e: unknown) => {
          assert.ok(e instanceof InputError, String(e));
          assert.equal(e.parameter, parameter);
          assert.match(e.message, message);
          return true;
        },
      );
    await t.step("the in-memory loader's checks", () => {
      rejects({ batchSize: 0 }, "batchSize", /must be an integer >= 1, got 0/);
      rejects(undefined, "options", /must be \{ batchSize, \.\.\. \}/);
      rejects({ batchSize: 1, seed: -1 }, "seed", /in \[0, 4294967295\], got -1/);
      rejects({ batchSize: 1, rank: 1 }, "rank", /\[0, 0\], got 1/);
      rejects({ batchSize: 1, prefetch: "yes" }, "prefetch", /must be true or false, got "yes"/);
    });
    await t.step("epochs without a batch", () => {
      rejects(
        { batchSize: 4, dropLast: true },
        "batchSize",
        /is 4, more than any shard's windows \(at most 3\), and each shard's short batch is dropped/,
      );
      assert.equal(new ShardDataLoader(dataset, { batchSize: 4 }).numBatches, 2);
      assert.equal(new ShardDataLoader(dataset, { batchSize: 3, dropLast: true }).numBatches, 1);
      rejects(
        { batchSize: 2, worldSize: 4 },
        "worldSize",
        /is 4, more than the 3 batches of an epoch/,
      );
    });
    await t.step("dataset and epoch", () => {
      assert.throws(
        () => new ShardDataLoader({} as ShardDataset, { batchSize: 1 }),
        /dataset must be a ShardDataset, got an object/,
      );
      const loader = new ShardDataLoader(dataset, { batchSize: 1 });
      assert.throws(() => loader.batches(1.5), /epoch must be an integer in \[0, 4294967295\]/);
      assert.throws(() => loader.shardOrder(-1), /epoch must be an integer/);
      assert.throws(() => loader.shardSeed(3), /shard must be an integer in \[0, 2\], got 3/);
    });
    assert.deepEqual(log, [], "nothing was read");
  });
});
