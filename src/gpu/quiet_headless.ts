// Requesting a GPU adapter without the stray stderr lines of headless Linux machines.
//
// Mesa's Vulkan device-select layer (installed with mesa-vulkan-drivers, lavapipe's package) asks
// Wayland for the default GPU while the adapter is requested; without a desktop session
// XDG_RUNTIME_DIR is unset and libwayland-client prints "error: XDG_RUNTIME_DIR is invalid or
// not set in the environment." for each probe. An absolute XDG_RUNTIME_DIR silences it: the probe
// then fails quietly when it finds no socket there. /dev/null is such a path where no socket can
// ever exist (no other user can plant one, unlike a guessed temporary directory), and using it
// needs only --allow-env=XDG_RUNTIME_DIR, where a private temporary directory would also need
// write access to the temporary folder.
const VARIABLE = "XDG_RUNTIME_DIR";
const NOWHERE = "/dev/null";

/**
 * Runs `request` (the adapter and device request) with `XDG_RUNTIME_DIR` pointed at `/dev/null`
 * when it is unset or relative (what libwayland-client rejects) and the process may set it; the
 * variable is restored afterwards. Without `--allow-env=XDG_RUNTIME_DIR` it changes nothing (and
 * never prompts).
 */
export async function withQuietHeadless<T>(request: () => Promise<T>): Promise<T> {
  const granted = Deno.build.os === "linux" &&
    Deno.permissions.querySync({ name: "env", variable: VARIABLE }).state === "granted";
  const previous = granted ? Deno.env.get(VARIABLE) : undefined;
  if (!granted || previous?.startsWith("/")) return await request();
  Deno.env.set(VARIABLE, NOWHERE);
  try {
    return await request();
  } finally {
    if (previous === undefined) Deno.env.delete(VARIABLE);
    else Deno.env.set(VARIABLE, previous);
  }
}
