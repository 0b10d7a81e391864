/**
 * `deno task tokenize [FILE|-] [--encoding NAME | --model NAME | --tokenizer regex|char]
 * [--allowed-special all|none|TOKEN,...] [--json]`
 *
 * Prints the token count and the ids of a text (the sample text without FILE, standard input
 * for `-`). `--json` prints `{"encoding", "num_tokens", "ids"}`.
 *
 * @module
 */
import { parseArgs, readTextArgument, runCli } from "./cli.ts";
import { TOKENIZER_OPTIONS, tokenizerFromOptions } from "./tokenizer_options.ts";

const COMMAND = "deno task tokenize";

async function main(): Promise<void> {
  const { options, positionals } = parseArgs(COMMAND, Deno.args, {
    ...TOKENIZER_OPTIONS,
    json: { type: "boolean", help: "print one JSON object" },
  });
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

if (import.meta.main) await runCli(COMMAND, main, { standardInput: true });
