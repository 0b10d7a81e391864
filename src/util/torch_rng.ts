import { InputError } from "./errors.ts";
import { checkInteger, checkNumberList, describe } from "./checks.ts";

// MT19937 constants (Matsumoto & Nishimura), as in `std::mt19937` and PyTorch's CPU generator.
// The state is kept as int32 so that V8 stays in small-integer arithmetic; masks are signed.
const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df | 0;
const UPPER_MASK = 0x80000000 | 0;
const LOWER_MASK = 0x7fffffff;
const TEMPER_B = 0x9d2c5680 | 0;
const TEMPER_C = 0xefc60000 | 0;

const TWO_POW_24 = 2 ** 24;
const TWO_POW_MINUS_24 = 2 ** -24;
const TWO_POW_MINUS_53 = 2 ** -53;
const TWO_PI = 2 * Math.PI;
// PyTorch's vectorised float32 path computes θ = float32(float32(2π) · u2); matching that
// rounding halves the difference to PyTorch's output compared with an exact 2π · u2.
const TWO_PI_F32 = Math.fround(TWO_PI);
// Below this many elements PyTorch draws normals one by one in float64 (with a cached sample).
const BLOCK = 16;

/**
 * PyTorch's CPU random number generator, reproducing `torch.manual_seed(seed)` followed by
 * `normal_` fills (what `nn.Embedding` does to its weight) bit for bit in the stream and to
 * float32 rounding in the values: a 32-bit Mersenne Twister, float32 uniforms from 24 bits, the
 * Box–Muller transform in blocks of 16 (with the last block redrawn when the length is not a
 * multiple of 16), and float64 Box–Muller with a cached second sample for fewer than 16 elements.
 *
 * One generator continues its stream across fills, as PyTorch's global generator does: fill the
 * token table first, then the position table, to get the book's numbers.
 *
 * @example `torch.manual_seed(123); nn.Embedding(6, 3).weight[0]`
 * ```ts
 * import { TorchGenerator } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const generator = new TorchGenerator(123);
 * const weight = generator.normal(6 * 3);
 * assert.deepEqual([...weight.slice(0, 3)].map((x) => x.toFixed(4)), ["0.3374", "-0.1778", "-0.1690"]);
 * ```
 */
export class TorchGenerator {
  readonly #state = new Int32Array(N);
  #index = N;
  #seed = 0;
  #cachedNormal: number | undefined;

  /**
   * A generator seeded like `torch.manual_seed(seed)`.
   *
   * @param seed An integer in [0, 2^32 − 1].
   */
  constructor(seed: number) {
    this.manualSeed(seed);
  }

  /** The seed given last (`torch.initial_seed()`). */
  get seed(): number {
    return this.#seed;
  }

  /**
   * Restarts the stream, as `torch.manual_seed(seed)` does (it also forgets a cached normal sample).
   *
   * @param seed An integer in [0, 2^32 − 1].
   */
  manualSeed(seed: number): void {
    checkInteger("seed", seed, 0, 0xffffffff);
    const state = this.#state;
    state[0] = seed;
    for (let i = 1; i < N; i++) {
      const previous = state[i - 1];
      state[i] = Math.imul(1812433253, previous ^ (previous >>> 30)) + i;
    }
    this.#index = N;
    this.#seed = seed;
    this.#cachedNormal = undefined;
  }

