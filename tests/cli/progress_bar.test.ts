import assert from "node:assert/strict";
import { formatProgress } from "../../src/cli/progress_bar.ts";

Deno.test("formatProgress", async (t) => {
  await t.step("fills the bar in proportion and estimates the time left", () => {
    const line = formatProgress("embedding", 40, 160, "batches", 2000);
    assert.equal(
      line,
      `embedding [${"#".repeat(8)}${".".repeat(22)}]  25% 40/160 batches, 2.0 s, about 6.0 s left`,
    );
  });
  await t.step("starts empty and ends full, without an estimate", () => {
    assert.equal(
      formatProgress("x", 0, 3, "steps", 0),
      `x [${".".repeat(30)}]   0% 0/3 steps, 0.0 s`,
    );
    assert.equal(
      formatProgress("x", 3, 3, "steps", 1500),
      `x [${"#".repeat(30)}] 100% 3/3 steps, 1.5 s`,
    );
  });
});
