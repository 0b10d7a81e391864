// Shared plumbing of the command-line tools: argument parsing, reading the input, and turning
// bad input into a one-line message with exit code 2.
import { FileSystemError, InputError, isSystemError } from "../util/errors.ts";
import { GpuError } from "../gpu/gpu_error.ts";
import { SAMPLE_TEXT_URL } from "./sample_text.ts";
import { readTextFile, readTextStream } from "../tokenize/read_text.ts";
import { TiktokenError } from "../tokenize/bpe_tokenizer.ts";

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
  /**
   * What applies when the option is not given, where that is not one declared `default` (shown by
   * `--help`): `"gpt2"` when `--model` may be given instead, `"min(CPU count, 4)"`.
   */
  defaultText?: string;
}

/** What `--help` says of a command besides its options. */
export interface CommandHelp {
  /** The arguments after the task's name, e.g. `"[FILE|-] [options]"`. */
  usage: string;
  /** What the command does, in a sentence or two. */
  about: string;
  /** Where the files it reads or writes may be (see {@linkcode filesHelp}). */
  files?: string;
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

/** The values as typed on the command line, by flag, so that messages can echo them. */
const typedValues = new Map<string, string>();

const INTEGER = /^-?[0-9]+$/;
const DECIMAL = /^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/;

/**
 * One option's value from its text: integers are decimal digits (with an optional minus) that
 * fit a double exactly; numbers are decimal notation (an exponent allowed); strings are not
 * empty. Anything else (`0x10`, `1e3` as an integer, `" 8"`, `Infinity`) is an
 * {@linkcode InputError} that echoes the value as typed.
 */
export function parseOptionValue(
  flag: string,
  type: "string" | "integer" | "number",
  raw: string,
): string | number {
  if (type === "string") {
    if (raw === "") throw new InputError(flag, "needs a value, got an empty string");
    return raw;
  }
  if (type === "integer") {
    if (!INTEGER.test(raw)) {
      throw new InputError(
        flag,
        `must be an integer in decimal digits, got ${JSON.stringify(raw)}`,
      );
    }
    const value = Number(raw);
    if (!Number.isSafeInteger(value)) {
      throw new InputError(
        flag,
        `must be an integer of at most ${Number.MAX_SAFE_INTEGER} in size, got ${raw}`,
      );
    }
    return value === 0 ? 0 : value; // no -0
  }
  const value = Number(raw);
  if (!DECIMAL.test(raw) || !Number.isFinite(value)) {
    throw new InputError(flag, `must be a decimal number, got ${JSON.stringify(raw)}`);
  }
  return value === 0 ? 0 : value;
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
    spec.default !== undefined
      ? `default ${spec.default}`
      : spec.defaultText !== undefined
      ? `default: ${spec.defaultText}`
      : "",
  ].filter((note) => note !== "");
  const text = `${spec.help}${notes.length > 0 ? ` (${notes.join("; ")})` : ""}`;
  return `  ${flag.padEnd(28)} ${wrap(text, 100, " ".repeat(31)).trimStart()}`;
}

/** Words wrapped into lines of at most `width` characters, each after `indent`. */
function wrap(text: string, width = 100, indent = ""): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line !== "" && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(indent + line);
  return lines.join("\n");
}

/** What `--help` prints: the usage, what the command does, where its files may be, the options. */
function usage(command: string, specs: OptionSpecs, help?: CommandHelp): string {
  const lines = Object.entries(specs).map(([name, spec]) => helpLine(name, spec));
  const head = help === undefined
    ? `${command} [options]`
    : [`${command} ${help.usage}`, wrap(help.about), ...(help.files ? [wrap(help.files)] : [])]
      .join("\n\n");
  return `${head}\n\noptions:\n${lines.join("\n")}\n  ${"--help".padEnd(28)} this list`;
}

/**
 * The `--help` paragraph on where a task's files may be: under the folder `deno task` is run
 * from, relative paths starting there, and how to reach a file elsewhere.
 *
 * @param command `"deno task embed"`.
 * @param what What the task reads and writes there, e.g. `"FILE"` or `"FILE and --save"`.
 * @param standardInput Whether `-` reads standard input.
 */
