import assert from "node:assert/strict";
import {
  gather,
  gatherPositionalAdd,
  GpuDevice,
  InputError,
  positionalAdd,
  Tensor,
  TorchGenerator,
} from "../../../mod.ts";
import {
  gatherCpu,
  gatherPositionalAddCpu,
  positionalAddCpu,
} from "../../../src/gpu/kernels/embedding/cpu_reference.ts";
import { dispatchGrid, WORKGROUP_SIZE } from "../../../src/gpu/kernels/compute_kernel.ts";
import {
  embeddingDispatches,
  embeddingProgram,
} from "../../../src/gpu/kernels/embedding/embedding_program.ts";
import { assertClose } from "../../helpers/assert_close.ts";

const gpu = await GpuDevice.shared();
// Both kernel layouts on this adapter: its default, and the other one on a second device.
const devices = [
  gpu,
  await GpuDevice.request({ kernelLayout: gpu.kernelLayout === "rows" ? "columns" : "rows" }),
];

/** Random ids in [0, vocab) that include 0 and vocab − 1. */
function randomIds(random: TorchGenerator, count: number, vocab: number): Uint32Array {
  const ids = Uint32Array.from({ length: count }, () => random.nextUint32() % vocab);
  ids[0] = vocab - 1;
  ids[count - 1] = 0;
  return ids;
}

interface Case {
  batch: number;
  seq: number;
  vocab: number;
  dim: number;
}

/** Runs the three kernels on one shape and compares each with the CPU reference, exactly. */
async function compareWithCpu(
  gpu: GpuDevice,
  { batch, seq, vocab, dim }: Case,
  random: TorchGenerator,
) {
  const tableValues = random.normal(vocab * dim);
  const positionValues = random.normal((seq + 1) * dim); // one spare row: only seq are used
  const ids = randomIds(random, batch * seq, vocab);
  using table = await Tensor.from(gpu, tableValues, { shape: [vocab, dim] });
  using positions = await Tensor.from(gpu, positionValues, { shape: [seq + 1, dim] });
  const batchIds = { data: ids, shape: [batch, seq] };
  const label = `${gpu.kernelLayout}: B=${batch} T=${seq} V=${vocab} D=${dim}`;

  const expectedGather = gatherCpu(ids, tableValues, dim);
  using gathered = await gather(batchIds, table);
  assert.deepEqual(gathered.shape, [batch, seq, dim]);
  assertClose(await gathered.read(), expectedGather, {}, `gather ${label}`);

  using added = await positionalAdd(gathered, positions);
  assert.deepEqual(added.shape, [batch, seq, dim]);
  const expectedAdd = positionalAddCpu(expectedGather, positionValues, seq, dim);
  assertClose(await added.read(), expectedAdd, {}, `positional add ${label}`);

  using fused = await gatherPositionalAdd(batchIds, table, positions);
  assert.deepEqual(fused.shape, [batch, seq, dim]);
  const expectedFused = gatherPositionalAddCpu(ids, tableValues, positionValues, seq, dim);
  assertClose(await fused.read(), expectedFused, {}, `fused ${label}`);
  assertClose(expectedFused, expectedAdd, {}, `CPU fused = gather + add ${label}`);
}

