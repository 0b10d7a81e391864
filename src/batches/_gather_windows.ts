import type { TokenArray } from "../tokenize/token_ids.ts";

/**
 * Copies `rows` windows into row-major `[rows, seqLength]` batch arrays: row `r` of `inputs` gets
 * `ids[starts[r], starts[r] + seqLength)` and row `r` of `targets` the same span shifted by one.
 * The caller guarantees every `starts[r] + seqLength + 1 <= ids.length`.
 *
 * @example
 * ```ts
 * import { gatherWindows } from "./_gather_windows.ts";
 * import assert from "node:assert/strict";
 *
 * const ids = Uint32Array.of(10, 11, 12, 13, 14);
 * const inputs = new Uint32Array(4);
 * const targets = new Uint32Array(4);
 * gatherWindows(ids, Uint32Array.of(2, 0), 2, 2, inputs, targets);
 * assert.deepEqual([...inputs], [12, 13, 10, 11]);
 * assert.deepEqual([...targets], [13, 14, 11, 12]);
 * ```
 */
export function gatherWindows(
  ids: TokenArray,
  starts: Uint32Array,
  rows: number,
  seqLength: number,
  inputs: Uint32Array,
  targets: Uint32Array,
): void {
  // Rows shorter than about 64 ids copy faster element by element than through a subarray view.
  const byView = seqLength >= 64;
  for (let row = 0, offset = 0; row < rows; row++, offset += seqLength) {
    const start = starts[row];
    if (byView) {
      inputs.set(ids.subarray(start, start + seqLength), offset);
      targets.set(ids.subarray(start + 1, start + 1 + seqLength), offset);
    } else {
      for (let i = 0; i < seqLength; i++) {
        inputs[offset + i] = ids[start + i];
        targets[offset + i] = ids[start + 1 + i];
      }
    }
  }
}
