// Small shard folders for the loading tests: known token streams written with writeShard, and a
// reader that records what is read.
import { type ShardInfo, type ShardTokenReader, type TokenArray, writeShard } from "../../mod.ts";
import type { Prng } from "../../src/util/prng.ts";

/** Writes `streams` as `train_000001.bin`, `train_000002.bin`, … (or another split) in `dir`. */
export async function writeShards(
  dir: string,
  streams: readonly TokenArray[],
  options: { split?: "train" | "val"; firstNumber?: number } = {},
): Promise<string[]> {
  const { split = "train", firstNumber = 1 } = options;
  const paths: string[] = [];
  for (const [k, tokens] of streams.entries()) {
    const path = `${dir}/${split}_${String(firstNumber + k).padStart(6, "0")}.bin`;
    await writeShard(path, tokens, { version: tokens instanceof Uint16Array ? 1 : 2 });
    paths.push(path);
  }
  return paths;
}

/** A random token stream of `length` ids: uint16 ids in a `Uint16Array`, else uint32 ids. */
export function randomStream(prng: Prng, length: number, uint16: boolean): TokenArray {
  return uint16
    ? Uint16Array.from({ length }, () => prng.below(65536))
    : Uint32Array.from({ length }, () => prng.nextUint32());
}

/** One call of a reader. */
export interface ReadCall {
  path: string;
  start: number;
  count: number;
}

/** A reader that reads from the files as the default one does and logs every call first. */
export function loggingReader(log: ReadCall[], read: ShardTokenReader): ShardTokenReader {
  return (shard: ShardInfo, start: number, count: number) => {
    log.push({ path: shard.path, start, count });
    return read(shard, start, count);
  };
}
