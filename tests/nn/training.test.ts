import assert from "node:assert/strict";
import {
  AdamW,
  GpuDevice,
  InputEmbedding,
  InputError,
  Parameter,
  PositionalEmbedding,
  sinusoidalPositionalEncoding,
  Tensor,
  TokenEmbedding,
  TorchGenerator,
} from "../../mod.ts";
import { adamwStepCpu } from "../../src/gpu/kernels/adamw/cpu_reference.ts";
import {
  embeddingBackwardCpu,
  positionalBackwardCpu,
} from "../../src/gpu/kernels/embedding_backward/cpu_reference.ts";
import { assertClose } from "../helpers/assert_close.ts";
import { chapter2Reference, FIXTURES_URL } from "../helpers/fixtures.ts";

const gpu = await GpuDevice.shared();

interface BackwardReference {
  config: { seed: number; lr: number; ids: number[][] };
  repeated_ids: Record<string, number>;
  token_grad: { sum: number; abs_sum: number; rows: Record<string, number[]> };
  position_grad: { sum: number; first_row: number[] };
  after_step: {
    token_sum: number;
    token_rows: Record<string, number[]>;
    token_row0_before: number[];
    position_sum: number;
  };
}

async function backwardReference(): Promise<{ reference: BackwardReference; R: Float32Array }> {
  const text = await Deno.readTextFile(new URL("embedding_backward_reference.json", FIXTURES_URL));
  const bytes = await Deno.readFile(new URL("embedding_backward_R_seed99.f32", FIXTURES_URL));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const R = Float32Array.from(
    { length: bytes.byteLength / 4 },
    (_, i) => view.getFloat32(4 * i, true),
  );
  return { reference: JSON.parse(text), R };
}

function sum(values: Float32Array, abs = false): number {
  let total = 0;
  for (const v of values) total += abs ? Math.abs(v) : v;
  return total;
}

Deno.test("InputEmbedding backward and one AdamW step reproduce PyTorch's", async (t) => {
  const { reference, R } = await backwardReference();
  const { ids, seed, lr } = reference.config;
  for (const split of [false, true]) {
    // The token table whole, and split into segments (as tables larger than a binding are).
    await t.step(split ? "token table in 4 segments" : "token table in one binding", async () => {
      const storage = split ? { maxBindingBytes: 13_000 * 1024 } : {};
      using embedding = await InputEmbedding.create(gpu, {
        vocabSize: 50257,
        contextLength: 4,
        dim: 256,
        seed,
        ...storage,
      });
      assert.equal(embedding.token.weight.segments.length, split ? 4 : 1);
      const row0Before = await embedding.token.weight.readRows(0, 1);
      const tokenSumBefore = sum(await embedding.token.weight.read());
      assertClose(row0Before.subarray(0, 8), reference.after_step.token_row0_before, {
        atol: 1e-6,
      });
      using optimizer = new AdamW(embedding.parameters(), { lr });
      using gradOutput = await Tensor.from(gpu, R, { shape: [8, 4, 256] });
      await optimizer.zeroGrad();
      await embedding.backward(ids, gradOutput);

      const tokenGrad = await embedding.token.grad!.read();
      for (const [id, first8] of Object.entries(reference.token_grad.rows)) {
        const row = tokenGrad.subarray(Number(id) * 256, Number(id) * 256 + 8);
        assertClose(row, first8, { atol: 1e-5 }, `token grad row ${id}`);
      }
      for (const id of Object.keys(reference.repeated_ids)) {
        assert.ok(ids.flat().filter((x) => x === Number(id)).length === 2, `${id} occurs twice`);
      }
      assertClose([sum(tokenGrad)], [reference.token_grad.sum], { rtol: 1e-6 }, "token grad sum");
      assertClose([sum(tokenGrad, true)], [reference.token_grad.abs_sum], { rtol: 1e-6 });
      const positionGrad = await embedding.position.grad!.read();
      assertClose(positionGrad.subarray(0, 8), reference.position_grad.first_row, { atol: 1e-5 });
      assertClose([sum(positionGrad)], [reference.position_grad.sum], { rtol: 1e-6 });

      await optimizer.step();
      const token = await embedding.token.weight.read();
      for (const [id, first8] of Object.entries(reference.after_step.token_rows)) {
        const row = token.subarray(Number(id) * 256, Number(id) * 256 + 8);
        assertClose(row, first8, { atol: 1e-6 }, `token row ${id} after the step`);
      }
      // Row 0, untouched by the batch: a zero gradient, so only the decay moves it.
      const decay = Math.fround(1 - lr * 0.01);
      assert.deepEqual(
        token.subarray(0, 256),
        row0Before.map((x) => Math.fround(x * decay)),
      );
      // The seeded table itself follows PyTorch's within float32 rounding (the fixtures' 1e-5
      // relative); what the step changed must match more closely.
      assertClose([sum(token)], [reference.after_step.token_sum], { rtol: 1e-5 }, "token sum");
      const book = await chapter2Reference();
      assertClose(
        [sum(token) - tokenSumBefore],
        [reference.after_step.token_sum - book.gpt2_embeddings_after_seed.token_weight_sum],
        { atol: 1e-5 },
        "the step's change of the token table's sum",
      );
      const position = await embedding.position.weight.read();
      assertClose([sum(position)], [reference.after_step.position_sum], { rtol: 1e-5 });
      assert.equal(optimizer.stepCount(embedding.parameters()[0]), 1);
    });
  }
});

