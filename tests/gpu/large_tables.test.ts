import assert from "node:assert/strict";
import {
  gather,
  gatherPositionalAdd,
  GpuDevice,
  InputEmbedding,
  InputError,
  PositionalEmbedding,
  Tensor,
  TokenEmbedding,
  TorchGenerator,
} from "../../mod.ts";
import {
  gatherCpu,
  gatherPositionalAddCpu,
} from "../../src/gpu/kernels/embedding/cpu_reference.ts";
import { embeddingProgram } from "../../src/gpu/kernels/embedding/embedding_program.ts";
import { assertClose } from "../helpers/assert_close.ts";
import { runTask } from "../helpers/run_task.ts";

const gpu = await GpuDevice.shared();
const alignment = gpu.limits.minStorageBufferOffsetAlignment;
// Both kernel layouts on this adapter: its default, and the other one on a second device.
const devices = [
  gpu,
  await GpuDevice.request({ kernelLayout: gpu.kernelLayout === "rows" ? "columns" : "rows" }),
];
const GPT2_VOCAB = 50257;

/** The values an f16 table holds: each rounded to the nearest half. */
function halfRounded(values: Float32Array): Float32Array {
  return Float32Array.from(new Float16Array(values));
}

function lcm(a: number, b: number): number {
  let [x, y] = [a, b];
  while (y !== 0) [x, y] = [y, x % y];
  return (a / x) * b;
}

interface SplitCase {
  dtype: "f32" | "f16";
  vocab: number;
  dim: number;
  /** Rows per segment, in units of the smallest row-and-offset-aligned run of rows. */
  units: number;
  /** Segments per buffer. */
  perBuffer: number;
}

/** Checks the plan's invariants and runs gather and the fused kernel against the CPU. */
async function splitCase(
  gpu: GpuDevice,
  { dtype, vocab, dim, units, perBuffer }: SplitCase,
  random: TorchGenerator,
) {
  const rowBytes = dim * (dtype === "f16" ? 2 : 4);
  const unit = lcm(rowBytes, alignment); // the smallest segment that keeps the next one aligned
  const maxBindingBytes = units * unit;
  const maxBufferBytes = perBuffer * maxBindingBytes;
  const values = random.normal(vocab * dim);
  const stored = dtype === "f16" ? halfRounded(values) : values;
  const options = { shape: [vocab, dim], maxBindingBytes, maxBufferBytes };
  using table = dtype === "f16"
    ? await Tensor.from(gpu, values, { ...options, dtype: "f16" })
    : await Tensor.from(gpu, values, options);
  const label =
    `${gpu.kernelLayout}: ${dtype} [${vocab}, ${dim}], segments of ${maxBindingBytes} bytes`;

  const segments = table.segments;
  const segmentRows = (units * unit) / rowBytes;
  assert.equal(table.segmentRows, segmentRows, label);
  assert.equal(segments.length, Math.ceil(vocab / segmentRows), label);
  assert.ok(segments.length > 1, `${label}: the table is split`);
  const buffers = new Set(segments.map((s) => s.buffer));
  assert.equal(buffers.size, Math.ceil(segments.length / perBuffer), `${label}: buffers`);
  segments.forEach((segment, i) => {
    assert.equal(segment.firstRow, i * segmentRows);
    assert.equal(segment.offset % alignment, 0, "offsets are aligned");
    assert.ok(segment.size <= maxBindingBytes, "a segment fits its binding");
    assert.ok(segment.offset + segment.size <= segment.buffer.size, "and its buffer");
    assert.ok(segment.buffer.size <= maxBufferBytes);
  });
  assert.equal(segments.reduce((rows, s) => rows + s.rows, 0), vocab, "every row once");
  assert.deepEqual(await table.read(), stored, `${label}: read back`);

  // Every segment's first and last rows, and random ones.
  const ids = new Uint32Array(6 * 7);
  segments.forEach((s, i) => {
    ids[2 * i] = s.firstRow;
    ids[2 * i + 1] = s.firstRow + s.rows - 1;
  });
  for (let i = 2 * segments.length; i < ids.length; i++) ids[i] = random.nextUint32() % vocab;
  const [batch, seq] = [6, 7];
  const positionValues = random.normal(seq * dim);
  using positions = await Tensor.from(gpu, positionValues, { shape: [seq, dim] });
  using gathered = await gather({ data: ids, shape: [batch, seq] }, table);
  assertClose(await gathered.read(), gatherCpu(ids, stored, dim), {}, `${label}: gather`);
  using fused = await gatherPositionalAdd({ data: ids, shape: [batch, seq] }, table, positions);
  const expected = gatherPositionalAddCpu(ids, stored, positionValues, seq, dim);
  assertClose(await fused.read(), expected, {}, `${label}: fused`);
}

