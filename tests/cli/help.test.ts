// Tasks that explain themselves: `deno task` lists a description for each, and every task that
// takes options prints with --help its usage (naming FILE), what it does, where its files may be
// (and how to reach a file elsewhere), and each option with its range, its default or "required",
// all from the options' one declaration.
import assert from "node:assert/strict";
import { describeRange, type OptionSpec, type OptionSpecs } from "../../src/cli/cli.ts";
import { OPTIONS as batches } from "../../src/cli/batches.ts";
import { OPTIONS as embed } from "../../src/cli/embed.ts";
import { OPTIONS as generate } from "../../src/cli/generate.ts";
import { OPTIONS as prepare } from "../../src/cli/prepare.ts";
import { OPTIONS as tokenize } from "../../src/cli/tokenize.ts";
import { OPTIONS as train } from "../../src/cli/train.ts";
import { ROOT_PATH, runTask } from "../helpers/run_task.ts";
import { TASKS } from "../helpers/tasks.ts";

/** Each task with options, its declaration, and the FILE words its usage line shows. */
const COMMANDS: [string, OptionSpecs, string][] = [
  ["tokenize", tokenize, "[FILE|-]"],
  ["batches", batches, "[FILE|-]"],
  ["embed", embed, "[FILE|-]"],
  ["train", train, "[FILE|-]"],
  ["generate", generate, "--weights FILE"],
  ["prepare", prepare, "FILE... --out DIR"],
];

Deno.test("every task has a description in deno.json", () => {
  for (const [name, task] of Object.entries(TASKS)) {
    assert.equal(typeof task, "object", `${name}: { "description", "command" }`);
    assert.ok(typeof task !== "string" && (task.description ?? "").length > 10, name);
  }
});

/** What an option's --help line must say besides its help text. */
function notes(spec: OptionSpec): string[] {
  const said: string[] = [];
  if (spec.required) said.push("required");
  if (spec.min !== undefined || spec.max !== undefined) said.push(describeRange(spec));
  if (spec.default !== undefined) said.push(`default ${spec.default}`);
  if (spec.defaultText !== undefined) said.push(`default: ${spec.defaultText}`);
  return said;
}

for (const [name, specs, files] of COMMANDS) {
  Deno.test(`deno task ${name} --help: usage with FILE, where files may be, every option`, async () => {
    const { code, stdout, stderr } = await runTask(name, ["--help"]);
    assert.equal(stderr, "");
    assert.equal(code, 0);
    const [usage] = stdout.split("\n");
    assert.ok(usage.startsWith(`deno task ${name} ${files}`), usage);
    const text = stdout.replace(/\s+/g, " "); // help lines wrap at 100 columns
    assert.match(text, /under the folder you run deno task from/);
    assert.ok(text.includes(`deno task --config ${ROOT_PATH}/deno.json ${name}`), text);
    // The options section: one entry per flag, its continuation lines joined.
    const entries = new Map<string, string>();
    let last = "";
    for (const line of stdout.slice(stdout.indexOf("\noptions:\n")).split("\n").slice(2)) {
      const entry = /^ {2}(--\S+(?: [A-Z]+)?) +(.*)$/.exec(line);
      if (entry) entries.set(last = entry[1], entry[2]);
      else if (line.startsWith(" ".repeat(31))) {
        entries.set(last, `${entries.get(last)} ${line.trim()}`);
      }
    }
    assert.deepEqual(
      [...entries.keys()],
      [
        ...Object.entries(specs).map(([option, spec]) =>
          spec.type === "boolean" ? `--${option}` : `--${option} ${spec.type.toUpperCase()}`
        ),
        "--help",
      ],
    );
    for (const [option, spec] of Object.entries(specs)) {
      const flag = spec.type === "boolean"
        ? `--${option}`
        : `--${option} ${spec.type.toUpperCase()}`;
      const line = entries.get(flag)!;
      assert.ok(line.startsWith(spec.help), `${flag}: ${line}`);
      if (spec.type !== "boolean") {
        assert.ok(notes(spec).length > 0, `--${option} says its default, or that it is required`);
      }
      for (const note of notes(spec)) assert.ok(line.includes(note), `${flag}: ${note} in ${line}`);
    }
  });
}
