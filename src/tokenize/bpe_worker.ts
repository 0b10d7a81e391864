/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
// A Web Worker of BpeWorkerPool: one tiktoken encoder, encoding the pieces it is sent in order.
import { BpeTokenizer } from "./bpe_tokenizer.ts";
import { InputError } from "../util/errors.ts";
import type { WorkerReply, WorkerRequest } from "./bpe_worker_pool.ts";

let tokenizer: BpeTokenizer | undefined;

function reply(message: WorkerReply, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  try {
    if (request.type === "init") {
      tokenizer = new BpeTokenizer(request.encoding, { allowedSpecial: request.allowedSpecial });
      return;
    }
    if (tokenizer === undefined) throw new Error("the worker was sent text before its encoding");
    const ids = request.ordinary
      ? tokenizer.encodeOrdinary(request.text)
      : tokenizer.encode(request.text);
    reply({ type: "ids", ids }, [ids.buffer as ArrayBuffer]); // tiktoken copies ids out of its memory
  } catch (error) {
    reply({
      type: "failed",
      name: error instanceof Error ? error.name : "Error",
      message: error instanceof Error ? error.message : String(error),
      parameter: error instanceof InputError ? error.parameter : undefined,
    });
  }
};

reply({ type: "ready" });
