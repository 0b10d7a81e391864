"""What bench:compare's PyTorch contenders share: reading their standard input, and timing them
as bench/harness/measure.ts times the others."""

import time


def read_exactly(stream, size):
    """Exactly size bytes of stream; fewer is an EOFError naming both counts."""
    data = bytearray()
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            raise EOFError(f"expected {size} bytes on standard input, got {len(data)}")
        data += chunk
    return data


def measure(run, params):
    """Times run(count) after the caller's warm-up: one call calibrates how many batches make
    params["target_ms"] (clamped to params["min_batches"]..params["max_batches"]), then
    params["repetitions"] calls of that many. Returns the count and each repetition's
    milliseconds per batch."""
    start = time.perf_counter()
    run(1)
    single = max((time.perf_counter() - start) * 1000, 1e-3)
    count = int(
        min(
            params["max_batches"],
            max(params["min_batches"], -(-params["target_ms"] // single)),
        )
    )
    samples = []
    for _ in range(params["repetitions"]):
        start = time.perf_counter()
        run(count)
        samples.append((time.perf_counter() - start) * 1000 / count)
    return count, samples
