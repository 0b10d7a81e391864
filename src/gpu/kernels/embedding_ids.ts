import { InputError } from "../../util/errors.ts";
import { describe } from "../../util/checks.ts";
import { flattenNested, indexPath, type NestedArray } from "../../util/nested_array.ts";

/**
 * Token ids on the CPU, as the embedding kernels take them (they are checked against the
 * vocabulary before anything is dispatched): nested arrays such as `[[40, 367], [1807, 3619]]`,
 * a 1-D `Int32Array`/`Uint32Array`, or such an array (or plain numbers) with its shape, e.g.
 * `{ data: batch, shape: [8, 4] }`.
 */
export type EmbeddingIds =
  | NestedArray
  | Int32Array
  | Uint32Array
  | {
    readonly data: Int32Array | Uint32Array | readonly number[];
    readonly shape: readonly number[];
  };

/** Checked ids: their values as `u32` (the kernels' type) and their shape. */
export interface CheckedIds {
  data: Uint32Array;
  shape: number[];
}

/**
 * Checks token ids before any GPU work: integers in `[0, vocabSize)`, in an array of a known
 * shape. The first bad id is reported with its position, e.g. `ids[1][3] is 50257`.
 */
export function checkEmbeddingIds(
  parameter: string,
  ids: EmbeddingIds,
  vocabSize: number,
): CheckedIds {
  const { values, shape } = flatten(parameter, ids);
  const data = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const id = values[i];
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new InputError(
        parameter,
        `must hold token ids in [0, ${vocabSize - 1}] (the vocabulary size is ${vocabSize}), ` +
          `but ${parameter}${indexPath(i, shape)} is ${describe(id)}`,
      );
    }
    data[i] = id;
  }
  return { data, shape };
}

function flatten(
  parameter: string,
  ids: unknown,
): { values: ArrayLike<number>; shape: number[] } {
  if (ids instanceof Int32Array || ids instanceof Uint32Array) {
    return { values: ids, shape: [ids.length] };
  }
  if (Array.isArray(ids)) {
    const { values, shape } = flattenNested(ids, parameter);
    return { values, shape };
  }
  if (typeof ids === "object" && ids !== null && "data" in ids && "shape" in ids) {
    const { data, shape } = ids as { data: unknown; shape: unknown };
    if (
      !(data instanceof Int32Array || data instanceof Uint32Array ||
        (Array.isArray(data) && data.every((v) => typeof v === "number")))
    ) {
      throw new InputError(
        `${parameter}.data`,
        `must be an Int32Array, a Uint32Array or an array of integers, got ${describe(data)}`,
      );
    }
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new InputError(
        `${parameter}.shape`,
        `must be an array of integers >= 0, got ${describe(shape)}`,
      );
    }
    const size = shape.reduce((a: number, b: number) => a * b, 1);
    if (size !== data.length) {
      throw new InputError(
        `${parameter}.shape`,
        `[${shape.join(", ")}] holds ${size} ids, but ${parameter}.data has ${data.length}`,
      );
    }
    return { values: data, shape: [...shape] };
  }
  throw new InputError(
    parameter,
    `must be token ids: nested arrays of integers, an Int32Array or Uint32Array, or { data, shape }; got ${
      describe(ids)
    }`,
  );
}
