/**
 * The error every public entry point throws for bad input, before any work starts.
 *
 * It names the offending parameter, so that command-line tools can print it as one line
 * and exit with code 2 instead of a stack trace.
 *
 * @example Catch a bad argument
 * ```ts
 * import { InputError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new InputError("stride", "must be a positive integer, got 0");
 * assert.equal(error.parameter, "stride");
 * assert.equal(error.message, "stride must be a positive integer, got 0");
 * ```
 */
export class InputError extends Error {
  /** The parameter (or input) that was rejected. */
  readonly parameter: string;

  /**
   * Creates an error for a rejected parameter.
   *
   * @param parameter The parameter that was rejected, e.g. `"maxLength"`.
   * @param problem What is wrong and what is allowed; appended to the parameter's name.
   */
  constructor(parameter: string, problem: string) {
    super(`${parameter} ${problem}`);
    this.name = "InputError";
    this.parameter = parameter;
  }
}
