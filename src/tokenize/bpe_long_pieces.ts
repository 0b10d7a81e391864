// Byte-pair encoding of long pre-tokens in O(n log n), with exactly tiktoken's ids.
//
// tiktoken merges the bytes of one pre-token by scanning every adjacent pair for the lowest rank
// after each merge: quadratic in the pre-token's length (200,000 letters take half a minute), and
// its WebAssembly traps on pre-tokens around a million bytes. The rule it applies is simple:
// repeatedly merge the adjacent pair whose concatenation has the lowest rank, the leftmost of
// equal ranks, until no pair is a token. A binary heap keyed by (rank, start) applies the same
// rule with each step in O(log n). Only long pre-tokens take this path; text without them goes to
// tiktoken whole, and the text between long pre-tokens too, cut where tiktoken's pre-tokenizer
// splits anyway.
import { InputError } from "../util/errors.ts";
import { describe } from "../util/checks.ts";

/** Pre-tokens longer than this (UTF-16 code units) are merged here instead of in tiktoken. */
export const LONG_PIECE_CHARS = 256;

/**
 * The longest pre-token (UTF-8 bytes) merged at all: 8 MiB, which takes about 10 s and 800 MB
 * while it is merged. A longer one (a run of one kind of character without a single break) is
 * an {@linkcode InputError}, never a trap or an exhausted heap.
 */
export const MAX_PIECE_BYTES = 8 * 1024 * 1024;

/** An encoding's mergeable ranks (bytes as a binary string → rank) and its pre-tokenizer. */
export interface BpeRanks {
  readonly ranks: ReadonlyMap<string, number>;
  /** Each rank's bytes as a binary string (the inverse of `ranks`). */
  readonly tokens: readonly string[];
  /** Ranks of merged pairs already looked up, by `left · 2²⁰ + right` (-1: not a token). */
  readonly pairs: Map<number, number>;
  /** tiktoken's pre-tokenizer pattern as a JavaScript regex (global, Unicode). */
  readonly pattern: RegExp;
}

import gpt2 from "npm:tiktoken@1.0.22/encoders/gpt2";
import p50kBase from "npm:tiktoken@1.0.22/encoders/p50k_base";
import cl100kBase from "npm:tiktoken@1.0.22/encoders/cl100k_base";
import o200kBase from "npm:tiktoken@1.0.22/encoders/o200k_base";

type EncoderJson = { pat_str: string; bpe_ranks: string };

// The package's declarations describe these CommonJS-typed modules' namespace, while the
// default import is the object itself (checked by the tests, which compare ids with tiktoken).
const asJson = (module: unknown) => module as EncoderJson;

// r50k_base's ranks and pattern are gpt2's, p50k_edit's are p50k_base's.
const ENCODER_JSON = {
  gpt2: asJson(gpt2),
  r50k_base: asJson(gpt2),
  p50k_base: asJson(p50kBase),
  p50k_edit: asJson(p50kBase),
  cl100k_base: asJson(cl100kBase),
  o200k_base: asJson(o200kBase),
} as const;

/** The encodings whose ranks are here (the tokenizer's `EncodingName`). */
type RankedEncoding = keyof typeof ENCODER_JSON;

/**
 * tiktoken's pattern (Rust's fancy-regex) in JavaScript: Rust's `\s` is Unicode White_Space,
 * while JavaScript's `\s` also takes U+FEFF, so `\s` and `\S` are spelled out.
 */
export function javascriptPattern(patStr: string): RegExp {
  const source = patStr
    .replaceAll("\\s", "\\p{White_Space}")
    .replaceAll("\\S", "\\P{White_Space}");
  return new RegExp(source, "gu");
}

function parseRanks(bpeRanks: string): Map<string, number> {
  const ranks = new Map<string, number>();
  for (const line of bpeRanks.split("\n")) {
    if (line === "") continue;
    // "! OFFSET TOKEN TOKEN …": base64 tokens (atob gives one char per byte) with consecutive
    // ranks from OFFSET
    const words = line.split(" ");
    const offset = Number(words[1]);
    for (let i = 2; i < words.length; i++) {
      if (words[i] !== "") ranks.set(atob(words[i]), offset + i - 2);
    }
  }
  return ranks;
}

