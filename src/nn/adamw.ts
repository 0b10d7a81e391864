import { InputError } from "../util/errors.ts";
import { describe } from "../util/checks.ts";
import {
  adamwCall,
  type AdamWHyperparameters,
  checkAdamWHyperparameters,
} from "../gpu/kernels/adamw/adamw.ts";
import { checkSameLayout, zerosLike } from "../gpu/kernels/segments.ts";
import type { Tensor } from "../gpu/tensor.ts";
import type { GpuDevice } from "../gpu/device.ts";
import type { KernelCall } from "../gpu/kernels/compute_kernel.ts";
import { Parameter } from "./parameter.ts";

/**
 * AdamW's options, as `torch.optim.AdamW` takes them: of {@linkcode AdamW}, of
 * `BigramLanguageModel` and of its CPU reference. Missing ones take {@linkcode ADAMW_DEFAULTS}.
 */
export interface AdamWOptions {
  /** Learning rate, >= 0. Default `1e-3` (the note uses `1e-2`). */
  lr?: number;
  /** Decay rates of the first and second moments, each in [0, 1). Default `[0.9, 0.999]`. */
  betas?: readonly [number, number];
  /** Added to the denominator after the square root, >= 0. Default `1e-8`. */
  eps?: number;
  /** Decoupled weight decay, applied to every element, >= 0. Default `0.01`. */
  weightDecay?: number;
}

/** PyTorch's AdamW defaults. */
export const ADAMW_DEFAULTS: Readonly<Required<AdamWOptions>> = Object.freeze({
  lr: 1e-3,
  betas: Object.freeze([0.9, 0.999]) as readonly [number, number],
  eps: 1e-8,
  weightDecay: 0.01,
});

/**
 * Fills in {@linkcode ADAMW_DEFAULTS} and checks every option against PyTorch's ranges; throws
 * an {@linkcode InputError} naming the bad one (`lr`, `betas`, `beta1`, `beta2`, `eps`,
 * `weightDecay`).
 *
 * @example
 * ```ts
 * import { checkAdamWOptions } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(checkAdamWOptions({ lr: 1e-2 }), {
 *   lr: 1e-2,
 *   betas: [0.9, 0.999],
 *   eps: 1e-8,
 *   weightDecay: 0.01,
 * });
 * assert.throws(() => checkAdamWOptions({ betas: [0.9, 1] }), /beta2 must be a number in \[0, 1\)/);
 * ```
 */
export function checkAdamWOptions(options: AdamWOptions): Required<AdamWOptions> {
  if (typeof options !== "object" || options === null) {
    throw new InputError(
      "options",
      `must be { lr?, betas?, eps?, weightDecay? }, got ${describe(options)}`,
    );
  }
  const {
    lr = ADAMW_DEFAULTS.lr,
    betas = ADAMW_DEFAULTS.betas,
    eps = ADAMW_DEFAULTS.eps,
    weightDecay = ADAMW_DEFAULTS.weightDecay,
  } = options;
  if (!Array.isArray(betas) || betas.length !== 2) {
    throw new InputError("betas", `must be [beta1, beta2], got ${describe(betas)}`);
  }
  const checked = {
    lr,
    betas: Object.freeze([betas[0], betas[1]]) as readonly [number, number],
    eps,
    weightDecay,
  };
  checkAdamWHyperparameters(adamwHyperparameters(checked, 1));
  return checked;
}

/** The kernels' form of checked options at step `step` (from 1). */
export function adamwHyperparameters(
  options: Required<AdamWOptions>,
  step: number,
): AdamWHyperparameters {
  const { lr, betas: [beta1, beta2], eps, weightDecay } = options;
  return { lr, beta1, beta2, eps, weightDecay, step };
}

/** One parameter's AdamW dispatches and its device. */
type StepCall = KernelCall & { device: GpuDevice };

let stepCalls: (optimizer: AdamW) => Promise<StepCall[]>;

/**
 * The dispatches of one step of `optimizer` (one per parameter with a gradient), its moments
 * made and its step counts advanced, for a model that records them with the rest of a training
 * step in one submit. Not part of the public API.
 */
export function adamwStepCalls(optimizer: AdamW): Promise<StepCall[]> {
  return stepCalls(optimizer);
}

/** A parameter's optimizer state: its moments on the GPU and its step count. */
interface State {
  expAvg: Tensor<"f32">;
  expAvgSq: Tensor<"f32">;
  step: number;
}

