// The parallel tokenizer as bench:compare runs it: `encodeParallel` on one Web Worker per core,
// started and stopped by each call, as a program tokenizing one large text would use it.
import { encodeParallel, type EncodingName } from "../../mod.ts";

/** Encodes `text` on `workers` threads; the ids must equal single-threaded tiktoken's. */
export function encodeOnWorkers(
  text: string,
  encoding: EncodingName,
  workers: number,
): Promise<Uint32Array> {
  return encodeParallel(text, { encoding, workers });
}
