// A healthy `deno task embed` prints nothing on stderr. XDG_RUNTIME_DIR is set empty, which
// libwayland-client rejects as it does an unset one: on machines with Mesa's Vulkan drivers the
// adapter request would otherwise print "error: XDG_RUNTIME_DIR is invalid or not set in the
// environment." (see src/gpu/quiet_headless.ts).
import assert from "node:assert/strict";
import { assertClose } from "../helpers/assert_close.ts";
import { chapter2Reference } from "../helpers/fixtures.ts";
import { runTask } from "../helpers/run_task.ts";

const HEADLESS = { XDG_RUNTIME_DIR: "" };

Deno.test("deno task embed: nothing on stderr when all is well", async (t) => {
  await t.step("the book's printout", async () => {
    const { code, stdout, stderr } = await runTask("embed", [], undefined, HEADLESS);
    assert.equal(stderr, "");
    assert.equal(code, 0);
    assert.match(stdout, /^gpt2: 5145 tokens → 1286 windows/);
  });
  await t.step("--json", async () => {
    const { code, stdout, stderr } = await runTask("embed", ["--json"], undefined, HEADLESS);
    assert.equal(stderr, "");
    assert.equal(code, 0);
    const book = (await chapter2Reference()).gpt2_embeddings_after_seed;
    assertClose(JSON.parse(stdout).input_embeddings.first_row, book.input_embeddings_first_row, {
      atol: 1e-5,
    });
  });
});
