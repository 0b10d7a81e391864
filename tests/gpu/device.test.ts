import assert from "node:assert/strict";
import { gatherPositionalAdd, GpuDevice, GpuError, InputError, Tensor } from "../../mod.ts";
import { ComputeKernel, dispatchGrid } from "../../src/gpu/kernels/compute_kernel.ts";
import { withQuietHeadless } from "../../src/gpu/quiet_headless.ts";

/** An adapter of this test's own, requested the quiet way the library requests one. */
const requestAdapter = () => withQuietHeadless(() => navigator.gpu.requestAdapter());

Deno.test("the device", async (t) => {
  const gpu = await GpuDevice.shared();
  await t.step("an adapter is present (llvmpipe without a GPU) and described", async () => {
    const adapter = await requestAdapter();
    assert.ok(adapter, "no WebGPU adapter: apt-get install mesa-vulkan-drivers (or a GPU driver)");
    assert.equal(gpu.description, adapter.info.description);
    assert.equal(gpu.adapterInfo.description, adapter.info.description);
  });
  await t.step("storage binding and buffer limits are the adapter's maxima", async () => {
    const adapter = (await requestAdapter())!;
    assert.equal(
      gpu.limits.maxStorageBufferBindingSize,
      adapter.limits.maxStorageBufferBindingSize,
    );
    assert.equal(gpu.limits.maxBufferSize, adapter.limits.maxBufferSize);
  });
  await t.step("shared() returns one device", async () => {
    assert.equal(await GpuDevice.shared(), gpu);
  });
  await t.step("checked() turns a validation error into a thrown GpuError", async () => {
    await assert.rejects(
      gpu.checked("mapped both ways", (device) =>
        device.createBuffer({
          size: 16,
          usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.MAP_WRITE,
        })),
      (e: unknown) =>
        e instanceof GpuError && e.kind === "validation" &&
        e.message.startsWith("mapped both ways: GPU validation error: "),
    );
    // The scopes are balanced: a good call afterwards reports nothing.
    assert.equal(await gpu.checked("fine", () => 42), 42);
  });
  await t.step("checked() rethrows what the work itself throws", async () => {
    await assert.rejects(
      gpu.checked("throws", () => {
        throw new RangeError("boom");
      }),
      RangeError,
    );
  });
  await t.step("a destroyed device refuses further work", async () => {
    const own = await GpuDevice.request();
    own.destroy();
    assert.equal(own.lost, "destroyed");
    await assert.rejects(
      Tensor.zeros(own, [4]),
      (e: unknown) =>
        e instanceof GpuError && e.kind === "lost" && /was lost \(destroyed\)/.test(e.message),
    );
  });
});

Deno.test("no adapter: an error that says how to get one", async () => {
  const gpu = navigator.gpu;
  Object.defineProperty(gpu, "requestAdapter", {
    value: () => Promise.resolve(null),
    configurable: true,
  });
  try {
    await assert.rejects(
      GpuDevice.request(),
      (e: unknown) =>
        e instanceof GpuError && e.kind === "unavailable" &&
        e.message.includes("no WebGPU adapter found") &&
        e.message.includes("apt-get install mesa-vulkan-drivers"),
    );
  } finally {
    delete (gpu as { requestAdapter?: unknown }).requestAdapter; // back to the prototype's
  }
  assert.ok(await withQuietHeadless(() => gpu.requestAdapter()));
});

Deno.test("an output larger than one storage binding is refused before any allocation", async () => {
  const gpu = await GpuDevice.shared();
  const maxBinding = gpu.limits.maxStorageBufferBindingSize;
  const dim = 256;
  const rows = Math.floor(maxBinding / (dim * 4)) + 1;
  using table = await Tensor.zeros(gpu, [2, dim]);
  using positions = await Tensor.zeros(gpu, [1, dim]);
  const before = [gpu.liveTensors, gpu.liveBuffers, gpu.liveBytes];
  await assert.rejects(
    gatherPositionalAdd({ data: new Uint32Array(rows), shape: [rows, 1] }, table, positions),
    (e: unknown) =>
      e instanceof InputError && e.parameter === "ids" &&
      e.message.includes(`would make an output [${rows}, 1, ${dim}] of ${rows * dim * 4} bytes`) &&
      e.message.includes(`(maxStorageBufferBindingSize ${maxBinding})`),
  );
  assert.deepEqual([gpu.liveTensors, gpu.liveBuffers, gpu.liveBytes], before);
});

