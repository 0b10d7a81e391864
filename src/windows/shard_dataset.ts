import { InputError } from "../util/errors.ts";
import { checkInteger, describe } from "../util/checks.ts";
import { checkShardInfo, type ShardInfo, type ShardSplit } from "../formats/shard_format.ts";
import { listShards, readShardTokens } from "../formats/shard_reader.ts";
import { checkEnoughTokens, windowCount, WindowDataset } from "./window_dataset.ts";
import type { TokenArray } from "../tokenize/token_ids.ts";
import {
  checkWindowOptions,
  SlidingWindows,
  type WindowDatasetOptions,
} from "./sliding_windows.ts";

/**
 * Reads `count` tokens of a shard from token `start` on. The default is
 * {@linkcode readShardTokens}; pass your own to count, cache or fetch reads elsewhere.
 */
export type ShardTokenReader = (
  shard: ShardInfo,
  start: number,
  count: number,
) => Promise<TokenArray>;

/** Options of {@linkcode ShardDataset}: the windows' sizes and how tokens are read. */
export interface ShardDatasetOptions extends WindowDatasetOptions {
  /** How shard tokens are read. Default: {@linkcode readShardTokens}. */
  read?: ShardTokenReader;
}

/** Options of {@linkcode ShardDataset.open}: a folder's shards of one split. */
export interface OpenShardDatasetOptions extends ShardDatasetOptions {
  /**
   * Only the shards whose name says this split (`train_000001.bin`, `val_000000.bin`, llm.c's
   * `fineweb_train_000001.bin`). Default: every `.bin` shard of the folder, as
   * {@linkcode listShards}; name a split so that validation shards stay out of training.
   */
  split?: ShardSplit;
}

