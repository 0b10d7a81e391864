import assert from "node:assert/strict";
import {
  GpuDevice,
  InputEmbedding,
  InputError,
  openSafetensors,
  PositionalEmbedding,
  type TensorToWrite,
  TokenEmbedding,
  TorchGenerator,
  writeSafetensors,
} from "../../mod.ts";
import { gatherPositionalAddCpu } from "../../src/gpu/kernels/embedding/cpu_reference.ts";
import { withTempDir } from "../helpers/temp_dir.ts";

const gpu = await GpuDevice.shared();
const alignment = gpu.limits.minStorageBufferOffsetAlignment;

type FileDtype = "F32" | "F16" | "BF16";

/** A float32 value rounded to bfloat16 (nearest, ties to even), from its bits. */
function bf16Round(value: number): number {
  const bits = new Uint32Array(Float32Array.of(value).buffer)[0];
  const rounded = ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) << 16;
  return new Float32Array(Uint32Array.of(rounded >>> 0).buffer)[0];
}

/** The values a file of `dtype` holds for `values` (its writer rounds to nearest even). */
function stored(values: Float32Array, dtype: FileDtype): Float32Array {
  if (dtype === "F32") return values.slice();
  return Float32Array.from(values, dtype === "F16" ? Math.f16round : bf16Round);
}

/** Seeded normal values (varied mantissas, so that every rounding shows). */
function normals(count: number, seed: number): Float32Array {
  return new TorchGenerator(seed).normal(count);
}

/** Ids `[rows, seq]` covering the first and last token and some in between. */
function batchIds(vocab: number, rows: number, seq: number): number[][] {
  return Array.from(
    { length: rows },
    (_, r) => Array.from({ length: seq }, (_, t) => (r * 7919 + t * 104729) % vocab),
  ).map((row, r) => r === 0 ? [0, vocab - 1, ...row.slice(2)] : row);
}

async function expectEmbeddings(
  embedding: InputEmbedding<"f32" | "f16">,
  ids: number[][],
  token: Float32Array,
  position: Float32Array,
  label: string,
): Promise<void> {
  using out = await embedding.forward(ids);
  const seq = ids[0].length;
  const dim = embedding.dim;
  assert.deepEqual(out.shape, [ids.length, seq, dim], label);
  const expected = gatherPositionalAddCpu(ids.flat(), token, position, seq, dim);
  assert.deepEqual(await out.read(), expected, label);
}

Deno.test("InputEmbedding.fromSafetensors: F32, F16 and BF16 files against the CPU", async (t) => {
  const [vocab, contextLength, dim] = [37, 5, 6];
  const wte = normals(vocab * dim, 1);
  const wpe = normals(contextLength * dim, 2);
  const ids = batchIds(vocab, 3, 4);
  const tensorsBefore = gpu.liveTensors;
  await withTempDir(async (dir) => {
    for (const fileDtype of ["F32", "F16", "BF16"] as const) {
      for (const prefix of ["", "transformer."]) {
        const path = `${dir}/${prefix}${fileDtype}.safetensors`;
        await writeSafetensors(path, {
          [`${prefix}wte.weight`]: { dtype: fileDtype, shape: [vocab, dim], data: wte },
          [`${prefix}wpe.weight`]: { dtype: fileDtype, shape: [contextLength, dim], data: wpe },
          // other tensors of a model file are left alone
          [`${prefix}h.0.ln_1.weight`]: { dtype: fileDtype, shape: [dim], data: wte.slice(0, dim) },
        }, { metadata: { format: "pt" } });
        const token = stored(wte, fileDtype);
        const position = stored(wpe, fileDtype);
        await t.step(`${prefix}wte / ${prefix}wpe in ${fileDtype}, as f32: exact`, async () => {
          using embedding = await InputEmbedding.fromSafetensors(gpu, path, { vocabSize: vocab });
          assert.deepEqual(embedding.token.weight.shape, [vocab, dim]);
          assert.equal(embedding.token.weight.dtype, "f32");
          assert.deepEqual(embedding.position.weight.shape, [contextLength, dim]);
          assert.deepEqual(await embedding.token.weight.read(), token);
          assert.deepEqual(await embedding.position.weight.read(), position);
          await expectEmbeddings(embedding, ids, token, position, `${fileDtype} as f32`);
        });
        await t.step(`${prefix}wte / ${prefix}wpe in ${fileDtype}, as f16`, async () => {
          using embedding = await InputEmbedding.fromSafetensors(gpu, path, { dtype: "f16" });
          assert.equal(embedding.token.weight.dtype, "f16");
          assert.equal(embedding.position.weight.dtype, "f32"); // positions stay float32
          const halves = Float32Array.from(token, Math.f16round);
          assert.deepEqual(await embedding.token.weight.read(), halves);
          await expectEmbeddings(embedding, ids, halves, position, `${fileDtype} as f16`);
        });
      }
    }
  });
  assert.equal(gpu.liveTensors, tensorsBefore);
});

