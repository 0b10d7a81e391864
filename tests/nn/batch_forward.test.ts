// The embedding layers take a data loader's Batch as it comes, shape included, as a PyTorch user
// passes `x` from `for x, y in loader`; a batch's bare ids are refused rather than read as one
// long sequence.
import assert from "node:assert/strict";
import {
  DataLoader,
  GpuDevice,
  InputEmbedding,
  InputError,
  TokenEmbedding,
  WindowDataset,
} from "../../mod.ts";
import {
  gatherCpu,
  gatherPositionalAddCpu,
} from "../../src/gpu/kernels/embedding/cpu_reference.ts";
import { assertClose } from "../helpers/assert_close.ts";

const gpu = await GpuDevice.shared();
const [vocabSize, contextLength, dim] = [50, 4, 6];
const ids = Uint32Array.from({ length: 30 }, (_, i) => (i * 7 + 3) % vocabSize);
// 26 windows of 4 at stride 1 in batches of 8: three full batches and a short one of 2 rows.
const loader = new DataLoader(new WindowDataset(ids, { maxLength: 4, stride: 1 }), {
  batchSize: 8,
});

Deno.test("InputEmbedding.forward(batch): [rows, seqLength, dim], the CPU reference's values", async () => {
  using embedding = await InputEmbedding.create(gpu, { vocabSize, contextLength, dim, seed: 9 });
  const table = await embedding.token.weight.read();
  const positions = await embedding.position.weight.read();
  const rows: number[] = [];
  for (const batch of loader) {
    using out = await embedding.forward(batch);
    assert.deepEqual(out.shape, [batch.rows, batch.seqLength, dim]);
    const expected = gatherPositionalAddCpu(batch.inputs, table, positions, batch.seqLength, dim);
    assertClose(await out.read(), expected, { atol: 0 });
    rows.push(batch.rows);
  }
  assert.deepEqual(rows, [8, 8, 8, 2]);
});

Deno.test("TokenEmbedding.forward(batch): [rows, seqLength, dim]", async () => {
  using embedding = await TokenEmbedding.create(gpu, vocabSize, dim, { seed: 9 });
  const table = await embedding.weight.read();
  const [batch] = loader;
  using out = await embedding.forward(batch);
  assert.deepEqual(out.shape, [8, 4, dim]);
  assertClose(await out.read(), gatherCpu(batch.inputs, table, dim), { atol: 0 });
});

Deno.test("a batch's flat ids alone, or a batch whose shape does not fit: InputErrors", async () => {
  using embedding = await InputEmbedding.create(gpu, { vocabSize, contextLength, dim, seed: 9 });
  const [batch] = loader;
  const before = [gpu.liveTensors, gpu.liveBuffers];
  await assert.rejects(
    embedding.forward(batch.inputs),
    (e: unknown) =>
      e instanceof InputError && e.parameter === "ids" &&
      e.message.startsWith("ids is one flat sequence of 32 ids, longer than contextLength 4;") &&
      e.message.includes("forward(batch)"),
  );
  await assert.rejects(
    embedding.forward({ ...batch, rows: 3 }),
    (e: unknown) =>
      e instanceof InputError &&
      e.message === "batch.inputs holds 32 ids, not rows × seqLength = 3 × 4",
  );
  await assert.rejects(
    embedding.forward({ ...batch, seqLength: 0 }),
    (e: unknown) =>
      e instanceof InputError && e.message === "batch.seqLength must be an integer >= 1, got 0",
  );
  assert.deepEqual([gpu.liveTensors, gpu.liveBuffers], before);
  // One sequence up to the context length is still one sequence.
  using one = await embedding.forward(batch.inputs.subarray(0, 4));
  assert.deepEqual(one.shape, [4, dim]);
});
