import assert from "node:assert/strict";
import { chapter2Reference } from "../helpers/fixtures.ts";
import { runTask } from "../helpers/run_task.ts";

Deno.test("deno task batches", async (t) => {
  const reference = await chapter2Reference();
  for (const c of reference.dataloader_cases) {
    const { batch_size, max_length, stride } = c.config;
    await t.step(
      `--json equals the fixture: batch ${batch_size}, max length ${max_length}, stride ${stride}`,
      async () => {
        const { code, stdout, stderr } = await runTask("batches", [
          "data/the-verdict.txt",
          "--batch-size",
          String(batch_size),
          "--max-length",
          String(max_length),
          "--stride",
          String(stride),
          "--json",
        ]);
        assert.equal(code, 0, stderr);
        const out = JSON.parse(stdout);
        assert.deepEqual(Object.keys(out), [
          "num_tokens",
          "num_windows",
          "num_batches",
          "first_batches",
          "last_batch",
        ]);
        assert.deepEqual(out, {
          num_tokens: 5145,
          num_windows: c.num_windows,
          num_batches: c.num_batches,
          first_batches: c.first_batches,
          last_batch: c.last_batch,
        });
      },
    );
  }
  await t.step("text output, --no-drop-last, --shuffle --seed, standard input", async () => {
    const { code, stdout, stderr } = await runTask(
      "batches",
      ["-", "--batch-size", "2", "--max-length", "2", "--stride", "2"],
      "like tea? <|endoftext|> In",
    );
    assert.equal(code, 0, stderr);
    // ids 2339 8887 30 220 50256 554: windows at 0 and 2 → one batch of 2 rows
    assert.equal(
      stdout,
      "gpt2: 6 tokens → 2 windows (max length 2, stride 2) → 1 batch of 2\n" +
        "\nbatch 0: inputs\n[[2339, 8887],\n [30, 220]]\nbatch 0: targets\n[[8887, 30],\n [220, 50256]]\n",
    );
    const short = await runTask("batches", [
      "--batch-size",
      "5",
      "--max-length",
      "256",
      "--stride",
      "128",
      "--no-drop-last",
    ]);
    // 39 windows: 7 full batches of 5 and one of 4
    assert.match(
      short.stdout,
      /^gpt2: 5145 tokens → 39 windows \(max length 256, stride 128\) → 8 batches of 5 \(the last one 4\)\n/,
    );
    assert.match(short.stdout, /\nbatch 7: inputs\n/);
    const args = ["--batch-size", "4", "--max-length", "4", "--stride", "4", "--json"];
    const seeded = async (seed: string) =>
      JSON.parse((await runTask("batches", [...args, "--shuffle", "--seed", seed])).stdout);
    const [a, b, plain] = [
      await seeded("7"),
      await seeded("7"),
      JSON.parse((await runTask("batches", args)).stdout),
    ];
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.first_batches, plain.first_batches);
    assert.equal(a.num_batches, plain.num_batches);
  });
  await t.step("bad input: one line naming the option, exit code 2", async () => {
    for (
      const [args, message] of [
        [
          ["--batch-size", "0", "--max-length", "4", "--stride", "4"],
          /--batch-size must be an integer >= 1, got 0/,
        ],
        [["--batch-size", "1", "--max-length", "4"], /--stride is required: an integer >= 1/],
        [
          ["--batch-size", "1", "--max-length", "4", "--stride", "1", "--seed", "3"],
          /--seed only applies with --shuffle/,
        ],
        [
          ["--batch-size", "1", "--max-length", "4", "--stride", "1", "--rank", "1"],
          /--rank must be an integer in \[0, --world-size - 1\] = \[0, 0\], got 1/,
        ],
        [
          ["--batch-size", "1", "--max-length", "9000", "--stride", "1"],
          /text holds 5145 tokens, but --max-length 9000 needs at least --max-length \+ 1 = 9001/,
        ],
      ] as const
    ) {
      const { code, stdout, stderr } = await runTask("batches", [...args]);
      assert.equal(code, 2, stderr);
      assert.equal(stdout, "");
      assert.match(stderr, /^deno task batches: /);
      assert.match(stderr, message);
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
    }
  });
});