  /** The next 32-bit draw of the Mersenne Twister, in [0, 2^32 − 1]. */
  nextUint32(): number {
    if (this.#index >= N) this.#twist();
    return temper(this.#state[this.#index++]) >>> 0;
  }

  /**
   * `count` samples of a normal distribution, as `torch.empty(count).normal_(mean, std)`.
   *
   * @param count The number of samples, an integer >= 0.
   * @param mean The distribution's mean (default 0).
   * @param std The distribution's standard deviation (default 1), >= 0.
   */
  normal(count: number, mean = 0, std = 1): Float32Array {
    checkInteger("count", count, 0);
    return this.fillNormal(new Float32Array(count), mean, std);
  }

  /**
   * Fills `out` in place with normal samples, as PyTorch's `out.normal_(mean, std)` on a
   * contiguous float32 tensor, and returns it.
   *
   * @param out The array to fill.
   * @param mean The distribution's mean (default 0).
   * @param std The distribution's standard deviation (default 1), >= 0.
   */
  fillNormal(out: Float32Array, mean = 0, std = 1): Float32Array {
    if (!(out instanceof Float32Array)) {
      throw new InputError("out", `must be a Float32Array, got ${describe(out)}`);
    }
    checkMeanStd(mean, std);
    const n = out.length;
    if (n < BLOCK) {
      for (let i = 0; i < n; i++) out[i] = this.#scalarNormal() * std + mean;
      return out;
    }
    // As PyTorch: all n uniforms first (kept as 24-bit integers k, the uniform being k · 2^-24,
    // in the output's own memory), then Box–Muller over each whole block of 16 in place.
    const words = new Int32Array(out.buffer, out.byteOffset, n);
    this.#fillWords(words, 0, n);
    boxMullerBlocks(words, out, 0, n - (n % BLOCK), mean, std);
    if (n % BLOCK !== 0) {
      // The last 16 elements are redrawn (overlapping transformed ones) and transformed again.
      this.#fillWords(words, n - BLOCK, n);
      boxMullerBlocks(words, out, n - BLOCK, n, mean, std);
    }
    return out;
  }

  /**
   * Elements `[start, end)` of what {@linkcode TorchGenerator.normal}`(count, mean, std)` would
   * return, leaving the stream where that call would, without computing the other elements (the
   * draws in between are skipped, not transformed): a few rows of a large seeded table, e.g. to
   * check GPT-2 XL's 50257 × 1600 token table without making all 80 million values.
   *
   * @example Row 40 of the book's GPT-2 token table (`torch.manual_seed(123)`, 256 dimensions)
   * ```ts
   * import { TorchGenerator } from "../../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const whole = new TorchGenerator(123).normal(50257 * 256);
   * const generator = new TorchGenerator(123);
   * const row = generator.normalRange(50257 * 256, 40 * 256, 41 * 256);
   * assert.deepEqual(row, whole.subarray(40 * 256, 41 * 256));
   * ```
   *
   * @param count The length of the fill this stands for, an integer >= 0.
   * @param start The first element wanted, in `[0, count]`.
   * @param end One past the last element wanted, in `[start, count]`.
   * @param mean The distribution's mean (default 0).
   * @param std The distribution's standard deviation (default 1), >= 0.
   * @returns The `end − start` values.
   */
  normalRange(count: number, start: number, end: number, mean = 0, std = 1): Float32Array {
    checkInteger("count", count, 0);
    checkInteger("start", start, 0, count);
    checkInteger("end", end, start, count);
    if (count < BLOCK) return this.normal(count, mean, std).slice(start, end);
    checkMeanStd(mean, std);
    const out = new Float32Array(end - start);
    const block = new Float32Array(BLOCK);
    const words = new Int32Array(block.buffer);
    // normal() transforms whole blocks, then redraws and transforms the last 16 elements again
    // when count is not a multiple of 16: elements from tailStart on come from that redraw.
    const tailStart = count % BLOCK === 0 ? count : count - BLOCK;
    let drawn = 0;
    const firstBlock = start - (start % BLOCK);
    for (let first = firstBlock; first < Math.min(end, tailStart); first += BLOCK) {
      this.#skip(first - drawn);
      this.#fillWords(words, 0, BLOCK);
      drawn = first + BLOCK;
      boxMullerBlocks(words, block, 0, BLOCK, mean, std);
      const from = Math.max(first, start);
      const to = Math.min(first + BLOCK, end, tailStart);
      out.set(block.subarray(from - first, to - first), from - start);
    }
    this.#skip(count - drawn);
    if (tailStart < count) {
      this.#fillWords(words, 0, BLOCK);
      boxMullerBlocks(words, block, 0, BLOCK, mean, std);
      const from = Math.max(tailStart, start);
      if (from < end) out.set(block.subarray(from - tailStart, end - tailStart), from - start);
    }
    return out;
  }

  /**
   * `count` integers uniform in `[0, high)`, as `torch.randint(high, (count,))` on the CPU
   * generator: each element, in order, is one 32-bit draw `x` turned into `x % high` (for
   * `high = 2^32`, the low word of a 64-bit draw: PyTorch takes one for ranges of 2^32 and up).
   *
   * @example `torch.manual_seed(123); torch.randint(1000, (8,))`
   * ```ts
   * import { TorchGenerator } from "../../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const generator = new TorchGenerator(123);
   * assert.deepEqual([...generator.randint(1000, 8)], [382, 789, 102, 610, 580, 842, 886, 57]);
   * ```
   *
   * @param high One past the largest value, an integer in [1, 2^32].
   * @param count The number of values, an integer >= 0.
   */
  randint(high: number, count: number): Uint32Array {
    checkInteger("count", count, 0);
    return this.fillRandint(new Uint32Array(count), high);
  }

  /**
   * Fills `out` in place with integers uniform in `[0, high)`, as
   * {@linkcode TorchGenerator.randint}`(high, out.length)` would return them, and returns it.
   *
   * @param out The array to fill.
   * @param high One past the largest value, an integer in [1, 2^32].
   */
  fillRandint(out: Uint32Array, high: number): Uint32Array {
    if (!(out instanceof Uint32Array)) {
      throw new InputError("out", `must be a Uint32Array, got ${describe(out)}`);
    }
    checkInteger("high", high, 1, 2 ** 32);
    if (high < 2 ** 32) {
      // One 32-bit draw per element whenever the range is below 2^32, as PyTorch does.
      for (let i = 0; i < out.length; i++) out[i] = this.nextUint32() % high;
    } else {
      // A range of 2^32 takes a 64-bit draw (high word first): modulo 2^32 it is the low word.
      for (let i = 0; i < out.length; i++) {
        this.nextUint32();
        out[i] = this.nextUint32();
      }
    }
    return out;
  }

  /**
   * `count` samples of the exponential distribution with rate 1, as
   * `torch.empty(count).exponential_(1)` on the CPU generator: each is one float64 uniform `u`
   * (a 64-bit draw) turned into `−log1p(−u)` and rounded to float32.
   *
   * @param count The number of samples, an integer >= 0.
   */
  exponential(count: number): Float32Array {
    checkInteger("count", count, 0);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = -Math.log1p(-this.#uniform64());
    return out;
  }

  /**
   * One index per row of `probs`, drawn with probability proportional to the row's values, as
   * `torch.multinomial(probs, num_samples=1)` on the CPU generator. PyTorch samples one index
   * by the Gumbel trick, not by an inverse CDF: it fills a float32 tensor `q` shaped like
   * `probs` with {@linkcode TorchGenerator.exponential} samples in element order, and returns
   * the first index of the largest `probs / q` (a float32 quotient) in each row. So one sample
   * costs two 32-bit draws per element of its row, and the rows need not sum to 1.
   *
   * @example Sampling from a softmax, as the note's `generate` does
   * ```ts
   * import { TorchGenerator } from "../../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const generator = new TorchGenerator(1337);
   * const [index] = generator.multinomial(Float32Array.of(0, 0.25, 0, 0.75));
   * assert.ok(index === 1 || index === 3); // never an index of probability 0
   * ```
   *
   * @param probs `[rows, rowLength]` non-negative finite weights, row-major; each row's sum > 0.
   * @param rowLength The length of a row (default: all of `probs`, one row), an integer >= 1
   *   that divides `probs.length`.
   * @returns The sampled index of each row.
   */
  multinomial(probs: ArrayLike<number>, rowLength: number = probs?.length): Uint32Array {
    checkNumberList("probs", probs);
    checkInteger("rowLength", rowLength, 1);
    if (probs.length % rowLength !== 0 || probs.length === 0) {
      throw new InputError(
        "probs",
        `must hold whole rows of rowLength ${rowLength} (at least one), got ${probs.length} values`,
      );
    }
    const rows = probs.length / rowLength;
    for (let row = 0; row < rows; row++) checkProbabilityRow(probs, row, rowLength);
    const out = new Uint32Array(rows);
    for (let row = 0, offset = 0; row < rows; row++, offset += rowLength) {
      // The draws of the whole tensor come first in PyTorch, but element order is row order,
      // so drawing row by row consumes the stream identically.
      let best = -1;
      let bestRatio = -Infinity;
      for (let i = 0; i < rowLength; i++) {
        const q = Math.fround(-Math.log1p(-this.#uniform64()));
        const ratio = Math.fround(Math.fround(probs[offset + i]) / q);
        // argmax's first maximum; a NaN (0 / 0, when a draw is exactly 0) wins, as in argmax.
        if (best < 0 || ratio > bestRatio || (Number.isNaN(ratio) && !Number.isNaN(bestRatio))) {
          best = i;
          bestRatio = ratio;
        }
      }
      out[row] = best;
    }
    return out;
  }

  /** Advances the stream by `draws` draws without tempering them. */
  #skip(draws: number): void {
    while (draws > 0) {
      if (this.#index >= N) this.#twist();
      const step = Math.min(N - this.#index, draws);
      this.#index += step;
      draws -= step;
    }
  }

  /** Writes the next draws' low 24 bits to `words[start..end)`. */
  #fillWords(words: Int32Array, start: number, end: number): void {
    for (let i = start; i < end;) {
      if (this.#index >= N) this.#twist();
      const count = Math.min(N - this.#index, end - i);
      temperLow24(this.#state, this.#index, words, i, count);
      this.#index += count;
      i += count;
    }
  }

  /** A float64 uniform in [0, 1) from a 64-bit draw (high word first). */
  #uniform64(): number {
    const hi = this.nextUint32();
    const lo = this.nextUint32();
    // ((hi << 32) | lo) & (2^53 − 1): the low 21 bits of hi above the 32 bits of lo.
    return ((hi & 0x1fffff) * 2 ** 32 + lo) * TWO_POW_MINUS_53;
  }

  /** One standard normal sample by float64 Box–Muller, caching the second value. */
  #scalarNormal(): number {
    const cached = this.#cachedNormal;
    if (cached !== undefined) {
      this.#cachedNormal = undefined;
      return cached;
    }
    const u1 = this.#uniform64();
    const u2 = this.#uniform64();
    const radius = Math.sqrt(-2 * Math.log1p(-u2));
    const theta = TWO_PI * u1;
    this.#cachedNormal = radius * Math.sin(theta);
    return radius * Math.cos(theta);
  }

  /** Regenerates the 624 words of state. */
  #twist(): void {
    const state = this.#state;
    let kk = 0;
    for (; kk < N - M; kk++) {
      const y = (state[kk] & UPPER_MASK) | (state[kk + 1] & LOWER_MASK);
      state[kk] = state[kk + M] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
    }
    for (; kk < N - 1; kk++) {
      const y = (state[kk] & UPPER_MASK) | (state[kk + 1] & LOWER_MASK);
      state[kk] = state[kk + M - N] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
    }
    const y = (state[N - 1] & UPPER_MASK) | (state[0] & LOWER_MASK);
    state[N - 1] = state[M - 1] ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
    this.#index = 0;
  }
}

/**
 * PyTorch's `normal_fill_16` over the blocks of 16 in `[start, end)`: `words` holds 24-bit
 * uniforms k (u = k · 2^-24) and aliases `out`, which receives the normals. In each block, pair
 * (j, j + 8) becomes r cos θ, r sin θ with r = √(−2 ln(1 − u_j)) and θ = float32(2π) · u_(j+8)
 * rounded to float32, as PyTorch's vectorised float32 code computes it.
 */
function boxMullerBlocks(
  words: Int32Array,
  out: Float32Array,
  start: number,
  end: number,
  mean: number,
  std: number,
): void {
  for (let i = start; i < end; i += BLOCK) {
    for (let j = i; j < i + 8; j++) {
      // 1 − u = (2^24 − k) · 2^-24 > 0
      const radius = Math.sqrt(-2 * logOfScaledUniform(TWO_POW_24 - words[j]));
      const theta = Math.fround(TWO_PI_F32 * (words[j + 8] * TWO_POW_MINUS_24));
      // Quadrant q and remainder x ∈ [−π/4, π/4] with θ = x + q·π/2 (Cody–Waite reduction).
      const q = Math.round(theta * TWO_OVER_PI);
      const x = theta - q * PI_OVER_2_HI - q * PI_OVER_2_LO;
      const x2 = x * x;
      const sinX = x + x * x2 * (S3 + x2 * (S5 + x2 * (S7 + x2 * (S9 + x2 * (S11 + x2 * S13)))));
      const cosX = 1 +
        x2 * (C2 + x2 * (C4 + x2 * (C6 + x2 * (C8 + x2 * (C10 + x2 * (C12 + x2 * C14))))));
      // cos θ and sin θ from cos x and sin x by the quadrant's rotation, without branches.
      const k = q & 3;
      const cos = COS_FROM_COS[k] * cosX + COS_FROM_SIN[k] * sinX;
      const sin = COS_FROM_COS[k] * sinX - COS_FROM_SIN[k] * cosX;
      out[j] = radius * cos * std + mean;
      out[j + 8] = radius * sin * std + mean;
    }
  }
}

/** A row of `multinomial`'s weights: finite, non-negative, with a positive sum. */
function checkProbabilityRow(probs: ArrayLike<number>, row: number, rowLength: number): void {
  let sum = 0;
  for (let i = row * rowLength; i < (row + 1) * rowLength; i++) {
    const p = probs[i];
    if (!(p >= 0 && p < Infinity)) {
      throw new InputError(`probs[${i}]`, `must be a finite number >= 0, got ${describe(p)}`);
    }
    sum += p;
  }
  if (!(sum > 0)) {
    throw new InputError("probs", `row ${row} sums to 0; each row needs a positive sum`);
  }
}

function checkMeanStd(mean: unknown, std: unknown): void {
  if (typeof mean !== "number" || !Number.isFinite(mean)) {
    throw new InputError("mean", `must be a finite number, got ${describe(mean)}`);
  }
  if (typeof std !== "number" || !Number.isFinite(std) || std < 0) {
    throw new InputError("std", `must be a finite number >= 0, got ${describe(std)}`);
  }
}

/** MT19937's output tempering, in int32 arithmetic (reinterpret with `>>> 0` for the unsigned value). */
function temper(word: number): number {
  let y = word;
  y ^= y >>> 11;
  y ^= (y << 7) & TEMPER_B;
  y ^= (y << 15) & TEMPER_C;
  return y ^ (y >>> 18);
}

/** Tempers `count` state words from `from` and stores their low 24 bits at `words[to..]`. */
function temperLow24(
  state: Int32Array,
  from: number,
  words: Int32Array,
  to: number,
  count: number,
): void {
  for (let t = 0; t < count; t++) words[to + t] = temper(state[from + t]) & 0xffffff;
}

// Math.log, Math.sin and Math.cos cost most of the time of 12.9 million normals (the book's
// token table); these table-and-series forms are exact to ~1e-13 on the reduced ranges, far
// below float32's 6e-8, so the results round to the same float32 values.
const LN2 = Math.LN2;
const TWO_OVER_PI = 2 / Math.PI;
const PI_OVER_2_HI = 1.5707963267341256; // π/2 to 33 bits, so that q · HI is exact
const PI_OVER_2_LO = 6.077100506506192e-11; // π/2 − HI
const S3 = -1 / 6;
const S5 = 1 / 120;
const S7 = -1 / 5040;
const S9 = 1 / 362880;
const S11 = -1 / 39916800;
const S13 = 1 / 6227020800;
const C2 = -1 / 2;
const C4 = 1 / 24;
const C6 = -1 / 720;
const C8 = 1 / 40320;
const C10 = -1 / 3628800;
const C12 = 1 / 479001600;
const C14 = -1 / 87178291200;
// θ = x + q·π/2: cos θ = COS_FROM_COS[q]·cos x + COS_FROM_SIN[q]·sin x, sin θ likewise rotated.
const COS_FROM_COS = Float64Array.of(1, 0, -1, 0);
const COS_FROM_SIN = Float64Array.of(0, -1, 0, 1);

// ln m for m = 2^e · x, x ∈ [1, 2): x is divided by the start c of its 1/128-wide interval,
// leaving ln(1 + r) with 0 <= r < 1/128 for a short series (and ln 1 = 0 exactly, as radius 0
// needs: a tiny negative logarithm would make the square root NaN).
const LOG_TABLE_BITS = 7;
const LOG_TABLE_SIZE = 1 << LOG_TABLE_BITS;
const LOG_START = Float64Array.from(
  { length: LOG_TABLE_SIZE },
  (_, i) => 1 + i / LOG_TABLE_SIZE,
);
const LOG_INVERSE_START = LOG_START.map((c) => 1 / c);
const LOG_OF_START = LOG_START.map((c) => Math.log(c));
const TWO_POW_MINUS_31 = 2 ** -31;

/** ln(m · 2^-24) for an integer m in [1, 2^24]. */
function logOfScaledUniform(m: number): number {
  const shift = Math.clz32(m);
  const normalized = (m << shift) >>> 0; // the leading 1 at bit 31
  const i = (normalized >>> (31 - LOG_TABLE_BITS)) & (LOG_TABLE_SIZE - 1);
  const x = normalized * TWO_POW_MINUS_31; // ∈ [1, 2)
  const r = (x - LOG_START[i]) * LOG_INVERSE_START[i];
  const log1pR = r *
    (1 + r * (-1 / 2 + r * (1 / 3 + r * (-1 / 4 + r * (1 / 5 + r * (-1 / 6 + r / 7))))));
  return (31 - shift - 24) * LN2 + LOG_OF_START[i] + log1pR;
}
