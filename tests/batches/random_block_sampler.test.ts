import assert from "node:assert/strict";
import { type Batch, InputError, RandomBlockSampler } from "../../mod.ts";
import { Prng } from "../../src/util/prng.ts";

/** The starts of the next `count` batches, copied. */
function drawStarts(sampler: RandomBlockSampler, count: number): number[][] {
  return Array.from({ length: count }, () => [...sampler.sample().starts]);
}

Deno.test("RandomBlockSampler", async (t) => {
  await t.step("x = ids[s, s+T), y = ids[s+1, s+T+1), s in [0, n - T - 1]", () => {
    const prng = new Prng(8);
    for (let iteration = 0; iteration < 100; iteration++) {
      const maxLength = 1 + prng.below(20);
      const n = maxLength + 1 + prng.below(100);
      const batchSize = 1 + prng.below(8);
      const ids = iteration % 2 === 0
        ? Uint32Array.from({ length: n }, () => prng.nextUint32())
        : Uint16Array.from({ length: n }, () => prng.below(65536));
      const sampler = new RandomBlockSampler(ids, { maxLength, batchSize, seed: iteration });
      for (let b = 0; b < 5; b++) {
        const batch = sampler.sample();
        assert.equal(batch.index, b);
        assert.equal(batch.rows, batchSize);
        assert.equal(batch.seqLength, maxLength);
        assert.equal(batch.inputs.length, batchSize * maxLength);
        for (let r = 0; r < batchSize; r++) {
          const s = batch.starts[r];
          assert.ok(s <= n - maxLength - 1, `start ${s}, n ${n}, maxLength ${maxLength}`);
          for (let i = 0; i < maxLength; i++) {
            assert.equal(batch.inputs[r * maxLength + i], ids[s + i]);
            assert.equal(batch.targets[r * maxLength + i], ids[s + 1 + i]);
          }
        }
      }
    }
  });
  await t.step("every start in [0, n - T - 1] is drawn, about equally often, at any offset", () => {
    const sampler = new RandomBlockSampler(new Uint32Array(20), { maxLength: 4, batchSize: 10 });
    const counts = new Array(16).fill(0);
    for (const starts of drawStarts(sampler, 3200)) starts.forEach((s) => counts[s]++);
    // 32,000 draws over 16 starts: 2,000 each; 4 standard deviations is about 170.
    for (const count of counts) assert.ok(Math.abs(count - 2000) < 200, `${counts}`);
  });
  await t.step("seeded: same seed, same batches; another seed, others", () => {
    const ids = new Uint32Array(1000);
    const options = { maxLength: 16, batchSize: 4, seed: 42 };
    const a = drawStarts(new RandomBlockSampler(ids, options), 10);
    assert.deepEqual(drawStarts(new RandomBlockSampler(ids, options), 10), a);
    assert.notDeepEqual(drawStarts(new RandomBlockSampler(ids, { ...options, seed: 43 }), 10), a);
    const iterated: number[][] = [];
    for (const batch of new RandomBlockSampler(ids, options)) {
      iterated.push([...batch.starts]);
      if (iterated.length === 10) break;
    }
    assert.deepEqual(iterated, a);
  });
  await t.step("bad input is an error naming the parameter", () => {
    const ids = new Uint32Array(10);
    for (
      const [options, parameter, message] of [
        [
          { maxLength: 10, batchSize: 1 },
          "ids",
          /holds 10 tokens, but maxLength 10 needs at least/,
        ],
        [{ maxLength: 0, batchSize: 1 }, "maxLength", /must be an integer >= 1, got 0/],
        [{ maxLength: 4, batchSize: 0 }, "batchSize", /must be an integer >= 1, got 0/],
        [{ maxLength: 4, batchSize: 1, seed: 1.5 }, "seed", /in \[0, 4294967295\], got 1.5/],
        [
          { maxLength: 4, batchSize: 1, reuseBuffers: 0 },
          "reuseBuffers",
          /must be true or false, got 0/,
        ],
      ] as const
    ) {
      assert.throws(
        () => new RandomBlockSampler(ids, options as never),
        (e: unknown) =>
          e instanceof InputError && e.parameter === parameter && message.test(e.message),
      );
    }
  });
  await t.step("each batch keeps its arrays; reuseBuffers refills one set", () => {
    const ids = Uint32Array.from({ length: 100 }, (_, i) => i);
    const options = { maxLength: 5, batchSize: 3, seed: 7 };
    const kept: Batch[] = [];
    for (const batch of new RandomBlockSampler(ids, options)) {
      kept.push(batch);
      if (kept.length === 4) break;
    }
    // ids[i] = i: every kept batch still holds the rows of its own starts.
    for (const batch of kept) {
      for (let row = 0; row < 3; row++) assert.equal(batch.inputs[row * 5], batch.starts[row]);
    }
    assert.notEqual(kept[0].inputs, kept[1].inputs);
    const reusing = new RandomBlockSampler(ids, { ...options, reuseBuffers: true });
    assert.equal(reusing.reuseBuffers, true);
    const first = reusing.sample();
    const second = reusing.sample();
    assert.equal(first.inputs, second.inputs);
    assert.deepEqual([...second.starts], [...kept[1].starts]);
  });
});
