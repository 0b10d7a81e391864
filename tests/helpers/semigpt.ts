// The semiGPT references (see tests/fixtures/README.md) and the note's loop run over them.
import { FIXTURES_URL } from "./fixtures.ts";

/** The shape of `semigpt_reference.json` and `semigpt_korean_reference.json`. */
export interface SemigptReference {
  config: {
    seed: number;
    batch_size: number;
    block_size: number;
    lr: number;
    steps: number;
    eval_interval: number;
    eval_iters: number;
    max_new_tokens: number;
  };
  vocab_size: number;
  num_tokens: number;
  train_tokens: number;
  init_weight: { sum: number; row0_first8: number[] };
  first_batch_starts: number[][];
  train_losses: number[];
  evals: { step: number; train: number; eval: number }[];
  final_weight: { sum: number; abs_sum: number; row0_first8: number[] };
  generated_ids: number[];
  generated_text: string;
}

/** A reference and the text it was trained on. */
export interface SemigptCase {
  name: string;
  text: string;
  /** The text's path relative to the project root, for tasks. */
  textPath: string;
  reference: SemigptReference;
}

/** The note's run on "The Verdict" (PyTorch, the shared fixture). */
export async function verdictCase(): Promise<SemigptCase> {
  return {
    name: "the-verdict.txt, seed 1337, block 8",
    text: await Deno.readTextFile(new URL("../../data/the-verdict.txt", import.meta.url)),
    textPath: "data/the-verdict.txt",
    reference: JSON.parse(
      await Deno.readTextFile(new URL("semigpt_reference.json", FIXTURES_URL)),
    ),
  };
}

/** A generated Korean text (425 characters) at block size 5, made by make_semigpt_reference.py. */
export async function koreanCase(): Promise<SemigptCase> {
  return {
    name: "korean_semigpt.txt, seed 2024, block 5",
    text: await Deno.readTextFile(new URL("korean_semigpt.txt", FIXTURES_URL)),
    textPath: "tests/fixtures/korean_semigpt.txt",
    reference: JSON.parse(
      await Deno.readTextFile(new URL("semigpt_korean_reference.json", FIXTURES_URL)),
    ),
  };
}

/** Float64 sum and absolute sum. */
export function sums(values: ArrayLike<number>): { sum: number; absSum: number } {
  let sum = 0;
  let absSum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    absSum += Math.abs(values[i]);
  }
  return { sum, absSum };
}