/**
 * The book's windows (see {@linkcode WindowDataset}) over a list of token shards, each shard its
 * own token stream: **windows do not cross shard boundaries**. Shard `k`'s windows are exactly
 * those of `new WindowDataset(tokensOfShard(k), { maxLength, stride })`: starts `0, stride, …`
 * up to `tokenCount - maxLength - 1`, the book's `range(0, n - max_length, stride)` per shard.
 * So no input or target mixes the end of one shard with the start of the next, and the last
 * tokens of each shard that do not fill a window (at most `maxLength + stride - 1`) are unused.
 *
 * Only the headers are read when the dataset is made: the window counts, and so the loader's
 * number of batches, come from them. Tokens are read when asked for, a shard at a time
 * ({@linkcode ShardDataset.load}) or a range ({@linkcode ShardDataset.readTokens}).
 *
 * A shard of fewer than `maxLength + 1` tokens has no window and is **skipped** (its
 * {@linkcode ShardDataset.windowCount} is 0), since `prepare` leaves a short last shard in each
 * split; a dataset in which no shard has a window is an {@linkcode InputError}.
 *
 * @example Windows of two shards; none crosses from one to the other
 * ```ts
 * import { ShardDataset, writeShard } from "../../mod.ts";
 * import assert from "node:assert/strict";
 *
 * await Deno.mkdir(".tmp", { recursive: true });
 * const dir = await Deno.makeTempDir({ dir: ".tmp" });
 * await writeShard(`${dir}/train_000001.bin`, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
 * await writeShard(`${dir}/train_000002.bin`, [10, 11, 12, 13, 14, 15]);
 * await writeShard(`${dir}/val_000000.bin`, [20, 21, 22, 23, 24, 25]);
 * const train = await ShardDataset.open(dir, { split: "train", maxLength: 4, stride: 2 });
 * assert.deepEqual([train.windowCount(0), train.windowCount(1), train.length], [3, 1, 4]);
 * const second = await train.load(1); // a WindowDataset over the second shard's tokens
 * assert.deepEqual([...second.input(0)], [10, 11, 12, 13]);
 * assert.deepEqual([...second.target(0)], [11, 12, 13, 14]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class ShardDataset extends SlidingWindows {
  readonly #shards: readonly ShardInfo[];
  readonly #read: ShardTokenReader;
  readonly #windowCounts: readonly number[];

  /**
   * The shards of a folder (or of one split of it), in shard-number order, headers checked: the
   * folder's shards as {@linkcode listShards} finds them. Options are checked before the folder
   * is read. A folder without any shard of the split, or whose shards are all shorter than
   * `maxLength + 1` tokens, is an {@linkcode InputError}; so is a shard whose header is wrong
   * (the reader's error, naming the file).
   *
   * @param dir The folder of shards, e.g. what `deno task prepare` wrote.
   * @param options `maxLength`, `stride`, the `split` and the optional reader.
   * @returns The dataset.
   */
  static async open(dir: string, options: OpenShardDatasetOptions): Promise<ShardDataset> {
    if (typeof dir !== "string" || dir === "") {
      throw new InputError("dir", `must be a folder's path, got ${describe(dir)}`);
    }
    checkDatasetOptions(options);
    const split = options.split;
    const shards = await listShards(dir, { split });
    if (shards.length === 0) {
      throw new InputError(
        dir,
        split === undefined ? "holds no token shards (.bin files)" : `holds no ${split} shards ` +
          `(.bin files whose name says ${split}, e.g. ${split}_000001.bin)`,
      );
    }
    return new ShardDataset(shards, options);
  }

  /**
   * A dataset over shards whose headers you have, e.g. from {@linkcode listShards} or a subset of
   * them; nothing is read.
   *
   * @param shards The shards' headers, in the order of their windows.
   * @param options `maxLength`, `stride` and the optional reader.
   */
  constructor(shards: readonly ShardInfo[], options: ShardDatasetOptions) {
    checkDatasetOptions(options);
    if (!Array.isArray(shards) || shards.length === 0) {
      throw new InputError(
        "shards",
        `must be a non-empty list of shard headers, got ${describe(shards)}`,
      );
    }
    shards.forEach((shard, index) => checkShardInfo(`shards[${index}]`, shard));
    const { maxLength, stride } = options;
    const windowCounts = shards.map((s) => windowCount(s.tokenCount, maxLength, stride));
    const length = windowCounts.reduce((sum, count) => sum + count, 0);
    if (length === 0) {
      const longest = shards.reduce((a, b) => (b.tokenCount > a.tokenCount ? b : a));
      throw new InputError(
        "maxLength",
        `is ${maxLength}, but no shard holds maxLength + 1 = ${maxLength + 1} tokens (the ` +
          `longest, ${longest.path}, holds ${longest.tokenCount}), so there is no window ` +
          `(windows do not cross shards)`,
      );
    }
    super(options, length);
    this.#shards = Object.freeze([...shards]);
    this.#read = options.read ?? readShardTokens;
    this.#windowCounts = windowCounts;
  }

  /** The shards' headers, in order: shard `k` is `shards[k]`. */
  get shards(): readonly ShardInfo[] {
    return this.#shards;
  }

  #checkShardIndex(shard: number): void {
    checkInteger("shard", shard, 0, this.#shards.length - 1);
  }

  /**
   * Shard `shard`'s windows, from its header: `ceil((tokenCount - maxLength) / stride)`, or 0
   * when it holds fewer than `maxLength + 1` tokens.
   */
  windowCount(shard: number): number {
    this.#checkShardIndex(shard);
    return this.#windowCounts[shard];
  }

  /**
   * Reads `count` tokens of shard `shard` from token `start` on, through the dataset's reader.
   *
   * @param shard The shard's index in {@linkcode ShardDataset.shards}.
   * @param start The first token.
   * @param count How many tokens.
   * @returns The tokens: `Uint16Array` for version-1 shards, `Uint32Array` for version 2.
   */
  async readTokens(shard: number, start: number, count: number): Promise<TokenArray> {
    this.#checkShardIndex(shard);
    const info = this.#shards[shard];
    checkInteger("start", start, 0, info.tokenCount);
    checkInteger("count", count, 0, info.tokenCount - start);
    const tokens = await this.#read(info, start, count);
    if (!(tokens instanceof Uint16Array || tokens instanceof Uint32Array)) {
      throw new InputError(
        "read",
        `must return a Uint16Array or Uint32Array, got ${describe(tokens)}`,
      );
    }
    if (tokens.length !== count) {
      throw new InputError(
        "read",
        `returned ${tokens.length} tokens of ${info.path} from token ${start}, expected ${count}`,
      );
    }
    return tokens;
  }

  /**
   * Reads shard `shard` whole and returns its windows: a {@linkcode WindowDataset} over its
   * tokens (2 bytes a token for version-1 shards, 4 for version 2). Each call reads the shard
   * again; keep the result as long as you need it.
   *
   * @param shard The shard's index in {@linkcode ShardDataset.shards}.
   * @returns Its windows.
   */
  async load(shard: number): Promise<WindowDataset> {
    this.#checkShardIndex(shard);
    const info = this.#shards[shard];
    checkEnoughTokens(info.path, info.tokenCount, this.maxLength);
    const tokens = await this.readTokens(shard, 0, info.tokenCount);
    return new WindowDataset(tokens, { maxLength: this.maxLength, stride: this.stride });
  }
}

function checkDatasetOptions(options: ShardDatasetOptions): void {
  checkWindowOptions(options);
  if (options.read !== undefined && typeof options.read !== "function") {
    throw new InputError(
      "read",
      `must be a function (shard, start, count) => Promise of tokens, got ${
        describe(options.read)
      }`,
    );
  }
}
