import assert from "node:assert/strict";
import {
  InputError,
  listShards,
  readShardTokens,
  ShardDataset,
  type ShardInfo,
  WindowDataset,
  writeShard,
} from "../../mod.ts";
import { Prng } from "../../src/util/prng.ts";
import { loggingReader, randomStream, type ReadCall, writeShards } from "../helpers/shards.ts";
import { withTempDir } from "../helpers/temp_dir.ts";

function inputError(parameter: string, pattern: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof InputError, String(e));
    assert.equal(e.parameter, parameter);
    assert.match(e.message, pattern);
    return true;
  };
}

Deno.test("ShardDataset: each shard's windows are WindowDataset's over that shard", async (t) => {
  const prng = new Prng(77);
  await t.step(
    "random shard folders, uint16 and uint32, short shards skipped",
    () =>
      withTempDir(async (dir) => {
        for (let iteration = 0; iteration < 40; iteration++) {
          const maxLength = 1 + prng.below(10);
          const stride = 1 + prng.below(6);
          const uint16 = iteration % 2 === 0;
          // some shards too short for a window (skipped), at least one long enough
          const streams = Array.from(
            { length: 1 + prng.below(5) },
            () => randomStream(prng, prng.below(4 * maxLength + 20), uint16),
          );
          const long = prng.below(streams.length);
          streams[long] = randomStream(prng, maxLength + 1 + prng.below(50), uint16);
          const caseDir = `${dir}/case${iteration}`;
          await Deno.mkdir(caseDir);
          await writeShards(caseDir, streams);
          const label = `case ${iteration}: maxLength ${maxLength}, stride ${stride}`;
          const log: ReadCall[] = [];
          const dataset = await ShardDataset.open(caseDir, {
            split: "train",
            maxLength,
            stride,
            read: loggingReader(log, readShardTokens),
          });
          assert.deepEqual(log, [], "opening reads headers only");
          assert.equal(dataset.shards.length, streams.length, label);
          let total = 0;
          for (const [k, tokens] of streams.entries()) {
            const short = tokens.length < maxLength + 1;
            const expected = short ? 0 : new WindowDataset(tokens, { maxLength, stride }).length;
            assert.equal(dataset.windowCount(k), expected, label);
            total += expected;
            if (short) {
              await assert.rejects(dataset.load(k), inputError(dataset.shards[k].path, /holds/));
              continue;
            }
            const loaded = await dataset.load(k);
            assert.deepEqual(loaded.ids, tokens, label);
            assert.equal(loaded.ids.constructor, uint16 ? Uint16Array : Uint32Array);
            assert.deepEqual([loaded.maxLength, loaded.stride], [maxLength, stride]);
            for (let w = 0; w < loaded.length; w++) {
              // within the shard: the target's last token is the shard's, never the next shard's
              assert.ok(loaded.start(w) + maxLength + 1 <= tokens.length, label);
            }
          }
          assert.equal(dataset.length, total, label);
          assert.equal(log.length, streams.filter((s) => s.length > maxLength).length);
          assert.ok(log.every(({ start }) => start === 0), "load reads whole shards");
        }
      }),
  );
  await t.step("ranges read through the dataset's reader", async () => {
    await withTempDir(async (dir) => {
      await writeShards(dir, [Uint32Array.from({ length: 100 }, (_, i) => 70_000 + i)]);
      const dataset = await ShardDataset.open(dir, { maxLength: 4, stride: 4 });
      assert.deepEqual([...await dataset.readTokens(0, 10, 3)], [70_010, 70_011, 70_012]);
      await assert.rejects(
        dataset.readTokens(0, 99, 2),
        inputError("count", /must be an integer in \[0, 1\], got 2/),
      );
      await assert.rejects(dataset.readTokens(1, 0, 1), inputError("shard", /in \[0, 0\], got 1/));
    });
  });
});

Deno.test("ShardDataset selects a split and keeps the shards' order", async () => {
  await withTempDir(async (dir) => {
    await writeShards(dir, [Uint16Array.of(1, 2, 3, 4, 5)], { split: "val", firstNumber: 0 });
    await writeShards(dir, [new Uint16Array(12).fill(7), new Uint16Array(6).fill(8)]);
    await writeShard(`${dir}/fineweb_train_000003.bin`, new Uint16Array(9).fill(9));
    const options = { maxLength: 2, stride: 1 };
    const train = await ShardDataset.open(dir, { ...options, split: "train" });
    assert.deepEqual(
      train.shards.map((s) => s.path.slice(dir.length + 1)),
      ["train_000001.bin", "train_000002.bin", "fineweb_train_000003.bin"],
    );
    assert.equal(train.length, 10 + 4 + 7);
    const val = await ShardDataset.open(dir, { ...options, split: "val" });
    assert.deepEqual([val.shards.length, val.length], [1, 3]);
    const all = await ShardDataset.open(dir, options);
    assert.equal(all.length, 3 + 10 + 4 + 7);
    // a dataset over headers you choose, e.g. a subset
    const listed = await listShards(dir, { split: "train" });
    const subset = new ShardDataset(listed.slice(1), options);
    assert.deepEqual([subset.length, subset.windowCount(0)], [4 + 7, 4]);
  });
});

