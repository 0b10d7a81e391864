import { InputError } from "../util/errors.ts";
import { checkInteger, checkOptions } from "../util/checks.ts";
import { checkGpuDevice, type GpuDevice } from "../gpu/device.ts";
import { checkOutputSize } from "../gpu/kernels/embedding/embedding_program.ts";
import {
  gatherPositionalAdd,
  gatherPositionalAddCall,
} from "../gpu/kernels/embedding/gather_positional_add.ts";
import type { EmbeddingIds } from "../gpu/kernels/embedding_ids.ts";
import type { Batch } from "../batches/batch.ts";
import { checkNotFlatBatch, layerIds } from "./_layer_ids.ts";
import { Tensor } from "../gpu/tensor.ts";
import { TokenStream } from "../gpu/token_stream.ts";
import type { Parameter } from "./parameter.ts";
import { PositionalEmbedding } from "./positional_embedding.ts";
import { TokenEmbedding, type TokenEmbeddingOptions } from "./token_embedding.ts";
import { checkPositionTableSize, checkTokenTable } from "./embedding_table.ts";
import type { TableDType } from "../gpu/kernels/tensor_checks.ts";
import { TorchGenerator } from "../util/torch_rng.ts";
import {
  checkSameDim,
  findTable,
  planPositionTable,
  planTokenTable,
  type SafetensorsSource,
  withSafetensors,
} from "./safetensors_tables.ts";

/**
 * Sizes and seed of {@linkcode InputEmbedding.create}, and the token table's element type and
 * storage limits (see {@linkcode TokenEmbeddingOptions}).
 */
export interface InputEmbeddingOptions<D extends TableDType = TableDType>
  extends TokenEmbeddingOptions<D> {
  /** Rows of the token table (the encoding's vocabulary size, 50257 for GPT-2). */
  vocabSize: number;
  /** Rows of the position table (the longest sequence; the book uses its max length, 4). */
  contextLength: number;
  /** The embedding dimension (256 in the book). */
  dim: number;
  /** `torch.manual_seed(seed)` before both tables (123 in the book). */
  seed: number;
}

/**
 * Options of {@linkcode InputEmbedding.fromSafetensors}: the tables' names, the expected
 * vocabulary size, and the token table's element type and storage limits.
 */
export interface InputEmbeddingFileOptions<D extends TableDType = TableDType>
  extends TokenEmbeddingOptions<D> {
  /**
   * The tokenizer's vocabulary size (`tokenizer.vocabSize`): the token table must have this many
   * rows. Default: not checked.
   */
  vocabSize?: number;
  /** The token table's name. Default: `"wte.weight"` or `"transformer.wte.weight"`. */
  tokenTensor?: string;
  /** The position table's name. Default: `"wpe.weight"` or `"transformer.wpe.weight"`. */
  positionTensor?: string;
  /** Rows read and uploaded at a time. Default: 8 MiB of float32 rows. */
  rowsPerChunk?: number;
}

/**
 * The book's input embeddings, `token_embedding_layer(inputs) + pos_embedding_layer(arange(seq))`,
 * computed by one fused GPU kernel from a token table (`f32` or `f16`, of any size the device can
 * bind) and a position table.
 *
 * @example The book's tables for GPT-2 (seed 123, 256 dimensions, context length 4)
 * ```ts
 * import { GpuDevice, InputEmbedding } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * const gpu = await GpuDevice.shared();
 * using embedding = await InputEmbedding.create(gpu, { vocabSize: 50257, contextLength: 4, dim: 256, seed: 123 });
 * using out = await embedding.forward([[40, 367, 2885, 1464], [1807, 3619, 402, 271]]);
 * assert.deepEqual(out.shape, [2, 4, 256]);
 * ```
 */
export class InputEmbedding<D extends TableDType = "f32"> {
  /** The token table. */
  readonly token: TokenEmbedding<D>;
  /** The position table. */
  readonly position: PositionalEmbedding;

  /**
   * Combines two layers of the same dimension on the same device; disposing the result disposes
   * both.
   *
   * @param token The token embedding.
   * @param position The positional embedding.
   */
  constructor(token: TokenEmbedding<D>, position: PositionalEmbedding) {
    if (!(token instanceof TokenEmbedding)) {
      throw new InputError("token", "must be a TokenEmbedding");
    }
    if (!(position instanceof PositionalEmbedding)) {
      throw new InputError("position", "must be a PositionalEmbedding");
    }
    if (token.dim !== position.dim) {
      throw new InputError(
        "position",
        `has dimension ${position.dim}, but the token embedding has ${token.dim}`,
      );
    }
    if (token.weight.device !== position.weight.device) {
      throw new InputError("position", "lives on another GPU device than the token embedding");
    }
    this.token = token;
    this.position = position;
  }