Deno.test("streaming: chunks across segments, odd widths, open files", async (t) => {
  await withTempDir(async (dir) => {
    await t.step("an f16 table of odd width over three segments, in small chunks", async () => {
      const [vocab, dim] = [300, 5]; // f16 rows of 10 bytes: segments of 128 rows
      const wte = normals(vocab * dim, 3);
      const wpe = normals(4 * dim, 4);
      const path = `${dir}/odd.safetensors`;
      await writeSafetensors(path, {
        "wte.weight": { dtype: "F32", shape: [vocab, dim], data: wte },
        "wpe.weight": { dtype: "F32", shape: [4, dim], data: wpe },
      });
      for (const dtype of ["f16", "f32"] as const) {
        using embedding = await InputEmbedding.fromSafetensors(gpu, path, {
          dtype,
          rowsPerChunk: 7, // rounded up to 8 for f16 rows of odd width
          maxBindingBytes: alignment * (dtype === "f16" ? 5 : 10),
        });
        assert.equal(embedding.token.weight.segments.length, 3, dtype);
        const token = dtype === "f16" ? Float32Array.from(wte, Math.f16round) : wte;
        assert.deepEqual(await embedding.token.weight.read(), token, dtype);
        const ids = [[127, 128, 255, 256], [0, 299, 129, 1]]; // both sides of each boundary
        await expectEmbeddings(embedding, ids, token, wpe, `${dtype} over segments`);
      }
    });

    await t.step("F16 bits reach an f16 table as stored (subnormals, -0, infinities)", async () => {
      const bits = Uint16Array.of(0x0001, 0x8000, 0x7c00, 0xfc00, 0x3555, 0x03ff, 0xc000, 0x7bff);
      const path = `${dir}/bits.safetensors`;
      await writeSafetensors(path, { "wte.weight": { dtype: "F16", shape: [4, 2], data: bits } });
      using f16 = await TokenEmbedding.fromSafetensors(gpu, path, { dtype: "f16" });
      const values = Array.from(new Float16Array(bits.buffer));
      assert.deepEqual([...await f16.weight.read()], values);
      using f32 = await TokenEmbedding.fromSafetensors(gpu, path);
      assert.deepEqual([...await f32.weight.read()], values);
    });

    await t.step("tables of other names, from a file opened once (and left open)", async () => {
      const path = `${dir}/llama-like.safetensors`;
      const tokens = normals(10 * 4, 5);
      const positions = normals(3 * 4, 6);
      await writeSafetensors(path, {
        "model.embed_tokens.weight": { dtype: "BF16", shape: [10, 4], data: tokens },
        "model.embed_positions.weight": { dtype: "F32", shape: [3, 4], data: positions },
      });
      using file = await openSafetensors(path);
      using token = await TokenEmbedding.fromSafetensors(gpu, file, {
        tensor: "model.embed_tokens.weight",
        vocabSize: 10,
      });
      using position = await PositionalEmbedding.fromSafetensors(gpu, file, {
        tensor: "model.embed_positions.weight",
        rowsPerChunk: 1,
      });
      assert.deepEqual(await token.weight.read(), stored(tokens, "BF16"));
      assert.deepEqual([position.contextLength, position.dim], [3, 4]);
      assert.deepEqual(await position.weight.read(), positions);
      assert.deepEqual(await file.readTensor("model.embed_positions.weight"), positions);
      using combined = await InputEmbedding.fromSafetensors(gpu, file, {
        tokenTensor: "model.embed_tokens.weight",
        positionTensor: "model.embed_positions.weight",
      });
      await expectEmbeddings(
        combined,
        [[9, 0, 4], [1, 2, 3]],
        stored(tokens, "BF16"),
        positions,
        "renamed tables",
      );
      using url = await PositionalEmbedding.fromSafetensors(
        gpu,
        new URL(`file://${await Deno.realPath(path)}`),
        { tensor: "model.embed_positions.weight" },
      );
      assert.deepEqual(await url.weight.read(), positions);
    });
  });
});