Deno.test("ShardDataset rejects bad input and bad folders, naming the problem", async (t) => {
  await withTempDir(async (dir) => {
    await t.step("options, before the folder is read", async () => {
      const missing = `${dir}/missing`;
      await assert.rejects(
        ShardDataset.open(missing, { maxLength: 0, stride: 1 }),
        inputError("maxLength", /must be an integer >= 1, got 0/),
      );
      await assert.rejects(
        ShardDataset.open(missing, { maxLength: 4, stride: 1.5 }),
        inputError("stride", /must be an integer >= 1, got 1.5/),
      );
      await assert.rejects(
        ShardDataset.open(missing, { maxLength: 4, stride: 1, read: "fast" as never }),
        inputError("read", /must be a function/),
      );
      await assert.rejects(
        ShardDataset.open(missing, { maxLength: 4, stride: 1, split: "test" as never }),
        inputError("split", /must be "train" or "val", got "test"/),
      );
      await assert.rejects(
        ShardDataset.open("", { maxLength: 4, stride: 1 }),
        inputError("dir", /must be a folder's path/),
      );
      await assert.rejects(
        ShardDataset.open(missing, { maxLength: 4, stride: 1 }),
        inputError(missing, /does not exist/),
      );
    });
    await t.step("an empty folder; no shard of the split", async () => {
      await Deno.mkdir(`${dir}/empty`);
      await Deno.writeTextFile(`${dir}/empty/notes.txt`, "not a shard");
      await assert.rejects(
        ShardDataset.open(`${dir}/empty`, { maxLength: 4, stride: 1 }),
        inputError(`${dir}/empty`, /holds no token shards \(\.bin files\)/),
      );
      await writeShards(`${dir}/empty`, [new Uint16Array(10)], { split: "val", firstNumber: 0 });
      await assert.rejects(
        ShardDataset.open(`${dir}/empty`, { split: "train", maxLength: 4, stride: 1 }),
        inputError(`${dir}/empty`, /holds no train shards \(\.bin files whose name says train/),
      );
    });
    await t.step("every shard shorter than maxLength + 1", async () => {
      await Deno.mkdir(`${dir}/short`);
      await writeShards(`${dir}/short`, [new Uint16Array(3), new Uint16Array(5)]);
      await assert.rejects(
        ShardDataset.open(`${dir}/short`, { maxLength: 5, stride: 1 }),
        inputError(
          "maxLength",
          /is 5, but no shard holds maxLength \+ 1 = 6 tokens \(the longest, .*train_000002\.bin, holds 5\)/,
        ),
      );
      const dataset = await ShardDataset.open(`${dir}/short`, { maxLength: 4, stride: 1 });
      assert.deepEqual([dataset.windowCount(0), dataset.windowCount(1)], [0, 1]);
    });
    await t.step("a corrupt shard: the reader's error, naming the file", async () => {
      await Deno.mkdir(`${dir}/corrupt`);
      const [good, bad] = await writeShards(`${dir}/corrupt`, [
        new Uint16Array(20),
        new Uint16Array(20),
      ]);
      const bytes = await Deno.readFile(bad);
      await Deno.writeFile(bad, bytes.subarray(0, bytes.length - 2));
      await assert.rejects(
        ShardDataset.open(`${dir}/corrupt`, { maxLength: 4, stride: 1 }),
        inputError(bad, /is truncated: its header says 20 tokens of 2 bytes, so 1064 bytes/),
      );
      // truncated after the dataset was made: the read fails, naming the file
      await Deno.writeFile(bad, bytes);
      const dataset = await ShardDataset.open(`${dir}/corrupt`, { maxLength: 4, stride: 1 });
      await Deno.truncate(good, 1030);
      await assert.rejects(dataset.load(0), inputError(good, /is truncated/));
    });
    await t.step("shard lists and readers that break the contract", async () => {
      const options = { maxLength: 2, stride: 1 };
      assert.throws(() => new ShardDataset([], options), inputError("shards", /non-empty list/));
      assert.throws(
        () => new ShardDataset([{ path: "a.bin", version: 3 } as never], options),
        inputError("shards[0]", /must be a shard's header/),
      );
      const info: ShardInfo = { path: "virtual.bin", version: 1, tokenCount: 10, bytesPerToken: 2 };
      const wrongLength = new ShardDataset([info], {
        ...options,
        read: () => Promise.resolve(new Uint16Array(9)),
      });
      await assert.rejects(
        wrongLength.load(0),
        inputError("read", /returned 9 tokens of virtual\.bin from token 0, expected 10/),
      );
      const wrongType = new ShardDataset([info], {
        ...options,
        read: () => Promise.resolve([1, 2] as never),
      });
      await assert.rejects(wrongType.load(0), inputError("read", /got an array of length 2/));
    });
  });
});
