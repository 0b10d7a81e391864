// Builds the embedding backward programs from their WGSL parts: a body plus row access by
// chunks of 4 columns (vec4 loads when the dimension allows). Each dimension gets its own
// pipeline, compiled once per device.
import positionalBody from "../../../../shaders/embedding_backward/positional_backward.wgsl" with {
  type: "text",
};
import rowsAny from "../../../../shaders/embedding_backward/rows_f32.wgsl" with { type: "text" };
import rowsX4 from "../../../../shaders/embedding_backward/rows_f32x4.wgsl" with { type: "text" };
import tokenBody from "../../../../shaders/embedding_backward/token_backward.wgsl" with {
  type: "text",
};
import { type ComputeKernel, kernelFor } from "../compute_kernel.ts";

/** A backward program and the numbers its dispatches need. */
export interface BackwardProgram {
  kernel: ComputeKernel;
  /** Chunks of 4 columns per row: `ceil(dim / 4)`. */
  chunks: number;
  /** Invocations per workgroup, along x (the chunks). */
  workgroupSize: number;
}

/** The token (`"token"`) or positional (`"position"`) backward program for rows of `dim`. */
export function backwardProgram(body: "token" | "position", dim: number): BackwardProgram {
  const chunks = Math.ceil(dim / 4);
  // Narrow rows get narrow workgroups (8: llvmpipe's SIMD width), wide rows span several.
  const workgroupSize = Math.min(64, Math.max(8, 2 ** Math.ceil(Math.log2(Math.max(1, chunks)))));
  const code = [
    `const DIM: u32 = ${dim}u;`,
    `const CHUNKS: u32 = ${chunks}u;`,
    `const WORKGROUP_SIZE: u32 = ${workgroupSize}u;`,
    dim % 4 === 0 ? rowsX4 : rowsAny,
    body === "token" ? tokenBody : positionalBody,
  ].join("\n");
  const label = body === "token" ? "token embedding backward" : "positional embedding backward";
  return { kernel: kernelFor(label, code), chunks, workgroupSize };
}
