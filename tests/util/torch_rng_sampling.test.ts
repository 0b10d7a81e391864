import assert from "node:assert/strict";
import { InputError, TorchGenerator } from "../../mod.ts";

// Values printed by PyTorch 1.13.1 (CPU) for the calls named in each step.

Deno.test("randint matches torch.randint", async (t) => {
  await t.step("seed 123, randint(1000, (8,)): the documented example", () => {
    const generator = new TorchGenerator(123);
    assert.deepEqual([...generator.randint(1000, 8)], [382, 789, 102, 610, 580, 842, 886, 57]);
  });
  await t.step("seed 1: randint(2**32, (3,)), randint(1, (2,)), randint(7, (4,)) in a row", () => {
    // A range of 2^32 takes 64-bit draws; the stream continues across the calls.
    const generator = new TorchGenerator(1);
    assert.deepEqual([...generator.randint(2 ** 32, 3)], [4282876139, 4005303368, 550290313]);
    assert.deepEqual([...generator.randint(1, 2)], [0, 0]);
    assert.deepEqual([...generator.randint(7, 4)], [0, 3, 4, 6]);
  });
  await t.step("each element is one 32-bit draw modulo high, in order", () => {
    for (const high of [1, 2, 3, 62, 18423, 2 ** 31 + 1, 2 ** 32 - 1]) {
      const draws = new TorchGenerator(77);
      const expected = Array.from({ length: 100 }, () => draws.nextUint32() % high);
      const generator = new TorchGenerator(77);
      assert.deepEqual([...generator.randint(high, 100)], expected, `high ${high}`);
      // ... and the stream continues where the 100 draws left it.
      assert.equal(generator.nextUint32(), draws.nextUint32());
    }
  });
  await t.step("fillRandint continues the stream like one longer call", () => {
    const whole = new TorchGenerator(5).randint(97, 12);
    const generator = new TorchGenerator(5);
    const first = generator.fillRandint(new Uint32Array(5), 97);
    const second = generator.randint(97, 7);
    assert.deepEqual([...first, ...second], [...whole]);
  });
  await t.step("bad arguments name the parameter", () => {
    const generator = new TorchGenerator(0);
    for (const high of [0, -1, 1.5, 2 ** 32 + 1, NaN]) {
      assert.throws(() => generator.randint(high, 1), (e: unknown) => {
        return e instanceof InputError && e.parameter === "high";
      });
    }
    assert.throws(() => generator.randint(10, -1), /count/);
    assert.throws(
      () => generator.fillRandint([0, 0] as unknown as Uint32Array, 10),
      (e: unknown) => e instanceof InputError && e.parameter === "out",
    );
  });
});

/** The documented algorithm, written plainly over raw draws: argmax of float32 p / q. */
function gumbelReference(generator: TorchGenerator, probs: readonly number[]): number {
  const q = probs.map(() => {
    const hi = generator.nextUint32();
    const lo = generator.nextUint32();
    const u = ((hi & 0x1fffff) * 2 ** 32 + lo) * 2 ** -53;
    return Math.fround(-Math.log1p(-u));
  });
  const ratios = probs.map((p, i) => Math.fround(Math.fround(p) / q[i]));
  return ratios.indexOf(Math.max(...ratios));
}

