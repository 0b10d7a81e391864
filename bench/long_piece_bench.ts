// One long pre-token: 200,000 copies of one letter, encoded with exactly tiktoken's ids (checked
// against tiktoken's own ids before timing). tiktoken's merge is quadratic in a pre-token's
// length (about 30 to 90 s for this text); long pieces are merged here with a heap instead.
//   deno bench bench/long_piece_bench.ts
import { BpeTokenizer } from "../mod.ts";
import { idsDigest, TIKTOKEN_200K } from "../tests/helpers/tiktoken_reference.ts";

for (const [encoding, letter, count, sha256] of TIKTOKEN_200K) {
  const tokenizer = new BpeTokenizer(encoding);
  const text = letter.repeat(200_000);
  const ids = tokenizer.encode(text); // also builds the encoding's rank table, once per process
  if (ids.length !== count || await idsDigest(ids) !== sha256) {
    throw new Error(`${encoding}: the ids of ${letter} × 200,000 differ from tiktoken's`);
  }
  Deno.bench({
    name: `${encoding}: ${letter} × 200,000, one pre-token`,
    group: "long pre-token",
    n: 5,
    warmup: 1,
    fn: () => {
      tokenizer.encode(text);
    },
  });
  globalThis.addEventListener("unload", () => tokenizer.dispose());
}
