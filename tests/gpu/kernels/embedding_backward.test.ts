import assert from "node:assert/strict";
import {
  embeddingBackward,
  GpuDevice,
  InputError,
  positionalBackward,
  Tensor,
  TorchGenerator,
} from "../../../mod.ts";
import {
  embeddingBackwardCpu,
  positionalBackwardCpu,
} from "../../../src/gpu/kernels/embedding_backward/cpu_reference.ts";
import { groupRowsById } from "../../../src/gpu/kernels/embedding_backward/embedding_backward.ts";

const gpu = await GpuDevice.shared();
const alignment = gpu.limits.minStorageBufferOffsetAlignment;

function lcm(a: number, b: number): number {
  let [x, y] = [a, b];
  while (y !== 0) [x, y] = [y, x % y];
  return (a / x) * b;
}

/**
 * Storage limits that split a `[rows, dim]` f32 table into segments of about `rows / parts`,
 * two segments to a buffer.
 */
function splitInto(
  rows: number,
  dim: number,
  parts: number,
): { maxBindingBytes: number; maxBufferBytes: number } {
  const unit = lcm(dim * 4, alignment);
  const units = Math.max(1, Math.floor((rows * dim * 4) / parts / unit));
  return { maxBindingBytes: units * unit, maxBufferBytes: 2 * units * unit };
}

interface Case {
  vocab: number;
  dim: number;
  rows: number;
  /** Segments to split the gradient table into (1: not split). */
  parts: number;
  /** Ids drawn from [0, idRange) only (repeats), default the vocabulary. */
  idRange?: number;
}

/** Runs the token backward on one shape, onto a random start, against the CPU reference. */
async function tokenCase(c: Case, random: TorchGenerator): Promise<Float32Array> {
  const { vocab, dim, rows, parts } = c;
  const range = c.idRange ?? vocab;
  const ids = Uint32Array.from({ length: rows }, () => random.nextUint32() % range);
  const gradOutputValues = random.normal(rows * dim);
  const start = random.normal(vocab * dim);
  const storage = parts > 1 ? splitInto(vocab, dim, parts) : {};
  using grad = await Tensor.from(gpu, start, { shape: [vocab, dim], ...storage });
  if (parts > 1) {
    assert.ok(grad.segments.length > 2, "the gradient table is split");
    assert.ok(new Set(grad.segments.map((s) => s.buffer)).size > 1, "over several buffers");
  }
  using gradOutput = await Tensor.from(gpu, gradOutputValues, { shape: [rows, dim] });
  await embeddingBackward(gradOutput, ids, grad);
  const expected = embeddingBackwardCpu(gradOutputValues, ids, start.slice(), dim);
  const actual = await grad.read();
  // The same float32 additions in the same order: equal bits.
  assert.deepEqual(actual, expected, `V=${vocab} D=${dim} N=${rows} segments=${parts}`);
  return actual;
}

Deno.test("token embedding backward equals the CPU reference, bit for bit", async (t) => {
  const random = new TorchGenerator(7);
  await t.step("dims 1 to 9, 62 and 257 (not multiples of 4 too)", async () => {
    for (const dim of [1, 2, 3, 4, 5, 6, 7, 8, 9, 62, 257]) {
      await tokenCase({ vocab: 13, dim, rows: 40, parts: 1 }, random);
    }
  });
  await t.step("random shapes", async () => {
    for (let i = 0; i < 8; i++) {
      await tokenCase({
        vocab: 1 + random.nextUint32() % 700,
        dim: 1 + random.nextUint32() % 300,
        rows: 1 + random.nextUint32() % 400,
        parts: 1,
      }, random);
    }
  });
  await t.step("tables split into several segments (and buffers)", async () => {
    await tokenCase({ vocab: 500, dim: 7, rows: 300, parts: 5 }, random);
    await tokenCase({ vocab: 333, dim: 64, rows: 1000, parts: 7 }, random);
    await tokenCase({ vocab: 2701, dim: 61, rows: 256, parts: 4, idRange: 2701 }, random);
  });
  await t.step("every id the same; ids repeated many times", async () => {
    await tokenCase({ vocab: 50, dim: 9, rows: 500, parts: 1, idRange: 1 }, random);
    await tokenCase({ vocab: 50, dim: 16, rows: 500, parts: 3, idRange: 3 }, random);
  });
  await t.step("two runs give the same bits", async () => {
    const shape = { vocab: 400, dim: 33, rows: 2000, parts: 3, idRange: 20 };
    const first = await tokenCase(shape, new TorchGenerator(11));
    const second = await tokenCase(shape, new TorchGenerator(11));
    assert.deepEqual(second, first);
  });
});

