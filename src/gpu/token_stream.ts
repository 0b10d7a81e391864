import { InputError } from "../util/errors.ts";
import { checkIdArray, checkInteger, describe, MAX_STREAM_IDS } from "../util/checks.ts";
import type { GpuDevice } from "./device.ts";
import {
  checkOutputSize,
  streamBindings,
  windowIdsProgram,
} from "./kernels/embedding/embedding_program.ts";
import type { TensorStorageOptions } from "./storage_layout.ts";
import { makeReadOnly, planTensorStorage, Tensor } from "./tensor.ts";

/** Options of {@linkcode TokenStream.create}: limits to split the stream by (the device's by default). */
export type TokenStreamOptions = TensorStorageOptions;

/**
 * A whole token-id stream uploaded to the GPU once, so that a batch of windows costs only its
 * window starts in upload: 4·B bytes instead of the 4·B·T bytes of its ids, and nothing for its
 * targets (the same stream, one token later). A stream larger than one storage binding is split
 * into chunks, as large tables are (see {@linkcode Tensor.segments}).
 *
 * Embed windows with {@linkcode InputEmbedding.forwardWindows}; read window ids back with
 * {@linkcode TokenStream.windowIds}. The stream holds GPU memory until disposed.
 *
 * @example The windows of a batch, from the stream on the GPU
 * ```ts
 * import { GpuDevice, TokenStream } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const gpu = await GpuDevice.shared();
 * using stream = await TokenStream.create(gpu, Uint32Array.of(40, 367, 2885, 1464, 1807, 3619));
 * assert.deepEqual([stream.length, stream.maxId], [6, 3619]);
 * const starts = Uint32Array.of(0, 2); // two windows of 3 tokens
 * using inputs = await stream.windowIds(starts, 3);
 * using targets = await stream.windowIds(starts, 3, 1);
 * assert.deepEqual(await inputs.toArray(), [[40, 367, 2885], [2885, 1464, 1807]]);
 * assert.deepEqual(await targets.toArray(), [[367, 2885, 1464], [1464, 1807, 3619]]);
 * ```
 */
export class TokenStream {
  /**
   * The ids, a `u32` tensor `[length]` (in chunks when over one storage binding); read-only, since
   * embedding checks windows against {@linkcode TokenStream.maxId} computed at creation.
   */
  readonly ids: Tensor<"u32">;
  /** The largest id: the stream fits vocabularies larger than this. */
  readonly maxId: number;
  readonly #maxIdIndex: number;

  private constructor(ids: Tensor<"u32">, maxId: number, maxIdIndex: number) {
    this.ids = ids;
    this.maxId = maxId;
    this.#maxIdIndex = maxIdIndex;
  }

  /**
   * Uploads a token stream, e.g. a {@linkcode WindowDataset}'s `ids`.
   *
   * @param gpu The device to hold the stream.
   * @param ids The token ids, a `Uint32Array` or `Uint16Array` with at least one id.
   * @param options Limits to split the stream by (smaller ones exercise the chunked path).
   */
  static async create(
    gpu: GpuDevice,
    ids: Uint32Array | Uint16Array,
    options: TokenStreamOptions = {},
  ): Promise<TokenStream> {
    checkIdArray("ids", ids, MAX_STREAM_IDS);
    if (ids.length === 0) throw new InputError("ids", "must hold at least one token id");
    planTensorStorage(gpu, [ids.length], "u32", options, "ids", `the token stream [${ids.length}]`);
    let maxIdIndex = 0;
    for (let i = 1; i < ids.length; i++) if (ids[i] > ids[maxIdIndex]) maxIdIndex = i;
    const words = ids instanceof Uint32Array ? ids : Uint32Array.from(ids);
    const tensor = await Tensor.from(gpu, words, { ...options, label: "token stream" });
    // Embedding checks windows against maxId alone, so the ids must not change behind it.
    makeReadOnly(tensor, "its TokenStream");
    return new TokenStream(tensor, ids[maxIdIndex], maxIdIndex);
  }

