// `deno task tokenize FILE` whose encoding traps inside tiktoken, run through runCli:
//   deno run --allow-read=. --allow-env=INIT_CWD tiktoken_trap_child.ts FILE
import { readTextArgument, runCli } from "../../src/cli/cli.ts";
import { BpeTokenizer } from "../../src/tokenize/bpe_tokenizer.ts";
import { trapNextEncode } from "./tiktoken_trap.ts";

await runCli("deno task tokenize", async () => {
  const text = await readTextArgument(Deno.args);
  using tokenizer = new BpeTokenizer("p50k_edit");
  trapNextEncode();
  console.log(tokenizer.encodeOrdinary(text).length);
});
