import assert from "node:assert/strict";
import { GpuDevice, InputError, Tensor } from "../../mod.ts";

const gpu = await GpuDevice.shared();

Deno.test("tensors from data, zeros, readback", async (t) => {
  await t.step("typed arrays keep their dtype; shape option reshapes", async () => {
    using f = await Tensor.from(gpu, Float32Array.of(1.5, -2, 3, 4), { shape: [2, 2] });
    assert.deepEqual([f.dtype, f.shape, f.size, f.byteLength], ["f32", [2, 2], 4, 16]);
    assert.deepEqual([...await f.read()], [1.5, -2, 3, 4]);
    assert.ok((await f.read()) instanceof Float32Array);
    using i = await Tensor.from(gpu, Int32Array.of(-7, 2147483647));
    assert.deepEqual([i.dtype, i.shape], ["i32", [2]]);
    assert.deepEqual([...await i.read()], [-7, 2147483647]);
    using u = await Tensor.from(gpu, Uint32Array.of(4294967295, 0, 5));
    assert.deepEqual([u.dtype, [...await u.read()]], ["u32", [4294967295, 0, 5]]);
  });
  await t.step("nested arrays give their shape; integer dtypes on request", async () => {
    using f = await Tensor.from(gpu, [[[1], [2]], [[3], [4]], [[5], [6]]]);
    assert.deepEqual([f.dtype, f.shape], ["f32", [3, 2, 1]]);
    assert.deepEqual(await f.toArray(), [[[1], [2]], [[3], [4]], [[5], [6]]]);
    using ids = await Tensor.from(gpu, [[40, 367], [2885, 1464]], { dtype: "i32" });
    assert.deepEqual([ids.dtype, await ids.toArray()], ["i32", [[40, 367], [2885, 1464]]]);
    assert.equal(await ids.format(), "tensor([[  40,  367],\n        [2885, 1464]])");
    using scalar = await Tensor.from(gpu, 0.25);
    assert.deepEqual([scalar.shape, await scalar.toArray(), await scalar.format()], [
      [],
      0.25,
      "tensor(0.2500)",
    ]);
  });
  await t.step("float32 rounding happens on upload", async () => {
    using f = await Tensor.from(gpu, [0.1]);
    assert.equal((await f.read())[0], Math.fround(0.1));
  });
  await t.step("zeros and empty tensors", async () => {
    using z = await Tensor.zeros(gpu, [2, 3], "u32");
    assert.deepEqual([z.dtype, [...await z.read()]], ["u32", [0, 0, 0, 0, 0, 0]]);
    using empty = await Tensor.zeros(gpu, [0, 4]);
    assert.deepEqual([empty.size, (await empty.read()).length], [0, 0]);
    assert.equal(await empty.format(), "tensor([], size=(0, 4))");
  });
  await t.step("a large tensor round-trips", async () => {
    const values = Float32Array.from({ length: 1 << 20 }, (_, i) => i * 0.5 - 1000);
    using big = await Tensor.from(gpu, values, { shape: [1024, 1024] });
    assert.deepEqual(await big.read(), values);
  });
});

Deno.test("bad tensor data is rejected before any GPU work", async (t) => {
  const before = gpu.liveBuffers;
  const rejects = (parameter: string, message: string, create: () => Promise<unknown>) =>
    assert.rejects(
      create,
      (e: unknown) =>
        e instanceof InputError && e.parameter === parameter && e.message.includes(message),
    );
  await t.step("ragged or non-numeric nested arrays", async () => {
    await rejects(
      "data[1]",
      "must be an array of length 2 (as its siblings), got an array of length 3",
      () => Tensor.from(gpu, [[1, 2], [3, 4, 5]]),
    );
    await rejects(
      "data[0][1]",
      'must be a number, got "x"',
      () => Tensor.from(gpu, [[1, "x"]] as unknown as number[][]),
    );
  });
  await t.step("integers out of range for the dtype", async () => {
    await rejects(
      "data[1]",
      "must be an integer in [0, 4294967295] for u32, got -1",
      () => Tensor.from(gpu, [0, -1], { dtype: "u32" }),
    );
    await rejects(
      "data[0][1]",
      "must be an integer in [-2147483648, 2147483647] for i32, got 1.5",
      () => Tensor.from(gpu, [[1, 1.5]], { dtype: "i32" }),
    );
  });
  await t.step("dtype and shape that disagree with the data", async () => {
    await rejects(
      "dtype",
      "is i32, but data is a Float32Array (f32)",
      () => Tensor.from(gpu, new Float32Array(2), { dtype: "i32" as "f32" }),
    );
    await rejects(
      "dtype",
      'must be one of f32, f16, i32, u32, got "f64"',
      () => Tensor.from(gpu, [1], { dtype: "f64" as "f32" }),
    );
    await rejects(
      "shape",
      "[3, 2] holds 6 elements, but data has 4",
      () => Tensor.from(gpu, new Float32Array(4), { shape: [3, 2] }),
    );
    await rejects(
      "shape",
      "must be an array of integers >= 0, got [2, -1]",
      () => Tensor.zeros(gpu, [2, -1]),
    );
    await rejects(
      "data",
      "must be a Float32Array, Int32Array, Uint32Array, nested arrays",
      () => Tensor.from(gpu, new Float64Array(2) as unknown as Float32Array),
    );
  });
  await t.step("more bytes than a kernel can bind, however split", async () => {
    const bindings = gpu.limits.maxStorageBuffersPerShaderStage - 3;
    const max = bindings * gpu.limits.maxStorageBufferBindingSize;
    await rejects(
      "shape",
      `makes the tensor [${max / 4 + 1}] of f32 ${max + 4} bytes, more than this device can ` +
        `bind for one tensor: ${bindings} storage bindings`,
      () => Tensor.zeros(gpu, [max / 4 + 1]),
    );
  });
  assert.equal(gpu.liveBuffers, before);
});

Deno.test("dispose frees the buffer once; later use is a clear error", async (t) => {
  const before = { buffers: gpu.liveBuffers, bytes: gpu.liveBytes };
  await t.step("live buffers and bytes are counted", async () => {
    const tensor = await Tensor.from(gpu, new Float32Array(100), { label: "counted" });
    assert.deepEqual([gpu.liveBuffers, gpu.liveBytes], [before.buffers + 1, before.bytes + 400]);
    tensor.dispose();
    tensor.dispose(); // harmless
    assert.deepEqual([gpu.liveBuffers, gpu.liveBytes], [before.buffers, before.bytes]);
    assert.equal(tensor.disposed, true);
    assert.equal(String(tensor), 'Tensor("counted", shape=[100], dtype=f32, disposed)');
    await assert.rejects(
      tensor.read(),
      (e: unknown) =>
        e instanceof InputError &&
        e.message === "tensor is a disposed tensor (counted, shape [100]) and cannot be used",
    );
    assert.throws(() => tensor.buffer, /disposed/);
  });
  await t.step("`using` disposes at the end of the block", async () => {
    let escaped: Tensor | undefined;
    {
      using scoped = await Tensor.from(gpu, [1, 2, 3]);
      escaped = scoped;
      assert.equal(escaped.disposed, false);
    }
    assert.equal(escaped.disposed, true);
  });
  assert.deepEqual([gpu.liveBuffers, gpu.liveBytes], [before.buffers, before.bytes]);
});
