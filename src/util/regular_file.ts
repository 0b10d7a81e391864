// Opening input files: only regular files are read. A FIFO, a device or a socket would block or
// never end, so it is refused from `stat` before it is opened.
import { InputError } from "./errors.ts";

/** What a file system entry is, for messages: "a folder", "a FIFO (named pipe)", … */
export function entryKind(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a folder";
  if (info.isFifo) return "a FIFO (named pipe)";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  if (info.isSocket) return "a socket";
  if (info.isSymlink) return "a symbolic link";
  return info.isFile ? "a regular file" : "not a regular file";
}

/**
 * `stat` of an input file; a missing file, or anything but a regular file, is an
 * {@linkcode InputError} naming `label`.
 */
export async function statRegularFile(path: string | URL, label: string): Promise<Deno.FileInfo> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new InputError(label, "does not exist");
    if (error instanceof Deno.errors.NotADirectory) {
      throw new InputError(label, "does not exist (a part of its path is not a folder)");
    }
    throw error;
  }
  if (!info.isFile) {
    throw new InputError(
      label,
      `is ${entryKind(info)}, not a regular file; only regular files are read`,
    );
  }
  return info;
}

/**
 * Opens a regular file for reading, after {@linkcode statRegularFile}: nothing else is ever
 * opened, so nothing blocks. The file's `stat` (through the open handle) comes with it; an entry
 * replaced between the two looks is an {@linkcode InputError} too.
 */
export async function openRegularFile(
  path: string | URL,
  label: string,
): Promise<{ file: Deno.FsFile; info: Deno.FileInfo }> {
  const before = await statRegularFile(path, label);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new InputError(label, "does not exist");
    throw error;
  }
  try {
    const info = await file.stat();
    if (!info.isFile || info.ino !== before.ino || info.dev !== before.dev) {
      throw new InputError(label, "was replaced while it was being opened");
    }
    return { file, info };
  } catch (error) {
    file.close();
    throw error;
  }
}
