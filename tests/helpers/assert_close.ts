// Element-wise float comparison for tests: |actual − expected| <= atol + rtol · |expected|.
import { AssertionError } from "node:assert/strict";

/** Tolerances of {@linkcode assertClose}; both default to 0 (exact equality). */
export interface Tolerance {
  atol?: number;
  rtol?: number;
}

/**
 * Asserts that two equally long number sequences agree element by element within
 * `atol + rtol · |expected|`, reporting the first element that does not (and how many do not).
 * NaN matches only NaN.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { atol = 0, rtol = 0 }: Tolerance = {},
  what = "values",
): void {
  if (actual.length !== expected.length) {
    throw new AssertionError({
      message: `${what}: length ${actual.length}, expected ${expected.length}`,
    });
  }
  let first = -1;
  let mismatches = 0;
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const close = Number.isNaN(e) ? Number.isNaN(a) : Math.abs(a - e) <= atol + rtol * Math.abs(e);
    if (!close) {
      if (first < 0) first = i;
      mismatches++;
      worst = Math.max(worst, Math.abs(a - e));
    }
  }
  if (first >= 0) {
    throw new AssertionError({
      message: `${what}: ${mismatches} of ${actual.length} differ beyond atol=${atol}, ` +
        `rtol=${rtol}; first at index ${first}: ${actual[first]} vs expected ${expected[first]} ` +
        `(largest difference ${worst})`,
    });
  }
}

/** Asserts `|actual − expected| <= atol + rtol · |expected|` for one number. */
export function assertCloseTo(
  actual: number,
  expected: number,
  tolerance: Tolerance,
  what = "value",
): void {
  assertClose([actual], [expected], tolerance, what);
}
