// Preloaded (`deno run --preload`) into a task's process by the tests that measure its memory:
// when the process ends, prints its peak resident set size on stderr as `peak-rss-kib N`.
// getrusage's ru_maxrss needs no permission, whereas /proc/self/status needs --allow-all.
import process from "node:process";

globalThis.addEventListener("unload", () => {
  console.error(`peak-rss-kib ${process.resourceUsage().maxRSS}`);
});
