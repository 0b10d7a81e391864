// A GPT-2-small-shaped safetensors file (wte 50257 × 768 and wpe 1024 × 768 in F32, 157.5 MB),
// generated row by row under .tmp/ and deleted afterwards: it loads through the segmented path
// (its 154 MB token table exceeds llvmpipe's 128 MiB storage binding), embeds exactly as the
// CPU computes, and `deno task embed --weights` holds about the tables, never the file as well.
import assert from "node:assert/strict";
import { GpuDevice, InputEmbedding } from "../../mod.ts";
import { commandWords, ROOT_PATH } from "../helpers/run_task.ts";
import { taskCommands } from "../helpers/tasks.ts";
import { withTempDir } from "../helpers/temp_dir.ts";

const VOCAB = 50257;
const CONTEXT = 1024;
const DIM = 768;
const MIB = 1024 * 1024;

/** The generated tables' values: multiples of 1/512 and 1/1024, exact in float32. */
function tokenValue(row: number, column: number): number {
  return (((row * 131 + column * 7) % 2048) - 1024) / 512;
}
function positionValue(row: number, column: number): number {
  return (((row * 17 + column * 3) % 256) - 128) / 1024;
}

/**
 * Writes a safetensors file of `wte.weight` [vocab, dim] and `wpe.weight` [context, dim] (F32)
 * a few rows at a time through one buffer; its header is written here by hand, so the reader is
 * also checked against a writer other than this module's. Returns the file's size.
 */
async function writeGeneratedTables(path: string, dim: number): Promise<number> {
  const tokenBytes = VOCAB * dim * 4;
  const positionBytes = CONTEXT * dim * 4;
  const json = JSON.stringify({
    __metadata__: { format: "pt" },
    "wte.weight": { dtype: "F32", shape: [VOCAB, dim], data_offsets: [0, tokenBytes] },
    "wpe.weight": {
      dtype: "F32",
      shape: [CONTEXT, dim],
      data_offsets: [tokenBytes, tokenBytes + positionBytes],
    },
  });
  const header = new TextEncoder().encode(json.padEnd(Math.ceil(json.length / 8) * 8));
  using file = await Deno.open(path, { write: true, createNew: true });
  const writeAll = async (bytes: Uint8Array) => {
    for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
  };
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(header.length), true);
  await writeAll(length);
  await writeAll(header);
  const rowsPerWrite = 1024;
  const rows = new Float32Array(rowsPerWrite * dim);
  for (
    const [count, value] of [[VOCAB, tokenValue], [CONTEXT, positionValue]] as const
  ) {
    for (let start = 0; start < count; start += rowsPerWrite) {
      const n = Math.min(rowsPerWrite, count - start);
      for (let r = 0; r < n; r++) {
        for (let c = 0; c < dim; c++) rows[r * dim + c] = value(start + r, c);
      }
      await writeAll(new Uint8Array(rows.buffer, 0, n * dim * 4));
    }
  }
  return 8 + header.length + tokenBytes + positionBytes;
}

/** The input embedding of token `id` at position `t`, as float32 addition gives it. */
function expectedEmbedding(id: number, t: number): Float32Array {
  return Float32Array.from(
    { length: DIM },
    (_, c) => Math.fround(tokenValue(id, c) + positionValue(t, c)),
  );
}

const PEAK_RSS = new URL("../helpers/peak_rss.ts", import.meta.url).pathname;
const FRESH_PARENT = new URL("../helpers/fresh_parent.ts", import.meta.url).pathname;

/**
 * Runs the embed task's own command line (deno.json's flags, `$INIT_CWD` the project root, as
 * `deno task` runs it) with tests/helpers/peak_rss.ts preloaded, under a small parent process
 * (tests/helpers/fresh_parent.ts says why); returns its output and its peak resident set size
 * in bytes.
 */
