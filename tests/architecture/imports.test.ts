// The layering of src/ (docs/architecture.md): no import cycle between files or between folders,
// each folder imports only the folders below it, shaders belong to one kernel family.
import assert from "node:assert/strict";
import {
  findCycles,
  importEdges,
  layerOf,
  LAYERS,
  parseImports,
  ruleViolations,
} from "./import_graph.ts";

const ROOT = new URL("../../", import.meta.url);

async function sourceFiles(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(new URL(dir, ROOT))) {
      const path = `${dir}${entry.name}`;
      if (entry.isDirectory) await walk(`${path}/`);
      else if (/\.(ts|js)$/.test(entry.name)) {
        files.set(path, await Deno.readTextFile(new URL(path, ROOT)));
      }
    }
  };
  await walk("src/");
  files.set("mod.ts", await Deno.readTextFile(new URL("mod.ts", ROOT)));
  return files;
}

const files = await sourceFiles();
const edges = importEdges(files);

Deno.test("the import graph is read from every source file", () => {
  assert.ok(files.size > 50, `${files.size} files`);
  // Spot checks that the parser sees multi-line, type-only and text imports.
  const has = (from: string, to: string) => edges.some((e) => e.from === from && e.to === to);
  assert.ok(has("mod.ts", "src/gpu/mod.ts")); // export * from
  assert.ok(has("src/gpu/mod.ts", "src/gpu/tensor.ts"));
  assert.ok(has("src/gpu/tensor.ts", "src/util/float16.ts"));
  assert.ok(edges.some((e) => e.to.startsWith("shaders/embedding/") && e.to.endsWith(".wgsl")));
  assert.ok(edges.some((e) => e.typeOnly) && edges.some((e) => !e.typeOnly));
  // Every imported source file exists.
  for (const { from, to } of edges) {
    if (to.startsWith("src/") || to === "mod.ts") assert.ok(files.has(to), `${from} imports ${to}`);
  }
});

Deno.test("no import cycle between files", () => {
  assert.deepEqual(findCycles(edges.map((e) => [e.from, e.to])), []);
});

Deno.test("no import cycle between the folders of src/", () => {
  const folderEdges: [string, string][] = [];
  for (const { from, to } of edges) {
    const [a, b] = [layerOf(from), layerOf(to)];
    if (a !== undefined && b !== undefined && a !== b) folderEdges.push([a, b]);
  }
  assert.deepEqual(findCycles(folderEdges), []);
});

Deno.test("every folder of src/ has a layer, and imports only the layers its rule allows", () => {
  const folders = new Set([...files.keys()].map(layerOf).filter((f) => f !== undefined));
  assert.deepEqual([...folders].filter((f) => !(f in LAYERS)), []);
  assert.deepEqual(ruleViolations(edges), []);
});

Deno.test("deno.json's entry points: the GPU, model and format layers load no tokenizer", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const entries: Record<string, string> = config.exports;
  for (const path of Object.values(entries)) assert.ok(files.has(path.slice(2)), path);
  const reachable = (start: string) => {
    const seen = new Set([start]);
    for (const file of seen) for (const e of edges) if (e.from === file) seen.add(e.to);
    return seen;
  };
  for (const entry of ["./gpu", "./nn", "./formats"]) {
    const loaded = [...reachable(entries[entry].slice(2))];
    assert.deepEqual(loaded.filter((f) => f.startsWith("src/tokenize/")), [], entry);
  }
  assert.ok(reachable("mod.ts").has("src/tokenize/bpe_tokenizer.ts"));
});

Deno.test("each entry point's documentation is complete on its own (deno doc --lint)", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  for (const entry of Object.values(config.exports as Record<string, string>)) {
    // one entry point at a time: a type it exposes must be exported by it, not by another one
    const { code, stderr } = await new Deno.Command("deno", {
      args: ["doc", "--lint", entry],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).output();
    const lines = new TextDecoder().decode(stderr).split("\n");
    assert.deepEqual(lines.filter((l) => /^error|-->/.test(l)), [], entry);
    assert.equal(code, 0, entry);
  }
});

