import gradBody from "../../../../shaders/cross_entropy/grad.wgsl" with { type: "text" };
import logitsDense from "../../../../shaders/cross_entropy/logits_dense.wgsl" with {
  type: "text",
};
import meanBody from "../../../../shaders/cross_entropy/mean.wgsl" with { type: "text" };
import rowStatsBody from "../../../../shaders/cross_entropy/row_stats.wgsl" with {
  type: "text",
};
import { InputError } from "../../../util/errors.ts";
import { Tensor } from "../../tensor.ts";
import {
  ComputeKernel,
  type Dispatch,
  type KernelCall,
  kernelFor,
  type StorageResource,
} from "../compute_kernel.ts";
import { checkFloatTensor, checkOneBinding } from "../tensor_checks.ts";
import { checkEmbeddingIds, type EmbeddingIds } from "../embedding_ids.ts";
import { rowReductionWgsl } from "../row_reduction.ts";

/** Invocations per workgroup of the gradient program, along its chunks of 4 columns. */
const GRAD_WORKGROUP = 64;

const meanKernel = new ComputeKernel("cross-entropy mean", meanBody);

/** The row-stats and gradient programs for logits `vocab` wide. */
function programs(vocab: number): { rowStats: ComputeKernel; grad: ComputeKernel } {
  return {
    rowStats: kernelFor(
      "cross-entropy row stats",
      [rowReductionWgsl(vocab), logitsDense, rowStatsBody].join("\n"),
    ),
    grad: kernelFor(
      "cross-entropy gradient",
      [
        `const V: u32 = ${vocab}u;`,
        logitsDense,
        `const CHUNKS: u32 = ${Math.ceil(vocab / 4)}u;`,
        `const WORKGROUP_SIZE: u32 = ${GRAD_WORKGROUP}u;`,
        gradBody,
      ].join("\n"),
    ),
  };
}

/** The result of {@linkcode crossEntropyWithGrad}; disposing it disposes both tensors. */
export interface CrossEntropyResult extends Disposable {
  /** The mean loss, a scalar `f32` tensor (shape `[]`). */
  loss: Tensor<"f32">;
  /** Its gradient with respect to the logits, `f32`, shaped like them. */
  grad: Tensor<"f32">;
}

/**
 * Mean cross-entropy on the GPU, as `F.cross_entropy(logits, targets)`: the mean over rows of
 * `logsumexp(x) − x[target]`, max-subtracted (no overflow for any logits), for logits
 * `[..., vocab]` of any width and targets shaped like the logits without their last dimension.
 * Each row is reduced by one workgroup in a fixed order, and the rows' losses are summed in
 * PyTorch's order (its CPU cascade), so two runs give the same bits and the value follows
 * PyTorch's to float32 rounding.
 *
 * Non-finite logits give a NaN loss (never a plausible number): read it with
 * {@linkcode lossItem}, which throws for it.
 *
 * @example Uniform logits over 4 classes: the loss is ln 4
 * ```ts
 * import { crossEntropy, GpuDevice, lossItem, Tensor } from "../../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const gpu = await GpuDevice.shared();
 * using logits = await Tensor.from(gpu, [[0, 0, 0, 0], [5, 5, 5, 5]]);
 * using loss = await crossEntropy(logits, [1, 3]);
 * assert.deepEqual(loss.shape, []);
 * assert.ok(Math.abs(await lossItem(loss) - Math.log(4)) < 1e-6);
 * ```
 *
 * @param logits Scores `f32 [..., vocab]`, in one storage binding.
 * @param targets Class indices in `[0, vocab)`, shaped `logits.shape` without the last
 *   dimension.
 * @returns The mean loss, a new scalar tensor; dispose it when done.
 */
export async function crossEntropy(
  logits: Tensor<"f32">,
  targets: EmbeddingIds,
): Promise<Tensor<"f32">> {
  const checked = checkCrossEntropy(logits, targets);
  return await withScratch(logits, checked.length, async (stats, rowLosses) => {
    const loss = await Tensor.zeros(logits.device, [], "f32", "cross-entropy loss");
    try {
      await runAll(logits.device, [
        rowStatsCall(logits, checked, stats, rowLosses),
        meanCall(rowLosses, loss),
      ]);
    } catch (error) {
      loss.dispose();
      throw error;
    }
    return loss;
  });
}

