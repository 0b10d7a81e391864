// File-system faults met by the real tasks in the middle of writing their output: each task runs
// as deno.json declares it, under a file-size limit (`prlimit --fsize`), so that the kernel
// fails the write that passes the limit with EFBIG, as a full disk fails it with ENOSPC. The
// same route works as root and as any other user (root ignores permission bits, not this limit).
// Each fault must end the task with exit code 2 and one line on stderr naming the file with the
// system's words, and leave the user's files as they were: a folder that existed keeps its files
// byte for byte, a new output is not left behind, nothing is half-written.
import assert from "node:assert/strict";
import { commandWords, ROOT_PATH, type TaskResult } from "../helpers/run_task.ts";
import { taskCommands } from "../helpers/tasks.ts";
import { withTempDir } from "../helpers/temp_dir.ts";

/**
 * The largest file the faulting runs may write, in bytes. Deno itself keeps its caches in SQLite
 * files whose shared-memory index grows to 32 KiB as it starts, so the limit stays above that,
 * and every output that must fail is made larger (the tests check it is).
 */
const FILE_SIZE_LIMIT = 64 << 10;

const PRELOAD = "tests/helpers/ignore_file_size_signal.ts";

/**
 * Runs a task's command line from deno.json directly, as `deno task --config` runs it from
 * `folder` (`$INIT_CWD`, where its paths start), with the preload that turns the kernel's
 * SIGXFSZ into a failed write; under `prlimit --fsize=FILE_SIZE_LIMIT` when `limited`.
 */
async function runTask(
  task: string,
  folder: string,
  args: string[],
  limited: boolean,
): Promise<TaskResult> {
  const words = commandWords(taskCommands()[task]).map((word) =>
    word.replaceAll("$INIT_CWD", folder)
  );
  const script = words.length - 1;
  assert.equal(words[0], "deno");
  assert.match(words[script], /^src\/cli\/\w+\.ts$/, `${task} runs one of src/cli/`);
  const command = [
    ...words.slice(0, script),
    "--preload",
    PRELOAD,
    ...words.slice(script),
    ...args,
  ];
  const [program, ...rest] = limited
    ? ["prlimit", `--fsize=${FILE_SIZE_LIMIT}`, "--", ...command]
    : command;
  const { code, stdout, stderr } = await new Deno.Command(program, {
    args: rest,
    cwd: ROOT_PATH,
    stdin: "null",
    env: { NO_COLOR: "1", INIT_CWD: folder },
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** Every file under `dir` (recursively, hidden ones too) with its bytes, by relative path. */
async function snapshot(dir: string, prefix = ""): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for await (const entry of Deno.readDir(`${dir}/${prefix}`)) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) {
      files.set(`${path}/`, new Uint8Array());
      for (const [inner, bytes] of await snapshot(dir, `${path}/`)) files.set(inner, bytes);
    } else files.set(path, await Deno.readFile(`${dir}/${path}`));
  }
  return files;
}

/** Asserts that the folder holds exactly the files it held, byte for byte. */
async function assertUnchanged(dir: string, before: Map<string, Uint8Array>): Promise<void> {
  const after = await snapshot(dir);
  assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
  for (const [path, bytes] of before) assert.deepEqual(after.get(path), bytes, path);
}

/** `text` as a regular expression that matches it literally. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The system's words for a write past the file-size limit (EFBIG). */
const TOO_LARGE = "File too large (os error 27)";

/** Asserts a faulting run: exit code 2, nothing on stdout, one line on stderr. */
function assertFault(result: TaskResult, line: RegExp): void {
  assert.equal(result.stdout, "");
  assert.match(result.stderr, line);
  assert.equal(result.stderr.split("\n").length, 2, `one line: ${result.stderr}`);
  assert.equal(result.code, 2, result.stderr);
}

/** `prlimit` is Linux's (util-linux); elsewhere the tests show as ignored. */
const ignore = Deno.build.os !== "linux";

