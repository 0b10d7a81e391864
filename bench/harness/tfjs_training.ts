// TensorFlow.js's WebGPU backend training the same steps: `tf.gather`, the loss, the gradients
// that the `@tensorflow/tfjs` package registers, and `tf.train.adam` (tfjs has no AdamW; Adam
// does the same per-element work but the decay). Loaded only by bench:compare.
import type * as TfCore from "npm:@tensorflow/tfjs-core@4.22.0";
import { flush, loadTfjs, type Tfjs } from "./tfjs_contender.ts";
import { ContenderUnavailable } from "./contender.ts";
import { measure } from "./measure.ts";
import type { TrainingContender, TrainingProblem, TrainingRun } from "./training_problem.ts";

let gradients: Promise<void> | undefined;

/** tfjs with its gradients registered (the full package registers them on import). */
async function loadTfjsTraining(context: Parameters<typeof loadTfjs>[0]): Promise<Tfjs> {
  let tfjs: Tfjs;
  try {
    tfjs = await loadTfjs(context);
    gradients ??= import("npm:@tensorflow/tfjs@4.22.0").then(() => {});
    await gradients;
  } catch (error) {
    gradients = undefined;
    throw new ContenderUnavailable(`tfjs could not be loaded: ${(error as Error).message}`);
  }
  return tfjs;
}

/** The step of `problem` as a tfjs closure over variables it creates; `dispose` frees them. */
function tfjsStep(
  tf: typeof TfCore,
  problem: TrainingProblem,
): { step: (returnLoss: boolean) => TfCore.Scalar | null; dispose: () => void } {
  if (problem.kind === "semigpt_step") {
    const { vocabSize, lr } = problem;
    const table = tf.variable(tf.tensor2d(problem.table, [vocabSize, vocabSize]));
    const inputs = tf.tensor1d(Int32Array.from(problem.inputs), "int32");
    const onehot = tf.oneHot(tf.tensor1d(Int32Array.from(problem.targets), "int32"), vocabSize);
    const optimizer = tf.train.adam(lr);
    const loss = () =>
      tf.losses.softmaxCrossEntropy(onehot, tf.gather(table, inputs)).reshape([]) as TfCore.Scalar;
    return {
      step: (returnLoss) => optimizer.minimize(loss, returnLoss),
      dispose: () => {
        optimizer.dispose();
        tf.dispose([table, inputs, onehot]);
      },
    };
  }
  const { vocabSize, dim, batchSize, seqLength, lr } = problem;
  const token = tf.variable(tf.tensor2d(problem.token, [vocabSize, dim]));
  const position = tf.variable(tf.tensor2d(problem.position, [seqLength, dim]));
  const ids = tf.tensor2d(Int32Array.from(problem.ids), [batchSize, seqLength], "int32");
  const r = tf.tensor3d(problem.r, [batchSize, seqLength, dim]);
  const optimizer = tf.train.adam(lr);
  const loss = () => tf.sum(tf.mul(tf.add(tf.gather(token, ids), position), r)) as TfCore.Scalar;
  return {
    step: (returnLoss) => optimizer.minimize(loss, returnLoss),
    dispose: () => {
      optimizer.dispose();
      tf.dispose([token, position, ids, r]);
    },
  };
}

/** tfjs-webgpu training steps on the comparison's device. */
export const tfjsTraining: TrainingContender = {
  id: "tfjs_webgpu",
  label: "tfjs-webgpu 4.22 (gather, loss, gradients, tf.train.adam)",
  async run(problem, context): Promise<TrainingRun> {
    const { gpu } = context;
    const { tf, backend } = await loadTfjsTraining(gpu);
    const { step, dispose } = tfjsStep(tf, problem);
    try {
      const first = step(true)!;
      const firstLoss = (await first.data())[0];
      first.dispose();
      const measurement = await measure(async (count) => {
        await gpu.checked("tfjs training steps", () => {
          for (let i = 0; i < count; i++) step(false);
          flush(backend);
        });
        await gpu.device.queue.onSubmittedWorkDone();
      }, context.timing);
      return { measurement, firstLoss };
    } finally {
      dispose();
    }
  },
};
