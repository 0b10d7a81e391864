// The Python interpreters the comparison may run: the first `python3` on PATH (which may lack
// torch, e.g. a pyenv one) and Debian's /usr/bin/python3 (python3-torch installs torch for it).
// bench:compare is allowed to run exactly these: --allow-run=python3,/usr/bin/python3.

/** The interpreters to try, in order. */
export const PYTHONS: readonly string[] = ["python3", "/usr/bin/python3"];

/** Why `python` could not be started, in a few words. */
function startFailure(python: string, error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return `${python}: not found`;
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return `${python}: not allowed to run (--allow-run)`;
  }
  return `${python}: ${(error as Error).message}`;
}

/**
 * Runs `python -c code` and returns its trimmed standard output; throws an Error saying why
 * (`"python3: not found"`, or the last line of its stderr such as `No module named 'torch'`).
 */
export async function runPythonCode(python: string, code: string): Promise<string> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(python, {
      args: ["-c", code],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    throw new Error(startFailure(python, error));
  }
  const { success, stdout, stderr } = output;
  const decoder = new TextDecoder();
  if (!success) {
    const lines = decoder.decode(stderr).trim().split("\n");
    throw new Error(`${python}: ${lines[lines.length - 1]}`);
  }
  return decoder.decode(stdout).trim();
}

/**
 * Runs `python script`, writes `header` as one JSON line and then the arrays' bytes to its
 * stdin, and returns its stdout; throws an Error with the last line of its stderr if it fails.
 */
export async function runPythonScript(
  python: string,
  script: string,
  header: unknown,
  arrays: readonly ArrayBufferView[],
): Promise<Uint8Array> {
  const child = new Deno.Command(python, {
    args: [script],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const finished = child.output();
  const writer = child.stdin.getWriter();
  try {
    await writer.write(new TextEncoder().encode(JSON.stringify(header) + "\n"));
    for (const array of arrays) {
      await writer.write(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    }
    await writer.close();
  } catch {
    // The script exited early; its stderr says why.
  }
  const { success, stdout, stderr } = await finished;
  if (!success) {
    const message = new TextDecoder().decode(stderr).trim().split("\n").slice(-1)[0];
    throw new Error(`${python} ${script} failed: ${message}`);
  }
  return stdout;
}
