// The validation catalog: bad input at every public entry point is an InputError naming the
// parameter, the value and what is allowed, raised before any work (and before any GPU work).
// Each case goes through an entry point other than the one the stage's own tests use, so that
// together they show every entry point running the shared checks. The second test runs a
// representative set through the tasks: one line on stderr, exit code 2, no stack trace.
import assert from "node:assert/strict";
import {
  bf16BitsToF32,
  BpeTokenizer,
  CharTokenizer,
  createDataLoaderV1,
  DataLoader,
  decodeUtf8,
  encodeParallel,
  type EncodingName,
  f16BitsToF32,
  f32ToF16Bits,
  GpuDevice,
  type GpuDeviceOptions,
  InputEmbedding,
  type InputEmbeddingOptions,
  InputError,
  listShards,
  positionalAdd,
  PositionalEmbedding,
  prepareShards,
  RandomBlockSampler,
  readShard,
  readTextFile,
  RegexTokenizer,
  ShardDataset,
  shardVersionFor,
  splitWords,
  Tensor,
  TokenEmbedding,
  TorchGenerator,
  trainValidationSplit,
  WindowDataset,
  writeSafetensors,
  writeShard,
} from "../../mod.ts";
import { ROOT_PATH, runTask } from "../helpers/run_task.ts";
import { withTempDir } from "../helpers/temp_dir.ts";

/** Runs `run` and asserts it throws (or rejects with) exactly `${parameter} ${problem}`. */
async function assertInputError(
  run: () => unknown,
  parameter: string,
  problem: string,
): Promise<void> {
  let error: unknown;
  try {
    await run();
  } catch (caught) {
    error = caught;
  }
  assert.ok(error instanceof InputError, `expected an InputError, got ${error}`);
  assert.equal(error.parameter, parameter);
  assert.equal(error.message, `${parameter} ${problem}`);
}

const gpu = await GpuDevice.shared();

/** {@linkcode assertInputError}, and no GPU buffer was created or kept on the way. */
async function assertRejectedBeforeGpu(
  run: () => unknown,
  parameter: string,
  problem: string,
): Promise<void> {
  const [buffers, bytes] = [gpu.liveBuffers, gpu.liveBytes];
  await assertInputError(run, parameter, problem);
  assert.deepEqual([gpu.liveBuffers, gpu.liveBytes], [buffers, bytes], "GPU memory changed");
}

const TEXT = "I HAD always thought Jack Gisburn rather a cheap genius--though a good fellow enough";
const IDS = Uint32Array.from({ length: 40 }, (_, i) => i);
const INTEGER = "must be an integer >= 1, got";
const SEED = "must be an integer in [0, 4294967295], got";

