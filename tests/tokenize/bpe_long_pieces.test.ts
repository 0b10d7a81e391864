// Long pre-tokens: the heap merge gives tiktoken's ids for pieces of every length class and every
// encoding, the JavaScript pre-tokenizer cuts text where tiktoken's does, the probe never misses
// a long piece, and a long piece costs O(n log n) instead of tiktoken's O(n²).
import assert from "node:assert/strict";
import { get_encoding, type Tiktoken } from "npm:tiktoken@1.0.22/init";
import { BpeTokenizer, type EncodingName, InputError } from "../../mod.ts";
import {
  bpeRanks,
  encodePiece,
  LONG_PIECE_CHARS,
  mayHoldLongPiece,
  splitLongPieces,
} from "../../src/tokenize/bpe_long_pieces.ts";
import { randomText, seededRandom } from "../helpers/random_text.ts";
import { idsDigest, TIKTOKEN_200K } from "../helpers/tiktoken_reference.ts";

const ENCODINGS: EncodingName[] = [
  "gpt2",
  "r50k_base",
  "p50k_base",
  "p50k_edit",
  "cl100k_base",
  "o200k_base",
];

// Characters that tiktoken's patterns treat differently: letters of several scripts and cases,
// marks, digits, punctuation, "/", contractions, every kind of space and newline, U+FEFF (not
// whitespace for tiktoken, whitespace for JavaScript's \s), astral letters and emoji.
const ALPHABET = [
  "a",
  "b",
  "e",
  "t",
  "A",
  "Z",
  "x",
  "é",
  "ß",
  "Ж",
  "中",
  "ſ",
  "K",
  "\u0301",
  "𝒜",
  "🙂",
  "1",
  "23",
  "٣",
  " ",
  "  ",
  "\n",
  "\r",
  "\t",
  "\u00a0",
  "\u2028",
  "\u3000",
  "\ufeff",
  "!",
  ".",
  "/",
  "'",
  "'s",
  "'LL",
  "'Ve",
  "-",
  "_",
  "$",
]; // deno-fmt-ignore

/** A text of `length` characters drawn from a few symbols of the alphabet (so runs get long). */
function runText(random: () => number, length: number): string {
  const symbols = Array.from(
    { length: 1 + Math.floor(random() * 4) },
    () => ALPHABET[Math.floor(random() * ALPHABET.length)],
  );
  let text = "";
  while (text.length < length) text += symbols[Math.floor(random() * symbols.length)];
  return text;
}

/** tiktoken itself, for reference ids (its own quadratic merge: keep pieces short here). */
function withTiktoken<T>(encoding: EncodingName, run: (tiktoken: Tiktoken) => T): T {
  const tiktoken = get_encoding(encoding);
  try {
    return run(tiktoken);
  } finally {
    tiktoken.free();
  }
}

const RUNS = [["a", "b", "e", "t", "x", "é", "ß", "中", "ſ"], ["1", "7"], ["!", "-", "."], [" "]];

/** A text of about `length` characters that the pattern takes as one pre-token. */
function onePreToken(random: () => number, length: number, pattern: RegExp): string {
  while (true) {
    const run = RUNS[Math.floor(random() * RUNS.length)];
    let piece = random() < 0.5 ? " " : "";
    while (piece.length < length) piece += run[Math.floor(random() * run.length)];
    if ([...piece.matchAll(pattern)].length === 1) return piece;
  }
}

const LENGTH_CLASSES = [[1, 16], [17, 256], [257, 1024], [1025, 4096]] as const;

Deno.test("long pieces: the heap merge gives tiktoken's ids, every length class and encoding", () => {
  const random = seededRandom(14);
  for (const encoding of ENCODINGS) {
    const bpe = bpeRanks(encoding);
    withTiktoken(encoding, (tiktoken) => {
      for (const [min, max] of LENGTH_CLASSES) {
        for (let trial = 0; trial < 12; trial++) {
          // one pre-token: a run of letters (or of spaces, digits, punctuation), with what the
          // pattern may put before it
          const length = min + Math.floor(random() * (max - min + 1));
          const piece = onePreToken(random, length, bpe.pattern);
          const expected = Array.from(tiktoken.encode_ordinary(piece));
          assert.deepEqual(encodePiece(piece, bpe), expected, `${encoding}: ${length} chars`);
        }
      }
    });
  }
});

