import assert from "node:assert/strict";
import { f32ToF16Bits, InputError, openSafetensors, writeSafetensors } from "../../mod.ts";
import { SAFETENSORS_REFERENCE_URL, safetensorsReference } from "../helpers/fixtures.ts";
import { withTempDir } from "../helpers/temp_dir.ts";

const REFERENCE_PATH = decodeURIComponent(SAFETENSORS_REFERENCE_URL.pathname);

/** Equal as float32 values, with NaN equal to NaN and -0 distinct from 0. */
function assertSameFloats(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const same = Object.is(actual[i], expected[i]) ||
      (Number.isNaN(actual[i]) && Number.isNaN(expected[i]));
    assert.ok(same, `[${i}]: ${actual[i]}, expected ${expected[i]}`);
  }
}

Deno.test("reading the reference implementation's file", async (t) => {
  const reference = await safetensorsReference();
  using file = await openSafetensors(SAFETENSORS_REFERENCE_URL);

  await t.step("header: metadata and tensors in file order, with absolute byte ranges", () => {
    assert.equal(file.path, REFERENCE_PATH);
    assert.equal(file.size, Deno.statSync(REFERENCE_PATH).size);
    assert.deepEqual(file.metadata, { format: "np" });
    // the header is 272 bytes (a multiple of 8), so the data section starts at 8 + 272 = 280
    assert.deepEqual(file.tensors, [
      { name: "i64", dtype: "I64", shape: [3], byteOffset: 280, byteLength: 24 },
      { name: "f32", dtype: "F32", shape: [4, 5], byteOffset: 304, byteLength: 80 },
      { name: "bf16", dtype: "BF16", shape: [4, 5], byteOffset: 384, byteLength: 40 },
      { name: "f16", dtype: "F16", shape: [4, 5], byteOffset: 424, byteLength: 40 },
    ]);
    assert.equal(file.size, 464);
    assert.ok(file.has("f16"));
    assert.ok(!file.has("wte.weight"));
  });

  await t.step("F32, F16 and BF16 as float32 values", async () => {
    assertSameFloats(await file.readTensor("f32"), reference.f32);
    assertSameFloats(await file.readTensor("f16"), reference.f16);
    assertSameFloats(await file.readTensor("bf16", { as: "f32" }), reference.bf16);
  });

  await t.step('as "f16": F16 bits as stored, F32 and BF16 rounded to halves', async () => {
    const stored = await file.readTensor("f16", { as: "f16" });
    assert.ok(stored instanceof Uint16Array);
    assert.deepEqual([...stored], reference.f16_bits);
    // numpy rounded the float32 values to these halves
    assert.deepEqual([...await file.readTensor("f32", { as: "f16" })], reference.f16_bits);
    const fromBf16 = await file.readTensor("bf16", { as: "f16" });
    const expected = reference.bf16.map((v) => f32ToF16Bits(Math.f16round(v)));
    fromBf16.forEach((bits, i) => {
      if (Number.isNaN(reference.bf16[i])) assert.equal(bits & 0x7c00, 0x7c00);
      else assert.equal(bits, expected[i], `[${i}]`);
    });
    // an even-length Uint16Array viewed as u32: pairs of halves, the first in the low bits
    const packed = new Uint32Array(stored.buffer);
    assert.equal(packed[1], (reference.f16_bits[2] | (reference.f16_bits[3] << 16)) >>> 0);
  });

  await t.step('as "raw": the stored bytes of any dtype', async () => {
    const bytes = await file.readTensor("i64", { as: "raw" });
    assert.ok(bytes instanceof Uint8Array);
    assert.deepEqual(
      [...new BigInt64Array(bytes.buffer)],
      reference.i64.map((v) => BigInt(v)),
    );
    const f16Bytes = await file.readTensor("f16", { as: "raw" });
    assert.deepEqual([...new Uint16Array(f16Bytes.buffer)], reference.f16_bits);
  });

  await t.step("rows along the first dimension", async () => {
    assertSameFloats(await file.readRows("f32", 1, 2), reference.f32.slice(5, 15));
    assertSameFloats(await file.readRows("bf16", 3, 1), reference.bf16.slice(15, 20));
    assert.deepEqual(
      [...await file.readRows("f16", 0, 1, { as: "f16" })],
      reference.f16_bits.slice(0, 5),
    );
    assert.equal((await file.readRows("f32", 4, 0)).length, 0);
    assert.deepEqual(
      [...new BigInt64Array((await file.readRows("i64", 2, 1, { as: "raw" })).buffer)],
      [2n ** 40n],
    );
  });

  await t.step("row chunks cover the tensor in order", async () => {
    const chunks = [];
    for await (const chunk of file.rowChunks("f16", { rowsPerChunk: 3 })) chunks.push(chunk);
    assert.deepEqual(chunks.map(({ start, count }) => [start, count]), [[0, 3], [3, 1]]);
    assertSameFloats(chunks[0].data, reference.f16.slice(0, 15));
    assertSameFloats(chunks[1].data, reference.f16.slice(15));
    const halves = [];
    for await (const chunk of file.rowChunks("f16", { as: "f16" })) halves.push(chunk);
    assert.equal(halves.length, 1); // four rows fit in one 8 MiB chunk
    assert.deepEqual([...halves[0].data], reference.f16_bits);
  });

  await t.step("row chunks into one reused array", async () => {
    for (
      const [name, as, expected] of [
        ["f16", "f32", reference.f16], // converted through the scratch buffer
        ["f32", "f32", reference.f32], // read straight into the array
        ["bf16", "f32", reference.bf16],
      ] as const
    ) {
      const buffers = new Set<ArrayBufferLike>();
      const values: number[] = [];
      const spans: number[][] = [];
      for await (const chunk of file.rowChunks(name, { as, rowsPerChunk: 3, reuse: true })) {
        buffers.add(chunk.data.buffer);
        assert.equal(chunk.data.byteOffset, 0);
        assert.equal(chunk.data.length, chunk.count * 5);
        spans.push([chunk.start, chunk.count]);
        values.push(...chunk.data); // copied before the next chunk overwrites it
      }
      assert.equal(buffers.size, 1, `${name}: one array for every chunk`);
      assert.deepEqual(spans, [[0, 3], [3, 1]]);
      assertSameFloats(values, expected);
    }
    const halves: number[] = [];
    for await (const chunk of file.rowChunks("f16", { as: "f16", rowsPerChunk: 2, reuse: true })) {
      halves.push(...chunk.data);
    }
    assert.deepEqual(halves, reference.f16_bits);
    assert.throws(
      // @ts-expect-error: not a boolean
      () => file.rowChunks("f32", { reuse: 1 }),
      /reuse must be true or false, got 1/,
    );
  });

  await t.step("concurrent reads of one file each get their own bytes", async () => {
    const [a, b, c, d] = await Promise.all([
      file.readTensor("f16"),
      file.readRows("f32", 2, 2),
      file.readTensor("bf16"),
      file.readTensor("i64", { as: "raw" }),
    ]);
    assertSameFloats(a, reference.f16);
    assertSameFloats(b, reference.f32.slice(10));
    assertSameFloats(c, reference.bf16);
    assert.equal(d.length, 24);
  });

  await t.step("a missing tensor: the file and the names it has", () => {
    assert.throws(
      () => file.tensor("wte.weight"),
      (e: unknown) =>
        e instanceof InputError && e.parameter === REFERENCE_PATH &&
        e.message ===
          `${REFERENCE_PATH} has no tensor "wte.weight"; its 4 tensors: "bf16", "f16", "f32", "i64"`,
    );
    assert.throws(() => file.readTensor("wpe.weight"), /has no tensor "wpe.weight"/);
    assert.throws(() => file.rowChunks("wpe.weight"), /has no tensor "wpe.weight"/);
  });

  await t.step("bad arguments, before any reading", () => {
    assert.throws(
      () => file.readTensor("i64"),
      (e: unknown) =>
        e instanceof InputError && e.parameter === "as" &&
        e.message.includes('"f32" needs a tensor of dtype F32, F16, BF16') &&
        e.message.includes(`"i64" in ${REFERENCE_PATH} is I64`) &&
        e.message.includes('{ as: "raw" }'),
    );
    assert.throws(
      // @ts-expect-error: not a format
      () => file.readTensor("f32", { as: "f64" }),
      /as must be one of "f32", "f16", "raw", got "f64"/,
    );
    assert.throws(
      () => file.readRows("f32", 5, 1),
      /start must be an integer in \[0, 4\] for tensor "f32" of shape \[4, 5\], got 5/,
    );
    assert.throws(
      () => file.readRows("f32", 2, 3),
      /count must be an integer in \[0, 2\] for tensor "f32" of shape \[4, 5\], got 3/,
    );
    assert.throws(() => file.readRows("f32", 1.5, 1), /start must be an integer/);
    assert.throws(
      () => file.rowChunks("f32", { rowsPerChunk: 0 }),
      /rowsPerChunk must be an integer >= 1, got 0/,
    );
  });
});

