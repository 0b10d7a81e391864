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

/**
 * A failure of the file system while reading or writing a named file: no space left, a
 * read-only folder, a file that vanished. The message names the file and what was being done;
 * `code` is the system's (`"ENOSPC"`, `"EROFS"`, …) and `cause` its original error.
 *
 * @example
 * ```ts
 * import { FileSystemError } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const cause = Object.assign(new Error("No space left on device (os error 28)"), { code: "ENOSPC" });
 * const error = FileSystemError.from(cause, "write", "out/train_000001.bin") as FileSystemError;
 * assert.equal(error.message, "cannot write out/train_000001.bin: No space left on device (os error 28)");
 * assert.equal(error.code, "ENOSPC");
 * ```
 */
export class FileSystemError extends Error {
  /** The system's error code, e.g. `"ENOSPC"`. */
  readonly code: string;
  /** The file or folder. */
  readonly path: string;

  /**
   * Creates the error (see {@linkcode FileSystemError.from} to wrap a system error).
   *
   * @param message The whole message.
   * @param code The system's error code.
   * @param path The file or folder.
   * @param options The system's error, as `cause`.
   */
  constructor(message: string, code: string, path: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FileSystemError";
    this.code = code;
    this.path = path;
  }

  /**
   * `error` as a {@linkcode FileSystemError} naming `path` when it is a system error (see
   * {@linkcode systemErrorCode}); anything else is returned as it is.
   *
   * @param error What was thrown.
   * @param action What was being done, e.g. `"write"`.
   * @param path The file or folder.
   */
  static from(error: unknown, action: string, path: string): unknown {
    const code = systemErrorCode(error);
    if (error instanceof FileSystemError || code === undefined) return error;
    const message = `cannot ${action} ${path}: ${(error as Error).message}`;
    return new FileSystemError(message, code, path, { cause: error });
  }
}

/**
 * The names of the POSIX error numbers 1 to 34, which Linux, macOS and the BSDs share: Deno gives
 * some of them no `code` (a file over the size limit is only "File too large (os error 27)").
 */
// deno-fmt-ignore
const POSIX_ERRNO = [
  "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF", "ECHILD",
  "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV", "ENODEV",
  "ENOTDIR", "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG", "ENOSPC",
  "ESPIPE", "EROFS", "EMLINK", "EPIPE", "EDOM", "ERANGE",
];

/**
 * The system's error code of `error` (`"ENOSPC"`), or undefined when it is not an error of the
 * operating system: its `code`, or else the name of the number in its "(os error N)".
 *
 * @example
 * ```ts
 * import { systemErrorCode } from "./errors.ts";
 * import assert from "node:assert/strict";
 *
 * const full = Object.assign(new Error("No space left on device (os error 28)"), { code: "ENOSPC" });
 * assert.equal(systemErrorCode(full), "ENOSPC");
 * assert.equal(systemErrorCode(new Error("File too large (os error 27)")), "EFBIG");
 * assert.equal(systemErrorCode(new Error("not a system error")), undefined);
 * ```
 */
export function systemErrorCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && /^E[A-Z0-9]+$/.test(code)) return code;
  const number = /\(os error (\d+)\)/.exec(error.message);
  if (number === null) return undefined;
  const posix = Deno.build.os === "windows" ? undefined : POSIX_ERRNO[Number(number[1]) - 1];
  return posix ?? `EOS${number[1]}`;
}

/**
 * Whether `error` is an error of the operating system: it carries a code such as `"EIO"`, or
 * the system's error number, as Deno words the errors it gives no code.
 */
export function isSystemError(error: unknown): error is Error {
  return systemErrorCode(error) !== undefined;
}
