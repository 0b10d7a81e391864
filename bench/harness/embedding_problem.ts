// The one problem every contender of bench:compare solves: the book's input embeddings
// (token table lookup + positional add) of one batch, with its CPU reference answer, and its
// inputs uploaded to the device for the kernel-level contenders.
import { gatherPositionalAddCpu } from "../../src/gpu/kernels/embedding/cpu_reference.ts";
import { TorchGenerator } from "../../src/util/torch_rng.ts";
import type { GpuDevice } from "../../src/gpu/device.ts";
import { Tensor } from "../../src/gpu/tensor.ts";
import { Prng } from "../../src/util/prng.ts";

/** Sizes of one batch's embedding. */
export interface ProblemShape {
  /** Rows of the token table (50257 for GPT-2). */
  vocabSize: number;
  /** Windows per batch (B). */
  batchSize: number;
  /** Tokens per window (T), also the rows of the position table. */
  seqLength: number;
  /** The embedding dimension (D). */
  dim: number;
}

/** Inputs and the reference output of one batch, row-major float32 like the kernels. */
export interface EmbeddingProblem extends ProblemShape {
  /** `[vocabSize, dim]`, standard normal as `nn.Embedding`'s initialisation. */
  table: Float32Array;
  /** `[seqLength, dim]`. */
  positions: Float32Array;
  /** `[batchSize, seqLength]` ids, uniform in `[0, vocabSize)`. */
  ids: Uint32Array;
  /** `[batchSize, seqLength, dim]` from the plain TypeScript loop (`cpu_reference.ts`). */
  expected: Float32Array;
}

/** Largest |difference| tolerated between a contender's output and the CPU reference. */
export const TOLERANCE = 1e-6;

/** A seeded problem of the given shape (the same seed gives the same data). */
export function makeProblem(shape: ProblemShape, seed = 1): EmbeddingProblem {
  const { vocabSize, batchSize, seqLength, dim } = shape;
  const random = new TorchGenerator(seed);
  const table = random.normal(vocabSize * dim);
  const positions = random.normal(seqLength * dim);
  const prng = new Prng(seed);
  const ids = Uint32Array.from({ length: batchSize * seqLength }, () => prng.below(vocabSize));
  const expected = gatherPositionalAddCpu(ids, table, positions, seqLength, dim);
  return { ...shape, table, positions, ids, expected };
}

/** The largest |a[i] − b[i]|; Infinity when the lengths differ or a value is NaN. */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const difference = Math.abs(a[i] - b[i]);
    if (!(difference <= worst)) worst = Number.isNaN(difference) ? Infinity : difference;
  }
  return worst;
}

/** The problem's inputs on the device, and an output tensor; disposing frees them all. */
export interface DeviceInputs extends Disposable {
  ids: Tensor<"u32">;
  table: Tensor<"f32">;
  positions: Tensor<"f32">;
  out: Tensor<"f32">;
}

/** Uploads the problem's ids, table and positions, and makes a zeroed output `[B, T, D]`. */
export async function uploadProblem(
  gpu: GpuDevice,
  problem: EmbeddingProblem,
): Promise<DeviceInputs> {
  const { vocabSize, batchSize, seqLength, dim } = problem;
  const owned: Tensor[] = [];
  const keep = <T extends Tensor>(tensor: T): T => {
    owned.push(tensor);
    return tensor;
  };
  const dispose = () => owned.forEach((tensor) => tensor.dispose());
  try {
    return {
      ids: keep(await Tensor.from(gpu, problem.ids, { shape: [batchSize, seqLength] })),
      table: keep(await Tensor.from(gpu, problem.table, { shape: [vocabSize, dim] })),
      positions: keep(await Tensor.from(gpu, problem.positions, { shape: [seqLength, dim] })),
      out: keep(await Tensor.zeros(gpu, [batchSize, seqLength, dim])),
      [Symbol.dispose]: dispose,
    };
  } catch (error) {
    dispose();
    throw error;
  }
}
