import assert from "node:assert/strict";
import {
  createDataLoaderV1,
  GpuDevice,
  InputEmbedding,
  InputError,
  PositionalEmbedding,
  TokenEmbedding,
  TokenStream,
  TorchGenerator,
} from "../../mod.ts";
import { gatherPositionalAddCpu } from "../../src/gpu/kernels/embedding/cpu_reference.ts";
import { assertClose } from "../helpers/assert_close.ts";
import { verdictText } from "../helpers/fixtures.ts";

const gpu = await GpuDevice.shared();
const alignment = gpu.limits.minStorageBufferOffsetAlignment;
// Both kernel layouts on this adapter: its default, and the other one on a second device.
const devices = [
  gpu,
  await GpuDevice.request({ kernelLayout: gpu.kernelLayout === "rows" ? "columns" : "rows" }),
];

/** The ids of windows `[start + shift, start + shift + seq)`, on the CPU. */
function windowsCpu(ids: Uint32Array, starts: Uint32Array, seq: number, shift = 0): Uint32Array {
  const out = new Uint32Array(starts.length * seq);
  starts.forEach((start, b) => out.set(ids.subarray(start + shift, start + shift + seq), b * seq));
  return out;
}

interface StreamCase {
  vocab: number;
  dim: number;
  length: number;
  batch: number;
  seq: number;
  dtype?: "f32" | "f16";
  /** Ids per stream chunk (a multiple of alignment / 4), or whole. */
  chunkIds?: number;
  /** Bytes per table segment (the whole table in one when absent). */
  tableBindingBytes?: number;
}

async function streamCase(gpu: GpuDevice, c: StreamCase, random: TorchGenerator) {
  const label = `${gpu.kernelLayout}: ${JSON.stringify(c)}`;
  const ids = Uint32Array.from({ length: c.length }, () => random.nextUint32() % c.vocab);
  const tableValues = random.normal(c.vocab * c.dim);
  const positionValues = random.normal(c.seq * c.dim);
  const token = await TokenEmbedding.create(gpu, c.vocab, c.dim, { weight: tableValues }, {
    dtype: c.dtype ?? "f32",
    maxBindingBytes: c.tableBindingBytes,
  });
  const position = await PositionalEmbedding.create(gpu, c.seq, c.dim, { weight: positionValues });
  using embedding = new InputEmbedding(token, position);
  using stream = await TokenStream.create(gpu, ids, {
    maxBindingBytes: c.chunkIds === undefined ? undefined : c.chunkIds * 4,
  });
  if (c.chunkIds !== undefined) {
    assert.equal(stream.ids.segments.length, Math.ceil(c.length / c.chunkIds), label);
  }
  // Random starts, and the first and last possible ones (windows across chunk boundaries).
  const starts = Uint32Array.from(
    { length: c.batch },
    () => random.nextUint32() % (c.length - c.seq + 1),
  );
  starts[0] = 0;
  starts[c.batch - 1] = c.length - c.seq;
  using out = await embedding.forwardWindows(stream, starts, c.seq);
  assert.deepEqual(out.shape, [c.batch, c.seq, c.dim]);
  const stored = c.dtype === "f16" ? Float32Array.from(new Float16Array(tableValues)) : tableValues;
  const windowIds = windowsCpu(ids, starts, c.seq);
  const expected = gatherPositionalAddCpu(windowIds, stored, positionValues, c.seq, c.dim);
  assertClose(await out.read(), expected, {}, `${label}: embeddings`);
  // The same through the ids uploaded per call.
  using fromIds = await embedding.forward({ data: windowIds, shape: [c.batch, c.seq] });
  assert.deepEqual(await fromIds.read(), expected);
  // Inputs and targets copied on the GPU.
  const targetStarts = starts.map((s) => Math.min(s, c.length - c.seq - 1));
  using inputs = await stream.windowIds(targetStarts, c.seq);
  using targets = await stream.windowIds(targetStarts, c.seq, 1);
  assert.deepEqual(await inputs.read(), windowsCpu(ids, targetStarts, c.seq), `${label}: inputs`);
  assert.deepEqual(
    await targets.read(),
    windowsCpu(ids, targetStarts, c.seq, 1),
    `${label}: targets`,
  );
}

