import assert from "node:assert/strict";
import {
  InputError,
  listShards,
  readShard,
  readShardHeader,
  readShardTokens,
  SHARD_HEADER_BYTES,
  SHARD_MAGIC,
  type ShardInfo,
  ShardWriter,
  writeShard,
} from "../../mod.ts";
import { withTempDir } from "../helpers/temp_dir.ts";

/** A shard built by hand from llm.c's description: 256 int32 LE, then LE tokens. */
function llmcShard(version: number, tokens: number[], declaredCount = tokens.length): Uint8Array {
  const width = version === 1 ? 2 : 4;
  const bytes = new Uint8Array(1024 + tokens.length * width);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, 20240520, true);
  view.setInt32(4, version, true);
  view.setInt32(8, declaredCount, true);
  tokens.forEach((t, i) => {
    if (width === 2) view.setUint16(1024 + 2 * i, t, true);
    else view.setUint32(1024 + 4 * i, t, true);
  });
  return bytes;
}

/** Files in a folder, hidden ones included (temporary files must not be left behind). */
async function filesIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

function shardError(path: string, pattern: RegExp): (e: unknown) => boolean {
  return (e: unknown) => e instanceof InputError && e.parameter === path && pattern.test(e.message);
}

Deno.test("shards are llm.c's format, byte for byte", async (t) => {
  await withTempDir(async (dir) => {
    await t.step("version 1: uint16 tokens", async () => {
      const tokens = [50256, 464, 2068, 0, 65535];
      const info = await writeShard(`${dir}/a.bin`, new Uint32Array(tokens));
      assert.deepEqual(info, {
        path: `${dir}/a.bin`,
        version: 1,
        tokenCount: 5,
        bytesPerToken: 2,
      });
      assert.deepEqual(await Deno.readFile(`${dir}/a.bin`), llmcShard(1, tokens));
      assert.deepEqual(await readShard(`${dir}/a.bin`), Uint16Array.from(tokens));
    });
    await t.step("version 2: uint32 tokens, streamed in parts", async () => {
      const tokens = [199999, 70000, 1, 4294967295];
      await using writer = await ShardWriter.create(`${dir}/b.bin`, { version: 2 });
      await writer.write(new Uint32Array(tokens.slice(0, 2)));
      await writer.write(tokens.slice(2));
      assert.equal(writer.tokenCount, 4);
      const during = await filesIn(dir);
      assert.equal(during.length, 2);
      assert.match(
        during[0],
        /^\.b\.bin\.[0-9a-f]{8}\.tmp$/,
        "a hidden temporary file until close",
      );
      const info = await writer.close();
      assert.equal(info.tokenCount, 4);
      assert.deepEqual(await Deno.readFile(`${dir}/b.bin`), llmcShard(2, tokens));
      assert.deepEqual(await readShard(`${dir}/b.bin`), Uint32Array.from(tokens));
      assert.deepEqual(await filesIn(dir), ["a.bin", "b.bin"], "no temporary file left");
    });
    await t.step("a hand-made llm.c file reads back; ranges read lazily", async () => {
      const tokens = Array.from({ length: 1000 }, (_, i) => (i * 7919) % 50257);
      await Deno.writeFile(`${dir}/llmc.bin`, llmcShard(1, tokens));
      const header = await readShardHeader(`${dir}/llmc.bin`);
      assert.deepEqual(header, {
        path: `${dir}/llmc.bin`,
        version: 1,
        tokenCount: 1000,
        bytesPerToken: 2,
      });
      assert.deepEqual([...await readShardTokens(header, 990, 10)], tokens.slice(990));
      assert.deepEqual([...await readShardTokens(`${dir}/llmc.bin`, 3, 4)], tokens.slice(3, 7));
      assert.deepEqual([...await readShardTokens(header, 1000, 0)], []);
      await assert.rejects(
        readShardTokens(header, 999, 2),
        /count must be an integer in \[0, 1\], got 2/,
      );
      assert.equal(SHARD_HEADER_BYTES, 1024);
      assert.equal(SHARD_MAGIC, 20240520);
    });
    await t.step("a given header must be a header, and must still describe the file", async () => {
      const path = `${dir}/llmc.bin`;
      await assert.rejects(
        readShardTokens({ path } as unknown as ShardInfo, 0, 3),
        /shard must be a shard's header \(\{ path, version, tokenCount, bytesPerToken \}/,
      );
      const header = await readShardHeader(path);
      await assert.rejects(
        readShardTokens({ ...header, tokenCount: 2000 }, 0, 3),
        new RegExp(`${path} is truncated: its header says 2000 tokens of 2 bytes, so 5024 bytes`),
      );
    });
  });
});