Deno.test("validation catalog: every entry point names the parameter, value and range", async (t) => {
  // text → tokens
  await t.step("empty text", () =>
    assertInputError(
      () => createDataLoaderV1(""),
      "text",
      "is empty, but maxLength 256 needs at least maxLength + 1 = 257 tokens",
    ));
  await t.step("text shorter than maxLength + 1 tokens", () =>
    assertInputError(
      () =>
        createDataLoaderV1("abc", {
          tokenizer: CharTokenizer.fromText("abc"),
          maxLength: 3,
          stride: 1,
        }),
      "text",
      "holds 3 tokens, but maxLength 3 needs at least maxLength + 1 = 4 " +
        "(an input and its target shifted by one token)",
    ));
  await t.step("unknown encoding", () =>
    assertInputError(
      () => new BpeTokenizer("gpt5" as EncodingName),
      "encoding",
      'must be one of gpt2, r50k_base, p50k_base, p50k_edit, cl100k_base, o200k_base, got "gpt5"' +
        ' (for a model name such as "gpt-4" use BpeTokenizer.forModel)',
    ));
  await t.step("unknown model name", () =>
    assertInputError(
      () => BpeTokenizer.forModel("davinci-9000"),
      "model",
      '"davinci-9000" is not a known model; use one such as gpt-2, gpt-3.5-turbo, gpt-4, gpt-4o, ' +
        "or name an encoding directly (gpt2, r50k_base, p50k_base, p50k_edit, cl100k_base, o200k_base)",
    ));
  await t.step("disallowed special token, through the data loader", async () => {
    using strict = new BpeTokenizer("gpt2");
    await assertInputError(
      () => createDataLoaderV1("like tea? <|endoftext|> In", { tokenizer: strict, maxLength: 2 }),
      "text",
      "contains the special token <|endoftext|> at offset 10, which is not allowed; allow it " +
        '(allowedSpecial: ["<|endoftext|>"]) or encode it as ordinary text with encodeOrdinary()',
    );
  });
  await t.step("a corpus without words, a non-boolean option, a non-string text", async () => {
    await assertInputError(
      () => RegexTokenizer.fromText(" \n\t"),
      "corpus",
      'holds no words (" \\n\\t"), so the vocabulary would be empty',
    );
    await assertInputError(
      () => RegexTokenizer.fromText("a", { specialTokens: "yes" as unknown as boolean }),
      "specialTokens",
      'must be true or false, got "yes"',
    );
    await assertInputError(
      () => splitWords(42 as unknown as string),
      "text",
      "must be a string, got 42",
    );
  });
  await t.step("ids to decode that are not a list of ids", async () => {
    await assertInputError(
      () => CharTokenizer.fromText("ab").decode("01" as unknown as number[]),
      "ids",
      'must be an array or a typed array of numbers, got "01"',
    );
    await assertInputError(
      () => RegexTokenizer.fromText("a b").decode(["1"] as unknown as number[]),
      "ids[0]",
      'must be an id in [0, 1], got "1"',
    );
    using gpt2 = new BpeTokenizer("gpt2");
    await assertInputError(
      () => gpt2.decode(undefined as unknown as number[]),
      "ids",
      "must be an array or a typed array of numbers, got undefined",
    );
  });

  // tokens → windows → batches
  await t.step("maxLength: not an integer, zero, negative", async () => {
    await assertInputError(
      () => new RandomBlockSampler(IDS, { maxLength: 2.5, batchSize: 1 }),
      "maxLength",
      `${INTEGER} 2.5`,
    );
    await assertInputError(
      () => createDataLoaderV1(TEXT, { maxLength: 0 }),
      "maxLength",
      `${INTEGER} 0`,
    );
    await assertInputError(
      () => trainValidationSplit(IDS, 0.5, { maxLength: -1, stride: 1 }),
      "maxLength",
      `${INTEGER} -1`,
    );
  });
  await t.step("stride: zero, not an integer, negative", async () => {
    await assertInputError(() => createDataLoaderV1(TEXT, { stride: 0 }), "stride", `${INTEGER} 0`);
    await assertInputError(
      () => trainValidationSplit(IDS, 0.5, { maxLength: 4, stride: 1.5 }),
      "stride",
      `${INTEGER} 1.5`,
    );
    await assertInputError(
      () => new WindowDataset(IDS, { maxLength: 4, stride: -2 }),
      "stride",
      `${INTEGER} -2`,
    );
  });
  await t.step("batchSize: zero, not an integer, negative", async () => {
    await assertInputError(
      () => new RandomBlockSampler(IDS, { maxLength: 4, batchSize: 0 }),
      "batchSize",
      `${INTEGER} 0`,
    );
    await assertInputError(
      () => createDataLoaderV1(TEXT, { batchSize: 2.5, maxLength: 4, stride: 4 }),
      "batchSize",
      `${INTEGER} 2.5`,
    );
    const dataset = new WindowDataset(IDS, { maxLength: 4, stride: 4 });
    await assertInputError(
      () => new DataLoader(dataset, { batchSize: -1 }),
      "batchSize",
      `${INTEGER} -1`,
    );
  });
  await t.step("seed not a 32-bit unsigned integer", async () => {
    const dataset = new WindowDataset(IDS, { maxLength: 4, stride: 4 });
    await assertInputError(
      () => new DataLoader(dataset, { batchSize: 1, shuffle: true, seed: 2 ** 32 }),
      "seed",
      `${SEED} 4294967296`,
    );
    await assertInputError(() => new TorchGenerator(1.5), "seed", `${SEED} 1.5`);
    await assertInputError(
      () => new RandomBlockSampler(IDS, { maxLength: 4, batchSize: 1, seed: -1 }),
      "seed",
      `${SEED} -1`,
    );
    await assertRejectedBeforeGpu(
      () =>
        InputEmbedding.create(gpu, {
          vocabSize: 10,
          contextLength: 4,
          dim: 4,
          seed: "123" as unknown as number,
        }),
      "seed",
      `${SEED} "123"`,
    );
  });
  await t.step("rank >= worldSize", () =>
    assertInputError(
      () =>
        createDataLoaderV1(TEXT, { batchSize: 1, maxLength: 4, stride: 4, rank: 2, worldSize: 2 }),
      "rank",
      "must be an integer in [0, worldSize - 1] = [0, 1], got 2",
    ));
  await t.step("train ratio outside (0, 1)", async () => {
    for (
      const [ratio, shown] of [[0, "0"], [1, "1"], [1.5, "1.5"], [NaN, "NaN"], ["0.9", '"0.9"']]
    ) {
      await assertInputError(
        () => trainValidationSplit(IDS, ratio as number, { maxLength: 4, stride: 1 }),
        "trainRatio",
        `must be a number in (0, 1), both ends excluded, got ${shown}`,
      );
    }
  });
  await t.step("token ids of the wrong array type for windows", () =>
    assertInputError(
      () =>
        new WindowDataset(Int32Array.from(IDS) as unknown as Uint32Array, {
          maxLength: 4,
          stride: 4,
        }),
      "ids",
      "must be a Uint32Array or Uint16Array of token ids, got an Int32Array",
    ));
  await t.step("negative epoch", () =>
    assertInputError(
      () => createDataLoaderV1(TEXT, { batchSize: 1, maxLength: 4, stride: 4 }).batches(-1),
      "epoch",
      `${SEED} -1`,
    ));

  // embed
  await t.step("dim: zero, not an integer, negative", async () => {
    await assertRejectedBeforeGpu(
      () => TokenEmbedding.create(gpu, 10, 0, { seed: 1 }),
      "dim",
      `${INTEGER} 0`,
    );
    await assertRejectedBeforeGpu(
      () => InputEmbedding.create(gpu, { vocabSize: 10, contextLength: 4, dim: 2.5, seed: 1 }),
      "dim",
      `${INTEGER} 2.5`,
    );
    await assertRejectedBeforeGpu(
      () => PositionalEmbedding.create(gpu, 4, -4, { seed: 1 }),
      "dim",
      `${INTEGER} -4`,
    );
  });
  await t.step("vocabSize: zero, not an integer", async () => {
    await assertRejectedBeforeGpu(
      () => InputEmbedding.create(gpu, { vocabSize: 0, contextLength: 4, dim: 4, seed: 1 }),
      "vocabSize",
      `${INTEGER} 0`,
    );
    await assertRejectedBeforeGpu(
      () => TokenEmbedding.create(gpu, 10.5, 4, { seed: 1 }),
      "vocabSize",
      `${INTEGER} 10.5`,
    );
  });
  await t.step("contextLength: negative, not an integer", async () => {
    await assertRejectedBeforeGpu(
      () => PositionalEmbedding.create(gpu, -1, 4, { seed: 1 }),
      "contextLength",
      `${INTEGER} -1`,
    );
    await assertRejectedBeforeGpu(
      () => InputEmbedding.create(gpu, { vocabSize: 10, contextLength: 4.5, dim: 4, seed: 1 }),
      "contextLength",
      `${INTEGER} 4.5`,
    );
  });

  using token = await TokenEmbedding.create(gpu, 10, 4, { seed: 1 });
  using position = await PositionalEmbedding.create(gpu, 2, 4, { seed: 2 });
  const embedding = new InputEmbedding(token, position);
  const vocabulary = "must hold token ids in [0, 9] (the vocabulary size is 10), but";
  await t.step("id >= vocabulary size", () =>
    assertRejectedBeforeGpu(
      () => token.forward({ data: Uint32Array.of(1, 2, 10, 3), shape: [2, 2] }),
      "ids",
      `${vocabulary} ids[1][0] is 10`,
    ));
  await t.step("negative id", () =>
    assertRejectedBeforeGpu(
      () => embedding.forward({ data: Int32Array.of(1, -3), shape: [1, 2] }),
      "ids",
      `${vocabulary} ids[0][1] is -3`,
    ));
  await t.step("ids array of the wrong dtype", () =>
    assertRejectedBeforeGpu(
      () => embedding.forward(Float64Array.of(1, 2) as unknown as Uint32Array),
      "ids",
      "must be token ids: nested arrays of integers, an Int32Array or Uint32Array, or { data, shape }; " +
        "got a Float64Array",
    ));
  await t.step("positional table shorter than the sequence", async () => {
    const problem = "has 2 rows (the context length), fewer than the sequence length 3";
    await assertRejectedBeforeGpu(() => embedding.forward([[1, 2, 3]]), "positions", problem);
    using x = await Tensor.from(gpu, new Float32Array(12), { shape: [1, 3, 4] });
    await assertRejectedBeforeGpu(() => position.addTo(x), "positions", problem);
  });
  await t.step("shape mismatch in the positional add", async () => {
    using x = await Tensor.from(gpu, new Float32Array(6), { shape: [1, 2, 3] });
    await assertRejectedBeforeGpu(
      () => positionalAdd(x, position.weight),
      "positions",
      "must have 3 columns (the embedding dimension), got shape [2, 4]",
    );
  });
  await t.step("given weights whose length is not rows × dim", () =>
    assertRejectedBeforeGpu(
      () => PositionalEmbedding.create(gpu, 2, 3, { weight: new Float32Array(7) }),
      "init.weight",
      "must hold contextLength × dim = 2 × 3 = 6 values, got 7",
    ));
  await t.step("NaN and ±Infinity in given weights, unless allowNonFinite", async () => {
    const allow = "; pass allowNonFinite: true to allow NaN and ±Infinity";
    await assertRejectedBeforeGpu(
      () => TokenEmbedding.create(gpu, 2, 2, { weight: Float32Array.of(1, 2, 3, NaN) }),
      "init.weight",
      `must hold finite numbers, but init.weight[1][1] is NaN${allow}`,
    );
    await assertRejectedBeforeGpu(
      () => TokenEmbedding.create(gpu, 2, 2, { weight: [[1, -Infinity], [3, 4]] }),
      "init.weight",
      `must hold finite numbers, but init.weight[0][1] is -Infinity${allow}`,
    );
    await assertRejectedBeforeGpu(
      () => PositionalEmbedding.create(gpu, 2, 2, { weight: [[1, 2], [1e39, 4]] }),
      "init.weight",
      `must hold finite numbers, but init.weight[1][0] is 1e+39 (beyond float32's range)${allow}`,
    );
    await assertRejectedBeforeGpu(
      () =>
        TokenEmbedding.create(gpu, 1, 1, {
          weight: [[1]],
          allowNonFinite: "yes" as unknown as boolean,
        }),
      "init.allowNonFinite",
      'must be true or false, got "yes"',
    );
    using allowed = await TokenEmbedding.create(gpu, 2, 2, {
      weight: Float32Array.of(1, Infinity, 3, NaN),
      allowNonFinite: true,
    });
    assert.deepEqual([...await allowed.weight.read()], [1, Infinity, 3, NaN]);
  });
  await t.step("a device that is not a GpuDevice, or bad device options", async () => {
    const problem = "must be a GpuDevice (from GpuDevice.shared() or GpuDevice.request()), got";
    await assertInputError(
      () => TokenEmbedding.create(undefined as unknown as GpuDevice, 2, 2, { seed: 1 }),
      "gpu",
      `${problem} undefined`,
    );
    await assertInputError(() => Tensor.zeros({} as GpuDevice, [2]), "gpu", `${problem} an object`);
    await assertInputError(
      () => GpuDevice.request({ powerPreference: "fast" } as unknown as GpuDeviceOptions),
      "powerPreference",
      'must be "low-power" or "high-performance", got "fast"',
    );
  });
  await t.step("reading past a buffer's end", async () => {
    using tensor = await Tensor.from(gpu, new Float32Array(4));
    await assertRejectedBeforeGpu(
      () => gpu.read(tensor.buffer, 20),
      "byteLength",
      "must be an integer in [0, 16], got 20",
    );
    await assertRejectedBeforeGpu(
      () => gpu.read(tensor.buffer, 6),
      "byteLength",
      "must be a multiple of 4, got 6",
    );
  });

  // files and bytes
  await t.step(
    "missing file",
    () =>
      withTempDir((dir) =>
        assertInputError(
          () => readTextFile(`${dir}/missing.txt`),
          `${dir}/missing.txt`,
          "does not exist",
        )
      ),
  );
  await t.step(
    "invalid UTF-8 in a file: the byte offset of the first bad byte",
    () =>
      withTempDir(async (dir) => {
        const path = `${dir}/bad.txt`;
        for (
          const [bytes, problem] of [
            [[0x68, 0xc3, 0xa9, 0xff, 0x6c], "invalid byte 0xff at byte offset 3"], // "hé", then 0xff
            [[0x61, 0x62, 0xe2, 0x82], "invalid byte 0xe2 at byte offset 2"], // cut short at the end
            [[0x61, 0xc0, 0x80], "invalid byte 0xc0 at byte offset 1"], // an overlong NUL
            [[0xed, 0xa0, 0x80], "invalid byte 0xed at byte offset 0"], // a UTF-16 surrogate
          ] as const
        ) {
          await Deno.writeFile(path, Uint8Array.from(bytes));
          await assertInputError(() => readTextFile(path), path, `is not valid UTF-8: ${problem}`);
        }
      }),
  );
  await t.step("a path that is not a file path, bytes that are not bytes", async () => {
    const problem = "must be a file path or a file: URL, got";
    await assertInputError(() => readTextFile(42 as unknown as string), "path", `${problem} 42`);
    await assertInputError(
      () => readTextFile(new URL("http://127.0.0.1/x.txt")),
      "path",
      `${problem} http://127.0.0.1/x.txt`,
    );
    await assertInputError(
      () => decodeUtf8("abc" as unknown as Uint8Array, "text"),
      "bytes",
      'must be a Uint8Array, got "abc"',
    );
  });
  await t.step("16-bit float bits outside 16 bits, values that are not numbers", async () => {
    const problem = "must be an integer in [0, 65535] (16 bits), got";
    await assertInputError(() => f16BitsToF32(65536), "bits", `${problem} 65536`);
    await assertInputError(() => bf16BitsToF32(-1), "bits", `${problem} -1`);
    await assertInputError(
      () => f32ToF16Bits("1" as unknown as number),
      "value",
      'must be a number, got "1"',
    );
  });

  await t.step(
    "flags that are not booleans, a progress callback that is not a function",
    async () => {
      await withTempDir(async (dir) => {
        await Deno.writeTextFile(`${dir}/a.txt`, "hello");
        await assertInputError(
          () =>
            prepareShards([`${dir}/a.txt`], {
              outDir: `${dir}/out`,
              overwrite: "no" as unknown as boolean,
            }),
          "overwrite",
          'must be true or false, got "no"',
        );
        await assertInputError(
          () =>
            prepareShards([`${dir}/a.txt`], {
              outDir: `${dir}/out`,
              onProgress: 5 as unknown as () => void,
            }),
          "onProgress",
          "must be a function, got 5",
        );
        assert.deepEqual(
          (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name),
          ["a.txt"],
          "nothing created",
        );
      });
      await assertInputError(
        () => encodeParallel("hi", { encoding: "gpt2", ordinary: "false" as unknown as boolean }),
        "ordinary",
        'must be true or false, got "false"',
      );
    },
  );

  await t.step("options that are not an object", async () => {
    const options = null as unknown as Record<string, never>;
    await assertInputError(
      () => RegexTokenizer.fromText("a", options),
      "options",
      "must be { specialTokens? }, got null",
    );
    await assertInputError(
      () => GpuDevice.request(options),
      "options",
      "must be { powerPreference?, kernelLayout? }, got null",
    );
    await assertRejectedBeforeGpu(
      () => InputEmbedding.create(gpu, options as unknown as InputEmbeddingOptions),
      "options",
      "must be { vocabSize, contextLength, dim, seed, dtype? }, got null",
    );
    await assertRejectedBeforeGpu(
      () => Tensor.from(gpu, [1], options),
      "options",
      "must be { dtype?, shape?, label? }, got null",
    );
    await assertInputError(
      () => new BpeTokenizer("gpt2", options),
      "options",
      "must be { allowedSpecial? }, got null",
    );
    await assertInputError(
      () => listShards(".tmp", options),
      "options",
      "must be { split? }, got null",
    );
    await withTempDir(async (dir) => {
      await assertInputError(
        () => writeSafetensors(`${dir}/x.safetensors`, {}, options),
        "options",
        "must be { metadata?, overwrite? }, got null",
      );
      await assertInputError(
        () => writeShard(`${dir}/x.bin`, [1], options),
        "options",
        "must be { version?, overwrite? }, got null",
      );
      assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), [], "nothing was written");
    });
  });
  await t.step(
    "token shards: ids that are not a list, a vocabulary size that is not one",
    async () => {
      await withTempDir(async (dir) => {
        await assertInputError(
          () => writeShard(`${dir}/x.bin`, undefined as unknown as number[]),
          "tokens",
          "must be an array or a typed array of numbers, got undefined",
        );
        assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), [], "nothing was written");
      });
      await assertInputError(() => shardVersionFor(0), "vocabSize", `${INTEGER} 0`);
    },
  );

  // lifetimes
  await t.step("use after dispose: tensor, tokenizer, embedding layers", async () => {
    const tensor = await Tensor.from(gpu, [1, 2], { label: "weights" });
    tensor.dispose();
    await assertInputError(
      () => tensor.toArray(),
      "tensor",
      "is a disposed tensor (weights, shape [2]) and cannot be used",
    );
    const gpt2 = new BpeTokenizer("gpt2");
    gpt2.dispose();
    await assertInputError(
      () => gpt2.decode([1]),
      "tokenizer",
      "(gpt2) was disposed; create a new BpeTokenizer",
    );
    const layers = await InputEmbedding.create(gpu, {
      vocabSize: 3,
      contextLength: 2,
      dim: 2,
      seed: 1,
    });
    layers.dispose();
    await assertRejectedBeforeGpu(
      () => layers.forward([[0, 1]]),
      "table",
      "is a disposed tensor (token embedding weight, shape [3, 2]) and cannot be used",
    );
    await assertRejectedBeforeGpu(
      () => layers.position.forward(1),
      "table",
      "is a disposed tensor (positional embedding weight, shape [2, 2]) and cannot be used",
    );
  });
  await t.step("double dispose is harmless and frees each buffer once", async () => {
    const [buffers, bytes] = [gpu.liveBuffers, gpu.liveBytes];
    const tensor = await Tensor.from(gpu, [1, 2, 3]);
    const layers = await InputEmbedding.create(gpu, {
      vocabSize: 3,
      contextLength: 2,
      dim: 2,
      seed: 1,
    });
    assert.equal(gpu.liveBuffers, buffers + 3);
    tensor.dispose();
    tensor.dispose();
    layers.dispose();
    layers[Symbol.dispose]();
    assert.deepEqual([gpu.liveBuffers, gpu.liveBytes], [buffers, bytes]);
    const gpt2 = new BpeTokenizer("gpt2");
    gpt2.dispose();
    gpt2.dispose();
    using again = new BpeTokenizer("gpt2"); // the shared encoder was released exactly once
    assert.deepEqual([...again.encode("Hello")], [15496]);
  });
});

