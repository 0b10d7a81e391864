// Plain TypeScript versions of the embedding backward kernels, summing in the kernels' order:
// the reference the GPU results are tested against. Row-major float32 throughout.

/**
 * `grad[id, :] += Σ gradOutput[r, :]` over the rows `r` whose id is `id`, the rows summed in
 * ascending order from zero before being added to `grad` (PyTorch's `index_add_` into a zero
 * table, then accumulated into `.grad`).
 *
 * @param gradOutput `[rows, dim]`, `rows = ids.length`.
 * @param ids One id per row, in `[0, vocab)`.
 * @param grad `[vocab, dim]`, added to in place.
 * @param dim Columns.
 */
export function embeddingBackwardCpu(
  gradOutput: Float32Array,
  ids: ArrayLike<number>,
  grad: Float32Array,
  dim: number,
): Float32Array {
  const vocab = dim === 0 ? 0 : grad.length / dim;
  const sums = new Float32Array(vocab * dim);
  for (let row = 0; row < ids.length; row++) {
    const target = ids[row] * dim;
    for (let c = 0; c < dim; c++) sums[target + c] += gradOutput[row * dim + c];
  }
  const touched = new Uint8Array(vocab);
  for (let row = 0; row < ids.length; row++) touched[ids[row]] = 1;
  for (let id = 0; id < vocab; id++) {
    if (touched[id] === 0) continue;
    for (let c = 0; c < dim; c++) grad[id * dim + c] += sums[id * dim + c];
  }
  return grad;
}

/**
 * `grad[t, :] += Σ_b gradOutput[b, t, :]`, summed in order `b = 0, 1, …` from zero.
 *
 * @param gradOutput `[batch, seq, dim]`.
 * @param grad `[rows >= seq, dim]`, added to in place (rows past `seq` untouched).
 * @param seq Positions per sequence.
 * @param dim Columns.
 */
export function positionalBackwardCpu(
  gradOutput: Float32Array,
  grad: Float32Array,
  seq: number,
  dim: number,
): Float32Array {
  const batch = seq * dim === 0 ? 0 : gradOutput.length / (seq * dim);
  for (let t = 0; t < seq; t++) {
    for (let c = 0; c < dim; c++) {
      let sum = 0;
      for (let b = 0; b < batch; b++) sum = Math.fround(sum + gradOutput[(b * seq + t) * dim + c]);
      grad[t * dim + c] += sum;
    }
  }
  return grad;
}
