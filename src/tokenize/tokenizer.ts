/**
 * What every tokenizer of this module implements, so that the windowing and embedding
 * stages accept any of them: the book's regex word tokenizer, the character tokenizer and
 * tiktoken's byte-pair encodings.
 *
 * @example Any tokenizer round-trips through the same interface
 * ```ts
 * import { CharTokenizer, type Tokenizer } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const tokenizer: Tokenizer = CharTokenizer.fromText("hello world");
 * const ids: Uint32Array = tokenizer.encode("hello");
 * assert.equal(tokenizer.decode(ids), "hello");
 * assert.equal(tokenizer.vocabSize, 8);
 * ```
 */
export interface Tokenizer {
  /** A short name for messages and reports, e.g. `"gpt2"`, `"regex"`, `"char"`. */
  readonly name: string;
  /** The number of distinct ids: every id this tokenizer produces is below it. */
  readonly vocabSize: number;
  /** Text → token ids. */
  encode(text: string): Uint32Array;
  /** Token ids → text. */
  decode(ids: ArrayLike<number>): string;
}
