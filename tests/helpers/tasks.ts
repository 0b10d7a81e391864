// The tasks of deno.json, whether written as a command line or as { description, command }.

/** How a task is declared in deno.json. */
export type TaskDeclaration = string | { description?: string; command: string };

const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));

/** Every task's declaration, by name. */
export const TASKS: Record<string, TaskDeclaration> = config.tasks;

/** Every task's command line, by name. */
export function taskCommands(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(TASKS).map(([name, task]) => [
      name,
      typeof task === "string" ? task : task.command,
    ]),
  );
}
