// Preloaded into a task (`deno run --preload` this file) that runs under a file-size limit
// (`prlimit --fsize=N`): the kernel then stops a write that would pass the limit with the signal
// SIGXFSZ, which kills a process by default. Catching it makes the write fail instead, with
// EFBIG ("File too large"), as a full disk fails it with ENOSPC: a real fault, met by the task's
// own code in the middle of writing a file.
Deno.addSignalListener("SIGXFSZ", () => {});