  /**
   * Seeds a generator with `seed` and creates the token table and then the position table from
   * its stream, as `torch.manual_seed(seed)` followed by the two `nn.Embedding` constructions.
   * Both tables' sizes are checked against the device's limits before any weight is made.
   *
   * @param gpu The device to hold both tables.
   * @param options Vocabulary size, context length, dimension, seed, and the token table's
   * element type and storage limits.
   */
  static async create<D extends TableDType = "f32">(
    gpu: GpuDevice,
    options: InputEmbeddingOptions<D>,
  ): Promise<InputEmbedding<D>> {
    checkGpuDevice("gpu", gpu);
    checkOptions(options, "{ vocabSize, contextLength, dim, seed, dtype? }");
    const { vocabSize, contextLength, dim, seed } = options;
    checkTokenTable(gpu, vocabSize, dim, options.dtype ?? "f32", options);
    checkInteger("contextLength", contextLength, 1);
    const generator = new TorchGenerator(seed);
    checkPositionTableSize(gpu, contextLength, dim);
    const token = await TokenEmbedding.create<D>(gpu, vocabSize, dim, { generator }, options);
    try {
      const position = await PositionalEmbedding.create(gpu, contextLength, dim, { generator });
      return new InputEmbedding<D>(token, position);
    } catch (error) {
      token.dispose();
      throw error;
    }
  }

  /**
   * Loads pretrained token and position tables from one safetensors file, as
   * `GPT2Model.from_pretrained("gpt2")`'s `wte` and `wpe`: `wte.weight` and `wpe.weight`, with or
   * without the `transformer.` prefix (or the tensors named by `tokenTensor` and
   * `positionTensor`). The vocabulary size, context length and dimension come from their shapes.
   * Both tables are checked before any GPU work (see {@linkcode TokenEmbedding.fromSafetensors}:
   * missing or ambiguous tables, shapes that are not 2-D, dtypes other than `F32`, `F16` and
   * `BF16`, a token table of another vocabulary than `vocabSize`, tables of different
   * dimensions, sizes beyond the device's), then streamed into GPU memory in row chunks: loading
   * holds the two tables on the device plus about two chunks (8 MiB each by default), never the
   * file. Needs read permission for the file.
   *
   * @example GPT-2 small from Hugging Face's `model.safetensors` (a 548 MB download)
   * ```ts ignore
   * import { BpeTokenizer, GpuDevice, InputEmbedding } from "./mod.ts";
   *
   * using tokenizer = new BpeTokenizer("gpt2");
   * const gpu = await GpuDevice.shared();
   * using embedding = await InputEmbedding.fromSafetensors(gpu, "model.safetensors", {
   *   vocabSize: tokenizer.vocabSize, // 50257: refuses the weights of another vocabulary
   * });
   * embedding.token.weight.shape; // [50257, 768]
   * embedding.position.weight.shape; // [1024, 768]
   * using x = await embedding.forward([Array.from(tokenizer.encode("Hello, world"))]);
   * ```
   *
   * @example A small file written first, then embedded
   * ```ts
   * import { GpuDevice, InputEmbedding, writeSafetensors } from "../../mod.ts";
   * import assert from "node:assert/strict";
   *
   * await Deno.mkdir(".tmp", { recursive: true });
   * const dir = await Deno.makeTempDir({ dir: ".tmp" });
   * const path = `${dir}/model.safetensors`;
   * await writeSafetensors(path, {
   *   "wte.weight": { dtype: "F32", shape: [4, 2], data: new Float32Array([0, 0, 1, 1, 2, 2, 3, 3]) },
   *   "wpe.weight": { dtype: "F32", shape: [2, 2], data: new Float32Array([0.5, 0.5, 0.25, 0.25]) },
   * });
   *
   * const gpu = await GpuDevice.shared();
   * using embedding = await InputEmbedding.fromSafetensors(gpu, path, { vocabSize: 4 });
   * using out = await embedding.forward([[3, 1]]); // token rows plus positions 0 and 1
   * assert.deepEqual(await out.toArray(), [[[3.5, 3.5], [1.25, 1.25]]]);
   * await Deno.remove(dir, { recursive: true });
   * ```
   *
   * @param gpu The device to hold both tables.
   * @param source The file: a path, a `file:` URL, or an open {@linkcode SafetensorsFile}
   *   (left open).
   * @param options The tables' names, the expected vocabulary size, the token table's element
   *   type and storage limits, and rows per chunk.
   * @returns The embedding; dispose it when done.
   */
  static async fromSafetensors<D extends TableDType = "f32">(
    gpu: GpuDevice,
    source: SafetensorsSource,
    options: InputEmbeddingFileOptions<D> = {},
  ): Promise<InputEmbedding<D>> {
    checkGpuDevice("gpu", gpu);
    checkOptions(
      options,
      "{ vocabSize?, tokenTensor?, positionTensor?, dtype?, rowsPerChunk?, maxBindingBytes?, " +
        "maxBufferBytes? }",
    );
    return await withSafetensors(source, async (file) => {
      const token = findTable(file, "token", options.tokenTensor, "tokenTensor");
      const position = findTable(file, "position", options.positionTensor, "positionTensor");
      checkSameDim(file, token, position);
      // both tables checked before any GPU work
      planTokenTable(gpu, file, token, options);
      planPositionTable(gpu, position, options.rowsPerChunk);
      const tokenLayer = await TokenEmbedding.fromSafetensors<D>(gpu, file, {
        ...options,
        tensor: token.name,
      });
      try {
        const positionLayer = await PositionalEmbedding.fromSafetensors(gpu, file, {
          tensor: position.name,
          rowsPerChunk: options.rowsPerChunk,
        });
        return new InputEmbedding<D>(tokenLayer, positionLayer);
      } catch (error) {
        tokenLayer.dispose();
        throw error;
      }
    });
  }

