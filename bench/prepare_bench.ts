// `deno task prepare` on a generated ≥ 200 MB corpus (four files), in a child process so that its
// peak memory is its own: prints MB/s, tokens/s and peak RSS per run.
//   deno bench --allow-read --allow-write=.tmp --allow-run=deno --allow-env=INIT_CWD bench/prepare_bench.ts
import { DEFAULT_PREPARE_WORKERS } from "../src/tokenize/prepare_shards.ts";
import { mixedCorpusText } from "../tests/helpers/random_text.ts";

const DIR = new URL("../.tmp/bench-prepare/", import.meta.url);
const FILES = 4;
const PART_CHARS = 10_000_000;
const PARTS_PER_FILE = 5; // ~55 MB a file: The Verdict and random text in many scripts

await Deno.mkdir(DIR, { recursive: true });
const paths: string[] = [];
let bytes = 0;
for (let f = 0; f < FILES; f++) {
  const path = decodeURIComponent(new URL(`part${f}.txt`, DIR).pathname);
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  for (let p = 0; p < PARTS_PER_FILE; p++) {
    const part = new TextEncoder().encode(await mixedCorpusText(PART_CHARS, f * 100 + p));
    for (let written = 0; written < part.length;) {
      written += await file.write(part.subarray(written));
    }
    bytes += part.length;
  }
  paths.push(path);
}
const out = decodeURIComponent(new URL("shards", DIR).pathname);
globalThis.addEventListener("unload", () => Deno.removeSync(DIR, { recursive: true }));

Deno.bench({
  name: `prepare ${(bytes / 1e6).toFixed(0)} MB, gpt2, ${
    Math.min(navigator.hardwareConcurrency, DEFAULT_PREPARE_WORKERS)
  } workers`,
  n: 1,
  warmup: 0,
  async fn() {
    const child = await new Deno.Command("deno", {
      args: ["task", "--quiet", "prepare", ...paths, "--out", out, "--overwrite", "--json"],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!child.success) throw new Error(`prepare failed with code ${child.code}`);
    const summary = JSON.parse(new TextDecoder().decode(child.stdout));
    console.log(
      `${(summary.bytes / 1e6).toFixed(1)} MB → ${summary.tokens} tokens in ` +
        `${summary.seconds.toFixed(1)} s: ${
          (summary.bytes / 1e6 / summary.seconds).toFixed(2)
        } MB/s, ` +
        `${Math.round(summary.tokens / summary.seconds)} tokens/s, ` +
        `peak RSS ${(summary.peak_rss_bytes / 1e6).toFixed(0)} MB`,
    );
  },
});
