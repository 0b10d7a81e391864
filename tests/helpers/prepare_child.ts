// A prepareShards run that a test can stop at a chosen point: it prints "PAUSED" on stdout when
// it gets there and waits, so that the test can kill it (SIGKILL) exactly at that point.
//   deno run --allow-read=. --allow-write=.tmp prepare_child.ts OUT_DIR PAUSE OVERWRITE FILE...
// PAUSE: "never", "progress" (after the first piece is written to staging), or a commit step
// "committed", "removed", "linked", "done" (the first one of that step).
import { prepareShards } from "../../mod.ts";

const [outDir, pause, overwrite, ...files] = Deno.args;
const encoder = new TextEncoder();
const wait = async (where: string) => {
  if (where !== pause) return;
  Deno.stdout.writeSync(encoder.encode("PAUSED\n"));
  await new Promise(() => {}); // until killed
};
let progressed = false;
const paused: Promise<void>[] = [];
await prepareShards(files, {
  outDir,
  overwrite: overwrite === "overwrite",
  shardTokens: 1500,
  valFraction: 0.1,
  workers: 1,
  chunkBytes: 4096,
  onProgress: () => {
    if (!progressed) {
      progressed = true;
      paused.push(wait("progress"));
    }
  },
  onCommitStep: ({ step }) => wait(step),
});
await Promise.all(paused);
Deno.stdout.writeSync(encoder.encode("DONE\n"));
