// Every example of README.md and docs/ runs. `deno test --doc` (the test task) runs each ```ts
// block of those Markdown files as a module of its own; this file checks that there is no other
// kind of example that would escape it, and runs the commands of every ```sh block from the
// project's folder as a user would type them: each must exit with code 0 and print nothing on
// stderr, and the ```text block that follows a ```sh block in the same section shows (part of)
// its last command's output, which must appear in it, line by line, in order (`…` stands for any
// text).
//
// ```shell blocks are commands shown but not run here: the test suite itself, the benchmarks,
// installs, and commands on files the reader supplies.
import assert from "node:assert/strict";
import { ROOT_PATH } from "../helpers/run_task.ts";

/** A fenced block of a Markdown file: its info string, its text and where it starts. */
interface Fence {
  file: string;
  line: number;
  info: string;
  text: string;
}

/** The documentation files: README.md and every Markdown file of docs/. */
async function documents(): Promise<string[]> {
  const files = ["README.md"];
  for await (const entry of Deno.readDir(`${ROOT_PATH}/docs`)) {
    if (entry.isFile && entry.name.endsWith(".md")) files.push(`docs/${entry.name}`);
  }
  return files.sort();
}

/** The fenced blocks of `file`, in order (fences may be indented, as in a list). */
async function fences(file: string): Promise<Fence[]> {
  const lines = (await Deno.readTextFile(`${ROOT_PATH}/${file}`)).split("\n");
  const found: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(.*)$/.exec(lines[i]);
    if (open === null) continue;
    const [, indent, info] = open;
    const end = lines.findIndex((line, j) => j > i && line.trim() === "```");
    assert.ok(end > i, `${file}:${i + 1}: an unclosed code block`);
    const text = lines.slice(i + 1, end).map((line) => line.slice(indent.length)).join("\n");
    found.push({ file, line: i + 1, info: info.trim(), text });
    i = end;
  }
  return found;
}

/** The kinds of block allowed in the documentation, and what happens to each. */
const KINDS: Record<string, string> = {
  ts: "run by deno test --doc",
  sh: "run by this test",
  shell: "shown, not run",
  text: "output, or a message",
  json: "data",
  python: "the book's or the note's code, for comparison",
  wgsl: "shader code",
};

const fencesByFile = new Map<string, Fence[]>();
const lines = new Map<string, string[]>();
for (const file of await documents()) {
  fencesByFile.set(file, await fences(file));
  lines.set(file, (await Deno.readTextFile(`${ROOT_PATH}/${file}`)).split("\n"));
}

Deno.test("documentation: every code block is of a kind that is run, or plainly not code", () => {
  for (const blocks of fencesByFile.values()) {
    for (const { file, line, info } of blocks) {
      assert.ok(
        info in KINDS,
        `${file}:${line}: a \`\`\`${info} block; use one of ${Object.keys(KINDS).join(", ")} ` +
          "(a ts example that cannot run as written is not an example)",
      );
    }
  }
});

