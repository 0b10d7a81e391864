import assert from "node:assert/strict";
import {
  type Batch,
  BpeTokenizer,
  DataLoader,
  type DataLoaderOptions,
  InputError,
  WindowDataset,
} from "../../mod.ts";
import { Prng } from "../../src/util/prng.ts";
import { chapter2Reference, type FixtureBatch, verdictText } from "../helpers/fixtures.ts";

/** A batch as nested arrays, like the fixture's tensors. */
function nested(batch: Batch): FixtureBatch {
  const rows = (flat: Uint32Array) =>
    Array.from(
      { length: batch.rows },
      (_, r) => [...flat.subarray(r * batch.seqLength, (r + 1) * batch.seqLength)],
    );
  return { inputs: rows(batch.inputs), targets: rows(batch.targets) };
}

/** Copies what a batch holds (valid after the next batch whatever the loader's options). */
function snapshot(batch: Batch): Batch {
  return {
    ...batch,
    inputs: batch.inputs.slice(),
    targets: batch.targets.slice(),
    starts: batch.starts.slice(),
  };
}

Deno.test("DataLoader reproduces the book's batches (PyTorch DataLoader, shuffle off)", async (t) => {
  const reference = await chapter2Reference();
  using gpt2 = new BpeTokenizer("gpt2", { allowedSpecial: ["<|endoftext|>"] });
  const ids = gpt2.encode(await verdictText());
  for (const c of reference.dataloader_cases) {
    const { batch_size: batchSize, max_length: maxLength, stride } = c.config;
    await t.step(`batch ${batchSize}, max length ${maxLength}, stride ${stride}`, () => {
      const dataset = new WindowDataset(ids, { maxLength, stride });
      const loader = new DataLoader(dataset, { batchSize, dropLast: c.config.drop_last ?? true });
      assert.equal(dataset.length, c.num_windows);
      assert.equal(loader.numBatches, c.num_batches);
      const batches = Array.from(loader, nested);
      assert.equal(batches.length, c.num_batches);
      assert.deepEqual(batches.slice(0, c.first_batches.length), c.first_batches);
      assert.deepEqual(batches.at(-1), c.last_batch);
    });
  }
});

interface Drawn {
  n: number;
  ids: Uint32Array | Uint16Array;
  dataset: WindowDataset;
  options: DataLoaderOptions;
}

function draw(prng: Prng, iteration: number): Drawn {
  const maxLength = 1 + prng.below(12);
  const n = maxLength + 1 + prng.below(300);
  const stride = 1 + prng.below(6);
  const ids = iteration % 3 === 0
    ? Uint16Array.from({ length: n }, () => prng.below(65536))
    : Uint32Array.from({ length: n }, () => prng.nextUint32());
  const dataset = new WindowDataset(ids, { maxLength, stride });
  const batchSize = 1 + prng.below(Math.min(dataset.length, 9));
  const options = {
    batchSize,
    shuffle: prng.below(2) === 1,
    seed: prng.nextUint32(),
    dropLast: prng.below(2) === 1,
  };
  return { n, ids, dataset, options };
}

