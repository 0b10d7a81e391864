import assert from "node:assert/strict";
import { InputError, openSafetensors } from "../../mod.ts";
import { withTempDir } from "../helpers/temp_dir.ts";

/** A file: the 8-byte length (the header's own unless given), the header, then `dataBytes` zeros. */
function rawFile(header: string | Uint8Array, dataBytes = 0, length?: bigint): Uint8Array {
  const json = typeof header === "string" ? new TextEncoder().encode(header) : header;
  const bytes = new Uint8Array(8 + json.length + dataBytes);
  new DataView(bytes.buffer).setBigUint64(0, length ?? BigInt(json.length), true);
  bytes.set(json, 8);
  return bytes;
}

/** A header of tensors given as `[name, dtype, shape, [begin, end]]`. */
function header(...tensors: [string, unknown, unknown, unknown][]): string {
  return JSON.stringify(
    Object.fromEntries(
      tensors.map(([name, dtype, shape, offsets]) => [
        name,
        { dtype, shape, data_offsets: offsets },
      ]),
    ),
  );
}

/** Opening `bytes` fails with an InputError naming the file whose message has every fragment. */
async function assertRejected(bytes: Uint8Array, ...fragments: string[]): Promise<void> {
  await withTempDir(async (dir) => {
    const path = `${dir}/model.safetensors`;
    await Deno.writeFile(path, bytes);
    await assert.rejects(openSafetensors(path), (e: unknown) => {
      assert.ok(e instanceof InputError, `${e}`);
      assert.equal(e.parameter, path);
      assert.ok(e.message.startsWith(path + " "), e.message);
      for (const fragment of fragments) {
        assert.ok(e.message.includes(fragment), `${JSON.stringify(e.message)} lacks ${fragment}`);
      }
      return true;
    });
  });
}

Deno.test("malformed safetensors files: each error names the file and what is wrong", async (t) => {
  await t.step("shorter than the header length field", async () => {
    await assertRejected(
      new Uint8Array(5),
      "is not a safetensors file: it has 5 bytes, fewer than the 8 of the header length",
    );
  });

  await t.step("header length beyond the file", async () => {
    await assertRejected(
      rawFile("{}", 0, 1000n),
      "is not a safetensors file: the header length in its first 8 bytes, 1000, runs past " +
        "the end of the file (2 bytes follow the length)",
    );
  });

  await t.step("an absurd header length (not a safetensors file at all)", async () => {
    await assertRejected(
      rawFile("{}", 0, 0x7fffffffffffffffn),
      "the header length in its first 8 bytes, 9223372036854775807, exceeds the limit of " +
        "100000000 bytes",
    );
    await assertRejected(
      new TextEncoder().encode("PK\x03\x04 this is a zip file, not safetensors"),
      "is not a safetensors file: the header length",
    );
  });

  await t.step("header not UTF-8", async () => {
    await assertRejected(
      rawFile(new Uint8Array([0x7b, 0x7d, 0xff])),
      "is not a safetensors file: its header is not valid UTF-8: invalid byte 0xff at byte offset 2",
    );
  });

  await t.step("header not JSON", async () => {
    await assertRejected(rawFile('{"a": '), "is not a safetensors file: its header is not JSON (");
    await assertRejected(rawFile(""), "its header is not JSON");
  });

  await t.step("header JSON but not an object", async () => {
    await assertRejected(rawFile("[1, 2]"), "its header is an array, not a JSON object");
    await assertRejected(rawFile("null"), "its header is null, not a JSON object");
    await assertRejected(rawFile("42"), "its header is a number, not a JSON object");
  });

  await t.step("__metadata__ not a map of strings", async () => {
    await assertRejected(
      rawFile('{"__metadata__": [1]}'),
      'has a malformed safetensors header: "__metadata__" must be an object of strings, got an array',
    );
    await assertRejected(
      rawFile('{"__metadata__": {"format": "pt", "epochs": 3}}'),
      '"__metadata__" must map names to strings, but "epochs" is 3',
    );
  });

  await t.step("a tensor entry that is not an object", async () => {
    await assertRejected(
      rawFile('{"wte.weight": [0, 4]}'),
      'has a malformed safetensors header: tensor "wte.weight" must be an object with "dtype", ' +
        '"shape" and "data_offsets", got [0,4]',
    );
  });

  await t.step("unknown dtype", async () => {
    await assertRejected(
      rawFile(header(["wte.weight", "F12", [2], [0, 4]]), 4),
      'tensor "wte.weight" has dtype "F12", which is not a safetensors dtype (one of BOOL, F4,',
    );
    await assertRejected(
      rawFile(header(["wte.weight", "f32", [1], [0, 4]]), 4),
      'tensor "wte.weight" has dtype "f32", which is not a safetensors dtype',
    );
    await assertRejected(
      rawFile('{"wte.weight": {"shape": [1], "data_offsets": [0, 4]}}', 4),
      'tensor "wte.weight" has dtype (missing), which is not a safetensors dtype',
    );
  });

  await t.step("malformed shape", async () => {
    for (const shape of [[2, -1], [1.5], "[2]", null, [2, "3"]]) {
      await assertRejected(
        rawFile(header(["wpe.weight", "F32", shape, [0, 8]]), 8),
        `tensor "wpe.weight" has shape ${JSON.stringify(shape)}; a shape must be an array of ` +
          "non-negative integers",
      );
    }
    await assertRejected(
      rawFile(header(["wpe.weight", "F32", [2 ** 30, 2 ** 30], [0, 8]]), 8),
      'tensor "wpe.weight" has shape [1073741824, 1073741824], over 2^53 elements',
    );
  });

  await t.step("malformed data_offsets", async () => {
    for (const offsets of [[0], [0, 4, 8], [-4, 0], [0, "4"], { begin: 0 }, null]) {
      await assertRejected(
        rawFile(header(["wpe.weight", "F32", [1], offsets]), 4),
        `tensor "wpe.weight" has data_offsets ${JSON.stringify(offsets)}; they must be two ` +
          "non-negative integers [begin, end]",
      );
    }
    await assertRejected(
      rawFile(header(["wpe.weight", "F32", [0], [4, 0]]), 4),
      'tensor "wpe.weight" has data_offsets [4, 0], which end before they begin',
    );
  });

  await t.step("offsets out of bounds", async () => {
    const json = header(["a", "F32", [2], [0, 8]], ["wte.weight", "F32", [4], [8, 24]]);
    await assertRejected(
      rawFile(json, 16),
      'tensor "wte.weight" has data_offsets [8, 24], out of bounds: the data section has 16 ' +
        `bytes (the file ${8 + json.length + 16}, of which ${8 + json.length} are the header)`,
    );
  });

  await t.step("byte size not dtype × shape", async () => {
    await assertRejected(
      rawFile(header(["wte.weight", "F32", [2, 2], [0, 12]]), 12),
      'tensor "wte.weight" has data_offsets [0, 12], 12 bytes, but dtype F32 and shape [2, 2] ' +
        "need 16 bytes",
    );
    await assertRejected(
      rawFile(header(["wte.weight", "BF16", [3], [0, 12]]), 12),
      "but dtype BF16 and shape [3] need 6 bytes",
    );
    await assertRejected(
      rawFile(header(["packed", "F4", [3], [0, 2]]), 2),
      'tensor "packed" has 3 elements of F4 (4 bits each), which do not fill whole bytes',
    );
  });

  await t.step("overlapping tensors", async () => {
    await assertRejected(
      rawFile(header(["wpe.weight", "F32", [4], [8, 24]], ["wte.weight", "F32", [4], [0, 16]]), 24),
      'tensors "wte.weight" (data_offsets [0, 16]) and "wpe.weight" (data_offsets [8, 24]) overlap',
    );
    await assertRejected(
      rawFile(header(["a", "F32", [2], [0, 8]], ["b", "F32", [2], [0, 8]]), 8),
      'tensors "a" (data_offsets [0, 8]) and "b" (data_offsets [0, 8]) overlap',
    );
  });

  await t.step("gaps: out of order, not contiguous, unused bytes", async () => {
    await assertRejected(
      rawFile(header(["wte.weight", "F32", [2], [0, 8]], ["wpe.weight", "F32", [2], [12, 20]]), 20),
      'bytes [8, 12) of the data section belong to no tensor (between "wte.weight" and ' +
        '"wpe.weight"); tensors must be contiguous',
    );
    await assertRejected(
      rawFile(header(["wte.weight", "F32", [2], [4, 12]]), 12),
      'bytes [0, 4) of the data section belong to no tensor (before the first tensor, "wte.weight")',
    );
    await assertRejected(
      rawFile(header(["wte.weight", "F32", [2], [0, 8]]), 10),
      'bytes [8, 10) of the data section belong to no tensor (after the last tensor, "wte.weight"); ' +
        "tensors must cover the data section",
    );
    await assertRejected(
      rawFile('{"__metadata__": {}}', 3),
      "bytes [0, 3) of the data section belong to no tensor (the header lists no tensors)",
    );
  });
});

