import assert from "node:assert/strict";
import {
  BpeTokenizer,
  encodingForModel,
  type EncodingName,
  ENCODINGS,
  InputError,
} from "../../mod.ts";
import { verdictText } from "../helpers/fixtures.ts";

const GMARKET = "Hello world, we are Gmarket. 🎉";
const KOREAN = "안녕하세요 함께 인공지능을 공부하게 되어 반가워요.";
const BOOK_EOT = "Hello, do you like tea? <|endoftext|> In the sunlit terracesof someunknownPlace.";

Deno.test("gpt2 BPE reproduces the book's numbers", async (t) => {
  using gpt2 = new BpeTokenizer("gpt2", { allowedSpecial: ["<|endoftext|>"] });
  await t.step("the-verdict.txt → 5,145 ids", async () => {
    const ids = gpt2.encode(await verdictText());
    assert.equal(ids.length, 5145);
    assert.deepEqual([...ids.subarray(0, 8)], [40, 367, 2885, 1464, 1807, 3619, 402, 271]);
  });
  await t.step("Akwirw ier", () => {
    const ids = gpt2.encode("Akwirw ier");
    assert.deepEqual([...ids], [33901, 86, 343, 86, 220, 959]);
    assert.equal(gpt2.decode(ids), "Akwirw ier");
    assert.deepEqual(
      [33901, 86, 343, 86, 220, 959].map((id) => new TextDecoder().decode(gpt2.tokenBytes(id))),
      [
        "Ak",
        "w",
        "ir",
        "w",
        " ",
        "ier",
      ],
    );
  });
  await t.step("<|endoftext|> allowed", () => {
    const ids = gpt2.encode(BOOK_EOT);
    assert.deepEqual(
      [...ids],
      [
        15496,
        11,
        466,
        345,
        588,
        8887,
        30,
        220,
        50256,
        554,
        262,
        4252,
        18250,
        8812,
        2114,
        1659,
        617,
        34680,
        27271,
        13,
      ],
    );
    assert.equal(gpt2.decode(ids), BOOK_EOT);
  });
  await t.step("<|endoftext|> disallowed is an error, never a silent split", () => {
    using strict = new BpeTokenizer("gpt2");
    assert.throws(
      () => strict.encode(BOOK_EOT),
      (e: unknown) =>
        e instanceof InputError && e.message.includes("special token <|endoftext|> at offset 24"),
    );
    // as ordinary text it is split into pieces
    assert.ok(strict.encodeOrdinary("<|endoftext|>").length > 1);
  });
});

Deno.test("encodings and model names", async (t) => {
  await t.step("Gmarket sentence with gpt2, gpt-4 and gpt-4o", () => {
    const cases: [string, number[], number][] = [
      ["gpt2", [15496, 995, 11, 356, 389, 402, 10728, 13, 12520, 236, 231], 50257],
      ["gpt-4", [9906, 1917, 11, 584, 527, 480, 19859, 13, 11410, 236, 231], 100277],
      ["gpt-4o", [13225, 2375, 11, 581, 553, 499, 27236, 13, 139786, 231], 200019],
    ];
    for (const [model, expected, vocabSize] of cases) {
      using tokenizer = BpeTokenizer.forModel(model);
      assert.deepEqual([...tokenizer.encode(GMARKET)], expected, model);
      assert.equal(tokenizer.decode(expected), GMARKET);
      assert.equal(tokenizer.vocabSize, vocabSize, model);
    }
  });
  await t.step("model lookup", () => {
    assert.equal(encodingForModel("gpt-2"), "gpt2");
    assert.equal(encodingForModel("gpt2"), "gpt2");
    assert.equal(encodingForModel("gpt-3.5-turbo"), "cl100k_base");
    assert.equal(encodingForModel("gpt-4"), "cl100k_base");
    assert.equal(encodingForModel("gpt-4-0613"), "cl100k_base");
    assert.equal(encodingForModel("gpt-4o"), "o200k_base");
    assert.equal(encodingForModel("gpt-4o-2024-08-06"), "o200k_base");
    assert.equal(encodingForModel("text-davinci-003"), "p50k_base");
    assert.equal(encodingForModel("davinci"), "r50k_base");
    assert.throws(() => encodingForModel("gpt-99"), /model "gpt-99" is not a known model/);
    assert.throws(
      () => new BpeTokenizer("gpt-4" as EncodingName),
      /encoding must be one of gpt2, .* got "gpt-4"/,
    );
  });
  await t.step("Korean round-trips through every encoding", () => {
    for (const name of Object.keys(ENCODINGS) as EncodingName[]) {
      using tokenizer = new BpeTokenizer(name);
      assert.equal(tokenizer.decode(tokenizer.encode(KOREAN)), KOREAN, name);
    }
  });
  await t.step("vocabulary sizes and special tokens match the encoders", () => {
    for (
      const [name, info] of Object.entries(ENCODINGS) as [EncodingName, typeof ENCODINGS.gpt2][]
    ) {
      using tokenizer = new BpeTokenizer(name, { allowedSpecial: "all" });
      for (const [special, id] of Object.entries(info.specialTokens)) {
        assert.deepEqual([...tokenizer.encode(special)], [id], `${name} ${special}`);
      }
      // the last id is a token, the next one is not
      assert.ok(tokenizer.tokenBytes(info.vocabSize - 1).length > 0, name);
      assert.throws(() => tokenizer.tokenBytes(info.vocabSize), /must be an id in/);
    }
  });
  await t.step("allowedSpecial names only special tokens of the encoding", () => {
    assert.throws(
      () => new BpeTokenizer("gpt2", { allowedSpecial: ["<|endofprompt|>"] }),
      /allowedSpecial names "<\|endofprompt\|>", which is not a special token of gpt2/,
    );
    using cl = new BpeTokenizer("cl100k_base", { allowedSpecial: ["<|endoftext|>"] });
    assert.throws(
      () => cl.encode("a <|endofprompt|>"),
      /special token <\|endofprompt\|> at offset 2/,
    );
  });
});

Deno.test("BPE tokenizers share one encoder and release it", () => {
  const a = new BpeTokenizer("r50k_base");
  const b = new BpeTokenizer("r50k_base");
  a.dispose();
  assert.deepEqual([...b.encode("hello")], [31373]); // still alive through b
  a.dispose(); // harmless twice
  assert.throws(() => a.encode("hello"), /tokenizer \(r50k_base\) was disposed/);
  b.dispose();
  using c = new BpeTokenizer("r50k_base"); // a fresh encoder after the last one went
  assert.deepEqual([...c.encode("hello")], [31373]);
});
