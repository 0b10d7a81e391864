// The designs tried for the fused gather + positional add, runnable side by side: the ones kept
// for the record (bench/kernels/*.wgsl, self-contained) and the default design
// (src/gpu/kernels/embedding_program.ts) at several rows per invocation. Each variant records its
// dispatches into a compute pass over the same inputs, so that the benchmark can time many in
// one submit and the tests can check each against the CPU reference.
import naiveChunk from "./kernels/naive_chunk.wgsl" with { type: "text" };
import rowLoop from "./kernels/row_loop.wgsl" with { type: "text" };
import vec4OneD from "./kernels/vec4_1d.wgsl" with { type: "text" };
import workgroupRow from "./kernels/workgroup_row.wgsl" with { type: "text" };
import type { GpuDevice, Tensor } from "../mod.ts";
import { type Dispatch, dispatchGrid } from "../src/gpu/kernels/compute_kernel.ts";
import {
  embeddingDispatches,
  embeddingProgram,
  type KernelLayout,
  ROWS_PER_INVOCATION,
  tableBindings,
} from "../src/gpu/kernels/embedding_program.ts";

/** What every variant reads and writes: out[b, t, :] = table[ids[b, t], :] + positions[t, :]. */
export interface VariantInputs {
  table: Tensor<"f32">;
  positions: Tensor<"f32">;
  ids: Tensor<"u32">;
  out: Tensor<"f32">;
  batch: number;
  seq: number;
}

/** A variant bound to its inputs, ready to record. */
export interface PreparedVariant extends Disposable {
  /** Records the variant's dispatches into `pass`. */
  record(pass: GPUComputePassEncoder): void;
}

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

/** Binds `dispatches` (uniform slots in one buffer) and records them with `pipeline`. */
function prepared(
  gpu: GpuDevice,
  pipeline: GPUComputePipeline,
  storage: GPUBindGroupEntry[],
  dispatches: readonly Dispatch[],
): PreparedVariant {
  const device = gpu.device;
  const stride = Math.max(256, device.limits.minUniformBufferOffsetAlignment);
  const uniform = gpu.createBuffer({
    label: "variant uniforms",
    size: stride * dispatches.length,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  dispatches.forEach((d, i) => gpu.write(uniform, d.uniforms, i * stride));
  const groups = dispatches.map((_, i) =>
    device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: uniform, offset: i * stride, size: 16 } },
        ...storage,
      ],
    })
  );
  return {
    record(pass) {
      pass.setPipeline(pipeline);
      dispatches.forEach((d, i) => {
        pass.setBindGroup(0, groups[i]);
        pass.dispatchWorkgroups(d.grid.x, d.grid.y, d.grid.z ?? 1);
      });
    },
    [Symbol.dispose]() {
      gpu.releaseBuffer(uniform);
    },
  };
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
    async prepare(gpu, inputs) {
      const pipeline = await gpu.checked(
        `compiling ${name}`,
        (device) =>
          device.createComputePipeline({
            label: name,
            layout: "auto",
            compute: { module: device.createShaderModule({ code }), entryPoint: "main" },
          }),
      );
      const { uniforms, invocations } = work(inputs, inputs.table.shape[1]);
      const grid = dispatchGrid(invocations, gpu.limits.maxComputeWorkgroupsPerDimension, 64);
      return prepared(gpu, pipeline, [
        { binding: 1, resource: { buffer: inputs.ids.buffer } },
        { binding: 2, resource: { buffer: inputs.table.buffer } },
        { binding: 3, resource: { buffer: inputs.positions.buffer } },
        { binding: 4, resource: { buffer: inputs.out.buffer } },
      ], [{ uniforms: Uint32Array.from(uniforms), grid }]);
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
    async prepare(gpu, inputs) {
      const program = embeddingProgram("fused", inputs.table, undefined, {
        layout,
        rowsPerInvocation: rows,
      });
      const pipeline = await program.kernel.pipeline(gpu);
      return prepared(gpu, pipeline, [
        { binding: 1, resource: { buffer: inputs.out.buffer } },
        { binding: 2, resource: { buffer: inputs.positions.buffer } },
        { binding: 3, resource: { buffer: inputs.ids.buffer } },
        ...tableBindings(inputs.table).map(([binding, resource]) => ({ binding, resource })),
      ], embeddingDispatches(gpu, program, inputs.batch, inputs.seq));
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
