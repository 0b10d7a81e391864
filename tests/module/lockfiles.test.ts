// What a first run downloads. Deno installs every npm package of the lockfile it uses when a
// program starts, whether the program imports it or not; so the lockfile of the user tasks and
// tests (deno.lock) may name only packages the library itself needs, and the benchmarks, which
// compare against TensorFlow.js, keep theirs in bench/deno.lock. A plain `deno check` or
// `deno run` uses no lockfile ("lock": false), so that it cannot add a benchmark's packages to
// deno.lock; every task names its lockfile.
import assert from "node:assert/strict";
import { taskCommands } from "../helpers/tasks.ts";
import { commandWords } from "../helpers/run_task.ts";

const ROOT = new URL("../../", import.meta.url);
const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));

/** The `npm:` specifiers a lockfile resolves (e.g. `npm:tiktoken@1.0.22`). */
async function lockedSpecifiers(path: string): Promise<string[]> {
  const lock = JSON.parse(await Deno.readTextFile(new URL(path, ROOT)));
  return Object.keys(lock.specifiers ?? {}).filter((specifier) => specifier.startsWith("npm:"));
}

/** The text of every TypeScript file under `folder` (recursively). */
async function sources(folder: URL): Promise<string[]> {
  const texts: string[] = [];
  for await (const entry of Deno.readDir(folder)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), folder);
    if (entry.isDirectory) texts.push(...await sources(url));
    else if (/\.(ts|js)$/.test(entry.name)) texts.push(await Deno.readTextFile(url));
  }
  return texts;
}

Deno.test("deno.lock names only the packages the library imports", async () => {
  const library = [
    await Deno.readTextFile(new URL("mod.ts", ROOT)),
    ...await sources(new URL("src/", ROOT)),
    JSON.stringify(config.compilerOptions?.types ?? []),
  ];
  const specifiers = await lockedSpecifiers("deno.lock");
  assert.ok(specifiers.includes("npm:tiktoken@1.0.22"), "the tokenizers' package is locked");
  for (const specifier of specifiers) {
    assert.ok(
      library.some((text) => text.includes(`"${specifier}`)),
      `deno.lock names ${specifier}, which neither mod.ts nor src/ imports: every user task ` +
        "would download it on its first run. Benchmark-only packages belong in bench/deno.lock " +
        "(the bench tasks' --lock); restore deno.lock with `git checkout deno.lock`",
    );
  }
});

Deno.test("no lockfile by default; each task names its own and runs quietly", () => {
  assert.equal(config.lock, false);
  for (const [name, command] of Object.entries(taskCommands())) {
    const words = commandWords(command);
    if (words[0] !== "deno" || !["run", "test", "bench"].includes(words[1])) continue;
    const lock = name.startsWith("bench") ? "bench/deno.lock" : "deno.lock";
    assert.ok(words.includes(`--lock=${lock}`), `${name}: --lock=${lock}`);
    // `-q` keeps Deno's "Download …" lines of a first run off the task's stderr.
    if (words[1] === "run") assert.ok(words.includes("-q"), `${name}: -q`);
  }
});

Deno.test("TensorFlow.js is locked for the benchmarks only", async () => {
  const bench = await lockedSpecifiers("bench/deno.lock");
  assert.ok(bench.some((specifier) => specifier.startsWith("npm:@tensorflow/")));
  assert.ok(!(await lockedSpecifiers("deno.lock")).some((s) => s.includes("@tensorflow")));
});
