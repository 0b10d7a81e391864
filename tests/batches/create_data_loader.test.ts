import assert from "node:assert/strict";
import { CharTokenizer, createDataLoaderV1, InputError, type Tokenizer } from "../../mod.ts";
import { chapter2Reference, verdictText } from "../helpers/fixtures.ts";

Deno.test("createDataLoaderV1 (the book's create_dataloader_v1)", async (t) => {
  const text = await verdictText();
  await t.step(
    "the five fixture cases: gpt2 with <|endoftext|>, drop_last by default",
    async () => {
      for (const c of (await chapter2Reference()).dataloader_cases) {
        const { batch_size: batchSize, max_length: maxLength, stride } = c.config;
        const loader = createDataLoaderV1(text, { batchSize, maxLength, stride, shuffle: false });
        assert.equal(loader.dataset.ids.length, 5145);
        assert.equal(loader.dataset.length, c.num_windows);
        assert.equal(loader.numBatches, c.num_batches);
        assert.equal(loader.dropLast, true);
        const batches = Array.from(loader, (b) => [...b.inputs, ...b.targets]);
        const flat = (b: { inputs: number[][]; targets: number[][] }) => [
          ...b.inputs.flat(),
          ...b.targets.flat(),
        ];
        assert.deepEqual(batches.slice(0, 2), c.first_batches.map(flat));
        assert.deepEqual(batches.at(-1), flat(c.last_batch));
      }
    },
  );
  await t.step("the book's defaults: batch 4, max length 256, stride 128, shuffled", () => {
    const loader = createDataLoaderV1(text);
    assert.deepEqual(
      [loader.batchSize, loader.dataset.maxLength, loader.dataset.stride, loader.shuffle],
      [4, 256, 128, true],
    );
    assert.equal(loader.numBatches, Math.floor(Math.ceil((5145 - 256) / 128) / 4));
    const starts = Array.from(loader, (b) => [...b.starts]).flat();
    assert.notDeepEqual(starts, starts.toSorted((a, b) => a - b), "shuffled");
  });
  await t.step("<|endoftext|> is allowed; a tokenizer of yours is used and not disposed", () => {
    const withEot = createDataLoaderV1("Hello, do you like tea? <|endoftext|> In the sunlit", {
      batchSize: 1,
      maxLength: 4,
      stride: 4,
      shuffle: false,
    });
    assert.ok(withEot.dataset.ids.includes(50256));
    const chars: Tokenizer = CharTokenizer.fromText("abcdef");
    const loader = createDataLoaderV1("abcdefabcdef", {
      tokenizer: chars,
      batchSize: 2,
      maxLength: 3,
      stride: 3,
      shuffle: false,
    });
    assert.deepEqual([...loader.dataset.ids], [...chars.encode("abcdefabcdef")]);
    assert.equal(loader.numBatches, 1); // 3 windows, the short second batch dropped
  });
  await t.step("options are checked before tokenizing; short text is an error", () => {
    const calls: string[] = [];
    const spy: Tokenizer = {
      name: "spy",
      vocabSize: 1,
      encode: (s) => (calls.push(s), new Uint32Array(s.length)),
      decode: () => "",
    };
    for (
      const [options, parameter] of [
        [{ batchSize: 0 }, "batchSize"],
        [{ maxLength: -1 }, "maxLength"],
        [{ stride: 0.5 }, "stride"],
        [{ seed: 2 ** 32 }, "seed"],
        [{ rank: 1 }, "rank"],
      ] as const
    ) {
      assert.throws(
        () => createDataLoaderV1("some text", { ...options, tokenizer: spy }),
        (e: unknown) => e instanceof InputError && e.parameter === parameter,
      );
    }
    assert.deepEqual(calls, []);
    assert.throws(
      () => createDataLoaderV1("I HAD always thought"),
      /text holds 5 tokens, but maxLength 256 needs at least maxLength \+ 1 = 257/,
    );
    assert.throws(
      () => createDataLoaderV1(42 as unknown as string),
      /text must be a string, got 42/,
    );
  });
});
