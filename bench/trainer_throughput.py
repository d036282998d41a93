"""Trainer throughput against a plain hand-written PyTorch loop: same model, data, batch size, seed, same run.

Both do the same work per epoch: a seeded shuffle, mini-batch Adam steps with cross-entropy, then
an evaluation of the validation split. Repeats alternate which one runs first. Prints samples/s
(training samples per second of wall time, validation included) and the ratio Trainer / plain.

    PYTHONPATH=src python bench/trainer_throughput.py --repeats 7 --epochs 5 --threads 2
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from hypernas.estimate.models import build_model
from hypernas.estimate.train import Dataset, Trainer, load_dataset, make_splits
from hypernas.estimate.train.trainer import seeded


def plain_loop(model: torch.nn.Module, train: Dataset, val: Dataset, epochs: int, batch_size: int, lr: float,
               seed: int) -> float:
    """The reference: what one writes by hand. Returns the last validation accuracy."""
    torch.manual_seed(seed)
    shuffle = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    x, y = train.x, train.y
    acc = 0.0
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(y), generator=shuffle)
        for start in range(0, len(y), batch_size):
            idx = order[start:start + batch_size]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        model.eval()
        correct, total_loss = 0, 0.0
        with torch.inference_mode():
            for start in range(0, len(val.y), 1024):
                logits = model(val.x[start:start + 1024])
                total_loss += float(F.cross_entropy(logits, val.y[start:start + 1024], reduction="sum"))
                correct += int((logits.argmax(1) == val.y[start:start + 1024]).sum())
        acc = correct / len(val.y)
    return acc


def workloads(scale: int) -> dict[str, tuple[Dataset, Dataset, str, dict, int]]:
    digits = make_splits(load_dataset("digits"), seed=0)
    as_float = [Dataset(d.x.float() / 255, d.y, d.classes, d.name) for d in (digits.train, digits.val)]
    g = torch.Generator().manual_seed(0)
    n = 512 * scale
    img = Dataset(torch.rand(n, 3, 32, 32, generator=g), torch.randint(0, 10, (n,), generator=g),
                  [str(i) for i in range(10)], "random 3x32x32")
    img_val = Dataset(torch.rand(256, 3, 32, 32, generator=g), torch.randint(0, 10, (256,), generator=g),
                      img.classes, "random 3x32x32")
    return {
        "digits mlp 128x2, batch 32": (*as_float, "mlp", {}, 32),
        "digits seeds' CNN, batch 64": (*as_float, "cnn", {}, 64),
        f"{n}x3x32x32 CNN 16-32-64, batch 128": (img, img_val, "cnn", {"channels": 16}, 128),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--scale", type=int, default=2, help="size of the 3x32x32 workload, in units of 512 images")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.epochs} epochs, {args.repeats} repeats")
    print(f"{'workload':40s} {'plain samples/s':>16s} {'Trainer samples/s':>18s} {'ratio':>7s} {'same result':>12s}")
    for name, (train, val, model_name, options, bs) in workloads(args.scale).items():
        speeds: dict[str, list[float]] = {"plain": [], "trainer": []}
        same = True
        for r in range(args.repeats + 1):  # the first round warms up and is not counted
            order = ["plain", "trainer"] if r % 2 else ["trainer", "plain"]
            accs = {}
            for who in order:
                with seeded(0):
                    model = build_model(model_name, train.input_shape, train.num_classes, **options)
                start = time.perf_counter()
                if who == "plain":
                    accs[who] = plain_loop(model, train, val, args.epochs, bs, 1e-3, 0)
                else:
                    result = Trainer(model, epochs=args.epochs, batch_size=bs, lr=1e-3, seed=0,
                                     restore_best=False).fit(train, val)
                    accs[who] = result.history[-1]["val_accuracy"]
                elapsed = time.perf_counter() - start
                if r:
                    speeds[who].append(args.epochs * len(train) / elapsed)
            same &= accs["plain"] == accs["trainer"]
        plain, trainer = statistics.median(speeds["plain"]), statistics.median(speeds["trainer"])
        print(f"{name:40s} {plain:16.0f} {trainer:18.0f} {trainer / plain:7.3f} {same!s:>12s}")


if __name__ == "__main__":
    main()
