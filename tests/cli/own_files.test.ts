// A user's own file, anywhere: every task that reads a FILE runs from the file's folder with this
// project's config named (`deno task --config /path/to/project/deno.json TASK FILE`), or reads
// the file on standard input; a FILE outside the folder a task is run from is refused with a line
// that names the command that works, and that command does work.
import assert from "node:assert/strict";
import { ROOT_PATH, runTask, runTaskIn } from "../helpers/run_task.ts";
import { withTempDir } from "../helpers/temp_dir.ts";

const TEXT = "The dog sat on the mat. The cat sat on the dog. A bird sang on the mat.\n";
const IDS = [464, 3290, 3332, 319, 262, 2603, 13, 383, 3797, 3332, 319, 262, 3290, 13, 317];

/** A few steps of the note's training, on the small text. */
const TRAIN = ["--steps", "3", "--eval-interval", "3", "--eval-iters", "1", "--batch-size", "4"]
  .concat(["--block-size", "4", "--generate", "5"]);

/** Each task that reads FILE, its arguments around FILE, and a check of what it printed. */
const TASKS: { task: string; args: (file: string) => string[]; check: (out: string) => void }[] = [
  {
    task: "tokenize",
    args: (file) => [file, "--json"],
    check: (out) => assert.deepEqual(JSON.parse(out).ids.slice(0, IDS.length), IDS),
  },
  {
    task: "batches",
    args: (file) => [file, "--batch-size", "2", "--max-length", "4", "--stride", "4"],
    check: (out) => assert.match(out, /^gpt2: 22 tokens → 5 windows \(max length 4, stride 4\)/),
  },
  {
    task: "embed",
    args: (file) => [file, "--batch-size", "2", "--max-length", "4", "--dim", "8", "--json"],
    check: (out) => assert.deepEqual(JSON.parse(out).first_batch.inputs.flat(), IDS.slice(0, 8)),
  },
  {
    task: "train",
    args: (file) => [file, ...TRAIN, "--json"],
    check: (out) => assert.deepEqual(Object.values(JSON.parse(out)).slice(0, 3), [19, 72, 64]),
  },
  {
    task: "prepare",
    args: (file) => [file, "--out", "shards", "--shard-tokens", "16", "--json"],
    check: (out) =>
      assert.deepEqual(JSON.parse(out).shards.map((s: { tokens: number }) => s.tokens), [16, 7]),
  },
];

Deno.test("a file anywhere: deno task --config PROJECT/deno.json TASK FILE from its folder", async (t) => {
  for (const { task, args, check } of TASKS) {
    await t.step(task, () =>
      withTempDir(async (folder) => {
        await Deno.writeTextFile(`${folder}/mine.txt`, TEXT);
        const { code, stdout, stderr } = await runTaskIn(folder, task, args("mine.txt"));
        assert.equal(stderr, "");
        assert.equal(code, 0);
        check(stdout);
        if (task === "prepare") {
          const written = await Array.fromAsync(Deno.readDir(`${folder}/shards`), (e) => e.name);
          assert.deepEqual(written.sort(), ["shards.json", "train_000000.bin", "train_000001.bin"]);
        }
      }));
  }
});

Deno.test("a table anywhere: train --save, then generate --weights, from its folder", () =>
  withTempDir(async (folder) => {
    await Deno.writeTextFile(`${folder}/mine.txt`, TEXT);
    const saved = await runTaskIn(folder, "train", [
      "mine.txt",
      ...TRAIN,
      "--save",
      "mine.safetensors",
    ]);
    assert.equal(saved.stderr, "");
    assert.equal(saved.code, 0);
    const { code, stdout, stderr } = await runTaskIn(folder, "generate", [
      "--weights",
      "mine.safetensors",
      "--tokens",
      "7",
      "--json",
    ]);
    assert.equal(stderr, "");
    assert.equal(code, 0);
    assert.equal(JSON.parse(stdout).generated_ids.length, 8, "the context and 7 sampled");
  }));

Deno.test("a file anywhere: on standard input with -", async (t) => {
  for (const { task, args, check } of TASKS) {
    if (task === "prepare") continue; // its inputs are files, several of them (see --help)
    await t.step(task, async () => {
      const { code, stdout, stderr } = await runTask(task, args("-"), TEXT);
      assert.equal(stderr, "");
      assert.equal(code, 0);
      check(stdout);
    });
  }
});

Deno.test("a FILE outside the folder a task runs from: the refusal's command works", async (t) => {
  for (const { task, args, check } of TASKS) {
    if (task === "prepare") continue;
    await t.step(task, () =>
      withTempDir(async (folder) => {
        await Deno.writeTextFile(`${folder}/mine.txt`, TEXT);
        await Deno.mkdir(`${folder}/elsewhere`);
        // Run from a folder beside the file, so the file lies outside what the task may read.
        const refused = await runTaskIn(`${folder}/elsewhere`, task, args("../mine.txt"));
        assert.equal(refused.code, 2);
        const suggestion = / cd (\S+) && deno task --config (\S+) (\S+) (\S+), or give the file/
          .exec(refused.stderr);
        assert.ok(suggestion, refused.stderr);
        const [, cd, config, named, file] = suggestion;
        assert.deepEqual([cd, config, named, file], [
          folder,
          `${ROOT_PATH}/deno.json`,
          task,
          "mine.txt",
        ]);
        const { code, stdout, stderr } = await runTaskIn(cd, named, args(file));
        assert.equal(stderr, "");
        assert.equal(code, 0);
        check(stdout);
      }));
  }
});
