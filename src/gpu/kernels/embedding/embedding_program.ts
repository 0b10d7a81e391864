// Builds the embedding programs from their WGSL parts (shaders/*.wgsl): a body (the dispatch
// layout) plus access functions for the token table (by element type and alignment), the rows
// (positions and output) and the ids (given, or read from a GPU-resident stream). The host
// generates the one part WGSL cannot express: a binding per table segment (or stream chunk) and a
// switch that picks the segment. Shapes are compile-time constants, so each table layout gets its
// own specialised pipeline (compiled once per device).
import fusedBody from "../../../../shaders/embedding/gather_positional_add.wgsl" with {
  type: "text",
};
import fusedRowsBody from "../../../../shaders/embedding/gather_positional_add_rows.wgsl" with {
  type: "text",
};
import gatherBody from "../../../../shaders/embedding/gather.wgsl" with { type: "text" };
import gatherRowsBody from "../../../../shaders/embedding/gather_rows.wgsl" with { type: "text" };
import windowIdsBody from "../../../../shaders/embedding/window_ids.wgsl" with { type: "text" };
import idsArray from "../../../../shaders/embedding/ids.wgsl" with { type: "text" };
import idsStream from "../../../../shaders/embedding/ids_stream.wgsl" with { type: "text" };
import rowsAny from "../../../../shaders/embedding/rows.wgsl" with { type: "text" };
import rowsX4 from "../../../../shaders/embedding/rows_x4.wgsl" with { type: "text" };
import tableF16 from "../../../../shaders/embedding/table_f16.wgsl" with { type: "text" };
import tableF16x4 from "../../../../shaders/embedding/table_f16x4.wgsl" with { type: "text" };
import tableF32 from "../../../../shaders/embedding/table_f32.wgsl" with { type: "text" };
import tableF32x4 from "../../../../shaders/embedding/table_f32x4.wgsl" with { type: "text" };
import { InputError } from "../../../util/errors.ts";
import type { GpuDevice, KernelLayout } from "../../device.ts";
import type { Tensor } from "../../tensor.ts";
import { type ComputeKernel, type Dispatch, kernelFor } from "../compute_kernel.ts";
import type { TableDType } from "../tensor_checks.ts";

/**
 * Rows each invocation computes (sharing one positional load): the fastest of 1, 2, 4 and 8 in
 * bench/kernel_variants_bench.ts.
 */
export const ROWS_PER_INVOCATION = 4;

/** Options of {@linkcode embeddingProgram} other than the defaults (for benchmarks and tests). */
export interface ProgramOptions {
  /** The invocation layout (default: the table's device's `kernelLayout`). */
  layout?: KernelLayout;
  /** Rows per invocation (default {@linkcode ROWS_PER_INVOCATION}). */
  rowsPerInvocation?: number;
}

export type { KernelLayout };

/** Binding numbers of the table's segments and of the stream's chunks. */
const TABLE_BINDING = 10;
const STREAM_BINDING = 40;

/** The embedding programs. */
export type EmbeddingBody = "gather" | "fused";

const BODIES: Record<KernelLayout, Record<EmbeddingBody, string>> = {
  columns: { gather: gatherBody, fused: fusedBody },
  rows: { gather: gatherRowsBody, fused: fusedRowsBody },
};

/** A compiled-on-demand embedding program and the numbers its dispatches need. */
export interface EmbeddingProgram {
  kernel: ComputeKernel;
  /** Chunks of 4 columns per row: `ceil(dim / 4)`. */
  chunks: number;
  /** Invocations per workgroup, along x (the chunks). */
  workgroupSize: number;
  /** Rows (sequences at one position) per invocation. */
  rowsPerInvocation: number;
  /** How invocations map onto the output. */
  layout: KernelLayout;
  /** Which program it is. */
  body: EmbeddingBody;
}

/**
 * The program that embeds rows of `table` (an `f32` or `f16` `[vocab, dim]` tensor of one or
 * more segments), with ids given per call or, when `stream` is given, read from that
 * GPU-resident `u32` stream at each window's start.
 */
