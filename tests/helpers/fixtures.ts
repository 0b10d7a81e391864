// Paths and loaders for the reference data that tests compare against.

/** The book's sample corpus, shipped with the project. */
export const VERDICT_URL: URL = new URL("../../data/the-verdict.txt", import.meta.url);

/** The PyTorch reference outputs (see tests/fixtures/README.md). */
export const FIXTURES_URL: URL = new URL("../fixtures/", import.meta.url);

/** The text of "The Verdict". */
export function verdictText(): Promise<string> {
  return Deno.readTextFile(VERDICT_URL);
}

/** The parsed `book_chapter2_reference.json`. */
export async function chapter2Reference(): Promise<Chapter2Reference> {
  return JSON.parse(await Deno.readTextFile(new URL("book_chapter2_reference.json", FIXTURES_URL)));
}

/** One batch as the fixture stores it. */
export interface FixtureBatch {
  inputs: number[][];
  targets: number[][];
}

/** The shape of `book_chapter2_reference.json`. */
export interface Chapter2Reference {
  dataloader_cases: {
    config: { batch_size: number; max_length: number; stride: number; drop_last?: boolean };
    num_windows: number;
    num_batches: number;
    first_batches: FixtureBatch[];
    last_batch: FixtureBatch;
  }[];
  embedding_6x3_after_seed: { seed: number; weight: number[][] };
  gpt2_embeddings_after_seed: {
    seed: number;
    token_weight_rows: Record<string, number[]>;
    token_weight_sum: number;
    token_weight_abs_sum: number;
    pos_weight: number[][];
    batch_inputs: number[][];
    input_embeddings_shape: number[];
    input_embeddings_sum: number;
    input_embeddings_first_row: number[];
  };
}

/** `safetensors_reference.safetensors`, written by the reference implementation (see the README). */
export const SAFETENSORS_REFERENCE_URL: URL = new URL(
  "safetensors_reference.safetensors",
  FIXTURES_URL,
);

/** The values in `safetensors_reference.json`, with `"inf"`, `"-inf"` and `"nan"` as numbers. */
export interface SafetensorsReference {
  shape: number[];
  f32: number[];
  f16_bits: number[];
  f16: number[];
  bf16_bits: number[];
  bf16: number[];
  i64: number[];
}

/** The parsed `safetensors_reference.json`. */
export async function safetensorsReference(): Promise<SafetensorsReference> {
  const text = await Deno.readTextFile(new URL("safetensors_reference.json", FIXTURES_URL));
  const special: Record<string, number> = { inf: Infinity, "-inf": -Infinity, nan: NaN };
  return JSON.parse(text, (_key, value) => typeof value === "string" ? special[value] : value);
}

/** `book_input_embeddings_seed123.f32`: the book's first-batch input embeddings, [8, 4, 256]. */
export async function bookInputEmbeddings(): Promise<Float32Array> {
  const bytes = await Deno.readFile(new URL("book_input_embeddings_seed123.f32", FIXTURES_URL));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from(
    { length: bytes.byteLength / 4 },
    (_, i) => view.getFloat32(4 * i, true),
  );
}
