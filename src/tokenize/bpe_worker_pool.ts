import { InputError } from "../util/errors.ts";
import { checkBoolean, checkInteger, checkOptions, describe } from "../util/checks.ts";
import {
  type AllowedSpecial,
  checkEncodingName,
  checkNoDisallowedSpecial,
  type EncodingName,
  resolveAllowedSpecial,
} from "./bpe_tokenizer.ts";
import { splitAtSafeCuts } from "./safe_cut.ts";

/** What the pool sends a worker. */
export type WorkerRequest =
  | { type: "init"; encoding: EncodingName; allowedSpecial: string[] }
  | { type: "encode"; text: string; ordinary: boolean };

/** What a worker answers: once `ready`, then `ids` or `failed` for each piece, in order. */
export type WorkerReply =
  | { type: "ready" }
  | { type: "ids"; ids: Uint32Array }
  | { type: "failed"; message: string };

/** Options of {@linkcode BpeWorkerPool}. */
export interface BpeWorkerPoolOptions {
  /** The special tokens that text may contain, as for {@linkcode BpeTokenizer}. Default: none. */
  allowedSpecial?: AllowedSpecial;
  /**
   * How many Web Workers to start, each ~40 MB (its own V8 heap and tiktoken tables, gpt2).
   * Default: `navigator.hardwareConcurrency` (at most 256); pass fewer to bound memory on
   * machines with many cores (`deno task prepare` starts at most 4 by default).
   */
  workers?: number;
}

/** Options of one parallel encoding. */
export interface ParallelEncodeOptions {
  /**
   * About how many characters (UTF-16 code units) each worker is given at a time; text is cut
   * only where tiktoken's pre-tokenizer splits anyway, so a piece may be longer. Default:
   * a quarter of the text's share per worker, within [65,536, 4,194,304].
   */
  chunkChars?: number;
}

/** Options of {@linkcode encodeParallel}. */
export interface EncodeParallelOptions extends BpeWorkerPoolOptions, ParallelEncodeOptions {
  /** The encoding, e.g. `"gpt2"`. */
  encoding: EncodingName;
  /** Encode special-token strings as ordinary text (tiktoken's `encode_ordinary`). Default: false. */
  ordinary?: boolean;
}

interface Task {
  text: string;
  ordinary: boolean;
  resolve(ids: Uint32Array): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  inFlight: Task[];
}

// Two pieces per worker keep it busy while a result travels back and the next piece arrives.
const PIECES_PER_WORKER = 2;
const MIN_DEFAULT_CHUNK = 65_536;
const MAX_DEFAULT_CHUNK = 4_194_304;

/** Joins the ids of consecutive pieces. */
function concatIds(parts: readonly Uint32Array[]): Uint32Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Byte-pair encoding on several Web Workers, each with its own tiktoken encoder, giving exactly
 * the ids of a single-threaded {@linkcode BpeTokenizer}: text is cut only where every encoding's
 * pre-tokenizer splits anyway (before a space or tab that follows a non-space character, or
 * after a lone newline between non-space characters), never inside a special token.
 *
 * The workers start once and serve every call until the pool is disposed (`using`,
 * `await using` or {@linkcode BpeWorkerPool.dispose}). Workers load this module's files, so a
 * local copy needs read permission on its `src/` folder; tiktoken's WebAssembly needs none.
 *
 * @example Same ids as the single-threaded tokenizer
 * ```ts
 * import { BpeTokenizer, BpeWorkerPool } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const text = "Hello, do you like tea? <|endoftext|> In the sunlit terraces. ".repeat(50);
 * using pool = new BpeWorkerPool("gpt2", { allowedSpecial: ["<|endoftext|>"], workers: 2 });
 * const ids = await pool.encode(text, { chunkChars: 100 });
 * using single = new BpeTokenizer("gpt2", { allowedSpecial: ["<|endoftext|>"] });
 * assert.deepEqual(ids, single.encode(text));
 * ```
 */
export class BpeWorkerPool implements Disposable, AsyncDisposable {
  readonly #name: EncodingName;
  readonly #allowed: ReadonlySet<string>;
  readonly #disallowed: readonly string[];
  readonly #slots: Slot[] = [];
  readonly #queue: Task[] = [];
  #failure: Error | undefined;