Deno.test("GPU kernels equal the CPU reference, in both layouts", async (t) => {
  for (const device of devices) {
    const random = new TorchGenerator(2024);
    const compare = (shape: Case) => compareWithCpu(device, shape, random);
    const layout = device.kernelLayout;
    await t.step(`${layout}: dims 1 to 9 and 257 (not multiples of 4), odd batches`, async () => {
      for (const dim of [1, 2, 3, 4, 5, 6, 7, 8, 9, 257]) {
        await compare({ batch: 3, seq: 5, vocab: 11, dim });
      }
    });
    await t.step(`${layout}: random shapes`, async () => {
      for (let i = 0; i < 6; i++) {
        await compare({
          batch: 1 + random.nextUint32() % 9,
          seq: 1 + random.nextUint32() % 17,
          vocab: 1 + random.nextUint32() % 500,
          dim: 1 + random.nextUint32() % 300,
        });
      }
    });
    await t.step(`${layout}: a vocabulary of one id, one token`, async () => {
      await compare({ batch: 1, seq: 1, vocab: 1, dim: 3 });
    });
    await t.step(`${layout}: 300,000 ids (over 65,535 groups of 4 across columns)`, async () => {
      // Gather of 300,000 ids: 75,000 groups of 4 rows across columns (over 65,535).
      const ids = randomIds(random, 300_000, 1000);
      const tableValues = random.normal(1000 * 4);
      using table = await Tensor.from(device, tableValues, { shape: [1000, 4] });
      using out = await gather(ids, table);
      assertClose(await out.read(), gatherCpu(ids, tableValues, 4), {}, `${layout}: gather`);
    });
  }
  await t.step("the positional add's 2D dispatch beyond 65,535 × 64 invocations", async () => {
    // B·T·ceil(D/4) = 64 · 1025 · 65 = 4,264,000 > 65,535 · 64 = 4,194,240 work items.
    const shape = { batch: 64, seq: 1025, vocab: 1000, dim: 257 };
    const invocations = shape.batch * shape.seq * Math.ceil(shape.dim / 4);
    const grid = dispatchGrid(invocations, gpu.limits.maxComputeWorkgroupsPerDimension);
    assert.ok(grid.y > 1, `expected a 2D grid, got ${JSON.stringify(grid)}`);
    assert.ok(grid.x * grid.y * WORKGROUP_SIZE >= invocations);
    await compareWithCpu(gpu, shape, new TorchGenerator(5));
  });
});

Deno.test("embedding dispatches cover the grid exactly when split", async (t) => {
  const small = { limits: { maxComputeWorkgroupsPerDimension: 3 } } as unknown as GpuDevice;
  const program = (layout: "rows" | "columns", body: "gather" | "fused") => ({
    kernel: undefined as never,
    chunks: 5,
    workgroupSize: 2,
    rowsPerInvocation: 4,
    layout,
    body,
  });
  /** Every (position, group) or row the dispatches reach, with each dispatch's own grid. */
  const covered = (dispatches: ReturnType<typeof embeddingDispatches>, rows: boolean) => {
    const seen: string[] = [];
    for (const { uniforms, grid } of dispatches) {
      const [, , firstT, firstGroup] = uniforms;
      for (let y = 0; y < grid.y; y++) {
        for (let z = 0; z < (grid.z ?? 1); z++) {
          if (rows) {
            for (let x = 0; x < grid.x * 2; x++) seen.push(`${firstT + x}/${firstGroup + y}`);
          } else seen.push(`${firstT + y}/${firstGroup + z}`);
        }
      }
    }
    return seen.sort();
  };
  await t.step("across columns: positions × groups", () => {
    const dispatches = embeddingDispatches(small, program("columns", "fused"), 30, 7);
    assert.ok(dispatches.every(({ grid }) => grid.x === 3 && grid.y <= 3 && grid.z! <= 3));
    const expected = [];
    for (let t = 0; t < 7; t++) for (let g = 0; g < 8; g++) expected.push(`${t}/${g}`);
    assert.deepEqual(covered(dispatches, false), expected.sort());
  });
  await t.step("across rows: positions (2 per workgroup) × groups", () => {
    const dispatches = embeddingDispatches(small, program("rows", "fused"), 30, 13);
    assert.ok(dispatches.every(({ grid }) => grid.x <= 3 && grid.y <= 3));
    const positions = new Set(
      covered(dispatches, true).filter((c) => Number(c.split("/")[0]) < 13),
    );
    assert.equal(positions.size, 13 * 8);
  });
  await t.step("gather across rows: rows in runs of 3 workgroups", () => {
    const dispatches = embeddingDispatches(small, program("rows", "gather"), 20, 1);
    assert.deepEqual(dispatches.map((d) => [d.uniforms[1], d.grid.x]), [[0, 3], [6, 3], [12, 3], [
      18,
      1,
    ]]);
  });
});