Deno.test("token embedding backward: untouched rows stay, repeated ids add up", async () => {
  using grad = await Tensor.zeros(gpu, [5, 3]);
  using gradOutput = await Tensor.from(gpu, [[1, 2, 3], [10, 20, 30], [100, 200, 300]]);
  await embeddingBackward(gradOutput, [4, 1, 4], grad);
  await embeddingBackward(gradOutput, [4, 1, 4], grad); // accumulates, as .grad does
  assert.deepEqual(await grad.toArray(), [
    [0, 0, 0],
    [20, 40, 60],
    [0, 0, 0],
    [0, 0, 0],
    [202, 404, 606],
  ]);
});

Deno.test("rows are grouped by id in ascending order", () => {
  const { plan, uniqueIds } = groupRowsById(Uint32Array.of(5, 2, 5, 0, 2, 5), 7);
  assert.deepEqual([...uniqueIds], [0, 2, 5]);
  // ids | starts | rows grouped by id
  assert.deepEqual([...plan], [0, 2, 5, 0, 1, 3, 6, 3, 1, 4, 0, 2, 5]);
});

Deno.test("positional embedding backward equals the CPU reference, bit for bit", async () => {
  const random = new TorchGenerator(8);
  const cases = [[1, 1, 1], [3, 5, 7], [8, 4, 256], [2, 17, 61], [33, 9, 4]];
  for (let i = 0; i < 4; i++) {
    cases.push([
      1 + random.nextUint32() % 40,
      1 + random.nextUint32() % 30,
      1 + random.nextUint32() % 200,
    ]);
  }
  for (const [batch, seq, dim] of cases) {
    const values = random.normal(batch * seq * dim);
    const start = random.normal((seq + 2) * dim);
    using gradOutput = await Tensor.from(gpu, values, { shape: [batch, seq, dim] });
    using grad = await Tensor.from(gpu, start, { shape: [seq + 2, dim] });
    await positionalBackward(gradOutput, grad);
    const expected = positionalBackwardCpu(values, start.slice(), seq, dim);
    assert.deepEqual(await grad.read(), expected, `B=${batch} T=${seq} D=${dim}`);
  }
});

Deno.test("backward rejects bad shapes and ids before any GPU work", async () => {
  using grad = await Tensor.zeros(gpu, [4, 3]);
  using gradOutput = await Tensor.zeros(gpu, [2, 3]);
  const rejects = (run: () => Promise<unknown>, parameter: string, pattern: RegExp) =>
    assert.rejects(run, (e: unknown) => {
      assert.ok(e instanceof InputError, String(e));
      assert.equal(e.parameter, parameter);
      assert.match(e.message, pattern);
      return true;
    });
  await rejects(() => embeddingBackward(gradOutput, [0, 4], grad), "ids", /ids\[1\] is 4/);
  await rejects(
    () => embeddingBackward(gradOutput, [0, 1, 2], grad),
    "gradOutput",
    /must have shape \[3, 3\]/,
  );
  using wide = await Tensor.zeros(gpu, [1, 2, 5]);
  await rejects(() => positionalBackward(wide, grad), "grad", /at least 2 rows .* and 5 columns/);
});