Deno.test("validation catalog through the tasks: one line on stderr, exit code 2", async (t) => {
  const cases: { task: string; args: string[]; stdin?: string | Uint8Array; line: string }[] = [
    {
      task: "tokenize",
      args: ["--model", "gpt-99"],
      line: '--model "gpt-99" is not a known model; use one such as gpt-2, gpt-3.5-turbo, gpt-4, ' +
        "gpt-4o, or name an encoding directly (gpt2, r50k_base, p50k_base, p50k_edit, cl100k_base, " +
        "o200k_base)",
    },
    {
      task: "tokenize",
      args: ["--allowed-special", "<|fim_prefix|>"],
      line: '--allowed-special names "<|fim_prefix|>", which is not a special token of gpt2 ' +
        "(its special tokens: <|endoftext|>)",
    },
    {
      task: "batches",
      args: ["-", "--batch-size", "1", "--max-length", "4", "--stride", "4"],
      stdin: Uint8Array.of(0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x20, 0xfe),
      line: "standard input is not valid UTF-8: invalid byte 0xfe at byte offset 6",
    },
    {
      task: "batches",
      args: ["--batch-size", "1", "--max-length", "4", "--stride", "1.5"],
      line: '--stride must be an integer in decimal digits, got "1.5"',
    },
    {
      task: "batches",
      args: [
        "--batch-size",
        "1",
        "--max-length",
        "4",
        "--stride",
        "4",
        "--rank",
        "2",
        "--world-size",
        "2",
      ],
      line: "--rank must be an integer in [0, --world-size - 1] = [0, 1], got 2",
    },
    {
      task: "batches",
      args: [
        "--batch-size",
        "1",
        "--max-length",
        "4",
        "--stride",
        "4",
        "--shuffle",
        "--seed",
        "4294967296",
      ],
      line: `--seed ${SEED} 4294967296`,
    },
    {
      task: "embed",
      args: [".tmp/no-such-file.txt"],
      line: `${ROOT_PATH}/.tmp/no-such-file.txt does not exist`,
    },
    {
      task: "embed",
      args: ["-"],
      stdin: "",
      line: "text is empty, but --max-length 4 needs at least --max-length + 1 = 5 tokens",
    },
    {
      task: "embed",
      args: ["-", "--allowed-special", "none"],
      stdin: "like tea? <|endoftext|> In the sunlit terrace",
      line: "text contains the special token <|endoftext|> at offset 10, which is not allowed; " +
        "allow it (--allowed-special <|endoftext|>)",
    },
    { task: "embed", args: ["--dim", "-1"], line: `--dim ${INTEGER} -1` },
    {
      task: "embed",
      args: ["--max-length"],
      line: "--max-length needs a value (tokens per window)",
    },
    {
      task: "embed",
      args: ["--vocab", "5"],
      line: "--vocab is not an option of deno task embed; options: --encoding, --model, " +
        "--tokenizer, --allowed-special, --batch-size, --max-length, --stride, --no-drop-last, " +
        "--dim, --seed, --weights, --json, --all, --readback",
    },
  ];
  for (const { task, args, stdin, line } of cases) {
    await t.step(`deno task ${task} ${args.join(" ")}`, async () => {
      const { code, stdout, stderr } = await runTask(task, args, stdin);
      assert.equal(stderr, `deno task ${task}: ${line}\n`);
      assert.equal(code, 2);
      assert.equal(stdout, "");
    });
  }
  await t.step(
    "deno task tokenize FILE: invalid UTF-8 with its byte offset",
    () =>
      withTempDir(async (dir) => {
        const path = `${dir}/latin1.txt`;
        await Deno.writeFile(path, Uint8Array.of(0x63, 0x61, 0x66, 0xe9, 0x21)); // "café!" in Latin-1
        const { code, stdout, stderr } = await runTask("tokenize", [path]);
        assert.equal(
          stderr,
          `deno task tokenize: ${path} is not valid UTF-8: invalid byte 0xe9 at byte offset 3\n`,
        );
        assert.equal(code, 2);
        assert.equal(stdout, "");
      }),
  );
});

