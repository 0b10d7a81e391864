// Seeded random text that stresses tokenizers: many scripts, marks, digits, punctuation, emoji,
// runs of spaces, tabs and newlines, CRLF, unusual spaces, contractions and special tokens.

/** A deterministic pseudo-random generator (mulberry32) returning numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  "the",
  "Verdict",
  "HELLO",
  "naïve",
  "Straße",
  "привет",
  "Καλημέρα",
  "مرحبا",
  "नमस्ते",
  "中文文本",
  "日本語のテキスト",
  "안녕하세요",
  "e\u0301te\u0301",
  "x\u0308\u0301",
  "ǅemal",
];
const NUMBERS = ["0", "42", "1234567", "3.14", "١٢٣", "½", "Ⅻ"];
const PUNCTUATION = [
  ".",
  ",",
  "!?",
  "...",
  "—",
  "/",
  "//",
  "(",
  ")",
  "«",
  "»",
  "「",
  "」",
  "。",
  "'",
  '"',
];
const EMOJI = ["😀", "👍🏽", "👩‍👩‍👧", "🇩🇪", "❤️"];
const CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'M", "'ll", "'D", "'S"];
const SPACES = [
  " ",
  " ",
  " ",
  "  ",
  "   ",
  "\t",
  " \t ",
  "\n",
  "\n",
  "\n\n",
  " \n",
  "\n ",
  "\r\n",
  "\r\n\r\n",
  "\r",
  "\u00a0",
  "\u3000",
  "\u0085",
  "\u2028",
  "\u000b",
  "\f",
  "\ufeff",
  "\u200b",
];

/** The special tokens of every encoding (each encoding knows some of them). */
export const SPECIAL_TOKENS: readonly string[] = [
  "<|endoftext|>",
  "<|fim_prefix|>",
  "<|fim_middle|>",
  "<|fim_suffix|>",
  "<|endofprompt|>",
];

/**
 * About `length` characters of random text. With `specials`, special-token strings appear
 * among the other pieces (some glued to words, some between spaces).
 */
export function randomText(
  random: () => number,
  length: number,
  specials: readonly string[] = [],
): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  let text = "";
  while (text.length < length) {
    const r = random();
    if (r < 0.3) text += pick(WORDS);
    else if (r < 0.4) text += pick(NUMBERS);
    else if (r < 0.5) text += pick(PUNCTUATION);
    else if (r < 0.55) text += pick(EMOJI);
    else if (r < 0.6) text += pick(CONTRACTIONS);
    else if (r < 0.63 && specials.length > 0) text += pick(specials);
    else text += pick(SPACES);
  }
  return text;
}

/** Text made mostly of whitespace runs and special tokens, with a few words between them. */
export function whitespaceAndSpecialsText(
  random: () => number,
  length: number,
  specials: readonly string[],
): string {
  const runs = [" ", "  ", "\t\t", "\n", "\n\n\n", " \n ", "\r\n", "\t \n", "    \r\n  "];
  let text = "";
  while (text.length < length) {
    const r = random();
    if (r < 0.45) text += runs[Math.floor(random() * runs.length)];
    else if (r < 0.7) text += specials[Math.floor(random() * specials.length)];
    else if (r < 0.85) text += ["a", "It", "'s", ".", "42", "中"][Math.floor(random() * 6)];
    else text += " word";
  }
  return text;
}

const VERDICT_URL = new URL("../../data/the-verdict.txt", import.meta.url);

/**
 * About `chars` characters of corpus for benchmarks and large tests: per ~100,000 characters,
 * "The Verdict" four times and ~18,000 characters of random text, so that both common English
 * and unusual text are measured.
 */
export async function mixedCorpusText(chars: number, seed = 1): Promise<string> {
  const verdict = await Deno.readTextFile(VERDICT_URL);
  const random = seededRandom(seed);
  const parts: string[] = [];
  let length = 0;
  while (length < chars) {
    const part = verdict.repeat(4) + "\n" + randomText(random, 18_000) + "\n";
    parts.push(part);
    length += part.length;
  }
  return parts.join("");
}