Deno.test("multinomial(probs, 1) matches torch.multinomial", async (t) => {
  await t.step("seed 0: 24 draws from [0.1, 0.2, 0.3, 0.4]", () => {
    const generator = new TorchGenerator(0);
    const probs = Float32Array.of(0.1, 0.2, 0.3, 0.4);
    const drawn = Array.from({ length: 24 }, () => generator.multinomial(probs)[0]);
    assert.deepEqual(
      drawn,
      [2, 2, 3, 3, 1, 2, 0, 1, 1, 3, 1, 3, 3, 3, 2, 1, 1, 0, 2, 3, 3, 3, 1, 1],
    );
  });
  await t.step("seed 2024: three rows of softmax(0.5·arange(7)), then randint(5, (6,))", () => {
    const row = Array.from({ length: 7 }, (_, i) => Math.exp(0.5 * i));
    const sum = row.reduce((a, b) => a + b);
    const probs = Float32Array.from([...row, ...row, ...row].map((x) => x / sum));
    const generator = new TorchGenerator(2024);
    assert.deepEqual([...generator.multinomial(probs, 7)], [5, 3, 6]);
    assert.deepEqual([...generator.randint(5, 6)], [2, 2, 4, 0, 0, 2]);
  });
  await t.step("the documented algorithm on random rows: same index, same stream position", () => {
    const shapes = new TorchGenerator(3);
    for (let trial = 0; trial < 200; trial++) {
      const length = 1 + shapes.randint(300, 1)[0];
      const probs = Array.from(shapes.randint(1000, length), (k) => (k < 300 ? 0 : k / 1000));
      probs[shapes.randint(length, 1)[0]] = 0.5; // at least one positive weight
      const a = new TorchGenerator(trial);
      const b = new TorchGenerator(trial);
      assert.equal(a.multinomial(probs)[0], gumbelReference(b, probs), `trial ${trial}`);
      assert.equal(a.nextUint32(), b.nextUint32(), "2 × length draws per sample");
    }
  });
  await t.step("never an index of weight 0; a one-hot row always gives its index", () => {
    const generator = new TorchGenerator(11);
    const probs = Float32Array.of(0, 3, 0, 1, 0);
    for (let i = 0; i < 500; i++) assert.ok([1, 3].includes(generator.multinomial(probs)[0]));
    for (let i = 0; i < 50; i++) {
      assert.equal(generator.multinomial(Float32Array.of(0, 0, 0, 2, 0, 0))[0], 3);
    }
  });
  await t.step("frequencies follow the weights (unnormalised weights are fine)", () => {
    const generator = new TorchGenerator(12345);
    const weights = [1, 2, 3, 4]; // sums to 10, not 1
    const counts = [0, 0, 0, 0];
    const n = 20000;
    for (let i = 0; i < n; i++) counts[generator.multinomial(weights)[0]]++;
    weights.forEach((w, i) => {
      const expected = n * w / 10;
      // 5 standard deviations of a binomial count
      const sd = Math.sqrt(n * (w / 10) * (1 - w / 10));
      assert.ok(Math.abs(counts[i] - expected) < 5 * sd, `index ${i}: ${counts[i]} of ${n}`);
    });
  });
  await t.step("rows are sampled in order, like separate calls", () => {
    const probs = Float32Array.from({ length: 40 }, (_, i) => (i * 7919) % 13);
    const a = new TorchGenerator(8);
    const b = new TorchGenerator(8);
    const rows = a.multinomial(probs, 8);
    for (let r = 0; r < 5; r++) {
      assert.equal(rows[r], b.multinomial(probs.subarray(r * 8, r * 8 + 8))[0]);
    }
  });
  await t.step("invalid distributions are refused before any draw", () => {
    const generator = new TorchGenerator(1);
    const cases: [ArrayLike<number>, number | undefined, string][] = [
      [[0.5, -0.1], undefined, "probs[1]"],
      [[0.5, NaN], undefined, "probs[1]"],
      [[Infinity, 1], undefined, "probs[0]"],
      [[0, 0, 1, 1], 2, "probs"],
      [[1, 1, 1], 2, "probs"],
      [[], undefined, "rowLength"],
    ];
    for (const [probs, rowLength, parameter] of cases) {
      assert.throws(
        () => generator.multinomial(probs, rowLength),
        (e: unknown) => e instanceof InputError && e.parameter === parameter,
        `${JSON.stringify(probs)} / ${rowLength}`,
      );
    }
    assert.equal(generator.nextUint32(), new TorchGenerator(1).nextUint32());
  });
});

Deno.test("exponential matches the documented transform", () => {
  const draws = new TorchGenerator(4);
  const expected = Array.from({ length: 10 }, () => {
    const hi = draws.nextUint32();
    const lo = draws.nextUint32();
    return Math.fround(-Math.log1p(-((hi & 0x1fffff) * 2 ** 32 + lo) * 2 ** -53));
  });
  assert.deepEqual([...new TorchGenerator(4).exponential(10)], expected);
});
