import assert from "node:assert/strict";
import {
  BpeTokenizer,
  type EncodingName,
  ENCODINGS,
  InputError,
  listShards,
  prepareShards,
  readShard,
  readTextFile,
  writeShard,
} from "../../mod.ts";
import { isSafeCut } from "../../src/tokenize/safe_cut.ts";
import { verdictText } from "../helpers/fixtures.ts";
import {
  randomText,
  seededRandom,
  SPECIAL_TOKENS,
  whitespaceAndSpecialsText,
} from "../helpers/random_text.ts";
import { withTempDir } from "../helpers/temp_dir.ts";

/** Three documents and an empty one: English, random Unicode, whitespace and specials (BOM first). */
async function writeCorpus(dir: string): Promise<string[]> {
  const random = seededRandom(11);
  const texts = [
    await verdictText(),
    randomText(random, 6000, SPECIAL_TOKENS),
    "",
    "\ufeff" + whitespaceAndSpecialsText(random, 3000, SPECIAL_TOKENS),
  ];
  const paths = texts.map((_, i) => `${dir}/doc${i}.txt`);
  await Promise.all(paths.map((path, i) => Deno.writeTextFile(path, texts[i])));
  return paths;
}

/** The shards' tokens, in order. */
async function shardTokens(dir: string): Promise<number[]> {
  const tokens: number[] = [];
  for (const shard of await listShards(dir)) tokens.push(...await readShard(shard.path));
  return tokens;
}

async function filesIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

/** Each document as single-threaded tiktoken encodes it, after its <|endoftext|>. */
function reference(tokenizer: BpeTokenizer, encoding: EncodingName, texts: string[]): number[] {
  const eot = ENCODINGS[encoding].specialTokens["<|endoftext|>"];
  return texts.flatMap((text) => [eot, ...tokenizer.encodeOrdinary(text)]);
}

Deno.test("prepared shards hold exactly the single-threaded ids of each document", async (t) => {
  await withTempDir(async (dir) => {
    const paths = await writeCorpus(dir);
    const texts = await Promise.all(paths.map((path) => readTextFile(path)));
    const cases: [EncodingName, number, number | undefined][] = [
      ["gpt2", 777, 61], // odd small reads: UTF-8 characters and pre-tokens straddle them
      ["gpt2", 100_000, undefined],
      ["cl100k_base", 1000, 7],
      ["o200k_base", 5000, 1],
    ];
    for (const [encoding, shardSize, chunkBytes] of cases) {
      await t.step(
        `${encoding}, ${shardSize} tokens a shard, ${chunkBytes ?? "1 MiB"} reads`,
        async () => {
          const out = `${dir}/out-${encoding}-${shardSize}`;
          using single = new BpeTokenizer(encoding);
          const expected = reference(single, encoding, texts);
          const summary = await prepareShards(paths, {
            outDir: out,
            encoding,
            shardTokens: shardSize,
            chunkBytes,
            workers: 2,
          });
          assert.deepEqual(await shardTokens(out), expected);
          assert.equal(summary.tokens, expected.length);
          assert.equal(summary.trainTokens, expected.length);
          assert.equal(summary.version, ENCODINGS[encoding].vocabSize > 65536 ? 2 : 1);
          const listed = await listShards(out);
          assert.deepEqual(summary.shards, listed);
          listed.forEach((shard, i) => {
            assert.equal(shard.path, `${out}/train_${String(i).padStart(6, "0")}.bin`);
            if (i < listed.length - 1) assert.equal(shard.tokenCount, shardSize);
          });
        },
      );
    }
  });
});

Deno.test("--val-fraction: the first shards hold the input up to the first safe cut after F of its bytes", async (t) => {
  await withTempDir(async (dir) => {
    const paths = await writeCorpus(dir);
    const texts = await Promise.all(paths.map((path) => readTextFile(path)));
    const sizes = texts.map((text) => new TextEncoder().encode(text).length);
    const total = sizes.reduce((a, b) => a + b);
    using gpt2 = new BpeTokenizer("gpt2");
    const eot = 50256;
    // the definition, computed independently: documents before the target byte are validation,
    // and the one holding it is cut at its first safe cut at or after the target (or its end)
    const expectedSplit = (fraction: number): [number[], number[]] => {
      const target = Math.ceil(fraction * total);
      let before = 0;
      for (const [i, text] of texts.entries()) {
        if (before + sizes[i] >= target) {
          let k = 0;
          while (new TextEncoder().encode(text.slice(0, k)).length < target - before) k++;
          let cut = Math.max(k, 1);
          while (cut < text.length && !isSafeCut(text, cut)) cut++;
          cut = Math.min(cut, text.length);
          const val = [
            ...reference(gpt2, "gpt2", texts.slice(0, i)),
            eot,
            ...gpt2.encodeOrdinary(text.slice(0, cut)),
          ];
          const train = [
            ...gpt2.encodeOrdinary(text.slice(cut)),
            ...reference(gpt2, "gpt2", texts.slice(i + 1)),
          ];
          return [val, train];
        }
        before += sizes[i];
      }
      throw new Error("unreachable: the target is within the input");
    };
    const fractions: [string, number][] = [
      ["inside the first document", 0.3],
      ["inside the random text", 0.8],
      ["exactly the end of the first document", (sizes[0] - 0.5) / total],
    ];
    for (const [label, fraction] of fractions) {
      await t.step(`${label} (F = ${fraction.toFixed(4)})`, async () => {
        const out = `${dir}/val-${fraction}`;
        const summary = await prepareShards(paths, {
          outDir: out,
          shardTokens: 700,
          valFraction: fraction,
          chunkBytes: 300,
          workers: 2,
        });
        const [val, train] = expectedSplit(fraction);
        const valShards = await listShards(out, { split: "val" });
        const trainShards = await listShards(out, { split: "train" });
        const read = async (shards: { path: string }[]) =>
          (await Promise.all(shards.map((s) => readShard(s.path)))).flatMap((a) => [...a]);
        assert.deepEqual(await read(valShards), val);
        assert.deepEqual(await read(trainShards), train);
        assert.equal(summary.valTokens, val.length);
        assert.equal(summary.trainTokens, train.length);
        // one numbering: val_000000 … then train_…, each split's last shard possibly short
        const names = summary.shards.map((s) => s.path.slice(out.length + 1));
        names.forEach((name, i) =>
          assert.match(name, new RegExp(`_${String(i).padStart(6, "0")}\\.bin$`))
        );
        assert.deepEqual(summary.shards.map((s) => s.split), [
          ...valShards.map(() => "val"),
          ...trainShards.map(() => "train"),
        ]);
        assert.ok(valShards.length >= 1 && trainShards.length >= 1);
      });
    }
    await t.step(
      "the end of the first document begins training with the second's <|endoftext|>",
      () => {
        const [, train] = expectedSplit((sizes[0] - 0.5) / total);
        assert.equal(train[0], eot);
      },
    );
  });
});

