import { encoding_for_model, get_encoding, init, type Tiktoken } from "npm:tiktoken@1.0.22/init";
import { InputError } from "../util/errors.ts";
import { checkNumberList, checkOptions, describe } from "../util/checks.ts";
import { bpeRanks, encodePiece, mayHoldLongPiece, splitLongPieces } from "./bpe_long_pieces.ts";
import { tiktokenModule } from "./tiktoken_wasm.js";
import type { Tokenizer } from "./tokenizer.ts";

await init((imports) => WebAssembly.instantiate(tiktokenModule, imports));

/** The byte-pair encodings this module provides (through `npm:tiktoken`). */
export type EncodingName =
  | "gpt2"
  | "r50k_base"
  | "p50k_base"
  | "p50k_edit"
  | "cl100k_base"
  | "o200k_base";

/** What is known of an encoding without loading it. */
export interface EncodingInfo {
  /** One past the largest id (tiktoken's `n_vocab`). */
  readonly vocabSize: number;
  /** The special tokens and their ids. */
  readonly specialTokens: Readonly<Record<string, number>>;
}

const EOT = "<|endoftext|>";

/**
 * The encodings, their vocabulary sizes and special tokens (as tiktoken defines them).
 *
 * @example
 * ```ts
 * import { ENCODINGS } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ENCODINGS.gpt2.vocabSize, 50257);
 * assert.equal(ENCODINGS.gpt2.specialTokens["<|endoftext|>"], 50256);
 * ```
 */
export const ENCODINGS: Readonly<Record<EncodingName, EncodingInfo>> = {
  gpt2: { vocabSize: 50257, specialTokens: { [EOT]: 50256 } },
  r50k_base: { vocabSize: 50257, specialTokens: { [EOT]: 50256 } },
  p50k_base: { vocabSize: 50281, specialTokens: { [EOT]: 50256 } },
  p50k_edit: {
    vocabSize: 50284,
    specialTokens: {
      [EOT]: 50256,
      "<|fim_prefix|>": 50281,
      "<|fim_middle|>": 50282,
      "<|fim_suffix|>": 50283,
    },
  },
  cl100k_base: {
    vocabSize: 100277,
    specialTokens: {
      [EOT]: 100257,
      "<|fim_prefix|>": 100258,
      "<|fim_middle|>": 100259,
      "<|fim_suffix|>": 100260,
      "<|endofprompt|>": 100276,
    },
  },
  o200k_base: { vocabSize: 200019, specialTokens: { [EOT]: 199999, "<|endofprompt|>": 200018 } },
};

// Model names tiktoken maps by prefix (dated and fine-tuned variants); exact names not here
// are looked up in tiktoken's own table.
const MODEL_PREFIXES: ReadonlyArray<readonly [string, EncodingName]> = [
  ["gpt-2", "gpt2"],
  ["gpt2", "gpt2"],
  ["gpt-5", "o200k_base"],
  ["gpt-4.5", "o200k_base"],
  ["gpt-4.1", "o200k_base"],
  ["gpt-4o", "o200k_base"],
  ["chatgpt-4o", "o200k_base"],
  ["o1", "o200k_base"],
  ["o3", "o200k_base"],
  ["o4-mini", "o200k_base"],
  ["ft:gpt-4o", "o200k_base"],
  ["gpt-4", "cl100k_base"],
  ["gpt-3.5-turbo", "cl100k_base"],
  ["gpt-35-turbo", "cl100k_base"],
  ["ft:gpt-4", "cl100k_base"],
  ["ft:gpt-3.5-turbo", "cl100k_base"],
  ["ft:davinci-002", "cl100k_base"],
  ["ft:babbage-002", "cl100k_base"],
  ["text-embedding-3", "cl100k_base"],
];

function isEncodingName(name: unknown): name is EncodingName {
  return typeof name === "string" && Object.hasOwn(ENCODINGS, name);
}

