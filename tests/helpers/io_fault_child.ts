// A task's main function that meets a file-system fault, run through runCli as every task is:
//   deno run --allow-read=tests io_fault_child.ts
// It reads from an open folder: the system's error (EISDIR) carries a code and no path, as a
// full disk's ENOSPC or a read-only folder's EROFS do. (tests/cli/io_faults.test.ts makes the
// real tasks' writes fail in the middle of a file; docs/limits.md says what else was checked.)
import { runCli } from "../../src/cli/cli.ts";

await runCli("deno task fault", async () => {
  using folder = await Deno.open(new URL(".", import.meta.url), { read: true });
  await folder.read(new Uint8Array(16));
});