Deno.test("tables split into segments embed exactly as whole ones, in both layouts", async (t) => {
  for (const device of devices) {
    const random = new TorchGenerator(6);
    const split = (c: SplitCase) => splitCase(device, c, random);
    const layout = device.kernelLayout;
    await t.step(`${layout}: f32, dim a multiple of 4 (vec4 loads), several buffers`, async () => {
      await split({ dtype: "f32", vocab: 300, dim: 8, units: 8, perBuffer: 2 });
      await split({ dtype: "f32", vocab: 1000, dim: 12, units: 8, perBuffer: 3 });
    });
    await t.step(`${layout}: f32, other dims (scalar loads)`, async () => {
      await split({ dtype: "f32", vocab: 300, dim: 5, units: 1, perBuffer: 1 });
      await split({ dtype: "f32", vocab: 200, dim: 1, units: 1, perBuffer: 2 });
    });
    await t.step(`${layout}: f16, dim a multiple of 4 (two words per chunk)`, async () => {
      await split({ dtype: "f16", vocab: 500, dim: 8, units: 8, perBuffer: 2 });
    });
    await t.step(`${layout}: f16, odd dims (rows straddle words)`, async () => {
      await split({ dtype: "f16", vocab: 700, dim: 5, units: 1, perBuffer: 2 });
      await split({ dtype: "f16", vocab: 600, dim: 1, units: 1, perBuffer: 1 });
      await split({ dtype: "f16", vocab: 900, dim: 7, units: 1, perBuffer: 5 });
    });
  }
});

Deno.test("f16 tables: half the memory, errors within f16 rounding", async (t) => {
  const random = new TorchGenerator(16);
  for (const dim of [3, 8, 33]) {
    await t.step(`dim ${dim}`, async () => {
      const [vocab, batch, seq] = [257, 3, 5];
      const values = random.normal(vocab * dim);
      const before = gpu.liveBytes;
      using full = await TokenEmbedding.create(gpu, vocab, dim, { weight: values });
      const fullBytes = gpu.liveBytes - before;
      using half = await TokenEmbedding.create(gpu, vocab, dim, { weight: values }, {
        dtype: "f16",
      });
      const halfBytes = gpu.liveBytes - before - fullBytes;
      assert.equal(fullBytes, vocab * dim * 4);
      assert.equal(halfBytes, Math.ceil((vocab * dim * 2) / 4) * 4, "half the bytes");
      assert.equal(half.weight.byteLength, vocab * dim * 2);

      const ids = Uint32Array.from({ length: batch * seq }, () => random.nextUint32() % vocab);
      const positionValues = random.normal(seq * dim);
      using position = await PositionalEmbedding.create(gpu, seq, dim, { weight: positionValues });
      using out = await gatherPositionalAdd(
        { data: ids, shape: [batch, seq] },
        half.weight,
        position.weight,
      );
      const actual = await out.read();
      // Exactly the sum with the half-rounded table …
      const rounded = gatherPositionalAddCpu(ids, halfRounded(values), positionValues, seq, dim);
      assert.deepEqual(actual, rounded);
      // … hence within f16 rounding (relative 2⁻¹¹) of the f32 result, plus the sum's rounding.
      const exact = gatherPositionalAddCpu(ids, values, positionValues, seq, dim);
      const tokens = gatherCpu(ids, values, dim);
      for (let i = 0; i < exact.length; i++) {
        const bound = Math.abs(tokens[i]) * 2 ** -11 + 2 ** -24 + Math.abs(exact[i]) * 2 ** -23;
        assert.ok(
          Math.abs(actual[i] - exact[i]) <= bound,
          `element ${i}: ${actual[i]} vs ${exact[i]}`,
        );
      }
      using looked = await full.forward({ data: ids, shape: [batch, seq] });
      assert.deepEqual(await looked.read(), tokens);
    });
  }
});

/** Token-table row `id` of `torch.manual_seed(seed)` + `nn.Embedding(vocab, dim)`. */
function seededRow(seed: number, vocab: number, dim: number, id: number): Float32Array {
  return new TorchGenerator(seed).normalRange(vocab * dim, id * dim, (id + 1) * dim);
}

Deno.test("GPT-2 medium and large widths on this device: seeded tables over one binding", async (t) => {
  for (const dim of [1024, 1280]) {
    await t.step(`50257 × ${dim}`, async () => {
      using embedding = await InputEmbedding.create(gpu, {
        vocabSize: GPT2_VOCAB,
        contextLength: 4,
        dim,
        seed: 123,
      });
      const segments = embedding.token.weight.segments;
      const bytes = GPT2_VOCAB * dim * 4;
      assert.equal(
        segments.length,
        Math.ceil(bytes / gpu.limits.maxStorageBufferBindingSize),
        "as many segments as the binding limit needs",
      );
      // Each segment's first and last rows.
      const rows = segments.flatMap((s) => [s.firstRow, s.firstRow + s.rows - 1]);
      while (rows.length % 4 !== 0) rows.push(40);
      const ids = { data: Uint32Array.from(rows), shape: [rows.length / 4, 4] };
      using out = await embedding.forward(ids);
      const actual = await out.read();
      const generator = new TorchGenerator(123);
      generator.normalRange(GPT2_VOCAB * dim, 0, 0);
      const positions = generator.normal(4 * dim);
      rows.forEach((id, i) => {
        const t = i % 4;
        const expected = seededRow(123, GPT2_VOCAB, dim, id).map((v, d) =>
          v + positions[t * dim + d]
        );
        assertClose(actual.subarray(i * dim, (i + 1) * dim), expected, {}, `row ${i} (id ${id})`);
      });
    });
  }
});