  /**
   * Starts the workers; each loads the encoding's tables while the first text is prepared.
   *
   * @param encoding The encoding's name, e.g. `"gpt2"`.
   * @param options Allowed special tokens and the number of workers.
   */
  constructor(encoding: EncodingName, options: BpeWorkerPoolOptions = {}) {
    checkEncodingName(encoding);
    checkOptions(options, "{ allowedSpecial?, workers? }");
    const { allowed, disallowed } = resolveAllowedSpecial(encoding, options.allowedSpecial);
    const workers = options.workers ?? Math.min(navigator.hardwareConcurrency, 256);
    checkInteger("workers", workers, 1, 256);
    const workerUrl = new URL("./bpe_worker.ts", import.meta.url);
    const sources = new URL("../", import.meta.url);
    if (
      sources.protocol === "file:" &&
      Deno.permissions.querySync({ name: "read", path: sources }).state !== "granted"
    ) {
      const path = decodeURIComponent(sources.pathname);
      throw new Deno.errors.NotCapable(
        `parallel tokenization starts Web Workers, which load this module's files from ${path}: ` +
          `allow reading them (--allow-read=${path})`,
      );
    }
    this.#name = encoding;
    this.#allowed = allowed;
    this.#disallowed = disallowed;
    const init: WorkerRequest = { type: "init", encoding, allowedSpecial: [...allowed] };
    for (let i = 0; i < workers; i++) {
      const slot: Slot = {
        worker: new Worker(workerUrl, { type: "module", name: `${encoding} tokenizer ${i}` }),
        ready: false,
        inFlight: [],
      };
      slot.worker.onmessage = (event: MessageEvent<WorkerReply>) => {
        const reply = event.data;
        if (reply.type === "ready") {
          slot.worker.postMessage(init);
          slot.ready = true;
        } else {
          const task = slot.inFlight.shift();
          if (reply.type === "ids") task?.resolve(reply.ids);
          else task?.reject(new Error(`tokenizer worker failed: ${reply.message}`));
        }
        this.#dispatch();
      };
      slot.worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        this.#fail(new Error(`tokenizer worker failed: ${event.message}`));
      };
      this.#slots.push(slot);
    }
  }

  /** The encoding's name, e.g. `"gpt2"`. */
  get name(): EncodingName {
    return this.#name;
  }

  /** The number of workers. */
  get workers(): number {
    return this.#slots.length;
  }

  /** The special tokens this pool encodes to their ids. */
  get allowedSpecial(): ReadonlySet<string> {
    return this.#allowed;
  }

  /**
   * Text → ids, the same as {@linkcode BpeTokenizer.encode}: a special token that is not
   * allowed is an {@linkcode InputError} naming it and its offset, before any work starts.
   *
   * @param text The text to encode.
   * @param options How large the pieces given to the workers are.
   * @returns The ids.
   */
  encode(text: string, options: ParallelEncodeOptions = {}): Promise<Uint32Array> {
    return this.#encode(text, options, false);
  }

  /**
   * Text → ids with special-token strings encoded as ordinary text, the same as
   * {@linkcode BpeTokenizer.encodeOrdinary} (how llm.c's data scripts encode documents).
   *
   * @param text The text to encode.
   * @param options How large the pieces given to the workers are.
   * @returns The ids.
   */
  encodeOrdinary(text: string, options: ParallelEncodeOptions = {}): Promise<Uint32Array> {
    return this.#encode(text, options, true);
  }

  async #encode(
    text: string,
    options: ParallelEncodeOptions,
    ordinary: boolean,
  ): Promise<Uint32Array> {
    if (typeof text !== "string") {
      throw new InputError("text", `must be a string, got ${describe(text)}`);
    }
    const chunkChars = options.chunkChars ??
      Math.min(
        Math.max(Math.ceil(text.length / (4 * this.workers)), MIN_DEFAULT_CHUNK),
        MAX_DEFAULT_CHUNK,
      );
    checkInteger("chunkChars", chunkChars, 1);
    if (!ordinary) checkNoDisallowedSpecial(text, this.#disallowed);
    if (this.#failure !== undefined) throw this.#failure;
    const pieces = splitAtSafeCuts(text, chunkChars).map((piece) =>
      new Promise<Uint32Array>((resolve, reject) => {
        this.#queue.push({ text: piece, ordinary, resolve, reject });
      })
    );
    this.#dispatch();
    return concatIds(await Promise.all(pieces));
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      while (slot.ready && slot.inFlight.length < PIECES_PER_WORKER && this.#queue.length > 0) {
        const task = this.#queue.shift()!;
        slot.inFlight.push(task);
        const request: WorkerRequest = { type: "encode", text: task.text, ordinary: task.ordinary };
        slot.worker.postMessage(request);
      }
    }
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const slot of this.#slots) {
      slot.worker.terminate();
      slot.ready = false;
      for (const task of slot.inFlight.splice(0)) task.reject(this.#failure);
    }
    for (const task of this.#queue.splice(0)) task.reject(this.#failure);
  }

  /** Stops the workers; pending encodings are rejected. Harmless when called again. */
  dispose(): void {
    this.#fail(new Error(`the ${this.#name} worker pool was disposed`));
  }

  /** Same as {@linkcode BpeWorkerPool.dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Same as {@linkcode BpeWorkerPool.dispose}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
    return Promise.resolve();
  }
}

/**
 * Encodes one text on a pool of Web Workers started for this call (see
 * {@linkcode BpeWorkerPool}, which keeps its workers for many texts): the ids are exactly
 * those of a single-threaded {@linkcode BpeTokenizer}.
 *
 * @example
 * ```ts
 * import { BpeTokenizer, encodeParallel } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const text = "The verdict was in.\nIt was, I think, a triumph. ".repeat(100);
 * const ids = await encodeParallel(text, { encoding: "cl100k_base", workers: 2, chunkChars: 500 });
 * using single = new BpeTokenizer("cl100k_base");
 * assert.deepEqual(ids, single.encode(text));
 * ```
 *
 * @param text The text to encode.
 * @param options The encoding, allowed special tokens, workers and piece size.
 * @returns The ids.
 */
export async function encodeParallel(
  text: string,
  options: EncodeParallelOptions,
): Promise<Uint32Array> {
  // Check everything before any worker starts.
  checkOptions(options, "{ encoding, allowedSpecial?, workers?, chunkChars?, ordinary? }");
  checkEncodingName(options.encoding);
  const { disallowed } = resolveAllowedSpecial(options.encoding, options.allowedSpecial);
  if (typeof text !== "string") {
    throw new InputError("text", `must be a string, got ${describe(text)}`);
  }
  checkBoolean("ordinary", options.ordinary);
  if (!options.ordinary) checkNoDisallowedSpecial(text, disallowed);
  if (options.chunkChars !== undefined) checkInteger("chunkChars", options.chunkChars, 1);
  await using pool = new BpeWorkerPool(options.encoding, options);
  return options.ordinary
    ? await pool.encodeOrdinary(text, options)
    : await pool.encode(text, options);
}
