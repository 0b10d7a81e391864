import { InputError } from "./errors.ts";
import { describe } from "./checks.ts";

/** Numbers nested in arrays, one level per dimension, e.g. `[[1, 2], [3, 4]]`. */
export type NestedArray = readonly (number | NestedArray)[];

/**
 * The numbers of rectangular nested arrays in row-major order, and their shape (read along the
 * first element at each depth). A ragged array or a non-number leaf is an {@linkcode InputError}
 * naming its path, e.g. `data[1][2]`.
 */
export function flattenNested(
  data: NestedArray,
  parameter: string,
): { values: number[]; shape: number[] } {
  const shape: number[] = [];
  for (let level: unknown = data; Array.isArray(level); level = level[0]) {
    shape.push(level.length);
    if (level.length === 0) break;
  }
  const values: number[] = [];
  const visit = (value: unknown, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (typeof value !== "number") {
        throw new InputError(path, `must be a number, got ${describe(value)}`);
      }
      values.push(value);
    } else if (!Array.isArray(value) || value.length !== shape[dim]) {
      throw new InputError(
        path,
        `must be an array of length ${shape[dim]} (as its siblings), got ${describe(value)}`,
      );
    } else {
      value.forEach((item, i) => visit(item, dim + 1, `${path}[${i}]`));
    }
  };
  visit(data, 0, parameter);
  return { values, shape };
}

/** The multi-index of a flat row-major index, as written in code: `[1][3]` for 7 in shape [2, 4]. */
export function indexPath(index: number, shape: readonly number[]): string {
  let text = "";
  let rest = index;
  let stride = shape.reduce((a, b) => a * b, 1);
  for (const length of shape) {
    stride /= length;
    text += `[${Math.floor(rest / stride)}]`;
    rest %= stride;
  }
  return text;
}
