import assert from "node:assert/strict";
import { BpeTokenizer, listShards, readShard, writeShard } from "../../mod.ts";
import { mixedCorpusText } from "../helpers/random_text.ts";
import { formatProgress } from "../../src/cli/prepare.ts";
import { runTask } from "../helpers/run_task.ts";
import { withTempDir } from "../helpers/temp_dir.ts";

async function filesIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return names.sort();
}

function assertOneLineError(result: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, pattern);
  assert.equal(result.stderr.trim().split("\n").length, 1, "one line, no stack trace");
}

Deno.test("deno task prepare: a ~40 MB corpus of three files", async () => {
  await withTempDir(async (dir) => {
    const texts = [
      await mixedCorpusText(14_200_000, 1),
      await mixedCorpusText(12_200_000, 2),
      await mixedCorpusText(9_300_000, 3),
    ];
    const paths = texts.map((_, i) => `${dir}/part${i}.txt`);
    for (const [i, path] of paths.entries()) await Deno.writeTextFile(path, texts[i]);
    const bytes = (await Promise.all(paths.map((p) => Deno.stat(p)))).reduce(
      (s, f) => s + f.size,
      0,
    );
    assert.ok(bytes > 40e6, `${bytes} bytes`);

    const out = `${dir}/shards`;
    const running = runTask("prepare", [
      ...paths,
      "--out",
      out,
      "--shard-tokens",
      "2000000",
      "--val-fraction",
      "0.01",
      "--workers", // each worker adds ~40 MB (its own V8 heap and tiktoken tables)
      "2",
      "--json",
    ]);
    // meanwhile, the reference: single-threaded tiktoken, each document after its <|endoftext|>
    using gpt2 = new BpeTokenizer("gpt2");
    const expected = texts.map((text) => gpt2.encodeOrdinary(text));
    const count = expected.reduce((sum, ids) => sum + 1 + ids.length, 0);

    const result = await running;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "", "no progress when stderr is not a terminal");
    const summary = JSON.parse(result.stdout);
    assert.ok(
      summary.peak_rss_bytes < 512 * 1024 * 1024,
      `peak RSS ${(summary.peak_rss_bytes / 2 ** 20).toFixed(0)} MiB`,
    );
    const shards = await listShards(out);
    assert.equal(shards.reduce((sum, s) => sum + s.tokenCount, 0), count, "header totals");
    assert.equal(summary.tokens, count);
    assert.equal(summary.bytes, bytes);
    assert.equal(shards[0].split, "val");
    assert.equal(shards.at(-1)!.split, "train");
    const all = new Uint16Array(count);
    let offset = 0;
    for (const shard of shards) {
      const tokens = await readShard(shard.path);
      all.set(tokens, offset);
      offset += tokens.length;
    }
    let at = 0;
    for (const [i, ids] of expected.entries()) {
      assert.equal(all[at], 50256, `<|endoftext|> before document ${i}`);
      assert.ok(
        ids.every((id, k) => all[at + 1 + k] === id),
        `document ${i} equals single-threaded tiktoken`,
      );
      at += 1 + ids.length;
    }
  });
});