Deno.test({
  name: "io faults: deno task prepare, a write past the file-size limit",
  ignore,
}, async (t) => {
  await withTempDir(async (tmp) => {
    const dir = await Deno.realPath(tmp);
    const verdict = await Deno.readTextFile(`${ROOT_PATH}/data/the-verdict.txt`);
    await Deno.writeTextFile(`${dir}/small.txt`, verdict);
    await Deno.writeTextFile(`${dir}/large.txt`, verdict.repeat(8));

    // the runs that succeed also fill Deno's caches, which the limited runs must not write
    const reference = await runTask("prepare", dir, ["large.txt", "--out", "reference"], false);
    assert.equal(reference.stderr, "");
    assert.equal(reference.code, 0);
    const shard = await Deno.stat(`${dir}/reference/train_000000.bin`);
    assert.ok(shard.size > FILE_SIZE_LIMIT, `the shard (${shard.size} bytes) passes the limit`);
    await Deno.remove(`${dir}/reference`, { recursive: true });
    const older = await runTask("prepare", dir, ["small.txt", "--out", "older"], false);
    assert.equal(older.code, 0, older.stderr);
    await Deno.mkdir(`${dir}/empty`);
    const shardLine = (out: string) =>
      new RegExp(
        // (the shard is written in the staging folder: inside the folder, or beside a new one)
        `^deno task prepare: cannot write ${literal(`${dir}/`)}` +
          `(?:${literal(`${out}/`)}|${
            literal(`.${out}.prepare-staging/`)
          })\\S*train_000000\\.bin: ` +
          `${literal(TOO_LARGE)}\\n$`,
      );

    await t.step("into a new folder: no folder is left behind", async () => {
      const before = await snapshot(dir);
      const result = await runTask("prepare", dir, ["large.txt", "--out", "shards"], true);
      assertFault(result, shardLine("shards"));
      await assertUnchanged(dir, before);
    });

    await t.step("into an empty folder: it stays empty", async () => {
      const before = await snapshot(dir);
      const result = await runTask("prepare", dir, ["large.txt", "--out", "empty"], true);
      assertFault(result, shardLine("empty"));
      await assertUnchanged(dir, before);
    });

    await t.step("--overwrite of older shards: they are kept byte for byte", async () => {
      const before = await snapshot(dir);
      assert.ok(before.has("older/train_000000.bin"));
      const args = ["large.txt", "--out", "older", "--overwrite"];
      const result = await runTask("prepare", dir, args, true);
      assertFault(result, shardLine("older"));
      await assertUnchanged(dir, before);
    });
  });
});

/** Text of 200 distinct characters: the model's table, 200 × 200 float32, passes the limit. */
function wideText(): string {
  const alphabet = Array.from({ length: 200 }, (_, i) => String.fromCodePoint(0xac00 + i));
  let text = "";
  for (let i = 0; i < 4000; i++) text += alphabet[(i * 7919 + (i >> 3)) % alphabet.length];
  return text;
}

Deno.test({
  name: "io faults: deno task train --save, a write past the file-size limit",
  ignore,
}, async (t) => {
  await withTempDir(async (tmp) => {
    const dir = await Deno.realPath(tmp);
    await Deno.writeTextFile(`${dir}/text.txt`, wideText());
    const train = ["text.txt", "--steps", "2", "--eval-iters", "1", "--generate", "0", "--json"];

    const saved = await runTask("train", dir, [...train, "--save", "older.safetensors"], false);
    assert.equal(saved.stderr, "");
    assert.equal(saved.code, 0);
    const table = await Deno.stat(`${dir}/older.safetensors`);
    assert.ok(table.size > FILE_SIZE_LIMIT, `the table (${table.size} bytes) passes the limit`);

    await t.step("a new file: none is left behind", async () => {
      const before = await snapshot(dir);
      const result = await runTask("train", dir, [...train, "--save", "model.safetensors"], true);
      assertFault(
        result,
        new RegExp(
          `^deno task train: cannot write ${literal(`${dir}/model.safetensors`)}: ` +
            `${literal(TOO_LARGE)}\\n$`,
        ),
      );
      await assertUnchanged(dir, before);
    });

    await t.step("--overwrite of an older file: it is kept byte for byte", async () => {
      const before = await snapshot(dir);
      const args = [...train, "--save", "older.safetensors", "--overwrite"];
      const result = await runTask("train", dir, args, true);
      assertFault(
        result,
        new RegExp(
          `^deno task train: cannot write ${literal(`${dir}/older.safetensors`)}: ` +
            `${literal(TOO_LARGE)}\\n$`,
        ),
      );
      await assertUnchanged(dir, before);
    });
  });
});
