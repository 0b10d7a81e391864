// The row reduction of the softmax and cross-entropy kernels, in plain TypeScript: shared by
// their CPU references, so that both sum a row's exponentials in the kernels' order.

/** Lanes of a row reduction: each sums every ROW_LANES-th column, then a tree combines them. */
export const ROW_LANES = 64;

/**
 * The maximum of each row of `x` `[rows, vocab]` and the sum of exp(x − max), reduced as the
 * kernels do: ROW_LANES strided float32 partial sums combined by a tree. Returns
 * `[max0, sum0, max1, sum1, …]`.
 */
export function rowMaxSumCpu(x: Float32Array, vocab: number): Float32Array {
  const rows = vocab === 0 ? 0 : x.length / vocab;
  const stats = new Float32Array(2 * rows);
  const partial = new Float32Array(ROW_LANES);
  for (let r = 0; r < rows; r++) {
    const base = r * vocab;
    let m = -3.4028234663852886e38;
    for (let c = 0; c < vocab; c++) m = Math.max(m, x[base + c]);
    partial.fill(0);
    for (let lane = 0; lane < ROW_LANES; lane++) {
      for (let c = lane; c < vocab; c += ROW_LANES) {
        partial[lane] += Math.fround(Math.exp(Math.fround(x[base + c] - m)));
      }
    }
    for (let stride = ROW_LANES / 2; stride > 0; stride >>= 1) {
      for (let lane = 0; lane < stride; lane++) partial[lane] += partial[lane + stride];
    }
    stats[2 * r] = m;
    stats[2 * r + 1] = partial[0];
  }
  return stats;
}