const built = new Map<EncoderJson, BpeRanks>();

/**
 * An encoding's mergeable ranks and pre-tokenizer, built on first use (for o200k_base a map of
 * 200,000 entries, ~20 MB) and kept for the life of the process.
 */
export function bpeRanks(encoding: RankedEncoding): BpeRanks {
  const json = ENCODER_JSON[encoding];
  let entry = built.get(json);
  if (entry === undefined) {
    const ranks = parseRanks(json.bpe_ranks);
    const tokens: string[] = [];
    for (const [bytes, rank] of ranks) tokens[rank] = bytes;
    entry = { ranks, tokens, pairs: new Map(), pattern: javascriptPattern(json.pat_str) };
    built.set(json, entry);
  }
  return entry;
}

/** The UTF-8 bytes of a string as a binary string (one char per byte). */
function utf8Binary(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
}

/** A binary min-heap of (rank, start) keys packed into one float: rank · 2³² + start. */
class KeyHeap {
  #keys = new Float64Array(64);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(key: number): void {
    if (this.#size === this.#keys.length) {
      const grown = new Float64Array(this.#keys.length * 2);
      grown.set(this.#keys);
      this.#keys = grown;
    }
    const keys = this.#keys;
    let i = this.#size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent] <= key) break;
      keys[i] = keys[parent];
      i = parent;
    }
    keys[i] = key;
  }

