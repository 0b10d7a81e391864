import { InputError } from "../util/errors.ts";
import { checkInteger, describe } from "../util/checks.ts";
import { flattenNested, indexPath, type NestedArray } from "../util/nested_array.ts";
import { TorchGenerator } from "../util/torch_rng.ts";

/**
 * Where an embedding table's weights come from:
 * - `{ seed }`: PyTorch's `torch.manual_seed(seed)` then `nn.Embedding`'s `normal_(0, 1)`;
 * - `{ generator }`: the next values of a {@linkcode TorchGenerator}'s stream, so that several
 *   tables continue one stream as PyTorch does (the book: token table first, then positions);
 * - `{ weight }`: given values, a `Float32Array` of `rows × dim` or nested `[rows][dim]` arrays;
 *   NaN and ±Infinity (also numbers beyond float32's range) are an {@linkcode InputError} naming
 *   the first one, unless `allowNonFinite: true`.
 */
export type EmbeddingInit =
  | { readonly seed: number }
  | { readonly generator: TorchGenerator }
  | {
    readonly weight: Float32Array | NestedArray;
    /** Accept NaN and ±Infinity among the weights. Default: `false`. */
    readonly allowNonFinite?: boolean;
  };

/** Checks the table's size and `init`, then makes its `rows × dim` weights (CPU work only). */
export function initialWeight(
  rowsParameter: string,
  rows: number,
  dim: number,
  init: EmbeddingInit,
): Float32Array {
  checkInteger(rowsParameter, rows, 1);
  checkInteger("dim", dim, 1);
  if (typeof init !== "object" || init === null) {
    throw new InputError(
      "init",
      `must be { seed }, { generator } or { weight }, got ${describe(init)}`,
    );
  }
  if ("seed" in init) return new TorchGenerator(init.seed).normal(rows * dim);
  if ("generator" in init) {
    if (!(init.generator instanceof TorchGenerator)) {
      throw new InputError(
        "init.generator",
        `must be a TorchGenerator, got ${describe(init.generator)}`,
      );
    }
    return init.generator.normal(rows * dim);
  }
  if ("weight" in init) {
    const { allowNonFinite = false } = init;
    if (typeof allowNonFinite !== "boolean") {
      throw new InputError(
        "init.allowNonFinite",
        `must be true or false, got ${describe(allowNonFinite)}`,
      );
    }
    const weight = givenWeight(init.weight, rowsParameter, rows, dim);
    if (!allowNonFinite) checkFinite(init.weight, weight, [rows, dim]);
    return weight;
  }
  throw new InputError("init", "must have a seed, a generator or a weight");
}

function givenWeight(
  weight: unknown,
  rowsParameter: string,
  rows: number,
  dim: number,
): Float32Array {
  if (weight instanceof Float32Array) {
    if (weight.length !== rows * dim) {
      throw new InputError(
        "init.weight",
        `must hold ${rowsParameter} × dim = ${rows} × ${dim} = ${
          rows * dim
        } values, got ${weight.length}`,
      );
    }
    return weight.slice();
  }
  if (Array.isArray(weight)) {
    const { values, shape } = flattenNested(weight, "init.weight");
    if (shape.length !== 2 || shape[0] !== rows || shape[1] !== dim) {
      throw new InputError(
        "init.weight",
        `must have shape [${rows}, ${dim}] (${rowsParameter}, dim), got [${shape.join(", ")}]`,
      );
    }
    return Float32Array.from(values);
  }
  throw new InputError(
    "init.weight",
    `must be a Float32Array or nested arrays of numbers, got ${describe(weight)}`,
  );
}

/** Throws an {@linkcode InputError} naming the first weight that is not finite as float32. */
function checkFinite(
  given: Float32Array | NestedArray,
  weight: Float32Array,
  shape: readonly number[],
): void {
  for (let i = 0; i < weight.length; i++) {
    if (Number.isFinite(weight[i])) continue;
    // Nested numbers may be finite yet overflow float32: report the number as given.
    const original = given instanceof Float32Array
      ? weight[i]
      : flattenNested(given, "init.weight").values[i];
    throw new InputError(
      "init.weight",
      `must hold finite numbers, but init.weight${indexPath(i, shape)} is ${describe(original)}` +
        (Number.isFinite(original) ? " (beyond float32's range)" : "") +
        "; pass allowNonFinite: true to allow NaN and ±Infinity",
    );
  }
}