  /** The embedding dimension. */
  get dim(): number {
    return this.token.dim;
  }

  /**
   * Token plus position embeddings of `ids` `[..., seq]` (seq <= contextLength), giving
   * `[...ids.shape, dim]`, or of a data loader's {@linkcode Batch}, giving
   * `[batch.rows, batch.seqLength, dim]`; ids outside the vocabulary are rejected before any GPU
   * work. A flat array longer than `contextLength` is refused: it would be one sequence.
   *
   * @example A batch from a data loader, as `input_embeddings = token_embeddings + pos_embeddings`
   * ```ts
   * import { createDataLoaderV1, GpuDevice, InputEmbedding } from "../../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const text = await Deno.readTextFile(new URL("../../data/the-verdict.txt", import.meta.url));
   * const loader = createDataLoaderV1(text, { batchSize: 8, maxLength: 4, stride: 4, shuffle: false });
   * const gpu = await GpuDevice.shared();
   * using embedding = await InputEmbedding.create(gpu, { vocabSize: 50257, contextLength: 4, dim: 256, seed: 123 });
   * for (const batch of loader) {
   *   using x = await embedding.forward(batch);
   *   assert.deepEqual(x.shape, [8, 4, 256]);
   *   break;
   * }
   * ```
   *
   * @param ids Token ids, e.g. `[batchSize, maxLength]` nested arrays, or a batch.
   * @returns A new tensor; dispose it when done.
   */
  forward(ids: EmbeddingIds | Batch): Promise<Tensor<"f32">> {
    try {
      const kernelIds = layerIds(ids);
      checkNotFlatBatch(kernelIds, this.position.contextLength);
      return gatherPositionalAdd(kernelIds, this.token.weight, this.position.weight);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Both tables as trainable {@linkcode Parameter}s, for an optimizer such as {@linkcode AdamW}:
   * the token table, then the position table (unless it is the fixed sinusoidal encoding).
   *
   * @returns The parameters.
   */
  parameters(): Parameter[] {
    return [...this.token.parameters(), ...this.position.parameters()];
  }

  /**
   * Adds both tables' gradients for a gradient of {@linkcode InputEmbedding.forward}'s output:
   * the token table's by id ({@linkcode TokenEmbedding.backward}) and the position table's
   * summed over the batch ({@linkcode PositionalEmbedding.backward}); read them as
   * `token.grad` and `position.grad`. Gradients accumulate until
   * {@linkcode InputEmbedding.zeroGrad}.
   *
   * @example The book's layers trained on `loss = sum(out * R)`, whose gradient is `R`
   * ```ts
   * import { AdamW, GpuDevice, InputEmbedding, Tensor } from "../../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const gpu = await GpuDevice.shared();
   * using embedding = await InputEmbedding.create(gpu, { vocabSize: 10, contextLength: 2, dim: 3, seed: 123 });
   * using optimizer = new AdamW(embedding.parameters(), { lr: 1e-3 });
   * const ids = [[4, 7], [4, 1]]; // id 4 occurs twice
   * using R = await Tensor.from(gpu, [[[1, 1, 1], [2, 2, 2]], [[3, 3, 3], [4, 4, 4]]]);
   * await optimizer.zeroGrad();
   * await embedding.backward(ids, R);
   * const tokenGrad = await embedding.token.grad!.toArray() as number[][];
   * assert.deepEqual(tokenGrad[4], [4, 4, 4]); // 1 + 3
   * assert.deepEqual(await embedding.position.grad!.toArray(), [[4, 4, 4], [6, 6, 6]]);
   * await optimizer.step();
   * ```
   *
   * @param ids The ids given to `forward`, `[..., seq]`.
   * @param gradOutput The gradient of `forward(ids)`, `f32 [...ids.shape, dim]`.
   */
  async backward(ids: EmbeddingIds, gradOutput: Tensor<"f32">): Promise<void> {
    await this.token.backward(ids, gradOutput);
    await this.position.backward(gradOutput);
  }

  /** Sets both tables' gradients to zero (as PyTorch 1.13's `zero_grad()`). */
  async zeroGrad(): Promise<void> {
    await this.token.zeroGrad();
    await this.position.zeroGrad();
  }

  /**
   * The input embeddings of windows of a GPU-resident token stream: `out[b, t, :]` is the
   * embedding of `stream.ids[starts[b] + t]` at position `t`. Only the window starts are
   * uploaded (4·B bytes per batch, against 4·B·T for {@linkcode InputEmbedding.forward}); a
   * {@linkcode DataLoader} batch gives them as `batch.starts`.
   *
   * @example The book's first batch, from the whole text's ids uploaded once
   * ```ts
   * import { BpeTokenizer, createDataLoaderV1, GpuDevice, InputEmbedding, TokenStream } from "../../mod.ts";
   * import assert from "node:assert/strict";
   *
   * const text = await Deno.readTextFile(new URL("../../data/the-verdict.txt", import.meta.url));
   * const loader = createDataLoaderV1(text, { batchSize: 8, maxLength: 4, stride: 4, shuffle: false });
   * const gpu = await GpuDevice.shared();
   * using stream = await TokenStream.create(gpu, loader.dataset.ids);
   * using embedding = await InputEmbedding.create(gpu, { vocabSize: 50257, contextLength: 4, dim: 256, seed: 123 });
   * const [batch] = loader;
   * using fromStream = await embedding.forwardWindows(stream, batch.starts, batch.seqLength);
   * using fromIds = await embedding.forward({ data: batch.inputs, shape: [8, 4] });
   * assert.deepEqual(fromStream.shape, [8, 4, 256]);
   * assert.deepEqual(await fromStream.read(), await fromIds.read());
   * ```
   *
   * @param stream The token stream, on this embedding's device, with ids in the vocabulary.
   * @param starts Each window's first token, with `starts[b] + seqLength <= stream.length`.
   * @param seqLength Tokens per window, in `[1, contextLength]`.
   * @returns A new tensor `[starts.length, seqLength, dim]`; dispose it when done.
   */
  async forwardWindows(
    stream: TokenStream,
    starts: Uint32Array | readonly number[],
    seqLength: number,
  ): Promise<Tensor<"f32">> {
    if (!(stream instanceof TokenStream)) {
      throw new InputError("stream", "must be a TokenStream");
    }
    checkInteger("seqLength", seqLength, 1, this.position.contextLength);
    const checked = stream.checkWindows(starts, seqLength);
    stream.checkVocabulary(this.token.vocabSize);
    const table = this.token.weight;
    const gpu = table.device;
    if (stream.device !== gpu) {
      throw new InputError("stream", "lives on another GPU device than the embedding");
    }
    const bindings = table.segments.length + stream.ids.segments.length + 3;
    const allowed = gpu.limits.maxStorageBuffersPerShaderStage;
    if (bindings > allowed) {
      throw new InputError(
        "stream",
        `needs ${stream.ids.segments.length} storage bindings beside the token table's ` +
          `${table.segments.length} and 3 others, more than maxStorageBuffersPerShaderStage ` +
          `${allowed}`,
      );
    }
    const shape = [checked.length, seqLength, this.dim];
    checkOutputSize(gpu, "starts", shape);
    const out = await Tensor.zeros(gpu, shape, "f32", "input embeddings");
    try {
      const { kernel, run } = gatherPositionalAddCall(table, this.position.weight, checked, out, {
        stream: stream.ids,
      });
      await kernel.run(gpu, run);
    } catch (error) {
      out.dispose();
      throw error;
    }
    return out;
  }

  /** Frees both tables. */
  dispose(): void {
    this.token.dispose();
    this.position.dispose();
  }

  /** Frees both tables at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
