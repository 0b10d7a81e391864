import assert from "node:assert/strict";
import { BpeTokenizer, type EncodingName, ENCODINGS } from "../../mod.ts";
import {
  isSafeCut,
  lastSafeCut,
  nextSafeCut,
  splitAtSafeCuts,
} from "../../src/tokenize/safe_cut.ts";
import { randomText, seededRandom, SPECIAL_TOKENS } from "../helpers/random_text.ts";

const ENCODING_NAMES = Object.keys(ENCODINGS) as EncodingName[];

function idsOf(tokenizer: BpeTokenizer, text: string, ordinary: boolean): number[] {
  return [...(ordinary ? tokenizer.encodeOrdinary(text) : tokenizer.encode(text))];
}

Deno.test("a safe cut splits text into pieces that tiktoken encodes to the ids of the whole", async (t) => {
  for (const name of ENCODING_NAMES) {
    await t.step(
      `${name}: every safe cut of 600 random texts, special tokens allowed and ordinary`,
      () => {
        using tokenizer = new BpeTokenizer(name, { allowedSpecial: "all" });
        const specials = Object.keys(ENCODINGS[name].specialTokens);
        const random = seededRandom(7);
        let cuts = 0;
        for (let n = 0; n < 600; n++) {
          const text = randomText(random, 10 + Math.floor(random() * 50), specials);
          for (const ordinary of [false, true]) {
            const whole = idsOf(tokenizer, text, ordinary);
            for (let cut = 1; cut < text.length; cut++) {
              if (!isSafeCut(text, cut)) continue;
              cuts++;
              const pieces = [
                ...idsOf(tokenizer, text.slice(0, cut), ordinary),
                ...idsOf(tokenizer, text.slice(cut), ordinary),
              ];
              assert.deepEqual(pieces, whole, `${JSON.stringify(text)} cut at ${cut}`);
            }
            // and at all safe cuts at once
            const all = splitAtSafeCuts(text, 1).flatMap((piece) =>
              idsOf(tokenizer, piece, ordinary)
            );
            assert.deepEqual(all, whole, JSON.stringify(text));
          }
        }
        assert.ok(cuts > 800, `only ${cuts} safe cuts were tried`);
      },
    );
  }
});

Deno.test("the cuts it refuses would change the ids (the comparison can fail)", () => {
  // [encoding, text, cut]: each splits a pre-token or changes how a whitespace run is divided
  const unsafe: [EncodingName, string, number][] = [
    ["cl100k_base", "Hi.\nYo", 3], // cl100k glues "\n" to the punctuation before it
    ["o200k_base", "Hi.\nYo", 3],
    ["o200k_base", "x.\n/b", 3], // o200k glues "/" to a newline after punctuation
    ["cl100k_base", "a   b", 2], // inside a run of spaces: `\s+(?!\S)` divides the run differently
    ["cl100k_base", "a \n\nb", 2],
    ["gpt2", "a b", 2], // inside the pre-token " b"
    ["gpt2", "a <|endoftext|> b", 5], // inside a special token
  ];
  for (const [, text, cut] of unsafe) {
    assert.equal(isSafeCut(text, cut), false, `${JSON.stringify(text)} at ${cut}`);
  }
  let differing = 0;
  for (const [name, text, cut] of unsafe) {
    using tokenizer = new BpeTokenizer(name, { allowedSpecial: "all" });
    const whole = idsOf(tokenizer, text, false);
    const split = [
      ...idsOf(tokenizer, text.slice(0, cut), false),
      ...idsOf(tokenizer, text.slice(cut), false),
    ];
    if (JSON.stringify(split) !== JSON.stringify(whole)) differing++;
  }
  assert.equal(differing, unsafe.length);
});

Deno.test("safe cut positions", async (t) => {
  await t.step("before a space or tab after a non-space; after a lone newline", () => {
    const text = "It was\ta verdict.\nThe end";
    const cuts = [...text].map((_, i) => i).filter((i) => isSafeCut(text, i));
    assert.deepEqual(cuts, [2, 6, 8, 18, 21]);
    assert.equal(nextSafeCut(text, 9), 18);
    assert.equal(nextSafeCut(text, 22), -1);
    assert.equal(lastSafeCut(text), 21);
    assert.equal(lastSafeCut("nospaces"), -1);
  });
  await t.step(
    "never at the ends, in whitespace runs, after CRLF, or before '/' after a newline",
    () => {
      for (const text of [" a", "a\r\nb", "a\n\nb", "a\n b", ".\n/x", "a\u3000b", "a\u0085 b"]) {
        const cuts = [...text].map((_, i) => i).filter((i) => isSafeCut(text, i));
        assert.deepEqual(cuts, [], JSON.stringify(text));
      }
      assert.equal(isSafeCut("a  ", 1), true, "before the first space of a run");
      assert.equal(isSafeCut("a  ", 2), false);
      assert.equal(isSafeCut("ab", 0), false);
      assert.equal(isSafeCut("ab", 2), false);
    },
  );
  await t.step("splitAtSafeCuts keeps the text and cuts only at safe cuts", () => {
    const text = randomText(seededRandom(3), 5000, SPECIAL_TOKENS);
    for (const chunkChars of [1, 5, 100, 10_000]) {
      const pieces = splitAtSafeCuts(text, chunkChars);
      assert.equal(pieces.join(""), text);
      let offset = 0;
      for (const [i, piece] of pieces.entries()) {
        if (i > 0) assert.ok(isSafeCut(text, offset), `cut at ${offset}`);
        if (i < pieces.length - 1) assert.ok(piece.length >= chunkChars);
        offset += piece.length;
      }
      if (chunkChars === 10_000) assert.equal(pieces.length, 1);
      if (chunkChars === 1) assert.ok(pieces.length > 100);
    }
    assert.deepEqual(splitAtSafeCuts("", 4), [""]);
    assert.deepEqual(
      splitAtSafeCuts("一二三四五六七八", 2),
      ["一二三四五六七八"],
      "no safe cut: one piece",
    );
  });
});
