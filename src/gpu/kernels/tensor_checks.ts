// Checks of tensor arguments shared by the kernels' host functions; all run before GPU work.
import { InputError } from "../../util/errors.ts";
import { describe } from "../../util/checks.ts";
import type { GpuDevice } from "../device.ts";
import { disposedError, type DType, Tensor } from "../tensor.ts";

/** Element types a token table may have. */
export type TableDType = "f32" | "f16";

/** Throws unless `tensor` is a live `f32` tensor of the given rank (or at least `minRank`). */
export function checkFloatTensor(
  parameter: string,
  tensor: unknown,
  rank: { exactly: number } | { atLeast: number },
): asserts tensor is Tensor<"f32"> {
  checkTensor(parameter, tensor, rank, ["f32"]);
}

/** Throws unless `table` is a live `[vocab, dim]` token table of `f32` or `f16`. */
export function checkTableTensor(
  parameter: string,
  table: unknown,
): asserts table is Tensor<TableDType> {
  checkTensor(parameter, table, { exactly: 2 }, ["f32", "f16"]);
}

/**
 * Throws unless `tensor` fits one storage binding (positional tables and the input of the
 * positional add are bound whole; only token tables and streams are split into segments).
 */
export function checkOneBinding(parameter: string, tensor: Tensor): void {
  if (tensor.segments.length > 1) {
    throw new InputError(
      parameter,
      `is ${tensor.byteLength} bytes, more than one storage binding holds ` +
        `(maxStorageBufferBindingSize ${tensor.device.limits.maxStorageBufferBindingSize})`,
    );
  }
}

function checkTensor(
  parameter: string,
  tensor: unknown,
  rank: { exactly: number } | { atLeast: number },
  dtypes: readonly DType[],
): asserts tensor is Tensor {
  if (!(tensor instanceof Tensor)) {
    throw new InputError(parameter, `must be a Tensor, got ${describe(tensor)}`);
  }
  if (tensor.disposed) throw disposedError(parameter, tensor);
  if (!dtypes.includes(tensor.dtype)) {
    throw new InputError(
      parameter,
      `must be ${dtypes.map((d) => `an ${d}`).join(" or ")} tensor, got ${tensor.dtype}`,
    );
  }
  const ok = "exactly" in rank
    ? tensor.shape.length === rank.exactly
    : tensor.shape.length >= rank.atLeast;
  if (!ok) {
    const wanted = "exactly" in rank ? `${rank.exactly}` : `at least ${rank.atLeast}`;
    throw new InputError(
      parameter,
      `must have ${wanted} dimensions, got shape [${tensor.shape.join(", ")}]`,
    );
  }
}

/** Throws unless every tensor lives on the first one's device; returns that device. */
export function sameDevice(tensors: Record<string, Tensor>): GpuDevice {
  const [[, first], ...rest] = Object.entries(tensors);
  for (const [parameter, tensor] of rest) {
    if (tensor.device !== first.device) {
      throw new InputError(parameter, "lives on another GPU device than the other tensors");
    }
  }
  return first.device;
}