// Hostile input through the tasks: each case failed (crashed, hung, or did something else)
// before its check existed.
const LOADER = ["--batch-size", "1", "--max-length", "4", "--stride", "4"];

Deno.test("validation catalog, hostile input through the tasks: one line, exit code 2", async (t) => {
  const cases: { task: string; args: string[]; stdin?: string | Uint8Array; line: string }[] = [
    // integers are decimal digits; messages echo the value as typed
    ...["0x10", "0b11", "1e3", "  8", "8 ", "+8", "", "٣"].map((typed) => ({
      task: "batches",
      args: ["--batch-size", typed, "--max-length", "4", "--stride", "4"],
      line: `--batch-size must be an integer in decimal digits, got ${JSON.stringify(typed)}`,
    })),
    {
      task: "batches",
      args: [...LOADER, "--shuffle", "--seed", "04294967296"],
      line: `--seed ${SEED} 04294967296`,
    },
    {
      task: "batches",
      args: [...LOADER, "--shuffle", "--seed", "99999999999999999999"],
      line: "--seed must be an integer of at most 9007199254740991 in size, got " +
        "99999999999999999999",
    },
    {
      task: "prepare",
      args: ["data/the-verdict.txt", "--out", "x", "--val-fraction", "0x1"],
      line: '--val-fraction must be a decimal number, got "0x1"',
    },
    {
      task: "prepare",
      args: ["data/the-verdict.txt", "--out", "x", "--val-fraction", "Infinity"],
      line: '--val-fraction must be a decimal number, got "Infinity"',
    },
    // `--` ends the options: what follows is a FILE, `--` itself is not one
    {
      task: "tokenize",
      args: ["--", "--no-such-file"],
      line: `${ROOT_PATH}/--no-such-file does not exist`,
    },
    {
      task: "prepare",
      args: ["data/the-verdict.txt", "--out", ""],
      line: "--out needs a value, got an empty string",
    },
  ];
  for (const { task, args, stdin, line } of cases) {
    await t.step(`deno task ${task} ${args.map((a) => JSON.stringify(a)).join(" ")}`, async () => {
      const { code, stdout, stderr } = await runTask(task, args, stdin);
      assert.equal(stderr, `deno task ${task}: ${line}\n`);
      assert.equal(code, 2);
      assert.equal(stdout, "");
    });
  }
  const LIMIT = "the limit for a text read whole into memory; stream larger corpora into token " +
    "shards with deno task prepare";
  await t.step(
    "only regular files are read: a FIFO, a folder; an oversized file",
    () =>
      withTempDir(async (dir) => {
        await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output();
        const big = `${dir}/big.txt`;
        using file = await Deno.create(big);
        await file.truncate(600_000_000); // a 600 MB text of NUL characters (sparse)
        for (
          const [path, line] of [
            [
              `${dir}/fifo`,
              "is a FIFO (named pipe), not a regular file; only regular files are read",
            ],
            [dir, "is a folder, not a regular file; only regular files are read"],
            [big, `is 600000000 bytes, more than 268435456 bytes (256 MiB), ${LIMIT}`],
          ]
        ) {
          for (const task of ["tokenize", "batches", "embed"]) {
            const args = task === "batches" ? [path, ...LOADER] : [path];
            const { code, stdout, stderr } = await runTask(task, args);
            assert.equal(stderr, `deno task ${task}: ${path} ${line}\n`);
            assert.equal(code, 2);
            assert.equal(stdout, "");
          }
        }
        const weights = await runTask("embed", ["--weights", `${dir}/fifo`]);
        assert.equal(
          weights.stderr,
          `deno task embed: --weights ${dir}/fifo is a FIFO (named pipe), not a regular file; only ` +
            "regular files are read\n",
        );
        assert.equal(weights.code, 2);
      }),
  );
  await t.step("standard input stops at the limit (tokenize - < /dev/zero)", async () => {
    const child = new Deno.Command("deno", {
      args: ["task", "--quiet", "tokenize", "-"],
      cwd: ROOT_PATH,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1", INIT_CWD: ROOT_PATH },
    }).spawn();
    // an endless stream of zero bytes, as /dev/zero gives, until the task stops reading
    const writer = child.stdin.getWriter();
    const zeros = new Uint8Array(1 << 20);
    const writing = (async () => {
      try {
        while (true) await writer.write(zeros);
      } catch {
        // the task closed its standard input
      }
    })();
    const { code, stdout, stderr } = await child.output();
    await writing;
    assert.equal(
      new TextDecoder().decode(stderr),
      `deno task tokenize: standard input holds more than 268435456 bytes (256 MiB), ${LIMIT}\n`,
    );
    assert.equal(code, 2);
    assert.equal(stdout.length, 0);
  });
  await t.step("a file-system fault is one line and exit code 2, not a stack trace", async () => {
    const { code, stdout, stderr } = await new Deno.Command("deno", {
      args: ["run", "--allow-read=tests", "tests/helpers/io_fault_child.ts"],
      cwd: ROOT_PATH,
      stdin: "null",
      env: { NO_COLOR: "1" },
    }).output();
    assert.equal(
      new TextDecoder().decode(stderr),
      "deno task fault: Is a directory (os error 21)\n",
    );
    assert.equal(code, 2);
    assert.equal(stdout.length, 0);
  });
  await t.step(
    "the run folder's path holds a comma: refused before anything is read",
    () =>
      withTempDir(async (dir) => {
        const run = `${dir}/a,${dir}/secret`; // the grant would also cover ${dir}/secret
        await Deno.mkdir(run, { recursive: true });
        await Deno.mkdir(`${dir}/secret`);
        await Deno.writeTextFile(`${dir}/secret/key.txt`, "the secret");
        const { code, stdout, stderr } = await runTask("tokenize", [`${dir}/secret/key.txt`], "", {
          INIT_CWD: run,
        });
        assert.equal(
          stderr,
          `deno task tokenize: the run folder ${JSON.stringify(run)} holds a comma, which Deno ` +
            "reads as a separator in the task's permission grants (they would reach other " +
            "folders); run the task from a folder whose path has no comma\n",
        );
        assert.equal(code, 2);
        assert.equal(stdout, "");
      }),
  );
  await t.step(
    "a symbolic link out of the run folder: refused for reading and writing",
    () =>
      withTempDir(async (dir) => {
        const run = `${dir}/run`;
        await Deno.mkdir(run);
        await Deno.mkdir(`${dir}/outside`);
        await Deno.writeTextFile(`${dir}/outside/key.txt`, "the secret");
        await Deno.writeTextFile(`${run}/in.txt`, "I HAD always thought");
        for (const [target, link] of [["outside/key.txt", "key.txt"], ["outside", "out"]]) {
          await new Deno.Command("ln", { args: ["-s", `${dir}/${target}`, `${run}/${link}`] })
            .output();
        }
        const leads = (label: string, to: string) =>
          `${label} leads outside the folder the task runs from (${run}) through a symbolic ` +
          `link, to ${to}; the task reads and writes only under that folder`;
        for (
          const [task, args, line] of [
            ["tokenize", ["key.txt"], leads("key.txt", `${dir}/outside/key.txt`)],
            ["prepare", ["in.txt", "--out", "out"], leads("--out out", `${dir}/outside`)],
          ] as const
        ) {
          const result = await runTask(task, [...args], undefined, { INIT_CWD: run });
          assert.equal(result.stderr, `deno task ${task}: ${line}\n`);
          assert.equal(result.code, 2);
        }
        assert.deepEqual(
          (await Array.fromAsync(Deno.readDir(`${dir}/outside`))).map((e) => e.name),
          ["key.txt"],
        );
      }),
  );
  await t.step(
    "--batch-size 3000000000 --no-drop-last: buffers sized from the windows",
    async () => {
      const { code, stdout, stderr } = await runTask("batches", [
        "--batch-size",
        "3000000000",
        "--max-length",
        "4",
        "--stride",
        "4",
        "--no-drop-last",
        "--json",
      ]);
      assert.equal(stderr, "");
      assert.equal(code, 0);
      const out = JSON.parse(stdout);
      assert.equal(out.num_batches, 1);
      assert.equal(out.last_batch.inputs.length, out.num_windows);
    },
  );
});