Deno.test("a failed preparation leaves no shard behind; existing shards are kept", async (t) => {
  await withTempDir(async (dir) => {
    const good = `${dir}/good.txt`;
    await Deno.writeTextFile(good, (await verdictText()).repeat(2));
    await t.step(
      "invalid UTF-8 in the second file: its name and byte offset, no shards",
      async () => {
        const bad = `${dir}/bad.txt`;
        const bytes = new TextEncoder().encode("fine text é ".repeat(500));
        bytes[4321] = 0xff;
        await Deno.writeFile(bad, bytes);
        const out = `${dir}/out-bad`;
        await assert.rejects(
          prepareShards([good, bad], {
            outDir: out,
            shardTokens: 500,
            chunkBytes: 1000,
            workers: 2,
          }),
          (e: unknown) =>
            e instanceof InputError && e.parameter === bad &&
            e.message.includes("invalid byte 0xff at byte offset 4321"),
        );
        // the folder did not exist, and does not now: no shard, no staging folder beside it
        assert.deepEqual(await filesIn(dir), ["bad.txt", "good.txt"]);
      },
    );
    await t.step("existing shards without overwrite: an error before any work", async () => {
      const out = `${dir}/out-existing`;
      await Deno.mkdir(out);
      await writeShard(`${out}/train_000000.bin`, [1, 2, 3]);
      await writeShard(`${out}/train_000001.bin`, [4]);
      await assert.rejects(
        prepareShards([good], { outDir: out }),
        (e: unknown) =>
          e instanceof InputError && e.parameter === out &&
          e.message.includes("already holds shards (train_000000.bin, train_000001.bin)"),
      );
      assert.deepEqual(await filesIn(out), ["train_000000.bin", "train_000001.bin"]);
      assert.deepEqual([...await readShard(`${out}/train_000000.bin`)], [1, 2, 3]);
    });
    await t.step("with overwrite they are replaced, and stale ones removed", async () => {
      const out = `${dir}/out-existing`;
      const summary = await prepareShards([good], { outDir: out, overwrite: true, workers: 2 });
      assert.deepEqual(await filesIn(out), ["shards.json", "train_000000.bin"]);
      assert.equal((await readShard(`${out}/train_000000.bin`)).length, summary.tokens);
    });
    await t.step("a staging folder holding someone else's file: kept, and named", async () => {
      const out = `${dir}/out-existing`;
      await Deno.mkdir(`${out}/.prepare-staging`);
      await Deno.writeTextFile(`${out}/.prepare-staging/mine.txt`, "mine");
      await assert.rejects(
        prepareShards([good], { outDir: out, overwrite: true }),
        (e: unknown) =>
          e instanceof InputError && e.parameter === `${out}/.prepare-staging` &&
          e.message.endsWith(
            "holds files that prepare did not put there; they are kept: move " +
              "them away, then run prepare again",
          ),
      );
      assert.equal(await Deno.readTextFile(`${out}/.prepare-staging/mine.txt`), "mine");
      assert.deepEqual(await filesIn(out), [".prepare-staging", "shards.json", "train_000000.bin"]);
      await Deno.remove(`${out}/.prepare-staging`, { recursive: true });
    });
    await t.step("bad arguments are InputErrors naming them", async () => {
      const cases: [Parameters<typeof prepareShards>, RegExp][] = [
        [[[], { outDir: dir }], /files must be a non-empty list of paths/],
        [[[good], { outDir: "" }], /outDir must be a folder's path/],
        [
          [[good], { outDir: dir, shardTokens: 0 }],
          /shardTokens must be an integer in \[1, 2147483647\], got 0/,
        ],
        [
          [[good], { outDir: dir, valFraction: 1 }],
          /valFraction must be a number between 0 and 1 \(exclusive\), got 1/,
        ],
        [[[good], { outDir: dir, encoding: "gpt5" as EncodingName }], /encoding must be one of/],
        [[[`${dir}/none.txt`], { outDir: dir }], /none\.txt does not exist/],
        [
          [[dir], { outDir: `${dir}/o` }],
          /is a folder, not a regular file; only regular files are read/,
        ],
        [[[good], { outDir: good }], /good\.txt is not a folder/],
      ];
      for (const [args, pattern] of cases) {
        await assert.rejects(
          prepareShards(...args),
          (e: unknown) => e instanceof InputError && pattern.test(e.message),
          String(pattern),
        );
      }
    });
  });
});