async function runEmbedMeasured(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string; peakBytes: number }> {
  const [program, run, ...rest] = commandWords(taskCommands().embed).map((word) =>
    word.replaceAll("$INIT_CWD", ROOT_PATH)
  );
  assert.deepEqual([program, run], ["deno", "run"]);
  const output = await new Deno.Command("deno", {
    args: [
      "run",
      "--allow-run=deno",
      FRESH_PARENT,
      program,
      run,
      "--preload",
      PEAK_RSS,
      ...rest,
      ...args,
    ],
    cwd: ROOT_PATH,
    stdin: "null",
    env: { NO_COLOR: "1", INIT_CWD: ROOT_PATH },
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  const peak = /^peak-rss-kib (\d+)\n$/m.exec(stderr);
  assert.ok(peak !== null, `no peak-rss-kib line on stderr: ${stderr}`);
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: stderr.replace(peak[0], ""),
    peakBytes: Number(peak[1]) * 1024,
  };
}

Deno.test("a GPT-2-small-shaped file: 50257 × 768 and 1024 × 768 in F32", async (t) => {
  const gpu = await GpuDevice.shared();
  await withTempDir(async (dir) => {
    const path = `${dir}/gpt2-small.safetensors`;
    const fileBytes = await writeGeneratedTables(path, DIM);
    const tokenBytes = VOCAB * DIM * 4;
    const tableBytes = tokenBytes + CONTEXT * DIM * 4;
    assert.equal((await Deno.stat(path)).size, fileBytes);

    await t.step("loads through segments and embeds rows on both sides of each", async () => {
      const tensorsBefore = gpu.liveTensors;
      {
        using embedding = await InputEmbedding.fromSafetensors(gpu, path, { vocabSize: VOCAB });
        const table = embedding.token.weight;
        assert.deepEqual(table.shape, [VOCAB, DIM]);
        assert.deepEqual(embedding.position.weight.shape, [CONTEXT, DIM]);
        if (tokenBytes > gpu.limits.maxStorageBufferBindingSize) {
          assert.ok(table.segments.length > 1, "the table is split into segments");
        }
        const ids = [0, 1, 2, VOCAB - 1];
        for (const segment of table.segments.slice(1)) {
          ids.push(segment.firstRow - 1, segment.firstRow, segment.firstRow + 1);
        }
        const batch = [ids, ids.map((_, i) => ids[ids.length - 1 - i])];
        using out = await embedding.forward(batch);
        const values = await out.read();
        batch.flat().forEach((id, i) => {
          const t = i % ids.length;
          assert.deepEqual(
            values.subarray(i * DIM, (i + 1) * DIM),
            expectedEmbedding(id, t),
            `token ${id} at position ${t}`,
          );
        });
        const boundary = table.segments.at(-1)!.firstRow;
        const rows = await table.readRows(boundary - 1, 2);
        assert.deepEqual(
          rows,
          Float32Array.from(
            { length: 2 * DIM },
            (_, i) => tokenValue(boundary - 1 + (i >= DIM ? 1 : 0), i % DIM),
          ),
        );
        const positions = await embedding.position.weight.readRows(CONTEXT - 1, 1);
        assert.deepEqual(
          positions,
          Float32Array.from({ length: DIM }, (_, c) => positionValue(CONTEXT - 1, c)),
        );
      }
      assert.equal(gpu.liveTensors, tensorsBefore);
    });

    // The same task on a file of the same vocabulary and context but 4 dimensions (0.8 MB of
    // tables) measures everything but the tables: the process, its GPU adapter, the tokenizer.
    const baseline = `${dir}/baseline.safetensors`;
    await writeGeneratedTables(baseline, 4);

    await t.step("deno task embed --weights: the book's first batch, exactly", async () => {
      const { code, stdout, stderr } = await runEmbedMeasured(["--weights", path, "--json"]);
      assert.equal(code, 0, stderr);
      assert.equal(stderr, "");
      const out = JSON.parse(stdout);
      assert.deepEqual(out.token_weight.shape, [VOCAB, DIM]);
      for (const [id, row] of Object.entries(out.token_weight.rows)) {
        assert.deepEqual(row, [
          ...Float32Array.from({ length: DIM }, (_, c) => tokenValue(Number(id), c)),
        ]);
      }
      let sum = 0;
      let absSum = 0;
      for (let row = 0; row < VOCAB; row++) {
        for (let c = 0; c < DIM; c++) {
          const value = tokenValue(row, c);
          sum += value;
          absSum += Math.abs(value);
        }
      }
      assert.equal(out.token_weight.sum, sum);
      assert.equal(out.token_weight.abs_sum, absSum);
      assert.deepEqual(out.position_weight.shape, [CONTEXT, DIM]);
      const ids: number[] = out.first_batch.inputs.flat();
      assert.deepEqual(out.input_embeddings.shape, [8, 4, DIM]);
      assert.deepEqual(out.input_embeddings.first_row, [...expectedEmbedding(ids[0], 0)]);
      let embeddingSum = 0;
      ids.forEach((id, i) => expectedEmbedding(id, i % 4).forEach((v) => embeddingSum += v));
      assert.equal(out.input_embeddings.sum, embeddingSum);
      assert.equal(out.weights.dtype, "F32");
    });

    await t.step("peak memory: the tables, not the file as well", async () => {
      const peaks: Record<string, number> = {};
      for (const [name, file] of [["baseline", baseline], ["gpt2", path]]) {
        const { code, stderr, peakBytes } = await runEmbedMeasured(["--weights", file]);
        assert.equal(code, 0, stderr);
        peaks[name] = peakBytes;
      }
      const growth = peaks.gpt2 - peaks.baseline;
      const report = `peak RSS ${(peaks.gpt2 / MIB).toFixed(0)} MiB, baseline ` +
        `${(peaks.baseline / MIB).toFixed(0)} MiB: growth ${(growth / MIB).toFixed(0)} MiB for ` +
        `a file of ${(fileBytes / MIB).toFixed(0)} MiB and tables of ` +
        `${(tableBytes / MIB).toFixed(0)} MiB`;
      // On llvmpipe the "GPU" memory is the process's own, so the tables count once; streaming
      // adds a few chunks of 8 MiB. Reading the file whole would add its 150 MiB again.
      assert.ok(growth < tableBytes + 48 * MIB, report);
      assert.ok(growth < 0.7 * (fileBytes + tableBytes), report);
    });
  });
});
