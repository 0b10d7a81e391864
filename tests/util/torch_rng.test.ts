import assert from "node:assert/strict";
import { InputError, TorchGenerator } from "../../mod.ts";
import { assertClose, assertCloseTo } from "../helpers/assert_close.ts";
import { chapter2Reference } from "../helpers/fixtures.ts";

const reference = await chapter2Reference();
const GPT2_VOCAB = 50257;
const DIM = 256;

Deno.test("Mersenne Twister stream", async (t) => {
  await t.step("the 10000th draw from seed 5489 is 4123659995 (the C++ standard's check)", () => {
    const generator = new TorchGenerator(5489);
    let draw = 0;
    for (let i = 0; i < 10000; i++) draw = generator.nextUint32();
    assert.equal(draw, 4123659995);
  });
  await t.step("manualSeed restarts the stream", () => {
    const generator = new TorchGenerator(7);
    const first = [generator.nextUint32(), generator.nextUint32()];
    generator.manualSeed(7);
    assert.deepEqual([generator.nextUint32(), generator.nextUint32()], first);
    assert.equal(generator.seed, 7);
  });
  await t.step("seeds must be 32-bit unsigned integers", () => {
    for (const seed of [-1, 2 ** 32, 1.5, NaN]) {
      assert.throws(
        () => new TorchGenerator(seed),
        (e: unknown) =>
          e instanceof InputError && e.parameter === "seed" &&
          e.message.includes("must be an integer in [0, 4294967295]"),
      );
    }
  });
});

Deno.test("normal_ for 16 or more elements matches PyTorch", async (t) => {
  await t.step("seed 123, Embedding(6, 3): the book's weights within 1e-6", () => {
    const { seed, weight } = reference.embedding_6x3_after_seed;
    const values = new TorchGenerator(seed).normal(6 * 3);
    assertClose(values, weight.flat(), { atol: 1e-6 }, "Embedding(6, 3) weight");
  });
  await t.step("seed 123, Embedding(50257, 256) then Embedding(4, 256): GPT-2 tables", () => {
    const expected = reference.gpt2_embeddings_after_seed;
    const generator = new TorchGenerator(expected.seed);
    const token = generator.normal(GPT2_VOCAB * DIM);
    const position = generator.normal(4 * DIM);
    for (const [id, row] of Object.entries(expected.token_weight_rows)) {
      const start = Number(id) * DIM;
      assertClose(token.subarray(start, start + DIM), row, { atol: 1e-6 }, `token row ${id}`);
    }
    let sum = 0;
    let absSum = 0;
    for (const value of token) {
      sum += value;
      absSum += Math.abs(value);
    }
    assertCloseTo(sum, expected.token_weight_sum, { rtol: 1e-5 }, "token table sum");
    assertCloseTo(absSum, expected.token_weight_abs_sum, { rtol: 1e-5 }, "token table |sum|");
    assertClose(position, expected.pos_weight.flat(), { atol: 1e-6 }, "position table");
  });
  await t.step("every length from 16 to 80 follows the documented algorithm", () => {
    // The algorithm of docs/torch-rng.md written plainly (Math.log/cos/sin over raw draws),
    // against the optimised implementation: whole blocks, then the redrawn last 16.
    for (let n = 16; n <= 80; n++) {
      const draws = new TorchGenerator(99);
      const uniform = () => (draws.nextUint32() & 0xffffff) * 2 ** -24;
      const data = Float32Array.from({ length: n }, uniform);
      const transform = (i: number) => {
        for (let j = 0; j < 8; j++) {
          const radius = Math.sqrt(-2 * Math.log(1 - data[i + j]));
          const theta = Math.fround(Math.fround(2 * Math.PI) * data[i + j + 8]);
          data[i + j] = radius * Math.cos(theta);
          data[i + j + 8] = radius * Math.sin(theta);
        }
      };
      for (let i = 0; i + 16 <= n; i += 16) transform(i);
      if (n % 16 !== 0) {
        for (let i = n - 16; i < n; i++) data[i] = uniform();
        transform(n - 16);
      }
      const generator = new TorchGenerator(99);
      assertClose(generator.normal(n), data, { atol: 1e-7 }, `normal(${n})`);
      assert.equal(generator.nextUint32(), draws.nextUint32(), `draws consumed by normal(${n})`);
    }
  });
  await t.step("mean and std scale the samples", () => {
    const standard = new TorchGenerator(5).normal(32);
    const scaled = new TorchGenerator(5).normal(32, 2, 0.5);
    assertClose(scaled, standard.map((v) => v * 0.5 + 2), { atol: 1e-6 });
  });
});