/**
 * The encoding a model uses, by model name: `gpt-2` → `gpt2`, `gpt-3.5-turbo` and `gpt-4` →
 * `cl100k_base`, `gpt-4o` → `o200k_base`, and every name tiktoken knows.
 *
 * @example
 * ```ts
 * import { encodingForModel } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(encodingForModel("gpt-4"), "cl100k_base");
 * assert.equal(encodingForModel("gpt-4o-mini"), "o200k_base");
 * assert.equal(encodingForModel("text-davinci-003"), "p50k_base");
 * ```
 *
 * @param model A model name such as `"gpt-4o"`.
 * @returns The encoding's name.
 */
export function encodingForModel(model: string): EncodingName {
  if (typeof model !== "string" || model === "") {
    throw new InputError("model", `must be a model name such as "gpt-4o", got ${describe(model)}`);
  }
  const name = model.toLowerCase();
  for (const [prefix, encoding] of MODEL_PREFIXES) {
    if (name === prefix || name.startsWith(prefix + "-") || name.startsWith(prefix + ":")) {
      return encoding;
    }
  }
  let found: Tiktoken | undefined;
  try {
    // deno-lint-ignore no-explicit-any -- tiktoken types the argument as its union of known names
    found = encoding_for_model(name as any);
  } catch {
    throw new InputError(
      "model",
      `${
        JSON.stringify(model)
      } is not a known model; use one such as gpt-2, gpt-3.5-turbo, gpt-4, ` +
        `gpt-4o, or name an encoding directly (${Object.keys(ENCODINGS).join(", ")})`,
    );
  }
  const encoding = found.name;
  found.free();
  if (!isEncodingName(encoding)) {
    throw new InputError(
      "model",
      `${JSON.stringify(model)} uses the encoding ${encoding}, which this module does not provide`,
    );
  }
  return encoding;
}

/** One tiktoken encoder per encoding, shared by every tokenizer of that encoding. */
const encoders = new Map<EncodingName, { tiktoken: Tiktoken; users: number }>();

function acquire(name: EncodingName): Tiktoken {
  let entry = encoders.get(name);
  if (entry === undefined) {
    entry = { tiktoken: get_encoding(name), users: 0 };
    encoders.set(name, entry);
  }
  entry.users++;
  return entry.tiktoken;
}

function release(name: EncodingName, tiktoken: Tiktoken): void {
  const entry = encoders.get(name);
  if (entry === undefined || entry.tiktoken !== tiktoken) return; // dropped after a trap
  if (--entry.users === 0) {
    encoders.delete(name);
    tiktoken.free(); // tiktoken's ranks live in WebAssembly memory, outside the JS heap
  }
}

/**
 * The error for a WebAssembly trap inside tiktoken (`unreachable`, out of memory): it names the
 * trap and keeps it as the cause. The encoder is dropped, since its state after a trap is
 * unknown; tokenizers created afterwards get a fresh one.
 */
function tiktokenTrap(
  name: EncodingName,
  tiktoken: Tiktoken,
  error: unknown,
  chars: number,
): Error {
  const entry = encoders.get(name);
  if (entry?.tiktoken === tiktoken) encoders.delete(name);
  const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new TiktokenError(
    `tiktoken's WebAssembly failed (${what}) while encoding ${chars} characters with ${name}`,
    { cause: error },
  );
}

/**
 * A failure inside tiktoken's WebAssembly (a trap such as `unreachable`), as opposed to bad
 * input: the message names the trap, and `cause` holds it.
 */
