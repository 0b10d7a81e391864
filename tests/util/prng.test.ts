import assert from "node:assert/strict";
import { InputError } from "../../mod.ts";
import { Prng } from "../../src/util/prng.ts";

// First outputs computed by a C transcription of the published reference code
// (xoshiro128starstar.c and splitmix64.c from https://prng.di.unimi.it/), compiled with gcc, with
// the seeding the Prng documents: SplitMix64's state starts at seed << 32 | stream, and its two
// outputs, each split into its low and high 32 bits, are s[0..3]. (The C SplitMix64 gives
// 0xe220a8397b1dcdaf first for state 0, its published test value.)
const C_REFERENCE: ReadonlyArray<readonly [number, number, readonly number[]]> = [
  [0, 0, [
    3737715805,
    2584255861,
    2876756834,
    3286328325,
    1553311962,
    1625202774,
    3260698944,
    2754151956,
  ]],
  [123, 0, [
    3610603766,
    2410182174,
    2555068852,
    255268336,
    3710867077,
    2081431068,
    2726294693,
    3889879929,
  ]],
  [123, 1, [
    140833243,
    4017410813,
    4054993340,
    134266622,
    1582456751,
    2151655741,
    3674589790,
    554151079,
  ]],
  [4294967295, 4294967295, [
    477689756,
    2493998634,
    555695776,
    607808419,
    61340979,
    301466976,
    2478485284,
    2565876330,
  ]],
];

Deno.test("Prng: xoshiro128** seeded with SplitMix64", async (t) => {
  await t.step("matches the reference C implementation", () => {
    for (const [seed, stream, expected] of C_REFERENCE) {
      const prng = new Prng(seed, stream);
      assert.deepEqual(
        expected.map(() => prng.nextUint32()),
        expected,
        `seed ${seed}, stream ${stream}`,
      );
    }
  });
  await t.step("below(bound) stays in range and is about uniform", () => {
    const prng = new Prng(7);
    const counts = new Array(3).fill(0);
    for (let i = 0; i < 30_000; i++) counts[prng.below(3)]++;
    for (const count of counts) assert.ok(Math.abs(count - 10_000) < 500, `${counts}`);
    for (const bound of [1, 2, 1000, 2 ** 31 + 1, 2 ** 32]) {
      for (let i = 0; i < 1000; i++) {
        const x = prng.below(bound);
        assert.ok(Number.isInteger(x) && x >= 0 && x < bound, `${x} for ${bound}`);
      }
    }
  });
  await t.step("below(bound) is Lemire's method, checked with exact BigInt arithmetic", () => {
    // below(bound) = floor(x * bound / 2^32) for the first x whose product's low half is not
    // under (2^32 - bound) % bound; a twin generator supplies the same x values.
    const bounds = new Prng(11);
    let rejected = 0;
    for (let i = 0; i < 20_000; i++) {
      const bound = i % 4 === 0 ? 2 ** 32 - bounds.below(1000) : 1 + bounds.below(2 ** 32);
      const twin = new Prng(i, 5);
      const threshold = BigInt((2 ** 32 - bound) % bound);
      let product = BigInt(twin.nextUint32()) * BigInt(bound);
      while ((product & 0xffff_ffffn) < threshold) {
        rejected++;
        product = BigInt(twin.nextUint32()) * BigInt(bound);
      }
      assert.equal(
        new Prng(i, 5).below(bound),
        Number(product >> 32n),
        `bound ${bound}, seed ${i}`,
      );
    }
    assert.ok(rejected > 100, `the rejection path ran ${rejected} times`);
  });
  await t.step("belowLarge(bound): below's draws up to 2^32, uniform and exact above", () => {
    for (const bound of [1, 7, 2 ** 31 + 5, 2 ** 32]) {
      const a = new Prng(3, 1);
      const b = new Prng(3, 1);
      for (let i = 0; i < 200; i++) assert.equal(a.belowLarge(bound), b.below(bound));
    }
    // 2^34 + 3: four equally likely quarters [q · 2^32, (q + 1) · 2^32), and a 3-value tail
    const bound = 2 ** 34 + 3;
    const prng = new Prng(5);
    const quarters = [0, 0, 0, 0];
    let odd = 0;
    for (let i = 0; i < 8000; i++) {
      const x = prng.belowLarge(bound);
      assert.ok(Number.isInteger(x) && x >= 0 && x < bound, `${x}`);
      quarters[Math.min(3, Math.floor(x / 2 ** 32))]++;
      odd += x % 2;
    }
    for (const count of quarters) assert.ok(Math.abs(count - 2000) < 200, `${quarters}`);
    assert.ok(Math.abs(odd - 4000) < 300, `${odd} odd of 8000`);
    const top = new Prng(9);
    for (let i = 0; i < 1000; i++) assert.ok(top.belowLarge(2 ** 53) < 2 ** 53);
    assert.throws(
      () => new Prng(0).belowLarge(2 ** 53 + 2),
      /bound must be an integer in \[1, 9007199254740992\], got 9007199254740994/,
    );
  });
  await t.step("shuffle is a permutation, and reproducible", () => {
    const a = new Prng(1).shuffle(Uint32Array.from({ length: 1000 }, (_, i) => i));
    const b = new Prng(1).shuffle(Uint32Array.from({ length: 1000 }, (_, i) => i));
    assert.deepEqual(a, b);
    assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 1000 }, (_, i) => i));
    assert.notDeepEqual([...a], Array.from({ length: 1000 }, (_, i) => i));
  });
  await t.step("every one of the 3! orders of 3 items comes up, about equally often", () => {
    const prng = new Prng(99);
    const counts = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const key = prng.shuffle([0, 1, 2]).join("");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    assert.equal(counts.size, 6);
    for (const count of counts.values()) assert.ok(Math.abs(count - 1000) < 150, `${[...counts]}`);
  });
  await t.step("seeds and streams must be 32-bit unsigned integers", () => {
    for (const bad of [-1, 2 ** 32, 1.5, NaN, "1"]) {
      assert.throws(
        () => new Prng(bad as number),
        (e: unknown) =>
          e instanceof InputError && e.parameter === "seed" &&
          e.message.includes("must be an integer in [0, 4294967295]"),
      );
    }
    assert.throws(() => new Prng(0, -1), /stream must be an integer in \[0, 4294967295\], got -1/);
    assert.throws(
      () => new Prng(0).below(0),
      /bound must be an integer in \[1, 4294967296\], got 0/,
    );
  });
});
