// What bench:compare asks of each contender. To add one (e.g. a new kernel design), implement
// `Contender` and append it to CONTENDERS in bench/compare.ts.
import type { GpuDevice } from "../../src/gpu/device.ts";
import type { EmbeddingProblem } from "./embedding_problem.ts";
import type { Measurement, TimingOptions } from "./measure.ts";

/** What every contender gets besides the problem. */
export interface RunContext {
  /** The one device of the comparison (GPU contenders must use it). */
  gpu: GpuDevice;
  /** The timing rule (see `measure`). */
  timing: TimingOptions;
  /** CPU threads a CPU contender may use (the machine's cores). */
  cores: number;
}

/** One contender's figures for one shape, and its output for the check. */
export interface ContenderRun {
  /** Time per batch. */
  measurement: Measurement;
  /** One batch's result, compared with the CPU reference before the time counts. */
  output: Float32Array;
  /**
   * Host → device bytes per batch: counted over one call for the per-call contenders; the ids
   * (4·B·T) for those that keep them resident while timed; `null` where nothing runs on a device.
   */
  bytesUploadedPerBatch: number | null;
  /** Extra facts for the report (e.g. the PyTorch version and thread count). */
  detail?: string;
}

/** A way of computing the input embeddings of one batch. */
export interface Contender {
  /** The key in `--json` output, e.g. `"fused"`. */
  readonly id: string;
  /** What it is, for the table. */
  readonly label: string;
  /** Measures one shape; throws {@linkcode ContenderUnavailable} when it cannot run here. */
  run(problem: EmbeddingProblem, context: RunContext): Promise<ContenderRun>;
}

/** A contender that this machine cannot run (no torch, tfjs not loadable): the row says why. */
export class ContenderUnavailable extends Error {
  override name = "ContenderUnavailable";
}