export class TiktokenError extends Error {
  /**
   * Creates the error.
   *
   * @param message What failed.
   * @param options The trap, as `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TiktokenError";
  }
}

/** Which special tokens may appear in text and be encoded as their ids. */
export type AllowedSpecial = "all" | Iterable<string>;

/** Options of {@linkcode BpeTokenizer}. */
export interface BpeTokenizerOptions {
  /**
   * The special tokens that text may contain, encoded to their ids: `"all"`, or a set such as
   * `["<|endoftext|>"]` (what the book's data loader allows). Any other special token in the text
   * is an error, as is tiktoken's default. Default: none.
   */
  allowedSpecial?: AllowedSpecial;
}

/**
 * Throws an {@linkcode InputError} unless `encoding` names an encoding of {@linkcode ENCODINGS}.
 * Shared by the tokenizer and the worker pool.
 */
export function checkEncodingName(encoding: unknown): asserts encoding is EncodingName {
  if (!isEncodingName(encoding)) {
    throw new InputError(
      "encoding",
      `must be one of ${Object.keys(ENCODINGS).join(", ")}, got ${describe(encoding)}` +
        ` (for a model name such as "gpt-4" use BpeTokenizer.forModel)`,
    );
  }
}

/**
 * The special tokens an `allowedSpecial` option allows, and the rest of the encoding's special
 * tokens; anything but `"all"` or a list of the encoding's special tokens is an
 * {@linkcode InputError}.
 */
export function resolveAllowedSpecial(
  encoding: EncodingName,
  option: AllowedSpecial | undefined,
): { allowed: Set<string>; disallowed: string[] } {
  const specials = Object.keys(ENCODINGS[encoding].specialTokens);
  const allowed = new Set<string>();
  const requested = option ?? [];
  if (requested === "all") {
    specials.forEach((s) => allowed.add(s));
  } else if (
    typeof requested === "string" || typeof requested?.[Symbol.iterator] !== "function"
  ) {
    throw new InputError(
      "allowedSpecial",
      `must be "all" or a list of special tokens, got ${describe(requested)}`,
    );
  } else {
    for (const token of requested) {
      if (!specials.includes(token)) {
        throw new InputError(
          "allowedSpecial",
          `names ${
            describe(token)
          }, which is not a special token of ${encoding} (its special tokens: ${
            specials.join(", ")
          })`,
        );
      }
      allowed.add(token);
    }
  }
  return { allowed, disallowed: specials.filter((s) => !allowed.has(s)) };
}

/**
 * Throws an {@linkcode InputError} naming the first special token of `disallowed` found in
 * `text` and its offset: such a token is never silently split into ordinary tokens.
 */
export function checkNoDisallowedSpecial(text: string, disallowed: Iterable<string>): void {
  for (const special of disallowed) {
    const offset = text.indexOf(special);
    if (offset >= 0) {
      throw new InputError(
        "text",
        `contains the special token ${special} at offset ${offset}, which is not allowed; allow it ` +
          `(allowedSpecial: ["${special}"]) or encode it as ordinary text with encodeOrdinary()`,
      );
    }
  }
}

/**
 * Throws an {@linkcode InputError} when `text` holds a lone surrogate (half of a UTF-16 pair),
 * which has no UTF-8 form: tiktoken would silently encode it as U+FFFD.
 */
export function checkWellFormed(text: string, parameter = "text"): void {
  if (text.isWellFormed()) return;
  let offset = 0;
  for (; offset < text.length; offset++) {
    const code = text.charCodeAt(offset);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(offset + 1);
      if (next >= 0xdc00 && next <= 0xdfff) offset++;
      else break;
    } else if (code >= 0xdc00 && code <= 0xdfff) break;
  }
  throw new InputError(
    parameter,
    `holds a lone surrogate (U+${
      text.charCodeAt(offset).toString(16).toUpperCase()
    }) at offset ${offset}, which has no UTF-8 form; fix the text (e.g. text.toWellFormed() ` +
      `replaces it with U+FFFD)`,
  );
}

/**
 * A byte-pair-encoding tokenizer over tiktoken: `gpt2`, `r50k_base`, `p50k_base`, `p50k_edit`,
 * `cl100k_base` and `o200k_base`.
 *
 * Tokenizers of one encoding share one tiktoken encoder, whose tables live in WebAssembly memory;
 * dispose every tokenizer you create (`using`, or {@linkcode BpeTokenizer.dispose}) and the
 * memory is released when the last one of that encoding goes.
 *
 * @example The book's example with `<|endoftext|>` allowed
 * ```ts
 * import { BpeTokenizer } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * using tokenizer = new BpeTokenizer("gpt2", { allowedSpecial: ["<|endoftext|>"] });
 * const ids = tokenizer.encode("Hello, do you like tea? <|endoftext|> In the sunlit");
 * assert.deepEqual([...ids], [15496, 11, 466, 345, 588, 8887, 30, 220, 50256, 554, 262, 4252, 18250]);
 * assert.equal(tokenizer.decode(ids), "Hello, do you like tea? <|endoftext|> In the sunlit");
 * assert.equal(tokenizer.vocabSize, 50257);
 * ```
 *
 * @example By model name
 * ```ts
 * import { BpeTokenizer } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * using tokenizer = BpeTokenizer.forModel("gpt-4o");
 * assert.equal(tokenizer.name, "o200k_base");
 * ```
 */
