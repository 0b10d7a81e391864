import { InputError } from "../util/errors.ts";
import { checkInteger, checkOptions, describe } from "../util/checks.ts";
import { withQuietHeadless } from "./quiet_headless.ts";
import { GpuError, type GpuErrorKind } from "./gpu_error.ts";

const NO_ADAPTER_HELP = "install a GPU driver, or Mesa's software adapter " +
  "(Debian/Ubuntu: apt-get install mesa-vulkan-drivers)";

/**
 * How the embedding kernels map invocations onto their output: `"columns"` (neighbouring
 * invocations read and write neighbouring columns: coalesced memory access, for GPUs) or
 * `"rows"` (invocations across rows, columns in a loop: the fewest memory accesses per
 * invocation, for CPU adapters such as llvmpipe, which pay for each access once per SIMD lane).
 */
export type KernelLayout = "columns" | "rows";

/** Options of {@linkcode GpuDevice.request}. */
export interface GpuDeviceOptions {
  /** Which adapter to prefer when there are several (WebGPU's `powerPreference`). */
  powerPreference?: GPUPowerPreference;
  /**
   * The embedding kernels' layout (see {@linkcode KernelLayout}); by default `"rows"` on a CPU
   * (fallback) adapter and `"columns"` on a GPU. Both compute the same values.
   */
  kernelLayout?: KernelLayout;
}

/** The error scopes every checked call runs in, innermost first (they are pushed in reverse). */
const SCOPES: readonly (GPUErrorFilter & GpuErrorKind)[] = [
  "validation",
  "out-of-memory",
  "internal",
];

let shared: Promise<GpuDevice> | undefined;
let sharedDevice: GpuDevice | undefined;

/** Readback goes through one reusable staging buffer of at most this many bytes, in pieces. */
const STAGING_BYTES = 32 * 1024 * 1024;

const liveTensorCounts = new WeakMap<GpuDevice, number>();

/** Counts a tensor made (`+1`) or disposed (`-1`) on `gpu`, for {@linkcode GpuDevice.liveTensors}. */
export function countTensor(gpu: GpuDevice, change: 1 | -1): void {
  liveTensorCounts.set(gpu, (liveTensorCounts.get(gpu) ?? 0) + change);
}

/**
 * A WebGPU device with the adapter's own maxima for storage bindings and buffers, and the
 * bookkeeping every GPU operation of this module goes through: checked submission (a validation,
 * out-of-memory or internal error becomes a thrown {@linkcode GpuError} at the call that caused
 * it), counted tensors, buffers and bytes, and readback through one reusable staging buffer.
 *
 * WebGPU needs no Deno permission. Without a GPU, Mesa's llvmpipe software adapter works.
 *
 * @example
 * ```ts
 * import { GpuDevice } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const gpu = await GpuDevice.shared();
 * assert.equal(typeof gpu.description, "string"); // e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"
 * assert.ok(gpu.limits.maxStorageBufferBindingSize >= 128 * 1024 * 1024);
 * ```
 */
export class GpuDevice {
  readonly #device: GPUDevice;
  readonly #info: GPUAdapterInfo;
  readonly #kernelLayout: KernelLayout;
  #lost: string | undefined;
  #liveBuffers = 0;
  #liveBytes = 0;
  #staging: GPUBuffer | undefined;
  /** Reads share the staging buffer: each waits for the previous one. */
  #reads: Promise<unknown> = Promise.resolve();

  private constructor(device: GPUDevice, info: GPUAdapterInfo, kernelLayout?: KernelLayout) {
    this.#device = device;
    this.#info = info;
    const software = info.isFallbackAdapter === true ||
      /llvmpipe|lavapipe|swiftshader|warp/i.test(info.description);
    this.#kernelLayout = kernelLayout ?? (software ? "rows" : "columns");
    // Deno may leave `lost` undefined; where it exists, remember why the device went away.
    device.lost?.then((info) => {
      this.#lost = info.message || info.reason || "unknown reason";
    });
  }