Deno.test("reading: files and handles", async (t) => {
  await t.step("a missing file", async () => {
    await assert.rejects(
      openSafetensors(".tmp/no/such/model.safetensors"),
      (e: unknown) =>
        e instanceof InputError &&
        e.message === ".tmp/no/such/model.safetensors does not exist",
    );
  });

  await t.step("a directory", async () => {
    await withTempDir(async (dir) => {
      await assert.rejects(openSafetensors(dir), new RegExp(`${dir} is not a file`));
    });
  });

  await t.step("reads after close are refused", async () => {
    const file = await openSafetensors(SAFETENSORS_REFERENCE_URL);
    file.close();
    await assert.rejects(file.readTensor("f32"), /is closed/);
    file.close(); // closing twice is harmless
  });

  await t.step("a file that shrinks after it was opened", async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/model.safetensors`;
      const data = new Float32Array(1000).map((_, i) => i);
      await writeSafetensors(path, { t: { dtype: "F32", shape: [1000], data } });
      using file = await openSafetensors(path);
      const size = file.size;
      await Deno.truncate(path, size - 400);
      await assert.rejects(
        file.readTensor("t"),
        (e: unknown) =>
          e instanceof InputError && e.parameter === path &&
          e.message.includes(`ended at byte ${size - 400}, before byte ${size}`),
      );
    });
  });

  await t.step("tensors listed in any order, empty and scalar tensors", async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/model.safetensors`;
      const header = JSON.stringify({
        b: { dtype: "F32", shape: [], data_offsets: [8, 12] },
        empty: { dtype: "F16", shape: [0, 768], data_offsets: [8, 8] },
        a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
      });
      const json = new TextEncoder().encode(header);
      const bytes = new Uint8Array(8 + json.length + 12);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
      bytes.set(json, 8);
      const data = new DataView(bytes.buffer, 8 + json.length);
      [1.5, -2.5, 42].forEach((v, i) => data.setFloat32(i * 4, v, true));
      await Deno.writeFile(path, bytes);
      using file = await openSafetensors(path);
      assert.deepEqual(file.tensors.map((t) => t.name), ["a", "empty", "b"]);
      assert.deepEqual([...await file.readTensor("a")], [1.5, -2.5]);
      assert.deepEqual([...await file.readTensor("b")], [42]);
      assert.deepEqual([...await file.readRows("b", 0, 1)], [42]); // a scalar is one row
      assert.equal((await file.readTensor("empty")).length, 0);
      assert.deepEqual(file.metadata, {});
    });
  });
});

