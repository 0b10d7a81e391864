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
import { withTempDir } from "../helpers/temp_dir.ts";

const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
const tasks: Record<string, string> = config.tasks;

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