Deno.test("DataLoader properties over random n, maxLength, stride, batch size and seed", async (t) => {
  const prng = new Prng(31337);
  const cases = Array.from({ length: 150 }, (_, i) => draw(prng, i));

  await t.step("rows are windows: targets are inputs shifted by one in the stream", () => {
    for (const { n, ids, dataset, options } of cases) {
      const loader = new DataLoader(dataset, options);
      let count = 0;
      for (const batch of loader) {
        assert.equal(batch.index, count++);
        assert.equal(batch.seqLength, dataset.maxLength);
        assert.equal(batch.inputs.length, batch.rows * batch.seqLength);
        assert.equal(batch.targets.length, batch.rows * batch.seqLength);
        assert.equal(batch.starts.length, batch.rows);
        for (let r = 0; r < batch.rows; r++) {
          const s = batch.starts[r];
          assert.equal(s % dataset.stride, 0);
          assert.ok(s + dataset.maxLength + 1 <= n);
          for (let i = 0; i < batch.seqLength; i++) {
            assert.equal(batch.inputs[r * batch.seqLength + i], ids[s + i]);
            assert.equal(batch.targets[r * batch.seqLength + i], ids[s + 1 + i]);
          }
        }
      }
      assert.equal(count, loader.numBatches);
    }
  });

  await t.step("batch counts; dropLast never yields a short batch", () => {
    for (const { dataset, options } of cases) {
      const loader = new DataLoader(dataset, options);
      const rows = [...loader].map((b) => b.rows);
      const windows = dataset.length;
      const full = Math.floor(windows / options.batchSize);
      const remainder = windows % options.batchSize;
      if (options.dropLast) {
        assert.equal(rows.length, full);
        assert.ok(rows.every((r) => r === options.batchSize));
      } else {
        assert.equal(rows.length, full + (remainder > 0 ? 1 : 0));
        assert.ok(rows.slice(0, full).every((r) => r === options.batchSize));
        if (remainder > 0) assert.equal(rows.at(-1), remainder);
      }
    }
  });

  await t.step("unshuffled: the book's order; shuffled: a permutation of the windows", () => {
    for (const { dataset, options } of cases) {
      const starts = Array.from(new DataLoader(dataset, options), (b) => [...b.starts]).flat();
      const all = Array.from({ length: dataset.length }, (_, k) => k * dataset.stride);
      const kept = options.dropLast
        ? Math.floor(dataset.length / options.batchSize) * options.batchSize
        : dataset.length;
      assert.equal(starts.length, kept);
      assert.equal(new Set(starts).size, kept, "no window twice");
      if (!options.shuffle) assert.deepEqual(starts, all.slice(0, kept));
      else if (!options.dropLast) assert.deepEqual(starts.toSorted((a, b) => a - b), all);
      else {assert.ok(starts.every((s) =>
          s % dataset.stride === 0 && s / dataset.stride < dataset.length
        ));}
    }
  });

  await t.step("same seed → same order; next epoch or another seed → another order", () => {
    let compared = 0;
    for (const { dataset, options } of cases) {
      if (dataset.length < 8) continue;
      const shuffled = { ...options, shuffle: true };
      const order = (loader: DataLoader, epoch: number) =>
        Array.from(loader.batches(epoch), (b) => [...b.starts]).flat();
      const a = new DataLoader(dataset, shuffled);
      const b = new DataLoader(dataset, shuffled);
      const other = new DataLoader(dataset, { ...shuffled, seed: (options.seed! + 1) >>> 0 });
      assert.deepEqual(order(a, 0), order(b, 0));
      assert.deepEqual(order(a, 3), order(b, 3));
      assert.deepEqual(
        Array.from(a, (x) => [...x.starts]).flat(),
        order(a, 0),
        "iterator = epoch 0",
      );
      assert.notDeepEqual(order(a, 1), order(a, 0));
      assert.notDeepEqual(order(a, 2), order(a, 1));
      assert.notDeepEqual(order(other, 0), order(a, 0));
      compared++;
    }
    assert.ok(compared > 50, `only ${compared} cases had 8 windows or more`);
  });

  await t.step("ranks get equal, disjoint shares that cover the kept batches of the epoch", () => {
    for (const { dataset, options } of cases) {
      const whole = new DataLoader(dataset, options);
      const worldSize = 1 + prng.below(Math.min(4, whole.numBatches));
      const epoch = prng.below(3);
      const global = Array.from(whole.batches(epoch), snapshot);
      const kept = Math.floor(global.length / worldSize) * worldSize;
      const seen = new Set<number>();
      for (let rank = 0; rank < worldSize; rank++) {
        const loader = new DataLoader(dataset, { ...options, rank, worldSize });
        assert.equal(loader.numBatches, kept / worldSize);
        for (const batch of loader.batches(epoch)) {
          // Round-robin: batch k of rank r is global batch k * worldSize + r.
          const expected = global[batch.index * worldSize + rank];
          assert.deepEqual(snapshot(batch), { ...expected, index: batch.index });
          for (const s of batch.starts) {
            assert.ok(!seen.has(s), `window at ${s} on two ranks`);
            seen.add(s);
          }
        }
      }
      const covered = global.slice(0, kept).flatMap((b) => [...b.starts]);
      assert.deepEqual([...seen].sort((a, b) => a - b), covered.sort((a, b) => a - b));
    }
  });

  await t.step("async iteration yields the same batches", async () => {
    for (const { dataset, options } of cases.slice(0, 30)) {
      const loader = new DataLoader(dataset, options);
      const asyncBatches: Batch[] = [];
      for await (const batch of loader) asyncBatches.push(snapshot(batch));
      assert.deepEqual(asyncBatches, Array.from(loader, snapshot));
    }
  });
});

