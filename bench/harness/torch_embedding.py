"""PyTorch CPU contender of bench:compare (run by bench/harness/torch_contender.ts).

Standard input: one JSON line {"vocab_size", "batch_size", "seq_length", "dim", "threads",
"repetitions", "target_ms", "min_batches", "max_batches"}, then the raw little-endian bytes of
the token table (float32 [vocab_size, dim]), the position table (float32 [seq_length, dim]) and
the ids (int32 [batch_size, seq_length]).

Standard output: one JSON line {"torch", "threads", "ms_per_batch", "batches_per_repetition",
"samples"}, then the raw float32 bytes of one batch's input embeddings, for the check against
the CPU reference. Timing follows bench/harness/measure.ts: warm-up, calibration, median.
"""

import json
import statistics
import sys

import torch

from torch_harness import measure, read_exactly


def main():
    stdin = sys.stdin.buffer
    params = json.loads(stdin.readline())
    vocab, batch, seq, dim = (
        params["vocab_size"],
        params["batch_size"],
        params["seq_length"],
        params["dim"],
    )
    torch.set_num_threads(params["threads"])
    table = torch.frombuffer(read_exactly(stdin, 4 * vocab * dim), dtype=torch.float32)
    positions = torch.frombuffer(read_exactly(stdin, 4 * seq * dim), dtype=torch.float32)
    ids = torch.frombuffer(read_exactly(stdin, 4 * batch * seq), dtype=torch.int32)

    token_layer = torch.nn.Embedding(vocab, dim)
    position_layer = torch.nn.Embedding(seq, dim)
    with torch.no_grad():
        token_layer.weight.copy_(table.view(vocab, dim))
        position_layer.weight.copy_(positions.view(seq, dim))
    inputs = ids.view(batch, seq).long()
    arange = torch.arange(seq)

    def run_batches(count):
        for _ in range(count):
            out = token_layer(inputs) + position_layer(arange)
        return out

    with torch.inference_mode():
        output = run_batches(1)  # warm-up, and the output that is checked
        count, samples = measure(run_batches, params)

    report = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "ms_per_batch": statistics.median(samples),
        "batches_per_repetition": count,
        "samples": samples,
    }
    stdout = sys.stdout.buffer
    stdout.write(json.dumps(report).encode() + b"\n")
    stdout.write(output.contiguous().numpy().astype("<f4").tobytes())
    stdout.flush()


if __name__ == "__main__":
    main()