Deno.test("forwardWindows equals the CPU reference, in both layouts", async (t) => {
  for (const device of devices) {
    const random = new TorchGenerator(31);
    const layout = device.kernelLayout;
    await t.step(`${layout}: dims a multiple of 4 and not, f32 and f16`, async () => {
      await streamCase(device, { vocab: 500, dim: 8, length: 1000, batch: 9, seq: 7 }, random);
      await streamCase(device, { vocab: 300, dim: 5, length: 200, batch: 5, seq: 16 }, random);
      await streamCase(
        device,
        { vocab: 300, dim: 6, length: 100, batch: 3, seq: 4, dtype: "f16" },
        random,
      );
      await streamCase(
        device,
        { vocab: 100, dim: 3, length: 50, batch: 2, seq: 1, dtype: "f16" },
        random,
      );
    });
    await t.step(
      `${layout}: a stream in chunks (tiny bindings), windows across their boundaries`,
      async () => {
        const chunkIds = alignment / 4; // the smallest chunk the device's offset alignment allows
        await streamCase(device, {
          vocab: 500,
          dim: 8,
          length: 10 * chunkIds,
          batch: 17,
          seq: 24,
          chunkIds,
        }, random);
        await streamCase(device, {
          vocab: 40,
          dim: 7,
          length: 5 * chunkIds + 3,
          batch: 12,
          seq: 9,
          chunkIds: 2 * chunkIds,
        }, random);
      },
    );
    await t.step(`${layout}: a split table and a chunked stream together`, async () => {
      const chunkIds = alignment / 4;
      await streamCase(device, {
        vocab: 1000,
        dim: 16,
        length: 6 * chunkIds,
        batch: 8,
        seq: 32,
        chunkIds,
        tableBindingBytes: 200 * 32, // 200 rows of 32 bytes per segment: 5 segments
        dtype: "f16",
      }, random);
    });
  }
});

Deno.test("forwardWindows on the book's data loader: batch.starts instead of batch.inputs", async () => {
  const loader = createDataLoaderV1(await verdictText(), {
    batchSize: 8,
    maxLength: 4,
    stride: 4,
    shuffle: true,
    seed: 5,
  });
  using stream = await TokenStream.create(gpu, loader.dataset.ids);
  using embedding = await InputEmbedding.create(gpu, {
    vocabSize: 50257,
    contextLength: 4,
    dim: 64,
    seed: 123,
  });
  let batches = 0;
  for (const batch of loader) {
    if (batches++ === 3) break;
    using fromStream = await embedding.forwardWindows(stream, batch.starts, batch.seqLength);
    using fromIds = await embedding.forward({ data: batch.inputs, shape: [batch.rows, 4] });
    assert.deepEqual(await fromStream.read(), await fromIds.read());
    using targets = await stream.windowIds(batch.starts, batch.seqLength, 1);
    assert.deepEqual(await targets.read(), batch.targets.subarray(0, batch.rows * 4));
  }
});

