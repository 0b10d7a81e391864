/** What went wrong on the GPU side. */
export type GpuErrorKind =
  /** No WebGPU adapter or device could be obtained. */
  | "unavailable"
  /** WebGPU rejected a call (a binding over a device limit, a bad shader, …). */
  | "validation"
  /** The device could not allocate memory. */
  | "out-of-memory"
  /** The implementation failed for another reason. */
  | "internal"
  /** The device was lost (driver reset, or destroyed) and can no longer be used. */
  | "lost";

/**
 * An error reported by WebGPU, thrown at the call that caused it (never a silent tensor of
 * zeros), or the absence of a GPU adapter.
 *
 * @example
 * ```ts
 * import { GpuError } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new GpuError("validation", "gather: GPU validation error: binding too large");
 * assert.equal(error.kind, "validation");
 * assert.ok(error instanceof Error);
 * ```
 */
export class GpuError extends Error {
  /** Which kind of failure this is. */
  readonly kind: GpuErrorKind;

  /**
   * Creates a GPU error.
   *
   * @param kind Which kind of failure this is.
   * @param message What failed, starting with the operation that failed.
   */
  constructor(kind: GpuErrorKind, message: string) {
    super(message);
    this.name = "GpuError";
    this.kind = kind;
  }
}