  /** How many ids the stream holds. */
  get length(): number {
    return this.ids.size;
  }

  /** The device that holds the stream. */
  get device(): GpuDevice {
    return this.ids.device;
  }

  /**
   * The ids of windows, copied on the GPU: `out[b, t] = ids[starts[b] + t + shift]` — the inputs
   * with `shift` 0, the targets with `shift` 1.
   *
   * @param starts Each window's first token, with `starts[b] + seqLength + shift <= length`.
   * @param seqLength Tokens per window, an integer >= 1.
   * @param shift Tokens to skip after each start (default 0).
   * @returns A new `u32` tensor `[starts.length, seqLength]`; dispose it when done.
   */
  async windowIds(
    starts: Uint32Array | readonly number[],
    seqLength: number,
    shift = 0,
  ): Promise<Tensor<"u32">> {
    checkInteger("shift", shift, 0);
    const checked = this.checkWindows(starts, seqLength, shift);
    const gpu = this.device;
    const shape = [checked.length, seqLength];
    checkOutputSize(gpu, "starts", shape);
    const program = windowIdsProgram(this.ids);
    const out = await Tensor.zeros(gpu, shape, "u32", "window ids");
    const max = gpu.limits.maxComputeWorkgroupsPerDimension;
    const x = Math.ceil(seqLength / program.workgroupSize);
    const dispatches = [];
    for (let first = 0; first < checked.length; first += max) {
      dispatches.push({
        uniforms: Uint32Array.of(checked.length, seqLength, shift, first),
        grid: { x, y: Math.min(max, checked.length - first) },
      });
    }
    try {
      await program.kernel.run(gpu, {
        storage: [[1, { buffer: out.buffer }], [3, checked], ...streamBindings(this.ids)],
        dispatches,
      });
    } catch (error) {
      out.dispose();
      throw error;
    }
    return out;
  }

  /**
   * Checks window starts against the stream (CPU work, before any GPU work) and returns them as
   * a `Uint32Array`; an {@linkcode InputError} names the first bad start.
   *
   * @param starts Each window's first token.
   * @param seqLength Tokens per window, an integer >= 1.
   * @param shift Tokens each window also needs after its end (1 for targets).
   */
  checkWindows(
    starts: Uint32Array | readonly number[],
    seqLength: number,
    shift = 0,
  ): Uint32Array {
    if (this.ids.disposed) {
      throw new InputError("stream", "is a disposed token stream and cannot be used");
    }
    checkInteger("seqLength", seqLength, 1);
    if (!(starts instanceof Uint32Array || Array.isArray(starts))) {
      throw new InputError(
        "starts",
        `must be a Uint32Array or an array of window starts, got ${describe(starts)}`,
      );
    }
    const last = this.length - seqLength - shift;
    for (let b = 0; b < starts.length; b++) {
      const start = starts[b];
      if (!Number.isInteger(start) || start < 0 || start > last) {
        throw new InputError(
          "starts",
          `must hold window starts in [0, ${last}] (a stream of ${this.length} ids, windows of ` +
            `${seqLength}${shift === 0 ? "" : ` + ${shift}`}), but starts[${b}] is ${
              describe(start)
            }`,
        );
      }
    }
    return starts instanceof Uint32Array ? starts : Uint32Array.from(starts);
  }

  /**
   * Throws unless every id is below `vocabSize` (an O(1) check: the largest id is known).
   *
   * @param vocabSize The vocabulary the stream is embedded with.
   */
  checkVocabulary(vocabSize: number): void {
    if (this.maxId >= vocabSize) {
      throw new InputError(
        "stream",
        `must hold token ids in [0, ${vocabSize - 1}] (the vocabulary size is ${vocabSize}), ` +
          `but ids[${this.#maxIdIndex}] is ${this.maxId}`,
      );
    }
  }

  /** Frees the stream's GPU memory. Calling it again does nothing. */
  dispose(): void {
    this.ids.dispose();
  }

  /** Frees the stream at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
