// Plain TypeScript versions of the embedding kernels: the reference the GPU results are tested
// against, and the CPU contender in benchmarks. Row-major float32 throughout, like the kernels.

/** `out[r, :] = table[ids[r], :]` for `rows = ids.length` and a `[vocab, dim]` table. */
export function gatherCpu(ids: ArrayLike<number>, table: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(ids.length * dim);
  for (let row = 0; row < ids.length; row++) {
    const source = ids[row] * dim;
    out.set(table.subarray(source, source + dim), row * dim);
  }
  return out;
}

/** `out[r, :] = x[r, :] + positions[r % seq, :]` for `x` `[rows, dim]` (rows a multiple of `seq`). */
export function positionalAddCpu(
  x: Float32Array,
  positions: Float32Array,
  seq: number,
  dim: number,
): Float32Array {
  const out = new Float32Array(x.length);
  const rows = dim === 0 ? 0 : x.length / dim;
  for (let row = 0; row < rows; row++) {
    const base = row * dim;
    const position = (row % seq) * dim;
    for (let column = 0; column < dim; column++) {
      out[base + column] = x[base + column] + positions[position + column];
    }
  }
  return out;
}

/** `out[r, :] = table[ids[r], :] + positions[r % seq, :]`: the fused kernel's result. */
export function gatherPositionalAddCpu(
  ids: ArrayLike<number>,
  table: Float32Array,
  positions: Float32Array,
  seq: number,
  dim: number,
): Float32Array {
  const out = new Float32Array(ids.length * dim);
  for (let row = 0; row < ids.length; row++) {
    const source = ids[row] * dim;
    const position = (row % seq) * dim;
    const base = row * dim;
    for (let column = 0; column < dim; column++) {
      out[base + column] = table[source + column] + positions[position + column];
    }
  }
  return out;
}
