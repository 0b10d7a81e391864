// The timing rule every contender of bench:compare is held to: a warm-up, a calibration that
// picks how many batches one repetition runs (so a repetition is long enough to time, and GPU
// work is many dispatches per submit), then the median of several repetitions.

/** How long and how often to measure. */
export interface TimingOptions {
  /** Repetitions whose median is reported (at least 5 for the figures). */
  repetitions: number;
  /** About how long one repetition should run, in milliseconds. */
  targetMs: number;
  /** The fewest batches one repetition runs. */
  minBatches: number;
  /** The most batches one repetition runs. */
  maxBatches: number;
}

/** A contender's time per batch. */
export interface Measurement {
  /** The median over the repetitions of (repetition time / batches per repetition). */
  msPerBatch: number;
  /** Batches each repetition ran (dispatches per submit for GPU kernels). */
  batchesPerRepetition: number;
  /** Each repetition's time per batch, in the order measured. */
  samples: number[];
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Times `runBatches(count)`, which must run `count` batches and resolve only when they are
 * finished (for GPU work: after `onSubmittedWorkDone`).
 */
export async function measure(
  runBatches: (count: number) => Promise<void> | void,
  options: TimingOptions,
): Promise<Measurement> {
  await runBatches(1); // warm-up: pipelines compiled, buffers pooled, code optimised
  let start = performance.now();
  await runBatches(1);
  const single = Math.max(performance.now() - start, 1e-3);
  const batches = Math.min(
    options.maxBatches,
    Math.max(options.minBatches, Math.ceil(options.targetMs / single)),
  );
  const samples: number[] = [];
  for (let repetition = 0; repetition < options.repetitions; repetition++) {
    start = performance.now();
    await runBatches(batches);
    samples.push((performance.now() - start) / batches);
  }
  return { msPerBatch: median(samples), batchesPerRepetition: batches, samples };
}