Deno.test("a dispatch that fails validation raises instead of returning zeros", async () => {
  const gpu = await GpuDevice.shared();
  const kernel = new ComputeKernel(
    "store",
    `@group(0) @binding(0) var<uniform> params: vec4u;
     @group(0) @binding(1) var<storage, read_write> out: array<u32>;
     @compute @workgroup_size(1) fn main() { out[0] = params.x; }`,
  );
  using target = await Tensor.zeros(gpu, [64], "u32");
  const store = (offset: number) =>
    kernel.run(gpu, {
      storage: [[1, { buffer: target.buffer, offset, size: 16 }]],
      dispatches: [{ uniforms: Uint32Array.of(7, 0, 0, 0), grid: { x: 1, y: 1 } }],
    });
  await store(0); // compiles, and makes the reusable uniform buffer
  assert.equal((await target.read())[0], 7);
  const before = [gpu.liveTensors, gpu.liveBuffers, gpu.liveBytes];
  // 4 bytes is no valid offset for a storage binding (the alignment is at least 32).
  await assert.rejects(
    store(4),
    (e: unknown) =>
      e instanceof GpuError && e.kind === "validation" &&
      e.message.startsWith("store: GPU validation error: "),
  );
  assert.equal((await target.read())[1], 0, "nothing was written");
  assert.deepEqual([gpu.liveTensors, gpu.liveBuffers, gpu.liveBytes], before);
});

Deno.test("a prepared run records many times from buffers of its own, freed on dispose", async () => {
  const gpu = await GpuDevice.shared();
  const kernel = new ComputeKernel(
    "accumulate",
    `@group(0) @binding(0) var<uniform> params: vec4u;
     @group(0) @binding(1) var<storage, read> addends: array<u32>;
     @group(0) @binding(2) var<storage, read_write> out: array<u32>;
     @compute @workgroup_size(1) fn main(@builtin(global_invocation_id) id: vec3u) {
       out[params.x + id.x] += addends[id.x];
     }`,
  );
  using out = await Tensor.zeros(gpu, [4], "u32");
  await out.read(); // makes the reusable readback buffer before counting
  const before = [gpu.liveBuffers, gpu.liveBytes];
  // Two dispatches, so that the second reads its uniform block at the device's offset stride.
  const prepared = await kernel.prepare(gpu, {
    storage: [[1, Uint32Array.of(1, 10)], [2, { buffer: out.buffer }]],
    dispatches: [
      { uniforms: Uint32Array.of(0, 0, 0, 0), grid: { x: 2, y: 1 } },
      { uniforms: Uint32Array.of(2, 0, 0, 0), grid: { x: 2, y: 1 } },
      { uniforms: Uint32Array.of(9, 0, 0, 0), grid: { x: 0, y: 1 } }, // empty: skipped
    ],
  });
  assert.equal(gpu.liveBuffers, before[0] + 2, "the addends' buffer and the uniforms'");
  await gpu.checked("recording three times", (device) => {
    const encoder = device.createCommandEncoder();
    for (let i = 0; i < 3; i++) {
      const pass = encoder.beginComputePass();
      prepared.record(pass);
      pass.end();
    }
    device.queue.submit([encoder.finish()]);
  });
  assert.deepEqual([...await out.read()], [3, 30, 3, 30]);
  prepared[Symbol.dispose]();
  prepared[Symbol.dispose](); // twice is harmless
  assert.deepEqual([gpu.liveBuffers, gpu.liveBytes], before);
});

Deno.test("dispatch grids fold more than 65,535 workgroups into 2D", () => {
  assert.deepEqual(dispatchGrid(1, 65535), { x: 1, y: 1 });
  assert.deepEqual(dispatchGrid(65535 * 64, 65535), { x: 65535, y: 1 });
  const grid = dispatchGrid(65535 * 64 + 1, 65535);
  assert.deepEqual(grid, { x: 32768, y: 2 });
  assert.ok(grid.x * grid.y * 64 >= 65535 * 64 + 1);
  assert.throws(() => dispatchGrid(65535 * 65535 * 64 + 64, 65535), /more than 65535²/);
});

Deno.test("kernel layout: rows on a CPU adapter, columns on a GPU, or as requested", async () => {
  const gpu = await GpuDevice.shared();
  const info = gpu.adapterInfo;
  const software = info.isFallbackAdapter === true || /llvmpipe/i.test(info.description);
  assert.equal(gpu.kernelLayout, software ? "rows" : "columns");
  const columns = await GpuDevice.request({ kernelLayout: "columns" });
  assert.equal(columns.kernelLayout, "columns");
  columns.destroy();
  await assert.rejects(
    GpuDevice.request({ kernelLayout: "diagonal" as "rows" }),
    (e: unknown) =>
      e instanceof InputError &&
      e.message === 'kernelLayout must be "columns" or "rows", got "diagonal"',
  );
});
