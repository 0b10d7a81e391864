// The host side shared by every compute program: a pipeline compiled once per device and source,
// reusable upload buffers, and checked dispatches.
import { InputError } from "../../util/errors.ts";
import type { GpuDevice } from "../device.ts";

/** Invocations per workgroup of the 1D programs (positional add). */
export const WORKGROUP_SIZE = 64;

/** How many workgroups a dispatch launches along x, y and z. */
export interface DispatchGrid {
  x: number;
  y: number;
  z?: number;
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

/** CPU data for a storage binding, uploaded to a reusable buffer before the dispatch. */
export type UploadData = Uint32Array | Int32Array | Float32Array;

/** What a storage binding holds: a range of a GPU buffer, or CPU data to upload. */
export type StorageResource = GPUBufferBinding | UploadData;

/** One dispatch: the `params` uniform (binding 0) and the workgroup grid. */
export interface Dispatch {
  /** The shader's `params` uniform, as 32-bit words. */
  uniforms: Uint32Array;
  /** Workgroups along x, y and z. */
  grid: DispatchGrid;
  /**
   * Storage bindings of this dispatch alone, added to the run's (e.g. one segment of a table per
   * dispatch): ranges of GPU buffers only.
   */
  storage?: readonly (readonly [number, GPUBufferBinding])[];
}

/** One run of a program: its storage bindings and one or more dispatches over them. */
export interface KernelRun {
  /** Storage bindings as `[binding number, resource]`, numbers from 1 (0 is the uniform). */
  storage: readonly (readonly [number, StorageResource])[];
  /** The dispatches, recorded in order into one compute pass and submitted together. */
  dispatches: readonly Dispatch[];
}

/**
 * A program and the run a host function dispatches, built apart from the checks and the
 * allocation so that benchmarks can prepare exactly what the host function runs.
 */
export interface KernelCall {
  kernel: ComputeKernel;
  run: KernelRun;
}

/** A run bound once by {@linkcode ComputeKernel.prepare}; dispose it to free its buffers. */
export interface PreparedRun extends Disposable {
  /** Records the run's dispatches into `pass` (any number of times). */
  record(pass: GPUComputePassEncoder): void;
}

/**
 * Upload buffers are reused across runs, one per binding number and usage: a run writes its data
 * and submits its dispatch in one synchronous step, and the queue runs writes and dispatches in
 * that order, so the next run's write cannot reach an earlier dispatch.
 */
const uploadBuffers = new WeakMap<GpuDevice, Map<string, GPUBuffer>>();

/** Drops upload buffers made in a failed call: one made where out-of-memory struck is invalid. */
function forgetUploadBuffers(gpu: GpuDevice, made: readonly GPUBuffer[]): void {
  const buffers = uploadBuffers.get(gpu);
  for (const buffer of made) {
    buffers?.forEach((cached, key) => cached === buffer && buffers.delete(key));
    gpu.releaseBuffer(buffer);
  }
}

function uploadBuffer(
  gpu: GpuDevice,
  key: string,
  bytes: number,
  usage: number,
  made: GPUBuffer[],
): GPUBuffer {
  let buffers = uploadBuffers.get(gpu);
  if (buffers === undefined) uploadBuffers.set(gpu, buffers = new Map());
  const current = buffers.get(key);
  if (current !== undefined && current.size >= bytes) return current;
  // Submitted work keeps a replaced buffer alive; destroying it only frees it afterwards.
  if (current !== undefined) gpu.releaseBuffer(current);
  buffers.delete(key);
  const buffer = gpu.createBuffer({
    label: `upload ${key}`,
    // Powers of two from 256 bytes, so that a few growths cover every size.
    size: 2 ** Math.ceil(Math.log2(Math.max(bytes, 256))),
    usage: usage | GPUBufferUsage.COPY_DST,
  });
  buffers.set(key, buffer);
  made.push(buffer);
  return buffer;
}

/**
 * A WGSL compute program (entry point `main`, `params` uniform at binding 0, storage bindings
 * from 1) with its pipeline compiled once per device.
 */
export class ComputeKernel {
  /** Names the program in GPU labels and error messages. */
  readonly label: string;
  /** The WGSL source. */
  readonly code: string;
  readonly #constants: Record<string, number>;
  readonly #pipelines = new WeakMap<GpuDevice, Promise<GPUComputePipeline>>();

