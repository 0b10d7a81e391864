import { InputError } from "../util/errors.ts";
import { checkNumberList, describe } from "../util/checks.ts";
import type { Tokenizer } from "./tokenizer.ts";

function codePointLabel(char: string): string {
  return "U+" + char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
}

/**
 * A character-level tokenizer: the vocabulary is a corpus's unique characters sorted by code
 * point (Python's `sorted(set(text))`), so Korean, emoji and any other character beyond the
 * 16-bit range are single tokens.
 *
 * @example
 * ```ts
 * import { CharTokenizer } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const tokenizer = CharTokenizer.fromText("안녕 🎉 hi");
 * assert.deepEqual(tokenizer.vocabulary, [" ", "h", "i", "녕", "안", "🎉"]);
 * assert.deepEqual([...tokenizer.encode("hi 🎉")], [1, 2, 0, 5]);
 * assert.equal(tokenizer.decode(tokenizer.encode("안녕 hi")), "안녕 hi");
 * assert.throws(() => tokenizer.encode("hey"), /"e" \(U\+0065\) at offset 1/);
 * ```
 */
export class CharTokenizer implements Tokenizer {
  readonly #idToChar: readonly string[];
  readonly #charToId: Map<string, number>;

  /**
   * Builds the vocabulary of a corpus: its unique characters sorted by code point.
   *
   * @param corpus The text whose characters make the vocabulary; must not be empty.
   */
  static fromText(corpus: string): CharTokenizer {
    if (typeof corpus !== "string" || corpus.length === 0) {
      throw new InputError("corpus", `must be a non-empty string, got ${describe(corpus)}`);
    }
    const codePoints = [...new Set(Array.from(corpus, (c) => c.codePointAt(0)!))].sort((a, b) =>
      a - b
    );
    return new CharTokenizer(codePoints.map((cp) => String.fromCodePoint(cp)));
  }

  /**
   * A tokenizer over a given vocabulary of characters.
   *
   * @param vocabulary The characters in id order; each a single code point, all distinct.
   */
  constructor(vocabulary: readonly string[]) {
    if (!Array.isArray(vocabulary) || vocabulary.length === 0) {
      throw new InputError(
        "vocabulary",
        `must be a non-empty array of characters, got ${describe(vocabulary)}`,
      );
    }
    this.#idToChar = [...vocabulary];
    this.#charToId = new Map();
    vocabulary.forEach((char, id) => {
      if (typeof char !== "string" || [...char].length !== 1) {
        throw new InputError(
          `vocabulary[${id}]`,
          `must be a single character, got ${describe(char)}`,
        );
      }
      if (this.#charToId.has(char)) {
        throw new InputError(`vocabulary[${id}]`, `repeats the character ${JSON.stringify(char)}`);
      }
      this.#charToId.set(char, id);
    });
  }

  /** `"char"`. */
  get name(): string {
    return "char";
  }

  /** The number of distinct characters. */
  get vocabSize(): number {
    return this.#idToChar.length;
  }

  /** The characters in id order. */
  get vocabulary(): readonly string[] {
    return this.#idToChar;
  }

  /** Text → one id per character (code point); an unknown character is an {@linkcode InputError}. */
  encode(text: string): Uint32Array {
    if (typeof text !== "string") {
      throw new InputError("text", `must be a string, got ${describe(text)}`);
    }
    const ids = new Uint32Array(text.length); // at least as long as the code point count
    let count = 0;
    let offset = 0;
    for (const char of text) {
      const id = this.#charToId.get(char);
      if (id === undefined) {
        throw new InputError(
          "text",
          `contains ${JSON.stringify(char)} (${
            codePointLabel(char)
          }) at offset ${offset}, which is ` +
            `not in the vocabulary of ${this.vocabSize} characters`,
        );
      }
      ids[count++] = id;
      offset += char.length;
    }
    return count === ids.length ? ids : ids.slice(0, count);
  }

  /** Ids → text. */
  decode(ids: ArrayLike<number>): string {
    checkNumberList("ids", ids);
    let text = "";
    for (let i = 0; i < ids.length; i++) {
      const char = Number.isInteger(ids[i]) ? this.#idToChar[ids[i]] : undefined;
      if (char === undefined) {
        throw new InputError(
          `ids[${i}]`,
          `must be an id in [0, ${this.vocabSize - 1}], got ${describe(ids[i])}`,
        );
      }
      text += char;
    }
    return text;
  }
}
