// Reading GPT-2-small's token table (50257 × 768, 154 MB as F32) from a safetensors file.
//   deno bench --allow-read=.tmp --allow-write=.tmp bench/safetensors_bench.ts
// The file is written once under .tmp/ (F32 and F16 copies, 232 MB) and removed at the end.
import { openSafetensors, writeSafetensors } from "../mod.ts";

const ROWS = 50257;
const DIM = 768;

await Deno.mkdir(".tmp", { recursive: true });
const dir = await Deno.makeTempDir({ dir: ".tmp", prefix: "bench-" });
const path = `${dir}/gpt2_wte.safetensors`;
{
  const table = new Float32Array(ROWS * DIM).map((_, i) => Math.sin(i) * 0.1);
  await writeSafetensors(path, {
    "wte.weight": { dtype: "F32", shape: [ROWS, DIM], data: table },
    "wte16.weight": { dtype: "F16", shape: [ROWS, DIM], data: table },
  });
}
const file = await openSafetensors(path);
globalThis.addEventListener("unload", () => {
  file.close();
  Deno.removeSync(dir, { recursive: true });
});

/** Streams a tensor in 8 MiB chunks, touching each chunk as an upload would. */
async function stream(name: string, as: "f32" | "f16"): Promise<number> {
  let sum = 0;
  for await (const { data } of file.rowChunks(name, { as })) sum += data[data.length - 1];
  return sum;
}

Deno.bench(
  "wte F32 → f32, streamed in 8 MiB chunks",
  { group: "wte", baseline: true },
  async () => {
    await stream("wte.weight", "f32");
  },
);
Deno.bench("wte F16 → f32, streamed in 8 MiB chunks", { group: "wte" }, async () => {
  await stream("wte16.weight", "f32");
});
Deno.bench("wte F16 → f16 bits (no conversion), streamed", { group: "wte" }, async () => {
  await stream("wte16.weight", "f16");
});
Deno.bench("wte F32 → f16 bits (rounded), streamed", { group: "wte" }, async () => {
  await stream("wte.weight", "f16");
});
Deno.bench("wte F32 → f32, whole table at once", { group: "wte" }, async () => {
  await file.readTensor("wte.weight");
});
