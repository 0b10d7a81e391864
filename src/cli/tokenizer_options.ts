// The tokenizer options shared by the tasks that read a text (tokenize, batches, embed).
import { InputError } from "../util/errors.ts";
import {
  type AllowedSpecial,
  BpeTokenizer,
  type EncodingName,
  ENCODINGS,
} from "../tokenize/bpe_tokenizer.ts";
import { CharTokenizer } from "../tokenize/char_tokenizer.ts";
import { RegexTokenizer } from "../tokenize/regex_tokenizer.ts";
import type { Tokenizer } from "../tokenize/tokenizer.ts";
import { asOptionError, type OptionSpecs } from "./cli.ts";

/** The tokenizer options of every text-reading task. */
export const TOKENIZER_OPTIONS = {
  encoding: {
    type: "string",
    parameter: "encoding",
    help: "gpt2, r50k_base, p50k_base, p50k_edit, cl100k_base or o200k_base",
    defaultText: "gpt2",
  },
  model: {
    type: "string",
    parameter: "model",
    help: "a model name such as gpt-4o, instead of --encoding",
    defaultText: "none",
  },
  tokenizer: {
    type: "string",
    help: "regex or char, instead of a byte-pair encoding",
    defaultText: "none",
  },
  "allowed-special": {
    type: "string",
    parameter: "allowedSpecial",
    help: "special tokens allowed in the text: all, none, or a comma-separated list",
    defaultText: "<|endoftext|>",
  },
} satisfies OptionSpecs;

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
  const given = (["tokenizer", "encoding", "model"] as const).filter((name) => options.has(name));
  if (given.length > 1) {
    throw new InputError(
      `--${given[0]}`,
      `cannot be combined with --${given[1]}: give one of --tokenizer, --encoding and --model`,
    );
  }
  if (kind !== undefined && options.has("allowed-special")) {
    throw new InputError(
      "--allowed-special",
      `applies to byte-pair encodings only; --tokenizer ${kind} has no special tokens`,
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
    return asOptionError(error, TOKENIZER_OPTIONS);
  }
}