Deno.test("malformed and mismatched files: clear input errors before any GPU work", async (t) => {
  const tensorsBefore = gpu.liveTensors;
  const buffersBefore = gpu.liveBuffers;
  await withTempDir(async (dir) => {
    const f32 = (shape: number[]): TensorToWrite => ({
      dtype: "F32",
      shape,
      data: new Float32Array(shape.reduce((a, b) => a * b, 1)),
    });
    let n = 0;
    const file = async (tensors: Record<string, TensorToWrite>) => {
      const path = `${dir}/model${n++}.safetensors`;
      await writeSafetensors(path, tensors);
      return path;
    };
    const rejects = async (
      load: () => Promise<unknown>,
      parameter: string,
      message: string | RegExp,
    ) => {
      await assert.rejects(load, (e: unknown) => {
        assert.ok(e instanceof InputError, String(e));
        assert.equal(e.parameter, parameter);
        if (typeof message === "string") assert.equal(e.message, message);
        else assert.match(e.message, message);
        return true;
      });
    };
    const good = { "wte.weight": f32([10, 4]), "wpe.weight": f32([3, 4]) };

    await t.step("a missing table: the names the file has", async () => {
      const path = await file({ "h.0.attn.bias": f32([2]), "wpe.weight": f32([3, 4]) });
      await rejects(
        () => InputEmbedding.fromSafetensors(gpu, path),
        path,
        `${path} has no token embedding table: no tensor "wte.weight" or ` +
          `"transformer.wte.weight"; its 2 tensors: "h.0.attn.bias", "wpe.weight"`,
      );
      const noPositions = await file({ "transformer.wte.weight": f32([10, 4]) });
      await rejects(
        () => InputEmbedding.fromSafetensors(gpu, noPositions),
        noPositions,
        `${noPositions} has no position embedding table: no tensor "wpe.weight" or ` +
          `"transformer.wpe.weight"; its 1 tensors: "transformer.wte.weight"`,
      );
      await rejects(
        () => TokenEmbedding.fromSafetensors(gpu, noPositions, { tensor: "wte" }),
        noPositions,
        `${noPositions} has no tensor "wte"; its 1 tensors: "transformer.wte.weight"`,
      );
      const empty = await file({});
      await rejects(
        () => PositionalEmbedding.fromSafetensors(gpu, empty),
        empty,
        `${empty} has no position embedding table: no tensor "wpe.weight" or ` +
          `"transformer.wpe.weight"; it has no tensors`,
      );
    });

    await t.step("both spellings at once", async () => {
      const path = await file({ ...good, "transformer.wte.weight": f32([10, 4]) });
      await rejects(
        () => InputEmbedding.fromSafetensors(gpu, path),
        path,
        `${path} has two token embedding tables, "wte.weight" and "transformer.wte.weight"; ` +
          "choose one with the tokenTensor option",
      );
      await rejects(
        () => TokenEmbedding.fromSafetensors(gpu, path),
        path,
        /choose one with the tensor option$/,
      );
      using chosen = await TokenEmbedding.fromSafetensors(gpu, path, {
        tensor: "transformer.wte.weight",
      });
      assert.deepEqual(chosen.weight.shape, [10, 4]);
    });

    await t.step("tables that are not 2-D, or empty", async () => {
      for (
        const [shape, shown] of [[[40], "[40]"], [[2, 5, 4], "[2, 5, 4]"], [[0, 4], "[0, 4]"], [
          [10, 0],
          "[10, 0]",
        ]] as const
      ) {
        const path = await file({ "wte.weight": f32([...shape]), "wpe.weight": f32([3, 4]) });
        await rejects(
          () => InputEmbedding.fromSafetensors(gpu, path),
          path,
          `${path} has a token embedding table "wte.weight" of shape ${shown}; an embedding ` +
            "table must be 2-D, [vocabulary, dim], with at least one row and one column",
        );
      }
      const path = await file({ "wte.weight": f32([10, 4]), "wpe.weight": f32([12]) });
      await rejects(
        () => InputEmbedding.fromSafetensors(gpu, path),
        path,
        `${path} has a position embedding table "wpe.weight" of shape [12]; an embedding ` +
          "table must be 2-D, [context length, dim], with at least one row and one column",
      );
    });

    await t.step("dtypes other than F32, F16 and BF16", async () => {
      for (const dtype of ["F64", "I64", "U8"] as const) {
        const bytes = new Uint8Array(10 * 4 * (dtype === "U8" ? 1 : 8));
        const path = await file({
          "wte.weight": { dtype, shape: [10, 4], data: bytes },
          "wpe.weight": f32([3, 4]),
        });
        await rejects(
          () => InputEmbedding.fromSafetensors(gpu, path),
          path,
          `${path} has a token embedding table "wte.weight" of dtype ${dtype}; embedding ` +
            "tables must be F32, F16 or BF16",
        );
      }
    });

    await t.step("tables of different dimensions", async () => {
      const path = await file({ "wte.weight": f32([10, 4]), "wpe.weight": f32([3, 6]) });
      await rejects(
        () => InputEmbedding.fromSafetensors(gpu, path),
        path,
        `${path} has a token embedding table "wte.weight" [10, 4] and a position embedding ` +
          `table "wpe.weight" [3, 6] of different dimensions (4 and 6)`,
      );
    });

    await t.step("a vocabulary other than the tokenizer's", async () => {
      const path = await file(good);
      const message = `vocabSize is 50257, but the token embedding table "wte.weight" [10, 4] ` +
        `in ${path} has 10 rows, one per token of the vocabulary it was trained with`;
      await rejects(
        () => InputEmbedding.fromSafetensors(gpu, path, { vocabSize: 50257 }),
        "vocabSize",
        message,
      );
      await rejects(
        () => TokenEmbedding.fromSafetensors(gpu, path, { vocabSize: 50257 }),
        "vocabSize",
        message,
      );
    });

    await t.step("bad options and sources", async () => {
      const path = await file(good);
      await rejects(
        () => InputEmbedding.fromSafetensors(gpu, path, { vocabSize: 0 }),
        "vocabSize",
        "vocabSize must be an integer >= 1, got 0",
      );
      await rejects(
        () => InputEmbedding.fromSafetensors(gpu, path, { dtype: "f64" as "f32" }),
        "dtype",
        'dtype must be "f32" or "f16", got "f64"',
      );
      await rejects(
        () => InputEmbedding.fromSafetensors(gpu, path, { rowsPerChunk: 0 }),
        "rowsPerChunk",
        "rowsPerChunk must be an integer >= 1, got 0",
      );
      await rejects(
        () => InputEmbedding.fromSafetensors(gpu, path, { tokenTensor: 5 as unknown as string }),
        "tokenTensor",
        "tokenTensor must be a tensor's name (a string), got 5",
      );
      await rejects(
        () => TokenEmbedding.fromSafetensors(gpu, 42 as unknown as string),
        "source",
        "source must be a safetensors file's path, a file: URL or a file from " +
          "openSafetensors, got 42",
      );
      await rejects(
        () => InputEmbedding.fromSafetensors(gpu, path, null as unknown as object),
        "options",
        /^options must be \{ vocabSize\?, tokenTensor\?, positionTensor\?, dtype\?/,
      );
      await rejects(
        () => PositionalEmbedding.fromSafetensors({} as GpuDevice, path),
        "gpu",
        /^gpu must be a GpuDevice/,
      );
    });

    await t.step("files that are missing or not safetensors (the reader's errors)", async () => {
      const missing = `${dir}/nothing.safetensors`;
      await rejects(
        () => InputEmbedding.fromSafetensors(gpu, missing),
        missing,
        `${missing} does not exist`,
      );
      const text = `${dir}/model.txt`;
      await Deno.writeTextFile(text, "not a model at all");
      await rejects(
        () => InputEmbedding.fromSafetensors(gpu, text),
        text,
        new RegExp(`^${text} is not a safetensors file: the header length`),
      );
    });

    await t.step("a table larger than the device can bind", async () => {
      const path = await file({ "wte.weight": f32([4096, 4]), "wpe.weight": f32([3, 4]) });
      const segments = gpu.limits.maxStorageBuffersPerShaderStage - 3;
      await rejects(
        () => InputEmbedding.fromSafetensors(gpu, path, { maxBindingBytes: alignment }),
        path,
        new RegExp(
          `^${path} makes its token embedding table "wte.weight" \\[4096, 4\\] as f32 65536 ` +
            `bytes, more than this device can bind for one tensor: ${segments} storage bindings`,
        ),
      );
    });
  });
  assert.equal(gpu.liveTensors, tensorsBefore, "no tensor was made");
  assert.equal(gpu.liveBuffers, buffersBefore, "no buffer was made");
});
