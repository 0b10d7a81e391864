// Where a text may be cut so that tiktoken encodes the pieces to exactly the ids of the whole.
//
// tiktoken splits text with its encoding's regex into pre-tokens, then merges bytes only inside
// each pre-token. The regexes (gpt2/r50k/p50k, cl100k, o200k) have no look-behind, so the
// pre-token starting at a position depends only on the text after it; a cut at `c` is therefore
// safe when (1) a pre-token of the whole text starts at `c`, and (2) the pre-tokens before `c`
// are the same when the text ends at `c`. Both hold at two kinds of place:
//
// A. a space or tab right after a character that is surely not whitespace. No alternative of any
//    of the patterns takes whitespace after a non-whitespace character (a leading optional space
//    or character is always the first of a pre-token), except `[\r\n]*` after punctuation in
//    cl100k/o200k: hence spaces and tabs only, never newlines. Nothing before `c` reads past
//    `c - 1` except to fail on the space, which fails on the end of the text alike.
// B. right after a lone "\n" between two characters that are surely not whitespace (and not "/",
//    which o200k's `[\r\n/]*` glues to a preceding newline). The newline ends its pre-token
//    (alone, or after punctuation in cl100k/o200k); at the end of the text `\s+(?!\S)` matches
//    the same single "\n" that `\s+` matches when text follows. A run of whitespace is never cut:
//    `\s+(?!\S)` leaves the last character of a run to the next pre-token only when text follows.
//
// Special tokens (`<|endoftext|>` …) contain no whitespace, so a cut never falls inside one, and
// tiktoken encodes the text between special tokens independently anyway.

/**
 * Whether a UTF-16 code unit is certainly not whitespace for both Rust's `\s` (Unicode
 * White_Space, which tiktoken's regex uses) and JavaScript's `\s`. Doubtful characters (all
 * controls, the Unicode spaces, zero-width and format characters near them, U+FEFF) count as
 * possible whitespace, so that no cut is made beside them.
 */
function surelyNotSpace(code: number): boolean {
  if (code <= 0x20 || (code >= 0x7f && code <= 0xa0)) return false;
  if (code < 0x1680) return true;
  return !(
    code === 0x1680 || code === 0x180e || (code >= 0x2000 && code <= 0x200f) ||
    (code >= 0x2028 && code <= 0x202f) || (code >= 0x205f && code <= 0x2064) ||
    code === 0x3000 || code === 0xfeff
  );
}

/**
 * Whether encoding `text.slice(0, cut)` and `text.slice(cut)` separately gives the ids of `text`
 * for every tiktoken encoding of this module. Looks only at `text[cut - 2 .. cut]`, so a cut
 * found in part of a text is safe in the whole text.
 */
export function isSafeCut(text: string, cut: number): boolean {
  if (cut < 1 || cut >= text.length) return false;
  const next = text.charCodeAt(cut);
  const previous = text.charCodeAt(cut - 1);
  if (next === 0x20 || next === 0x09) return surelyNotSpace(previous);
  return previous === 0x0a && cut >= 2 && surelyNotSpace(text.charCodeAt(cut - 2)) &&
    surelyNotSpace(next) && next !== 0x2f;
}

/** The first safe cut at or after `from`, or -1 when there is none. */
export function nextSafeCut(text: string, from: number): number {
  for (let cut = Math.max(from, 1); cut < text.length; cut++) {
    if (isSafeCut(text, cut)) return cut;
  }
  return -1;
}

/** The last safe cut of `text` at or after `from` (default 1), or -1 when there is none. */
export function lastSafeCut(text: string, from = 1): number {
  for (let cut = text.length - 1; cut >= Math.max(from, 1); cut--) {
    if (isSafeCut(text, cut)) return cut;
  }
  return -1;
}

/**
 * Cuts `text` into pieces of about `chunkChars` characters (at least that many, except the last)
 * at safe cuts only; a stretch without a safe cut stays whole, so there may be fewer pieces.
 */
export function splitAtSafeCuts(text: string, chunkChars: number): string[] {
  const pieces: string[] = [];
  let start = 0;
  while (text.length - start > chunkChars) {
    const cut = nextSafeCut(text, start + chunkChars);
    if (cut < 0) break;
    pieces.push(text.slice(start, cut));
    start = cut;
  }
  pieces.push(text.slice(start));
  return pieces;
}
