import assert from "node:assert/strict";
import { TorchGenerator } from "../../mod.ts";
import { assertClose } from "../helpers/assert_close.ts";
import { bookInputEmbeddings, chapter2Reference } from "../helpers/fixtures.ts";
import { runTask } from "../helpers/run_task.ts";

const book = (await chapter2Reference()).gpt2_embeddings_after_seed;

Deno.test("deno task embed", async (t) => {
  await t.step("--json with the book's defaults matches PyTorch", async () => {
    const { code, stdout, stderr } = await runTask("embed", ["--json"]);
    assert.equal(code, 0, stderr);
    const out = JSON.parse(stdout);
    assert.deepEqual(Object.keys(out), [
      "adapter",
      "num_tokens",
      "num_windows",
      "num_batches",
      "first_batch",
      "token_weight",
      "position_weight",
      "input_embeddings",
    ]);
    assert.equal(typeof out.adapter.description, "string");
    assert.deepEqual([out.num_tokens, out.num_windows, out.num_batches], [5145, 1286, 160]);
    assert.deepEqual(out.first_batch.inputs, book.batch_inputs);
    assert.deepEqual(out.first_batch.targets[0], [367, 2885, 1464, 1807]);

    assert.deepEqual(out.token_weight.shape, [50257, 256]);
    assert.deepEqual(Object.keys(out.token_weight.rows), Object.keys(book.token_weight_rows));
    for (const [id, row] of Object.entries(book.token_weight_rows)) {
      assertClose(out.token_weight.rows[id], row, { atol: 1e-6 }, `token row ${id}`);
    }
    assertClose([out.token_weight.sum], [book.token_weight_sum], { rtol: 1e-5 }, "token sum");
    assertClose([out.token_weight.abs_sum], [book.token_weight_abs_sum], { rtol: 1e-7 }, "abs sum");
    assert.deepEqual(out.position_weight.shape, [4, 256]);
    const positionSum = book.pos_weight.flat().reduce((a, b) => a + b, 0);
    assertClose([out.position_weight.sum], [positionSum], { atol: 1e-4 }, "position sum");

    assert.deepEqual(out.input_embeddings.shape, book.input_embeddings_shape);
    assertClose(out.input_embeddings.first_row, book.input_embeddings_first_row, { atol: 1e-5 });
    assertClose([out.input_embeddings.sum], [book.input_embeddings_sum], { atol: 1e-3 });
    // The first row and the sum tie the task to the whole PyTorch tensor, compared element by
    // element through the same API in tests/nn/embedding.test.ts.
    const expected = await bookInputEmbeddings();
    assertClose(out.input_embeddings.first_row, expected.subarray(0, 256), { atol: 1e-5 });
  });

  await t.step("prints what the book prints", async () => {
    const { code, stdout, stderr } = await runTask("embed");
    assert.equal(code, 0, stderr);
    assert.match(
      stdout,
      /^gpt2: 5145 tokens → 1286 windows \(max length 4, stride 4\) → 160 batches of 8\n/,
    );
    assert.ok(
      stdout.includes(
        "Token IDs:\n tensor([[   40,   367,  2885,  1464],\n        [ 1807,  3619,   402,   271],",
      ),
      stdout,
    );
    assert.ok(stdout.includes("Inputs shape:\n torch.Size([8, 4])"));
    assert.ok(stdout.includes("Token embedding table: torch.Size([50257, 256])"));
    assert.ok(stdout.includes("Position embedding table: torch.Size([4, 256])"));
    assert.ok(stdout.includes("Input embeddings (token + position): torch.Size([8, 4, 256])"));
    const first = book.input_embeddings_first_row.slice(0, 3).map((v) => v.toFixed(4).padStart(7));
    assert.ok(stdout.includes(`Input embeddings:\n tensor([[[${first.join(", ")},`), stdout);
  });

  await t.step("other shapes, a short last batch, and the char tokenizer", async () => {
    const { code, stdout, stderr } = await runTask(
      "embed",
      [
        "-",
        "--tokenizer",
        "char",
        "--batch-size",
        "3",
        "--max-length",
        "5",
        "--stride",
        "2",
        "--dim",
        "7",
        "--no-drop-last",
        "--json",
      ],
      "hello, world",
    );
    assert.equal(code, 0, stderr);
    const out = JSON.parse(stdout);
    assert.equal(out.num_tokens, 12);
    assert.equal(out.num_windows, 4); // range(0, 12 - 5, 2)
    assert.equal(out.num_batches, 2); // 3 + a short last batch of 1
    assert.deepEqual(out.token_weight.shape, [9, 7]);
    assert.deepEqual(Object.keys(out.token_weight.rows), ["0", "1"]);
    assert.deepEqual(out.input_embeddings.shape, [3, 5, 7]);
    // The values, against the same seeded stream on the CPU: vocabulary " ,dehlorw" sorted by
    // code point, so "hello" is [4, 3, 5, 5, 6]; the first row is table[4] + positions[0].
    const generator = new TorchGenerator(123);
    const table = generator.normal(9 * 7);
    const positions = generator.normal(5 * 7);
    assert.deepEqual(out.first_batch.inputs[0], [4, 3, 5, 5, 6]);
    assertClose(out.token_weight.rows["1"], table.subarray(7, 14), { atol: 1e-6 });
    const firstRow = table.subarray(4 * 7, 5 * 7).map((v, i) => v + positions[i]);
    assertClose(out.input_embeddings.first_row, firstRow, { atol: 1e-6 }, "first row");
  });

  for (const dim of [768, 1600]) {
    await t.step(
      `--dim ${dim} (GPT-2 ${dim === 768 ? "small" : "XL"}): the seeded stream`,
      async () => {
        const { code, stdout, stderr } = await runTask("embed", ["--dim", String(dim), "--json"]);
        assert.equal(code, 0, stderr);
        const out = JSON.parse(stdout);
        const vocab = 50257;
        assert.deepEqual(out.token_weight.shape, [vocab, dim]);
        assert.deepEqual(out.first_batch.inputs, book.batch_inputs);
        // The CPU reference: the same seeded stream, only the rows that are compared.
        const row = (id: number) =>
          new TorchGenerator(123).normalRange(vocab * dim, id * dim, (id + 1) * dim);
        for (const [id, values] of Object.entries(out.token_weight.rows)) {
          assertClose(values as number[], row(Number(id)), { atol: 1e-5 }, `token row ${id}`);
        }
        const generator = new TorchGenerator(123);
        generator.normalRange(vocab * dim, 0, 0);
        const positions = generator.normal(4 * dim);
        const positionSum = positions.reduce((a, b) => a + b, 0);
        assertClose([out.position_weight.sum], [positionSum], { atol: 1e-5 }, "position sum");
        const rows = new Map<number, Float32Array>();
        let sum = 0;
        book.batch_inputs.flat().forEach((id, i) => {
          if (!rows.has(id)) rows.set(id, row(id));
          const embedded = rows.get(id)!.map((v, d) => v + positions[(i % 4) * dim + d]);
          if (i === 0) assertClose(out.input_embeddings.first_row, embedded, { atol: 1e-5 });
          sum += embedded.reduce((a, b) => a + b, 0);
        });
        assertClose([out.input_embeddings.sum], [sum], { atol: 1e-3 }, "input embeddings sum");
        // The whole table was read back: its sums are those of 50257·dim standard normals
        // (E|x| = √(2/π)); at 768 dimensions, exactly the reference's.
        const count = vocab * dim;
        assert.ok(Math.abs(out.token_weight.sum) < 6 * Math.sqrt(count), "token sum");
        assertClose([out.token_weight.abs_sum / count], [Math.sqrt(2 / Math.PI)], { atol: 1e-3 });
        if (dim === 768) {
          let tokenSum = 0;
          for (const value of new TorchGenerator(123).normal(count)) tokenSum += value;
          assertClose([out.token_weight.sum], [tokenSum], { atol: 1e-6 }, "token sum, exactly");
        }
      },
    );
  }

  await t.step("bad input fails before GPU work: one line, exit code 2", async () => {
    for (
      const [args, message] of [
        [["--dim", "0"], /--dim must be an integer >= 1, got 0/],
        [["--seed", "-1"], /--seed .*got -1/],
        [["--max-length", "0"], /--max-length must be an integer >= 1, got 0/],
        [["--batch-size", "2000"], /--batch-size is 2000, more than the dataset's 1286 windows/],
        [["--max-length", "6000"], /text holds 5145 tokens, but --max-length 6000 needs at least/],
      ] as const
    ) {
      const { code, stderr } = await runTask("embed", [...args]);
      assert.equal(code, 2, stderr);
      assert.match(stderr, message);
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
    }
  });
});