Deno.test("long pieces: the JavaScript pre-tokenizer cuts text exactly where tiktoken's does", () => {
  const random = seededRandom(15);
  for (const encoding of ENCODINGS) {
    const bpe = bpeRanks(encoding);
    withTiktoken(encoding, (tiktoken) => {
      for (let trial = 0; trial < 60; trial++) {
        const text = trial % 2 === 0
          ? runText(random, Math.floor(random() * 600))
          : randomText(random, 1 + Math.floor(random() * 400));
        // every pre-token merged here: ids agree only if every cut is tiktoken's
        const ids = splitLongPieces(text, bpe.pattern, 0).flatMap((s) => encodePiece(s.text, bpe));
        assert.deepEqual(ids, Array.from(tiktoken.encode_ordinary(text)), JSON.stringify(text));
      }
    });
  }
});

Deno.test("long pieces: the probe finds every pre-token longer than the limit", () => {
  const random = seededRandom(16);
  let long = 0;
  for (const encoding of ["gpt2", "cl100k_base", "o200k_base"] as const) {
    const { pattern } = bpeRanks(encoding);
    for (let trial = 0; trial < 300; trial++) {
      const text = runText(random, Math.floor(random() * 1500));
      const longest = Math.max(0, ...[...text.matchAll(pattern)].map((m) => m[0].length));
      if (longest > LONG_PIECE_CHARS) {
        long++;
        assert.ok(mayHoldLongPiece(text), `missed a piece of ${longest}: ${JSON.stringify(text)}`);
      }
    }
  }
  assert.ok(long > 100, `only ${long} texts held a long piece`);
  assert.equal(mayHoldLongPiece("word ".repeat(10_000)), false);
  assert.equal(mayHoldLongPiece("x".repeat(LONG_PIECE_CHARS + 1)), true);
});

Deno.test("long pieces: BpeTokenizer gives tiktoken's ids for texts with long pieces", () => {
  const random = seededRandom(17);
  for (const encoding of ENCODINGS) {
    using tokenizer = new BpeTokenizer(encoding, { allowedSpecial: "all" });
    withTiktoken(encoding, (tiktoken) => {
      for (let trial = 0; trial < 16; trial++) {
        // short text, a long run (with a special token in it sometimes), short text
        let long = runText(random, LONG_PIECE_CHARS + Math.floor(random() * 3000));
        if (trial % 4 === 0) long = long.slice(0, 300) + "<|endoftext|>" + long.slice(300);
        const text = randomText(random, 8) + long + randomText(random, 8);
        const specials = [...tokenizer.allowedSpecial];
        assert.deepEqual(
          Array.from(tokenizer.encode(text)),
          Array.from(tiktoken.encode(text, specials)),
          `${encoding} encode`,
        );
        assert.deepEqual(
          Array.from(tokenizer.encodeOrdinary(text)),
          Array.from(tiktoken.encode_ordinary(text)),
          `${encoding} encodeOrdinary`,
        );
      }
    });
  }
});

Deno.test("long pieces: 200,000 copies of one letter give tiktoken's ids", async () => {
  for (const [encoding, letter, count, sha256] of TIKTOKEN_200K) {
    using tokenizer = new BpeTokenizer(encoding);
    const ids = tokenizer.encode(letter.repeat(200_000));
    assert.equal(ids.length, count);
    assert.equal(await idsDigest(ids), sha256);
  }
});

Deno.test("lone surrogates are refused, not turned into U+FFFD", () => {
  using tokenizer = new BpeTokenizer("gpt2");
  for (const [text, offset, unit] of [["ab\ud800c", 2, "D800"], ["\udc00", 0, "DC00"]] as const) {
    for (const run of [() => tokenizer.encode(text), () => tokenizer.encodeOrdinary(text)]) {
      assert.throws(run, (error) => {
        assert.ok(error instanceof InputError);
        assert.equal(
          error.message,
          `text holds a lone surrogate (U+${unit}) at offset ${offset}, which has no UTF-8 form; ` +
            `fix the text (e.g. text.toWellFormed() replaces it with U+FFFD)`,
        );
        return true;
      });
    }
  }
  assert.deepEqual([...tokenizer.encode("🙂")], [...tokenizer.encode("\ud83d\ude42")]);
});
