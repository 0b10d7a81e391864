// `deno task chapter2` against the book's printed outputs (chapter 2's notebook, as literal
// lines) and against the PyTorch fixtures where they hold the same values.
import assert from "node:assert/strict";
import { assertClose } from "../helpers/assert_close.ts";
import { chapter2Reference, verdictText } from "../helpers/fixtures.ts";
import { runTask } from "../helpers/run_task.ts";

const reference = await chapter2Reference();

/** The fixture's data-loader case for one configuration. */
function loaderCase(batchSize: number, maxLength: number, stride: number) {
  const found = reference.dataloader_cases.find(({ config }) =>
    config.batch_size === batchSize && config.max_length === maxLength && config.stride === stride
  );
  assert.ok(found, `no fixture case for ${batchSize}, ${maxLength}, ${stride}`);
  return found;
}

/**
 * Asserts that each block occurs in `text`, each after the previous one; a block's final newline
 * may also begin the next block, so blocks can be whole lines (`"\n1130\n"`).
 */
function assertInOrder(text: string, blocks: string[]): void {
  let from = 0;
  for (const block of blocks) {
    const at = text.indexOf(block, from);
    assert.ok(
      at >= 0,
      `missing (after offset ${from}): ${JSON.stringify(block)}\n--- in:\n${text}`,
    );
    from = at + block.length - (block.endsWith("\n") ? 1 : 0);
  }
}

/** The numbers printed in a `tensor(...)` block, in order. */
function tensorNumbers(printed: string): number[] {
  return [...printed.matchAll(/-?\d+(?:\.\d+)?/g)].map((m) => Number(m[0]));
}

/** The text that follows `label` up to the end of the `tensor(...)` that starts there. */
function tensorAfter(text: string, label: string): string {
  const start = text.indexOf(label);
  assert.ok(start >= 0, `missing ${JSON.stringify(label)}`);
  const end = text.indexOf("])", start);
  return text.slice(start + label.length, end + 2);
}