export class BpeTokenizer implements Tokenizer, Disposable {
  readonly #name: EncodingName;
  readonly #allowed: ReadonlySet<string>;
  readonly #disallowed: readonly string[];
  #tiktoken: Tiktoken | undefined;
  #broken: Error | undefined;

  /**
   * A tokenizer for the encoding used by a model, e.g. `"gpt-4"` → `cl100k_base`.
   *
   * @param model A model name (see {@linkcode encodingForModel}).
   * @param options Which special tokens are allowed.
   */
  static forModel(model: string, options: BpeTokenizerOptions = {}): BpeTokenizer {
    return new BpeTokenizer(encodingForModel(model), options);
  }

  /**
   * A tokenizer for an encoding; tokenizers of one encoding share its tiktoken encoder.
   *
   * @param encoding The encoding's name, e.g. `"gpt2"`.
   * @param options Which special tokens are allowed.
   */
  constructor(encoding: EncodingName, options: BpeTokenizerOptions = {}) {
    checkEncodingName(encoding);
    checkOptions(options, "{ allowedSpecial? }");
    const { allowed, disallowed } = resolveAllowedSpecial(encoding, options.allowedSpecial);
    this.#name = encoding;
    this.#allowed = allowed;
    this.#disallowed = disallowed;
    this.#tiktoken = acquire(encoding);
  }

  #encoder(): Tiktoken {
    if (this.#broken !== undefined) {
      throw new TiktokenError(
        `this ${this.#name} tokenizer cannot be used after tiktoken failed; create a new one`,
        { cause: this.#broken },
      );
    }
    if (this.#tiktoken === undefined) {
      throw new InputError("tokenizer", `(${this.#name}) was disposed; create a new BpeTokenizer`);
    }
    return this.#tiktoken;
  }

