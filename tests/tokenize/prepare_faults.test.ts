// Fault injection: prepareShards killed (SIGKILL) while it tokenizes, at every step of its
// commit, and at random times. Afterwards the folder is as it was or complete: the files in it
// literally before the commit and after the run's last step, and through every loader at every
// point (the list swapped in one rename decides). The next run succeeds and leaves no debris.
import assert from "node:assert/strict";
import {
  InputError,
  listShards,
  prepareShards,
  ShardDataLoader,
  ShardDataset,
  writeShard,
} from "../../mod.ts";
import { randomText, seededRandom } from "../helpers/random_text.ts";
import { ROOT_PATH } from "../helpers/run_task.ts";
import { withTempDir } from "../helpers/temp_dir.ts";

const CHILD = "tests/helpers/prepare_child.ts";

/** SHA-256 of a file, in hex. */
async function hashOf(path: string): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(hash), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The folder's entries: name → SHA-256 of the contents (folders as "dir"); undefined if none. */
async function snapshot(dir: string): Promise<Map<string, string> | undefined> {
  const entries = new Map<string, string>();
  try {
    for await (const entry of Deno.readDir(dir)) {
      const kind = entry.isDirectory ? "dir" : "other";
      entries.set(entry.name, entry.isFile ? await hashOf(`${dir}/${entry.name}`) : kind);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  return new Map([...entries].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** What the loaders see: each listed shard's name and contents, in order; "none" if no folder. */
async function loadedSet(dir: string): Promise<string> {
  let shards;
  try {
    shards = await listShards(dir);
  } catch (error) {
    if (error instanceof InputError && /does not exist$/.test(error.message)) return "none";
    throw error;
  }
  const named = await Promise.all(
    shards.map(async (s) => `${s.path.replace(/^.*\//, "")}=${await hashOf(s.path)}`),
  );
  return named.join("\n");
}

/** Starts the child; resolves when it says PAUSED (or ends), then kills it with SIGKILL. */
async function runAndKill(
  args: string[],
  killAfterMs?: number,
): Promise<"paused" | "done" | "killed"> {
  const child = new Deno.Command("deno", {
    args: ["run", "--allow-read=.", "--allow-write=.tmp", CHILD, ...args],
    cwd: ROOT_PATH,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let outcome: "paused" | "done" | "killed" = "done";
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => {
    outcome = "killed";
    child.kill("SIGKILL");
  }, killAfterMs);
  let seen = "";
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    seen += chunk;
    if (seen.includes("PAUSED")) {
      outcome = "paused";
      child.kill("SIGKILL");
      break;
    }
  }
  clearTimeout(timer);
  const status = await child.status;
  if (outcome === "done") {
    assert.equal(status.code, 0, `the child failed: ${await stderr}`);
  } else {
    await stderr;
  }
  return outcome;
}

/** The folder's set loads through every loader, batch by batch. */
async function assertLoads(dir: string): Promise<void> {
  const dataset = await ShardDataset.open(dir, { maxLength: 4, stride: 4, split: "train" });
  const loader = new ShardDataLoader(dataset, { batchSize: 2 });
  let batches = 0;
  for await (const _ of loader) batches++;
  assert.equal(batches, loader.numBatches);
  assert.ok(batches > 0);
}

/**
 * The folder is complete (`expected`, byte for byte) and loads, and nothing of a run is left in
 * it or beside it: `dir` holds the inputs, the folder and the reference run only.
 */
async function assertFinished(
  dir: string,
  out: string,
  expected: Map<string, string>,
): Promise<void> {
  assert.deepEqual(await snapshot(out), expected, "complete, and no debris");
  assert.deepEqual([...(await snapshot(dir))!.keys()], [
    "in-a.txt",
    "in-b.txt",
    "out",
    "reference",
  ]);
  await assertLoads(out);
}

async function writeInputs(dir: string, seed: number, chars: number): Promise<string[]> {
  const random = seededRandom(seed);
  const files = [`${dir}/in-a.txt`, `${dir}/in-b.txt`];
  for (const file of files) await Deno.writeTextFile(file, randomText(random, chars));
  return files;
}

/** What the folder holds before the run. */
type Start = "no folder" | "a folder of the user's" | "llm.c's shards" | "an older prepared set";

/** Makes the folder as `start` says. */
async function makeStart(out: string, start: Start, files: string[]): Promise<void> {
  if (start === "no folder") return;
  if (start === "an older prepared set") {
    // a larger set: a mix of the two would show by its extra shards
    await prepareShards(files.slice(0, 1), { outDir: out, shardTokens: 700, workers: 1 });
  } else {
    await Deno.mkdir(out);
  }
  await Deno.writeTextFile(`${out}/notes.md`, "the user's own file");
  if (start === "llm.c's shards") {
    for (let k = 0; k <= 12; k++) {
      await writeShard(`${out}/train_${String(k).padStart(6, "0")}.bin`, [k, k, k, k, k]);
    }
  }
}

const STOPS = ["progress", "committed", "removed", "linked", "done"] as const;
const STARTS: Start[] = [
  "no folder",
  "a folder of the user's",
  "llm.c's shards",
  "an older prepared set",
];

Deno.test("prepare killed at every step: the folder as it was or complete; the next run succeeds", async (t) => {
  for (const start of STARTS) {
    const overwrite = start === "llm.c's shards" || start === "an older prepared set";
    for (const stop of STOPS) {
      // a new folder is renamed into place whole; a folder without shards has none to remove
      if (start === "no folder" && (stop === "removed" || stop === "linked")) continue;
      if (stop === "removed" && !overwrite) continue;
      await t.step(`${start}, killed at ${stop}`, () =>
        withTempDir(async (dir) => {
          const files = await writeInputs(dir, 1, 40_000);
          const out = `${dir}/out`;
          const reference = `${dir}/reference`;
          await prepareShards(files, {
            outDir: reference,
            shardTokens: 1500,
            valFraction: 0.1,
            workers: 1,
          });
          const complete = (await snapshot(reference))!;
          const completeSet = await loadedSet(reference);
          await makeStart(out, start, files);
          const before = await snapshot(out);
          const beforeSet = start === "no folder" ? "none" : await loadedSet(out);
          const expected = new Map([
            ...(before?.has("notes.md") ? [["notes.md", before.get("notes.md")!] as const] : []),
            ...complete,
          ]);

          const mode = overwrite ? "overwrite" : "keep";
          assert.equal(await runAndKill([out, stop, mode, ...files]), "paused");
          const after = await snapshot(out);
          const visible = after && new Map([...after].filter(([name]) => !name.startsWith(".")));
          const committed = stop !== "progress";
          // every loader: the older set before the commit, the complete new one from it on
          assert.equal(await loadedSet(out), committed ? completeSet : beforeSet);
          if (committed) await assertLoads(out);
          if (stop === "progress") {
            assert.deepEqual(
              visible,
              before && new Map([...before].filter(([n]) => !n.startsWith("."))),
              "as it was",
            );
          } else if (stop === "done" || start === "no folder") {
            assert.deepEqual(after, expected, "complete, and no debris");
          } else {
            // between the commit and the last step, the shard files under their own names are
            // some of the older set (being removed) or some of the new one (being linked in)
            const shards = [...visible!].filter(([name]) => name.endsWith(".bin"));
            const old = shards.every(([name, hash]) => before!.get(name) === hash);
            const fresh = shards.every(([name, hash]) => complete.get(name) === hash);
            assert.ok(old || fresh, `a mix of the two sets: ${shards.map(([n]) => n)}`);
            assert.equal(visible!.get("notes.md"), before!.get("notes.md"));
          }

          // the next run finishes or removes what the stopped one left, then prepares
          const again = overwrite || committed ? "overwrite" : "keep";
          assert.equal(await runAndKill([out, "never", again, ...files]), "done");
          await assertFinished(dir, out, expected);
        }));
    }
  }
});

Deno.test("prepare killed at random times: the older set or the complete one, the next run succeeds", async () => {
  await withTempDir(async (dir) => {
    const files = await writeInputs(dir, 2, 200_000);
    const out = `${dir}/out`;
    const reference = `${dir}/reference`;
    await prepareShards(files, { outDir: reference, shardTokens: 1500, valFraction: 0.1 });
    const complete = (await snapshot(reference))!;
    const completeSet = await loadedSet(reference);
    const random = seededRandom(3);
    const outcomes: string[] = [];
    for (let trial = 0; trial < 6; trial++) {
      const before = await loadedSet(out);
      const outcome = await runAndKill(
        [out, "never", "overwrite", ...files],
        300 + Math.floor(random() * 2500),
      );
      outcomes.push(outcome);
      const now = await loadedSet(out);
      assert.ok(now === before || now === completeSet, `trial ${trial}: neither set`);
      if (now !== "none") await assertLoads(out);
    }
    assert.equal(await runAndKill([out, "never", "overwrite", ...files]), "done");
    await assertFinished(dir, out, complete);
    assert.ok(outcomes.includes("killed"), `no run was killed: ${outcomes}`);
  });
});

Deno.test("two prepare runs into one folder: the second waits for the first", async (t) => {
  for (const start of ["no folder", "an older prepared set"] as const) {
    await t.step(start, () =>
      withTempDir(async (dir) => {
        const files = await writeInputs(dir, 5, 40_000);
        const out = `${dir}/out`;
        const reference = `${dir}/reference`;
        await prepareShards(files, { outDir: reference, shardTokens: 1500, valFraction: 0.1 });
        const complete = (await snapshot(reference))!;
        await makeStart(out, start, files);
        const expected = new Map([
          ...(start === "no folder"
            ? []
            : [["notes.md", (await snapshot(out))!.get("notes.md")!] as const]),
          ...complete,
        ]);
        // the first run holds the folder while it tokenizes; it is killed there
        const first = new Deno.Command("deno", {
          args: [
            "run",
            "--allow-read=.",
            "--allow-write=.tmp",
            CHILD,
            out,
            "progress",
            "overwrite",
            ...files,
          ],
          cwd: ROOT_PATH,
          stdout: "piped",
          stderr: "null",
          stdin: "null",
        }).spawn();
        const reader = first.stdout.pipeThrough(new TextDecoderStream()).getReader();
        let said = "";
        while (!said.includes("PAUSED")) said += (await reader.read()).value ?? "";
        let waited = 0;
        const second = prepareShards(files, {
          outDir: out,
          overwrite: true,
          shardTokens: 1500,
          valFraction: 0.1,
          onWait: () => waited++,
        });
        await new Promise((resolve) => setTimeout(resolve, 1000));
        assert.ok(waited > 0, "the second run did not wait");
        first.kill("SIGKILL");
        await first.status;
        await reader.cancel();
        await second;
        await assertFinished(dir, out, expected);
      }));
  }
});

Deno.test("prepare: an input that changes while it is read is an error, and nothing is written", async () => {
  await withTempDir(async (dir) => {
    const [file] = await writeInputs(dir, 4, 300_000);
    const out = `${dir}/out`;
    let grown = false;
    await assert.rejects(
      prepareShards([file], {
        outDir: out,
        workers: 1,
        chunkBytes: 4096,
        onProgress: () => {
          if (grown) return;
          grown = true;
          Deno.writeTextFileSync(file, " and more", { append: true });
        },
      }),
      (error) => {
        assert.ok(error instanceof InputError);
        assert.equal(
          error.message,
          `${file} changed while it was read (its size or modification time is not what it was ` +
            "at the start); nothing was written: run prepare again once the file is complete",
        );
        return true;
      },
    );
    // nothing of the run is left: no folder, no staging folder beside it
    assert.deepEqual([...(await snapshot(dir))!.keys()], ["in-a.txt", "in-b.txt"]);
  });
});
