import { InputError } from "../util/errors.ts";
import { checkNumberList, checkOptions, describe } from "../util/checks.ts";
import type { Tokenizer } from "./tokenizer.ts";

/**
 * The book's end-of-text token, appended to the vocabulary in its V2 tokenizer.
 *
 * @example
 * ```ts
 * import { END_OF_TEXT, RegexTokenizer } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const v2 = RegexTokenizer.fromText("a b", { specialTokens: true });
 * assert.equal(v2.tokenToId(END_OF_TEXT), 2);
 * ```
 */
export const END_OF_TEXT = "<|endoftext|>";
/**
 * The book's unknown-word token, appended after {@linkcode END_OF_TEXT}; V2 maps unknown words
 * to it.
 *
 * @example
 * ```ts
 * import { RegexTokenizer, UNKNOWN } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const v2 = RegexTokenizer.fromText("a b", { specialTokens: true });
 * assert.deepEqual([...v2.encode("a zebra")], [0, v2.tokenToId(UNKNOWN)]);
 * ```
 */
export const UNKNOWN = "<|unk|>";

// Python's `\s` and `str.strip()` use `str.isspace()`, which differs from JavaScript's `\s`
// (Python adds \x1c-\x1f and \x85, JavaScript adds \ufeff). Spell Python's set out so that
// splits match the book's `re.split` on any text.
const PY_SPACE =
  "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const SEPARATOR = new RegExp(`[,.:;?_!"()']|--|[${PY_SPACE}]`, "g");
// The book's decoders remove the space before punctuation; V2's set adds `:` and `;`.
const SPACE_BEFORE_PUNCTUATION_V1 = new RegExp(`[${PY_SPACE}]+([,.?!"()'])`, "g");
const SPACE_BEFORE_PUNCTUATION_V2 = new RegExp(`[${PY_SPACE}]+([,.:;?!"()'])`, "g");
const ONLY_SPACE = new RegExp(`^[${PY_SPACE}]*$`);

/** A word or punctuation token and the UTF-16 offset where it starts in the text. */
export interface WordPiece {
  /** The token's text. */
  token: string;
  /** Where the token starts in the input (a UTF-16 index, as JavaScript strings count). */
  offset: number;
}

/**
 * The book's preprocessing: `re.split(r'([,.:;?_!"()\']|--|\s)', text)`, each piece
 * stripped, empty pieces dropped; each token with its offset in the text.
 *
 * @example
 * ```ts
 * import { splitWords } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const pieces = splitWords("Hello, world. Is this-- a test?");
 * assert.deepEqual(
 *   pieces.map((p) => p.token),
 *   ["Hello", ",", "world", ".", "Is", "this", "--", "a", "test", "?"],
 * );
 * assert.equal(pieces[2].offset, 7);
 * ```
 *
 * @param text The text to split.
 * @returns The tokens in order, with their offsets.
 */
export function splitWords(text: string): WordPiece[] {
  if (typeof text !== "string") {
    throw new InputError("text", `must be a string, got ${describe(text)}`);
  }
  const pieces: WordPiece[] = [];
  let start = 0;
  const push = (from: number, to: number): void => {
    if (to > from) {
      const token = text.slice(from, to);
      if (!ONLY_SPACE.test(token)) pieces.push({ token, offset: from });
    }
  };
  SEPARATOR.lastIndex = 0;
  for (let m = SEPARATOR.exec(text); m !== null; m = SEPARATOR.exec(text)) {
    push(start, m.index); // the text between separators holds no space: nothing to strip
    push(m.index, m.index + m[0].length); // a separator: kept unless it is a space
    start = m.index + m[0].length;
  }
  push(start, text.length);
  return pieces;
}

/** Options of {@linkcode RegexTokenizer.fromText}. */
export interface RegexTokenizerOptions {
  /**
   * Append `<|endoftext|>` and `<|unk|>` to the vocabulary, and map unknown words to
   * `<|unk|>` instead of failing (the book's `SimpleTokenizerV2`). Default `false`: the
   * book's `SimpleTokenizerV1`, where an unknown word is an error.
   */
  specialTokens?: boolean;
}

/** Python's `sorted()` order for strings: by code point, not by UTF-16 unit. */
function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done || cb.done) return (ca.done ? 0 : 1) - (cb.done ? 0 : 1);
    const d = ca.value.codePointAt(0)! - cb.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

/**
 * The book's word tokenizer (chapter 2, `SimpleTokenizerV1` and `V2`): text is split with
 * {@linkcode splitWords}, each token looked up in a vocabulary built from a corpus (its sorted
 * unique tokens). Decoding joins with spaces and removes the space before punctuation.
 *
 * A vocabulary that contains `<|unk|>` maps unknown words to it (V2); otherwise an unknown
 * word is an {@linkcode InputError} naming the word and where it occurs (V1).
 *
 * @example The book's V1 and V2 tokenizers
 * ```ts
 * import { RegexTokenizer } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const corpus = "The cat sat. The dog ran!";
 * const v1 = RegexTokenizer.fromText(corpus);
 * assert.deepEqual(v1.vocabulary, ["!", ".", "The", "cat", "dog", "ran", "sat"]);
 * assert.deepEqual([...v1.encode("The dog sat.")], [2, 4, 6, 1]);
 * assert.equal(v1.decode([2, 4, 6, 1]), "The dog sat.");
 * assert.throws(() => v1.encode("The bird"), /"bird" at offset 4/);
 *
 * const v2 = RegexTokenizer.fromText(corpus, { specialTokens: true });
 * assert.equal(v2.vocabSize, 9);
 * assert.equal(v2.decode(v2.encode("The bird")), "The <|unk|>");
 * ```
 */