Deno.test("validation catalog, hostile input through the library: no silent wrong values", async (t) => {
  await t.step(
    "NaN or ±Infinity in a safetensors table names the tensor and element",
    () =>
      withTempDir(async (dir) => {
        const path = `${dir}/bad.safetensors`;
        const wte = Float32Array.of(1, 2, 3, 4, 5, NaN);
        const wpe = Float32Array.of(1, 2, Infinity, 4);
        const wide = Float32Array.of(1, 2, 70000, 4); // finite in F32, beyond float16
        await writeSafetensors(path, {
          "wte.weight": { dtype: "F32", shape: [3, 2], data: wte },
          "wpe.weight": { dtype: "F32", shape: [2, 2], data: wpe },
          "wide.weight": { dtype: "F32", shape: [2, 2], data: wide },
        });
        await assertRejectedBeforeGpuKeeps(
          () => TokenEmbedding.fromSafetensors(gpu, path, { tensor: "wte.weight" }),
          path,
          'tensor "wte.weight" holds NaN at [2, 1]; embedding tables must hold finite numbers',
        );
        await assertRejectedBeforeGpuKeeps(
          () => PositionalEmbedding.fromSafetensors(gpu, path, { tensor: "wpe.weight" }),
          path,
          'tensor "wpe.weight" holds Infinity at [1, 0]; embedding tables must hold finite numbers',
        );
        await assertRejectedBeforeGpuKeeps(
          () => TokenEmbedding.fromSafetensors(gpu, path, { tensor: "wide.weight", dtype: "f16" }),
          path,
          `tensor "wide.weight" holds Infinity when read as float16 (the file's F32 value is not ` +
            `finite, or beyond ±65504) at [1, 0]; embedding tables must hold finite numbers`,
        );
      }),
  );
  await t.step("a hole in an id array is an error, not a skipped element", async () => {
    using token = await TokenEmbedding.create(gpu, 10, 4, { seed: 1 });
    // deno-lint-ignore no-sparse-arrays
    const sparse = [[1, , 3]] as number[][];
    await assertRejectedBeforeGpu(
      () => token.forward(sparse),
      "ids[0][1]",
      "is a hole of a sparse array (no element); every element must be a number",
    );
    // deno-lint-ignore no-sparse-arrays
    await assertInputError(
      () => Tensor.from(gpu, [1, , 3] as number[]),
      "data[1]",
      "is a hole " +
        "of a sparse array (no element); every element must be a number",
    );
  });
  await t.step("a pre-token too long to merge is an error, not a trap", async () => {
    using gpt2 = new BpeTokenizer("gpt2", { allowedSpecial: "all" });
    await assertInputError(
      () => gpt2.encode("hi <|endoftext|> " + "x".repeat(9 * 1024 * 1024)),
      "text",
      "holds a pre-token of 9437185 bytes at offset 16 (a run of one kind of character without " +
        'a break, starting " xxxxxxxxxxx"), more than the 8388608 bytes byte-pair encoding ' +
        "takes in one piece",
    );
  });
  await t.step(
    "a sampled batch is sized from the options: a bound before allocating",
    () =>
      assertInputError(
        () => new RandomBlockSampler(IDS, { maxLength: 4, batchSize: 3_000_000_000 }),
        "batchSize",
        "is 3000000000: 3000000000 rows × 4 tokens is more than the 268435456 tokens a sampled " +
          "batch may hold (inputs and targets take 8 bytes a token)",
      ),
  );
  await t.step("a lone surrogate is an error, not U+FFFD", async () => {
    using gpt2 = new BpeTokenizer("gpt2");
    await assertInputError(
      () => gpt2.encode("tea\ud83d?"),
      "text",
      "holds a lone surrogate (U+D83D) at offset 3, which has no UTF-8 form; fix the text " +
        "(e.g. text.toWellFormed() replaces it with U+FFFD)",
    );
  });
  await t.step(
    "shards: a link named like a shard, a FIFO, a shard missing from or added to its list",
    () =>
      withTempDir(async (dir) => {
        await writeShard(`${dir}/outside.bin`, [1, 2, 3]);
        await Deno.mkdir(`${dir}/a`);
        await writeShard(`${dir}/a/train_000001.bin`, [1, 2, 3]);
        // Deno.symlink needs unscoped permissions; the test task may run ln
        await new Deno.Command("ln", {
          args: ["-s", `${dir}/outside.bin`, `${dir}/a/train_000002.bin`],
        }).output();
        await assertInputError(
          () => listShards(`${dir}/a`),
          `${dir}/a/train_000002.bin`,
          "is a symbolic link, not a regular file; shards are read from regular files only",
        );
        await new Deno.Command("mkfifo", { args: [`${dir}/fifo.bin`] }).output();
        await assertInputError(
          () => readShard(`${dir}/fifo.bin`),
          `${dir}/fifo.bin`,
          "is a FIFO (named pipe), not a regular file; only regular files are read",
        );
        // a folder prepare made reads exactly what its shards.json lists, and nothing less
        const b = `${dir}/b`;
        await Deno.writeTextFile(`${dir}/in.txt`, "It had always been a cheap genius. ".repeat(60));
        await prepareShards([`${dir}/in.txt`], { outDir: b, shardTokens: 200, workers: 1 });
        const listed = (await listShards(b)).map((s) => s.path);
        const named = (k: number) => `${b}/train_${String(k).padStart(6, "0")}.bin`;
        assert.deepEqual(listed, listed.map((_, k) => named(k)));
        assert.ok(listed.length >= 2);
        const [extra, last] = [named(listed.length), listed.at(-1)!];
        await writeShard(extra, [1, 2, 3]);
        await assertInputError(
          () => ShardDataset.open(b, { maxLength: 1, stride: 1 }),
          extra,
          "is not one of the shards shards.json lists, which are this folder's set; move it out " +
            "of the folder (or run prepare --overwrite again to make a new set)",
        );
        await Deno.remove(extra);
        const tokens = (await readShard(last)).length;
        await Deno.rename(last, `${b}/.kept.bin`);
        await assertInputError(
          () => listShards(b),
          last,
          "is listed in shards.json but does not exist",
        );
        await writeShard(last, [1, 2, 3]);
        await assertInputError(
          () => listShards(b, { split: "train" }),
          last,
          `holds 3 tokens, but shards.json lists ${tokens}: the file is not the shard prepare wrote`,
        );
        await Deno.writeTextFile(`${b}/shards.json`, '{"files": ["train_000000.bin"]}');
        await assertInputError(
          () => listShards(b),
          `${b}/shards.json`,
          'is not the list of shards prepare writes: it has no "format": "llm.c token shards"; ' +
            "a folder with a shards.json is read as the shards it lists (move the file away to " +
            "read every .bin file instead)",
        );
        // and prepare does not take someone else's shards.json for its own, nor replace it
        await assert.rejects(
          prepareShards([`${dir}/in.txt`], { outDir: b, overwrite: true }),
          (error) => error instanceof InputError && error.parameter === `${b}/shards.json`,
        );
        assert.equal(
          await Deno.readTextFile(`${b}/shards.json`),
          '{"files": ["train_000000.bin"]}',
        );
      }),
  );
  await t.step(
    "prepare: an input that vanishes mid-run; the folder it made is removed",
    () =>
      withTempDir(async (dir) => {
        const [a, b] = [`${dir}/a.txt`, `${dir}/b.txt`];
        await Deno.writeTextFile(a, "It had always been ".repeat(2000));
        await Deno.writeTextFile(b, "a cheap genius");
        let removed = false;
        await assertInputError(
          () =>
            prepareShards([a, b], {
              outDir: `${dir}/out/shards`,
              workers: 1,
              chunkBytes: 4096,
              onProgress: () => {
                if (!removed) Deno.removeSync(b);
                removed = true;
              },
            }),
          b,
          "does not exist",
        );
        assert.deepEqual(
          (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort(),
          ["a.txt"],
          "no output folder left behind",
        );
      }),
  );
  await t.step(
    "prepare: an input that is a FIFO is refused before anything is opened",
    () =>
      withTempDir(async (dir) => {
        await new Deno.Command("mkfifo", { args: [`${dir}/fifo.txt`] }).output();
        await assertInputError(
          () => prepareShards([`${dir}/fifo.txt`], { outDir: `${dir}/out` }),
          `${dir}/fifo.txt`,
          "is a FIFO (named pipe), not a regular file; only regular files are read",
        );
      }),
  );
});

/** {@linkcode assertInputError}, and GPU memory is back where it was (the table was freed). */
async function assertRejectedBeforeGpuKeeps(
  run: () => unknown,
  parameter: string,
  problem: string,
): Promise<void> {
  const [buffers, bytes] = [gpu.liveBuffers, gpu.liveBytes];
  await assertInputError(run, parameter, problem);
  assert.deepEqual([gpu.liveBuffers, gpu.liveBytes], [buffers, bytes], "GPU memory kept");
}
