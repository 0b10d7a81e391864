import assert from "node:assert/strict";
import { runTask } from "../helpers/run_task.ts";

Deno.test("deno task tokenize", async (t) => {
  await t.step("--json on the sample text: gpt2, 5,145 ids", async () => {
    const { code, stdout, stderr } = await runTask("tokenize", ["--json"]);
    assert.equal(code, 0, stderr);
    const out = JSON.parse(stdout);
    assert.deepEqual(Object.keys(out), ["encoding", "num_tokens", "ids"]);
    assert.equal(out.encoding, "gpt2");
    assert.equal(out.num_tokens, 5145);
    assert.deepEqual(out.ids.slice(0, 8), [40, 367, 2885, 1464, 1807, 3619, 402, 271]);
  });
  await t.step("standard input with -, <|endoftext|> allowed by default", async () => {
    const { code, stdout } = await runTask(
      "tokenize",
      ["-", "--json"],
      "like tea? <|endoftext|> In",
    );
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(stdout).ids, [2339, 8887, 30, 220, 50256, 554]);
  });
  await t.step("--allowed-special none makes <|endoftext|> an error with exit code 2", async () => {
    const { code, stdout, stderr } = await runTask(
      "tokenize",
      ["-", "--allowed-special", "none"],
      "a <|endoftext|>",
    );
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.match(
      stderr,
      /^deno task tokenize: text contains the special token <\|endoftext\|> at offset 2/,
    );
    assert.equal(stderr.trim().split("\n").length, 1, "one line, no stack trace");
  });
  await t.step("--tokenizer regex and --model gpt-4o", async () => {
    const regex = JSON.parse(
      (await runTask("tokenize", ["--tokenizer", "regex", "--json"])).stdout,
    );
    assert.deepEqual([regex.encoding, regex.num_tokens], ["regex", 4690]);
    const gpt4o = await runTask(
      "tokenize",
      ["-", "--model", "gpt-4o"],
      "Hello world, we are Gmarket. 🎉",
    );
    assert.equal(
      gpt4o.stdout,
      "o200k_base: 10 tokens (vocabulary 200019)\n13225 2375 11 581 553 499 27236 13 139786 231\n",
    );
  });
  await t.step("bad input: one line and exit code 2", async () => {
    for (
      const [args, message] of [
        [["--encoding", "gpt5"], /encoding must be one of gpt2/],
        [["--bogus"], /--bogus is not an option of deno task tokenize/],
        [["no/such/file.txt"], /no\/such\/file.txt does not exist/],
        [["--tokenizer", "words"], /--tokenizer must be regex or char/],
      ] as const
    ) {
      const { code, stderr } = await runTask("tokenize", [...args]);
      assert.equal(code, 2, stderr);
      assert.match(stderr, message);
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
    }
  });
});