Deno.test("kernel pipelines are compiled once per device and table layout", async () => {
  using table = await Tensor.from(gpu, [[1, 2]]);
  const program = embeddingProgram("gather", table);
  const first = await program.kernel.pipeline(gpu);
  using out = await gather([0], table);
  assert.deepEqual([...await out.read()], [1, 2]);
  using sameLayout = await Tensor.from(gpu, [[3, 4]]);
  assert.equal(embeddingProgram("gather", sameLayout).kernel, program.kernel);
  assert.equal(await program.kernel.pipeline(gpu), first);
});

Deno.test("bad ids and tensors are rejected before dispatch", async (t) => {
  using table = await Tensor.zeros(gpu, [10, 4]);
  using positions = await Tensor.zeros(gpu, [3, 4]);
  const before = gpu.liveBuffers;
  const rejects = (run: () => Promise<unknown>, parameter: string, message: string) =>
    assert.rejects(
      run,
      (e: unknown) =>
        e instanceof InputError && e.parameter === parameter && e.message.includes(message),
    );
  await t.step("an id at the vocabulary size, with its position", async () => {
    const message =
      "must hold token ids in [0, 9] (the vocabulary size is 10), but ids[1][2] is 10";
    await rejects(() => gather([[0, 1, 2], [3, 4, 10]], table), "ids", message);
    await rejects(
      () => gatherPositionalAdd([[0, 1, 2], [3, 4, 10]], table, positions),
      "ids",
      message,
    );
    await rejects(
      () => gather({ data: Uint32Array.of(1, 2, 3, 4, 5, 99), shape: [2, 3] }, table),
      "ids",
      "but ids[1][2] is 99",
    );
  });
  await t.step("negative and fractional ids", async () => {
    await rejects(() => gather(Int32Array.of(0, -1), table), "ids", "but ids[1] is -1");
    await rejects(() => gather([[0.5]], table), "ids", "but ids[0][0] is 0.5");
  });
  await t.step("ids of the wrong type or shape", async () => {
    await rejects(
      () => gather(Float32Array.of(1, 2) as unknown as Uint32Array, table),
      "ids",
      "must be token ids: nested arrays of integers, an Int32Array or Uint32Array, or { data, shape }; got a Float32Array",
    );
    await rejects(() => gather([[1, 2], [3]], table), "ids[1]", "must be an array of length 2");
    await rejects(
      () => gather({ data: Uint32Array.of(1, 2, 3), shape: [2, 2] }, table),
      "ids.shape",
      "[2, 2] holds 4 ids, but ids.data has 3",
    );
  });
  await t.step("a positional table shorter than the sequence, or of another width", async () => {
    await rejects(
      () => gatherPositionalAdd([[1, 2, 3, 4]], table, positions),
      "positions",
      "has 3 rows (the context length), fewer than the sequence length 4",
    );
    using narrow = await Tensor.zeros(gpu, [3, 5]);
    await rejects(
      () => gatherPositionalAdd([[1]], table, narrow),
      "positions",
      "must have 4 columns (the embedding dimension), got shape [3, 5]",
    );
  });
  await t.step("tensors of the wrong rank or dtype, or disposed", async () => {
    using ids = await Tensor.zeros(gpu, [2, 4], "i32");
    await rejects(
      () => gather([0], ids as unknown as Tensor<"f32">),
      "table",
      "must be an f32 or an f16 tensor, got i32",
    );
    using flat = await Tensor.zeros(gpu, [4]);
    await rejects(
      () => positionalAdd(flat, positions),
      "x",
      "must have at least 2 dimensions, got shape [4]",
    );
    const gone = await Tensor.zeros(gpu, [10, 4], "f32", "old table");
    gone.dispose();
    await rejects(
      () => gather([0], gone),
      "table",
      "is a disposed tensor (old table, shape [10, 4])",
    );
  });
  assert.equal(gpu.liveBuffers, before, "nothing was allocated");
});