  pop(): number {
    const keys = this.#keys;
    const top = keys[0];
    const last = keys[--this.#size];
    let i = 0;
    while (true) {
      let child = 2 * i + 1;
      if (child >= this.#size) break;
      if (child + 1 < this.#size && keys[child + 1] < keys[child]) child++;
      if (keys[child] >= last) break;
      keys[i] = keys[child];
      i = child;
    }
    keys[i] = last;
    return top;
  }
}

const START_SPAN = 2 ** 32;
const PAIR_SPAN = 2 ** 20;
const MAX_CACHED_PAIRS = 1 << 20;

/**
 * The ids of one pre-token: the whole piece when it is a token, else its bytes merged pair by
 * pair, lowest rank first and leftmost among equals, as tiktoken's `byte_pair_encode` does.
 * Every part is a token all along, so a pair's rank is looked up by the parts' ids (and cached).
 */
export function encodePiece(piece: string, bpe: BpeRanks): number[] {
  const { ranks, tokens, pairs } = bpe;
  const bytes = utf8Binary(piece);
  const whole = ranks.get(bytes);
  if (whole !== undefined) return [whole];
  const n = bytes.length;
  // parts are [start, next[start]) with id ids[start]; prev/next link the live parts' starts
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1;
    prev[i] = i - 1;
    const id = ranks.get(bytes[i]);
    if (id === undefined) throw new Error(`byte ${bytes.charCodeAt(i)} is not a token`);
    ids[i] = id;
  }
  const pairRank = (start: number): number => {
    const middle = next[start];
    if (middle >= n) return -1;
    const key = ids[start] * PAIR_SPAN + ids[middle];
    let rank = pairs.get(key);
    if (rank === undefined) {
      rank = ranks.get(tokens[ids[start]] + tokens[ids[middle]]) ?? -1;
      if (pairs.size >= MAX_CACHED_PAIRS) pairs.clear();
      pairs.set(key, rank);
    }
    return rank;
  };
  const heap = new KeyHeap();
  const pushPair = (start: number) => {
    const rank = pairRank(start);
    if (rank >= 0) heap.push(rank * START_SPAN + start);
  };
  for (let i = 0; i + 1 < n; i++) pushPair(i);
  const alive = new Uint8Array(n).fill(1);
  while (heap.size > 0) {
    const key = heap.pop();
    const rank = Math.floor(key / START_SPAN);
    const start = key - rank * START_SPAN;
    // an entry is stale when its part was merged away or its pair changed since it was pushed
    if (alive[start] === 0 || pairRank(start) !== rank) continue;
    const middle = next[start];
    alive[middle] = 0;
    ids[start] = rank; // a mergeable token's rank is its id
    next[start] = next[middle];
    if (next[middle] < n) prev[next[middle]] = start;
    pushPair(start);
    if (prev[start] >= 0) pushPair(prev[start]);
  }
  const out: number[] = [];
  for (let start = 0; start < n; start = next[start]) out.push(ids[start]);
  return out;
}

/** A stretch of text for tiktoken, or a long pre-token for {@linkcode encodePiece}. */
export type TextSegment = { text: string; long: boolean };

const probes = new Map<number, RegExp>();

/**
 * Whether `text` may hold a pre-token longer than `longChars`, in time linear in the text
 * whatever it holds. A pre-token of any of the encodings is at most one leading character, a run
 * of one class (letters and marks; digits; other non-whitespace and newlines; whitespace) and at
 * most three trailing characters (a contraction such as `'ll`), so a long one holds a run of at
 * least `longChars - 5` code units of one class; probing a run of `longChars / 4` code points at
 * every `longChars / 4`-th code unit finds it.
 */
export function mayHoldLongPiece(text: string, longChars: number = LONG_PIECE_CHARS): boolean {
  if (text.length <= longChars) return false;
  if (longChars < 24) return true;
  const span = Math.floor(longChars / 4);
  let probe = probes.get(span);
  if (probe === undefined) {
    probe = new RegExp(
      `[\\p{L}\\p{M}]{${span}}|\\p{N}{${span}}|[[^\\p{L}\\p{N}\\p{White_Space}]\\r\\n]{${span}}|` +
        `\\p{White_Space}{${span}}`,
      "vy",
    );
    probes.set(span, probe);
  }
  for (let at = 0; at < text.length; at += span) {
    const code = text.charCodeAt(at);
    // a probe starts on a code point: back up from the second half of a surrogate pair
    probe.lastIndex = code >= 0xdc00 && code <= 0xdfff && at > 0 ? at - 1 : at;
    if (probe.test(text)) return true;
  }
  return false;
}

/**
 * Cuts `text` (free of special tokens) into stretches for tiktoken and the long pre-tokens
 * between them, using the encoding's pre-tokenizer. A stretch ends where a pre-token ends, and
 * the pattern has no look-behind, so tiktoken splits each stretch as it splits the whole text.
 */
export function splitLongPieces(
  text: string,
  pattern: RegExp,
  longChars: number = LONG_PIECE_CHARS,
  offset = 0,
): TextSegment[] {
  const segments: TextSegment[] = [];
  let stretchStart = 0;
  const matcher = new RegExp(pattern.source, pattern.flags);
  for (const match of text.matchAll(matcher)) {
    if (match[0].length <= longChars) continue;
    const start = match.index;
    // a UTF-16 code unit is at most 3 UTF-8 bytes: measure only what may be too long
    if (match[0].length * 3 > MAX_PIECE_BYTES) {
      const bytes = new TextEncoder().encode(match[0]).length;
      if (bytes > MAX_PIECE_BYTES) {
        throw new InputError(
          "text",
          `holds a pre-token of ${bytes} bytes at offset ${offset + start} (a run of one kind ` +
            `of character without a break, starting ${describe(match[0].slice(0, 12))}), more ` +
            `than the ${MAX_PIECE_BYTES} bytes byte-pair encoding takes in one piece`,
        );
      }
    }
    if (start > stretchStart) segments.push({ text: text.slice(stretchStart, start), long: false });
    segments.push({ text: match[0], long: true });
    stretchStart = start + match[0].length;
  }
  if (stretchStart < text.length) segments.push({ text: text.slice(stretchStart), long: false });
  return segments;
}
