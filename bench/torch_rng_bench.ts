// PyTorch-compatible normal_ on the CPU: the book's GPT-2 token table is 50257 × 256 values.
import { TorchGenerator } from "../mod.ts";

const table = new Float32Array(50257 * 256);

Deno.bench({
  name: "normal_ 50257×256 (the GPT-2 token table)",
  group: "torch rng",
  baseline: true,
  fn() {
    new TorchGenerator(123).fillNormal(table);
  },
});

Deno.bench({
  name: "Mersenne Twister draws, 50257×256",
  group: "torch rng",
  fn() {
    const generator = new TorchGenerator(123);
    for (let i = 0; i < table.length; i++) generator.nextUint32();
  },
});