Deno.test("the reader rejects truncated and foreign files, naming them", async (t) => {
  await withTempDir(async (dir) => {
    const path = `${dir}/x.bin`;
    await t.step("truncated: expected and actual byte counts", async () => {
      await Deno.writeFile(path, llmcShard(1, [1, 2, 3, 4]).subarray(0, 1024 + 5));
      const message = `${path} is truncated: its header says 4 tokens of 2 bytes, ` +
        `so 1032 bytes are expected, but the file has 1029 bytes`;
      await assert.rejects(readShard(path), shardError(path, /./));
      await assert.rejects(readShardHeader(path), { message });
    });
    await t.step("extra bytes", async () => {
      await Deno.writeFile(path, llmcShard(2, [1, 2], 1));
      await assert.rejects(
        readShardHeader(path),
        {
          message:
            `${path} has extra bytes: its header says 1 tokens of 4 bytes, so 1028 bytes are expected, but the file has 1032 bytes`,
        },
      );
    });
    await t.step("shorter than the header", async () => {
      await Deno.writeFile(path, new Uint8Array(100));
      await assert.rejects(
        readShard(path),
        {
          message:
            `${path} is not a token shard: it has 100 bytes, fewer than the 1024-byte header`,
        },
      );
    });
    await t.step("wrong magic", async () => {
      const bytes = llmcShard(1, [5]);
      new DataView(bytes.buffer).setInt32(0, 20240521, true);
      await Deno.writeFile(path, bytes);
      await assert.rejects(
        readShard(path),
        shardError(path, /magic number is 20240521, expected 20240520/),
      );
    });
    await t.step("wrong version", async () => {
      const bytes = llmcShard(1, [5]);
      new DataView(bytes.buffer).setInt32(4, 3, true);
      await Deno.writeFile(path, bytes);
      await assert.rejects(
        readShardHeader(path),
        shardError(
          path,
          /has shard version 3; expected 1 \(uint16 tokens\) or 2 \(uint32 tokens\)/,
        ),
      );
    });
    await t.step("missing", async () => {
      await assert.rejects(
        readShard(`${dir}/none.bin`),
        shardError(`${dir}/none.bin`, /does not exist/),
      );
    });
  });
});

Deno.test("the writer never leaves a partial shard and never overwrites unless asked", async (t) => {
  await withTempDir(async (dir) => {
    const path = `${dir}/s.bin`;
    await t.step("an existing shard is kept, with a clear error", async () => {
      await writeShard(path, [1, 2, 3]);
      await assert.rejects(
        writeShard(path, [4, 5]),
        shardError(path, /already exists; it is kept/),
      );
      assert.deepEqual([...await readShard(path)], [1, 2, 3]);
      assert.deepEqual(await filesIn(dir), ["s.bin"]);
    });
    await t.step("overwrite: true replaces it", async () => {
      await writeShard(path, [4, 5], { overwrite: true });
      assert.deepEqual([...await readShard(path)], [4, 5]);
    });
    await t.step("an id too large for uint16 aborts the shard", async () => {
      await assert.rejects(
        writeShard(`${dir}/big.bin`, new Uint32Array([1, 70000])),
        /tokens\[1\] must be an integer in \[0, 65535\] for a version 1 shard, got 70000/,
      );
      assert.deepEqual(await filesIn(dir), ["s.bin"]);
    });
    await t.step("a writer disposed before close leaves nothing", async () => {
      {
        await using writer = await ShardWriter.create(`${dir}/gone.bin`);
        await writer.write([1, 2]);
      }
      assert.deepEqual(await filesIn(dir), ["s.bin"]);
      const writer = await ShardWriter.create(`${dir}/gone.bin`);
      await writer.abort();
      await assert.rejects(writer.write([1]), /writer of .*gone\.bin is aborted/);
      assert.deepEqual(await filesIn(dir), ["s.bin"]);
    });
    await t.step("a folder that cannot hold files is an error naming it", async () => {
      await assert.rejects(
        writeShard(`${dir}/s.bin/inner.bin`, [1]),
        shardError(`${dir}/s.bin`, /is not a folder/),
      );
      await assert.rejects(
        writeShard(`${dir}/missing/inner.bin`, [1]),
        shardError(`${dir}/missing`, /does not exist/),
      );
      assert.deepEqual(await filesIn(dir), ["s.bin"]);
    });
  });
});

Deno.test("listShards lists a folder's shards in order, by split", async () => {
  await withTempDir(async (dir) => {
    await writeShard(`${dir}/train_000002.bin`, [3]);
    await writeShard(`${dir}/val_000000.bin`, [1, 1]);
    await writeShard(`${dir}/train_000001.bin`, [2, 2, 2]);
    await writeShard(`${dir}/fineweb_val_000000.bin`, [9], { version: 2 });
    await Deno.writeTextFile(`${dir}/notes.txt`, "not a shard");
    await Deno.writeFile(`${dir}/.hidden.bin`, new Uint8Array(3));
    const train = await listShards(dir, { split: "train" });
    assert.deepEqual(train.map((s) => [s.path, s.tokenCount, s.split]), [
      [`${dir}/train_000001.bin`, 3, "train"],
      [`${dir}/train_000002.bin`, 1, "train"],
    ]);
    const val = await listShards(`${dir}/`, { split: "val" });
    assert.deepEqual(val.map((s) => [s.path, s.version]), [
      [`${dir}/fineweb_val_000000.bin`, 2],
      [`${dir}/val_000000.bin`, 1],
    ]);
    assert.deepEqual((await listShards(dir)).map((s) => s.path.slice(dir.length + 1)), [
      "fineweb_val_000000.bin",
      "val_000000.bin",
      "train_000001.bin",
      "train_000002.bin",
    ]);
    await Deno.writeFile(`${dir}/train_000003.bin`, llmcShard(1, [1, 2]).subarray(0, 1025));
    await assert.rejects(listShards(dir), /train_000003\.bin is truncated/);
    await assert.rejects(listShards(`${dir}/nowhere`), /nowhere does not exist/);
    await assert.rejects(
      listShards(dir, { split: "test" as "val" }),
      /split must be "train" or "val"/,
    );
  });
});
