// The fused gather + positional add designs side by side at GPT-2's vocabulary (50257), B = 64,
// T = 256, D = 256 and 512, against the bandwidth limit: copyBufferToBuffer of the same output
// bytes on the same device. GPU time only: the ids, tables and output are on the GPU already;
// each timing records many dispatches (or copies) into one submit and waits for
// onSubmittedWorkDone.
//
//   deno bench bench/kernel_variants_bench.ts        Deno's statistics, one submit per iteration
//   deno task bench:kernels [--json]                 the README's table: per repetition, copy
//                                                    then each variant; medians of 7 repetitions
//                                                    after a warm-up, ratios taken per repetition
import copyKernel from "./kernels/copy_vec4.wgsl" with { type: "text" };
import { GpuDevice, Tensor, TorchGenerator } from "../mod.ts";
import { dispatchGrid } from "../src/gpu/kernels/compute_kernel.ts";
import { type KernelVariant, type PreparedVariant, VARIANTS } from "./kernel_variants.ts";
import { parseArgs } from "../src/cli/cli.ts";
import { InputError } from "../src/util/errors.ts";

const VOCAB = 50257;
const BATCH = 64;
const SEQ = 256;
const DIMS = [256, 512];
/** Dispatches (or copies) per submit. */
const PER_SUBMIT = 8;
const REPETITIONS = 7;

interface Shape {
  dim: number;
  prepared: Map<KernelVariant, PreparedVariant>;
  copy: (encoder: GPUCommandEncoder) => void;
  /** The WGSL copy kernel of the same bytes: the floor of any kernel on this adapter. */
  shaderCopy: (encoder: GPUCommandEncoder) => void;
}

const gpu = await GpuDevice.shared();
const random = new TorchGenerator(1);
const ids = await Tensor.from(
  gpu,
  Uint32Array.from({ length: BATCH * SEQ }, () => random.nextUint32() % VOCAB),
);

async function shape(dim: number): Promise<Shape> {
  const table = await Tensor.from(gpu, random.normal(VOCAB * dim), { shape: [VOCAB, dim] });
  const positions = await Tensor.from(gpu, random.normal(SEQ * dim), { shape: [SEQ, dim] });
  const out = await Tensor.zeros(gpu, [BATCH, SEQ, dim]);
  const source = await Tensor.zeros(gpu, [BATCH, SEQ, dim]);
  const prepared = new Map<KernelVariant, PreparedVariant>();
  for (const variant of VARIANTS) {
    prepared.set(
      variant,
      await variant.prepare(gpu, { table, positions, ids, out, batch: BATCH, seq: SEQ }),
    );
  }
  const pipeline = await gpu.checked(
    "compiling the copy kernel",
    (device) =>
      device.createComputePipeline({
        layout: "auto",
        compute: { module: device.createShaderModule({ code: copyKernel }), entryPoint: "main" },
      }),
  );
  const bindGroup = gpu.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 1, resource: { buffer: source.buffer } },
      { binding: 2, resource: { buffer: out.buffer } },
    ],
  });
  const grid = dispatchGrid(out.size / 4, gpu.limits.maxComputeWorkgroupsPerDimension, 64);
  return {
    dim,
    prepared,
    copy: (encoder) => encoder.copyBufferToBuffer(source.buffer, 0, out.buffer, 0, out.byteLength),
    shaderCopy: (encoder) => {
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(grid.x, grid.y);
      pass.end();
    },
  };
}

/** Milliseconds per operation: `count` of them recorded into one submit. */
async function time(encode: (encoder: GPUCommandEncoder) => void, count: number): Promise<number> {
  const encoder = gpu.device.createCommandEncoder();
  for (let i = 0; i < count; i++) encode(encoder);
  const commands = encoder.finish();
  const start = performance.now();
  gpu.device.queue.submit([commands]);
  await gpu.device.queue.onSubmittedWorkDone();
  return (performance.now() - start) / count;
}

function inPass(variant: PreparedVariant): (encoder: GPUCommandEncoder) => void {
  return (encoder) => {
    const pass = encoder.beginComputePass();
    variant.record(pass);
    pass.end();
  };
}

// As a task, the arguments are checked before the (slow) setup: one line and exit code 2.
const COMMAND = "deno task bench:kernels";
const json = import.meta.main ? kernelBenchJson() : false;

function kernelBenchJson(): boolean {
  try {
    const { options, positionals } = parseArgs(COMMAND, Deno.args, {
      json: { type: "boolean", help: "print one JSON object" },
    });
    if (positionals.length > 0) throw new InputError(positionals[0], "is not an argument of it");
    return options.has("json");
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    console.error(`${COMMAND}: ${error.message}`);
    Deno.exit(2);
  }
}

const shapes: Shape[] = [];
for (const dim of DIMS) shapes.push(await shape(dim));

