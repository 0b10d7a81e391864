import assert from "node:assert/strict";
import {
  InputError,
  RandomBlockSampler,
  readShardTokens,
  ShardBlockSampler,
  ShardDataset,
  type ShardInfo,
} from "../../mod.ts";
import { Prng } from "../../src/util/prng.ts";
import { loggingReader, randomStream, type ReadCall, writeShards } from "../helpers/shards.ts";
import { withTempDir } from "../helpers/temp_dir.ts";

Deno.test("ShardBlockSampler", async (t) => {
  await withTempDir(async (dir) => {
    await t.step("one shard: exactly RandomBlockSampler's batches", async () => {
      const prng = new Prng(5);
      for (let iteration = 0; iteration < 10; iteration++) {
        const maxLength = 1 + prng.below(16);
        const tokens = randomStream(prng, maxLength + 1 + prng.below(200), iteration % 2 === 0);
        const caseDir = `${dir}/one${iteration}`;
        await Deno.mkdir(caseDir);
        await writeShards(caseDir, [tokens]);
        const dataset = await ShardDataset.open(caseDir, { maxLength, stride: 1 });
        const options = { batchSize: 1 + prng.below(6), seed: prng.nextUint32() };
        const sampler = new ShardBlockSampler(dataset, options);
        const reference = new RandomBlockSampler(tokens, { maxLength, ...options });
        for (let b = 0; b < 5; b++) {
          const batch = await sampler.sample();
          const want = reference.sample();
          assert.deepEqual(
            [batch.inputs, batch.targets, batch.starts, batch.rows, batch.seqLength, batch.index],
            [want.inputs, want.targets, want.starts, want.rows, want.seqLength, want.index],
          );
          assert.ok(batch.shards.every((k) => k === 0));
        }
      }
    });

    await t.step(
      "several shards: RandomBlockSampler's draws over the shards' positions laid end to end",
      async () => {
        const prng = new Prng(6);
        for (let iteration = 0; iteration < 10; iteration++) {
          const maxLength = 1 + prng.below(10);
          // short shards (no position) among them
          const streams = Array.from(
            { length: 2 + prng.below(4) },
            () => randomStream(prng, prng.below(3 * maxLength + 30), iteration % 2 === 1),
          );
          streams[0] = randomStream(prng, maxLength + 1 + prng.below(30), iteration % 2 === 1);
          const caseDir = `${dir}/many${iteration}`;
          await Deno.mkdir(caseDir);
          await writeShards(caseDir, streams);
          const dataset = await ShardDataset.open(caseDir, { maxLength, stride: 3 });
          const positions = streams.map((s) => Math.max(0, s.length - maxLength));
          const numStarts = positions.reduce((a, b) => a + b, 0);
          const options = { batchSize: 1 + prng.below(8), seed: prng.nextUint32() };
          const sampler = new ShardBlockSampler(dataset, options);
          assert.equal(sampler.numStarts, numStarts);
          // positions 0 … numStarts - 1 as the starts of a stream of numStarts + maxLength tokens
          const reference = new RandomBlockSampler(new Uint32Array(numStarts + maxLength), {
            maxLength,
            ...options,
          });
          for (let b = 0; b < 5; b++) {
            const batch = await sampler.sample();
            const drawn = reference.sample().starts;
            for (let r = 0; r < batch.rows; r++) {
              let shard = 0;
              let start = drawn[r];
              while (start >= positions[shard]) start -= positions[shard++];
              assert.deepEqual([batch.shards[r], batch.starts[r]], [shard, start]);
              const tokens = streams[shard];
              assert.ok(start + maxLength + 1 <= tokens.length, "the block stays in its shard");
              for (let i = 0; i < maxLength; i++) {
                assert.equal(batch.inputs[r * maxLength + i], tokens[start + i]);
                assert.equal(batch.targets[r * maxLength + i], tokens[start + i + 1]);
              }
            }
          }
        }
      },
    );

    await t.step("every position of every shard is drawn, about equally often", async () => {
      await Deno.mkdir(`${dir}/uniform`);
      // positions: 6, 0 (too short), 10
      await writeShards(`${dir}/uniform`, [
        new Uint16Array(10),
        new Uint16Array(3),
        new Uint16Array(14),
      ]);
      const dataset = await ShardDataset.open(`${dir}/uniform`, { maxLength: 4, stride: 4 });
      const sampler = new ShardBlockSampler(dataset, { batchSize: 40, seed: 3 });
      const counts = new Map<string, number>();
      for (let b = 0; b < 80; b++) {
        const batch = await sampler.sample();
        for (let r = 0; r < batch.rows; r++) {
          const key = `${batch.shards[r]}:${batch.starts[r]}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
      }
      // 3,200 draws over 16 positions: 200 each; 4 standard deviations is about 55.
      assert.equal(counts.size, 16, [...counts.keys()].join(" "));
      for (const [key, count] of counts) {
        assert.ok(!key.startsWith("1:"), "the short shard has no position");
        assert.ok(Math.abs(count - 200) < 60, `${[...counts]}`);
      }
    });

    await t.step("reads only the blocks it draws", async () => {
      await Deno.mkdir(`${dir}/lazy`);
      await writeShards(`${dir}/lazy`, [new Uint16Array(5000), new Uint16Array(7000)]);
      const log: ReadCall[] = [];
      const dataset = await ShardDataset.open(`${dir}/lazy`, {
        maxLength: 16,
        stride: 16,
        read: loggingReader(log, readShardTokens),
      });
      const sampler = new ShardBlockSampler(dataset, { batchSize: 4 });
      assert.equal(log.length, 0);
      let batches = 0;
      for await (const batch of sampler) {
        assert.deepEqual(
          log.slice(-4).map(({ start, count }) => [start, count]),
          [...batch.starts].map((s) => [s, 17]),
        );
        if (++batches === 3) break;
      }
      assert.equal(log.length, 12, "batchSize reads of maxLength + 1 tokens a batch");
    });

    await t.step("seeded: same seed, same batches; another seed, others", async () => {
      const dataset = await ShardDataset.open(`${dir}/lazy`, { maxLength: 16, stride: 16 });
      const draw = async (seed: number) => {
        const sampler = new ShardBlockSampler(dataset, { batchSize: 4, seed });
        const drawn: number[][] = [];
        for (let b = 0; b < 5; b++) {
          const batch = await sampler.sample();
          drawn.push([...batch.shards, ...batch.starts]);
        }
        return drawn;
      };
      assert.deepEqual(await draw(42), await draw(42));
      assert.notDeepEqual(await draw(43), await draw(42));
    });

    await t.step(
      "overlapping draws keep arrays of their own; reuseBuffers shares one set",
      async () => {
        const dataset = await ShardDataset.open(`${dir}/lazy`, { maxLength: 16, stride: 16 });
        const sequential = new ShardBlockSampler(dataset, { batchSize: 3, seed: 5 });
        const expected = [await sequential.sample(), await sequential.sample()];
        const overlapping = new ShardBlockSampler(dataset, { batchSize: 3, seed: 5 });
        const batches = await Promise.all([overlapping.sample(), overlapping.sample()]);
        assert.deepEqual(batches, expected);
        assert.notEqual(batches[0].inputs, batches[1].inputs);
        assert.notEqual(batches[0].shards, batches[1].shards);
        const reusing = new ShardBlockSampler(dataset, {
          batchSize: 3,
          seed: 5,
          reuseBuffers: true,
        });
        assert.equal(reusing.reuseBuffers, true);
        const one = await reusing.sample();
        const two = await reusing.sample();
        assert.equal(one.inputs, two.inputs);
        assert.equal(one.shards, two.shards);
        assert.deepEqual([...two.inputs], [...expected[1].inputs]);
      },
    );
  });

  await t.step(
    "positions beyond 2^32 (shards of 2^31 - 1 tokens, read by a reader of your own)",
    async () => {
      const tokenCount = 2 ** 31 - 1;
      const shards: ShardInfo[] = Array.from({ length: 4 }, (_, k) => ({
        path: `virtual${k}.bin`,
        version: 2,
        tokenCount,
        bytesPerToken: 4,
      }));
      // token i of every shard is i; the log says which shard each block was read from
      const log: ReadCall[] = [];
      const read = loggingReader(
        log,
        (_, start, count) =>
          Promise.resolve(Uint32Array.from({ length: count }, (_, i) => start + i)),
      );
      const dataset = new ShardDataset(shards, { maxLength: 8, stride: 8, read });
      const sampler = new ShardBlockSampler(dataset, { batchSize: 50, seed: 1 });
      assert.equal(sampler.numStarts, 4 * (tokenCount - 8));
      const seen = new Set<number>();
      for (let b = 0; b < 4; b++) {
        const batch = await sampler.sample();
        for (let r = 0; r < batch.rows; r++) {
          const [k, s] = [batch.shards[r], batch.starts[r]];
          seen.add(k);
          assert.ok(s <= tokenCount - 9);
          assert.deepEqual(log[b * 50 + r], { path: `virtual${k}.bin`, start: s, count: 9 });
          assert.equal(batch.inputs[r * 8], s);
          assert.equal(batch.targets[r * 8 + 7], s + 8);
        }
      }
      assert.equal(seen.size, 4, "all four shards are drawn from");
    },
  );

  await t.step("bad input; a second sample while one is read", async () => {
    const info: ShardInfo = { path: "v.bin", version: 1, tokenCount: 100, bytesPerToken: 2 };
    const dataset = new ShardDataset([info], {
      maxLength: 4,
      stride: 1,
      read: (_, __, count) => Promise.resolve(new Uint16Array(count)),
    });
    for (
      const [options, parameter, message] of [
        [{ batchSize: 0 }, "batchSize", /must be an integer >= 1, got 0/],
        [{ batchSize: 1, seed: -2 }, "seed", /in \[0, 4294967295\], got -2/],
        [null, "options", /must be \{ batchSize, seed\?, reuseBuffers\? \}, got null/],
        [{ batchSize: 1, reuseBuffers: "no" }, "reuseBuffers", /must be true or false, got "no"/],
      ] as const
    ) {
      assert.throws(
        () => new ShardBlockSampler(dataset, options as never),
        (e: unknown) =>
          e instanceof InputError && e.parameter === parameter && message.test(e.message),
      );
    }
    assert.throws(
      () => new ShardBlockSampler([] as never, { batchSize: 1 }),
      /dataset must be a ShardDataset, got an array of length 0/,
    );
    const sampler = new ShardBlockSampler(dataset, { batchSize: 2, reuseBuffers: true });
    const first = sampler.sample();
    await assert.rejects(
      sampler.sample(),
      /sample was called while the previous batch was still being read; with reuseBuffers/,
    );
    assert.equal((await first).index, 0);
    assert.equal((await sampler.sample()).index, 1);
  });
});