Deno.test("deno task chapter2", async (t) => {
  const { code, stdout, stderr } = await runTask("chapter2");
  assert.equal(code, 0, stderr);
  assert.equal(stderr, "");

  const sections = new Map<string, string>();
  for (const part of stdout.split(/^## /m).slice(1)) {
    sections.set(part.slice(0, 3), part);
  }
  const section = (number: string): string => {
    const text = sections.get(number);
    assert.ok(text !== undefined, `no section ${number} in:\n${stdout}`);
    return text;
  };

  await t.step("the book's section headings, in order", () => {
    assert.deepEqual(
      stdout.match(/^## .*$/gm),
      [
        "## 2.1 Understanding word embeddings",
        "## 2.2 Tokenizing text",
        "## 2.3 Converting tokens into token IDs",
        "## 2.4 Adding special context tokens",
        "## 2.5 Byte pair encoding",
        "## 2.6 Data sampling with a sliding window",
        "## 2.7 Creating token embeddings",
        "## 2.8 Encoding word positions",
      ],
    );
  });

  await t.step("2.2: the text, the regex splits and 4690 tokens", async () => {
    const text = await verdictText();
    const first99 =
      "I HAD always thought Jack Gisburn rather a cheap genius--though a good fellow enough--so it was no ";
    // the book's numbers are the sample text's
    assert.equal(text.length, 20479);
    assert.equal(text.slice(0, 99), first99);
    assertInOrder(section("2.2"), [
      "Total number of character: 20479\n" + first99 + "\n",
      "['Hello,', ' ', 'world.', ' ', 'This,', ' ', 'is', ' ', 'a', ' ', 'test.']\n",
      "['Hello', ',', '', ' ', 'world', '.', '', ' ', 'This', ',', '', ' ', 'is', ' ', 'a', ' ', " +
      "'test', '.', '']\n",
      "['Hello', ',', 'world', '.', 'This', ',', 'is', 'a', 'test', '.']\n",
      "['Hello', ',', 'world', '.', 'Is', 'this', '--', 'a', 'test', '?']\n",
      "['I', 'HAD', 'always', 'thought', 'Jack', 'Gisburn', 'rather', 'a', 'cheap', 'genius', " +
      "'--', 'though', 'a', 'good', 'fellow', 'enough', '--', 'so', 'it', 'was', 'no', 'great', " +
      "'surprise', 'to', 'me', 'to', 'hear', 'that', ',', 'in']\n",
      "\n4690\n",
    ]);
  });

  await t.step("2.3: vocabulary 1130, its first 51 entries, V1 encode and decode", () => {
    const text = section("2.3");
    const entries = text.match(/^\(.*, \d+\)$/gm) ?? [];
    assert.equal(entries.length, 51);
    assert.deepEqual(entries.slice(0, 12), [
      "('!', 0)",
      `('"', 1)`,
      `("'", 2)`,
      "('(', 3)",
      "(')', 4)",
      "(',', 5)",
      "('--', 6)",
      "('.', 7)",
      "(':', 8)",
      "(';', 9)",
      "('?', 10)",
      "('A', 11)",
    ]);
    assert.deepEqual(entries.slice(-3), ["('He', 48)", "('Her', 49)", "('Hermia', 50)"]);
    const decoded =
      `'" It\\' s the last he painted, you know," Mrs. Gisburn said with pardonable pride.'`;
    assertInOrder(text, [
      "\n1130\n",
      "('Hermia', 50)\n",
      "[1, 56, 2, 850, 988, 602, 533, 746, 5, 1126, 596, 5, 1, 67, 7, 38, 851, 1108, 754, 793, 7]\n",
      decoded + "\n" + decoded + "\n",
    ]);
  });

  await t.step("2.4: the unknown word 'Hello' as a caught error, then V2", () => {
    assertInOrder(section("2.4"), [
      '\nInputError: text contains "Hello" at offset 0',
      "\n1132\n",
      "('younger', 1127)\n('your', 1128)\n('yourself', 1129)\n('<|endoftext|>', 1130)\n" +
      "('<|unk|>', 1131)\n",
      "Hello, do you like tea? <|endoftext|> In the sunlit terraces of the palace.\n",
      "[1131, 5, 355, 1126, 628, 975, 10, 1130, 55, 988, 956, 984, 722, 988, 1131, 7]\n",
      "'<|unk|>, do you like tea? <|endoftext|> In the sunlit terraces of the <|unk|>.'\n",
    ]);
  });

  await t.step("2.5: GPT-2's byte-pair encoding", () => {
    assertInOrder(section("2.5"), [
      "\n[15496, 11, 466, 345, 588, 8887, 30, 220, 50256, 554, 262, 4252, 18250, 8812, 2114, " +
      "1659, 617, 34680, 27271, 13]\n",
      "Hello, do you like tea? <|endoftext|> In the sunlit terracesof someunknownPlace.\n",
      "[33901, 86, 343, 86, 220, 959]\n",
      "33901 -> Ak\n86 -> w\n343 -> ir\n86 -> w\n220 ->  \n959 -> ier\n'Akwirw ier'\n",
    ]);
  });

  await t.step("2.6: 5145 tokens, context pairs and the batches, as PyTorch's", () => {
    const text = section("2.6");
    const strideOne = loaderCase(1, 4, 1);
    // stride 1 gives one window per token but the last max-length ones
    assert.equal(strideOne.num_windows + strideOne.config.max_length, 5145);
    // enc_text[50:54] lies in the first 256-token window of the fixture
    const window = loaderCase(8, 256, 128).first_batches[0].inputs[0];
    assert.deepEqual(window.slice(50, 55), [290, 4920, 2241, 287, 257]);
    assertInOrder(text, [
      "\n5145\n",
      "x: [290, 4920, 2241, 287]\ny:      [4920, 2241, 287, 257]\n",
      "[290] ----> 4920\n[290, 4920] ----> 2241\n[290, 4920, 2241] ----> 287\n" +
      "[290, 4920, 2241, 287] ----> 257\n",
      " and ---->  established\n and established ---->  himself\n" +
      " and established himself ---->  in\n and established himself in ---->  a\n",
      "[tensor([[  40,  367, 2885, 1464]]), tensor([[ 367, 2885, 1464, 1807]])]\n" +
      "[tensor([[ 367, 2885, 1464, 1807]]), tensor([[2885, 1464, 1807, 3619]])]\n",
      "Inputs:\n tensor([[   40,   367,  2885,  1464],\n        [ 1807,  3619,   402,   271],\n",
      "        [  284,  3285,   326,    11]])\n\nTargets:\n tensor([[  367,  2885,  1464,  1807],\n",
      "        [ 3285,   326,    11,   287]])\n",
    ]);
    const pairs = text.match(/^\[tensor.*\]$/gm) ?? [];
    assert.equal(pairs.length, 2);
    pairs.forEach((line, i) => {
      const { inputs, targets } = strideOne.first_batches[i];
      assert.deepEqual(tensorNumbers(line), [...inputs.flat(), ...targets.flat()]);
    });
    const eight = loaderCase(8, 4, 4).first_batches[0];
    assert.deepEqual(tensorNumbers(tensorAfter(text, "Inputs:\n")), eight.inputs.flat());
    assert.deepEqual(tensorNumbers(tensorAfter(text, "Targets:\n")), eight.targets.flat());
  });

  await t.step("2.7: the seed-123 6×3 table and its lookups, as PyTorch's", () => {
    const text = section("2.7");
    const book = [
      "tensor([[ 0.3374, -0.1778, -0.1690],",
      "        [ 0.9178,  1.5810,  1.3010],",
      "        [ 1.2753, -0.2010, -0.1606],",
      "        [-0.4015,  0.9666, -1.1481],",
      "        [-1.1589,  0.3255, -0.6315],",
      "        [-2.8400, -0.7849, -1.4096]])",
    ].join("\n");
    const lookup = [
      "tensor([[ 1.2753, -0.2010, -0.1606],",
      "        [-0.4015,  0.9666, -1.1481],",
      "        [-2.8400, -0.7849, -1.4096],",
      "        [ 0.9178,  1.5810,  1.3010]])",
    ].join("\n");
    assertInOrder(text, [
      "\n" + book + "\n",
      "requires_grad", // the note on what PyTorch adds
      "\ntensor([[-0.4015,  0.9666, -1.1481]])\n",
      "\n" + lookup + "\n",
    ]);
    const weight = reference.embedding_6x3_after_seed.weight;
    const blocks = text.match(/^tensor\(.*?\]\]\)$/gms) ?? [];
    assert.equal(blocks.length, 3);
    const rounding = { atol: 5e-5 + 1e-7 }; // 4 printed decimals
    assertClose(tensorNumbers(blocks[0]), weight.flat(), rounding, "6×3 table");
    assertClose(tensorNumbers(blocks[1]), weight[3], rounding, "embedding of [3]");
    assertClose(
      tensorNumbers(blocks[2]),
      [2, 3, 5, 1].flatMap((id) => weight[id]),
      rounding,
      "embedding of [2, 3, 5, 1]",
    );
  });

  await t.step("2.8: the 8×4 token ids and the embedding shapes", () => {
    const text = section("2.8");
    assert.deepEqual(
      tensorNumbers(tensorAfter(text, "Token IDs:\n")),
      reference.gpt2_embeddings_after_seed.batch_inputs.flat(),
    );
    assertInOrder(text, [
      "Token IDs:\n tensor([[   40,   367,  2885,  1464],\n",
      "\n\nInputs shape:\n torch.Size([8, 4])\n",
      "torch.Size([8, 4, 256])\ntorch.Size([4, 256])\ntorch.Size([8, 4, 256])\n",
    ]);
    assert.ok(
      text.endsWith("torch.Size([8, 4, 256])\ntorch.Size([4, 256])\ntorch.Size([8, 4, 256])\n"),
    );
  });

  await t.step("an argument is an error with exit code 2", async () => {
    const result = await runTask("chapter2", ["--batch-size", "2"]);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^deno task chapter2: arguments are not taken .*--batch-size 2\n$/);
  });
});