export function embeddingProgram(
  body: EmbeddingBody,
  table: Tensor<TableDType>,
  stream?: Tensor<"u32">,
  options: ProgramOptions = {},
): EmbeddingProgram {
  const layout = options.layout ?? table.device.kernelLayout;
  const rowsPerInvocation = options.rowsPerInvocation ?? ROWS_PER_INVOCATION;
  const dim = table.shape[1];
  const aligned = dim % 4 === 0;
  const chunks = Math.ceil(dim / 4);
  // Across columns, narrow rows get narrow workgroups (8: llvmpipe's SIMD width), wide rows span
  // several; across rows, 16 lanes of positions (or rows).
  const workgroupSize = layout === "rows"
    ? 16
    : Math.min(64, Math.max(8, 2 ** Math.ceil(Math.log2(chunks))));
  const element = table.dtype === "f32" ? (aligned ? "vec4f" : "f32") : (aligned ? "vec2u" : "u32");
  const access = table.dtype === "f32"
    ? (aligned ? tableF32x4 : tableF32)
    : (aligned ? tableF16x4 : tableF16);
  const parts = [
    `const DIM: u32 = ${dim}u;`,
    `const CHUNKS: u32 = ${chunks}u;`,
    `const SEGMENT_ROWS: u32 = ${Math.max(1, table.segmentRows)}u;`,
    `const ROWS_PER_INVOCATION: u32 = ${rowsPerInvocation}u;`,
    `const WORKGROUP_SIZE: u32 = ${workgroupSize}u;`,
    segmentAccess("table", TABLE_BINDING, table.segments.length, element),
    access,
    aligned ? rowsX4 : rowsAny,
    ...streamParts(stream),
    BODIES[layout][body],
  ];
  const label = `${body === "fused" ? "gather + positional add" : "gather"}` +
    `${stream === undefined ? "" : " (token stream)"}`;
  return {
    kernel: kernelFor(label, parts.join("\n")),
    chunks,
    workgroupSize,
    rowsPerInvocation,
    layout,
    body,
  };
}

/** The program that copies the ids of windows of a stream into a `u32` tensor. */
export function windowIdsProgram(stream: Tensor<"u32">): EmbeddingProgram {
  const workgroupSize = 64;
  const code = [
    `const WORKGROUP_SIZE: u32 = ${workgroupSize}u;`,
    ...streamParts(stream),
    windowIdsBody,
  ]
    .join("\n");
  return {
    kernel: kernelFor("window ids", code),
    chunks: 0,
    workgroupSize,
    rowsPerInvocation: 1,
    layout: "rows",
    body: "gather",
  };
}

function streamParts(stream: Tensor<"u32"> | undefined): string[] {
  if (stream === undefined) return [idsArray];
  return [
    `const STREAM_CHUNK_ROWS: u32 = ${Math.max(1, stream.segmentRows)}u;`,
    segmentAccess("stream", STREAM_BINDING, stream.segments.length, "u32"),
    idsStream,
  ];
}

/**
 * WGSL for `count` segment bindings named `name_0`, `name_1`, …, `name_segment(row)` (the
 * segment of a row: 0 without a division when there is one segment) and `name_element(segment,
 * index)`, which reads element `index` of the segment (a switch when there are several).
 */
function segmentAccess(
  name: string,
  firstBinding: number,
  count: number,
  element: string,
): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    lines.push(
      `@group(0) @binding(${firstBinding + i}) var<storage, read> ${name}_${i}: array<${element}>;`,
    );
  }
  const rows = `${name === "table" ? "SEGMENT_ROWS" : "STREAM_CHUNK_ROWS"}`;
  lines.push(
    `fn ${name}_segment(row: u32) -> u32 {`,
    count === 1 ? "  return 0u;" : `  return row / ${rows};`,
    "}",
  );
  lines.push(`fn ${name}_element(segment: u32, index: u32) -> ${element} {`);
  if (count === 1) {
    lines.push(`  return ${name}_0[index];`);
  } else {
    lines.push("  switch segment {");
    for (let i = 0; i < count - 1; i++) {
      lines.push(`    case ${i}u: { return ${name}_${i}[index]; }`);
    }
    lines.push(`    default: { return ${name}_${count - 1}[index]; }`, "  }");
  }
  lines.push("}");
  return lines.join("\n");
}

