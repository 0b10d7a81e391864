"""PyTorch CPU training contender of bench:compare (run by bench/harness/torch_training.ts).

Standard input: one JSON line {"kind", "vocab_size", "batch_size", "seq_length", "dim", "lr",
"threads", "repetitions", "target_ms", "min_batches", "max_batches"}, then raw little-endian
arrays. For "semigpt_step": the table (float32 [V, V]), the inputs and the targets (int32
[B, T] each). For "input_embedding_step": the token table (float32 [V, D]), the position table
(float32 [T, D]), the ids (int32 [B, T]) and R (float32 [B, T, D]).

A step is what a training loop does: forward, loss, zero_grad, backward, AdamW step
(torch.optim.AdamW, its defaults but lr). Standard output: one JSON line {"torch", "threads",
"ms_per_step", "steps_per_repetition", "samples", "first_loss"}. Timing follows
bench/harness/measure.ts: warm-up, calibration, median of the repetitions.
"""

import json
import statistics
import sys

import torch
import torch.nn.functional as F

from torch_harness import measure, read_exactly


def tensor(stream, count, dtype):
    return torch.frombuffer(read_exactly(stream, 4 * count), dtype=dtype)


def main():
    stdin = sys.stdin.buffer
    p = json.loads(stdin.readline())
    torch.set_num_threads(p["threads"])
    v, b, t = p["vocab_size"], p["batch_size"], p["seq_length"]
    if p["kind"] == "semigpt_step":
        table = torch.nn.Embedding(v, v)
        with torch.no_grad():
            table.weight.copy_(tensor(stdin, v * v, torch.float32).view(v, v))
        inputs = tensor(stdin, b * t, torch.int32).long()
        targets = tensor(stdin, b * t, torch.int32).long()
        params = list(table.parameters())

        def loss_fn():
            return F.cross_entropy(table(inputs), targets)
    else:
        d = p["dim"]
        token = torch.nn.Embedding(v, d)
        position = torch.nn.Embedding(t, d)
        with torch.no_grad():
            token.weight.copy_(tensor(stdin, v * d, torch.float32).view(v, d))
            position.weight.copy_(tensor(stdin, t * d, torch.float32).view(t, d))
        ids = tensor(stdin, b * t, torch.int32).long().view(b, t)
        r = tensor(stdin, b * t * d, torch.float32).view(b, t, d)
        arange = torch.arange(t)
        params = list(token.parameters()) + list(position.parameters())

        def loss_fn():
            return ((token(ids) + position(arange)) * r).sum()

    optimizer = torch.optim.AdamW(params, lr=p["lr"])

    def run_steps(count):
        loss = None
        for _ in range(count):
            loss = loss_fn()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        return loss

    first_loss = run_steps(1).item()  # warm-up, and the loss that is checked
    count, samples = measure(run_steps, p)
    report = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "ms_per_step": statistics.median(samples),
        "steps_per_repetition": count,
        "samples": samples,
        "first_loss": first_loss,
    }
    sys.stdout.write(json.dumps(report) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