export class RegexTokenizer implements Tokenizer {
  readonly #idToToken: readonly string[];
  readonly #tokenToId: Map<string, number>;
  readonly #unknownId: number | undefined;

  /**
   * Builds the vocabulary of a corpus as the book does: `sorted(set(tokens))`, with
   * `<|endoftext|>` and `<|unk|>` appended when `options.specialTokens` is set.
   *
   * @param corpus The text whose tokens make the vocabulary.
   * @param options Whether to append the special tokens (V2).
   */
  static fromText(corpus: string, options: RegexTokenizerOptions = {}): RegexTokenizer {
    if (typeof corpus !== "string") {
      throw new InputError("corpus", `must be a string, got ${describe(corpus)}`);
    }
    checkOptions(options, "{ specialTokens? }");
    const { specialTokens = false } = options;
    if (typeof specialTokens !== "boolean") {
      throw new InputError(
        "specialTokens",
        `must be true or false, got ${describe(specialTokens)}`,
      );
    }
    const unique = [...new Set(splitWords(corpus).map((p) => p.token))].sort(compareCodePoints);
    if (unique.length === 0 && !specialTokens) {
      throw new InputError(
        "corpus",
        `holds no words (${describe(corpus)}), so the vocabulary would be empty`,
      );
    }
    if (specialTokens) unique.push(END_OF_TEXT, UNKNOWN);
    return new RegexTokenizer(unique);
  }

  /**
   * A tokenizer over a given vocabulary; with `<|unk|>` in it, unknown words map to that token.
   *
   * @param vocabulary The tokens in id order (id `i` is `vocabulary[i]`); must be unique.
   */
  constructor(vocabulary: readonly string[]) {
    if (!Array.isArray(vocabulary) || vocabulary.length === 0) {
      throw new InputError(
        "vocabulary",
        `must be a non-empty array of tokens, got ${describe(vocabulary)}`,
      );
    }
    this.#idToToken = [...vocabulary];
    this.#tokenToId = new Map();
    vocabulary.forEach((token, id) => {
      if (typeof token !== "string" || token === "") {
        throw new InputError(
          `vocabulary[${id}]`,
          `must be a non-empty string, got ${describe(token)}`,
        );
      }
      if (this.#tokenToId.has(token)) {
        throw new InputError(`vocabulary[${id}]`, `repeats the token ${JSON.stringify(token)}`);
      }
      this.#tokenToId.set(token, id);
    });
    this.#unknownId = this.#tokenToId.get(UNKNOWN);
  }

  /** `"regex"`. */
  get name(): string {
    return "regex";
  }

  /** The number of tokens in the vocabulary. */
  get vocabSize(): number {
    return this.#idToToken.length;
  }

  /** The tokens in id order. */
  get vocabulary(): readonly string[] {
    return this.#idToToken;
  }

  /** The id of a token, or `undefined` when it is not in the vocabulary. */
  tokenToId(token: string): number | undefined {
    return this.#tokenToId.get(token);
  }

  /**
   * Text → ids. An unknown word becomes `<|unk|>` when the vocabulary has it, and is an
   * {@linkcode InputError} otherwise.
   */
  encode(text: string): Uint32Array {
    if (typeof text !== "string") {
      throw new InputError("text", `must be a string, got ${describe(text)}`);
    }
    const pieces = splitWords(text);
    const ids = new Uint32Array(pieces.length);
    for (let i = 0; i < pieces.length; i++) {
      const { token, offset } = pieces[i];
      const id = this.#tokenToId.get(token) ?? this.#unknownId;
      if (id === undefined) {
        throw new InputError(
          "text",
          `contains ${
            JSON.stringify(token)
          } at offset ${offset} (token ${i}), which is not in the ` +
            `vocabulary of ${this.vocabSize} tokens; build the tokenizer with { specialTokens: true } ` +
            `to map unknown words to ${UNKNOWN}`,
        );
      }
      ids[i] = id;
    }
    return ids;
  }

  /**
   * Ids → text: joined with spaces, the space before punctuation removed as the book's decoders
   * do: before `, . ? ! " ( ) '` (V1), and also before `:` and `;` when the vocabulary has
   * `<|unk|>` (V2).
   */
  decode(ids: ArrayLike<number>): string {
    checkNumberList("ids", ids);
    const tokens = new Array<string>(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const token = Number.isInteger(ids[i]) ? this.#idToToken[ids[i]] : undefined;
      if (token === undefined) {
        throw new InputError(
          `ids[${i}]`,
          `must be an id in [0, ${this.vocabSize - 1}], got ${describe(ids[i])}`,
        );
      }
      tokens[i] = token;
    }
    const punctuation = this.#unknownId === undefined
      ? SPACE_BEFORE_PUNCTUATION_V1
      : SPACE_BEFORE_PUNCTUATION_V2;
    return tokens.join(" ").replace(punctuation, "$1");
  }
}
