/**
 * `deno task generate --weights FILE [--tokens 200] [--seed 1337] [--context TEXT] [--json]`
 *
 * Samples text from a bigram model saved by `deno task train --save FILE`: the table and its
 * vocabulary come from the file; generation is the note's `generate` (softmax of the last
 * character's logits, one `torch.multinomial` draw each) from a generator seeded like
 * `torch.manual_seed(seed)`. The context is `--context TEXT` (its characters must be in the
 * vocabulary), or the first character of the vocabulary (the note's `zeros((1, 1))`).
 * Prints the context followed by the sampled characters; `--json` prints one object:
 * `{"vocab_size", "seed", "context_ids", "generated_ids", "generated_text"}` (`generated_*`
 * include the context).
 *
 * @module
 */
import { InputError } from "../util/errors.ts";
import { GpuDevice } from "../gpu/device.ts";
import { TorchGenerator } from "../util/torch_rng.ts";
import {
  BigramLanguageModel,
  readBigramFile,
  type SavedBigram,
} from "../nn/bigram_language_model.ts";
import { CharTokenizer } from "../tokenize/char_tokenizer.ts";
import {
  type CommandHelp,
  filesHelp,
  grantedPath,
  type OptionSpecs,
  parseArgs,
  runCli,
} from "./cli.ts";
import { MAX_SEED } from "../util/prng.ts";

const COMMAND = "deno task generate";
const MAX_TOKENS = 1_000_000;

/** A problem of the file (or reading it) as a `--weights` problem. */
function asWeightsError(error: unknown, path: string): unknown {
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return new InputError(
      "--weights",
      `cannot read ${path}: the task may read files only under the directory it is run from; ` +
        "run it from a folder that holds the file",
    );
  }
  if (error instanceof InputError && error.parameter !== "--weights") {
    return new InputError("--weights", error.message);
  }
  return error;
}

/** The task's options, declared once: parsed, checked and listed by --help from here. */
export const OPTIONS = {
  weights: {
    type: "string",
    required: true,
    help: "the saved model, a file written by deno task train --save",
  },
  tokens: { type: "integer", min: 0, max: MAX_TOKENS, default: 200, help: "characters to sample" },
  seed: { type: "integer", min: 0, max: MAX_SEED, default: 1337, help: "torch.manual_seed" },
  context: {
    type: "string",
    help: "text to continue",
    defaultText: "the vocabulary's first character",
  },
  json: { type: "boolean", help: "print one JSON object" },
} satisfies OptionSpecs;

const HELP: CommandHelp = {
  usage: "--weights FILE [options]",
  about: "Samples text from a model that deno task train --save wrote, with softmax and " +
    "torch.multinomial from torch.manual_seed.",
  files: filesHelp(COMMAND, "--weights", false),
};

async function main(): Promise<void> {
  const { options, values, positionals } = parseArgs(COMMAND, Deno.args, OPTIONS, HELP);
  if (positionals.length > 0) {
    throw new InputError(positionals[0], "is not an argument of this command: use --weights FILE");
  }
  const weights = options.get("weights") as string;
  const tokens = values.get("tokens") as number;
  const seed = values.get("seed") as number;
  const context = options.get("context") as string | undefined;
  if (context === "") throw new InputError("--context", "must hold at least one character");

  // The whole file is read and checked on the CPU before any GPU work.
  const path = await grantedPath(weights, "--weights");
  let saved: SavedBigram;
  try {
    saved = await readBigramFile(path);
  } catch (error) {
    throw asWeightsError(error, path);
  }
  if (saved.vocabulary === undefined) {
    throw new InputError(
      "--weights",
      `${path} has no vocabulary in its metadata: generate needs a file written by ` +
        "deno task train --save",
    );
  }
  const tokenizer = new CharTokenizer(saved.vocabulary);
  let contextIds: Uint32Array;
  try {
    contextIds = context === undefined ? Uint32Array.of(0) : tokenizer.encode(context);
  } catch (error) {
    if (error instanceof InputError) throw new InputError("--context", error.message);
    throw error;
  }
  const gpu = await GpuDevice.shared();
  using model = await BigramLanguageModel.create(gpu, saved);
  const generator = new TorchGenerator(seed);
  const ids = await model.generate(generator, contextIds, tokens);
  const text = tokenizer.decode(ids);
  if (options.get("json")) {
    console.log(JSON.stringify({
      vocab_size: model.vocabSize,
      seed,
      context_ids: Array.from(contextIds),
      generated_ids: Array.from(ids),
      generated_text: text,
    }));
    return;
  }
  console.log(text);
}

if (import.meta.main) await runCli(COMMAND, main, { specs: OPTIONS });
