"""Seconds per search step of the one-shot searches on the NB201 supernet, same run, one thread.

A step is what each search does per batch: DARTS an architecture step (first or second order) and a weight step,
GDAS a weight step and an architecture step each on one sampled path, SPOS a weight step on one uniform path.
Every search runs one epoch of ``--steps`` batches (after one warm-up epoch); the table gives the median over
``--repeats`` of seconds per step, and each search's speed-up over first-order DARTS.

    PYTHONPATH=src python bench/oneshot_steps.py --channels 16 --cells 5 --size 32 --batch 64 --steps 5
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch

from hypernas.oneshot import DARTSSearch, GDASSearch, SPOSSearch, nb201_single_path, nb201_supernet


def _timed(run: Callable[[], object], steps: int) -> float:
    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--channels", type=int, default=16)
    parser.add_argument("--cells", type=int, default=5)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    n = args.batch * args.steps
    data = (torch.randn(n, 3, args.size, args.size, generator=g), torch.randint(0, 10, (n,), generator=g))
    shape = dict(channels=args.channels, cells=args.cells)
    mixed = nb201_supernet(**shape)
    single = nb201_single_path(**shape)
    runs: dict[str, Callable[[], object]] = {
        "DARTS 1st order": lambda: DARTSSearch(order=1, epochs=1, batch_size=args.batch).search(mixed, data, data),
        "DARTS 2nd order": lambda: DARTSSearch(order=2, epochs=1, batch_size=args.batch).search(mixed, data, data),
        "GDAS": lambda: GDASSearch(epochs=1, batch_size=args.batch).search(mixed, data, data),
        "SPOS": lambda: SPOSSearch(epochs=1, batch_size=args.batch).train(single, data),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    for run in runs.values():
        run()  # warm-up
    for _ in range(args.repeats):
        for name, run in runs.items():
            times[name].append(_timed(run, args.steps))
    base = statistics.median(times["DARTS 1st order"])
    print(f"NB201 supernet C={args.channels}, {args.cells} cells/stage, {args.size}x{args.size}, batch {args.batch}, "
          "1 thread")
    print(f"{'search':<18}{'s/step':>10}{'speed-up vs DARTS-1':>22}")
    for name, values in times.items():
        t = statistics.median(values)
        print(f"{name:<18}{t:>10.3f}{base / t:>21.1f}x")


if __name__ == "__main__":
    main()
