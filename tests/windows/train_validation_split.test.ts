import assert from "node:assert/strict";
import { InputError, trainValidationSplit } from "../../mod.ts";
import { Prng } from "../../src/util/prng.ts";

Deno.test("trainValidationSplit", async (t) => {
  await t.step("splits at floor(ratio * n); the sides are views that hold every token once", () => {
    const prng = new Prng(5);
    for (let iteration = 0; iteration < 200; iteration++) {
      const n = 20 + prng.below(500);
      const ids = Uint32Array.from({ length: n }, (_, i) => i);
      const ratio = 0.2 + 0.6 * (prng.nextUint32() / 2 ** 32);
      const options = { maxLength: 1 + prng.below(4), stride: 1 + prng.below(4) };
      const { train, validation, splitIndex } = trainValidationSplit(ids, ratio, options);
      assert.equal(splitIndex, Math.floor(ratio * n));
      assert.deepEqual([...train.ids, ...validation.ids], [...ids]);
      assert.equal(train.ids.buffer, ids.buffer);
      assert.equal(validation.ids.byteOffset, splitIndex * 4);
      for (const side of [train, validation]) {
        assert.equal(side.maxLength, options.maxLength);
        assert.equal(side.stride, options.stride);
      }
      // No training window reaches into the validation side.
      const lastTrain = train.target(train.length - 1);
      assert.ok(lastTrain[lastTrain.length - 1] < splitIndex);
    }
  });
  await t.step("the book's 0.9 on 5,145 tokens", () => {
    const { train, validation } = trainValidationSplit(new Uint16Array(5145), 0.9, {
      maxLength: 256,
      stride: 256,
    });
    assert.deepEqual([train.ids.length, validation.ids.length], [4630, 515]);
    assert.deepEqual([train.length, validation.length], [18, 2]);
  });
  await t.step("a ratio outside (0, 1) or a side too short is an error", () => {
    const ids = new Uint32Array(100);
    for (const bad of [0, 1, -0.5, 1.5, NaN, "0.9"]) {
      assert.throws(
        () => trainValidationSplit(ids, bad as number, { maxLength: 4, stride: 1 }),
        (e: unknown) =>
          e instanceof InputError && e.parameter === "trainRatio" &&
          e.message.includes("must be a number in (0, 1), both ends excluded"),
      );
    }
    assert.throws(
      () => trainValidationSplit(ids, 0.95, { maxLength: 8, stride: 1 }),
      /the validation side \(trainRatio 0.95 of 100 tokens\) holds 5 tokens, but maxLength 8 needs at least maxLength \+ 1 = 9/,
    );
    assert.throws(
      () => trainValidationSplit(ids, 0.05, { maxLength: 8, stride: 1 }),
      /the training side \(trainRatio 0.05 of 100 tokens\) holds 5 tokens/,
    );
    assert.throws(
      () => trainValidationSplit(ids, 0.5, { maxLength: 8, stride: 0 }),
      /stride must be/,
    );
  });
});
