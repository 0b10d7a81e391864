// A prepareShards run that a test can stop at a chosen point: it prints "PAUSED" on stdout when
// it gets there and blocks (the whole process, holding what it holds), so that the test can kill
// it (SIGKILL) exactly at that point.
//   deno run --allow-read=. --allow-write=.tmp prepare_child.ts OUT_DIR PAUSE OVERWRITE FILE...
// PAUSE: "never", "progress" (after the first piece is written to staging), or a commit step
// "committed", "removed", "linked", "done" (the first one of that step).
import { prepareShards } from "../../mod.ts";

const [outDir, pause, overwrite, ...files] = Deno.args;
const encoder = new TextEncoder();
const wait = (where: string) => {
  if (where !== pause) return;
  Deno.stdout.writeSync(encoder.encode("PAUSED\n"));
  // blocks until killed: no step after this one runs, and the process stays
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
};
await prepareShards(files, {
  outDir,
  overwrite: overwrite === "overwrite",
  shardTokens: 1500,
  valFraction: 0.1,
  workers: 1,
  chunkBytes: 4096,
  onProgress: () => wait("progress"),
  onCommitStep: ({ step }) => wait(step),
});
Deno.stdout.writeSync(encoder.encode("DONE\n"));
