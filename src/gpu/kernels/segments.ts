// Kernels that write a table bind one segment of it per dispatch (see Tensor.segments): the
// binding count stays fixed whatever the table's size, and tensors laid out alike (a parameter,
// its gradient, its optimizer moments) are bound segment by segment together.
import { InputError } from "../../util/errors.ts";
import { Tensor } from "../tensor.ts";

/** Bytes of one row of the first dimension of an `f32` tensor. */
function rowBytes(tensor: Tensor): number {
  const rows = tensor.shape.length === 0 ? 1 : tensor.shape[0];
  return rows === 0 ? 0 : (tensor.size * 4) / rows;
}

/**
 * A new `f32` tensor of zeros shaped and split into segments exactly like `like` (same rows per
 * segment), so that kernels can bind the two segment by segment.
 */
export function zerosLike(like: Tensor, label: string): Promise<Tensor<"f32">> {
  const split = like.segments.length > 1;
  return Tensor.zeros(like.device, like.shape, "f32", label, {
    maxBindingBytes: split ? like.segmentRows * rowBytes(like) : undefined,
  });
}

/** Throws unless `tensor` has `reference`'s shape and segments of the same rows. */
export function checkSameLayout(
  parameter: string,
  tensor: Tensor,
  reference: Tensor,
  referenceName: string,
): void {
  const same = tensor.shape.length === reference.shape.length &&
    tensor.shape.every((d, i) => d === reference.shape[i]);
  if (!same) {
    throw new InputError(
      parameter,
      `must have the shape of ${referenceName} [${reference.shape.join(", ")}], got ` +
        `[${tensor.shape.join(", ")}]`,
    );
  }
  const segments = tensor.segments;
  const expected = reference.segments;
  if (
    segments.length !== expected.length ||
    segments.some((s, i) => s.firstRow !== expected[i].firstRow || s.rows !== expected[i].rows)
  ) {
    throw new InputError(
      parameter,
      `must be split into segments like ${referenceName} (${expected.length} of ` +
        `${reference.segmentRows} rows), got ${segments.length} of ${tensor.segmentRows} rows; ` +
        "create it with the same storage options",
    );
  }
}

/** Segment `index` of `tensor` as a storage binding. */
export function segmentBinding(tensor: Tensor, index: number): GPUBufferBinding {
  const { buffer, offset, size } = tensor.segments[index];
  return { buffer, offset, size };
}

/** Sets every element of `tensor` to zero on the GPU (a clear of each segment, one submit). */
export async function fillZeros(tensor: Tensor): Promise<void> {
  const segments = tensor.segments;
  await tensor.device.checked(`zeroing ${tensor.label}`, (device) => {
    const encoder = device.createCommandEncoder({ label: `zero ${tensor.label}` });
    for (const { buffer, offset, size } of segments) encoder.clearBuffer(buffer, offset, size);
    device.queue.submit([encoder.finish()]);
  });
}
