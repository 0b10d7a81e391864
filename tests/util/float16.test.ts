import assert from "node:assert/strict";
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from "../../mod.ts";
import {
  bf16ArrayToF32,
  f16ArrayToF32,
  f32ArrayToBf16,
  f32ArrayToF16,
} from "../../src/util/float16.ts";
import { safetensorsReference } from "../helpers/fixtures.ts";

// The independent references: V8's Float16Array and Math.f16round (IEEE binary16, ties to even).
function f16ValueOfBits(bits: number): number {
  return new Float16Array(new Uint16Array([bits]).buffer)[0];
}
function f16BitsOfValue(value: number): number {
  return new Uint16Array(new Float16Array([value]).buffer)[0];
}

/** Deterministic pseudo-random float32 bit patterns (a 32-bit LCG). */
function* randomF32Bits(count: number): Generator<number> {
  let state = 12345;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    yield state;
  }
}

function f32OfBits(bits: number): number {
  return new Float32Array(new Uint32Array([bits]).buffer)[0];
}

/** The bfloat16 nearest to a finite float32, ties to even, found by comparing distances. */
function nearestBf16Bits(value: number): number {
  const low = new Uint32Array(new Float32Array([value]).buffer)[0] >>> 16;
  const lowValue = bf16BitsToF32(low);
  if (lowValue === value) return low;
  const high = low + 1; // the next bfloat16 away from zero
  // past the largest bfloat16, rounding treats infinity as the power of two where it would be
  const highValue = Number.isFinite(bf16BitsToF32(high))
    ? bf16BitsToF32(high)
    : Math.sign(value) * 2 ** 128;
  const toLow = Math.abs(value - lowValue);
  const toHigh = Math.abs(highValue - value);
  if (toLow !== toHigh) return toLow < toHigh ? low : high;
  return low % 2 === 0 ? low : high;
}

Deno.test("half precision (F16)", async (t) => {
  await t.step("known bit patterns", () => {
    const cases: [number, number][] = [
      [0x0000, 0],
      [0x8000, -0],
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125],
      [0x7bff, 65504],
      [0x0400, 2 ** -14],
      [0x03ff, 2 ** -14 - 2 ** -24],
      [0x0001, 2 ** -24],
      [0x8001, -(2 ** -24)],
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
    ];
    for (const [bits, value] of cases) {
      assert.ok(Object.is(f16BitsToF32(bits), value), `0x${bits.toString(16)}`);
      assert.equal(f32ToF16Bits(value), bits, `${value}`);
    }
    assert.ok(Number.isNaN(f16BitsToF32(0x7e00)));
    assert.ok(Number.isNaN(f16BitsToF32(0xfc01)));
  });

  await t.step("all 65,536 bit patterns decode as Float16Array does", () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const expected = f16ValueOfBits(bits);
      const actual = f16BitsToF32(bits);
      if (Number.isNaN(expected)) assert.ok(Number.isNaN(actual), `0x${bits.toString(16)}`);
      else assert.ok(Object.is(actual, expected), `0x${bits.toString(16)}: ${actual} ${expected}`);
    }
  });

  await t.step("every half round-trips; NaN stays NaN", () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = f16BitsToF32(bits);
      if (Number.isNaN(value)) assert.ok(Number.isNaN(f16BitsToF32(f32ToF16Bits(value))));
      else assert.equal(f32ToF16Bits(value), bits);
    }
  });

  await t.step("midpoints between neighbouring halves round to the even one", () => {
    for (let bits = 0; bits < 0x7bff; bits++) {
      const midpoint = (f16BitsToF32(bits) + f16BitsToF32(bits + 1)) / 2; // exact in float32
      const expected = bits % 2 === 0 ? bits : bits + 1;
      assert.equal(f32ToF16Bits(midpoint), expected, `midpoint above 0x${bits.toString(16)}`);
      assert.equal(f32ToF16Bits(-midpoint), expected | 0x8000);
      assert.equal(f16BitsOfValue(midpoint), expected); // the reference agrees
    }
    // between the largest half and the next power of two: 65520 overflows, just below does not
    assert.equal(f32ToF16Bits(65520), 0x7c00);
    assert.equal(f32ToF16Bits(Math.fround(65519.996)), 0x7bff);
    // half the smallest subnormal is a tie with zero; just above it rounds up
    assert.equal(f32ToF16Bits(2 ** -25), 0x0000);
    assert.equal(f32ToF16Bits(Math.fround(2 ** -25 * (1 + 2 ** -23))), 0x0001);
  });

  await t.step("200,000 random float32 values round as Math.f16round does", () => {
    for (const bits of randomF32Bits(200_000)) {
      const value = f32OfBits(bits);
      const actual = f32ToF16Bits(value);
      if (Number.isNaN(value)) {
        assert.ok(Number.isNaN(f16BitsToF32(actual)));
        continue;
      }
      const expected = Math.f16round(value);
      assert.ok(
        Object.is(f16ValueOfBits(actual), expected),
        `0x${bits.toString(16)} (${value}) → 0x${actual.toString(16)}, expected ${expected}`,
      );
    }
  });

  await t.step("numpy's astype(float16) of the fixture values", async () => {
    const reference = await safetensorsReference();
    reference.f32.forEach((value, i) => {
      assert.equal(f32ToF16Bits(value), reference.f16_bits[i], `f32[${i}] = ${value}`);
      assert.ok(
        Object.is(f16BitsToF32(reference.f16_bits[i]), reference.f16[i]) ||
          Number.isNaN(reference.f16[i]),
      );
    });
  });
});

