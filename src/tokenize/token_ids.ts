import { checkIdArray, MAX_STREAM_IDS } from "../util/checks.ts";

/** Token ids as the tokenizers produce them and the later stages take them: 32-bit, or 16-bit for vocabularies up to 65,536. */
export type TokenArray = Uint32Array | Uint16Array;

/**
 * Throws an {@linkcode InputError} unless `ids` is a {@linkcode TokenArray} the later stages can
 * index (at most 2³² − 1 tokens, since window starts are 32-bit).
 */
export function checkTokenArray(ids: unknown): asserts ids is TokenArray {
  checkIdArray("ids", ids, MAX_STREAM_IDS);
}
