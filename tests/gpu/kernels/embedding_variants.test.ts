// Every fused-kernel design kept in bench/ (the benchmark's contenders) computes the same values
// as the CPU reference.
import assert from "node:assert/strict";
import { GpuDevice, Tensor, TorchGenerator } from "../../../mod.ts";
import { VARIANTS } from "../../../bench/kernel_variants.ts";
import { gatherPositionalAddCpu } from "../../../src/gpu/kernels/embedding/cpu_reference.ts";
import { assertClose } from "../../helpers/assert_close.ts";

const gpu = await GpuDevice.shared();

Deno.test("kernel variants equal the CPU reference", async (t) => {
  assert.deepEqual(
    VARIANTS.flatMap((v) => v.defaultFor ?? []).sort(),
    ["CPU adapters", "GPUs"],
    "one default for each kind of adapter",
  );
  const random = new TorchGenerator(77);
  const shapes = [
    { batch: 5, seq: 7, vocab: 300, dim: 8 },
    { batch: 9, seq: 3, vocab: 50, dim: 256 },
    { batch: 1, seq: 1, vocab: 2, dim: 4 },
    { batch: 6, seq: 2, vocab: 90, dim: 20 },
    { batch: 3, seq: 4, vocab: 30, dim: 5 }, // scalar variants only
  ];
  for (const variant of VARIANTS) {
    await t.step(variant.name, async () => {
      for (const { batch, seq, vocab, dim } of shapes) {
        if (variant.vec4Only && dim % 4 !== 0) continue;
        const tableValues = random.normal(vocab * dim);
        const positionValues = random.normal(seq * dim);
        const idValues = Uint32Array.from(
          { length: batch * seq },
          () => random.nextUint32() % vocab,
        );
        using table = await Tensor.from(gpu, tableValues, { shape: [vocab, dim] });
        using positions = await Tensor.from(gpu, positionValues, { shape: [seq, dim] });
        using ids = await Tensor.from(gpu, idValues);
        using out = await Tensor.zeros(gpu, [batch, seq, dim]);
        using prepared = await variant.prepare(gpu, { table, positions, ids, out, batch, seq });
        await gpu.checked(variant.name, (device) => {
          const encoder = device.createCommandEncoder();
          const pass = encoder.beginComputePass();
          prepared.record(pass);
          pass.end();
          device.queue.submit([encoder.finish()]);
        });
        assertClose(
          await out.read(),
          gatherPositionalAddCpu(idValues, tableValues, positionValues, seq, dim),
          {},
          `${variant.name}: B=${batch} T=${seq} V=${vocab} D=${dim}`,
        );
      }
    });
  }
});