/** One command line split into its program's words and an optional file for standard input. */
function parseCommand(where: string, line: string): { args: string[]; stdin?: string } {
  const words = line.replace(/\s+#.*$/, "").trim().match(/"[^"]*"|'[^']*'|\S+/g) ?? [];
  const unquoted = words.map((word) => word.replace(/^(["'])(.*)\1$/, "$2"));
  // `npx -y deno@VERSION` is how the README runs Deno on a machine without it: here it is deno.
  if (unquoted[0] === "npx") unquoted.splice(0, 3, "deno");
  assert.equal(unquoted[0], "deno", `${where}: a command other than deno: ${line}`);
  // The test suite, the checks and the benchmarks are shown in ```shell blocks: run here, the
  // suite would run itself.
  assert.ok(
    !/^(test|bench|check)$/.test(unquoted[1]) &&
      !(unquoted[1] === "task" && /^(test|check|bench)(:|$)/.test(unquoted[2] ?? "")),
    `${where}: ${line} belongs in a \`\`\`shell block`,
  );
  let stdin: string | undefined;
  const args: string[] = [];
  for (let i = 1; i < unquoted.length; i++) {
    if (unquoted[i] === "<") stdin = unquoted[++i];
    else if (unquoted[i] === ">" && unquoted[i + 1] === "/dev/null") i++;
    else {
      assert.ok(!/^[|&;<>]/.test(unquoted[i]), `${where}: shell syntax this test does not run`);
      args.push(unquoted[i]);
    }
  }
  return { args, stdin };
}

/** Whether `expected` (lines, `…` for any text) appears in `actual`'s lines, in order. */
function showsOutput(actual: string, expected: string): boolean {
  const lines = actual.split("\n");
  let at = 0;
  for (const want of expected.split("\n").filter((line) => line.trim() !== "")) {
    if (want.trim() === "…") continue;
    const pattern = new RegExp(
      "^" + want.split("…").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*") +
        "$",
    );
    while (at < lines.length && !pattern.test(lines[at])) at++;
    if (at === lines.length) return false;
    at++;
  }
  return true;
}

for (const [file, blocks] of fencesByFile) {
  const runnable = blocks.filter((block) => block.info === "sh");
  if (runnable.length === 0) continue;
  Deno.test(`${file}: its commands run, quietly, and print what it shows`, async (t) => {
    for (const block of runnable) {
      // The next block shows the output when it is text in the same section (no heading between).
      const next = blocks[blocks.indexOf(block) + 1];
      const between = lines.get(file)!.slice(block.line, next?.line ?? 0);
      const shown = next?.info === "text" && !between.some((line) => line.startsWith("#"))
        ? next.text
        : undefined;
      const commands = block.text.split("\n").filter((line) => /^\s*[^#\s]/.test(line));
      for (const [index, line] of commands.entries()) {
        const where = `${file}:${block.line}`;
        await t.step(line, async () => {
          const { args, stdin } = parseCommand(where, line);
          const child = new Deno.Command("deno", {
            args,
            cwd: ROOT_PATH,
            stdin: stdin === undefined ? "null" : "piped",
            stdout: "piped",
            stderr: "piped",
            // as a user's shell in the project's folder, on a machine without a desktop session
            env: { NO_COLOR: "1", INIT_CWD: ROOT_PATH, XDG_RUNTIME_DIR: "" },
          }).spawn();
          if (stdin !== undefined) {
            await (await Deno.open(`${ROOT_PATH}/${stdin}`)).readable.pipeTo(child.stdin);
          }
          const { code, stdout, stderr } = await child.output();
          const [out, err] = [stdout, stderr].map((bytes) => new TextDecoder().decode(bytes));
          // `deno task NAME` (without -q) first echoes the command it runs: that line is Deno's.
          const taskEcho = args[0] === "task" ? /^Task \S+ [^\n]*\n/ : /^$/;
          assert.equal(err.replace(taskEcho, ""), "", `${where}: ${line} printed on stderr`);
          assert.equal(code, 0, `${where}: ${line} exited with ${code}`);
          if (shown !== undefined && index === commands.length - 1) {
            assert.ok(showsOutput(out, shown), `${where}: the output shown is not\n${out}`);
          }
        });
      }
    }
  });
}

Deno.test("README.md: the library example is examples/pipeline.ts, which its command runs", async () => {
  const shown = fencesByFile.get("README.md")!.filter((block) => block.info === "ts");
  assert.equal(shown.length, 1, "one end-to-end example");
  const file = await Deno.readTextFile(`${ROOT_PATH}/examples/pipeline.ts`);
  const body = file.split("\n").slice(2).join("\n"); // after its two lines of header
  assert.equal(shown[0].text.trim(), body.replace('"../mod.ts"', '"./mod.ts"').trim());
});

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

Deno.test("documentation: every relative link leads to a file, and to a heading in it", async () => {
  for (const file of await documents()) {
    const text = await Deno.readTextFile(`${ROOT_PATH}/${file}`);
    const folder = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : "";
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
      const [path, anchor] = target.split("#");
      const linked = path === "" ? file : new URL(folder + path, "file:///").pathname.slice(1);
      const body = await Deno.readTextFile(`${ROOT_PATH}/${linked}`).catch(() => undefined);
      assert.ok(body !== undefined, `${file}: ${target} leads to no file`);
      if (anchor === undefined) continue;
      const anchors = [...body.matchAll(/^#+ (.*)$/gm)].map(([, heading]) => slug(heading));
      assert.ok(anchors.includes(anchor), `${file}: ${target}: no such heading in ${linked}`);
    }
  }
});