Deno.test("well-formed edge cases open", async (t) => {
  await t.step("no tensors, no data", async () => {
    await withTempDir(async (dir) => {
      await Deno.writeFile(`${dir}/empty.safetensors`, rawFile("{}"));
      using file = await openSafetensors(`${dir}/empty.safetensors`);
      assert.deepEqual(file.tensors, []);
      assert.throws(
        () => file.tensor("wte.weight"),
        /has no tensor "wte.weight"; it has no tensors/,
      );
    });
  });

  await t.step("a header padded with spaces, F4 and I64 tensors", async () => {
    await withTempDir(async (dir) => {
      const json = header(["packed", "F4", [2, 3], [0, 3]], ["ids", "I64", [1], [3, 11]]) + "   ";
      await Deno.writeFile(`${dir}/m.safetensors`, rawFile(json, 11));
      using file = await openSafetensors(`${dir}/m.safetensors`);
      assert.deepEqual(file.tensors.map((t) => [t.name, t.byteLength]), [["packed", 3], [
        "ids",
        8,
      ]]);
      assert.equal((await file.readTensor("packed", { as: "raw" })).length, 3);
      assert.throws(
        () => file.readRows("packed", 0, 1, { as: "raw" }),
        /tensor "packed" has rows of 3 F4 elements, which do not end on byte boundaries/,
      );
    });
  });

  await t.step("a list of tensor names is cut at twenty", async () => {
    await withTempDir(async (dir) => {
      const names = Array.from({ length: 25 }, (_, i) => `h.${String(i).padStart(2, "0")}.bias`);
      const json = header(
        ...names.map((n, i): [string, unknown, unknown, unknown] => [n, "U8", [1], [i, i + 1]]),
      );
      await Deno.writeFile(`${dir}/m.safetensors`, rawFile(json, 25));
      using file = await openSafetensors(`${dir}/m.safetensors`);
      assert.throws(
        () => file.tensor("wte.weight"),
        (e: unknown) =>
          e instanceof InputError &&
          e.message.endsWith(
            'has no tensor "wte.weight"; its 25 tensors: ' +
              names.slice(0, 20).map((n) => `"${n}"`).join(", ") + ", and 5 more",
          ),
      );
    });
  });
});
