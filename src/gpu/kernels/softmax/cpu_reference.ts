// Plain TypeScript softmax in the kernel's order of operations (float32 throughout): the
// reference the GPU results are tested against.
import { rowMaxSumCpu } from "../row_reduction_cpu.ts";

/** Softmax of each row of `x` `[rows, vocab]`: `exp(x − max) · (1 / Σ exp(x − max))`. */
export function softmaxCpu(x: Float32Array, vocab: number): Float32Array {
  const f = Math.fround;
  const stats = rowMaxSumCpu(x, vocab);
  const out = new Float32Array(x.length);
  const rows = vocab === 0 ? 0 : x.length / vocab;
  for (let r = 0; r < rows; r++) {
    const m = stats[2 * r];
    const scale = f(1 / stats[2 * r + 1]);
    for (let c = 0; c < vocab; c++) {
      out[r * vocab + c] = f(f(Math.exp(f(x[r * vocab + c] - m))) * scale);
    }
  }
  return out;
}
