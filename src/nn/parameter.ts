import { InputError } from "../util/errors.ts";
import { fillZeros, zerosLike } from "../gpu/kernels/segments.ts";
import { Tensor } from "../gpu/tensor.ts";

/**
 * A trainable `f32` tensor and its gradient, as a PyTorch `nn.Parameter` and its `.grad`: the
 * layers' `parameters()` give them, backward passes add into {@linkcode Parameter.grad}, and an
 * optimizer ({@linkcode AdamW}) updates {@linkcode Parameter.value} from it.
 *
 * The gradient is made on first use (zeros shaped and split into segments like the value), so a
 * layer used only for inference holds no gradient memory. The value belongs to its layer; the
 * gradient to the parameter (freed by {@linkcode Parameter.dispose}, which the layer calls).
 *
 * @example
 * ```ts
 * import { GpuDevice, Parameter, Tensor } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const gpu = await GpuDevice.shared();
 * using value = await Tensor.from(gpu, [1, 2, 3]);
 * using parameter = new Parameter("bias", value);
 * assert.equal(parameter.grad, undefined);
 * const grad = await parameter.gradTensor(); // zeros, made now
 * assert.deepEqual([...await grad.read()], [0, 0, 0]);
 * ```
 */
export class Parameter implements Disposable {
  /** A name for messages, e.g. `"token.weight"`. */
  readonly name: string;
  /** The tensor being trained. */
  readonly value: Tensor<"f32">;
  #grad: Tensor<"f32"> | undefined;

  /**
   * Wraps `value` as a parameter, without a gradient yet.
   *
   * @param name A name for messages.
   * @param value The `f32` tensor to train (not copied; it stays its owner's).
   */
  constructor(name: string, value: Tensor<"f32">) {
    if (!(value instanceof Tensor) || value.dtype !== "f32") {
      throw new InputError(
        name,
        `must be an f32 Tensor to be trained, got ${
          value instanceof Tensor ? `a ${value.dtype} tensor` : String(value)
        }`,
      );
    }
    this.name = name;
    this.value = value;
  }

  /** The accumulated gradient, or `undefined` before any backward pass (as PyTorch's `None`). */
  get grad(): Tensor<"f32"> | undefined {
    return this.#grad;
  }

  /** The gradient tensor, made (zeros, laid out like the value) if there is none yet. */
  async gradTensor(): Promise<Tensor<"f32">> {
    if (this.#grad === undefined || this.#grad.disposed) {
      this.#grad = await zerosLike(this.value, `${this.name} grad`);
    }
    return this.#grad;
  }

  /** Sets the gradient to zero (as PyTorch 1.13's `zero_grad()`); nothing to do without one. */
  async zeroGrad(): Promise<void> {
    if (this.#grad !== undefined && !this.#grad.disposed) await fillZeros(this.#grad);
  }

  /** Frees the gradient (the value is its owner's to free). */
  dispose(): void {
    this.#grad?.dispose();
    this.#grad = undefined;
  }

  /** Frees the gradient at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
