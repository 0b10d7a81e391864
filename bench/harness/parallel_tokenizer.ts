// The adapter to the parallel tokenizer of issue 5 (Web Workers, `encodeParallel`), built on
// another branch. It is looked up among the module's exports, so that the comparison runs with
// and without it; once merged, this can become a direct import.
import * as pipeline from "../../mod.ts";
import type { EncodingName } from "../../mod.ts";

/** Encodes `text` on several threads; the ids must equal single-threaded tiktoken's. */
export type ParallelEncode = (text: string, encoding: EncodingName) => Promise<Uint32Array>;

/** The parallel tokenizer, or `undefined` where this build has none. */
export function parallelEncoder(): ParallelEncode | undefined {
  const encodeParallel = (pipeline as Record<string, unknown>).encodeParallel;
  if (typeof encodeParallel !== "function") return undefined;
  return (text, encoding) => encodeParallel(text, { encoding });
}
