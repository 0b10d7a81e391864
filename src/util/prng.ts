// A small, seeded, documented pseudo-random generator for everything that must be reproducible
// (shuffle orders, random blocks). It does not reproduce PyTorch's generator: orders differ from
// torch.randperm for the same seed, but are the same on every machine and every run.
import { checkInteger } from "./checks.ts";

/** The largest seed (and stream): seeds are 32-bit unsigned integers. */
export const MAX_SEED = 0xffff_ffff;

const MASK_64 = (1n << 64n) - 1n;

/** One step of SplitMix64 (Steele, Lea, Flood 2014), the seeder the xoshiro authors recommend. */
function splitMix64(state: bigint): { state: bigint; output: bigint } {
  const next = (state + 0x9e37_79b9_7f4a_7c15n) & MASK_64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58_476d_1ce4_e5b9n) & MASK_64;
  z = ((z ^ (z >> 27n)) * 0x94d0_49bb_1331_11ebn) & MASK_64;
  return { state: next, output: z ^ (z >> 31n) };
}

/**
 * Throws an {@linkcode InputError} unless `value` is a seed: an integer in `[0, 2^32 - 1]`.
 *
 * @example
 * ```ts
 * import { checkSeed } from "./prng.ts";
 * import assert from "node:assert/strict";
 *
 * checkSeed("seed", 123);
 * assert.throws(() => checkSeed("seed", -1), /seed must be an integer in \[0, 4294967295\], got -1/);
 * ```
 */
export function checkSeed(parameter: string, value: unknown): asserts value is number {
  checkInteger(parameter, value, 0, MAX_SEED);
}

/**
 * `xoshiro128**` 1.0 (Blackman and Vigna, https://prng.di.unimi.it/), a 32-bit generator with a
 * 128-bit state and period 2^128 - 1, seeded with SplitMix64: the 64-bit SplitMix state starts
 * at `seed * 2^32 + stream`, and its first two outputs, each split into its low and high 32 bits,
 * are the four state words `s[0..3]`. Distinct `(seed, stream)` pairs therefore give distinct,
 * unrelated sequences; the data loader uses the epoch as the stream.
 *
 * @example
 * ```ts
 * import { Prng } from "./prng.ts";
 * import assert from "node:assert/strict";
 *
 * const a = new Prng(123);
 * const b = new Prng(123);
 * assert.equal(a.nextUint32(), b.nextUint32());
 * assert.ok(a.below(10) < 10);
 * ```
 */
export class Prng {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  /**
   * @param seed An integer in `[0, 2^32 - 1]`.
   * @param stream An integer in `[0, 2^32 - 1]` selecting an independent sequence for the seed.
   */
  constructor(seed: number, stream = 0) {
    checkSeed("seed", seed);
    checkSeed("stream", stream);
    const first = splitMix64((BigInt(seed) << 32n) | BigInt(stream));
    const second = splitMix64(first.state);
    this.#s0 = Number(first.output & 0xffff_ffffn);
    this.#s1 = Number(first.output >> 32n);
    this.#s2 = Number(second.output & 0xffff_ffffn);
    this.#s3 = Number(second.output >> 32n);
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const s1 = this.#s1;
    const scrambled = Math.imul(s1, 5);
    const result = Math.imul((scrambled << 7) | (scrambled >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= s1;
    this.#s1 = s1 ^ this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = (this.#s3 << 11) | (this.#s3 >>> 21);
    return result;
  }

  /**
   * A uniform integer in `[0, bound)`, without modulo bias: Lemire's multiply-and-reject method
   * ("Fast Random Integer Generation in an Interval", 2019), which rarely needs a division.
   *
   * @param bound An integer in `[1, 2^32]`.
   */
  below(bound: number): number {
    checkInteger("bound", bound, 1, MAX_SEED + 1);
    return this.#below(bound);
  }

  #below(bound: number): number {
    // The 64-bit product x * bound as its exact low 32 bits and its high 32 bits, the result.
    let x = this.nextUint32();
    let low = Math.imul(x, bound) >>> 0;
    if (low < bound) {
      const threshold = (0x1_0000_0000 - bound) % bound;
      while (low < threshold) {
        x = this.nextUint32();
        low = Math.imul(x, bound) >>> 0;
      }
    }
    // The double product is within 2^11 of the exact one, so rounding recovers the high half.
    return Math.round((x * bound - low) / 0x1_0000_0000);
  }

  /**
   * A uniform integer in `[0, bound)` for bounds up to 2^53 (token positions across many shards):
   * the same draw as {@linkcode Prng.below} when `bound <= 2^32`; above, a high part below
   * `ceil(bound / 2^32)` and a low 32-bit part, redrawn while the sum is `>= bound` (exact).
   *
   * @param bound An integer in `[1, 2^53]`.
   */
  belowLarge(bound: number): number {
    checkInteger("bound", bound, 1, 2 ** 53);
    if (bound <= MAX_SEED + 1) return this.#below(bound);
    const high = Math.ceil(bound / 0x1_0000_0000);
    while (true) {
      const value = this.#below(high) * 0x1_0000_0000 + this.nextUint32();
      if (value < bound) return value;
    }
  }

  /** Shuffles `array` in place (Fisher–Yates, from the last element down) and returns it. */
  shuffle<T extends { [index: number]: unknown; length: number }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.#below(i + 1);
      const swap = array[i];
      array[i] = array[j];
      array[j] = swap;
    }
    return array;
  }
}
