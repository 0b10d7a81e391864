// A plain TypeScript AdamW step in the kernel's (and PyTorch's) order of operations, every
// intermediate rounded to float32: the reference the GPU results are tested against. Checked
// against torch 1.13's AdamW on the CPU: the same bits for every element over several steps
// (its moment updates are fused multiply-adds, as here).

/** AdamW's hyperparameters and the step number `t` (1 for the first step). */
export interface AdamWHyperparameters {
  /** Learning rate. */
  lr: number;
  /** Decay of the first moment. */
  beta1: number;
  /** Decay of the second moment. */
  beta2: number;
  /** Added to the denominator after the square root. */
  eps: number;
  /** Decoupled weight decay. */
  weightDecay: number;
  /** The step number, from 1. */
  step: number;
}

/**
 * The scalar factors of step `t`, computed in float64 as PyTorch does with Python floats, then
 * rounded once to float32 (as the CPU kernels do when they apply a Python scalar to a float32
 * tensor).
 */
export function adamwFactors(h: AdamWHyperparameters): {
  decay: number;
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  biasCorrection2Sqrt: number;
  eps: number;
  negativeStepSize: number;
} {
  const f = Math.fround;
  const biasCorrection1 = 1 - h.beta1 ** h.step;
  const biasCorrection2 = 1 - h.beta2 ** h.step;
  return {
    decay: f(1 - h.lr * h.weightDecay),
    beta1: f(h.beta1),
    oneMinusBeta1: f(1 - h.beta1),
    beta2: f(h.beta2),
    oneMinusBeta2: f(1 - h.beta2),
    biasCorrection2Sqrt: f(Math.sqrt(biasCorrection2)),
    eps: f(h.eps),
    negativeStepSize: f(-(h.lr / biasCorrection1)),
  };
}

/**
 * `a · b + c` rounded once to float32 (a fused multiply-add): the product of two float32
 * values is exact in float64, so only the sum rounds before the final rounding to float32 (a
 * double rounding that differs from a true fused result only in vanishingly rare ties).
 */
export function fma32(a: number, b: number, c: number): number {
  return Math.fround(a * b + c);
}

/**
 * One AdamW step over `param` with gradient `grad`, updating `param`, `expAvg` and `expAvgSq`
 * in place (all the same length).
 */
export function adamwStepCpu(
  param: Float32Array,
  grad: Float32Array,
  expAvg: Float32Array,
  expAvgSq: Float32Array,
  hyperparameters: AdamWHyperparameters,
): void {
  const f = Math.fround;
  const k = adamwFactors(hyperparameters);
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    const p = f(param[i] * k.decay);
    const m = fma32(g, k.oneMinusBeta1, f(expAvg[i] * k.beta1));
    const v = fma32(f(k.oneMinusBeta2 * g), g, f(expAvgSq[i] * k.beta2));
    const denom = f(f(f(Math.sqrt(v)) / k.biasCorrection2Sqrt) + k.eps);
    expAvg[i] = m;
    expAvgSq[i] = v;
    param[i] = f(p + f(f(k.negativeStepSize * m) / denom));
  }
}
