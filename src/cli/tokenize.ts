/**
 * `deno task tokenize [FILE|-] [--encoding NAME | --model NAME | --tokenizer regex|char]
 * [--allowed-special all|none|TOKEN,...] [--json]`
 *
 * Prints the token count and the ids of a text (the sample text without FILE, standard input
 * for `-`). `--json` prints `{"encoding", "num_tokens", "ids"}`.
 *
 * @module
 */
import {
  type CommandHelp,
  filesHelp,
  type OptionSpecs,
  parseArgs,
  readTextArgument,
  runCli,
} from "./cli.ts";
import { TOKENIZER_OPTIONS, tokenizerFromOptions } from "./tokenizer_options.ts";

const COMMAND = "deno task tokenize";

/** The task's options, declared once: parsed, checked and listed by --help from here. */
export const OPTIONS = {
  ...TOKENIZER_OPTIONS,
  json: { type: "boolean", help: "print one JSON object" },
} satisfies OptionSpecs;

const HELP: CommandHelp = {
  usage: "[FILE|-] [options]",
  about: "Prints the token count and the token ids of FILE: the sample text " +
    "(data/the-verdict.txt) without one, standard input for -.",
  files: filesHelp(COMMAND, "FILE", true),
};

async function main(): Promise<void> {
  const { options, positionals } = parseArgs(COMMAND, Deno.args, OPTIONS, HELP);
  const text = await readTextArgument(positionals);
  const tokenizer = tokenizerFromOptions(options, text);
  try {
    const ids = tokenizer.encode(text);
    if (options.get("json")) {
      console.log(
        JSON.stringify({ encoding: tokenizer.name, num_tokens: ids.length, ids: Array.from(ids) }),
      );
    } else {
      console.log(`${tokenizer.name}: ${ids.length} tokens (vocabulary ${tokenizer.vocabSize})`);
      console.log(ids.join(" "));
    }
  } finally {
    tokenizer[Symbol.dispose]?.();
  }
}

if (import.meta.main) await runCli(COMMAND, main, { standardInput: true, specs: OPTIONS });
