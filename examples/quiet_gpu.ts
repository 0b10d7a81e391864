// A GPU program that prints nothing on stderr on headless Linux: GpuDevice requests the adapter
// with XDG_RUNTIME_DIR pointed at /dev/null, which it may set only with this one grant.
// Run: deno run --allow-env=XDG_RUNTIME_DIR examples/quiet_gpu.ts
import { GpuDevice } from "../mod.ts";

const gpu = await GpuDevice.shared();
console.log(gpu.description); // e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"; nothing on stderr
