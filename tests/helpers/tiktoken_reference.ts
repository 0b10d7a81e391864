// tiktoken 1.0.22's own ids for 200,000 copies of one letter, computed once with tiktoken itself
// (`get_encoding(name).encode_ordinary(letter.repeat(200_000))`; its quadratic merge takes 30 to
// 90 s per text here, too long for a test): the number of ids and the SHA-256 of their
// little-endian uint32 bytes.
import type { EncodingName } from "../../mod.ts";

/** One reference: encoding, letter, number of ids, SHA-256 (hex). */
export type LongPieceReference = readonly [EncodingName, string, number, string];

/** tiktoken's ids of `letter.repeat(200_000)`. */
export const TIKTOKEN_200K: readonly LongPieceReference[] = [
  ["gpt2", "a", 50000, "5a7682f81dfe639870e4e25b9b74a44811a305ab49cc573f1a03a0d7572b1c7c"],
  ["cl100k_base", "x", 25000, "286421a976e2abfee61b50a8767bdca3144b24e301a746588013199f3dd1a7b0"],
  ["o200k_base", "z", 100000, "d7ed8a5ad4f9b46def4d1022be0083c27220510ba546c7f944894b6f89951fa2"],
];

/** SHA-256 of ids' little-endian bytes, in hex. */
export async function idsDigest(ids: Uint32Array): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", ids.slice().buffer);
  return Array.from(new Uint8Array(hash), (b) => b.toString(16).padStart(2, "0")).join("");
}
