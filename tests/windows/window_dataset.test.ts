import assert from "node:assert/strict";
import { BpeTokenizer, InputError, WindowDataset } from "../../mod.ts";
import { Prng } from "../../src/util/prng.ts";
import { chapter2Reference, verdictText } from "../helpers/fixtures.ts";

/** The book's window starts, `range(0, n - max_length, stride)`, written out as a loop. */
function bookStarts(n: number, maxLength: number, stride: number): number[] {
  const starts: number[] = [];
  for (let i = 0; i < n - maxLength; i += stride) starts.push(i);
  return starts;
}

Deno.test("WindowDataset reproduces the book's GPTDatasetV1 windows", async (t) => {
  const reference = await chapter2Reference();
  using gpt2 = new BpeTokenizer("gpt2", { allowedSpecial: ["<|endoftext|>"] });
  const ids = gpt2.encode(await verdictText());
  for (
    const { config, num_windows, num_batches, first_batches, last_batch } of reference
      .dataloader_cases
  ) {
    const { batch_size: batchSize, max_length: maxLength, stride } = config;
    await t.step(`batch ${batchSize}, max length ${maxLength}, stride ${stride}`, () => {
      const dataset = new WindowDataset(ids, { maxLength, stride });
      assert.equal(dataset.length, num_windows);
      // Unshuffled, batch b holds windows b * batchSize + row.
      const expected = [
        ...first_batches.map((batch, b) => ({ batch, first: b * batchSize })),
        { batch: last_batch, first: (num_batches - 1) * batchSize },
      ];
      for (const { batch, first } of expected) {
        batch.inputs.forEach((row, r) => {
          assert.deepEqual([...dataset.input(first + r)], row);
          assert.deepEqual([...dataset.target(first + r)], batch.targets[r]);
        });
      }
    });
  }
});

Deno.test("WindowDataset properties over random n, maxLength and stride", async (t) => {
  const prng = new Prng(2024);
  await t.step("starts are the book's range; targets are inputs shifted by one; views", () => {
    for (let iteration = 0; iteration < 300; iteration++) {
      const maxLength = 1 + prng.below(40);
      const n = maxLength + 1 + prng.below(200);
      const stride = 1 + prng.below(50);
      const ids = iteration % 2 === 0
        ? Uint32Array.from({ length: n }, () => prng.nextUint32())
        : Uint16Array.from({ length: n }, () => prng.below(65536));
      const dataset = new WindowDataset(ids, { maxLength, stride });
      const label = `n ${n}, maxLength ${maxLength}, stride ${stride}`;
      const starts = bookStarts(n, maxLength, stride);
      assert.equal(dataset.length, starts.length, label);
      assert.ok(dataset.length >= 1, label);
      for (let k = 0; k < dataset.length; k++) {
        const start = dataset.start(k);
        assert.equal(start, starts[k], label);
        const input = dataset.input(k);
        const target = dataset.target(k);
        assert.equal(input.length, maxLength);
        assert.equal(target.length, maxLength);
        assert.equal(input.buffer, ids.buffer, "a view, not a copy");
        assert.equal(input.byteOffset, start * ids.BYTES_PER_ELEMENT);
        assert.equal(target.byteOffset, (start + 1) * ids.BYTES_PER_ELEMENT);
        for (let i = 0; i < maxLength; i++) {
          assert.equal(input[i], ids[start + i]);
          assert.equal(target[i], ids[start + 1 + i]);
        }
      }
      // No window is missing: the next start on the grid has no room for its target.
      assert.ok(dataset.length * stride + maxLength + 1 > n, label);
    }
  });
  await t.step("the book's last-window quirk: (n - maxLength) % stride == 0", () => {
    // n 9, maxLength 4, stride 5: range(0, 5, 5) = [0]; the window at 5 would need ids[9].
    const dataset = new WindowDataset(new Uint32Array(9), { maxLength: 4, stride: 5 });
    assert.equal(dataset.length, 1);
    assert.throws(() => dataset.start(1), /index must be an integer in \[0, 0\], got 1/);
    // n 13, maxLength 4, stride 1: 9 windows, starts 0..8; ids[12] is only ever a target.
    const stride1 = new WindowDataset(Uint32Array.from({ length: 13 }, (_, i) => i), {
      maxLength: 4,
      stride: 1,
    });
    assert.equal(stride1.length, 9);
    assert.deepEqual([...stride1.target(8)], [9, 10, 11, 12]);
  });
});

Deno.test("WindowDataset rejects bad input before any work", async (t) => {
  const ids = new Uint32Array(10);
  const rejects = (fn: () => unknown, parameter: string, message: RegExp) =>
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof InputError, String(e));
      assert.equal(e.parameter, parameter);
      assert.match(e.message, message);
      return true;
    });
  await t.step("too few tokens for maxLength (the book's max_length + 1)", () => {
    rejects(
      () => new WindowDataset(ids, { maxLength: 10, stride: 1 }),
      "ids",
      /holds 10 tokens, but maxLength 10 needs at least maxLength \+ 1 = 11/,
    );
    assert.equal(new WindowDataset(ids, { maxLength: 9, stride: 1 }).length, 1);
  });
  await t.step("maxLength and stride must be positive integers", () => {
    for (const bad of [0, -1, 1.5, NaN, "4", undefined]) {
      rejects(
        () => new WindowDataset(ids, { maxLength: bad as number, stride: 1 }),
        "maxLength",
        new RegExp(`must be an integer >= 1, got ${bad === "4" ? '"4"' : bad}`),
      );
      rejects(
        () => new WindowDataset(ids, { maxLength: 4, stride: bad as number }),
        "stride",
        new RegExp(`must be an integer >= 1, got ${bad === "4" ? '"4"' : bad}`),
      );
    }
  });
  await t.step("ids must be a Uint32Array or Uint16Array; indexes in range", () => {
    rejects(
      () => new WindowDataset([1, 2, 3] as unknown as Uint32Array, { maxLength: 1, stride: 1 }),
      "ids",
      /must be a Uint32Array or Uint16Array of token ids, got an array of length 3 \(use Uint32Array.from\(ids\)\)/,
    );
    rejects(
      () =>
        new WindowDataset(new Float32Array(8) as unknown as Uint32Array, {
          maxLength: 1,
          stride: 1,
        }),
      "ids",
      /got a Float32Array/,
    );
    const dataset = new WindowDataset(ids, { maxLength: 4, stride: 3 });
    assert.equal(dataset.length, 2);
    rejects(() => dataset.input(2), "index", /must be an integer in \[0, 1\], got 2/);
    rejects(() => dataset.target(-1), "index", /must be an integer in \[0, 1\], got -1/);
  });
});
