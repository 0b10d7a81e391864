// Writing files without ever exposing a half-written one or replacing a file the user keeps:
// write a temporary file in the same folder, then move it into place.
import { InputError } from "./errors.ts";

/** The folder of a path (`.` for a bare file name). */
export function parentDir(path: string): string {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return slash < 0 ? "." : slash === 0 ? path.slice(0, 1) : path.slice(0, slash);
}

/** The last part of a path: a file's or folder's own name. */
export function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
}

/** Whether anything (a file, a folder, a link) exists at a path. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return false;
    }
    throw error;
  }
}

/** What an existing file is told when it is kept (`overwrite` off). */
const KEPT = "already exists; it is kept (allow replacing it: overwrite: true)";

/** The error for a file that is kept because `overwrite` is off. */
export function alreadyExists(path: string, problem: string = KEPT): InputError {
  return new InputError(path, problem);
}

/**
 * Moves a finished temporary file to `path` in the same folder. Without `overwrite` the file is
 * hard-linked into place, which fails instead of replacing a file that appeared meanwhile.
 */
export async function commitFile(
  temporary: string,
  path: string,
  overwrite: boolean,
  problem: string = KEPT,
): Promise<void> {
  if (overwrite) {
    await Deno.rename(temporary, path);
    return;
  }
  try {
    await Deno.link(temporary, path);
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists || await pathExists(path)) {
      await Deno.remove(temporary);
      throw alreadyExists(path, problem);
    }
    // a file system without hard links: nothing is there, so a rename replaces nothing
    await Deno.rename(temporary, path);
    return;
  }
  await Deno.remove(temporary);
}

/** Writes all of `bytes`, in pieces of at most 8 MiB. */
export async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    done += await file.write(bytes.subarray(done, Math.min(bytes.length, done + (8 << 20))));
  }
}