  /**
   * Requests an adapter and a new device whose `maxStorageBufferBindingSize`, `maxBufferSize` and
   * `maxStorageBuffersPerShaderStage` are the adapter's maxima (WebGPU's defaults are lower).
   *
   * @param options Adapter preference and the kernels' layout.
   * @returns The device; a {@linkcode GpuError} of kind `"unavailable"` when there is no adapter.
   */
  static async request(options: GpuDeviceOptions = {}): Promise<GpuDevice> {
    checkDeviceOptions(options);
    const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
    if (gpu === undefined) {
      throw new GpuError(
        "unavailable",
        `WebGPU is not available in this runtime; ${NO_ADAPTER_HELP}`,
      );
    }
    // The Vulkan loader's device-select layer probes Wayland here; see quiet_headless.ts.
    const adapter = await withQuietHeadless(() =>
      gpu.requestAdapter({ powerPreference: options.powerPreference })
    );
    if (adapter === null) {
      throw new GpuError("unavailable", `no WebGPU adapter found: ${NO_ADAPTER_HELP}`);
    }
    let device: GPUDevice;
    try {
      device = await adapter.requestDevice({
        requiredLimits: {
          maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
          maxBufferSize: adapter.limits.maxBufferSize,
          // More storage bindings per kernel: more segments of a large table.
          maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
        },
      });
    } catch (error) {
      throw new GpuError(
        "unavailable",
        `the WebGPU adapter "${adapter.info.description}" did not grant a device: ${
          (error as Error).message
        }`,
      );
    }
    return new GpuDevice(device, adapter.info, options.kernelLayout);
  }

  /**
   * One device for the whole process, requested on first use (later calls return the same one).
   * Destroying it makes the next call request a new one.
   */
  static shared(): Promise<GpuDevice> {
    if (shared === undefined) {
      shared = GpuDevice.request().then(
        (device) => sharedDevice = device,
        (error) => {
          shared = undefined; // let a later call try again
          throw error;
        },
      );
    }
    return shared;
  }

  /** The underlying WebGPU device, for kernels of your own. */
  get device(): GPUDevice {
    this.#checkUsable();
    return this.#device;
  }

  /** The adapter's description, e.g. `"llvmpipe (LLVM 15.0.6, 256 bits)"` (may be empty). */
  get description(): string {
    return this.#info.description;
  }

  /** The adapter's vendor, architecture, device and description as WebGPU reports them. */
  get adapterInfo(): GPUAdapterInfo {
    return this.#info;
  }

  /** How the embedding kernels map invocations onto their output on this device. */
  get kernelLayout(): KernelLayout {
    return this.#kernelLayout;
  }

  /** The device's limits (`maxStorageBufferBindingSize`, `maxBufferSize`, …). */
  get limits(): GPUSupportedLimits {
    return this.#device.limits;
  }

  /**
   * How many tensors on this device are alive (made and not yet disposed). With
   * {@linkcode GpuDevice.liveBuffers} and {@linkcode GpuDevice.liveBytes} it shows leaks: in a
   * loop that disposes what it makes, all three stay flat.
   *
   * @example
   * ```ts
   * import { GpuDevice, Tensor } from "../../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const gpu = await GpuDevice.shared();
   * const before = [gpu.liveTensors, gpu.liveBuffers, gpu.liveBytes];
   * const t = await Tensor.zeros(gpu, [4, 4]);
   * assert.equal(gpu.liveTensors, before[0] + 1);
   * t.dispose();
   * assert.deepEqual([gpu.liveTensors, gpu.liveBuffers, gpu.liveBytes], before);
   * ```
   */
  get liveTensors(): number {
    return liveTensorCounts.get(this) ?? 0;
  }

  /**
   * How many buffers made through {@linkcode GpuDevice.createBuffer} are alive, the reusable
   * staging and upload buffers included.
   */
  get liveBuffers(): number {
    return this.#liveBuffers;
  }

  /** How many bytes those live buffers hold. */
  get liveBytes(): number {
    return this.#liveBytes;
  }

  /** Why the device was lost, or `undefined` while it is usable. */
  get lost(): string | undefined {
    return this.#lost;
  }

  /**
   * Creates a buffer and counts it as live until {@linkcode GpuDevice.releaseBuffer}. Call it
   * inside {@linkcode GpuDevice.checked} so that a failed allocation throws.
   *
   * @param descriptor WebGPU's buffer descriptor.
   */
  createBuffer(descriptor: GPUBufferDescriptor): GPUBuffer {
    const buffer = this.device.createBuffer(descriptor);
    this.#liveBuffers++;
    this.#liveBytes += buffer.size;
    return buffer;
  }

