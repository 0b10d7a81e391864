// The row reduction the softmax and cross-entropy kernels share (shaders/row_reduction.wgsl),
// beside the CPU twin their references share (row_reduction_cpu.ts).
import body from "../../../shaders/row_reduction.wgsl" with { type: "text" };
import { ROW_LANES } from "./row_reduction_cpu.ts";

/**
 * WGSL declaring `V`, `WORKGROUP_SIZE` (`ROW_LANES`) and `row_stats(row, lane)` for rows
 * `vocab` wide; the kernel composed after it supplies `logit(row, column)` and a `main` with that
 * workgroup size.
 */
export function rowReductionWgsl(vocab: number): string {
  return [`const V: u32 = ${vocab}u;`, `const WORKGROUP_SIZE: u32 = ${ROW_LANES}u;`, body].join(
    "\n",
  );
}
