// Runs its arguments as a command (output inherited) and exits with its exit code: a small parent
// for a process whose peak memory is measured. On Linux a child's ru_maxrss starts at its parent's
// peak (exec records the peak of the memory it replaces, and a spawned child shares its parent's
// until then), so a child of the test process would report the test's peak, not its own.
// Usage: deno run --allow-run=deno tests/helpers/fresh_parent.ts deno run ... script.ts ARGS
const [program, ...args] = Deno.args;
const status = await new Deno.Command(program, { args, stdin: "null" }).spawn().status;
Deno.exit(status.code);
