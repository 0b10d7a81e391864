// Tests write only under `.tmp/` in the project (gitignored), the one place the test task may write.

const TMP_ROOT = new URL("../../.tmp/", import.meta.url);

/** Creates a fresh directory under `.tmp/`, runs `fn` with its path, and removes it afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T> | T): Promise<T> {
  await Deno.mkdir(TMP_ROOT, { recursive: true });
  const dir = await Deno.makeTempDir({
    dir: decodeURIComponent(TMP_ROOT.pathname),
    prefix: "test-",
  });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