export function filesHelp(command: string, what: string, standardInput: boolean): string {
  const task = command.replace(/^deno task /, "");
  return `${what}: under the folder you run deno task from (relative paths start there). For a ` +
    `file elsewhere run the task from its folder with this project's config: deno task --config ` +
    `${shellWord(PROJECT_CONFIG)} ${task} …` +
    (standardInput ? `, or give it on standard input: ${command} - < FILE.` : ".");
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
  help?: CommandHelp,
): ParsedArgs {
  const options = new Map<string, string | number | boolean>();
  const typed = new Map<string, string>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1)); // the end of the options: the rest are FILEs
      break;
    }
    if (!arg.startsWith("--")) {
      positionals.push(arg);
      continue;
    }
    if (arg === "--help") {
      console.log(usage(command, specs, help));
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
    typedValues.set(`--${name}`, raw);
    options.set(name, parseOptionValue(`--${name}`, spec.type, raw));
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
  // the value as the user typed it ("0010", "1.50"), not as the number it became
  const typed = typedValues.get(parameter);
  const got = /, got (-?[0-9.eE+-]+)$/.exec(problem);
  let echoed = problem;
  if (typed !== undefined && got !== null && got[1] !== typed && Number(got[1]) === Number(typed)) {
    echoed = problem.slice(0, got.index) + `, got ${typed}`;
  }
  if (parameter === error.parameter && echoed === original) throw error;
  throw new InputError(parameter, echoed);
}

/** Runs `check` and reports what it rejects under the name of the option that sets it. */
export function checkAsOptions(check: () => void, specs: OptionSpecs): void {
  try {
    check();
  } catch (error) {
    asOptionError(error, specs);
  }
}

/** The text the task works on, for messages about failures while encoding it. */
let currentInput: string | undefined;

/** The folder `deno task` was run from (`INIT_CWD`), when the task is allowed to know it. */
function runFolder(): string | undefined {
  try {
    return Deno.env.get("INIT_CWD") || undefined;
  } catch {
    return undefined; // no --allow-env=INIT_CWD: paths are relative to the current directory
  }
}

/** A path as the user meant it: `deno task` runs in the project's folder, so resolve against `INIT_CWD`. */
export function userPath(path: string): string {
  if (path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path)) return path;
  const cwd = runFolder();
  return cwd ? `${cwd.replace(/[\\/]$/, "")}/${path}` : path;
}

/**
 * Refuses to run from a folder whose path holds a comma: the tasks grant reading (and writing)
 * under `"$INIT_CWD"`, and Deno splits a grant at commas, so such a grant would also reach the
 * folders named after each comma. Called before anything is read.
 */
export function checkRunFolder(): void {
  const cwd = runFolder();
  if (cwd?.includes(",")) {
    throw new InputError(
      "the run folder",
      `${JSON.stringify(cwd)} holds a comma, which Deno reads as a separator in the task's ` +
        `permission grants (they would reach other folders); run the task from a folder whose ` +
        `path has no comma`,
    );
  }
}

/** Whether `path` is `folder` or inside it (both absolute and normalized). */
function isInside(path: string, folder: string): boolean {
  const base = folder.replace(/\/+$/, "");
  return path === base || path.startsWith(base + "/") || base === "";
}

/**
 * The path a task may use for a FILE or folder the user named: resolved against the run folder,
 * then to its real path (symbolic links followed; for a path still to be created, its nearest
 * existing folder's). A path that is lexically under the run folder but whose real path leaves
 * it (a link to elsewhere) is an {@linkcode InputError}: the tasks read and write only under
 * the folder they run from, and the permission grants alone do not see through links. Paths
 * outside the folder to begin with are left to the grants (one line: permission denied).
 *
 * @param path The path as typed.
 * @param label What the path is for messages, e.g. `"--out"` (default: the path).
 */
