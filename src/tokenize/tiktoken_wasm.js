// @ts-self-types="./tiktoken_wasm.d.ts"
// A source-phase import hands tiktoken its compiled WebAssembly module, so the package never
// reads its `.wasm` file from disk at run time: BPE needs no read permission, locally or when
// this module is imported from a URL. TypeScript cannot parse `import source` yet, hence a
// JavaScript file with its types beside it.
import source tiktokenModule from "npm:tiktoken@1.0.22/tiktoken_bg.wasm";

export { tiktokenModule };
