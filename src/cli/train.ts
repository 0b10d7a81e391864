/**
 * `deno task train [FILE|-] [--seed 1337] [--batch-size 32] [--block-size 8] [--lr 1e-2]
 * [--steps 1000] [--eval-interval 250] [--eval-iters 20] [--generate 200] [--save FILE
 * [--overwrite]] [--json]`
 *
 * Trains the Korean study note's bigram model (semiGPT: one `nn.Embedding(V, V)` table whose row
 * for a character is the logits of the next one) on a text (the sample text without FILE, standard
 * input for `-`), step for step as PyTorch does from `torch.manual_seed(seed)`: character
 * vocabulary, the first 90% of the ids for training and the rest held back, batches drawn by
 * `torch.randint`, cross-entropy, AdamW, an evaluation every `--eval-interval` steps and after the
 * last, then `--generate` characters sampled with softmax + `torch.multinomial` from the
 * first character of the vocabulary (the note's `zeros((1, 1))` context).
 *
 * A terminal shows a progress line on stderr (step, train loss, tokens/s); stdout gets the
 * evaluations as they come and the generated text. `--save FILE` writes the trained table as
 * safetensors (`embedding_token_table.weight`, F32 `[V, V]`, the vocabulary in the metadata, for
 * `deno task generate --weights FILE`); an existing file is kept unless `--overwrite`.
 * `--json` prints one object: `{"vocab_size", "num_tokens", "train_tokens", "train_losses",
 * "evals": [{"step", "train", "eval"}], "final_weight": {"sum", "abs_sum", "row0_first8"},
 * "generated_ids", "generated_text", "tokens_per_second"}` (sums in float64; `generated_ids`
 * and `generated_text` include the context).
 *
 * @module
 */
import { TorchBlockSampler } from "../batches/torch_block_sampler.ts";
import { InputError } from "../util/errors.ts";
import { GpuDevice } from "../gpu/device.ts";
import { parentDir, pathExists } from "../util/atomic_file.ts";
import { TorchGenerator } from "../util/torch_rng.ts";
import { BigramLanguageModel, checkBigramVocabulary } from "../nn/bigram_language_model.ts";
import { type Evaluation, generateTokens, trainBigram } from "../nn/bigram_training.ts";
import { CharTokenizer } from "../tokenize/char_tokenizer.ts";
import {
  type CommandHelp,
  filesHelp,
  grantedPath,
  type OptionSpecs,
  parseArgs,
  readTextArgument,
  runCli,
} from "./cli.ts";
import { MAX_SEED } from "../util/prng.ts";
import { ProgressBar } from "./progress_bar.ts";

const COMMAND = "deno task train";

/** The share of the ids that trains (the note's `int(0.9 * len(data))`). */
const TRAIN_SHARE = 0.9;

/** Upper bounds that keep a batch's logits and a run's numbers sane; the ranges errors name. */
const LIMITS = {
  batchSize: 65536,
  blockSize: 65536,
  rows: 1 << 20,
  steps: 100_000_000,
  evalIters: 1_000_000,
  generate: 1_000_000,
};

/** The options, with the note's settings as defaults. */
export const OPTIONS = {
  seed: {
    type: "integer",
    min: 0,
    max: MAX_SEED,
    default: 1337,
    help: "torch.manual_seed",
  },
  "batch-size": {
    type: "integer",
    min: 1,
    max: LIMITS.batchSize,
    default: 32,
    help: "blocks per batch",
  },
  "block-size": {
    type: "integer",
    min: 1,
    max: LIMITS.blockSize,
    default: 8,
    help: "characters per block",
  },
  lr: { type: "number", default: 0.01, help: "AdamW's learning rate, > 0" },
  steps: { type: "integer", min: 0, max: LIMITS.steps, default: 1000, help: "training steps" },
  "eval-interval": {
    type: "integer",
    min: 1,
    max: LIMITS.steps,
    default: 250,
    help: "steps between evaluations",
  },
  "eval-iters": {
    type: "integer",
    min: 1,
    max: LIMITS.evalIters,
    default: 20,
    help: "batches per split in an evaluation",
  },
  generate: {
    type: "integer",
    min: 0,
    max: LIMITS.generate,
    default: 200,
    help: "characters to sample after training",
  },
  save: {
    type: "string",
    help: "write the trained table to this safetensors file",
    defaultText: "none",
  },
  overwrite: {
    type: "boolean",
    parameter: "overwrite",
    help: "with --save: replace an existing file",
  },
  json: { type: "boolean", help: "print one JSON object" },
} satisfies OptionSpecs;

const HELP: CommandHelp = {
  usage: "[FILE|-] [options]",
  about: "Trains the Korean study note's bigram model (semiGPT) on FILE's characters, step for " +
    "step as PyTorch from torch.manual_seed (the sample text data/the-verdict.txt without FILE, " +
    "standard input for -): progress on a terminal, evaluations, then the generated text.",
  files: filesHelp(COMMAND, "FILE and --save", true),
};

