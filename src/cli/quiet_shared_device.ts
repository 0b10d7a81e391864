// The tasks' GPU device, requested without the stray stderr lines of headless Linux machines.
//
// Mesa's Vulkan device-select layer (installed with mesa-vulkan-drivers, lavapipe's package) asks
// Wayland for the default GPU while the adapter is requested; without a desktop session
// XDG_RUNTIME_DIR is unset and libwayland-client prints "error: XDG_RUNTIME_DIR is invalid or
// not set in the environment." for each probe. An absolute XDG_RUNTIME_DIR silences it: the probe
// then fails quietly when it finds no socket there. /dev/null is such a path where no socket can
// ever exist (no other user can plant one, unlike a guessed temporary directory), and using it
// needs only --allow-env=XDG_RUNTIME_DIR, where a private temporary directory would also need
// write access to the temporary folder.
import { GpuDevice } from "../gpu/device.ts";

const VARIABLE = "XDG_RUNTIME_DIR";
const NOWHERE = "/dev/null";

/**
 * {@linkcode GpuDevice.shared}, with `XDG_RUNTIME_DIR` pointed at `/dev/null` while the adapter
 * and device are requested when it is unset or relative (what libwayland-client rejects) and the
 * process may set it; the variable is restored afterwards. Without `--allow-env=XDG_RUNTIME_DIR`
 * it changes nothing (and never prompts).
 */
export async function quietSharedDevice(): Promise<GpuDevice> {
  const granted = Deno.build.os === "linux" &&
    Deno.permissions.querySync({ name: "env", variable: VARIABLE }).state === "granted";
  const previous = granted ? Deno.env.get(VARIABLE) : undefined;
  if (!granted || previous?.startsWith("/")) return await GpuDevice.shared();
  Deno.env.set(VARIABLE, NOWHERE);
  try {
    return await GpuDevice.shared();
  } finally {
    if (previous === undefined) Deno.env.delete(VARIABLE);
    else Deno.env.set(VARIABLE, previous);
  }
}
