// Shared plumbing of the command-line tools: argument parsing, reading the input, and turning
// bad input into a one-line message with exit code 2.
import { InputError } from "../util/errors.ts";
import { GpuError } from "../gpu/gpu_error.ts";
import { SAMPLE_TEXT_URL } from "./sample_text.ts";
import { readTextFile } from "../tokenize/read_text.ts";
import { decodeUtf8 } from "../util/utf8.ts";

/**
 * One command-line option, declared once: the parser reads its type, checks its range and that
 * a required one is given, fills in its default, and `--help` prints all of that; the library's
 * messages about the parameter it sets are reported under the option's name.
 *
 * ```ts ignore
 * const OPTIONS = {
 *   "batch-size": { type: "integer", min: 1, default: 8, parameter: "batchSize", help: "windows per batch" },
 * } satisfies Record<string, OptionSpec>;
 * const { values } = parseArgs(COMMAND, Deno.args, OPTIONS);
 * values.get("batch-size"); // 8 unless given; "--batch-size 0" is an error naming the range
 * ```
 */
export interface OptionSpec {
  /** `"boolean"` flags take no value; `"integer"` values must be integers; `"number"` any finite number. */
  type: "string" | "integer" | "number" | "boolean";
  /** What the option does, shown by `--help`. */
  help: string;
  /** For integers and numbers: the smallest value allowed. */
  min?: number;
  /** For integers and numbers: the largest value allowed. */
  max?: number;
  /** The value when the option is not given (shown by `--help`). */
  default?: string | number | boolean;
  /** The command does not run without it. */
  required?: boolean;
  /** The library parameter the option sets (`batchSize`): messages about it name the option. */
  parameter?: string;
}

/** A command's options by name, without the leading `--`. */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** Parsed options by name (without the leading `--`) and the positional arguments. */
export interface ParsedArgs {
  /** The options given on the command line. */
  options: Map<string, string | number | boolean>;
  /** The options given, and the declared defaults of the others. */
  values: Map<string, string | number | boolean>;
  positionals: string[];
}

/** What an integer or number option accepts, in words: "an integer >= 1", "an integer in [0, 9]". */
export function describeRange(spec: OptionSpec): string {
  const what = spec.type === "integer" ? "an integer" : spec.type === "number" ? "a number" : "";
  if (spec.min !== undefined && spec.max !== undefined) {
    return `${what} in [${spec.min}, ${spec.max}]`;
  }
  if (spec.min !== undefined) return `${what} >= ${spec.min}`;
  if (spec.max !== undefined) return `${what} <= ${spec.max}`;
  return what;
}

/** The `--help` line of an option: its flag, what it does, its range and default. */
function helpLine(name: string, spec: OptionSpec): string {
  const flag = spec.type === "boolean" ? `--${name}` : `--${name} ${spec.type.toUpperCase()}`;
  const notes = [
    spec.required ? "required" : "",
    spec.min !== undefined || spec.max !== undefined ? describeRange(spec) : "",
    spec.default !== undefined ? `default ${spec.default}` : "",
  ].filter((note) => note !== "");
  return `  ${flag.padEnd(28)} ${spec.help}${notes.length > 0 ? ` (${notes.join("; ")})` : ""}`;
}

/** The options of a command, one per line, as `--help` prints them. */
function usage(command: string, specs: OptionSpecs): string {
  const lines = Object.entries(specs).map(([name, spec]) => helpLine(name, spec));
  return `${command} [options]\n\noptions:\n${lines.join("\n")}\n  ${
    "--help".padEnd(28)
  } this list`;
}

/**
 * Parses `--name value`, `--name=value` and `--flag`; an unknown option or a bad value is an
 * {@linkcode InputError} naming it. Then, in the order declared, a missing required option or a
 * value out of its declared range is one. `--help` prints the options and exits.
 */
