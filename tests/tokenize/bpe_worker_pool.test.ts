import assert from "node:assert/strict";
import {
  BpeTokenizer,
  BpeWorkerPool,
  encodeParallel,
  type EncodingName,
  ENCODINGS,
  InputError,
} from "../../mod.ts";
import { verdictText } from "../helpers/fixtures.ts";
import { randomText, seededRandom, whitespaceAndSpecialsText } from "../helpers/random_text.ts";

const ENCODING_NAMES = Object.keys(ENCODINGS) as EncodingName[];
// Tiny pieces put a boundary at nearly every safe cut; larger ones exercise the usual path.
// (The round trip of a piece costs about 0.1 ms, so the long text gets no tiny pieces.)
const CHUNK_SIZES = [1, 3, 40, undefined];
const LONG_TEXT_CHUNK_SIZES = [40, undefined];

Deno.test("parallel encoding gives the single-threaded ids for every encoding", async (t) => {
  const verdict = (await verdictText()).repeat(2);
  for (const name of ENCODING_NAMES) {
    await t.step(name, async () => {
      const specials = Object.keys(ENCODINGS[name].specialTokens);
      const random = seededRandom(name.length * 101);
      const texts: Record<string, string> = {
        "the-verdict ×2": verdict,
        "random Unicode": randomText(random, 12_000, specials),
        "whitespace runs and special tokens": whitespaceAndSpecialsText(random, 6_000, specials),
      };
      using single = new BpeTokenizer(name, { allowedSpecial: "all" });
      await using pool = new BpeWorkerPool(name, { allowedSpecial: "all", workers: 2 });
      for (const [label, text] of Object.entries(texts)) {
        const expected = single.encode(text);
        const ordinary = single.encodeOrdinary(text);
        const sizes = text.length > 20_000 ? LONG_TEXT_CHUNK_SIZES : CHUNK_SIZES;
        for (const chunkChars of sizes) {
          const what = `${label}, chunkChars ${chunkChars}`;
          assert.deepEqual(await pool.encode(text, { chunkChars }), expected, what);
          assert.deepEqual(await pool.encodeOrdinary(text, { chunkChars }), ordinary, what);
        }
      }
    });
  }
});

Deno.test("parallel encoding checks its input like the single-threaded tokenizer", async (t) => {
  await t.step(
    "a disallowed special token is an error naming its offset in the whole text",
    async () => {
      await using pool = new BpeWorkerPool("gpt2", { workers: 2 });
      const text = "word ".repeat(10_000) + "<|endoftext|> and more";
      await assert.rejects(
        pool.encode(text, { chunkChars: 10 }),
        (e: unknown) =>
          e instanceof InputError &&
          e.message.includes("special token <|endoftext|> at offset 50000"),
      );
      using single = new BpeTokenizer("gpt2");
      assert.deepEqual(
        await pool.encodeOrdinary(text, { chunkChars: 10 }),
        single.encodeOrdinary(text),
      );
    },
  );
  await t.step("only the allowed special tokens become their ids", async () => {
    const options = { allowedSpecial: ["<|endoftext|>"], workers: 2 };
    await using pool = new BpeWorkerPool("cl100k_base", options);
    using single = new BpeTokenizer("cl100k_base", options);
    const text = "a <|endoftext|> b\n<|endoftext|><|endoftext|>c ".repeat(20);
    const ids = await pool.encode(text, { chunkChars: 2 });
    assert.deepEqual(ids, single.encode(text));
    assert.equal(ids.filter((id) => id === 100257).length, 60);
    await assert.rejects(pool.encode(text + "<|endofprompt|>"), /special token <\|endofprompt\|>/);
  });
  await t.step("bad options are InputErrors before any worker starts", async () => {
    assert.throws(() => new BpeWorkerPool("gpt-4" as EncodingName), /encoding must be one of/);
    assert.throws(
      () => new BpeWorkerPool("gpt2", { workers: 0 }),
      /workers must be an integer in \[1, 256\], got 0/,
    );
    assert.throws(
      () => new BpeWorkerPool("gpt2", { allowedSpecial: ["<|endofprompt|>"] }),
      /allowedSpecial names "<\|endofprompt\|>"/,
    );
    await assert.rejects(
      encodeParallel("a <|endoftext|>", { encoding: "gpt2" }),
      /special token <\|endoftext\|> at offset 2/,
    );
    await assert.rejects(
      encodeParallel("text", { encoding: "gpt2", chunkChars: 0 }),
      /chunkChars must be an integer >= 1, got 0/,
    );
    await using pool = new BpeWorkerPool("gpt2", { workers: 1 });
    await assert.rejects(pool.encode(42 as unknown as string), /text must be a string, got 42/);
    await assert.rejects(pool.encode("x", { chunkChars: 1.5 }), /chunkChars must be an integer/);
  });
});

Deno.test("the pool is reusable and stops its workers when disposed", async (t) => {
  await t.step("many calls, one pool; concurrent calls keep their own order", async () => {
    using single = new BpeTokenizer("o200k_base");
    const pool = new BpeWorkerPool("o200k_base", { workers: 2 });
    assert.equal(pool.workers, 2);
    assert.equal(pool.name, "o200k_base");
    const texts = Array.from({ length: 6 }, (_, i) => randomText(seededRandom(i), 3000));
    const results = await Promise.all(texts.map((text) => pool.encode(text, { chunkChars: 50 })));
    results.forEach((ids, i) => assert.deepEqual(ids, single.encode(texts[i]), `text ${i}`));
    assert.deepEqual(await pool.encode(""), new Uint32Array(0));
    pool.dispose();
    await assert.rejects(pool.encode("more"), /the o200k_base worker pool was disposed/);
    pool.dispose(); // harmless twice
  });
  await t.step("encodeParallel starts and stops a pool for one text", async () => {
    const text = await verdictText();
    using single = new BpeTokenizer("p50k_base");
    const ids = await encodeParallel(text, { encoding: "p50k_base", ordinary: true, workers: 2 });
    assert.deepEqual(ids, single.encodeOrdinary(text));
    assert.equal(navigator.hardwareConcurrency >= 1, true);
  });
  await t.step("without read permission for its files, the pool says which to allow", async () => {
    const mod = new URL("../../mod.ts", import.meta.url).href;
    const program = `import { BpeWorkerPool } from ${JSON.stringify(mod)};
      try { new BpeWorkerPool("gpt2"); } catch (e) { console.log(e.name, e.message); }`;
    const child = new Deno.Command("deno", {
      args: ["run", "--no-prompt", "-"], // no permissions at all
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(program));
    await writer.close();
    const { stdout, stderr } = await child.output();
    const src = decodeURIComponent(new URL("../../src/", import.meta.url).pathname);
    assert.equal(
      new TextDecoder().decode(stdout).trim(),
      `NotCapable parallel tokenization starts Web Workers, which load this module's files ` +
        `from ${src}: allow reading them (--allow-read=${src})`,
      new TextDecoder().decode(stderr),
    );
  });
});
