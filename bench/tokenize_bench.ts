// Single-threaded tiktoken vs the worker pool on the same ~24 MB text, per encoding.
// MB/s = the text's size (in the group name) / the time per iteration.
//   deno bench --allow-read bench/tokenize_bench.ts
import { BpeTokenizer, BpeWorkerPool, type EncodingName } from "../mod.ts";
import { mixedCorpusText } from "../tests/helpers/random_text.ts";

const text = await mixedCorpusText(24_000_000);
const megabytes = new TextEncoder().encode(text).length / 1e6;
const encodings: EncodingName[] = ["gpt2", "r50k_base", "p50k_base", "cl100k_base", "o200k_base"];

for (const encoding of encodings) {
  const group = `${encoding}, ${megabytes.toFixed(1)} MB`;
  const single = new BpeTokenizer(encoding);
  // The pool starts once and is reused, as a program encoding many texts would.
  const pool = new BpeWorkerPool(encoding);
  await pool.encode("warm up the workers' encoders");
  Deno.bench({
    name: `${encoding} single-threaded`,
    group,
    baseline: true,
    n: 2,
    warmup: 1,
    fn: () => {
      single.encode(text);
    },
  });
  Deno.bench({
    name: `${encoding} parallel, ${pool.workers} workers`,
    group,
    n: 2,
    warmup: 1,
    fn: async () => {
      await pool.encode(text);
    },
  });
  globalThis.addEventListener("unload", () => {
    single.dispose();
    pool.dispose();
  });
}