/**
 * {@linkcode crossEntropy} and its gradient with respect to the logits in one go (the rows'
 * maxima and sums computed once): `grad = (softmax(logits) − onehot(targets)) / rows`, computed
 * as PyTorch's backward does (`log_softmax`'s gradient of `nll_loss`'s).
 *
 * @example
 * ```ts
 * import { crossEntropyWithGrad, GpuDevice, lossItem, Tensor } from "../../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const gpu = await GpuDevice.shared();
 * using logits = await Tensor.from(gpu, [[0, 0], [0, 0]]);
 * using result = await crossEntropyWithGrad(logits, [0, 1]);
 * assert.ok(Math.abs(await lossItem(result.loss) - Math.log(2)) < 1e-6);
 * assert.deepEqual(await result.grad.toArray(), [[-0.25, 0.25], [0.25, -0.25]]);
 * ```
 *
 * @param logits Scores `f32 [..., vocab]`, in one storage binding.
 * @param targets Class indices in `[0, vocab)`, shaped `logits.shape` without the last
 *   dimension.
 * @returns The mean loss and the gradient, new tensors; dispose them when done.
 */
export async function crossEntropyWithGrad(
  logits: Tensor<"f32">,
  targets: EmbeddingIds,
): Promise<CrossEntropyResult> {
  const checked = checkCrossEntropy(logits, targets);
  const gpu = logits.device;
  return await withScratch(logits, checked.length, async (stats, rowLosses) => {
    const loss = await Tensor.zeros(gpu, [], "f32", "cross-entropy loss");
    let grad: Tensor<"f32"> | undefined;
    try {
      grad = await Tensor.zeros(gpu, logits.shape, "f32", "cross-entropy gradient");
      await runAll(gpu, [
        rowStatsCall(logits, checked, stats, rowLosses),
        meanCall(rowLosses, loss),
        gradCall(logits, checked, stats, grad),
      ]);
    } catch (error) {
      loss.dispose();
      grad?.dispose();
      throw error;
    }
    const result = { loss, grad };
    return { ...result, [Symbol.dispose]: () => (loss.dispose(), grad.dispose()) };
  });
}

/**
 * Reads a scalar loss back as a number, like PyTorch's `loss.item()`, and throws an
 * {@linkcode InputError} if it is NaN or infinite: a diverged or corrupted computation is an
 * error, never a value to print or train on.
 *
 * @example
 * ```ts
 * import { GpuDevice, lossItem, Tensor } from "../../../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const gpu = await GpuDevice.shared();
 * using good = await Tensor.from(gpu, 1.5);
 * assert.equal(await lossItem(good), 1.5);
 * using bad = await Tensor.from(gpu, NaN);
 * await assert.rejects(lossItem(bad), /loss is NaN/);
 * ```
 *
 * @param loss A tensor of one `f32` element.
 * @returns Its value.
 */
export async function lossItem(loss: Tensor<"f32">): Promise<number> {
  checkFloatTensor("loss", loss, { atLeast: 0 });
  if (loss.size !== 1) {
    throw new InputError("loss", `must hold one element, got shape [${loss.shape.join(", ")}]`);
  }
  const [value] = await loss.read();
  if (!Number.isFinite(value)) {
    throw new InputError(
      "loss",
      `is ${value}: the logits (or what produced them) hold NaN or infinite values; a lower ` +
        "learning rate or finite inputs avoid it",
    );
  }
  return value;
}