/** The task's settings after checking. */
export interface TrainSettings {
  seed: number;
  batchSize: number;
  blockSize: number;
  lr: number;
  steps: number;
  evalInterval: number;
  evalIters: number;
  generate: number;
  save: string | undefined;
  overwrite: boolean;
  json: boolean;
}

/** Parses and checks the options (CPU only, nothing read or written yet). */
export function trainSettings(args: readonly string[]): {
  settings: TrainSettings;
  positionals: string[];
} {
  const { options, values, positionals } = parseArgs(COMMAND, args, OPTIONS, HELP);
  const settings: TrainSettings = {
    seed: values.get("seed") as number,
    batchSize: values.get("batch-size") as number,
    blockSize: values.get("block-size") as number,
    lr: values.get("lr") as number,
    steps: values.get("steps") as number,
    evalInterval: values.get("eval-interval") as number,
    evalIters: values.get("eval-iters") as number,
    generate: values.get("generate") as number,
    save: options.get("save") as string | undefined,
    overwrite: options.get("overwrite") === true,
    json: options.get("json") === true,
  };
  if (!(settings.lr > 0)) {
    throw new InputError("--lr", `must be a number > 0, got ${settings.lr}`);
  }
  if (settings.batchSize * settings.blockSize > LIMITS.rows) {
    throw new InputError(
      "--batch-size",
      `times --block-size must be at most ${LIMITS.rows} (characters per batch), got ` +
        `${settings.batchSize} × ${settings.blockSize}`,
    );
  }
  if (settings.overwrite && settings.save === undefined) {
    throw new InputError("--overwrite", "replaces the file of --save, so it needs --save");
  }
  if (settings.save === "") throw new InputError("--save", "needs a file name");
  return { settings, positionals };
}

/** The text's character vocabulary, ids and the note's split, checked against the settings. */
export function prepareText(text: string, blockSize: number): {
  tokenizer: CharTokenizer;
  ids: Uint32Array;
  splitIndex: number;
} {
  if (text.length === 0) throw new InputError("FILE", "is empty: there is nothing to train on");
  const tokenizer = CharTokenizer.fromText(text);
  checkBigramVocabulary(tokenizer.vocabSize);
  const ids = tokenizer.encode(text);
  const splitIndex = Math.floor(TRAIN_SHARE * ids.length);
  const shortest = Math.min(splitIndex, ids.length - splitIndex);
  if (shortest < blockSize + 1) {
    throw new InputError(
      "--block-size",
      `must be less than each split's length: the text has ${ids.length} characters, ` +
        `${splitIndex} for training and ${ids.length - splitIndex} held back, so --block-size ` +
        `can be at most ${Math.max(0, shortest - 1)}, got ${blockSize}`,
    );
  }
  return { tokenizer, ids, splitIndex };
}