Deno.test("normal_ for fewer than 16 elements matches PyTorch", async (t) => {
  // torch.manual_seed(s); torch.randn(5), as widely printed in PyTorch tutorials and forums.
  await t.step("seed 0 → 1.5410, -0.2934, -2.1788, 0.5684, -1.0845", () => {
    const values = new TorchGenerator(0).normal(5);
    assertClose(values, [1.541, -0.2934, -2.1788, 0.5684, -1.0845], { atol: 5e-5 });
  });
  await t.step("seed 42 → 0.3367, 0.1288, 0.2345, 0.2303, -1.1229", () => {
    const values = new TorchGenerator(42).normal(5);
    assertClose(values, [0.3367, 0.1288, 0.2345, 0.2303, -1.1229], { atol: 5e-5 });
  });
  await t.step("the cached second sample carries over to the next tensor", () => {
    const together = new TorchGenerator(3).normal(4);
    const generator = new TorchGenerator(3);
    const parts = [...generator.normal(3), ...generator.normal(1)];
    assert.deepEqual(parts, [...together]);
  });
  await t.step("manual_seed forgets the cached sample", () => {
    const generator = new TorchGenerator(3);
    generator.normal(1); // caches a sample
    generator.manualSeed(3);
    assert.deepEqual([...generator.normal(2)], [...new TorchGenerator(3).normal(2)]);
  });
});

Deno.test("normal rejects bad arguments", () => {
  const generator = new TorchGenerator(1);
  assert.throws(() => generator.normal(-1), /count must be an integer >= 0, got -1/);
  assert.throws(() => generator.normal(4, NaN), /mean must be a finite number, got NaN/);
  assert.throws(() => generator.normal(4, 0, -1), /std must be a finite number >= 0, got -1/);
  assert.throws(
    () => generator.fillNormal([1, 2] as unknown as Float32Array),
    /out must be a Float32Array, got an array of length 2/,
  );
});

Deno.test("normalRange: a slice of a fill without the rest, the stream left where it would be", async (t) => {
  await t.step(
    "equals normal(count) sliced, for whole blocks, a redrawn tail and short fills",
    () => {
      const random = new TorchGenerator(99);
      for (const count of [0, 1, 7, 15, 16, 17, 24, 31, 32, 33, 100, 1007, 4096]) {
        const whole = new TorchGenerator(5).normal(count, 0.5, 2);
        const following = new TorchGenerator(5);
        following.normal(count, 0.5, 2);
        const next = following.nextUint32();
        const ranges = [[0, count], [0, 0], [count, count], [Math.max(0, count - 16), count]];
        for (let i = 0; i < 12; i++) {
          const start = random.nextUint32() % (count + 1);
          ranges.push([start, start + (random.nextUint32() % (count - start + 1))]);
        }
        for (const [start, end] of ranges) {
          const generator = new TorchGenerator(5);
          const slice = generator.normalRange(count, start, end, 0.5, 2);
          assert.deepEqual(slice, whole.slice(start, end), `count ${count}, [${start}, ${end})`);
          assert.equal(generator.nextUint32(), next, `stream after count ${count}`);
        }
      }
    },
  );
  await t.step("the book's token-table rows and the position table after it", () => {
    const generator = new TorchGenerator(reference.gpt2_embeddings_after_seed.seed);
    const row = generator.normalRange(GPT2_VOCAB * DIM, 367 * DIM, 368 * DIM);
    assertClose(row, reference.gpt2_embeddings_after_seed.token_weight_rows["367"], { atol: 1e-6 });
    assertClose(
      generator.normal(4 * DIM),
      reference.gpt2_embeddings_after_seed.pos_weight.flat(),
      { atol: 1e-6 },
    );
  });
  await t.step("bad ranges", () => {
    const generator = new TorchGenerator(1);
    assert.throws(
      () => generator.normalRange(10, 4, 3),
      (e: unknown) =>
        e instanceof InputError && e.message === "end must be an integer in [4, 10], got 3",
    );
    assert.throws(() => generator.normalRange(10, 11, 11), /start must be an integer in \[0, 10\]/);
  });
});
