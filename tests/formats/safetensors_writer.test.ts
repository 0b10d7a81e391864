import assert from "node:assert/strict";
import { InputError, openSafetensors, writeSafetensors } from "../../mod.ts";
import { SAFETENSORS_REFERENCE_URL, safetensorsReference } from "../helpers/fixtures.ts";
import { withTempDir } from "../helpers/temp_dir.ts";

async function entries(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

/** The header's JSON text and its length field. */
async function headerOf(path: string): Promise<{ length: number; text: string }> {
  const bytes = await Deno.readFile(path);
  const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  return { length, text: new TextDecoder().decode(bytes.subarray(8, 8 + length)) };
}

Deno.test("writing safetensors files", async (t) => {
  const reference = await safetensorsReference();

  await t.step("byte for byte what the reference implementation writes", async () => {
    const values = new Float32Array(reference.f32);
    await withTempDir(async (dir) => {
      const path = `${dir}/ours.safetensors`;
      await writeSafetensors(path, {
        f16: { dtype: "F16", shape: [4, 5], data: values }, // rounded here, by numpy there
        i64: {
          dtype: "I64",
          shape: [3],
          data: new Uint8Array(new BigInt64Array(reference.i64.map(BigInt)).buffer),
        },
        bf16: { dtype: "BF16", shape: [4, 5], data: values },
        f32: { dtype: "F32", shape: [4, 5], data: values },
      }, { metadata: { format: "np" } });
      assert.deepEqual(await Deno.readFile(path), await Deno.readFile(SAFETENSORS_REFERENCE_URL));
      assert.deepEqual(await entries(dir), ["ours.safetensors"]); // no temporary file left
    });
  });

  await t.step("round trips: F32, F16 and BF16 from float32 values or as bits", async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/tables.safetensors`;
      const values = new Float32Array(reference.f32);
      const bf16Bits = new Uint16Array(reference.bf16_bits);
      await writeSafetensors(path, {
        "transformer.wte.weight": { dtype: "F32", shape: [4, 5], data: values },
        "half": { dtype: "F16", shape: [20], data: new Uint16Array(reference.f16_bits) },
        "brain": { dtype: "BF16", shape: [2, 2, 5], data: bf16Bits },
        "scalar": { dtype: "F32", shape: [], data: new Float32Array([7.5]) },
        "empty": { dtype: "F16", shape: [0, 4], data: new Float32Array(0) },
      });
      using file = await openSafetensors(path);
      const same = (a: ArrayLike<number>, b: ArrayLike<number>) =>
        Array.from(a).every((v, i) =>
          Object.is(v, b[i]) || (Number.isNaN(v) && Number.isNaN(b[i]))
        );
      assert.ok(same(await file.readTensor("transformer.wte.weight"), values));
      assert.ok(same(await file.readTensor("half"), reference.f16));
      assert.ok(same(await file.readTensor("brain"), reference.bf16));
      assert.deepEqual([...await file.readTensor("brain", { as: "raw" })], [
        ...new Uint8Array(bf16Bits.buffer),
      ]);
      assert.deepEqual([...await file.readTensor("scalar")], [7.5]);
      assert.deepEqual(file.tensor("empty").shape, [0, 4]);
      assert.deepEqual(file.tensor("brain").shape, [2, 2, 5]);
    });
  });

  await t.step("layout: padded header, largest elements first, then by name", async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/order.safetensors`;
      const one = (dtype: "F32" | "F16" | "BF16") => ({
        dtype,
        shape: [1],
        data: new Float32Array([1]),
      });
      // integer-like names keep their place in the header (a JS object would move them first)
      await writeSafetensors(path, {
        "b16": one("F16"),
        "9": one("F32"),
        "10": one("F32"),
        "a16": one("BF16"),
        "i8": { dtype: "I8", shape: [3], data: new Uint8Array([1, 2, 3]) },
      });
      const { length, text } = await headerOf(path);
      assert.equal(length % 8, 0);
      assert.match(text.slice(text.lastIndexOf("}") + 1), /^ *$/); // padded with spaces
      assert.match(text, /^\{"10":\{"dtype":"F32","shape":\[1\],"data_offsets":\[0,4\]\},"9":/);
      using file = await openSafetensors(path);
      assert.deepEqual(file.tensors.map((t) => t.name), ["10", "9", "a16", "b16", "i8"]);
      for (const tensor of file.tensors) {
        assert.equal(tensor.byteOffset % (tensor.byteLength / tensor.shape[0]), 0, tensor.name);
      }
      assert.deepEqual([...await file.readTensor("a16", { as: "raw" })], [0x80, 0x3f]);
    });
  });

  await t.step("an existing file is kept unless overwrite is asked for", async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/model.safetensors`;
      const first = { t: { dtype: "F32" as const, shape: [2], data: new Float32Array([1, 2]) } };
      const second = { t: { dtype: "F32" as const, shape: [2], data: new Float32Array([3, 4]) } };
      await writeSafetensors(path, first);
      const before = await Deno.readFile(path);
      await assert.rejects(
        writeSafetensors(path, second),
        (e: unknown) =>
          e instanceof InputError && e.parameter === path &&
          e.message === `${path} already exists; pass { overwrite: true } to replace it`,
      );
      assert.deepEqual(await Deno.readFile(path), before);
      await writeSafetensors(path, second, { overwrite: true });
      using file = await openSafetensors(path);
      assert.deepEqual([...await file.readTensor("t")], [3, 4]);
      assert.deepEqual(await entries(dir), ["model.safetensors"]);
    });
  });

  await t.step("a failed rename leaves no temporary file behind", async () => {
    await withTempDir(async (dir) => {
      await Deno.mkdir(`${dir}/sub`);
      const tensors = { t: { dtype: "U8" as const, shape: [1], data: new Uint8Array([1]) } };
      // renaming the finished file over a directory fails, after all the data was written
      await assert.rejects(writeSafetensors(`${dir}/sub`, tensors, { overwrite: true }));
      assert.deepEqual(await entries(dir), ["sub"]);
      assert.deepEqual(await entries(`${dir}/sub`), []);
    });
  });

  await t.step("bad arguments are refused before anything is written", async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/bad.safetensors`;
      const cases: [unknown, unknown, RegExp][] = [
        [
          { t: { dtype: "F12", shape: [1], data: new Float32Array(1) } },
          {},
          /tensors\["t"\]\.dtype must be a safetensors dtype \(one of BOOL, .*\), got "F12"/,
        ],
        [
          { t: { dtype: "F32", shape: [2, -1], data: new Float32Array(2) } },
          {},
          /tensors\["t"\]\.shape must be an array of non-negative integers, got \[2,-1\]/,
        ],
        [
          { t: { dtype: "F32", shape: [2, 3], data: new Float32Array(5) } },
          {},
          /tensors\["t"\]\.data must have 6 values for dtype F32 and shape \[2, 3\], got 5/,
        ],
        [
          { t: { dtype: "I64", shape: [2], data: new Uint8Array(15) } },
          {},
          /tensors\["t"\]\.data must have 16 bytes for dtype I64 and shape \[2\], got 15/,
        ],
        [
          { t: { dtype: "I32", shape: [2], data: new Float32Array(2) } },
          {},
          /tensors\["t"\]\.data must be a Float32Array \(for F32, F16, BF16\), .* got a Float32Array for dtype I32/,
        ],
        [
          { t: { dtype: "F32", shape: [2], data: new Uint16Array(2) } },
          {},
          /got a Uint16Array for dtype F32/,
        ],
        [
          { t: { dtype: "F4", shape: [3], data: new Uint8Array(2) } },
          {},
          /tensors\["t"\]\.shape \[3\] has 3 elements of F4 \(4 bits each\), which do not fill whole bytes/,
        ],
        [
          { __metadata__: { dtype: "F32", shape: [1], data: new Float32Array(1) } },
          {},
          /tensors\["__metadata__"\] is not allowed/,
        ],
        [[], {}, /tensors must be an object of tensors by name, got an array/],
        [{}, { metadata: { epochs: 3 } }, /metadata\["epochs"\] must be a string, got 3/],
        [{}, { metadata: "pt" }, /metadata must be an object of strings, got "pt"/],
        [{}, { overwrite: "yes" }, /overwrite must be true or false, got "yes"/],
      ];
      for (const [tensors, options, message] of cases) {
        await assert.rejects(
          // @ts-expect-error: deliberately wrong arguments
          writeSafetensors(path, tensors, options),
          (e: unknown) => e instanceof InputError && message.test(e.message),
          String(message),
        );
      }
      await assert.rejects(
        writeSafetensors(`${dir}/missing/x.safetensors`, {}),
        new RegExp(`${dir}/missing/x.safetensors cannot be written: its directory does not exist`),
      );
      assert.deepEqual(await entries(dir), []);
    });
  });

  await t.step("a file: URL and an empty file of metadata only", async () => {
    await withTempDir(async (dir) => {
      const url = new URL(`file://${dir}/meta only.safetensors`);
      await writeSafetensors(url, {}, { metadata: { format: "pt", note: "ünïcode" } });
      using file = await openSafetensors(url);
      assert.equal(file.path, `${dir}/meta only.safetensors`);
      assert.deepEqual(file.metadata, { format: "pt", note: "ünïcode" });
      assert.deepEqual(file.tensors, []);
    });
  });
});