/** Checks logits and targets (CPU work, before anything is allocated); the targets as u32. */
function checkCrossEntropy(logits: Tensor<"f32">, targets: EmbeddingIds): Uint32Array {
  checkFloatTensor("logits", logits, { atLeast: 1 });
  checkOneBinding("logits", logits);
  const vocab = logits.shape[logits.shape.length - 1];
  if (vocab < 1) throw new InputError("logits", "must have at least one class (last dimension)");
  const checked = checkEmbeddingIds("targets", targets, vocab);
  const expected = logits.shape.slice(0, -1);
  const rows = expected.reduce((a, b) => a * b, 1);
  if (
    checked.data.length !== rows ||
    (checked.shape.length > 1 && !sameShape(checked.shape, expected))
  ) {
    throw new InputError(
      "targets",
      `must have shape [${expected.join(", ")}] (the logits' without the last dimension), ` +
        `got [${checked.shape.join(", ")}]`,
    );
  }
  if (rows === 0) {
    throw new InputError("targets", "must hold at least one row (the mean of none is undefined)");
  }
  return checked.data;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Runs `work` with the per-row scratch tensors (stats and losses), freed afterwards. */
async function withScratch<T>(
  logits: Tensor<"f32">,
  rows: number,
  work: (stats: Tensor<"f32">, rowLosses: Tensor<"f32">) => Promise<T>,
): Promise<T> {
  using stats = await Tensor.zeros(logits.device, [rows, 2], "f32", "cross-entropy row stats");
  using rowLosses = await Tensor.zeros(logits.device, [rows], "f32", "cross-entropy row losses");
  return await work(stats, rowLosses);
}

/** Runs the calls in order (each its own submit; the queue keeps them in order). */
async function runAll(
  gpu: Tensor["device"],
  calls: readonly KernelCall[],
): Promise<void> {
  for (const { kernel, run } of calls) await kernel.run(gpu, run);
}

/** Row dispatches of `rows` workgroups (or invocations along y), split at the device's limit. */
function rowDispatches(
  rows: number,
  max: number,
  uniforms: (firstRow: number) => Uint32Array,
  grid: (count: number) => Dispatch["grid"],
): Dispatch[] {
  const dispatches: Dispatch[] = [];
  for (let first = 0; first < rows; first += max) {
    dispatches.push({ uniforms: uniforms(first), grid: grid(Math.min(max, rows - first)) });
  }
  return dispatches;
}

/** The first pass: per-row maxima, log-sums and losses. */
export function rowStatsCall(
  logits: Tensor<"f32">,
  targets: StorageResource,
  stats: Tensor<"f32">,
  rowLosses: Tensor<"f32">,
): KernelCall {
  const vocab = logits.shape[logits.shape.length - 1];
  const rows = logits.size / vocab;
  const max = logits.device.limits.maxComputeWorkgroupsPerDimension;
  return {
    kernel: programs(vocab).rowStats,
    run: {
      storage: [
        [1, { buffer: logits.buffer }],
        [2, targets],
        [3, { buffer: stats.buffer }],
        [4, { buffer: rowLosses.buffer }],
      ],
      dispatches: rowDispatches(
        rows,
        max,
        (first) => Uint32Array.of(rows, first, 0, 0),
        (count) => ({ x: count, y: 1 }),
      ),
    },
  };
}

/** The second pass: the mean of the row losses in PyTorch's order, into the scalar `loss`. */
export function meanCall(rowLosses: Tensor<"f32">, loss: Tensor<"f32">): KernelCall {
  return {
    kernel: meanKernel,
    run: {
      storage: [[1, { buffer: rowLosses.buffer }], [2, { buffer: loss.buffer }]],
      dispatches: [{ uniforms: Uint32Array.of(rowLosses.size, 0, 0, 0), grid: { x: 1, y: 1 } }],
    },
  };
}

/** The gradient pass: `(softmax − onehot) / rows` into `grad`, from the first pass's stats. */
export function gradCall(
  logits: Tensor<"f32">,
  targets: StorageResource,
  stats: Tensor<"f32">,
  grad: Tensor<"f32">,
): KernelCall {
  const vocab = logits.shape[logits.shape.length - 1];
  const rows = logits.size / vocab;
  const max = logits.device.limits.maxComputeWorkgroupsPerDimension;
  const negativeInverse = new Uint32Array(Float32Array.of(-(1 / rows)).buffer)[0];
  const x = Math.ceil(Math.ceil(vocab / 4) / GRAD_WORKGROUP);
  return {
    kernel: programs(vocab).grad,
    run: {
      storage: [
        [1, { buffer: logits.buffer }],
        [2, targets],
        [3, { buffer: stats.buffer }],
        [5, { buffer: grad.buffer }],
      ],
      dispatches: rowDispatches(
        rows,
        max,
        (first) => Uint32Array.of(rows, first, negativeInverse, 0),
        (count) => ({ x, y: count }),
      ),
    },
  };
}