  /**
   * Destroys a buffer made by {@linkcode GpuDevice.createBuffer} (work already submitted
   * that uses it still completes).
   *
   * @param buffer The buffer, which must not be used afterwards.
   */
  releaseBuffer(buffer: GPUBuffer): void {
    this.#liveBuffers--;
    this.#liveBytes -= buffer.size;
    buffer.destroy();
  }

  /**
   * Writes `data` to `buffer` at `byteOffset` through the device's queue (inside
   * {@linkcode GpuDevice.checked} for errors to surface).
   *
   * @param buffer A buffer with `COPY_DST` usage, at least `byteOffset + data.byteLength` long.
   * @param data The values; views of shared memory are copied first, as WebGPU requires.
   * @param byteOffset Where in `buffer` to write, a multiple of 4 (default 0).
   */
  write(buffer: GPUBuffer, data: Float32Array | Int32Array | Uint32Array, byteOffset = 0): void {
    const source = data.buffer instanceof ArrayBuffer
      ? data as Float32Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint32Array<ArrayBuffer>
      : data.slice();
    this.device.queue.writeBuffer(buffer, byteOffset, source);
  }

  /**
   * Runs GPU calls inside validation, out-of-memory and internal error scopes and throws the
   * first error they report as a {@linkcode GpuError} naming `operation`. `work` must be
   * synchronous: every call it makes is checked, and no other work interleaves.
   *
   * @example An invalid buffer (MAP_READ with MAP_WRITE) throws instead of failing silently
   * ```ts
   * import { GpuDevice, GpuError } from "../../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const gpu = await GpuDevice.shared();
   * await assert.rejects(
   *   gpu.checked("bad buffer", (device) => device.createBuffer({ size: 6, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.MAP_WRITE })),
   *   (e: unknown) => e instanceof GpuError && e.kind === "validation" && e.message.startsWith("bad buffer: "),
   * );
   * ```
   *
   * @param operation Names the operation in the error message.
   * @param work The WebGPU calls to check; its result is returned.
   */
  async checked<T>(operation: string, work: (device: GPUDevice) => T): Promise<T> {
    if (typeof work !== "function") {
      throw new InputError("work", `must be a function of the device, got ${describe(work)}`);
    }
    const device = this.device;
    for (let i = SCOPES.length - 1; i >= 0; i--) device.pushErrorScope(SCOPES[i]);
    let result: T | undefined;
    let thrown: { error: unknown } | undefined;
    try {
      result = work(device);
    } catch (error) {
      thrown = { error };
    }
    // Pop all scopes before awaiting, so that no concurrent call's scope is popped by mistake.
    const popped = SCOPES.map(() => device.popErrorScope());
    const errors = await Promise.all(popped);
    for (let i = 0; i < SCOPES.length; i++) {
      const error = errors[i];
      if (error !== null) {
        throw new GpuError(
          SCOPES[i],
          `${operation}: GPU ${SCOPES[i]} error: ${error.message.trim()}`,
        );
      }
    }
    if (thrown !== undefined) throw thrown.error;
    return result as T;
  }

  /**
   * Copies `byteLength` bytes of a buffer (which needs `COPY_SRC` usage) from `byteOffset` back to
   * the CPU, through one `MAP_READ | COPY_DST` staging buffer that every read reuses (in pieces of
   * at most 32 MiB, so any length works). Concurrent reads wait for each other.
   *
   * @param buffer The buffer to read.
   * @param byteLength How many bytes to read, a multiple of 4.
   * @param byteOffset Where to start, a multiple of 4 (default 0).
   * @returns A copy of the bytes.
   */
  read(buffer: GPUBuffer, byteLength: number, byteOffset = 0): Promise<ArrayBuffer> {
    try {
      checkReadRange(buffer, byteLength, byteOffset);
    } catch (error) {
      return Promise.reject(error);
    }
    const result = this.#reads.then(() => this.#readNow(buffer, byteLength, byteOffset));
    this.#reads = result.catch(() => {}); // a failed read does not stop the next one
    return result;
  }

