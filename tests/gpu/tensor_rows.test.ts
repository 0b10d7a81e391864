import assert from "node:assert/strict";
import { f32ToF16Bits, GpuDevice, InputError, Tensor, TorchGenerator } from "../../mod.ts";

const gpu = await GpuDevice.shared();
const alignment = gpu.limits.minStorageBufferOffsetAlignment;

/** Consecutive chunks of `rows` rows, sizes cycling through `sizes`. */
function chunks(rows: number, sizes: readonly number[]): [number, number][] {
  const result: [number, number][] = [];
  for (let start = 0, i = 0; start < rows; i++) {
    const count = Math.min(sizes[i % sizes.length], rows - start);
    result.push([start, count]);
    start += count;
  }
  return result;
}

Deno.test("writing and reading rows across segments", async (t) => {
  const before = gpu.liveTensors;
  const random = new TorchGenerator(7);

  await t.step("f32: chunks that straddle segments and buffers", async () => {
    const [rows, dim] = [300, 8];
    // 2 alignment units per segment, 2 segments per buffer: several buffers
    const maxBindingBytes = 2 * alignment;
    using table = await Tensor.zeros(gpu, [rows, dim], "f32", "table", {
      maxBindingBytes,
      maxBufferBytes: 2 * maxBindingBytes,
    });
    const segmentRows = maxBindingBytes / (dim * 4);
    assert.equal(table.segmentRows, segmentRows);
    assert.ok(new Set(table.segments.map((s) => s.buffer)).size > 2, "several buffers");
    const values = random.normal(rows * dim);
    for (const [start, count] of chunks(rows, [1, 7, segmentRows + 3, 13])) {
      await table.writeRows(start, values.subarray(start * dim, (start + count) * dim));
    }
    assert.deepEqual(await table.read(), values);
    for (const [start, count] of [[segmentRows - 2, 5], [0, rows], [rows - 1, 1], [17, 0]]) {
      assert.deepEqual(
        await table.readRows(start, count),
        values.slice(start * dim, (start + count) * dim),
        `rows [${start}, ${start + count})`,
      );
    }
  });

  await t.step("rows not written keep their zeros; a rewrite replaces", async () => {
    using table = await Tensor.zeros(gpu, [5, 2], "u32");
    await table.writeRows(1, Uint32Array.of(1, 2, 3, 4));
    await table.writeRows(2, Uint32Array.of(7, 8));
    assert.deepEqual([...await table.read()], [0, 0, 1, 2, 7, 8, 0, 0, 0, 0]);
    using ints = await Tensor.zeros(gpu, [2, 3], "i32");
    await ints.writeRows(1, Int32Array.of(-1, -2, -3));
    assert.deepEqual([...await ints.readRows(1, 1)], [-1, -2, -3]);
  });

  await t.step("f16 with odd rows: floats rounded, bits as they are", async () => {
    const [rows, dim] = [301, 3]; // 903 halves: the last word holds one
    using table = await Tensor.zeros(gpu, [rows, dim], "f16", "half table", {
      maxBindingBytes: alignment * 3, // rows of 6 bytes: segments of 128 rows
    });
    assert.equal(table.segments.length, 3);
    const values = random.normal(rows * dim);
    const bits = new Uint16Array(values.length);
    values.forEach((v, i) => bits[i] = f32ToF16Bits(v));
    const halves = Float32Array.from(values, (v) => Math.f16round(v));
    // even-row chunks keep every write on whole words; the last chunk ends the tensor
    for (const [i, [start, count]] of chunks(rows, [2, 40, 130, 6]).entries()) {
      const part = i % 2 === 0
        ? values.subarray(start * dim, (start + count) * dim)
        : bits.subarray(start * dim, (start + count) * dim);
      await table.writeRows(start, part);
    }
    assert.deepEqual(await table.read(), halves);
    // a Uint16Array two bytes into its buffer is copied into words first
    const shifted = new Uint16Array(1 + 4 * dim);
    shifted.set(bits.subarray(0, 4 * dim), 1);
    await table.writeRows(100, shifted.subarray(1));
    const expected = halves.slice();
    expected.set(halves.subarray(0, 4 * dim), 100 * dim);
    assert.deepEqual(await table.read(), expected);
    // reads may start and end mid-word
    assert.deepEqual(await table.readRows(127, 3), expected.slice(127 * dim, 130 * dim));
    assert.deepEqual(await table.readRows(rows - 1, 1), expected.slice((rows - 1) * dim));
  });

  await t.step("bad writes and reads are input errors, before any GPU work", async () => {
    using table = await Tensor.zeros(gpu, [4, 3], "f32", "small");
    using half = await Tensor.zeros(gpu, [4, 3], "f16", "half");
    const name = 'Tensor("small", shape=[4, 3], dtype=f32)';
    const rejects = (parameter: string, message: string, call: () => Promise<unknown>) =>
      assert.rejects(
        call,
        (e: unknown) =>
          e instanceof InputError && e.parameter === parameter && e.message === message,
      );
    await rejects(
      "data",
      `data must be a Float32Array for ${name}, got an Int32Array`,
      () => table.writeRows(0, new Int32Array(3) as unknown as Float32Array),
    );
    await rejects(
      "data",
      `data must hold whole rows of 3 elements for ${name}, got 4 elements`,
      () => table.writeRows(0, new Float32Array(4)),
    );
    await rejects(
      "data",
      `data reaches row 4 (2 rows from row 3), past the last row of ${name} (4 rows)`,
      () => table.writeRows(3, new Float32Array(6)),
    );
    await rejects(
      "firstRow",
      "firstRow must be an integer in [0, 4], got -1",
      () => table.writeRows(-1, new Float32Array(3)),
    );
    await rejects(
      "firstRow",
      'firstRow writes elements [3, 6) of the f16 tensor Tensor("half", shape=[4, 3], ' +
        "dtype=f16), but f16 values are stored two to a 32-bit word: a write must start on an " +
        "even element and end on one unless it ends the tensor",
      () => half.writeRows(1, new Float32Array(3)),
    );
    await rejects(
      "firstRow",
      'firstRow writes elements [0, 3) of the f16 tensor Tensor("half", shape=[4, 3], ' +
        "dtype=f16), but f16 values are stored two to a 32-bit word: a write must start on an " +
        "even element and end on one unless it ends the tensor",
      () => half.writeRows(0, new Uint16Array(3)),
    );
    await rejects(
      "rowCount",
      `rowCount reaches row 5 (3 rows from row 3), past the last row of ${name} (4 rows)`,
      () => table.readRows(3, 3),
    );
    await rejects(
      "rowCount",
      "rowCount must be an integer >= 0, got 1.5",
      () => table.readRows(0, 1.5),
    );
    const gone = await Tensor.zeros(gpu, [2], "f32", "gone");
    gone.dispose();
    await rejects(
      "tensor",
      "tensor is a disposed tensor (gone, shape [2]) and cannot be used",
      () => gone.writeRows(0, new Float32Array(2)),
    );
    assert.deepEqual([...await table.read()], new Array(12).fill(0), "nothing was written");
  });
  assert.equal(gpu.liveTensors, before);
});
