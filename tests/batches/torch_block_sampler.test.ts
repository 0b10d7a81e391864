import assert from "node:assert/strict";
import { CharTokenizer, InputError, TorchBlockSampler, TorchGenerator } from "../../mod.ts";
import { koreanCase, verdictCase } from "../helpers/semigpt.ts";

Deno.test("TorchBlockSampler reproduces the note's batch_function", async (t) => {
  for (const { name, text, reference } of [await verdictCase(), await koreanCase()]) {
    await t.step(`${name}: the first two training batches after step 0's evaluation`, () => {
      const { seed, batch_size: batchSize, block_size: blockSize, eval_iters: evalIters } =
        reference.config;
      const ids = CharTokenizer.fromText(text).encode(text);
      const split = Math.floor(0.9 * ids.length);
      assert.equal(split, reference.train_tokens);
      const generator = new TorchGenerator(seed);
      generator.normal(reference.vocab_size ** 2); // nn.Embedding(V, V) draws first
      const train = new TorchBlockSampler(ids.subarray(0, split), {
        blockSize,
        batchSize,
        generator,
      });
      const held = new TorchBlockSampler(ids.subarray(split), { blockSize, batchSize, generator });
      for (let k = 0; k < evalIters; k++) train.sample();
      for (let k = 0; k < evalIters; k++) held.sample();
      const first = [...train.sample().starts];
      const second = [...train.sample().starts];
      assert.deepEqual([first, second], reference.first_batch_starts);
    });
  }
});

Deno.test("TorchBlockSampler batches", async (t) => {
  const ids = Uint32Array.from({ length: 57 }, (_, i) => (i * 31) % 1000);
  await t.step(
    "one randint(len − blockSize, (batchSize,)) per batch; targets shifted by one",
    () => {
      for (const [blockSize, batchSize] of [[1, 1], [5, 3], [8, 32], [56, 2]]) {
        const generator = new TorchGenerator(9);
        const twin = new TorchGenerator(9);
        const sampler = new TorchBlockSampler(ids, { blockSize, batchSize, generator });
        for (let b = 0; b < 4; b++) {
          const batch = sampler.sample();
          assert.equal(batch.index, b);
          assert.equal(batch.rows, batchSize);
          assert.equal(batch.seqLength, blockSize);
          assert.deepEqual(batch.starts, twin.randint(ids.length - blockSize, batchSize));
          for (let r = 0; r < batchSize; r++) {
            const s = batch.starts[r];
            assert.ok(s + blockSize < ids.length);
            const row = (a: Uint32Array) => [...a.subarray(r * blockSize, (r + 1) * blockSize)];
            assert.deepEqual(row(batch.inputs), [...ids.subarray(s, s + blockSize)]);
            assert.deepEqual(row(batch.targets), [...ids.subarray(s + 1, s + blockSize + 1)]);
          }
        }
      }
    },
  );
  await t.step("two samplers on one generator interleave their draws", () => {
    const generator = new TorchGenerator(3);
    const a = new TorchBlockSampler(ids, { blockSize: 4, batchSize: 2, generator });
    const b = new TorchBlockSampler(ids.subarray(10), { blockSize: 3, batchSize: 5, generator });
    const twin = new TorchGenerator(3);
    assert.deepEqual(a.sample().starts, twin.randint(53, 2));
    assert.deepEqual(b.sample().starts, twin.randint(44, 5));
    assert.deepEqual(a.sample().starts, twin.randint(53, 2));
  });
  await t.step("bad options name the parameter", () => {
    const generator = new TorchGenerator(0);
    const cases: [unknown, unknown, string][] = [
      [ids, { blockSize: 0, batchSize: 1, generator }, "blockSize"],
      [ids, { blockSize: 57, batchSize: 1, generator }, "ids"],
      [ids, { blockSize: 4, batchSize: 0, generator }, "batchSize"],
      [ids, { blockSize: 4, batchSize: 1, generator: 1337 }, "generator"],
      [[1, 2, 3], { blockSize: 1, batchSize: 1, generator }, "ids"],
    ];
    for (const [data, options, parameter] of cases) {
      assert.throws(
        () => new TorchBlockSampler(data as Uint32Array, options as never),
        (e: unknown) => e instanceof InputError && e.parameter === parameter,
        parameter,
      );
    }
  });
});