  async #readNow(buffer: GPUBuffer, byteLength: number, byteOffset: number): Promise<ArrayBuffer> {
    const bytes = new Uint8Array(byteLength);
    for (let done = 0; done < byteLength;) {
      const piece = Math.min(byteLength - done, STAGING_BYTES);
      const staging = await this.#stagingBuffer(piece);
      await this.checked("read: copy", (device) => {
        const encoder = device.createCommandEncoder({ label: "readback" });
        encoder.copyBufferToBuffer(buffer, byteOffset + done, staging, 0, piece);
        device.queue.submit([encoder.finish()]);
      });
      try {
        await staging.mapAsync(GPUMapMode.READ, 0, piece);
      } catch (error) {
        throw new GpuError(
          this.#lost === undefined ? "internal" : "lost",
          `read: mapping the staging buffer failed: ${(error as Error).message}`,
        );
      }
      // The mapped range is only valid until unmap: copy it out first.
      bytes.set(new Uint8Array(staging.getMappedRange(0, piece)), done);
      staging.unmap();
      done += piece;
    }
    return bytes.buffer;
  }

  /** The staging buffer, grown (never shrunk) to hold `byteLength` bytes. */
  async #stagingBuffer(byteLength: number): Promise<GPUBuffer> {
    if (this.#staging !== undefined && this.#staging.size >= byteLength) return this.#staging;
    if (this.#staging !== undefined) this.releaseBuffer(this.#staging);
    this.#staging = undefined;
    // Powers of two, so that a few growths cover every size.
    const size = Math.min(STAGING_BYTES, 2 ** Math.ceil(Math.log2(Math.max(byteLength, 4096))));
    this.#staging = await this.checked("read: staging buffer", () =>
      this.createBuffer({
        label: "readback staging",
        size,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      }));
    return this.#staging;
  }

  /** Destroys the device; its buffers become invalid. */
  destroy(): void {
    if (this.#lost === undefined) this.#lost = "destroyed";
    this.#device.destroy();
    if (sharedDevice === this) {
      shared = undefined;
      sharedDevice = undefined;
    }
  }

  #checkUsable(): void {
    if (this.#lost !== undefined) {
      throw new GpuError("lost", `the GPU device was lost (${this.#lost}); request a new one`);
    }
  }
}

/**
 * Throws an {@linkcode InputError} unless `value` is a {@linkcode GpuDevice} (checked before
 * any work by every function that takes one).
 */
export function checkGpuDevice(parameter: string, value: unknown): asserts value is GpuDevice {
  if (!(value instanceof GpuDevice)) {
    throw new InputError(
      parameter,
      `must be a GpuDevice (from GpuDevice.shared() or GpuDevice.request()), got ${
        describe(value)
      }`,
    );
  }
}

const POWER_PREFERENCES: readonly (GPUPowerPreference | undefined)[] = [
  undefined,
  "low-power",
  "high-performance",
];

function checkDeviceOptions(options: unknown): void {
  checkOptions(options, "{ powerPreference?, kernelLayout? }");
  const { powerPreference, kernelLayout } = options as GpuDeviceOptions;
  if (kernelLayout !== undefined && kernelLayout !== "columns" && kernelLayout !== "rows") {
    throw new InputError(
      "kernelLayout",
      `must be "columns" or "rows", got ${describe(kernelLayout)}`,
    );
  }
  if (!POWER_PREFERENCES.includes(powerPreference)) {
    throw new InputError(
      "powerPreference",
      `must be "low-power" or "high-performance", got ${describe(powerPreference)}`,
    );
  }
}

function checkReadRange(buffer: unknown, byteLength: number, byteOffset: number): void {
  if (!(buffer instanceof GPUBuffer)) {
    throw new InputError("buffer", `must be a GPUBuffer, got ${describe(buffer)}`);
  }
  checkInteger("byteOffset", byteOffset, 0, buffer.size);
  checkInteger("byteLength", byteLength, 0, buffer.size - byteOffset);
  if (byteLength % 4 !== 0 || byteOffset % 4 !== 0) {
    throw new InputError(
      byteLength % 4 !== 0 ? "byteLength" : "byteOffset",
      `must be a multiple of 4, got ${byteLength % 4 !== 0 ? byteLength : byteOffset}`,
    );
  }
}
