// Fault injection: prepareShards killed (SIGKILL) while it tokenizes, at every step of its
// commit, and at random times. Afterwards the folder is as it was, or complete, or marked by the
// commit record that every loader refuses; the next run succeeds and leaves no debris.
import assert from "node:assert/strict";
import {
  InputError,
  listShards,
  prepareShards,
  readShard,
  ShardDataLoader,
  ShardDataset,
  writeShard,
} from "../../mod.ts";
import { randomText, seededRandom } from "../helpers/random_text.ts";
import { ROOT_PATH } from "../helpers/run_task.ts";
import { withTempDir } from "../helpers/temp_dir.ts";

const CHILD = "tests/helpers/prepare_child.ts";

/** The folder's entries: name → SHA-256 of the contents (folders as "dir"). */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const entries = new Map<string, string>();
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile) {
      entries.set(entry.name, entry.isDirectory ? "dir" : "other");
      continue;
    }
    const hash = await crypto.subtle.digest("SHA-256", await Deno.readFile(`${dir}/${entry.name}`));
    entries.set(entry.name, Array.from(new Uint8Array(hash), (b) => b.toString(16)).join(""));
  }
  return new Map([...entries].sort(([a], [b]) => (a < b ? -1 : 1)));
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

/** Every loader refuses the folder, naming the unfinished set. */
async function assertLoadersRefuse(dir: string, names: string[]): Promise<void> {
  const refused = (error: unknown) =>
    error instanceof InputError && /holds an unfinished set of shards/.test(error.message);
  await assert.rejects(listShards(dir), refused);
  await assert.rejects(ShardDataset.open(dir, { maxLength: 4, stride: 4 }), refused);
  for (const name of names.filter((n) => n.endsWith(".bin")).slice(0, 2)) {
    await assert.rejects(readShard(`${dir}/${name}`), refused);
  }
}

/** The folder's visible shards load through every loader. */
async function assertLoads(dir: string): Promise<void> {
  const shards = await listShards(dir);
  assert.ok(shards.length > 0);
  const dataset = await ShardDataset.open(dir, { maxLength: 4, stride: 4, split: "train" });
  const loader = new ShardDataLoader(dataset, { batchSize: 2 });
  let batches = 0;
  for await (const _ of loader) batches++;
  assert.equal(batches, loader.numBatches);
}

async function writeInputs(dir: string, seed: number, chars: number): Promise<string[]> {
  const random = seededRandom(seed);
  const files = [`${dir}/in-a.txt`, `${dir}/in-b.txt`];
  for (const file of files) await Deno.writeTextFile(file, randomText(random, chars));
  return files;
}

const STOPS = ["progress", "recorded", "moved-aside", "moved-in", "committed"] as const;

Deno.test("prepare killed at every step: as it was, complete, or refused; the next run succeeds", async (t) => {
  for (const overwrite of [false, true]) {
    for (const stop of STOPS) {
      if (stop === "moved-aside" && !overwrite) continue; // no old shards to move aside
      await t.step(
        `${overwrite ? "--overwrite of an older set" : "a new folder"}, ${stop}`,
        () =>
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
            const complete = await snapshot(reference);
            await Deno.mkdir(out);
            await Deno.writeTextFile(`${out}/notes.md`, "the user's own file");
            if (overwrite) {
              // an older, larger set: a mix of the two would be visible by its extra shards
              for (let k = 1; k <= complete.size + 3; k++) {
                await writeShard(`${out}/train_${String(k).padStart(6, "0")}.bin`, [k, k, k, k, k]);
              }
            }
            const before = await snapshot(out);
            const expected = new Map([["notes.md", before.get("notes.md")!], ...complete]);

            const outcome = await runAndKill([
              out,
              stop,
              overwrite ? "overwrite" : "keep",
              ...files,
            ]);
            assert.equal(outcome, "paused");
            const after = await snapshot(out);
            const visible = new Map([...after].filter(([name]) => !name.startsWith(".")));
            if (after.has(".prepare-commit.json")) {
              assert.ok(stop === "recorded" || stop === "moved-aside" || stop === "moved-in");
              await assertLoadersRefuse(out, [...visible.keys()]);
            } else if (stop === "committed") {
              assert.deepEqual(visible, expected, "complete");
              await assertLoads(out);
            } else {
              assert.deepEqual(visible, before, "as it was");
            }

            // the next run puts the folder back, then prepares it; nothing else is left
            const again = overwrite || stop === "committed" ? "overwrite" : "keep";
            const rerun = await runAndKill([out, "never", again, ...files]);
            assert.equal(rerun, "done");
            assert.deepEqual(await snapshot(out), expected);
            await assertLoads(out);
          }),
      );
    }
  }
});

Deno.test("prepare killed at random times: never a partial set, the next run succeeds", async () => {
  await withTempDir(async (dir) => {
    const files = await writeInputs(dir, 2, 200_000);
    const out = `${dir}/out`;
    const reference = `${dir}/reference`;
    await prepareShards(files, { outDir: reference, shardTokens: 1500, valFraction: 0.1 });
    const complete = await snapshot(reference);
    const random = seededRandom(3);
    const outcomes: string[] = [];
    for (let trial = 0; trial < 6; trial++) {
      const before = await snapshot(out).catch(() => new Map<string, string>());
      const outcome = await runAndKill(
        [out, "never", "overwrite", ...files],
        300 + Math.floor(random() * 2500),
      );
      outcomes.push(outcome);
      const after = await snapshot(out).catch(() => new Map<string, string>());
      const visible = new Map([...after].filter(([name]) => !name.startsWith(".")));
      if (after.has(".prepare-commit.json")) {
        await assertLoadersRefuse(out, [...visible.keys()]);
      } else if (visible.size > 0) {
        // either the earlier complete set or this run's: the same inputs give the same set
        assert.deepEqual(visible, complete);
        await assertLoads(out);
      } else {
        assert.deepEqual(visible, new Map([...before].filter(([n]) => !n.startsWith("."))));
      }
    }
    assert.equal(await runAndKill([out, "never", "overwrite", ...files]), "done");
    assert.deepEqual(await snapshot(out), complete, "complete, and no debris");
    assert.ok(outcomes.includes("killed"), `no run was killed: ${outcomes}`);
  });
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
    // the run made the folder, so it removed it again
    await assert.rejects(Deno.lstat(out), Deno.errors.NotFound);
  });
});
