// Every task in deno.json names exactly the permissions it grants, and the embed task runs with
// nothing more: its own flags suffice, and a missing permission or a file outside its read scope
// is one line on stderr with exit code 2.
import assert from "node:assert/strict";
import { assertClose } from "../helpers/assert_close.ts";
import { chapter2Reference } from "../helpers/fixtures.ts";
import {
  commandWords as words,
  PARENT,
  READ_SCOPE,
  ROOT_PATH,
  runTask,
  type TaskResult,
} from "../helpers/run_task.ts";
import { taskCommands } from "../helpers/tasks.ts";
import { withTempDir } from "../helpers/temp_dir.ts";

const tasks = taskCommands();

/** Runs a task's `deno` command line directly, with `$INIT_CWD` expanded as `deno task` does. */
async function runCommand(command: string[], extraArgs: string[]): Promise<TaskResult> {
  const [program, ...args] = command.map((word) => word.replaceAll("$INIT_CWD", ROOT_PATH));
  assert.equal(program, "deno");
  const { code, stdout, stderr } = await new Deno.Command("deno", {
    args: [...args, ...extraArgs],
    cwd: ROOT_PATH,
    stdin: "null",
    env: { NO_COLOR: "1", INIT_CWD: ROOT_PATH, XDG_RUNTIME_DIR: "" },
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** The suggestion a refused FILE ends with: its folder, this project's config, or stdin. */
function readElsewhere(task: string, path: string): string {
  const folder = path.slice(0, path.lastIndexOf("/"));
  const name = path.slice(path.lastIndexOf("/") + 1);
  return `${READ_SCOPE}: cd ${folder} && deno task --config ${ROOT_PATH}/deno.json ${task} ` +
    `${name}, or give the file on standard input: deno task ${task} - < FILE`;
}

Deno.test("least privilege: the tasks' permissions", async (t) => {
  await t.step("every task names what it may read, write, run or reach; none grants all", () => {
    for (const [name, command] of Object.entries(tasks)) {
      for (const word of words(command)) {
        assert.ok(word !== "-A" && word !== "--allow-all", `${name} grants everything: ${word}`);
        if (/^--allow-(read|write|net|env|run|ffi|sys|import)\b/.test(word)) {
          assert.match(word, /^--allow-[a-z]+=[^=]+$/, `${name}: ${word} is not scoped`);
        }
      }
    }
    assert.deepEqual(
      words(tasks.embed).filter((word) => word.startsWith("--allow-")),
      ["--allow-read=data,$INIT_CWD", "--allow-env=INIT_CWD,XDG_RUNTIME_DIR"],
    );
  });

  const embed = words(tasks.embed);
  await t.step(
    "the embed task's own flags suffice: the book's numbers, nothing on stderr",
    async () => {
      const { code, stdout, stderr } = await runCommand(embed, ["--json"]);
      assert.equal(stderr, "");
      assert.equal(code, 0);
      const out = JSON.parse(stdout);
      const book = (await chapter2Reference()).gpt2_embeddings_after_seed;
      assert.deepEqual(out.first_batch.inputs, book.batch_inputs);
      assert.deepEqual(out.input_embeddings.shape, book.input_embeddings_shape);
      assertClose(out.input_embeddings.first_row, book.input_embeddings_first_row, { atol: 1e-5 });
    },
  );

  await t.step("without its read permission: one line naming the file, exit code 2", async () => {
    const withoutRead = embed.filter((word) => !word.startsWith("--allow-read"));
    const { code, stdout, stderr } = await runCommand(withoutRead, []);
    assert.equal(
      stderr,
      `deno task embed: cannot read "${ROOT_PATH}/data/the-verdict.txt": ` +
        `${readElsewhere("embed", `${ROOT_PATH}/data/the-verdict.txt`)}\n`,
    );
    assert.equal(code, 2);
    assert.equal(stdout, "");
  });

  await t.step("a FILE outside the directory it is run from: one line, exit code 2", async () => {
    const outside = ROOT_PATH.replace(/\/[^/]*$/, "/outside.txt");
    for (const task of ["tokenize", "batches", "embed"]) {
      const args = task === "batches"
        ? ["--batch-size", "1", "--max-length", "4", "--stride", "4"]
        : [];
      // Relative to the directory the task is run from; the permission is checked before the
      // file is looked for, so it need not exist.
      const { code, stdout, stderr } = await runTask(task, ["../outside.txt", ...args]);
      assert.equal(
        stderr,
        `deno task ${task}: cannot read "${outside}": ${readElsewhere(task, outside)}\n`,
      );
      assert.equal(code, 2);
      assert.equal(stdout, "");
    }
  });

  await t.step("prepare: an output folder outside the directory it is run from", async () => {
    const outside = ROOT_PATH.replace(/\/[^/]*$/, "/prepare-out");
    const { code, stdout, stderr } = await runTask("prepare", [
      "data/the-verdict.txt",
      "--out",
      "../prepare-out",
    ]);
    assert.equal(
      stderr,
      `deno task prepare: cannot write "${outside}": a task may write files only under the ` +
        "folder it is run from; run it from the output's parent folder with this project's " +
        `config: cd ${PARENT} && deno task --config ${ROOT_PATH}/deno.json prepare …\n`,
    );
    assert.equal(code, 2);
    assert.equal(stdout, "");
  });

  await t.step(
    "a FILE anywhere under the directory it is run from is read",
    () =>
      withTempDir(async (dir) => {
        await Deno.writeTextFile(`${dir}/tea.txt`, "like tea? <|endoftext|> In");
        const { code, stdout, stderr } = await runTask("tokenize", [`${dir}/tea.txt`, "--json"]);
        assert.equal(code, 0, stderr);
        assert.deepEqual(JSON.parse(stdout).ids, [2339, 8887, 30, 220, 50256, 554]);
      }),
  );
});

/** `ln -s TARGET LINK` (Deno.symlink needs unscoped permissions; the test task may run ln). */
async function symlink(target: string, link: string): Promise<void> {
  const { success } = await new Deno.Command("ln", { args: ["-s", target, link] }).output();
  assert.ok(success, `ln -s ${target} ${link}`);
}

Deno.test("exact grants: a comma in the run folder's path, symbolic links out of it", async (t) => {
  await t.step(
    "a run folder whose path holds a comma is refused before anything is read",
    () =>
      withTempDir(async (dir) => {
        // Deno splits --allow-read=…,"$INIT_CWD" at the comma: this folder's grant would also
        // cover ${dir}/secret, a folder outside it
        const run = `${dir}/a,${dir}/secret`;
        await Deno.mkdir(run, { recursive: true });
        await Deno.mkdir(`${dir}/secret`, { recursive: true });
        await Deno.writeTextFile(`${dir}/secret/key.txt`, "the secret");
        await Deno.writeTextFile(`${run}/in.txt`, "I HAD always thought");
        for (
          const [task, args] of [
            ["tokenize", [`${dir}/secret/key.txt`]],
            ["batches", [`${dir}/secret/key.txt`, "--batch-size", "1", "--max-length", "1"]],
            ["embed", ["--weights", `${dir}/secret/key.txt`]],
            ["prepare", ["in.txt", "--out", `${dir}/secret/out`]],
          ] as const
        ) {
          const { code, stdout, stderr } = await runTask(task, [...args], undefined, {
            INIT_CWD: run,
          });
          assert.equal(
            stderr,
            `deno task ${task}: the run folder ${JSON.stringify(run)} holds a comma, which Deno ` +
              "reads as a separator in the task's permission grants (they would reach other " +
              "folders); run the task from a folder whose path has no comma\n",
          );
          assert.equal(code, 2);
          assert.equal(stdout, "");
        }
        assert.deepEqual(
          (await Array.fromAsync(Deno.readDir(`${dir}/secret`))).map((e) => e.name),
          ["key.txt"],
          "nothing was written outside the run folder",
        );
      }),
  );

  await t.step(
    "a symbolic link that leads out of the run folder is refused (read and write)",
    () =>
      withTempDir(async (dir) => {
        const run = `${dir}/run`;
        await Deno.mkdir(run);
        await Deno.mkdir(`${dir}/outside`);
        await Deno.writeTextFile(`${dir}/outside/key.txt`, "the secret");
        await symlink(`${dir}/outside/key.txt`, `${run}/key.txt`);
        await symlink(`${dir}/outside`, `${run}/out`);
        await Deno.writeTextFile(`${run}/in.txt`, "I HAD always thought");
        const leads = (label: string, to: string) =>
          `${label} leads outside the folder the task runs from (${run}) through a symbolic ` +
          `link, to ${to}; the task reads and writes only under that folder`;
        const cases = [
          ["tokenize", ["key.txt"], leads("key.txt", `${dir}/outside/key.txt`)],
          [
            "batches",
            ["key.txt", "--batch-size", "1", "--max-length", "1", "--stride", "1"],
            leads("key.txt", `${dir}/outside/key.txt`),
          ],
          ["embed", ["--weights", "key.txt"], leads("--weights key.txt", `${dir}/outside/key.txt`)],
          ["prepare", ["key.txt", "--out", "shards"], leads("key.txt", `${dir}/outside/key.txt`)],
          ["prepare", ["in.txt", "--out", "out"], leads("--out out", `${dir}/outside`)],
          ["prepare", ["in.txt", "--out", "out/sub"], leads("--out out/sub", `${dir}/outside/sub`)],
        ] as const;
        for (const [task, args, line] of cases) {
          const { code, stdout, stderr } = await runTask(task, [...args], undefined, {
            INIT_CWD: run,
          });
          assert.equal(stderr, `deno task ${task}: ${line}\n`, `${task} ${args.join(" ")}`);
          assert.equal(code, 2);
          assert.equal(stdout, "");
        }
        assert.deepEqual(
          (await Array.fromAsync(Deno.readDir(`${dir}/outside`))).map((e) => e.name),
          ["key.txt"],
          "nothing was written outside the run folder",
        );
        // a link that stays inside the folder is fine
        await symlink(`${run}/in.txt`, `${run}/inside.txt`);
        const ok = await runTask("tokenize", ["inside.txt", "--json"], undefined, {
          INIT_CWD: run,
        });
        assert.equal(ok.code, 0, ok.stderr);
        assert.deepEqual(JSON.parse(ok.stdout).ids, [40, 367, 2885, 1464, 1807]);
      }),
  );
});
