/** tiktoken's compiled WebAssembly module. */
export declare const tiktokenModule: WebAssembly.Module;
