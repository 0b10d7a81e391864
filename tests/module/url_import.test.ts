// mod.ts works when imported from a URL: the repository is served over loopback HTTP and a child
// `deno run`, allowed to import from that server and nothing else (no config, no import map, no
// read permission), tokenizes and embeds the book's first batch through it.
import assert from "node:assert/strict";
import { assertClose } from "../helpers/assert_close.ts";
import { bookInputEmbeddings, chapter2Reference, verdictText } from "../helpers/fixtures.ts";

const ROOT = new URL("../../", import.meta.url);

const CONTENT_TYPES: Record<string, string> = {
  ".ts": "application/typescript",
  ".js": "text/javascript",
  ".json": "application/json",
};

/** Serves the repository's files read-only on 127.0.0.1 and records the paths asked for. */
function serveRepository(requested: Set<string>): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const { pathname } = new URL(request.url);
    requested.add(pathname);
    const file = new URL("." + pathname, ROOT);
    if (!file.href.startsWith(ROOT.href)) return new Response("outside", { status: 403 });
    try {
      const body = await Deno.readFile(file);
      const type = CONTENT_TYPES[pathname.slice(pathname.lastIndexOf("."))] ?? "text/plain";
      return new Response(body, { headers: { "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
}

Deno.test("mod.ts imported from http://127.0.0.1: tokenize and embed the book's first batch", async () => {
  const requested = new Set<string>();
  const server = serveRepository(requested);
  const origin = `http://127.0.0.1:${server.addr.port}`;
  try {
    const child = new Deno.Command("deno", {
      args: [
        "run",
        "--no-config", // no import map to lean on
        `--allow-import=127.0.0.1:${server.addr.port}`,
        `--reload=${origin}`, // fetch the served files, not a cached copy
        `${origin}/tests/module/url_import_child.ts`,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(await verdictText()));
    await writer.close();
    const { code, stdout, stderr } = await child.output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const out = JSON.parse(new TextDecoder().decode(stdout));

    assert.equal(out.module, `${origin}/mod.ts`);
    for (
      const path of [
        "/mod.ts",
        "/src/tokenize/tiktoken_wasm.js", // the source-phase import of npm:tiktoken's wasm
        "/shaders/embedding/gather_positional_add.wgsl", // the kernel forward() runs
      ]
    ) {
      assert.ok(requested.has(path), `${path} was not fetched from the server`);
    }
    const book = (await chapter2Reference()).gpt2_embeddings_after_seed;
    assert.deepEqual(out.inputs, book.batch_inputs.flat());
    assertClose(out.embeddings, await bookInputEmbeddings(), { atol: 1e-5 }, "input embeddings");
  } finally {
    await server.shutdown();
  }
});

Deno.test("mod.ts type-checks against Deno's own WebGPU declarations too", async () => {
  // The project checks its GPU code against @webgpu/types (deno.json's compilerOptions.types); a
  // user who imports mod.ts from a URL checks it with Deno's built-in declarations instead.
  const { code, stderr } = await new Deno.Command("deno", {
    args: ["check", "--no-config", "--quiet", "mod.ts"],
    cwd: ROOT,
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
});
