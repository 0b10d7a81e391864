// The module's import graph, read from the `import … from` and `export … from` statements of its
// source files, and the rules it must keep (docs/architecture.md explains them).

/** One static import or re-export of a source file. */
export interface ImportEdge {
  /** The importing file, relative to the repository root (`src/gpu/tensor.ts`). */
  from: string;
  /** The imported file, relative to the repository root; bare specifiers (`npm:`, `node:`) are skipped. */
  to: string;
  /** True for `import type` / `export type`, or when every named binding is marked `type`. */
  typeOnly: boolean;
}

// A statement at the start of a line (so JSDoc examples, whose lines start with ` * `, are not
// read): `import … from "x"`, `export … from "x"`, or a bare `import "x"`.
const STATEMENT =
  /^(import|export)(\s+type)?\b([^;"'`]*?)\bfrom\s*(["'])([^"']+)\4|^import\s*(["'])([^"']+)\6/gm;

/** The relative specifiers a file imports, each with whether it imports only types. */
export function parseImports(text: string): { specifier: string; typeOnly: boolean }[] {
  const found: { specifier: string; typeOnly: boolean }[] = [];
  for (const match of text.matchAll(STATEMENT)) {
    const specifier = match[5] ?? match[7];
    if (!specifier.startsWith(".")) continue;
    const clause = match[3] ?? "";
    const names = /\{([^}]*)\}/.exec(clause);
    const namedAllTypes = names !== null && !/^\s*[\w$]/.test(clause.replace(/\{[^}]*\}/, "")) &&
      names[1].split(",").map((n) => n.trim()).filter((n) => n !== "")
        .every((n) => n.startsWith("type "));
    found.push({ specifier, typeOnly: match[2] !== undefined || namedAllTypes });
  }
  return found;
}

/** Joins a relative specifier to the importing file's folder (both relative to the root). */
export function resolve(from: string, specifier: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const part of specifier.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== ".") parts.push(part);
  }
  return parts.join("/");
}

/** The edges of the given files (paths relative to the repository root, contents as text). */
export function importEdges(files: ReadonlyMap<string, string>): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const [from, text] of files) {
    for (const { specifier, typeOnly } of parseImports(text)) {
      edges.push({ from, to: resolve(from, specifier), typeOnly });
    }
  }
  return edges;
}

/** Every cycle of a directed graph, one per strongly connected component (Tarjan's algorithm). */
export function findCycles(edges: Iterable<[string, string]>): string[][] {
  const next = new Map<string, Set<string>>();
  for (const [a, b] of edges) {
    if (!next.has(a)) next.set(a, new Set());
    if (!next.has(b)) next.set(b, new Set());
    next.get(a)!.add(b);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || next.get(v)!.has(v)) cycles.push(component.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}

/**
 * The layers of `src/`, top to bottom, and what each may import besides itself. A folder not
 * listed here is an error, so that a new folder gets its place in the order deliberately.
 */
export const LAYERS: Readonly<
  Record<string, { imports: readonly string[]; typesFrom?: readonly string[] }>
> = {
  cli: { imports: ["nn", "gpu", "batches", "windows", "tokenize", "formats", "util"] },
  nn: { imports: ["gpu", "formats", "util"], typesFrom: ["batches", "windows", "tokenize"] },
  gpu: { imports: ["util"] },
  batches: { imports: ["windows", "tokenize", "formats", "util"] },
  windows: { imports: ["tokenize", "formats", "util"] },
  tokenize: { imports: ["formats", "util"] },
  formats: { imports: ["util"] },
  util: { imports: [] },
};

/** The `src/` folder a path belongs to (`src/gpu/kernels/x.ts` → `gpu`), or undefined outside src/. */
export function layerOf(path: string): string | undefined {
  const match = /^src\/([^/]+)\//.exec(path);
  return match?.[1];
}

/** Whether a path is the kernel code the families share: `src/gpu/kernels/*.ts`. */
function isSharedKernelCode(path: string): boolean {
  return /^src\/gpu\/kernels\/[^/]+\.ts$/.test(path);
}

/** The kernel family a path belongs to: `src/gpu/kernels/<family>/…` or `shaders/<family>/…`. */
export function familyOf(path: string): string | undefined {
  return (/^src\/gpu\/kernels\/([^/]+)\//.exec(path) ?? /^shaders\/([^/]+)\//.exec(path))?.[1];
}

/** Every import that breaks a rule, as one readable line each. */
export function ruleViolations(edges: readonly ImportEdge[]): string[] {
  const problems: string[] = [];
  for (const { from, to, typeOnly } of edges) {
    const edge = `${from} imports ${to}`;
    if (!from.startsWith("src/")) continue; // mod.ts, the front door, may import any layer
    const source = layerOf(from);
    if (source === undefined || !(source in LAYERS)) {
      problems.push(`${from} is in no layer of src/ (add its folder to LAYERS)`);
      continue;
    }
    const entryPoint = from.endsWith("/mod.ts");
    if (to === "mod.ts" || (to.endsWith("/mod.ts") && layerOf(to) !== source && !entryPoint)) {
      problems.push(`${edge}: only an entry point imports another entry point`);
      continue;
    }
    if (to.startsWith("shaders/")) {
      // shaders/<family>/ belong to that family's host code; shaders/*.wgsl, the parts families
      // share, to the shared kernel code (src/gpu/kernels/*.ts), as the TypeScript is split
      const shared = familyOf(to) === undefined && !to.slice("shaders/".length).includes("/");
      if (shared ? !isSharedKernelCode(from) : familyOf(from) !== familyOf(to)) {
        problems.push(
          `${edge}: ${
            shared
              ? "a shared shader is imported only by the shared kernel code (src/gpu/kernels/*.ts)"
              : "a shader is imported only by its own family's host code"
          }`,
        );
      }
      continue;
    }
    const target = layerOf(to);
    if (target === undefined) {
      problems.push(`${edge}: outside src/ and shaders/`);
      continue;
    }
    if (target !== source) {
      const rule = LAYERS[source];
      const allowed = rule.imports.includes(target) ||
        (typeOnly && (rule.typesFrom ?? []).includes(target));
      if (!allowed) problems.push(`${edge}: ${source}/ may not import ${target}/`);
    }
    // Inside gpu/: the shared kernel code (gpu/kernels/*.ts) imports no family, and one family
    // imports no other.
    const fromFamily = familyOf(from);
    const toFamily = familyOf(to);
    if (
      toFamily !== undefined && fromFamily !== toFamily && from.startsWith("src/gpu/kernels/")
    ) {
      problems.push(`${edge}: a kernel family is imported only by its own files and above`);
    }
  }
  return problems;
}
