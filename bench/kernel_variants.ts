// The designs tried for the fused gather + positional add, runnable side by side: the ones kept
// for the record (bench/kernels/*.wgsl, self-contained) and the default design
// (src/gpu/kernels/embedding/embedding_program.ts, prepared through its host code) at several rows per
// invocation. Each variant records its dispatches into a compute pass over the same inputs, so
// that the benchmark can time many in one submit and the tests can check each against the CPU
// reference.
import naiveChunk from "./kernels/naive_chunk.wgsl" with { type: "text" };
import rowLoop from "./kernels/row_loop.wgsl" with { type: "text" };
import vec4OneD from "./kernels/vec4_1d.wgsl" with { type: "text" };
import workgroupRow from "./kernels/workgroup_row.wgsl" with { type: "text" };
import type { GpuDevice, Tensor } from "../mod.ts";
import { dispatchGrid, kernelFor, type PreparedRun } from "../src/gpu/kernels/compute_kernel.ts";
import {
  type KernelLayout,
  ROWS_PER_INVOCATION,
} from "../src/gpu/kernels/embedding/embedding_program.ts";
import { gatherPositionalAddCall } from "../src/gpu/kernels/embedding/gather_positional_add.ts";

/** What every variant reads and writes: out[b, t, :] = table[ids[b, t], :] + positions[t, :]. */
export interface VariantInputs {
  table: Tensor<"f32">;
  positions: Tensor<"f32">;
  ids: Tensor<"u32">;
  out: Tensor<"f32">;
  batch: number;
  seq: number;
}

/** A variant bound to its inputs, ready to record into a compute pass. */
export type PreparedVariant = PreparedRun;

/** One design of the fused kernel. */
export interface KernelVariant {
  /** A short name for tables. */
  name: string;
  /** The design in a few words. */
  design: string;
  /** Whether it needs dim to be a multiple of 4 (vec4 loads). */
  vec4Only: boolean;
  /** Where it is the module's default kernel, if anywhere. */
  defaultFor?: "GPUs" | "CPU adapters";
  prepare(gpu: GpuDevice, inputs: VariantInputs): Promise<PreparedVariant>;
}

/** A self-contained variant: bindings 1 ids, 2 table, 3 positions, 4 out; a 1D (folded) grid. */
function standalone(
  name: string,
  design: string,
  code: string,
  vec4Only: boolean,
  work: (inputs: VariantInputs, dim: number) => { uniforms: number[]; invocations: number },
): KernelVariant {
  return {
    name,
    design,
    vec4Only,
    prepare(gpu, inputs) {
      const { uniforms, invocations } = work(inputs, inputs.table.shape[1]);
      const grid = dispatchGrid(invocations, gpu.limits.maxComputeWorkgroupsPerDimension, 64);
      return kernelFor(name, code).prepare(gpu, {
        storage: [
          [1, { buffer: inputs.ids.buffer }],
          [2, { buffer: inputs.table.buffer }],
          [3, { buffer: inputs.positions.buffer }],
          [4, { buffer: inputs.out.buffer }],
        ],
        dispatches: [{ uniforms: Uint32Array.from(uniforms), grid }],
      });
    },
  };
}

/** The module's designs (layout), at `rows` rows per invocation (the default is 4). */
function moduleDesign(layout: KernelLayout, rows: number): KernelVariant {
  const defaultFor = rows !== ROWS_PER_INVOCATION
    ? undefined
    : layout === "columns"
    ? "GPUs"
    : "CPU adapters";
  return {
    name: `${layout === "columns" ? "across columns, 3D grid" : "across rows, column loop"}, ` +
      `${rows} row${rows === 1 ? "" : "s"}/invocation` +
      (defaultFor === undefined ? "" : ` (default for ${defaultFor})`),
    design: layout === "columns"
      ? `x = vec4 column, y = position, z = group of ${rows} sequences sharing the ` +
        "positional load; no run-time division; coalesced"
      : `x = position, y = group of ${rows} sequences sharing each positional load and ` +
        "reading their ids once; a loop over the vec4 columns",
    vec4Only: false,
    defaultFor,
    prepare(gpu, inputs) {
      const { kernel, run } = gatherPositionalAddCall(
        inputs.table,
        inputs.positions,
        { buffer: inputs.ids.buffer },
        inputs.out,
        { layout, rowsPerInvocation: rows },
      );
      return kernel.prepare(gpu, run);
    },
  };
}

const rowsOf = (inputs: VariantInputs) => inputs.batch * inputs.seq;

/** Every variant, the first fused kernel first. */
export const VARIANTS: readonly KernelVariant[] = [
  standalone(
    "naive: invocation per 4 columns",
    "1D grid, row and column by run-time division, scalar loads (the first kernel)",
    naiveChunk,
    false,
    (inputs, dim) => {
      const chunks = Math.ceil(dim / 4);
      const total = rowsOf(inputs) * chunks;
      return { uniforms: [total, dim, chunks, inputs.seq], invocations: total };
    },
  ),
  standalone(
    "vec4, 1D grid",
    "one invocation per vec4, vec4 loads, row and column by run-time division",
    vec4OneD,
    true,
    (inputs, dim) => {
      const total = rowsOf(inputs) * (dim / 4);
      return { uniforms: [total, dim / 4, inputs.seq, 0], invocations: total };
    },
  ),
  standalone(
    "invocation per row, loop",
    "one invocation per token row looping over its vec4s",
    rowLoop,
    true,
    (inputs, dim) => ({
      uniforms: [rowsOf(inputs), dim / 4, inputs.seq, 0],
      invocations: rowsOf(inputs),
    }),
  ),
  standalone(
    "workgroup per row",
    "one workgroup of 64 per token row, invocations striding over its vec4s",
    workgroupRow,
    true,
    (inputs, dim) => ({
      uniforms: [rowsOf(inputs), dim / 4, inputs.seq, 0],
      invocations: rowsOf(inputs) * 64, // one workgroup of 64 per row
    }),
  ),
  ...[1, 2, 4, 8].map((rows) => moduleDesign("columns", rows)),
  ...[1, 2, 4, 8].map((rows) => moduleDesign("rows", rows)),
];
