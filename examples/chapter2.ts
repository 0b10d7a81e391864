/**
 * `deno task chapter2`: chapter 2 of "Build a Large Language Model From Scratch" (Raschka),
 * every code cell in order, through this module's public API only (`mod.ts`). It prints what the
 * book prints, under the book's section headings (2.2 … 2.8); the comment above each step names
 * the book's Python.
 *
 * Where the book shows a Python value (a list, a tuple, a string in a notebook cell), the same
 * repr is printed. Two things PyTorch prints have no counterpart here, so they are left out:
 * `Parameter containing:` … `requires_grad=True` around a layer's weight and
 * `grad_fn=<EmbeddingBackward0>` after a layer's output (this module has no autograd). The
 * unknown-word `KeyError: 'Hello'` of `SimpleTokenizerV1` is this module's {@linkcode InputError},
 * caught and printed as `InputError: …`.
 *
 * Permissions: `--allow-read=data/the-verdict.txt` (the sample text) and `--allow-env=XDG_RUNTIME_DIR`
 * (quiet adapter requests on headless Linux). BPE and WebGPU need none.
 *
 * @module
 */
import {
  BpeTokenizer,
  createDataLoaderV1,
  formatTensor,
  GpuDevice,
  GpuError,
  InputError,
  positionalAdd,
  PositionalEmbedding,
  readTextFile,
  RegexTokenizer,
  splitWords,
  TokenEmbedding,
  TorchGenerator,
} from "../mod.ts";

const COMMAND = "deno task chapter2";
const VERDICT_URL = new URL("../data/the-verdict.txt", import.meta.url);

/** Python's `repr()` of a string: single quotes unless only double quotes avoid escaping. */
function pyRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === "\\" || char === quote) out += "\\" + char;
    else if (char === "\n") out += "\\n";
    else if (char === "\r") out += "\\r";
    else if (char === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += "\\x" + code.toString(16).padStart(2, "0");
    else out += char;
  }
  return out + quote;
}

/** Python's `repr()` of a list of strings or ints. */
function pyList(items: Iterable<string | number>): string {
  return `[${Array.from(items, (x) => typeof x === "string" ? pyRepr(x) : String(x)).join(", ")}]`;
}

/** Python's `repr()` of a `(token, id)` vocabulary item. */
function pyItem(token: string, id: number): string {
  return `(${pyRepr(token)}, ${id})`;
}

function torchSize(shape: readonly number[]): string {
  return `torch.Size([${shape.join(", ")}])`;
}

function heading(title: string): void {
  console.log(`\n## ${title}\n`);
}

