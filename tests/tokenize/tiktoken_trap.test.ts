// A trap inside tiktoken's WebAssembly is reported as itself: a TiktokenError naming the trap
// (and, in the tasks, the input), the tokenizer refuses further use, dispose does not throw over
// the cause, and a new tokenizer works.
import assert from "node:assert/strict";
import { BpeTokenizer, TiktokenError } from "../../mod.ts";
import { ROOT_PATH } from "../helpers/run_task.ts";
import { withTempDir } from "../helpers/temp_dir.ts";
import { trapNextEncode } from "../helpers/tiktoken_trap.ts";

const TRAP = "tiktoken's WebAssembly failed (RuntimeError: memory access out of bounds) while " +
  "encoding 5 characters with p50k_edit";

Deno.test("a tiktoken trap: a TiktokenError with its cause; dispose keeps quiet; a new one works", () => {
  const tokenizer = new BpeTokenizer("p50k_edit");
  const undo = trapNextEncode();
  try {
    assert.throws(() => tokenizer.encodeOrdinary("hello"), (error) => {
      assert.ok(error instanceof TiktokenError);
      assert.equal(error.message, TRAP);
      assert.ok(error.cause instanceof WebAssembly.RuntimeError);
      return true;
    });
  } finally {
    undo();
  }
  assert.throws(
    () => tokenizer.encode("hello"),
    /this p50k_edit tokenizer cannot be used after tiktoken failed; create a new one/,
  );
  tokenizer.dispose(); // the broken encoder is never freed again: no second trap
  tokenizer.dispose();
  using fresh = new BpeTokenizer("p50k_edit");
  assert.deepEqual([...fresh.encode("hello")], [31373]);
});

Deno.test("a tiktoken trap in a task: one line naming the trap and the input, exit code 1", () =>
  withTempDir(async (dir) => {
    const path = `${dir}/hello.txt`;
    await Deno.writeTextFile(path, "hello");
    const { code, stdout, stderr } = await new Deno.Command("deno", {
      args: [
        "run",
        "--allow-read=.",
        "--allow-env=INIT_CWD",
        "tests/helpers/tiktoken_trap_child.ts",
        path,
      ],
      cwd: ROOT_PATH,
      stdin: "null",
      env: { NO_COLOR: "1", INIT_CWD: ROOT_PATH },
    }).output();
    assert.equal(new TextDecoder().decode(stderr), `deno task tokenize: ${TRAP} (${path})\n`);
    assert.equal(code, 1);
    assert.equal(stdout.length, 0);
  }));