export async function grantedPath(path: string, label?: string): Promise<string> {
  const absolute = userPath(path);
  const cwd = runFolder();
  if (cwd === undefined || !absolute.startsWith("/")) return absolute;
  const lexical = normalizePath(absolute);
  const folder = normalizePath(cwd);
  if (!isInside(lexical, folder)) return absolute; // the grants refuse it, in one line
  const realFolder = await Deno.realPath(folder);
  // the real path of the longest existing prefix, and the rest as named
  let existing = lexical;
  const rest: string[] = [];
  let real: string | undefined;
  while (real === undefined) {
    try {
      real = await Deno.realPath(existing);
    } catch (error) {
      const missing = error instanceof Deno.errors.NotFound ||
        error instanceof Deno.errors.NotADirectory; // a file in the way: the task says so later
      if (!missing || existing === "/") throw error;
      rest.unshift(existing.slice(existing.lastIndexOf("/") + 1));
      existing = existing.slice(0, existing.lastIndexOf("/")) || "/";
    }
  }
  const resolved = rest.length === 0 ? real : `${real.replace(/\/$/, "")}/${rest.join("/")}`;
  if (!isInside(resolved, realFolder)) {
    throw new InputError(
      label === undefined ? path : `${label} ${path}`,
      `leads outside the folder the task runs from (${cwd}) through a symbolic link, to ` +
        `${resolved}; the task reads and writes only under that folder`,
    );
  }
  return resolved;
}

/** Reads the text of `FILE`, or of standard input for `-`, as strict UTF-8. */
export async function readInput(path: string): Promise<string> {
  currentInput = path === "-" ? "standard input" : userPath(path);
  return path === "-"
    ? await readTextStream(Deno.stdin.readable, "standard input")
    : await readTextFile(await grantedPath(path));
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
  /** The command's options: messages name them instead of the library parameters they set. */
  specs?: OptionSpecs;
}

/** Advice in library messages that has no flag in the tasks, and what the tasks say instead. */
const API_ONLY: readonly (readonly [RegExp, string])[] = [
  [/ or encode it as ordinary text with encodeOrdinary\(\)/g, ""],
  [/\bwith prepareShards\b/g, "with deno task prepare"],
];

/** `text` with the special characters of a regular expression escaped. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * An {@linkcode InputError}'s message in a task's terms: the library parameter an option sets is
 * named by the option's flag, and so are the settings the message suggests (`dropLast: false` is
 * `--no-drop-last`, `{ overwrite: true }` is `--overwrite`, `allowedSpecial: ["<|endoftext|>"]`
 * is `--allowed-special <|endoftext|>`); advice that no flag of the task can follow is left out.
 *
 * @param error The library's error.
 * @param specs The task's options.
 * @returns The message, starting with the flag or input it is about.
 */
export function cliMessage(error: InputError, specs: OptionSpecs = {}): string {
  let parameter = error.parameter;
  let problem = error.message.startsWith(`${parameter} `)
    ? error.message.slice(parameter.length + 1)
    : error.message;
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.parameter === undefined) continue;
    const p = literal(spec.parameter);
    if (error.parameter === spec.parameter) parameter = `--${name}`;
    if (spec.type === "boolean") {
      const value = name.startsWith("no-") ? "false" : "true";
      problem = problem.replace(
        new RegExp(`\\{ ${p}: ${value} \\}|\\b${p}: ${value}\\b`, "g"),
        `--${name}`,
      );
    } else if (spec.type === "string") {
      problem = problem.replace(
        new RegExp(`\\b${p}: \\["([^"]*)"\\]`, "g"),
        (_, value: string) => `--${name} ${value}`,
      );
    }
  }
  for (const [pattern, replacement] of API_ONLY) problem = problem.replace(pattern, replacement);
  return `${parameter} ${problem}`;
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
    checkRunFolder();
    await main();
  } catch (error) {
    if (error instanceof InputError) {
      console.error(`${command}: ${cliMessage(error, options.specs)}`);
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
    if (error instanceof FileSystemError || isSystemError(error)) {
      // no space left, a read-only folder, a file that vanished: the system's words, one line
      console.error(`${command}: ${error.message.replaceAll("\n", " ")}`);
      Deno.exit(2);
    }
    if (error instanceof TiktokenError) {
      console.error(
        `${command}: ${error.message}${currentInput === undefined ? "" : ` (${currentInput})`}`,
      );
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
