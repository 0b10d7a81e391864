// Plain TypeScript cross-entropy in the kernels' order of operations (float32 throughout): the
// reference the GPU results are tested against.
import { rowMaxSumCpu } from "../row_reduction_cpu.ts";

/**
 * The maximum of each row and the log of the sum of exp(x − max), reduced as the kernel does
 * (see {@linkcode rowMaxSumCpu}).
 */
export function rowStatsCpu(logits: Float32Array, vocab: number): Float32Array {
  const stats = rowMaxSumCpu(logits, vocab);
  for (let r = 1; r < stats.length; r += 2) stats[r] = Math.log(stats[r]);
  return stats;
}

/** Each row's loss `-((x[target] − max) − log Σ exp(x − max))`. */
export function rowLossesCpu(
  logits: Float32Array,
  targets: ArrayLike<number>,
  vocab: number,
): Float32Array {
  const stats = rowStatsCpu(logits, vocab);
  const f = Math.fround;
  return Float32Array.from(
    { length: targets.length },
    (_, r) => -f(f(logits[r * vocab + targets[r]] - stats[2 * r]) - stats[2 * r + 1]),
  );
}

/**
 * The mean of the row losses in PyTorch's order (nll_loss's cascade of 8 levels of float32
 * partial sums, flushed at every 16th, 256th, … row), divided by the row count in float32.
 */
export function cascadeMeanCpu(values: ArrayLike<number>): number {
  const parts = new Float32Array(8);
  for (let b = 0; b < values.length; b++) {
    parts[0] += values[b];
    for (let j = 0; j < 7; j++) {
      if ((b & (15 << (4 * j))) !== 0) break;
      parts[j + 1] += parts[j];
      parts[j] = 0;
    }
  }
  let total = 0;
  for (let j = 0; j < 8; j++) total = Math.fround(total + parts[j]);
  return Math.fround(total / values.length);
}

/** `F.cross_entropy(logits, targets)` (mean over rows) for logits `[rows, vocab]`. */
export function crossEntropyCpu(
  logits: Float32Array,
  targets: ArrayLike<number>,
  vocab: number,
): number {
  return cascadeMeanCpu(rowLossesCpu(logits, targets, vocab));
}

/**
 * The gradient of the mean cross-entropy with respect to the logits,
 * `(softmax(x) − onehot(target)) / rows`, as PyTorch's log_softmax backward computes it:
 * `g − exp(log_softmax(x)) · (−1/rows)` with `g = −1/rows` at the target, 0 elsewhere.
 */
export function crossEntropyGradCpu(
  logits: Float32Array,
  targets: ArrayLike<number>,
  vocab: number,
): Float32Array {
  const f = Math.fround;
  const stats = rowStatsCpu(logits, vocab);
  const rows = targets.length;
  const g = -f(1 / rows);
  const grad = new Float32Array(logits.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < vocab; c++) {
      const logP = f(f(logits[r * vocab + c] - stats[2 * r]) - stats[2 * r + 1]);
      const p = f(Math.exp(logP));
      grad[r * vocab + c] = f((c === targets[r] ? g : 0) - f(p * g));
    }
  }
  return grad;
}