/** Trains an input embedding for a few steps on random batches; returns both tables. */
async function trainSmall(seed: number): Promise<Float32Array[]> {
  const random = new TorchGenerator(seed);
  using embedding = await InputEmbedding.create(gpu, {
    vocabSize: 300,
    contextLength: 6,
    dim: 20,
    seed,
    maxBindingBytes: 2560, // 32 rows a segment: 10 segments
  });
  using optimizer = new AdamW(embedding.parameters(), { lr: 1e-2 });
  for (let step = 0; step < 4; step++) {
    const ids = {
      data: Uint32Array.from({ length: 5 * 6 }, () => random.nextUint32() % 40),
      shape: [5, 6],
    };
    using gradOutput = await Tensor.from(gpu, random.normal(5 * 6 * 20), { shape: [5, 6, 20] });
    await optimizer.zeroGrad();
    await embedding.backward(ids, gradOutput);
    await optimizer.step();
  }
  return [await embedding.token.weight.read(), await embedding.position.weight.read()];
}

Deno.test("training follows the CPU reference, and two runs give bit-identical tables", async () => {
  const first = await trainSmall(5);
  const second = await trainSmall(5);
  assert.deepEqual(second, first);

  // The same steps on the CPU.
  const random = new TorchGenerator(5);
  const seeded = new TorchGenerator(5);
  const token = seeded.normal(300 * 20);
  const position = seeded.normal(6 * 20);
  const moments = [token, position].map((
    t,
  ) => [new Float32Array(t.length), new Float32Array(t.length)]);
  for (let step = 1; step <= 4; step++) {
    const ids = Uint32Array.from({ length: 30 }, () => random.nextUint32() % 40);
    const gradOutput = random.normal(5 * 6 * 20);
    const tokenGrad = embeddingBackwardCpu(gradOutput, ids, new Float32Array(300 * 20), 20);
    const positionGrad = positionalBackwardCpu(gradOutput, new Float32Array(6 * 20), 6, 20);
    const hyper = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step };
    adamwStepCpu(token, tokenGrad, moments[0][0], moments[0][1], hyper);
    adamwStepCpu(position, positionGrad, moments[1][0], moments[1][1], hyper);
  }
  // The moment updates' fused multiply-adds may round differently on the device: a few ulps.
  assertClose(first[0], token, { atol: 1e-6, rtol: 1e-6 }, "token table");
  assertClose(first[1], position, { atol: 1e-6, rtol: 1e-6 }, "position table");
});

Deno.test("gradients accumulate until zeroGrad; parameters without a gradient are skipped", async () => {
  using embedding = await TokenEmbedding.create(gpu, 4, 2, {
    weight: [[1, 1], [2, 2], [3, 3], [4, 4]],
  });
  assert.equal(embedding.grad, undefined);
  using optimizer = new AdamW(embedding.parameters(), { lr: 0.1 });
  await optimizer.step(); // no gradient yet: nothing moves, no step counted
  assert.deepEqual([...await embedding.weight.read()], [1, 1, 2, 2, 3, 3, 4, 4]);
  assert.equal(optimizer.stepCount(embedding.parameters()[0]), 0);
  using gradOutput = await Tensor.from(gpu, [[1, 2]]);
  await embedding.backward([3], gradOutput);
  await embedding.backward([3], gradOutput);
  assert.deepEqual([...await embedding.grad!.read()], [0, 0, 0, 0, 0, 0, 2, 4]);
  await embedding.zeroGrad();
  assert.deepEqual([...await embedding.grad!.read()], new Array(8).fill(0));
  assert.equal(embedding.parameters()[0], embedding.parameters()[0], "one parameter object");
});

Deno.test("the sinusoidal encoding is the Transformer's table and has no gradient", async () => {
  const table = sinusoidalPositionalEncoding(50, 7);
  for (const [pos, column] of [[0, 0], [3, 1], [17, 4], [49, 5], [49, 6]]) {
    const i = Math.floor(column / 2);
    const angle = pos / Math.pow(10000, (2 * i) / 7);
    const expected = column % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    assert.equal(table[pos * 7 + column], Math.fround(expected), `PE[${pos}, ${column}]`);
  }
  using fixed = await PositionalEmbedding.sinusoidal(gpu, 50, 7);
  assert.deepEqual(await fixed.weight.read(), table);
  assert.deepEqual(fixed.parameters(), []);
  using gradOutput = await Tensor.from(gpu, new Float32Array(2 * 50 * 7).fill(1), {
    shape: [2, 50, 7],
  });
  await fixed.backward(gradOutput);
  assert.equal(fixed.grad, undefined);
  assert.throws(() => sinusoidalPositionalEncoding(0, 4), /contextLength must be an integer >= 1/);
});

Deno.test("training refuses f16 tables and bad optimizer options", async () => {
  using half = await TokenEmbedding.create(gpu, 4, 2, { seed: 1 }, { dtype: "f16" });
  assert.throws(
    () => half.parameters(),
    (e: unknown) => e instanceof InputError && e.parameter === "dtype",
  );
  using embedding = await TokenEmbedding.create(gpu, 4, 2, { seed: 1 });
  const params = embedding.parameters();
  const bad = (options: object, parameter: string) =>
    assert.throws(
      () => new AdamW(params, options),
      (e: unknown) => e instanceof InputError && e.parameter === parameter,
    );
  bad({ lr: -1 }, "lr");
  bad({ betas: [0.9, 1] }, "beta2");
  bad({ betas: [0.9] }, "betas");
  bad({ eps: -1 }, "eps");
  bad({ weightDecay: Infinity }, "weightDecay");
  assert.throws(() => new AdamW([...params, ...params]), /the same parameter twice/);
  assert.throws(() => new AdamW([{} as Parameter]), /parameters\[0\] must be a Parameter/);
});
