import assert from "node:assert/strict";
import { runTask } from "../helpers/run_task.ts";

const CONTENDERS = [
  "fused",
  "gather_add",
  "fused_api",
  "stream",
  "copy",
  "cpu_loop",
  "tfjs_webgpu",
  "torch_cpu",
];
const REQUIRED_RATIOS = [
  "fused_vs_copy",
  "fused_vs_torch_cpu",
  "fused_vs_tfjs_webgpu",
  "tokenize_parallel_vs_single",
  "semigpt_step_vs_tfjs_webgpu",
  "semigpt_step_vs_torch_cpu",
  "input_embedding_step_vs_tfjs_webgpu",
  "input_embedding_step_vs_torch_cpu",
  "adamw_vs_copy",
];

Deno.test("deno task bench:compare --quick", async (t) => {
  await t.step("--json: one object, every contender checked, ratios numbers or null", async () => {
    const { code, stdout, stderr } = await runTask("bench:compare", ["--quick", "--json"]);
    assert.equal(code, 0, stderr);
    assert.equal(stderr, "");
    const out = JSON.parse(stdout);
    assert.deepEqual(Object.keys(out), [
      "machine",
      "command",
      "settings",
      "contenders",
      "tokenize",
      "training",
      "ratios",
      "ratio_notes",
    ]);
    for (const key of ["cpu", "adapter", "deno", "date"]) {
      assert.equal(typeof out.machine[key], "string", key);
    }
    assert.ok(Number.isInteger(out.machine.cores) && out.machine.cores >= 1);
    assert.equal(out.settings.quick, true);
    const dims: number[] = out.settings.dims;
    assert.equal(out.settings.ratio_dim, dims[0]);
    assert.deepEqual(Object.keys(out.contenders), CONTENDERS);
    for (const id of ["fused", "gather_add", "fused_api", "stream", "copy", "cpu_loop"]) {
      assert.equal(out.contenders[id].available, true, `${id}: ${out.contenders[id].note}`);
    }
    for (const [id, contender] of Object.entries<Record<string, unknown>>(out.contenders)) {
      if (!contender.available) {
        assert.equal(typeof contender.note, "string", `${id} says why it is absent`);
        continue;
      }
      const results = contender.results as Record<string, Record<string, unknown>>;
      assert.deepEqual(Object.keys(results), dims.map(String), id);
      for (const [dim, result] of Object.entries(results)) {
        assert.equal(result.verified, true, `${id} at D=${dim}: ${result.note}`);
        assert.ok((result.mtok_per_s as number) > 0, `${id} at D=${dim}`);
        assert.ok((result.ms_per_batch as number) > 0, `${id} at D=${dim}`);
        assert.ok((result.max_abs_error as number) <= 1e-6, `${id} at D=${dim}`);
      }
    }
    const tokensPerBatch = out.settings.batch_size * out.settings.seq_length;
    assert.equal(
      out.contenders.fused.results[dims[0]].bytes_uploaded_per_batch,
      4 * tokensPerBatch,
    );
    // Counted over one call: the ids (or the window starts) and one 16-byte uniform block.
    assert.equal(
      out.contenders.fused_api.results[dims[0]].bytes_uploaded_per_batch,
      4 * tokensPerBatch + 16,
    );
    assert.equal(
      out.contenders.stream.results[dims[0]].bytes_uploaded_per_batch,
      4 * out.settings.batch_size + 16,
    );
    assert.equal(out.contenders.copy.results[dims[0]].bytes_uploaded_per_batch, 0);
    assert.equal(out.contenders.cpu_loop.results[dims[0]].bytes_uploaded_per_batch, null);

    for (const key of REQUIRED_RATIOS) assert.ok(key in out.ratios, key);
    for (const [key, value] of Object.entries(out.ratios)) {
      assert.ok(
        value === null || (typeof value === "number" && value > 0),
        `${key}: ${value}`,
      );
      if (value === null) assert.equal(typeof out.ratio_notes[key], "string", key);
    }
    const fused = out.contenders.fused.results[dims[0]].mtok_per_s;
    const copy = out.contenders.copy.results[dims[0]].mtok_per_s;
    assert.equal(out.ratios.fused_vs_copy, fused / copy);
    assert.equal(
      out.ratios.stream_vs_fused_api,
      out.contenders.stream.results[dims[0]].mtok_per_s /
        out.contenders.fused_api.results[dims[0]].mtok_per_s,
    );
    const training = out.training;
    assert.deepEqual(Object.keys(training.problems), ["semigpt_step", "input_embedding_step"]);
    for (const [id, problem] of Object.entries<Record<string, unknown>>(training.problems)) {
      const contenders = problem.contenders as Record<string, Record<string, unknown>>;
      assert.deepEqual(Object.keys(contenders), ["module", "tfjs_webgpu", "torch_cpu"], id);
      for (const [cid, contender] of Object.entries(contenders)) {
        if (cid === "module") assert.equal(contender.available, true, `${id} ${contender.note}`);
        if (!contender.available) {
          assert.equal(typeof contender.note, "string", `${id} ${cid} says why it is absent`);
          continue;
        }
        const result = contender.result as Record<string, unknown>;
        assert.equal(result.verified, true, `${id} ${cid}: ${result.note ?? contender.note}`);
        assert.ok((result.ms_per_step as number) > 0, `${id} ${cid}`);
        assert.ok(
          Math.abs((result.first_loss as number) - (problem.expected_first_loss as number)) <=
            1e-4 * Math.max(1, Math.abs(problem.expected_first_loss as number)),
          `${id} ${cid}`,
        );
      }
      const breakdown = (contenders.module.result as Record<string, unknown>).breakdown;
      assert.ok(Object.values(breakdown as Record<string, number>).every((ms) => ms > 0), id);
    }
    assert.ok(training.adamw.adamw.gb_per_s > 0 && training.adamw.copy.gb_per_s > 0);
    assert.equal(
      out.ratios.adamw_vs_copy,
      training.adamw.adamw.gb_per_s / training.adamw.copy.gb_per_s,
    );
    assert.ok(out.tokenize.single.mb_per_s > 0);
    assert.ok(out.tokenize.parallel.mb_per_s > 0);
    assert.equal(out.tokenize.parallel.identical_ids, true, "parallel ids equal tiktoken's");
    assert.equal(
      out.ratios.tokenize_parallel_vs_single,
      out.tokenize.parallel.mb_per_s / out.tokenize.single.mb_per_s,
    );
  });

  await t.step("the table names every contender and the ratios", async () => {
    const { code, stdout, stderr } = await runTask("bench:compare", ["--quick"]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^CPU: .+ \(\d+ cores\) · GPU: .+ · Deno \d+\.\d+\.\d+ · \d{4}-/m);
    assert.match(stdout, /^contender +D=8 Mtok\/s +D=12 Mtok\/s +upload B\/batch +checked$/m);
    assert.match(stdout, /^fused gather \+ add kernel \(ids resident\) +\S+ +\S+ +64 +ok$/m);
    for (const key of REQUIRED_RATIOS) assert.match(stdout, new RegExp(`^  ${key} `, "m"));
  });

  await t.step("an unknown option: one line, exit code 2", async () => {
    const { code, stderr } = await runTask("bench:compare", ["--fast"]);
    assert.equal(code, 2);
    assert.match(stderr, /--fast is not an option of deno task bench:compare/);
  });
});
