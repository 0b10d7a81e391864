/**
 * `deno task tokenize [FILE|-] [--encoding NAME | --model NAME | --tokenizer regex|char]
 * [--allowed-special all|none|TOKEN,...] [--json]`
 *
 * Prints the token count and the ids of a text (the sample text without FILE, standard input
 * for `-`). `--json` prints `{"encoding", "num_tokens", "ids"}`.
 *
 * @module
 */
import { InputError } from "../errors.ts";
import {
  type AllowedSpecial,
  BpeTokenizer,
  type EncodingName,
  ENCODINGS,
} from "../tokenize/bpe_tokenizer.ts";
import { CharTokenizer } from "../tokenize/char_tokenizer.ts";
import { readTextFile } from "../tokenize/read_text.ts";
import { RegexTokenizer } from "../tokenize/regex_tokenizer.ts";
import type { Tokenizer } from "../tokenize/tokenizer.ts";
import { parseArgs, readInput, runCli } from "./cli.ts";
import { asOptionError } from "./loader_options.ts";
import { SAMPLE_TEXT_URL } from "./sample_text.ts";

const COMMAND = "deno task tokenize";

/** `--allowed-special` → the tokenizer's option: "all", "none", or a comma-separated list. */
export function parseAllowedSpecial(value: string): AllowedSpecial {
  if (value === "all") return "all";
  if (value === "none" || value === "") return [];
  return value.split(",").map((s) => s.trim());
}

/** Builds the tokenizer the options ask for; regex and char vocabularies come from `text`. */
export function tokenizerFromOptions(
  options: Map<string, unknown>,
  text: string,
): Tokenizer & Partial<Disposable> {
  const kind = options.get("tokenizer");
  const encoding = options.get("encoding");
  const model = options.get("model");
  if ([kind, encoding, model].filter((v) => v !== undefined).length > 1) {
    throw new InputError(
      "--tokenizer",
      "cannot be combined with --encoding or --model: give one of them",
    );
  }
  if (kind === "regex") return RegexTokenizer.fromText(text);
  if (kind === "char") return CharTokenizer.fromText(text);
  if (kind !== undefined) {
    throw new InputError("--tokenizer", `must be regex or char, got ${JSON.stringify(kind)}`);
  }
  const allowedSpecial = parseAllowedSpecial(
    String(options.get("allowed-special") ?? "<|endoftext|>"),
  );
  if (encoding !== undefined && !Object.hasOwn(ENCODINGS, String(encoding))) {
    throw new InputError(
      "--encoding",
      `must be one of ${Object.keys(ENCODINGS).join(", ")}, got ${JSON.stringify(encoding)}` +
        " (for a model name such as gpt-4 use --model)",
    );
  }
  try {
    if (model !== undefined) return BpeTokenizer.forModel(String(model), { allowedSpecial });
    return new BpeTokenizer((encoding ?? "gpt2") as EncodingName, { allowedSpecial });
  } catch (error) {
    return asOptionError(error);
  }
}

async function main(): Promise<void> {
  const { options, positionals } = parseArgs(COMMAND, Deno.args, {
    encoding: {
      type: "string",
      help: "gpt2, r50k_base, p50k_base, p50k_edit, cl100k_base or o200k_base",
    },
    model: { type: "string", help: "a model name such as gpt-4o" },
    tokenizer: { type: "string", help: "regex or char" },
    "allowed-special": { type: "string", help: "all, none, or a comma-separated list" },
    json: { type: "boolean", help: "print one JSON object" },
  });
  if (positionals.length > 1) {
    throw new InputError("FILE", `takes one path (or -), got ${positionals.length}`);
  }
  const text = positionals.length === 0
    ? await readTextFile(SAMPLE_TEXT_URL)
    : await readInput(positionals[0]);
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