/** Refuses a `--save` target that exists (without `--overwrite`) or whose folder does not. */
async function checkSaveTarget(path: string, overwrite: boolean): Promise<void> {
  if (!overwrite && await pathExists(path)) {
    throw new InputError(
      "--save",
      `${path} already exists; it is kept (pass --overwrite to replace it)`,
    );
  }
  const folder = parentDir(path);
  let info: Deno.FileInfo | undefined;
  try {
    info = await Deno.stat(folder);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (!info?.isDirectory) {
    throw new InputError("--save", `cannot write ${path}: the folder ${folder} does not exist`);
  }
}

function formatLoss(loss: number): string {
  return loss.toFixed(4);
}

function evaluationLine(evaluation: Evaluation, width: number): string {
  return `step ${String(evaluation.step).padStart(width)}: train loss ` +
    `${formatLoss(evaluation.train)}, eval loss ${formatLoss(evaluation.eval)}`;
}

/** The text to train on, as ids split the note's way, and the checked `--save` path. */
interface TrainInput {
  tokenizer: CharTokenizer;
  ids: Uint32Array;
  splitIndex: number;
  save: string | undefined;
}

/** Reads and checks the text and the `--save` target (CPU only). */
async function prepareInput(settings: TrainSettings, positionals: string[]): Promise<TrainInput> {
  const save = settings.save === undefined ? undefined : await grantedPath(settings.save, "--save");
  const text = await readTextArgument(positionals);
  const { tokenizer, ids, splitIndex } = prepareText(text, settings.blockSize);
  if (save !== undefined) await checkSaveTarget(save, settings.overwrite);
  return { tokenizer, ids, splitIndex, save };
}

/** What a run produced: the losses and evaluations, the trained table, the sampled text. */
interface Trained {
  trainLosses: Float32Array | readonly number[];
  evals: readonly Evaluation[];
  trainMs: number;
  table: Float32Array;
  generated: Uint32Array;
  generatedText: string;
  tokensPerSecond: number | null;
}

/**
 * Trains on the GPU, with a progress line on a terminal and (as text) the evaluations as they
 * come, saves the table when asked, and samples text.
 */
async function train(input: TrainInput, settings: TrainSettings): Promise<Trained> {
  const { tokenizer, ids, splitIndex } = input;
  // The note's order of draws: the table, then the batches, then the samples, all from one
  // stream seeded like torch.manual_seed.
  const generator = new TorchGenerator(settings.seed);
  const samplerOptions = {
    blockSize: settings.blockSize,
    batchSize: settings.batchSize,
    generator,
  };
  const splits = {
    train: new TorchBlockSampler(ids.subarray(0, splitIndex), samplerOptions),
    eval: new TorchBlockSampler(ids.subarray(splitIndex), samplerOptions),
  };
  const gpu = await GpuDevice.shared();
  using model = await BigramLanguageModel.create(gpu, {
    vocabSize: tokenizer.vocabSize,
    generator,
    lr: settings.lr,
    vocabulary: tokenizer.vocabulary,
  });

  const json = settings.json;
  const width = String(settings.steps).length;
  if (!json) {
    console.log(
      `${COMMAND}: ${ids.length} characters, vocabulary ${tokenizer.vocabSize}; ` +
        `${splitIndex} train, ${ids.length - splitIndex} held back`,
    );
    console.log(`GPU: ${gpu.description}`);
    console.log(
      `semiGPT: nn.Embedding(${tokenizer.vocabSize}, ${tokenizer.vocabSize}), AdamW lr ` +
        `${settings.lr}, batch ${settings.batchSize} × block ${settings.blockSize}, seed ` +
        `${settings.seed}, ${settings.steps} steps\n`,
    );
  }
  const tokensPerStep = settings.batchSize * settings.blockSize;
  const progress = new ProgressBar("training", settings.steps, "steps", json ? false : undefined);
  let lastLoss = NaN;
  let result;
  try {
    result = await trainBigram(model, splits, {
      steps: settings.steps,
      evalInterval: settings.evalInterval,
      evalIters: settings.evalIters,
      lossInterval: Math.max(1, Math.min(50, Math.ceil(settings.steps / 100))),
      onEval: (evaluation) => {
        if (json) return;
        progress.clear();
        console.log(evaluationLine(evaluation, width));
      },
      onSteps: (done, losses, trainMs) => {
        if (losses.length > 0) lastLoss = losses[losses.length - 1];
        const rate = trainMs > 0 ? done * tokensPerStep / (trainMs / 1e3) : 0;
        progress.update(
          done,
          `loss ${formatLoss(lastLoss)}, ${Math.round(rate).toLocaleString("en-US")} tokens/s`,
        );
      },
    });
  } finally {
    progress.clear();
  }
  const tokensPerSecond = result.trainMs > 0
    ? settings.steps * tokensPerStep / (result.trainMs / 1e3)
    : null;
  const table = await model.readTable();
  if (input.save !== undefined) {
    await model.save(input.save, { overwrite: settings.overwrite });
  }
  const generated = await generateTokens(model, generator, [0], settings.generate);
  return {
    trainLosses: result.trainLosses,
    evals: result.evals,
    trainMs: result.trainMs,
    table,
    generated,
    generatedText: tokenizer.decode(generated),
    tokensPerSecond,
  };
}

/** The run's summary and the sampled text, or one JSON object. */
function print(input: TrainInput, settings: TrainSettings, trained: Trained): void {
  const { tokenizer, ids, splitIndex, save } = input;
  const { table, generated, generatedText, tokensPerSecond } = trained;
  if (settings.json) {
    let sum = 0;
    let absSum = 0;
    for (const value of table) {
      sum += value;
      absSum += Math.abs(value);
    }
    console.log(JSON.stringify({
      vocab_size: tokenizer.vocabSize,
      num_tokens: ids.length,
      train_tokens: splitIndex,
      train_losses: Array.from(trained.trainLosses),
      evals: trained.evals,
      final_weight: { sum, abs_sum: absSum, row0_first8: Array.from(table.subarray(0, 8)) },
      generated_ids: Array.from(generated),
      generated_text: generatedText,
      tokens_per_second: tokensPerSecond,
    }));
    return;
  }
  console.log(
    `\ntrained ${settings.steps} steps in ${(trained.trainMs / 1e3).toFixed(1)} s` +
      (tokensPerSecond === null
        ? ""
        : ` (${Math.round(tokensPerSecond).toLocaleString("en-US")} tokens/s)`),
  );
  if (save !== undefined) {
    console.log(
      `saved ${save}: embedding_token_table.weight F32 [${tokenizer.vocabSize}, ` +
        `${tokenizer.vocabSize}] with its vocabulary (deno task generate --weights ${settings.save})`,
    );
  }
  console.log(`\ngenerated (${settings.generate} characters after the first of the vocabulary):`);
  console.log(generatedText);
}

/** Parse → prepare the text → train on the GPU → print. */
async function main(): Promise<void> {
  const { settings, positionals } = trainSettings(Deno.args);
  const input = await prepareInput(settings, positionals);
  print(input, settings, await train(input, settings));
}

if (import.meta.main) await runCli(COMMAND, main, { standardInput: true, specs: OPTIONS });