Deno.test("bad streams and windows are rejected before any GPU work", async (t) => {
  using embedding = await InputEmbedding.create(gpu, {
    vocabSize: 100,
    contextLength: 8,
    dim: 4,
    seed: 1,
  });
  using stream = await TokenStream.create(gpu, Uint32Array.from({ length: 50 }, (_, i) => i));
  const before = [gpu.liveTensors, gpu.liveBuffers, gpu.liveBytes];
  const rejects = (run: () => Promise<unknown>, parameter: string, message: string) =>
    assert.rejects(
      run,
      (e: unknown) =>
        e instanceof InputError && e.parameter === parameter && e.message.includes(message),
    );
  await t.step("window starts beyond the stream, or not integers", async () => {
    await rejects(
      () => embedding.forwardWindows(stream, [0, 43], 8),
      "starts",
      "must hold window starts in [0, 42] (a stream of 50 ids, windows of 8), but starts[1] is 43",
    );
    await rejects(() => stream.windowIds([0, 1.5], 4), "starts", "but starts[1] is 1.5");
    await rejects(
      () => stream.windowIds([46], 4, 1),
      "starts",
      "must hold window starts in [0, 45] (a stream of 50 ids, windows of 4 + 1), but starts[0] is 46",
    );
    await rejects(
      () => embedding.forwardWindows(stream, "0" as unknown as number[], 4),
      "starts",
      'must be a Uint32Array or an array of window starts, got "0"',
    );
  });
  await t.step("windows longer than the context", async () => {
    await rejects(
      () => embedding.forwardWindows(stream, [0], 9),
      "seqLength",
      "must be an integer in [1, 8], got 9",
    );
  });
  await t.step("ids outside the vocabulary: the first largest id and its index", async () => {
    const ids = Uint32Array.of(1, 2, 100, 3, 100);
    using wide = await TokenStream.create(gpu, ids);
    const allocated = [gpu.liveTensors, gpu.liveBuffers, gpu.liveBytes];
    await rejects(
      () => embedding.forwardWindows(wide, [0], 2),
      "stream",
      "must hold token ids in [0, 99] (the vocabulary size is 100), but ids[2] is 100",
    );
    assert.deepEqual([gpu.liveTensors, gpu.liveBuffers, gpu.liveBytes], allocated);
  });
  await t.step("streams of the wrong type, empty, disposed or too large", async () => {
    await rejects(
      () => TokenStream.create(gpu, Int32Array.of(1, 2) as unknown as Uint32Array),
      "ids",
      "must be a Uint32Array or Uint16Array of token ids, got an Int32Array",
    );
    await rejects(() => TokenStream.create(gpu, new Uint32Array(0)), "ids", "at least one");
    await rejects(
      () => embedding.forwardWindows({} as TokenStream, [0], 2),
      "stream",
      "must be a TokenStream",
    );
    const chunks = gpu.limits.maxStorageBuffersPerShaderStage - 3;
    await rejects(
      () =>
        TokenStream.create(gpu, new Uint32Array(chunks * (alignment / 4) + 1), {
          maxBindingBytes: alignment,
        }),
      "ids",
      `makes the token stream [${chunks * (alignment / 4) + 1}] ${
        chunks * alignment + 4
      } bytes, more than this device can bind for one tensor`,
    );
    const gone = await TokenStream.create(gpu, Uint32Array.of(1, 2, 3));
    gone.dispose();
    gone.dispose(); // harmless
    await rejects(
      () => embedding.forwardWindows(gone, [0], 2),
      "stream",
      "is a disposed token stream",
    );
  });
  await t.step(
    "a split table and a chunked stream need more bindings than a kernel has",
    async () => {
      const allowed = gpu.limits.maxStorageBuffersPerShaderStage;
      const tableSegments = allowed - 6;
      const rows = tableSegments * (alignment / 16);
      using big = await TokenEmbedding.create(gpu, rows, 4, { seed: 1 }, {
        maxBindingBytes: alignment,
      });
      using positions = await PositionalEmbedding.create(gpu, 4, 4, { seed: 2 });
      const split = new InputEmbedding(big, positions);
      using chunked = await TokenStream.create(gpu, new Uint32Array(4 * (alignment / 4)), {
        maxBindingBytes: alignment,
      });
      await rejects(
        () => split.forwardWindows(chunked, [0], 4),
        "stream",
        `needs 4 storage bindings beside the token table's ${tableSegments} and 3 others, ` +
          `more than maxStorageBuffersPerShaderStage ${allowed}`,
      );
    },
  );
  await t.step("a stream's ids are read-only: writes would bypass the maxId check", async () => {
    await rejects(
      () => stream.ids.writeRows(0, Uint32Array.of(1_000_000)),
      "tensor",
      "is read-only: its TokenStream checked its contents when it was created",
    );
    assert.deepEqual(await stream.ids.readRows(0, 1), Uint32Array.of(0));
  });
  await t.step("window ids beyond one storage binding: refused before allocating", async () => {
    const starts = new Uint32Array(1 + gpu.limits.maxStorageBufferBindingSize / (4 * 40));
    await rejects(
      () => stream.windowIds(starts, 40),
      "starts",
      "more than one storage binding holds (maxStorageBufferBindingSize",
    );
  });
  assert.deepEqual([gpu.liveTensors, gpu.liveBuffers, gpu.liveBytes], before);
});
