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
  const child = new Deno.Command("deno", {
    args: ["task", "--quiet", name, ...args],
    cwd: ROOT,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", INIT_CWD: ROOT_PATH, ...env },
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