async function main(): Promise<void> {
  if (Deno.args.length > 0) {
    throw new InputError("arguments", `are not taken by ${COMMAND}, got ${Deno.args.join(" ")}`);
  }

  console.log("# Chapter 2: Working with text data");
  heading("2.1 Understanding word embeddings");
  console.log("(no code in this section)");

  heading("2.2 Tokenizing text");
  // with open("the-verdict.txt") as f: raw_text = f.read()
  const rawText = await readTextFile(VERDICT_URL);
  const characters = Array.from(rawText); // Python counts code points, not UTF-16 units
  console.log("Total number of character:", String(characters.length));
  console.log(characters.slice(0, 99).join(""));

  // re.split(r'(\s)', text): JavaScript's split keeps captured separators as Python's does
  let text = "Hello, world. This, is a test.";
  let result = text.split(/(\s)/);
  console.log(pyList(result));
  // re.split(r'([,.]|\s)', text)
  result = text.split(/([,.]|\s)/);
  console.log(pyList(result));
  // [item for item in result if item.strip()]
  result = result.filter((item) => item.trim() !== "");
  console.log(pyList(result));
  // re.split(r'([,.:;?_!"()\']|--|\s)', text) + strip: this module's splitWords
  text = "Hello, world. Is this-- a test?";
  console.log(pyList(splitWords(text).map((piece) => piece.token)));
  const preprocessed = splitWords(rawText).map((piece) => piece.token);
  console.log(pyList(preprocessed.slice(0, 30)));
  console.log(String(preprocessed.length));

  heading("2.3 Converting tokens into token IDs");
  // all_words = sorted(set(preprocessed)); vocab = {token: integer ...}; SimpleTokenizerV1(vocab)
  let tokenizer = RegexTokenizer.fromText(rawText);
  console.log(String(tokenizer.vocabSize));
  tokenizer.vocabulary.slice(0, 51).forEach((token, id) => console.log(pyItem(token, id)));
  text =
    `"It's the last he painted, you know," \n           Mrs. Gisburn said with pardonable pride.`;
  const ids = tokenizer.encode(text);
  console.log(pyList(ids));
  console.log(pyRepr(tokenizer.decode(ids)));
  console.log(pyRepr(tokenizer.decode(tokenizer.encode(text))));

  heading("2.4 Adding special context tokens");
  // SimpleTokenizerV1 on a word outside the vocabulary: the book's KeyError: 'Hello'
  text = "Hello, do you like tea. Is this-- a test?";
  try {
    tokenizer.encode(text);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    console.log(`${error.name}: ${error.message}`);
  }
  // all_tokens.extend(["<|endoftext|>", "<|unk|>"]); SimpleTokenizerV2(vocab)
  tokenizer = RegexTokenizer.fromText(rawText, { specialTokens: true });
  console.log(String(tokenizer.vocabSize));
  const last = tokenizer.vocabSize - 5;
  tokenizer.vocabulary.slice(last).forEach((token, i) => console.log(pyItem(token, last + i)));
  text = ["Hello, do you like tea?", "In the sunlit terraces of the palace."].join(
    " <|endoftext|> ",
  );
  console.log(text);
  console.log(pyList(tokenizer.encode(text)));
  console.log(pyRepr(tokenizer.decode(tokenizer.encode(text))));

  heading("2.5 Byte pair encoding");
  // tiktoken.get_encoding("gpt2"); encode(text, allowed_special={"<|endoftext|>"}): the allowed
  // special tokens are the tokenizer's option here
  using bpe = new BpeTokenizer("gpt2", { allowedSpecial: ["<|endoftext|>"] });
  text = "Hello, do you like tea? <|endoftext|> In the sunlit terraces" +
    "of someunknownPlace.";
  const integers = bpe.encode(text);
  console.log(pyList(integers));
  console.log(bpe.decode(integers));
  // Exercise 2.1: an unknown word, split into subwords (figure 2.11)
  const unknown = bpe.encode("Akwirw ier");
  console.log(pyList(unknown));
  for (const id of unknown) console.log(`${id} -> ${bpe.decode([id])}`);
  console.log(pyRepr(bpe.decode(unknown)));

  heading("2.6 Data sampling with a sliding window");
  const encText = bpe.encode(rawText);
  console.log(String(encText.length));
  const encSample = encText.subarray(50);
  const contextSize = 4;
  console.log(`x: ${pyList(encSample.subarray(0, contextSize))}`);
  console.log(`y:      ${pyList(encSample.subarray(1, contextSize + 1))}`);
  for (let i = 1; i <= contextSize; i++) {
    console.log(pyList(encSample.subarray(0, i)), "---->", String(encSample[i]));
  }
  for (let i = 1; i <= contextSize; i++) {
    console.log(bpe.decode(encSample.subarray(0, i)), "---->", bpe.decode([encSample[i]]));
  }
  // GPTDatasetV1 + DataLoader: create_dataloader_v1(raw_text, batch_size=1, max_length=4,
  // stride=1, shuffle=False); data_iter = iter(dataloader); next(data_iter) twice
  let dataloader = createDataLoaderV1(rawText, {
    batchSize: 1,
    maxLength: 4,
    stride: 1,
    shuffle: false,
  });
  const dataIter = dataloader[Symbol.iterator]();
  for (let n = 0; n < 2; n++) {
    // a batch's arrays are refilled by the next step of the iterator: print each before it
    const { inputs, targets, rows, seqLength } = dataIter.next().value!;
    const pair = [inputs, targets].map((ids) => formatTensor(ids, [rows, seqLength]));
    console.log(`[${pair.join(", ")}]`);
  }
  dataloader = createDataLoaderV1(rawText, {
    batchSize: 8,
    maxLength: 4,
    stride: 4,
    shuffle: false,
  });
  let [batch] = dataloader;
  let shape = [batch.rows, batch.seqLength];
  console.log("Inputs:\n", formatTensor(batch.inputs, shape));
  console.log("\nTargets:\n", formatTensor(batch.targets, shape));

  heading("2.7 Creating token embeddings");
  const gpu = await GpuDevice.shared();
  console.log(`(WebGPU adapter: ${gpu.description})`);
  // torch.manual_seed(123); torch.nn.Embedding(6, 3): the generator's stream goes on into the
  // tables of section 2.8, as PyTorch's global one does in the book
  const generator = new TorchGenerator(123);
  using embeddingLayer = await TokenEmbedding.create(gpu, 6, 3, { generator });
  console.log(await embeddingLayer.weight.format());
  console.log(
    "(PyTorch wraps this in `Parameter containing:` … `requires_grad=True` and adds " +
      "`grad_fn=<EmbeddingBackward0>` below; this module has no autograd)",
  );
  // embedding_layer(torch.tensor([3]))
  using three = await embeddingLayer.forward([3]);
  console.log(await three.format());
  // input_ids = torch.tensor([2, 3, 5, 1]); embedding_layer(input_ids)
  using embedded = await embeddingLayer.forward([2, 3, 5, 1]);
  console.log(await embedded.format());

  heading("2.8 Encoding word positions");
  const vocabSize = bpe.vocabSize; // 50257
  const outputDim = 256;
  using tokenEmbeddingLayer = await TokenEmbedding.create(gpu, vocabSize, outputDim, {
    generator,
  });
  const maxLength = 4;
  dataloader = createDataLoaderV1(rawText, {
    batchSize: 8,
    maxLength,
    stride: maxLength,
    shuffle: false,
  });
  [batch] = dataloader;
  shape = [batch.rows, batch.seqLength];
  console.log("Token IDs:\n", formatTensor(batch.inputs, shape));
  console.log("\nInputs shape:\n", torchSize(shape));
  // token_embeddings = token_embedding_layer(inputs)
  using tokenEmbeddings = await tokenEmbeddingLayer.forward({ data: batch.inputs, shape });
  console.log(torchSize(tokenEmbeddings.shape));
  // pos_embedding_layer = torch.nn.Embedding(context_length, output_dim);
  // pos_embeddings = pos_embedding_layer(torch.arange(max_length))
  const contextLength = maxLength;
  using posEmbeddingLayer = await PositionalEmbedding.create(gpu, contextLength, outputDim, {
    generator,
  });
  using posEmbeddings = await posEmbeddingLayer.forward(maxLength);
  console.log(torchSize(posEmbeddings.shape));
  // input_embeddings = token_embeddings + pos_embeddings (broadcast over the batch)
  using inputEmbeddings = await positionalAdd(tokenEmbeddings, posEmbeddings);
  console.log(torchSize(inputEmbeddings.shape));
}

if (import.meta.main) {
  try {
    await main();
  } catch (error) {
    // Bad input or a missing permission: one line, exit code 2; no GPU adapter: exit code 1.
    const denied = error instanceof Deno.errors.NotCapable ||
      error instanceof Deno.errors.PermissionDenied;
    if (!(error instanceof InputError || error instanceof GpuError || denied)) throw error;
    console.error(`${COMMAND}: ${error.message}`);
    Deno.exit(error instanceof GpuError ? 1 : 2);
  }
}