Deno.test("a 50257 × 64 F32 table streams in chunks", async () => {
  const rows = 50257;
  const dim = 64;
  const value = (row: number, col: number) =>
    Math.fround(Math.sin(row * 0.01 + col) * (1 + row % 7));
  await withTempDir(async (dir) => {
    const path = `${dir}/wte.safetensors`;
    {
      const table = new Float32Array(rows * dim);
      for (let r = 0; r < rows; r++) for (let c = 0; c < dim; c++) table[r * dim + c] = value(r, c);
      await writeSafetensors(path, {
        "wte.weight": { dtype: "F32", shape: [rows, dim], data: table },
        "wte16.weight": { dtype: "F16", shape: [rows, dim], data: table },
      });
    }
    using file = await openSafetensors(path);
    const dataStart = file.tensors[0].byteOffset;
    assert.equal(dataStart % 8, 0); // the header is padded
    assert.equal(file.size, dataStart + rows * dim * (4 + 2));

    // the default chunk is 8 MiB of float32 rows: 32,768 rows of 256 bytes, then the rest
    const counts: number[][] = [];
    let next = 0;
    for await (const { start, count, data } of file.rowChunks("wte.weight")) {
      assert.equal(start, next);
      assert.equal(data.length, count * dim);
      for (let i = 0; i < count; i++) {
        for (let c = 0; c < dim; c++) {
          if (data[i * dim + c] !== value(start + i, c)) {
            assert.fail(`row ${start + i}, column ${c}: ${data[i * dim + c]}`);
          }
        }
      }
      counts.push([start, count]);
      next = start + count;
    }
    assert.deepEqual(counts, [[0, 32768], [32768, rows - 32768]]);

    // the F16 copy, converted to float32 chunk by chunk, matches Math.f16round of the source
    next = 0;
    for await (
      const { start, count, data } of file.rowChunks("wte16.weight", { rowsPerChunk: 10_000 })
    ) {
      assert.equal(start, next);
      for (let i = 0; i < count * dim; i++) {
        const r = start + Math.floor(i / dim);
        if (data[i] !== Math.f16round(value(r, i % dim))) assert.fail(`row ${r}: ${data[i]}`);
      }
      next = start + count;
    }
    assert.equal(next, rows);
    const lastRow = await file.readRows("wte16.weight", rows - 1, 1, { as: "f16" });
    assert.deepEqual(
      [...new Float16Array(lastRow.buffer)],
      Array.from({ length: dim }, (_, c) => Math.f16round(value(rows - 1, c))),
    );
  });
});