/** The storage bindings of a table's segments, for {@linkcode embeddingProgram}'s kernels. */
export function tableBindings(table: Tensor): [number, GPUBufferBinding][] {
  return segmentBindings(table, TABLE_BINDING);
}

/** The storage bindings of a stream's chunks. */
export function streamBindings(stream: Tensor): [number, GPUBufferBinding][] {
  return segmentBindings(stream, STREAM_BINDING);
}

function segmentBindings(tensor: Tensor, firstBinding: number): [number, GPUBufferBinding][] {
  return tensor.segments.map((segment, i) => [
    firstBinding + i,
    { buffer: segment.buffer, offset: segment.offset, size: segment.size },
  ]);
}

/**
 * The dispatches of an embedding program over `batch` sequences of `seq` positions (`gather`:
 * `batch` rows, `seq` 1), split into several where a grid would exceed the device's
 * `maxComputeWorkgroupsPerDimension`. Across columns: x covers the chunks, y the positions, z
 * the groups of `rowsPerInvocation` sequences. Across rows: x covers the positions (for gather,
 * the rows), y the groups. Each dispatch's uniforms are its program's params: the fused
 * programs' `{ batch, seq, first_t, first_group }`, gather's `{ rows, first_group }` across
 * columns and `{ rows, first_row }` across rows.
 */
export function embeddingDispatches(
  gpu: GpuDevice,
  program: EmbeddingProgram,
  batch: number,
  seq: number,
): Dispatch[] {
  const max = gpu.limits.maxComputeWorkgroupsPerDimension;
  const { workgroupSize, rowsPerInvocation } = program;
  const dispatches: Dispatch[] = [];
  if (batch === 0 || seq === 0 || program.chunks === 0) return dispatches;
  const groups = Math.ceil(batch / rowsPerInvocation);
  const gather = program.body === "gather";
  if (program.layout === "rows" && gather) {
    for (let firstRow = 0; firstRow < batch; firstRow += max * workgroupSize) {
      dispatches.push({
        uniforms: Uint32Array.of(batch, firstRow),
        grid: { x: Math.min(max, Math.ceil((batch - firstRow) / workgroupSize)), y: 1 },
      });
    }
  } else if (program.layout === "rows") {
    for (let firstT = 0; firstT < seq; firstT += max * workgroupSize) {
      const x = Math.min(max, Math.ceil((seq - firstT) / workgroupSize));
      for (let firstGroup = 0; firstGroup < groups; firstGroup += max) {
        dispatches.push({
          uniforms: Uint32Array.of(batch, seq, firstT, firstGroup),
          grid: { x, y: Math.min(max, groups - firstGroup) },
        });
      }
    }
  } else {
    const x = Math.ceil(program.chunks / workgroupSize);
    for (let firstT = 0; firstT < seq; firstT += max) {
      for (let firstGroup = 0; firstGroup < groups; firstGroup += max) {
        dispatches.push({
          uniforms: gather
            ? Uint32Array.of(batch, firstGroup)
            : Uint32Array.of(batch, seq, firstT, firstGroup),
          grid: { x, y: Math.min(max, seq - firstT), z: Math.min(max, groups - firstGroup) },
        });
      }
    }
  }
  return dispatches;
}

/**
 * Throws unless an `f32` output of `shape` fits one storage binding (the kernels write it
 * through one), naming the sizes; CPU work, before anything is allocated.
 */
export function checkOutputSize(
  gpu: GpuDevice,
  parameter: string,
  shape: readonly number[],
): void {
  const bytes = shape.reduce((a, b) => a * b, 1) * 4;
  const max = gpu.limits.maxStorageBufferBindingSize;
  if (bytes > max) {
    throw new InputError(
      parameter,
      `would make an output [${shape.join(", ")}] of ${bytes} bytes, more than one storage ` +
        `binding holds (maxStorageBufferBindingSize ${max}); embed fewer ids per call`,
    );
  }
}