Deno.test("deno task prepare: summary line and clear errors", async (t) => {
  await withTempDir(async (dir) => {
    const input = `${dir}/in.txt`;
    await Deno.writeTextFile(
      input,
      "Hello, do you like tea? <|endoftext|> In the sunlit terraces.",
    );
    await t.step("the summary line", async () => {
      const result = await runTask("prepare", [
        input,
        "--out",
        `${dir}/a`,
        "--encoding",
        "o200k_base",
      ]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stdout,
        /^prepared 1 file \(0\.0 MB\) into [\d,]+ o200k_base tokens in 1 shard \(0 val with 0 tokens, 1 train; uint32\) in .*\/a: [\d.]+ s, [\d.]+ MB\/s, [\d,]+ tokens\/s, peak RSS \d+ MB\n$/,
      );
      const [shard] = await listShards(`${dir}/a`);
      using o200k = new BpeTokenizer("o200k_base");
      const text = await Deno.readTextFile(input);
      assert.deepEqual([...await readShard(shard.path)], [199999, ...o200k.encodeOrdinary(text)]);
    });
    await t.step("an existing shard without --overwrite", async () => {
      await Deno.mkdir(`${dir}/b`);
      await writeShard(`${dir}/b/train_000000.bin`, [7, 7]);
      const result = await runTask("prepare", [input, "--out", `${dir}/b`]);
      assertOneLineError(
        result,
        /^deno task prepare: .*\/b already holds shards \(train_000000\.bin\); they are kept/,
      );
      assert.deepEqual([...await readShard(`${dir}/b/train_000000.bin`)], [7, 7]);
      assert.deepEqual(await filesIn(`${dir}/b`), ["train_000000.bin"]);
    });
    await t.step("an output folder that is not writable: a file in the way", async () => {
      const result = await runTask("prepare", [input, "--out", `${input}/shards`]);
      assertOneLineError(result, /^deno task prepare: .*in\.txt\/shards is not a folder/);
    });
    await t.step("an output folder that is not writable: no write permission there", async () => {
      const child = await new Deno.Command("deno", {
        args: [
          "run",
          "--no-prompt",
          "--allow-read",
          `--allow-write=${dir}/elsewhere`,
          "src/cli/prepare.ts",
          input,
          "--out",
          `${dir}/c`,
        ],
        cwd: new URL("../../", import.meta.url),
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      assertOneLineError(
        { code: child.code, stderr: new TextDecoder().decode(child.stderr) },
        /^deno task prepare: cannot write ".*\/c": a task may write files only under the folder it is/,
      );
      assert.deepEqual(await filesIn(`${dir}/c`), []);
    });
    await t.step("invalid UTF-8: the file and byte offset, and no shard", async () => {
      const bad = `${dir}/bad.txt`;
      await Deno.writeFile(bad, new Uint8Array([0x68, 0x69, 0x20, 0xc3, 0x28]));
      const result = await runTask("prepare", [input, bad, "--out", `${dir}/d`]);
      assertOneLineError(result, /bad\.txt is not valid UTF-8: invalid byte 0xc3 at byte offset 3/);
      assert.deepEqual(await filesIn(`${dir}/d`), []);
    });
    await t.step("missing arguments and bad values", async () => {
      assertOneLineError(await runTask("prepare", [input]), /--out is required: the folder for/);
      assertOneLineError(await runTask("prepare", ["--out", `${dir}/e`]), /FILE is missing/);
      assertOneLineError(
        await runTask("prepare", [input, "--out", `${dir}/e`, "--val-fraction", "1.5"]),
        /--val-fraction must be a number between 0 and 1 \(exclusive\), got 1\.5/,
      );
      assertOneLineError(
        await runTask("prepare", [`${dir}/none.txt`, "--out", `${dir}/e`]),
        /none\.txt does not exist/,
      );
      assertOneLineError(
        await runTask("prepare", [input, "--out", `${dir}/e`, "--shard-tokens", "x"]),
        /--shard-tokens must be an integer in decimal digits, got "x"/,
      );
    });
  });
});

Deno.test("the progress line: bytes, tokens, tokens/s and the time left at this pace", () => {
  assert.equal(
    formatProgress({ bytesDone: 25e6, totalBytes: 100e6, tokens: 5e6, seconds: 10 }),
    "25.0 MB / 100.0 MB (25.0%), 5,000,000 tokens, 500,000 tokens/s, ETA 30s",
  );
  assert.equal(
    formatProgress({ bytesDone: 1e6, totalBytes: 61e6, tokens: 250_000, seconds: 2 }),
    "1.0 MB / 61.0 MB (1.6%), 250,000 tokens, 125,000 tokens/s, ETA 2m00s",
  );
  assert.match(formatProgress({ bytesDone: 0, totalBytes: 5, tokens: 1, seconds: 0 }), /ETA \?$/);
});