if (!import.meta.main) {
  for (const { dim, prepared, copy, shaderCopy } of shapes) {
    const group = `D=${dim}, ${PER_SUBMIT} dispatches (or copies) per iteration`;
    Deno.bench({
      name: "copyBufferToBuffer of the output bytes (bandwidth limit)",
      group,
      baseline: true,
      async fn(b) {
        b.start();
        await time(copy, PER_SUBMIT);
        b.end();
      },
    });
    Deno.bench({
      name: "WGSL copy kernel of the output bytes (the floor of any kernel)",
      group,
      async fn(b) {
        b.start();
        await time(shaderCopy, PER_SUBMIT);
        b.end();
      },
    });
    for (const [variant, ready] of prepared) {
      Deno.bench({
        name: variant.name,
        group,
        async fn(b) {
          b.start();
          await time(inPass(ready), PER_SUBMIT);
          b.end();
        },
      });
    }
  }
} else {
  const median = (values: number[]) => values.toSorted((a, b) => a - b)[values.length >> 1];
  const results = [];
  for (const { dim, prepared, copy, shaderCopy } of shapes) {
    const bytes = BATCH * SEQ * dim * 4;
    const copyTimes: number[] = [];
    const shaderCopyTimes: number[] = [];
    const shaderCopyRatios: number[] = [];
    const times = new Map<KernelVariant, number[]>(VARIANTS.map((v) => [v, []]));
    const ratios = new Map<KernelVariant, number[]>(VARIANTS.map((v) => [v, []]));
    // Warm-up: compiles nothing more (prepare did), but settles caches and clocks.
    await time(copy, PER_SUBMIT);
    await time(shaderCopy, 2);
    for (const ready of prepared.values()) await time(inPass(ready), 2);
    for (let r = 0; r < REPETITIONS; r++) {
      const copyMs = await time(copy, PER_SUBMIT);
      const shaderMs = await time(shaderCopy, PER_SUBMIT);
      shaderCopyTimes.push(shaderMs);
      shaderCopyRatios.push(copyMs / shaderMs);
      for (const [variant, ready] of prepared) {
        // The copy right before each variant: machine load drifts, ratios stay comparable.
        const copyMs = await time(copy, PER_SUBMIT);
        const ms = await time(inPass(ready), PER_SUBMIT);
        copyTimes.push(copyMs);
        times.get(variant)!.push(ms);
        ratios.get(variant)!.push(copyMs / ms);
      }
    }
    const copyMs = median(copyTimes);
    const shaderMs = median(shaderCopyTimes);
    results.push({
      dim,
      copy: { ms: copyMs, gb_per_s: bytes / copyMs / 1e6 },
      shader_copy: {
        ms: shaderMs,
        gb_per_s: bytes / shaderMs / 1e6,
        vs_copy: median(shaderCopyRatios),
      },
      variants: VARIANTS.map((variant) => {
        const ms = median(times.get(variant)!);
        return {
          name: variant.name,
          default_for: variant.defaultFor ?? null,
          ms,
          mtok_per_s: (BATCH * SEQ) / ms / 1e3,
          gb_per_s: bytes / ms / 1e6,
          vs_copy: median(ratios.get(variant)!),
        };
      }),
    });
  }
  const meta = {
    adapter: gpu.description,
    date: new Date().toISOString().slice(0, 10),
    shape: { vocab: VOCAB, batch: BATCH, seq: SEQ },
    per_submit: PER_SUBMIT,
    repetitions: REPETITIONS,
  };
  if (json) {
    console.log(JSON.stringify({ ...meta, results }));
  } else {
    console.log(
      `${meta.adapter}, ${meta.date}: vocab ${VOCAB}, B=${BATCH}, T=${SEQ}; ` +
        `median of ${REPETITIONS} repetitions of ${PER_SUBMIT} dispatches per submit`,
    );
    for (const { dim, copy, shader_copy, variants } of results) {
      console.log(
        `\nD=${dim}: copyBufferToBuffer ${copy.ms.toFixed(2)} ms (${
          copy.gb_per_s.toFixed(1)
        } GB/s written)`,
      );
      console.log("| variant | ms | Mtok/s | GB/s written | × copy |");
      console.log("| --- | ---: | ---: | ---: | ---: |");
      console.log(
        `| (reference) WGSL copy kernel of the output bytes | ${shader_copy.ms.toFixed(2)} | ` +
          `${((BATCH * SEQ) / shader_copy.ms / 1e3).toFixed(2)} | ` +
          `${shader_copy.gb_per_s.toFixed(2)} | ${shader_copy.vs_copy.toFixed(3)} |`,
      );
      for (const v of variants) {
        console.log(
          `| ${v.name} | ${v.ms.toFixed(2)} | ${v.mtok_per_s.toFixed(2)} | ` +
            `${v.gb_per_s.toFixed(2)} | ${v.vs_copy.toFixed(3)} |`,
        );
      }
    }
  }
}