Deno.test("a table larger than the device can bind is refused before any allocation", async (t) => {
  const bindings = gpu.limits.maxStorageBuffersPerShaderStage - 3;
  const canBind = bindings * gpu.limits.maxStorageBufferBindingSize;
  const dim = Math.ceil(canBind / 4 / GPT2_VOCAB) + 1; // just over
  const before = [gpu.liveTensors, gpu.liveBuffers, gpu.liveBytes];
  const refused = (dtype: string, bytes: number) => (e: unknown) =>
    e instanceof InputError && e.parameter === "dim" &&
    e.message.startsWith(
      `dim makes the token table [${GPT2_VOCAB}, ${dim}] of ${dtype} ${bytes} bytes, ` +
        `more than this device can bind for one tensor: ${bindings} storage bindings`,
    );
  await t.step("TokenEmbedding and InputEmbedding, f32 and f16", async () => {
    await assert.rejects(
      TokenEmbedding.create(gpu, GPT2_VOCAB, dim, { seed: 1 }),
      refused("f32", GPT2_VOCAB * dim * 4),
    );
    await assert.rejects(
      InputEmbedding.create(gpu, { vocabSize: GPT2_VOCAB, contextLength: 4, dim, seed: 1 }),
      refused("f32", GPT2_VOCAB * dim * 4),
    );
    await assert.rejects(
      TokenEmbedding.create(gpu, GPT2_VOCAB, 2 * dim, { seed: 1 }, { dtype: "f16" }),
      (e: unknown) =>
        e instanceof InputError &&
        e.message.includes(`[${GPT2_VOCAB}, ${2 * dim}] of f16 ${GPT2_VOCAB * dim * 4} bytes`),
    );
    // Half the size fits as f16: the same check passes (nothing is made here: weights are wrong).
    await assert.rejects(
      TokenEmbedding.create(gpu, GPT2_VOCAB, dim, { weight: new Float32Array(1) }, {
        dtype: "f16",
      }),
      (e: unknown) => e instanceof InputError && e.parameter === "init.weight",
    );
    assert.deepEqual([gpu.liveTensors, gpu.liveBuffers, gpu.liveBytes], before);
  });
  await t.step("a position table over one binding", async () => {
    const contextLength = gpu.limits.maxStorageBufferBindingSize / 4 / 256 + 1;
    await assert.rejects(
      InputEmbedding.create(gpu, { vocabSize: 10, contextLength, dim: 256, seed: 1 }),
      (e: unknown) =>
        e instanceof InputError && e.parameter === "contextLength" &&
        e.message.includes(`more than one storage binding holds`),
    );
    assert.deepEqual([gpu.liveTensors, gpu.liveBuffers, gpu.liveBytes], before);
  });
  await t.step("deno task embed: one line naming the sizes, exit code 2", async () => {
    const { code, stderr } = await runTask("embed", ["--dim", String(dim)]);
    assert.equal(code, 2, stderr);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, new RegExp(`--dim makes the token table \\[50257, ${dim}\\] of f32`));
  });
});

Deno.test("1,000 embed steps: live tensors, buffers and bytes stay flat", async () => {
  const [vocab, contextLength, dim, batch] = [1000, 8, 64, 4];
  using embedding = await InputEmbedding.create(gpu, {
    vocabSize: vocab,
    contextLength,
    dim,
    seed: 3,
  });
  const tableValues = await embedding.token.weight.read();
  const positionValues = await embedding.position.weight.read();
  const random = new TorchGenerator(4);
  const step = async (read: boolean) => {
    const ids = Uint32Array.from(
      { length: batch * contextLength },
      () => random.nextUint32() % vocab,
    );
    using out = await embedding.forward({ data: ids, shape: [batch, contextLength] });
    return { ids, values: read ? await out.read() : undefined };
  };
  // Compiles the pipeline, makes the reusable upload and staging buffers.
  for (let i = 0; i < 5; i++) await step(true);
  const counts = () => [gpu.liveTensors, gpu.liveBuffers, gpu.liveBytes];
  const warm = counts();
  const program = embeddingProgram("fused", embedding.token.weight);
  const pipeline = await program.kernel.pipeline(gpu);
  for (let i = 1; i < 1000; i++) {
    await step(i % 100 === 0);
    if (i % 250 === 0) assert.deepEqual(counts(), warm, `after step ${i}`);
  }
  const last = await step(true);
  assert.deepEqual(counts(), warm, "after 1,000 steps");
  assert.equal(await program.kernel.pipeline(gpu), pipeline, "the same pipeline throughout");
  const expected = gatherPositionalAddCpu(
    last.ids,
    tableValues,
    positionValues,
    contextLength,
    dim,
  );
  assertClose(last.values!, expected, {}, "the last step's values");
});
