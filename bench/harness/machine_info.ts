// What a benchmark result must say about where it was measured.
import type { GpuDevice } from "../../src/gpu/device.ts";
import { PYTHONS, runPythonCode } from "./python.ts";

/** The machine, runtime and date of a run (keys as printed by `--json`). */
export interface MachineInfo {
  cpu: string;
  cores: number;
  adapter: string;
  adapter_vendor: string;
  adapter_architecture: string;
  deno: string;
  v8: string;
  target: string;
  date: string;
}

// Deno reads /proc/cpuinfo only with --allow-all, so the model name comes from the Python the
// comparison may run anyway; `platform.processor()` where there is no /proc/cpuinfo.
const CPU_MODEL_CODE = `
import platform, re
try:
    print(re.search(r"^model name\\s*:\\s*(.+)$", open("/proc/cpuinfo").read(), re.M).group(1))
except Exception:
    print(platform.processor() or platform.machine())
`;

/** The CPU's model name, or "unknown" when no Python can say. */
async function cpuModel(): Promise<string> {
  for (const python of PYTHONS) {
    try {
      return await runPythonCode(python, CPU_MODEL_CODE) || "unknown";
    } catch {
      // try the next interpreter
    }
  }
  return "unknown";
}

/** The machine's CPU, core count, GPU adapter, Deno and V8 versions, and the date and time now. */
export async function machineInfo(gpu: GpuDevice): Promise<MachineInfo> {
  const info = gpu.adapterInfo;
  return {
    cpu: await cpuModel(),
    cores: navigator.hardwareConcurrency,
    adapter: info.description || info.device || "unknown",
    adapter_vendor: info.vendor,
    adapter_architecture: info.architecture,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    target: Deno.build.target,
    date: new Date().toISOString(),
  };
}
