// Runs a `deno task` of this project in a child process, as a user would.

/** What a finished command printed and returned. */
export interface TaskResult {
  code: number;
  stdout: string;
  stderr: string;
}

const ROOT = new URL("../../", import.meta.url);

/** The project's root folder as a path (where `deno task` runs and the tasks resolve FILE). */
export const ROOT_PATH: string = decodeURIComponent(ROOT.pathname).replace(/\/$/, "");

/** The folder that holds the project (outside what the tasks may read when run from the root). */
export const PARENT: string = ROOT_PATH.replace(/\/[^/]*$/, "");

/** What a task says of a path outside the folder it is run from, before its suggestion. */
export const READ_SCOPE = "a task may read files only under the folder it is run from; " +
  "run it from the file's folder with this project's config";

/**
 * Runs `deno task --quiet --config ROOT/deno.json NAME ARGS...` from `folder`, as a user runs a
 * task on files of their own elsewhere; `INIT_CWD` is `folder`, as `deno task` sets it.
 */
export async function runTaskIn(
  folder: string,
  name: string,
  args: string[] = [],
  stdin?: string,
): Promise<TaskResult> {
  return await spawnTask(["--config", `${ROOT_PATH}/deno.json`, name, ...args], folder, stdin, {
    INIT_CWD: folder,
  });
}

/**
 * Runs `deno task --quiet NAME ARGS...` from the project root, with optional standard input
 * (text or bytes) and environment variables added to the inherited ones. `INIT_CWD` is the root,
 * as when a user runs the task there. `deno` is found on PATH (the test task is allowed to run
 * it and nothing else).
 */
export async function runTask(
  name: string,
  args: string[] = [],
  stdin?: string | Uint8Array,
  env: Record<string, string> = {},
): Promise<TaskResult> {
  return await spawnTask([name, ...args], ROOT_PATH, stdin, { INIT_CWD: ROOT_PATH, ...env });
}

async function spawnTask(
  args: string[],
  cwd: string,
  stdin: string | Uint8Array | undefined,
  env: Record<string, string>,
): Promise<TaskResult> {
  const child = new Deno.Command("deno", {
    args: ["task", "--quiet", ...args],
    cwd,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin);
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  return {
    code,
    stdout: new TextDecoder().decode(stdout),
    stderr: new TextDecoder().decode(stderr),
  };
}

/** A command line split as `deno task` splits it: at spaces, double quotes grouping (and dropped). */
export function commandWords(command: string): string[] {
  return (command.match(/(?:[^\s"]+|"[^"]*")+/g) ?? []).map((word) => word.replaceAll('"', ""));
}
