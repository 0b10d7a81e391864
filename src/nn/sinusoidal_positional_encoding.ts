import { checkInteger } from "../util/checks.ts";

/**
 * The fixed positional encoding of the original Transformer ("Attention Is All You Need"):
 * `PE[pos, 2i] = sin(pos / 10000^(2i / dim))` and `PE[pos, 2i + 1] = cos(pos / 10000^(2i /
 * dim))`, a `[contextLength, dim]` table computed in float64 and rounded to float32. Unlike
 * GPT's learned table it has no parameters to train; use it as a position table with
 * {@linkcode PositionalEmbedding.sinusoidal}.
 *
 * @example
 * ```ts
 * import { sinusoidalPositionalEncoding } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const table = sinusoidalPositionalEncoding(3, 4);
 * assert.deepEqual([...table.subarray(0, 4)], [0, 1, 0, 1]); // position 0: sin 0, cos 0, …
 * assert.equal(table[4], Math.fround(Math.sin(1))); // position 1, column 0
 * assert.equal(table[6], Math.fround(Math.sin(1 / 100))); // column 2: 10000^(2/4) = 100
 * ```
 *
 * @param contextLength Positions (rows), an integer >= 1.
 * @param dim Columns, an integer >= 1 (an odd last column is a sine).
 * @returns The table, row-major.
 */
export function sinusoidalPositionalEncoding(contextLength: number, dim: number): Float32Array {
  checkInteger("contextLength", contextLength, 1);
  checkInteger("dim", dim, 1);
  const table = new Float32Array(contextLength * dim);
  for (let pos = 0; pos < contextLength; pos++) {
    for (let column = 0; column < dim; column++) {
      const pair = column - (column % 2); // 2i
      const angle = pos / 10000 ** (pair / dim);
      table[pos * dim + column] = column % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return table;
}
