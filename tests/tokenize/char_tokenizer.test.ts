import assert from "node:assert/strict";
import { CharTokenizer, InputError } from "../../mod.ts";
import { verdictText } from "../helpers/fixtures.ts";

const KOREAN = "안녕하세요 함께 인공지능을 공부하게 되어 반가워요.";

Deno.test("character tokenizer", async (t) => {
  await t.step("Korean round-trips, one id per character", () => {
    const tokenizer = CharTokenizer.fromText(KOREAN);
    const ids = tokenizer.encode(KOREAN);
    assert.equal(ids.length, [...KOREAN].length);
    assert.equal(tokenizer.decode(ids), KOREAN);
  });
  await t.step("vocabulary is sorted by code point, emoji beyond 16 bits included", () => {
    const text = "b🎉a😀\uffff";
    const tokenizer = CharTokenizer.fromText(text);
    assert.deepEqual(tokenizer.vocabulary, ["a", "b", "\uffff", "🎉", "😀"]);
    assert.equal(tokenizer.decode(tokenizer.encode(text)), text);
  });
  await t.step("the-verdict.txt round-trips", async () => {
    const text = await verdictText();
    const tokenizer = CharTokenizer.fromText(text);
    assert.equal(tokenizer.decode(tokenizer.encode(text)), text);
    assert.equal(tokenizer.vocabSize, new Set(text).size);
  });
  await t.step("an unknown character is an error naming it and its offset", () => {
    const tokenizer = CharTokenizer.fromText("abc");
    assert.throws(
      () => tokenizer.encode("ab🎉"),
      (e: unknown) =>
        e instanceof InputError && e.parameter === "text" &&
        e.message.includes('"🎉" (U+1F389) at offset 2'),
    );
  });
  await t.step("bad vocabularies and ids", () => {
    assert.throws(() => CharTokenizer.fromText(""), /corpus must be a non-empty string/);
    assert.throws(() => new CharTokenizer(["ab"]), /vocabulary\[0\] must be a single character/);
    assert.throws(
      () => CharTokenizer.fromText("ab").decode([5]),
      /ids\[0\] must be an id in \[0, 1\], got 5/,
    );
  });
});
