// The semiGPT references (see tests/fixtures/README.md) and the note's loop run over them.
import { CharTokenizer, TorchBlockSampler, TorchGenerator } from "../../mod.ts";
import { generateTokens, type TrainableBigram, trainBigram } from "../../src/nn/bigram_training.ts";
import { FIXTURES_URL } from "./fixtures.ts";

/** The shape of `semigpt_reference.json` and `semigpt_korean_reference.json`. */
export interface SemigptReference {
  config: NoteSettings;
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

/** What one run of the note's loop produced. */
export interface NoteRun {
  trainLosses: Float32Array;
  evals: { step: number; train: number; eval: number }[];
  table: Float32Array;
  generated: Uint32Array;
  vocabulary: readonly string[];
}

/** A model the note's loop can train and whose table can be read back. */
export type ReadableBigram = TrainableBigram & { readTable(): Promise<Float32Array> };

/** Settings of one run: the reference's config, or others. */
export interface NoteSettings {
  seed: number;
  batch_size: number;
  block_size: number;
  lr: number;
  steps: number;
  eval_interval: number;
  eval_iters: number;
  max_new_tokens: number;
}

/**
 * The note's whole run on `text`: seed, vocabulary, split, model (from `createModel`), loop,
 * generation from id 0.
 */
export async function runNote(
  text: string,
  settings: NoteSettings,
  createModel: (
    vocabSize: number,
    generator: TorchGenerator,
    lr: number,
  ) => Promise<ReadableBigram>,
): Promise<NoteRun> {
  const tokenizer = CharTokenizer.fromText(text);
  const ids = tokenizer.encode(text);
  const split = Math.floor(0.9 * ids.length);
  const generator = new TorchGenerator(settings.seed);
  const model = await createModel(tokenizer.vocabSize, generator, settings.lr);
  const options = { blockSize: settings.block_size, batchSize: settings.batch_size, generator };
  const splits = {
    train: new TorchBlockSampler(ids.subarray(0, split), options),
    eval: new TorchBlockSampler(ids.subarray(split), options),
  };
  const { trainLosses, evals } = await trainBigram(model, splits, {
    steps: settings.steps,
    evalInterval: settings.eval_interval,
    evalIters: settings.eval_iters,
  });
  const table = await model.readTable();
  const generated = await generateTokens(model, generator, [0], settings.max_new_tokens);
  (model as Partial<Disposable>)[Symbol.dispose]?.();
  return { trainLosses, evals, table, generated, vocabulary: tokenizer.vocabulary };
}
