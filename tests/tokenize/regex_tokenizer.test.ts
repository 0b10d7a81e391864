import assert from "node:assert/strict";
import { InputError, RegexTokenizer, splitWords } from "../../mod.ts";
import { verdictText } from "../helpers/fixtures.ts";

const SENTENCE = `"It's the last he painted, you know,"
       Mrs. Gisburn said with pardonable pride.`;

Deno.test("regex tokenizer reproduces the book's chapter 2 numbers", async (t) => {
  const text = await verdictText();

  await t.step("the-verdict.txt splits into 4,690 tokens", () => {
    const tokens = splitWords(text).map((p) => p.token);
    assert.equal(tokens.length, 4690);
    assert.deepEqual(tokens.slice(0, 8), [
      "I",
      "HAD",
      "always",
      "thought",
      "Jack",
      "Gisburn",
      "rather",
      "a",
    ]);
  });

  await t.step("V1: vocabulary of 1,130, HAD → 44, the book's sentence", () => {
    const v1 = RegexTokenizer.fromText(text);
    assert.equal(v1.vocabSize, 1130);
    assert.equal(v1.tokenToId("HAD"), 44);
    const ids = v1.encode(SENTENCE);
    assert.deepEqual(
      [...ids],
      [1, 56, 2, 850, 988, 602, 533, 746, 5, 1126, 596, 5, 1, 67, 7, 38, 851, 1108, 754, 793, 7],
    );
    assert.equal(
      v1.decode(ids),
      `" It' s the last he painted, you know," Mrs. Gisburn said with pardonable pride.`,
    );
  });

  await t.step("V1 strict mode names the unknown word and where it is", () => {
    const v1 = RegexTokenizer.fromText(text);
    assert.throws(
      () => v1.encode("Hello, do you like tea."),
      (e: unknown) =>
        e instanceof InputError && e.parameter === "text" &&
        e.message.includes('"Hello" at offset 0 (token 0)') && e.message.includes("1130 tokens"),
    );
    assert.throws(() => v1.encode("you like zebras."), /"zebras" at offset 9 \(token 2\)/);
  });

  await t.step("V2: 1,132 tokens with <|endoftext|> and <|unk|>", () => {
    const v2 = RegexTokenizer.fromText(text, { specialTokens: true });
    assert.equal(v2.vocabSize, 1132);
    assert.deepEqual(v2.vocabulary.slice(-5), [
      "younger",
      "your",
      "yourself",
      "<|endoftext|>",
      "<|unk|>",
    ]);
    const joined = "Hello, do you like tea? <|endoftext|> In the sunlit terraces of the palace.";
    const ids = v2.encode(joined);
    assert.deepEqual([...ids], [
      1131,
      5,
      355,
      1126,
      628,
      975,
      10,
      1130,
      55,
      988,
      956,
      984,
      722,
      988,
      1131,
      7,
    ]);
    assert.equal(
      v2.decode(ids),
      "<|unk|>, do you like tea? <|endoftext|> In the sunlit terraces of the <|unk|>.",
    );
  });
});

Deno.test("splitWords follows Python's re.split and str.strip", async (t) => {
  await t.step("the book's small examples", () => {
    assert.deepEqual(splitWords("Hello, world. This, is a test.").map((p) => p.token), [
      "Hello",
      ",",
      "world",
      ".",
      "This",
      ",",
      "is",
      "a",
      "test",
      ".",
    ]);
    assert.deepEqual(
      splitWords("Hello, world. Is this-- a test?").map((p) => p.token),
      ["Hello", ",", "world", ".", "Is", "this", "--", "a", "test", "?"],
    );
  });
  await t.step("offsets point at the token in the text", () => {
    const text = "  one--two\t(three)  ";
    for (const { token, offset } of splitWords(text)) {
      assert.equal(text.slice(offset, offset + token.length), token);
    }
  });
  await t.step("Python whitespace, not JavaScript's: \\x1c splits, \\ufeff does not", () => {
    assert.deepEqual(splitWords("a\x1cb\x85c").map((p) => p.token), ["a", "b", "c"]);
    assert.deepEqual(splitWords("a\ufeffb").map((p) => p.token), ["a\ufeffb"]);
  });
  await t.step("sorting is by code point, as Python's sorted()", () => {
    const t = RegexTokenizer.fromText("😀 ｚ a Z");
    assert.deepEqual(t.vocabulary, ["Z", "a", "ｚ", "😀"]);
  });
});

Deno.test("decode removes the space before punctuation as each book version does", () => {
  const corpus = "a: b; c, d.";
  const v1 = RegexTokenizer.fromText(corpus);
  const v2 = RegexTokenizer.fromText(corpus, { specialTokens: true });
  assert.equal(v1.decode(v1.encode(corpus)), "a : b ; c, d.");
  assert.equal(v2.decode(v2.encode(corpus)), "a: b; c, d.");
});

Deno.test("regex tokenizer rejects bad input with the parameter's name", () => {
  assert.throws(() => new RegexTokenizer([]), /vocabulary must be a non-empty array/);
  assert.throws(() => new RegexTokenizer(["a", "a"]), /vocabulary\[1\] repeats the token "a"/);
  const t = RegexTokenizer.fromText("a b");
  assert.throws(() => t.decode([0, 2]), /ids\[1\] must be an id in \[0, 1\], got 2/);
});