  /**
   * @param label Names the program in labels and errors.
   * @param code The WGSL source.
   * @param constants Values of the shader's `override` constants.
   */
  constructor(label: string, code: string, constants: Record<string, number> = {}) {
    this.label = label;
    this.code = code;
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
            module: device.createShaderModule({ label: this.label, code: this.code }),
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
   * Records the dispatches into one compute pass and submits it; resolves when the work is
   * submitted (readback waits for it), and throws a {@linkcode GpuError} when WebGPU rejects
   * any step.
   */
  async run(gpu: GpuDevice, run: KernelRun): Promise<void> {
    const dispatches = nonEmpty(run.dispatches);
    if (dispatches.length === 0) return;
    const pipeline = await this.pipeline(gpu);
    const made: GPUBuffer[] = [];
    await gpu.checked(this.label, (device) => {
      const storage = storageEntries(
        gpu,
        run,
        (binding, bytes) =>
          uploadBuffer(gpu, `storage ${binding}`, bytes, GPUBufferUsage.STORAGE, made),
      );
      const { words, stride } = packUniforms(device, dispatches);
      const uniforms = uploadBuffer(gpu, "uniform", words.byteLength, GPUBufferUsage.UNIFORM, made);
      gpu.write(uniforms, words);
      const groups = this.#bindGroups(device, pipeline, storage, uniforms, stride, dispatches);
      const encoder = device.createCommandEncoder({ label: this.label });
      const pass = encoder.beginComputePass({ label: this.label });
      record(pass, pipeline, groups, dispatches);
      pass.end();
      device.queue.submit([encoder.finish()]);
    }).catch((error) => {
      forgetUploadBuffers(gpu, made);
      throw error;
    });
  }

  /**
   * Binds `run` once, to be recorded many times into the caller's passes (benchmarks time many
   * batches in one submit this way): its uniforms, and any CPU data among its storage, are
   * uploaded now into buffers of its own, which nothing else writes.
   */
  async prepare(gpu: GpuDevice, run: KernelRun): Promise<PreparedRun> {
    const dispatches = nonEmpty(run.dispatches);
    const pipeline = await this.pipeline(gpu);
    const owned: GPUBuffer[] = [];
    const release = () => owned.splice(0).forEach((buffer) => gpu.releaseBuffer(buffer));
    const own = (label: string, size: number, usage: number) => {
      const buffer = gpu.createBuffer({
        label: `${this.label} ${label}`,
        size,
        usage: usage | GPUBufferUsage.COPY_DST,
      });
      owned.push(buffer);
      return buffer;
    };
    try {
      const groups = await gpu.checked(`preparing ${this.label}`, (device) => {
        const storage = storageEntries(
          gpu,
          run,
          (binding, bytes) => own(`storage ${binding}`, bytes, GPUBufferUsage.STORAGE),
        );
        if (dispatches.length === 0) return [];
        const { words, stride } = packUniforms(device, dispatches);
        const uniforms = own("uniforms", words.byteLength, GPUBufferUsage.UNIFORM);
        gpu.write(uniforms, words);
        return this.#bindGroups(device, pipeline, storage, uniforms, stride, dispatches);
      });
      return {
        record: (pass) => record(pass, pipeline, groups, dispatches),
        [Symbol.dispose]: release,
      };
    } catch (error) {
      release();
      throw error;
    }
  }

  /** One bind group per dispatch: its uniform block, then the storage bindings. */
  #bindGroups(
    device: GPUDevice,
    pipeline: GPUComputePipeline,
    storage: readonly GPUBindGroupEntry[],
    uniforms: GPUBuffer,
    stride: number,
    dispatches: readonly Dispatch[],
  ): GPUBindGroup[] {
    const layout = pipeline.getBindGroupLayout(0);
    return dispatches.map((dispatch, i) => {
      const uniform: GPUBindGroupEntry = {
        binding: 0,
        resource: { buffer: uniforms, offset: i * stride, size: uniformBlockBytes(dispatch) },
      };
      const own = (dispatch.storage ?? []).map(([binding, resource]) => ({ binding, resource }));
      return device.createBindGroup({
        label: this.label,
        layout,
        entries: [uniform, ...storage, ...own],
      });
    });
  }
}

/** The dispatches that launch any workgroup. */
function nonEmpty(dispatches: readonly Dispatch[]): Dispatch[] {
  return dispatches.filter(({ grid }) => grid.x * grid.y * (grid.z ?? 1) > 0);
}

/**
 * The run's storage bindings, its CPU data written to the buffer `bufferFor(binding, bytes)`
 * gives (a storage binding must not be empty, hence at least 4 bytes).
 */
function storageEntries(
  gpu: GpuDevice,
  run: KernelRun,
  bufferFor: (binding: number, bytes: number) => GPUBuffer,
): GPUBindGroupEntry[] {
  return run.storage.map(([binding, resource]): GPUBindGroupEntry => {
    if (!ArrayBuffer.isView(resource)) return { binding, resource };
    const bytes = Math.max(4, resource.byteLength);
    const buffer = bufferFor(binding, bytes);
    if (resource.byteLength > 0) gpu.write(buffer, resource);
    return { binding, resource: { buffer, offset: 0, size: bytes } };
  });
}

function uniformBlockBytes(dispatch: Dispatch): number {
  return Math.ceil(dispatch.uniforms.byteLength / 16) * 16;
}

/**
 * Every dispatch's uniform block in one array, at offsets the device accepts for a binding
 * (`stride` apart); the last block ends the array, so only the bytes bound are uploaded.
 */
function packUniforms(
  device: GPUDevice,
  dispatches: readonly Dispatch[],
): { words: Uint32Array; stride: number } {
  const stride = Math.max(
    device.limits.minUniformBufferOffsetAlignment,
    ...dispatches.map(uniformBlockBytes),
  );
  const last = dispatches[dispatches.length - 1];
  const words = new Uint32Array(
    ((dispatches.length - 1) * stride + uniformBlockBytes(last)) / 4,
  );
  dispatches.forEach((dispatch, i) => words.set(dispatch.uniforms, (i * stride) / 4));
  return { words, stride };
}

function record(
  pass: GPUComputePassEncoder,
  pipeline: GPUComputePipeline,
  groups: readonly GPUBindGroup[],
  dispatches: readonly Dispatch[],
): void {
  pass.setPipeline(pipeline);
  dispatches.forEach(({ grid }, i) => {
    pass.setBindGroup(0, groups[i]);
    pass.dispatchWorkgroups(grid.x, grid.y, grid.z ?? 1);
  });
}

/** Kernels by source, so that each specialised program is compiled once per device. */
const kernels = new Map<string, ComputeKernel>();

/** The kernel for `code`, made on first use (its pipeline then compiles once per device). */
export function kernelFor(label: string, code: string): ComputeKernel {
  let kernel = kernels.get(code);
  if (kernel === undefined) kernels.set(code, kernel = new ComputeKernel(label, code));
  return kernel;
}