Deno.test("bfloat16 (BF16)", async (t) => {
  await t.step("known bit patterns", () => {
    assert.equal(f32ToBf16Bits(1), 0x3f80);
    assert.equal(f32ToBf16Bits(-2), 0xc000);
    assert.equal(f32ToBf16Bits(Math.PI), 0x4049); // 0x40490fdb: the dropped half is below a tie
    assert.equal(f32ToBf16Bits(f32OfBits(0x3f808000)), 0x3f80); // a tie, to even (down)
    assert.equal(f32ToBf16Bits(f32OfBits(0x3f818000)), 0x3f82); // a tie, to even (up)
    assert.equal(f32ToBf16Bits(f32OfBits(0x7f7fffff)), 0x7f80); // the largest float32 → ∞
    assert.equal(f32ToBf16Bits(-Infinity), 0xff80);
    assert.equal(bf16BitsToF32(0x4049), 3.140625);
    assert.ok(Object.is(bf16BitsToF32(0x8000), -0));
    assert.ok(Number.isNaN(bf16BitsToF32(f32ToBf16Bits(NaN))));
    assert.ok(Number.isNaN(bf16BitsToF32(f32ToBf16Bits(f32OfBits(0x7f800001))))); // stays NaN
  });

  await t.step("200,000 random float32 values round to the nearest bfloat16", () => {
    for (const bits of randomF32Bits(200_000)) {
      const value = f32OfBits(bits);
      if (!Number.isFinite(value)) continue;
      assert.equal(f32ToBf16Bits(value), nearestBf16Bits(value), `0x${bits.toString(16)}`);
    }
  });

  await t.step("ml_dtypes' bfloat16 of the fixture values", async () => {
    const reference = await safetensorsReference();
    reference.f32.forEach((value, i) => {
      assert.equal(f32ToBf16Bits(value), reference.bf16_bits[i], `f32[${i}] = ${value}`);
      assert.ok(
        Object.is(bf16BitsToF32(reference.bf16_bits[i]), reference.bf16[i]) ||
          Number.isNaN(reference.bf16[i]),
      );
    });
  });
});

Deno.test("array conversions agree with the scalar ones", () => {
  const values = Float32Array.from(randomF32Bits(100_000), f32OfBits);
  values.set([0, -0, 65520, 2 ** -25, Infinity, -Infinity, NaN, 1 + 2 ** -8, 1 + 2 ** -11]);
  const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

  const halves = new Uint16Array(values.length);
  f32ArrayToF16(values, halves);
  const brains = new Uint16Array(values.length);
  f32ArrayToBf16(values, brains);
  values.forEach((value, i) => {
    if (Number.isNaN(value)) {
      assert.ok(Number.isNaN(f16BitsToF32(halves[i])) && Number.isNaN(bf16BitsToF32(brains[i])));
    } else {
      assert.equal(halves[i], f32ToF16Bits(value), `${value}`);
      assert.equal(brains[i], f32ToBf16Bits(value), `${value}`);
    }
  });

  const allBits = Uint16Array.from({ length: 0x10000 }, (_, bits) => bits);
  const fromHalves = new Float32Array(0x10000);
  f16ArrayToF32(allBits, fromHalves);
  const fromBrains = new Float32Array(0x10000);
  bf16ArrayToF32(allBits, fromBrains);
  allBits.forEach((bits) => {
    assert.ok(same(fromHalves[bits], f16BitsToF32(bits)), `0x${bits.toString(16)}`);
    assert.ok(same(fromBrains[bits], bf16BitsToF32(bits)), `0x${bits.toString(16)}`);
  });
});