Deno.test("the checks catch what they are for", () => {
  assert.deepEqual(
    parseImports(
      [
        'import { a, type B } from "./a.ts";',
        'import type { C } from "../c.ts";',
        "import {\n  type D,\n  type E,\n} from './d.ts';",
        'export { f } from "./f.ts";',
        'import body from "../../shaders/x/y.wgsl" with { type: "text" };',
        'import "./side_effect.ts";',
        ' * import { example } from "../../mod.ts";',
        'import assert from "node:assert/strict";',
      ].join("\n"),
    ),
    [
      { specifier: "./a.ts", typeOnly: false },
      { specifier: "../c.ts", typeOnly: true },
      { specifier: "./d.ts", typeOnly: true },
      { specifier: "./f.ts", typeOnly: false },
      { specifier: "../../shaders/x/y.wgsl", typeOnly: false },
      { specifier: "./side_effect.ts", typeOnly: false },
    ],
  );
  assert.deepEqual(findCycles([["a", "b"], ["b", "c"], ["c", "a"], ["c", "d"]]), [["a", "b", "c"]]);
  assert.deepEqual(findCycles([["a", "a"]]), [["a"]]);
  const edge = (from: string, to: string, typeOnly = false) => ({ from, to, typeOnly });
  assert.deepEqual(
    ruleViolations([
      edge("src/util/checks.ts", "src/gpu/tensor.ts"),
      edge("src/gpu/token_stream.ts", "src/windows/window_dataset.ts"),
      edge("src/nn/layer.ts", "src/batches/batch.ts", true),
      edge("src/nn/layer.ts", "src/batches/data_loader.ts"),
      edge("src/gpu/kernels/compute_kernel.ts", "src/gpu/kernels/embedding/gather.ts"),
      edge("src/gpu/kernels/softmax/softmax.ts", "shaders/embedding/rows.wgsl"),
      edge("src/gpu/kernels/embedding/gather.ts", "shaders/embedding/gather.wgsl"),
      edge("src/gpu/kernels/row_reduction.ts", "shaders/row_reduction.wgsl"),
      edge("src/gpu/kernels/softmax/softmax.ts", "shaders/row_reduction.wgsl"),
      edge("src/windows/window_dataset.ts", "mod.ts"),
      edge("src/newfolder/x.ts", "src/util/checks.ts"),
      edge("src/nn/mod.ts", "src/gpu/mod.ts"),
      edge("src/gpu/mod.ts", "src/nn/mod.ts"),
      edge("src/nn/token_embedding.ts", "src/gpu/mod.ts"),
    ]),
    [
      "src/util/checks.ts imports src/gpu/tensor.ts: util/ may not import gpu/",
      "src/gpu/token_stream.ts imports src/windows/window_dataset.ts: gpu/ may not import windows/",
      "src/nn/layer.ts imports src/batches/data_loader.ts: nn/ may not import batches/",
      "src/gpu/kernels/compute_kernel.ts imports src/gpu/kernels/embedding/gather.ts: a kernel family is imported only by its own files and above",
      "src/gpu/kernels/softmax/softmax.ts imports shaders/embedding/rows.wgsl: a shader is imported only by its own family's host code",
      "src/gpu/kernels/softmax/softmax.ts imports shaders/row_reduction.wgsl: a shared shader is imported only by the shared kernel code (src/gpu/kernels/*.ts)",
      "src/windows/window_dataset.ts imports mod.ts: only an entry point imports another entry point",
      "src/newfolder/x.ts is in no layer of src/ (add its folder to LAYERS)",
      "src/gpu/mod.ts imports src/nn/mod.ts: gpu/ may not import nn/",
      "src/nn/token_embedding.ts imports src/gpu/mod.ts: only an entry point imports another entry point",
    ],
  );
});
