// A real WebAssembly trap inside tiktoken, on demand: the next encode_ordinary call of any
// tiktoken encoder runs with its Rust object pointer moved out of the WebAssembly memory, so the
// Rust code traps ("memory access out of bounds") as it would on a bug or an exhausted memory.
import { Tiktoken } from "npm:tiktoken@1.0.22/init";

/** Makes the next `encode_ordinary` trap; returns a function that undoes it. */
export function trapNextEncode(): () => void {
  const original = Tiktoken.prototype.encode_ordinary;
  Tiktoken.prototype.encode_ordinary = function (this: Tiktoken, text: string) {
    Tiktoken.prototype.encode_ordinary = original;
    (this as unknown as { __wbg_ptr: number }).__wbg_ptr = 0xfffffff0;
    return original.call(this, text);
  };
  return () => {
    Tiktoken.prototype.encode_ordinary = original;
  };
}