Deno.test("DataLoader: every batch keeps its own arrays; reuseBuffers refills one set", () => {
  const dataset = new WindowDataset(Uint32Array.from({ length: 30 }, (_, i) => i), {
    maxLength: 4,
    stride: 2,
  });
  assert.equal(dataset.length, 13);
  const loader = new DataLoader(dataset, { batchSize: 4 });
  assert.equal(loader.reuseBuffers, false);
  // [...loader] keeps every batch valid, as PyTorch's list(loader) does.
  const batches = [...loader];
  assert.deepEqual(batches.map((batch) => [...batch.starts]), [
    [0, 2, 4, 6],
    [8, 10, 12, 14],
    [16, 18, 20, 22],
    [24],
  ]);
  assert.deepEqual(batches.map((batch) => batch.inputs[0]), [0, 8, 16, 24]);
  assert.notEqual(batches[1].inputs, batches[0].inputs);
  assert.equal(batches[3].rows, 1);
  assert.equal(batches[3].inputs.length, 4, "a short batch is as long as its rows");
  assert.deepEqual([...batches[3].targets], [25, 26, 27, 28]);

  const reusing = new DataLoader(dataset, { batchSize: 4, reuseBuffers: true });
  assert.equal(reusing.reuseBuffers, true);
  const reused = [...reusing];
  assert.equal(reused[1].inputs, reused[0].inputs, "the same array, refilled");
  assert.equal(reused[3].inputs.buffer, reused[0].inputs.buffer, "the short batch is a view");
  assert.deepEqual([...reused[3].inputs], [24, 25, 26, 27]);
  assert.deepEqual([...reused[0].inputs.subarray(0, 4)], [24, 25, 26, 27], "overwritten");
  // Two iterations at once do not overwrite each other's batches, even when reusing.
  const a = reusing.batches(0);
  const b = reusing.batches(0);
  const first = a.next().value!;
  b.next();
  b.next();
  assert.deepEqual([...first.starts], [0, 2, 4, 6]);
  assert.throws(
    () => new DataLoader(dataset, { batchSize: 4, reuseBuffers: 1 as unknown as boolean }),
    (e: unknown) =>
      e instanceof InputError && e.message === "reuseBuffers must be true or false, got 1",
  );
});

Deno.test("DataLoader rejects bad options before any work", async (t) => {
  const dataset = new WindowDataset(new Uint32Array(20), { maxLength: 4, stride: 4 }); // 4 windows
  const rejects = (options: unknown, parameter: string, message: RegExp) =>
    assert.throws(() => new DataLoader(dataset, options as DataLoaderOptions), (e: unknown) => {
      assert.ok(e instanceof InputError, String(e));
      assert.equal(e.parameter, parameter);
      assert.match(e.message, message);
      return true;
    });
  await t.step("batchSize, shuffle, seed, dropLast", () => {
    rejects({ batchSize: 0 }, "batchSize", /must be an integer >= 1, got 0/);
    rejects({ batchSize: 2.5 }, "batchSize", /must be an integer >= 1, got 2.5/);
    rejects({}, "batchSize", /must be an integer >= 1, got undefined/);
    rejects(undefined, "options", /must be \{ batchSize, \.\.\. \}, got undefined/);
    rejects({ batchSize: 1, shuffle: "yes" }, "shuffle", /must be true or false, got "yes"/);
    rejects({ batchSize: 1, seed: -1 }, "seed", /must be an integer in \[0, 4294967295\], got -1/);
    rejects({ batchSize: 1, seed: 2 ** 32 }, "seed", /in \[0, 4294967295\], got 4294967296/);
    rejects({ batchSize: 1, dropLast: 1 }, "dropLast", /must be true or false, got 1/);
  });
  await t.step("rank and worldSize", () => {
    rejects(
      { batchSize: 1, rank: 2, worldSize: 2 },
      "rank",
      /must be an integer in \[0, worldSize - 1\] = \[0, 1\], got 2/,
    );
    rejects({ batchSize: 1, rank: -1 }, "rank", /= \[0, 0\], got -1/);
    rejects({ batchSize: 1, worldSize: 0 }, "worldSize", /must be an integer >= 1, got 0/);
    rejects(
      { batchSize: 2, worldSize: 3 },
      "worldSize",
      /is 3, more than the 2 batches of an epoch, so a rank would get no batch/,
    );
  });
  await t.step("an epoch without a batch, a wrong dataset, a bad epoch", () => {
    rejects(
      { batchSize: 5, dropLast: true },
      "batchSize",
      /is 5, more than the dataset's 4 windows, and the one short batch is dropped/,
    );
    assert.equal(new DataLoader(dataset, { batchSize: 5 }).numBatches, 1);
    assert.throws(
      () => new DataLoader({ length: 4 } as unknown as WindowDataset, { batchSize: 1 }),
      /dataset must be a WindowDataset, got a/,
    );
    const loader = new DataLoader(dataset, { batchSize: 1 });
    assert.throws(
      () => loader.batches(-1),
      /epoch must be an integer in \[0, 4294967295\], got -1/,
    );
  });
});
