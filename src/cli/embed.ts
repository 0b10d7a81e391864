/**
 * `deno task embed [FILE|-] [--encoding gpt2 | --model NAME | --tokenizer regex|char]
 * [--batch-size 8] [--max-length 4] [--stride 4] [--dim 256] [--seed 123] [--no-drop-last] [--json]`
 *
 * The main job, the book's section 2.8: tokenizes a text (the sample text without FILE), windows
 * and batches it, creates the token table (vocabulary × dim) and then the position table
 * (max-length × dim) from one seeded PyTorch-compatible stream, embeds the first batch on the GPU
 * and prints what the book prints. `--json` prints one object:
 * `{"adapter": {"description"}, "num_tokens", "num_windows", "num_batches",
 *   "first_batch": {"inputs", "targets"},
 *   "token_weight": {"shape", "sum", "abs_sum", "rows": {"<id>": [...]}},
 *   "position_weight": {"shape", "sum"}, "input_embeddings": {"shape", "sum", "first_row"}}`
 * (sums in float64; `rows` holds the token-table rows of ids 0, 1, 40, 367, 2885 and 50256 that
 * are below the vocabulary size).
 *
 * @module
 */
import { InputError } from "../errors.ts";
import { InputEmbedding } from "../embed/input_embedding.ts";
import { checkSeed } from "../internal/prng.ts";
import { checkInteger } from "../internal/checks.ts";
import { GpuDevice } from "../gpu/device.ts";
import { formatTensor } from "../gpu/format_tensor.ts";
import { readTextFile } from "../tokenize/read_text.ts";
import { parseArgs, readInput, runCli } from "./cli.ts";
import {
  asOptionError,
  buildLoader,
  checkAsOptions,
  LOADER_OPTIONS,
  nestedBatch,
  TOKENIZER_OPTIONS,
} from "./loader_options.ts";
import { SAMPLE_TEXT_URL } from "./sample_text.ts";
import { tokenizerFromOptions } from "./tokenize.ts";

const COMMAND = "deno task embed";

/** Token-table rows reported by `--json` (the fixture's): the first ids and the first batch's. */
const REPORTED_ROWS = [0, 1, 40, 367, 2885, 50256];

/** The book's defaults (section 2.8). */
const DEFAULTS = { batchSize: 8, maxLength: 4, stride: 4, dim: 256, seed: 123 };

/** Float64 sum and absolute sum of float32 values. */
function sums(values: Float32Array): { sum: number; absSum: number } {
  let sum = 0;
  let absSum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    absSum += Math.abs(values[i]);
  }
  return { sum, absSum };
}

function torchSize(shape: readonly number[]): string {
  return `torch.Size([${shape.join(", ")}])`;
}

async function main(): Promise<void> {
  const { options, positionals } = parseArgs(COMMAND, Deno.args, {
    ...TOKENIZER_OPTIONS,
    ...LOADER_OPTIONS,
    dim: { type: "integer", help: "the embedding dimension" },
    seed: { type: "integer", help: "torch.manual_seed before both tables, in [0, 4294967295]" },
    json: { type: "boolean", help: "print one JSON object" },
  });
  if (positionals.length > 1) {
    throw new InputError("FILE", `takes one path (or -), got ${positionals.length}`);
  }
  const get = (name: string, fallback: number) => (options.get(name) ?? fallback) as number;
  const batchSize = get("batch-size", DEFAULTS.batchSize);
  const maxLength = get("max-length", DEFAULTS.maxLength);
  const stride = get("stride", DEFAULTS.stride);
  const dim = get("dim", DEFAULTS.dim);
  const seed = get("seed", DEFAULTS.seed);
  const dropLast = options.get("no-drop-last") !== true;
  checkAsOptions(() => {
    checkInteger("dim", dim, 1);
    checkSeed("seed", seed);
  });

  // Everything on the CPU first, so that bad input fails before any GPU work.
  const text = positionals.length === 0
    ? await readTextFile(SAMPLE_TEXT_URL)
    : await readInput(positionals[0]);
  const tokenizer = tokenizerFromOptions(options, text);
  const vocabSize = tokenizer.vocabSize;
  const loader = buildLoader(text, {
    tokenizer,
    batchSize,
    maxLength,
    stride,
    dropLast,
    shuffle: false,
  });
  const [batch] = loader; // the first batch, as the book's `next(iter(dataloader))`
  const shape = [batch.rows, batch.seqLength];
  const inputs = batch.inputs.slice(0, batch.rows * batch.seqLength);
  const targets = batch.targets.slice(0, batch.rows * batch.seqLength);

  const gpu = await GpuDevice.shared();
  // A table too large for the device is refused (as --dim) before anything is allocated.
  using embedding = await InputEmbedding.create(gpu, {
    vocabSize,
    contextLength: maxLength,
    dim,
    seed,
  }).catch(asOptionError);
  using output = await embedding.forward({ data: inputs, shape });

  if (options.get("json")) {
    const tokenWeight = await embedding.token.weight.read();
    const positionWeight = await embedding.position.weight.read();
    const values = await output.read();
    const rows: Record<string, number[]> = {};
    for (const id of REPORTED_ROWS) {
      if (id < vocabSize) rows[id] = Array.from(tokenWeight.subarray(id * dim, (id + 1) * dim));
    }
    const token = sums(tokenWeight);
    console.log(JSON.stringify({
      adapter: { description: gpu.description },
      num_tokens: loader.dataset.ids.length,
      num_windows: loader.dataset.length,
      num_batches: loader.numBatches,
      first_batch: nestedBatch(batch),
      token_weight: {
        shape: [...embedding.token.weight.shape],
        sum: token.sum,
        abs_sum: token.absSum,
        rows,
      },
      position_weight: {
        shape: [...embedding.position.weight.shape],
        sum: sums(positionWeight).sum,
      },
      input_embeddings: {
        shape: [...output.shape],
        sum: sums(values).sum,
        first_row: Array.from(values.subarray(0, dim)),
      },
    }));
    return;
  }
  console.log(
    `${tokenizer.name}: ${loader.dataset.ids.length} tokens → ${loader.dataset.length} windows ` +
      `(max length ${maxLength}, stride ${stride}) → ${loader.numBatches} batches of ${batchSize}`,
  );
  console.log(`GPU: ${gpu.description}`);
  console.log("\nToken IDs:\n", formatTensor(Int32Array.from(inputs), shape));
  console.log("\nTargets:\n", formatTensor(Int32Array.from(targets), shape));
  console.log("\nInputs shape:\n", torchSize(shape));
  console.log(`\nToken embedding table: ${torchSize(embedding.token.weight.shape)}`);
  console.log(`Position embedding table: ${torchSize(embedding.position.weight.shape)}`);
  console.log(`Input embeddings (token + position): ${torchSize(output.shape)}`);
  console.log("\nInput embeddings:\n", await output.format());
}

if (import.meta.main) await runCli(COMMAND, main);