  /** Runs a tiktoken call; a WebAssembly trap becomes a {@linkcode TiktokenError}. */
  #call<T>(chars: number, run: (tiktoken: Tiktoken) => T): T {
    const tiktoken = this.#encoder();
    try {
      return run(tiktoken);
    } catch (error) {
      if (!(error instanceof WebAssembly.RuntimeError)) throw error;
      this.#broken = tiktokenTrap(this.#name, tiktoken, error, chars);
      throw this.#broken;
    }
  }

  /**
   * Ordinary text (no special tokens) → ids: tiktoken for text without long pre-tokens, and a
   * heap merge over the same ranks for each pre-token longer than 256 characters
   * (tiktoken's merge is quadratic in a pre-token's length, and traps on very long ones).
   */
  #encodeOrdinaryText(
    text: string,
    out: number[] | undefined,
    offset = 0,
  ): Uint32Array | undefined {
    if (!mayHoldLongPiece(text)) {
      const ids = this.#call(text.length, (tiktoken) => tiktoken.encode_ordinary(text));
      if (out === undefined) return ids;
      for (const id of ids) out.push(id);
      return undefined;
    }
    const bpe = bpeRanks(this.#name);
    const target = out ?? [];
    for (const segment of splitLongPieces(text, bpe.pattern, undefined, offset)) {
      if (segment.long) {
        for (const id of encodePiece(segment.text, bpe)) target.push(id);
      } else {
        const ids = this.#call(segment.text.length, (t) => t.encode_ordinary(segment.text));
        for (const id of ids) target.push(id);
      }
    }
    return out === undefined ? Uint32Array.from(target) : undefined;
  }

  /** The encoding's name, e.g. `"gpt2"`. */
  get name(): EncodingName {
    return this.#name;
  }

  /** One past the largest id, e.g. 50,257 for `gpt2`. */
  get vocabSize(): number {
    return ENCODINGS[this.#name].vocabSize;
  }

  /** The special tokens and their ids. */
  get specialTokens(): Readonly<Record<string, number>> {
    return ENCODINGS[this.#name].specialTokens;
  }

  /** The special tokens this tokenizer encodes to their ids. */
  get allowedSpecial(): ReadonlySet<string> {
    return this.#allowed;
  }

  /**
   * Text → ids. A special token that is not allowed is an {@linkcode InputError} naming it and its
   * offset, never silently split into ordinary tokens.
   */
  encode(text: string): Uint32Array {
    if (typeof text !== "string") {
      throw new InputError("text", `must be a string, got ${describe(text)}`);
    }
    checkWellFormed(text);
    checkNoDisallowedSpecial(text, this.#disallowed);
    if (!mayHoldLongPiece(text)) {
      return this.#call(text.length, (tiktoken) => tiktoken.encode(text, [...this.#allowed]));
    }
    // tiktoken encodes the text between special tokens on its own; so does this
    const ids: number[] = [];
    const specials = ENCODINGS[this.#name].specialTokens;
    let from = 0;
    while (from <= text.length) {
      let at = text.length;
      let found: string | undefined;
      for (const special of this.#allowed) {
        const index = text.indexOf(special, from);
        if (index >= 0 && index < at) [at, found] = [index, special];
      }
      if (at > from) this.#encodeOrdinaryText(text.slice(from, at), ids, from);
      if (found === undefined) break;
      ids.push(specials[found]);
      from = at + found.length;
    }
    return Uint32Array.from(ids);
  }

  /** Text → ids, with special-token strings encoded as ordinary text. */
  encodeOrdinary(text: string): Uint32Array {
    if (typeof text !== "string") {
      throw new InputError("text", `must be a string, got ${describe(text)}`);
    }
    checkWellFormed(text);
    return this.#encodeOrdinaryText(text, undefined)!;
  }

  #checkIds(ids: ArrayLike<number>): Uint32Array {
    checkNumberList("ids", ids);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new InputError(
          `ids[${i}]`,
          `must be an id in [0, ${this.vocabSize - 1}] for ${this.#name}, got ${describe(id)}`,
        );
      }
    }
    return ids instanceof Uint32Array ? ids : Uint32Array.from(ids);
  }

  /** Ids → the bytes they stand for (a token may hold part of a UTF-8 character). */
  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    const checked = this.#checkIds(ids);
    const encoder = this.#encoder(); // outside the try: a disposed tokenizer must say so
    try {
      return encoder.decode(checked);
    } catch {
      throw new InputError("ids", `holds an id that ${this.#name} does not define`);
    }
  }

  /** Ids → text; bytes that do not form valid UTF-8 become U+FFFD, as in tiktoken's Python `decode`. */
  decode(ids: ArrayLike<number>): string {
    return new TextDecoder().decode(this.decodeBytes(ids));
  }

  /**
   * The bytes of one token, for inspection.
   *
   * @example
   * ```ts
   * import { BpeTokenizer } from "../../mod.ts";
   * import assert from "node:assert/strict";
   *
   * using tokenizer = new BpeTokenizer("gpt2");
   * assert.deepEqual([...tokenizer.tokenBytes(995)], [...new TextEncoder().encode(" world")]);
   * ```
   */
  tokenBytes(id: number): Uint8Array {
    this.#checkIds([id]);
    const encoder = this.#encoder();
    try {
      return encoder.decode_single_token_bytes(id);
    } catch {
      throw new InputError("id", `${id} is not a token of ${this.#name}`);
    }
  }

  /** Releases this tokenizer's share of the encoder; harmless when called again. */
  dispose(): void {
    if (this.#tiktoken !== undefined) {
      const tiktoken = this.#tiktoken;
      this.#tiktoken = undefined;
      release(this.#name, tiktoken);
    }
  }

  /** Same as {@linkcode BpeTokenizer.dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
