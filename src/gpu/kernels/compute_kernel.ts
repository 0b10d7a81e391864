// The host side shared by every compute program: a pipeline compiled once per device, and a
// checked dispatch of one invocation per work item over a 1D or (beyond 65,535 workgroups) 2D grid.
import { InputError } from "../../errors.ts";
import type { GpuDevice } from "../device.ts";

/** Invocations per workgroup; the shaders take it as the `override` constant `WORKGROUP_SIZE`. */
export const WORKGROUP_SIZE = 64;

/** How many workgroups a dispatch launches along x and y. */
export interface DispatchGrid {
  x: number;
  y: number;
}

/**
 * The workgroup grid for `invocations` work items: 1D while the workgroup count fits in one
 * dimension, otherwise folded into 2D (shaders linearise `(group.y · groups.x + group.x)`; the
 * few surplus invocations return early).
 */
export function dispatchGrid(
  invocations: number,
  maxPerDimension: number,
  workgroupSize: number = WORKGROUP_SIZE,
): DispatchGrid {
  const groups = Math.ceil(invocations / workgroupSize);
  if (groups <= maxPerDimension) return { x: groups, y: 1 };
  const y = Math.ceil(groups / maxPerDimension);
  if (y > maxPerDimension) {
    throw new InputError(
      "invocations",
      `${invocations} work items need ${groups} workgroups, more than ${maxPerDimension}² ` +
        "(the device's maxComputeWorkgroupsPerDimension squared)",
    );
  }
  return { x: Math.ceil(groups / y), y };
}

/** One dispatch: uniform parameters, storage bindings in binding order after the uniform. */
export interface KernelRun {
  /** The shader's `params` uniform (binding 0), as 32-bit words. */
  uniforms: Uint32Array;
  /**
   * Storage bindings 1, 2, …: a tensor's buffer, or data uploaded to a temporary buffer that is
   * released after the dispatch.
   */
  storage: readonly (GPUBuffer | Uint32Array | Int32Array | Float32Array)[];
  /** The number of work items; the shader returns early at and beyond this index. */
  invocations: number;
}

/**
 * A WGSL compute program (entry point `main`, `params` uniform at binding 0, storage from
 * binding 1) with its pipeline cached per device. Variants of a program (other workgroup sizes,
 * other code) are other `ComputeKernel`s.
 */
export class ComputeKernel {
  /** Names the program in GPU labels and error messages. */
  readonly label: string;
  readonly #code: string;
  readonly #constants: Record<string, number>;
  readonly #pipelines = new WeakMap<GpuDevice, Promise<GPUComputePipeline>>();

  /**
   * @param label Names the program in labels and errors.
   * @param code The WGSL source.
   * @param constants Values of the shader's `override` constants.
   */
  constructor(
    label: string,
    code: string,
    constants: Record<string, number> = { WORKGROUP_SIZE },
  ) {
    this.label = label;
    this.#code = code;
    this.#constants = constants;
  }

  /** The compiled pipeline for `gpu`, compiled on first use and cached (a failed compile is not). */
  pipeline(gpu: GpuDevice): Promise<GPUComputePipeline> {
    let pipeline = this.#pipelines.get(gpu);
    if (pipeline === undefined) {
      pipeline = gpu.checked(`compiling ${this.label}`, (device) =>
        device.createComputePipeline({
          label: this.label,
          layout: "auto",
          compute: {
            module: device.createShaderModule({ label: this.label, code: this.#code }),
            entryPoint: "main",
            constants: this.#constants,
          },
        }));
      this.#pipelines.set(gpu, pipeline);
      pipeline.catch(() => this.#pipelines.delete(gpu));
    }
    return pipeline;
  }

  /**
   * Dispatches the program once; resolves when the work is submitted (readback waits for it),
   * and throws a {@linkcode GpuError} when WebGPU rejects any step.
   */
  async run(gpu: GpuDevice, run: KernelRun): Promise<void> {
    if (run.invocations === 0) return;
    const pipeline = await this.pipeline(gpu);
    const grid = dispatchGrid(run.invocations, gpu.limits.maxComputeWorkgroupsPerDimension);
    const temporary: GPUBuffer[] = [];
    try {
      await gpu.checked(this.label, (device) => {
        const upload = (
          data: Uint32Array | Int32Array | Float32Array,
          usage: number,
        ): GPUBuffer => {
          const buffer = gpu.createBuffer({
            label: `${this.label} input`,
            // Uniform structs are padded to 16 bytes; storage needs a non-empty binding.
            size: Math.max(16, Math.ceil(data.byteLength / 16) * 16),
            usage: usage | GPUBufferUsage.COPY_DST,
          });
          temporary.push(buffer);
          gpu.write(buffer, data);
          return buffer;
        };
        const buffers = [
          upload(run.uniforms, GPUBufferUsage.UNIFORM),
          ...run.storage.map((entry) =>
            entry instanceof GPUBuffer ? entry : upload(entry, GPUBufferUsage.STORAGE)
          ),
        ];
        const bindGroup = device.createBindGroup({
          label: this.label,
          layout: pipeline.getBindGroupLayout(0),
          entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
        });
        const encoder = device.createCommandEncoder({ label: this.label });
        const pass = encoder.beginComputePass({ label: this.label });
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup);
        pass.dispatchWorkgroups(grid.x, grid.y);
        pass.end();
        device.queue.submit([encoder.finish()]);
      });
    } finally {
      // Submitted work keeps what it uses alive; destroying now only frees it afterwards.
      for (const buffer of temporary) gpu.releaseBuffer(buffer);
    }
  }
}