export function parseArgs(
  command: string,
  args: readonly string[],
  specs: OptionSpecs,
): ParsedArgs {
  const options = new Map<string, string | number | boolean>();
  const typed = new Map<string, string>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--") || arg === "--") {
      positionals.push(arg);
      continue;
    }
    if (arg === "--help") {
      console.log(usage(command, specs));
      Deno.exit(0);
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = specs[name];
    if (spec === undefined) {
      throw new InputError(
        `--${name}`,
        `is not an option of ${command}; options: ${
          Object.keys(specs).map((s) => "--" + s).join(", ")
        }`,
      );
    }
    if (spec.type === "boolean") {
      if (eq >= 0) throw new InputError(`--${name}`, "takes no value");
      options.set(name, true);
      continue;
    }
    const raw = eq >= 0 ? arg.slice(eq + 1) : args[++i];
    if (raw === undefined) throw new InputError(`--${name}`, `needs a value (${spec.help})`);
    typed.set(name, raw);
    if (spec.type === "string") {
      options.set(name, raw);
    } else {
      const value = Number(raw);
      const ok = raw.trim() !== "" &&
        (spec.type === "integer" ? Number.isInteger(value) : Number.isFinite(value));
      if (!ok) {
        throw new InputError(
          `--${name}`,
          `must be ${spec.type === "integer" ? "an integer" : "a number"}, got ${
            JSON.stringify(raw)
          }`,
        );
      }
      options.set(name, value);
    }
  }
  const values = new Map(options);
  for (const [name, spec] of Object.entries(specs)) {
    const value = options.get(name);
    if (value === undefined) {
      if (spec.required) {
        throw new InputError(`--${name}`, `is required: ${describeRange(spec) || spec.help}`);
      }
      if (spec.default !== undefined) values.set(name, spec.default);
    } else if (
      typeof value === "number" &&
      ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max))
    ) {
      throw new InputError(`--${name}`, `must be ${describeRange(spec)}, got ${typed.get(name)}`);
    }
  }
  return { options, values, positionals };
}

/**
 * Re-throws an {@linkcode InputError} about a library parameter as one about the option that
 * sets it (by the options' declared `parameter`s), with the names of numeric parameters inside
 * the message too ("maxLength + 1" → "--max-length + 1") where they cannot be mistaken for words:
 * the camelCase ones. Anything else is re-thrown as it is.
 */
export function asOptionError(error: unknown, specs: OptionSpecs): never {
  if (!(error instanceof InputError)) throw error;
  const flags = new Map<string, string>();
  const inMessages: string[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.parameter === undefined) continue;
    flags.set(spec.parameter, `--${name}`);
    const numeric = spec.type === "integer" || spec.type === "number";
    if (numeric && /[a-z][A-Z]/.test(spec.parameter)) inMessages.push(spec.parameter);
  }
  const parameter = flags.get(error.parameter) ?? error.parameter;
  const original = error.message.slice(error.parameter.length + 1);
  const problem = inMessages.length === 0
    ? original
    : original.replace(new RegExp(`\\b(${inMessages.join("|")})\\b`, "g"), (name) =>
      flags.get(name)!);
  if (parameter === error.parameter && problem === original) throw error;
  throw new InputError(parameter, problem);
}

/** Runs `check` and reports what it rejects under the name of the option that sets it. */
export function checkAsOptions(check: () => void, specs: OptionSpecs): void {
  try {
    check();
  } catch (error) {
    asOptionError(error, specs);
  }
}

/** A path as the user meant it: `deno task` runs in the project's folder, so resolve against `INIT_CWD`. */
export function userPath(path: string): string {
  if (path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path)) return path;
  let cwd: string | undefined;
  try {
    cwd = Deno.env.get("INIT_CWD");
  } catch {
    cwd = undefined; // no --allow-env=INIT_CWD: paths are relative to the current directory
  }
  return cwd ? `${cwd.replace(/[\\/]$/, "")}/${path}` : path;
}

