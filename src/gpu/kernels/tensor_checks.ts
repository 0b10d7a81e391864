// Checks of tensor arguments shared by the kernels' host functions; all run before GPU work.
import { InputError } from "../../errors.ts";
import { describe } from "../../internal/checks.ts";
import type { GpuDevice } from "../device.ts";
import { disposedError, Tensor } from "../tensor.ts";

/** Throws unless `tensor` is a live `f32` tensor of the given rank (or at least `minRank`). */
export function checkFloatTensor(
  parameter: string,
  tensor: unknown,
  rank: { exactly: number } | { atLeast: number },
): asserts tensor is Tensor<"f32"> {
  if (!(tensor instanceof Tensor)) {
    throw new InputError(parameter, `must be a Tensor, got ${describe(tensor)}`);
  }
  if (tensor.disposed) throw disposedError(parameter, tensor);
  if (tensor.dtype !== "f32") {
    throw new InputError(parameter, `must be an f32 tensor, got ${tensor.dtype}`);
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