/**
 * The AdamW optimizer over GPU tensors, as `torch.optim.AdamW` (PyTorch 1.13, single-tensor
 * CPU path): each {@linkcode AdamW.step} decays every element of each parameter by
 * `1 − lr · weightDecay`, updates its moments (kept on the GPU, made at the first step) and
 * moves it by `lr / (1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + eps)`, in PyTorch's order of operations
 * (see docs/training.md). One dispatch per parameter (per segment of a table larger than a
 * storage binding). Parameters without a gradient yet are skipped, as PyTorch skips `None`
 * gradients; a dense zero gradient still decays and moves a parameter (rows no token touched).
 *
 * @example One step on a token table, from the gradient of its lookup
 * ```ts
 * import { AdamW, GpuDevice, Tensor, TokenEmbedding } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const gpu = await GpuDevice.shared();
 * using embedding = await TokenEmbedding.create(gpu, 3, 2, { weight: [[1, 1], [2, 2], [3, 3]] });
 * using optimizer = new AdamW(embedding.parameters(), { lr: 0.1, weightDecay: 0 });
 * using gradOutput = await Tensor.from(gpu, [[0.5, -0.5]]);
 * await optimizer.zeroGrad();
 * await embedding.backward([1], gradOutput);
 * await optimizer.step();
 * const [, , b0, b1, c0] = await embedding.weight.read();
 * assert.ok(Math.abs(b0 - 1.9) < 1e-6 && Math.abs(b1 - 2.1) < 1e-6); // moved by lr
 * assert.equal(c0, 3); // no gradient, no decay: unchanged
 * ```
 */
export class AdamW implements Disposable {
  /** The parameters, in the order given. */
  readonly parameters: readonly Parameter[];
  /** Learning rate; may be changed between steps (a schedule). */
  lr: number;
  /** Decay rates of the moments. */
  readonly betas: readonly [number, number];
  /** Added to the denominator after the square root. */
  readonly eps: number;
  /** Decoupled weight decay. */
  readonly weightDecay: number;
  readonly #state = new Map<Parameter, State>();

  /**
   * An optimizer over `parameters`; the options are checked here, the moments made at the first
   * step.
   *
   * @param parameters The tensors to train, e.g. a layer's `parameters()`.
   * @param options Learning rate, betas, eps and weight decay (PyTorch's defaults).
   */
  constructor(parameters: Iterable<Parameter>, options: AdamWOptions = {}) {
    const { lr, betas, eps, weightDecay } = checkAdamWOptions(options);
    const list = [...parameters];
    list.forEach((p, i) => {
      if (!(p instanceof Parameter)) {
        throw new InputError(`parameters[${i}]`, `must be a Parameter, got ${describe(p)}`);
      }
    });
    if (new Set(list).size !== list.length) {
      throw new InputError("parameters", "holds the same parameter twice");
    }
    this.parameters = Object.freeze(list);
    this.lr = lr;
    this.betas = betas;
    this.eps = eps;
    this.weightDecay = weightDecay;
  }

  /** Steps taken for `parameter` (0 before its first). */
  stepCount(parameter: Parameter): number {
    return this.#state.get(parameter)?.step ?? 0;
  }

  /** One AdamW update of every parameter that has a gradient. */
  async step(): Promise<void> {
    for (const { device, kernel, run } of await this.#stepCalls()) await kernel.run(device, run);
  }

  /**
   * The dispatches of one step (one per parameter with a gradient), its moments made and its
   * step counts advanced: for a caller that records them with other work in one submit.
   */
  async #stepCalls(): Promise<StepCall[]> {
    const options = {
      lr: this.lr,
      betas: this.betas,
      eps: this.eps,
      weightDecay: this.weightDecay,
    };
    checkAdamWHyperparameters(adamwHyperparameters(options, 1));
    const calls: StepCall[] = [];
    for (const parameter of this.parameters) {
      const grad = parameter.grad;
      if (grad === undefined) continue;
      const value = parameter.value;
      checkSameLayout(`${parameter.name} grad`, grad, value, parameter.name);
      let state = this.#state.get(parameter);
      if (state === undefined) {
        const expAvg = await zerosLike(value, `${parameter.name} exp_avg`);
        const expAvgSq = await zerosLike(value, `${parameter.name} exp_avg_sq`).catch((e) => {
          expAvg.dispose();
          throw e;
        });
        state = { expAvg, expAvgSq, step: 0 };
        this.#state.set(parameter, state);
      }
      state.step += 1;
      const hyperparameters = adamwHyperparameters(options, state.step);
      const call = adamwCall(value, grad, state.expAvg, state.expAvgSq, hyperparameters);
      calls.push({ ...call, device: value.device });
    }
    return calls;
  }

  static {
    stepCalls = (optimizer) => optimizer.#stepCalls();
  }

  /** Sets every parameter's gradient to zero (as PyTorch 1.13's `zero_grad()`). */
  async zeroGrad(): Promise<void> {
    for (const parameter of this.parameters) await parameter.zeroGrad();
  }

  /** Frees the moments (the parameters are their layers' to free). */
  dispose(): void {
    for (const state of this.#state.values()) {
      state.expAvg.dispose();
      state.expAvgSq.dispose();
    }
    this.#state.clear();
  }

  /** Frees the moments at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