/** Reads the text of `FILE`, or of standard input for `-`, as strict UTF-8. */
export async function readInput(path: string): Promise<string> {
  if (path === "-") {
    const bytes = new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
    return decodeUtf8(bytes, "standard input");
  }
  return await readTextFile(userPath(path));
}

/**
 * The text a task works on: its one positional argument FILE (standard input for `-`), or the
 * sample text without one.
 */
export async function readTextArgument(positionals: readonly string[]): Promise<string> {
  if (positionals.length > 1) {
    throw new InputError("FILE", `takes one path (or -), got ${positionals.length}`);
  }
  return positionals.length === 0
    ? await readTextFile(SAMPLE_TEXT_URL)
    : await readInput(positionals[0]);
}

/** Options of {@linkcode runCli}. */
export interface CliOptions {
  /** The command reads its text from standard input for `-`: permission messages suggest it. */
  standardInput?: boolean;
}

/**
 * Runs a command's main function: an {@linkcode InputError} (or a denied permission) prints one
 * line on stderr and exits with code 2; a {@linkcode GpuError} (no adapter, a device failure)
 * prints one line and exits with code 1; anything else is a bug and keeps its stack trace.
 */
export async function runCli(
  command: string,
  main: () => Promise<void>,
  options: CliOptions = {},
): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof InputError) {
      console.error(`${command}: ${error.message}`);
      Deno.exit(2);
    }
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      console.error(`${command}: ${permissionMessage(command, error.message, options)}`);
      Deno.exit(2);
    }
    if (error instanceof GpuError) {
      console.error(`${command}: ${error.message}`);
      Deno.exit(1);
    }
    throw error;
  }
}

/**
 * Deno's "Requires read access to X, run again with the --allow-read flag" (or write) in the
 * tasks' terms: deno.json scopes their reads and writes to the directory they are run from, so
 * say so and how to get past it; other denials keep Deno's words.
 */
function permissionMessage(command: string, message: string, options: CliOptions): string {
  const denied = /^Requires (read|write) access to (.+?), run again with the --allow-\1 flag/
    .exec(message);
  if (denied === null) return message;
  const [, access, quoted] = denied;
  const path = quoted.startsWith('"') ? JSON.parse(quoted) as string : quoted;
  return outsideMessage(command, access as "read" | "write", path, options);
}

/** This project's deno.json, for `deno task --config` from another folder. */
const PROJECT_CONFIG = decodeURIComponent(new URL("../../deno.json", import.meta.url).pathname);

/** `path` without `.` and `..` segments (`/a/b/../c` is `/a/c`). */
function normalizePath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "..") {
      if (segments.length > 1) segments.pop();
    } else if (segment !== "." && (segment !== "" || segments.length === 0)) segments.push(segment);
  }
  return segments.join("/") || "/";
}

/** A word as a POSIX shell reads it back unchanged. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * What a task says when `path` lies outside the folder it may read or write (the folder it is
 * run from): that scope, and the command that works, run from the path's own folder with this
 * project's config named; `flag` is the option that named the path (none for FILE).
 */
export function outsideMessage(
  command: string,
  access: "read" | "write",
  path: string,
  options: CliOptions & { flag?: string } = {},
): string {
  const task = command.replace(/^deno task /, "");
  path = normalizePath(path);
  const slash = path.lastIndexOf("/");
  const folder = slash <= 0 ? "/" : path.slice(0, slash);
  const name = path.slice(slash + 1);
  const argument = access === "write"
    ? "…"
    : options.flag === undefined
    ? shellWord(name)
    : `${options.flag} ${shellWord(name)}`;
  return `cannot ${access} ${JSON.stringify(path)}: a task may ${access} files only under the ` +
    `folder it is run from; run it from the ${
      access === "read" ? "file's folder" : "output's parent folder"
    } with this project's config: cd ${shellWord(folder)} && deno task --config ${
      shellWord(PROJECT_CONFIG)
    } ${task} ${argument}` +
    (access === "read" && options.standardInput && options.flag === undefined
      ? `, or give the file on standard input: ${command} - < FILE`
      : "");
}
