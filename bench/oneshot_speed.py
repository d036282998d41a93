"""One-shot search steps: speed and memory of hypernas's DARTS, GDAS and SPOS beside a hand-written DARTS and NNI 3.0.

Every contender searches the NB201 supernet (C=16, 5 cells per stage, 10 classes, the five NB201 candidates) on
random images of one size, batch ``--batch``, one torch thread. A step is what the search does per batch: for DARTS
(and GDAS) one architecture step on a validation batch and one weight step on a training batch, for SPOS one weight
step. Each contender runs in a fresh subprocess per input size and repeat, so memory growth is comparable:

- time: the median seconds per step over ``--steps`` steps after ``--warmup`` steps of every repeat, measured between
  consecutive batches as the search itself asks for them (everything a step does is counted, bookkeeping included),
  in wall-clock seconds and in the process's CPU seconds (with one thread, the CPU time is what a shared, loaded
  machine disturbs least);
- memory: the growth of the process's peak resident set size over its resident size just before the first step
  (``VmHWM`` reset through ``/proc/self/clear_refs``), so it is what the steps' activations, gradients and optimiser
  states add.

Contenders (``--methods``), each one small function of ``METHODS``:

- ``hypernas-darts1`` / ``hypernas-darts2``: :class:`~hypernas.oneshot.DARTSSearch` of order 1 / 2 on
  :func:`~hypernas.oneshot.nb201_supernet`, run through ``search()`` for one epoch of exactly the measured batches;
- ``plain-darts1``: a minimal first-order DARTS written here: one module per candidate on every edge, the edge's
  output the softmax-weighted sum of all of them (``none`` a multiplication by zero), shared architecture
  parameters, Adam on them from the validation loss's ``backward()``, then SGD on the weights, as the original
  DARTS code is organised;
- ``nni-darts1``: NNI 3.0's DARTS (``nni.nas.strategy.DARTS``: first order only) on its ``NasBench201`` space, run by
  PyTorch Lightning through a ``Classification`` evaluator, as NNI's documentation runs it (so its per-step
  bookkeeping, accuracy metric and logging included), in the Python of ``--nni-python``;
- ``hypernas-gdas`` against ``nni-gumbel-darts``: GDAS computes one sampled candidate per edge (hard
  straight-through Gumbel weights); NNI's ``GumbelDARTS`` is **not the same method**: it mixes every candidate with
  soft Gumbel-softmax weights, so it costs what DARTS costs;
- ``hypernas-spos`` (:class:`~hypernas.oneshot.SPOSSearch` on ``nb201_single_path``) against
  ``nni-random-one-shot`` (NNI's ``RandomOneShot``): one weight step on one uniformly sampled path.

NNI 3.0 runs in its own environment (it needs ``pytorch-lightning<2.1``): ``python3 -m venv /work/nni-venv &&
/work/nni-venv/bin/pip install torch==2.13.0 "nni==3.0" "pytorch-lightning<2.1" "setuptools<81"``. It installs and
runs with torch 2.13 (warning that ``torch.nn.Buffer`` "is not a nn.Module"); ``setuptools<81`` is needed because
lightning_fabric 2.0 imports ``pkg_resources``, which newer setuptools no longer ship (without it: ``No module named
'pkg_resources'``). A contender that fails shows the last line of its error in the table. The hypernas contenders
import hypernas inside their functions and the NNI ones import NNI there, so either side runs without the other.
Differences in the networks: NNI's NB201 candidates keep affine batch norms (hypernas and the hand-written DARTS
search without them, as published), a few hundred parameters more.

Ratios compare contenders of the same run at the same size. Targets (issue 21): first-order DARTS at most 0.7x
NNI's time and at most 0.5x its memory growth; second order at most 3x our first order; GDAS at least 5x faster than
NNI's GumbelDARTS; SPOS at most NNI's RandomOneShot.

    PYTHONPATH=src nice -n 10 python bench/oneshot_speed.py --steps 10 --repeats 2 --sizes 16,32 --batch 64 \
        --threads 1 --nni-python /work/nni-venv/bin/python
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

CLASSES = 10
CHANNELS = 16
CELLS = 5
Batch = tuple[torch.Tensor, torch.Tensor]


# --- measuring -------------------------------------------------------------------------------------------------------

def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        found = re.search(rf"^{field}:\s+(\d+) kB", f.read(), re.MULTILINE)
    if found is None:
        raise RuntimeError(f"/proc/self/status has no {field}")
    return int(found.group(1))


class Meter:
    """Timestamps taken as each batch is asked for, and the peak memory from just before the first one."""

    def __init__(self) -> None:
        self.marks: list[float] = []
        self.cpu_marks: list[float] = []
        self.base_kib = 0
        self.peak_kib = 0

    def mark(self) -> None:
        if not self.marks:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")  # reset the peak resident set size to the current one
            self.base_kib = _status_kib("VmRSS")
        self.marks.append(time.perf_counter())
        self.cpu_marks.append(time.process_time())
        self.peak_kib = _status_kib("VmHWM")

    def result(self, warmup: int) -> dict[str, object]:
        """The wall and CPU seconds of every step after the first ``warmup`` ones, and the peak growth in MiB."""
        steps = [b - a for a, b in zip(self.marks, self.marks[1:])][warmup:]
        cpu = [b - a for a, b in zip(self.cpu_marks, self.cpu_marks[1:])][warmup:]
        return {"times": steps, "cpu_times": cpu, "median_s": statistics.median(steps), "cpu_s": statistics.median(cpu),
                "growth_mib": (self.peak_kib - self.base_kib) / 1024}


def random_split(n: int, size: int, seed: int) -> Batch:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, size, size, generator=g), torch.randint(0, CLASSES, (n,), generator=g)


class MeteredBatches:
    """Fixed batches of a split, read once; the meter marks every request, the one that ends the epoch included."""

    def __init__(self, split: Batch, batch: int, meter: Meter | None) -> None:
        x, y = split
        self.batches = [(x[i:i + batch], y[i:i + batch]) for i in range(0, len(x), batch)]
        self.meter = meter

    def __iter__(self) -> Iterator[Batch]:
        for b in self.batches:
            if self.meter is not None:
                self.meter.mark()
            yield b
        if self.meter is not None:
            self.meter.mark()

    def __len__(self) -> int:
        return len(self.batches)


# --- hypernas ---------------------------------------------------------------------------------------------------------

def run_hypernas(order: int) -> Callable[[Batch, Batch, int, Meter], None]:
    def run(train: Batch, val: Batch, batch: int, meter: Meter) -> None:
        from hypernas.oneshot import DARTSSearch, nb201_supernet

        supernet = nb201_supernet(num_classes=CLASSES, channels=CHANNELS, cells=CELLS, seed=0)
        search = DARTSSearch(order=order, epochs=1, batch_size=batch, seed=0)
        search.search(supernet, MeteredBatches(train, batch, meter), MeteredBatches(val, batch, None))

    return run


def run_hypernas_gdas(train: Batch, val: Batch, batch: int, meter: Meter) -> None:
    from hypernas.oneshot import GDASSearch, nb201_supernet

    supernet = nb201_supernet(num_classes=CLASSES, channels=CHANNELS, cells=CELLS, seed=0)
    GDASSearch(epochs=1, batch_size=batch, seed=0).search(supernet, MeteredBatches(train, batch, meter),
                                                          MeteredBatches(val, batch, None))


def run_hypernas_spos(train: Batch, val: Batch, batch: int, meter: Meter) -> None:
    from hypernas.oneshot import SPOSSearch, nb201_single_path

    supernet = nb201_single_path(num_classes=CLASSES, channels=CHANNELS, cells=CELLS, seed=0)
    SPOSSearch(epochs=1, batch_size=batch, seed=0).train(supernet, MeteredBatches(train, batch, meter))


# --- a minimal hand-written DARTS ------------------------------------------------------------------------------------

def _relu_conv_bn(c: int, k: int) -> nn.Module:
    return nn.Sequential(nn.ReLU(), nn.Conv2d(c, c, k, 1, k // 2, bias=False), nn.BatchNorm2d(c, affine=False))


class PlainMixedEdge(nn.Module):
    """All five NB201 candidates on one edge, summed with the edge's softmax weights."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.candidates = nn.ModuleList([nn.Identity(), _relu_conv_bn(c, 1), _relu_conv_bn(c, 3),
                                         nn.AvgPool2d(3, 1, 1, count_include_pad=False)])

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        out = w[0] * x.mul(0.0)  # none
        for k, op in enumerate(self.candidates, start=1):
            out = out + w[k] * op(x)
        return out


class PlainCell(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.edges = nn.ModuleList(PlainMixedEdge(c) for _ in range(6))  # (0,1) (0,2) (1,2) (0,3) (1,3) (2,3)

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        e = 0
        for j in range(1, 4):
            total = self.edges[e](nodes[0], weights[e])
            for i in range(1, j):
                total = total + self.edges[e + i](nodes[i], weights[e + i])
            e += j
            nodes.append(total)
        return nodes[-1]


class PlainReduce(nn.Module):
    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.ReLU(), nn.Conv2d(c_in, c_out, 3, 2, 1, bias=False), nn.BatchNorm2d(c_out),
                                  nn.ReLU(), nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out))
        self.shortcut = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.shortcut(x)


class PlainSupernet(nn.Module):
    """The NB201 search network; ``alphas`` (6 edges x 5 candidates) are shared by every cell."""

    def __init__(self, c: int = CHANNELS, cells: int = CELLS, classes: int = CLASSES) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
        layers: list[nn.Module] = []
        for stage in range(3):
            if stage:
                layers.append(PlainReduce(c, 2 * c))
                c *= 2
            layers += [PlainCell(c) for _ in range(cells)]
        self.layers = nn.ModuleList(layers)
        self.head = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, classes))
        self.alphas = nn.Parameter(1e-3 * torch.randn(6, 5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = torch.softmax(self.alphas, dim=-1)
        x = self.stem(x)
        for layer in self.layers:
            x = layer(x, weights) if isinstance(layer, PlainCell) else layer(x)
        return self.head(x)


def run_plain(train: Batch, val: Batch, batch: int, meter: Meter) -> None:
    torch.manual_seed(0)
    model = PlainSupernet()
    weights = [p for name, p in model.named_parameters() if name != "alphas"]
    w_opt = torch.optim.SGD(weights, 0.025, momentum=0.9, weight_decay=3e-4)
    a_opt = torch.optim.Adam([model.alphas], 3e-4, betas=(0.5, 0.999), weight_decay=1e-3)
    model.train()
    for (xt, yt), (xv, yv) in zip(MeteredBatches(train, batch, meter), MeteredBatches(val, batch, None)):
        a_opt.zero_grad()
        F.cross_entropy(model(xv), yv).backward()
        a_opt.step()
        w_opt.zero_grad()
        F.cross_entropy(model(xt), yt).backward()
        nn.utils.clip_grad_norm_(weights, 5.0)
        w_opt.step()


# --- NNI 3.0 (imported only inside its subprocess) ----------------------------------------------------------------------

def run_nni(strategy_name: str, **strategy_kwargs: object) -> Callable[[Batch, Batch, int, Meter], None]:
    """NNI's one-shot ``strategy_name`` on its NB201 space, as its documentation runs it: a ``Classification``
    evaluator (SGD as DARTS publishes it, gradients clipped at 5: by the strategy where it optimises by hand, else by
    Lightning) trained by Lightning for one epoch."""

    def run(train: Batch, val: Batch, batch: int, meter: Meter) -> None:
        import pytorch_lightning as pl
        from nni.nas import strategy as strategies
        from nni.nas.evaluator.pytorch import Classification, DataLoader
        from nni.nas.hub.pytorch import NasBench201

        class Marks(pl.Callback):
            def on_train_batch_start(self, trainer: pl.Trainer, module: pl.LightningModule, batch: object,
                                     batch_idx: int) -> None:
                meter.mark()

            def on_train_batch_end(self, trainer: pl.Trainer, module: pl.LightningModule, outputs: object,
                                   batch: object, batch_idx: int) -> None:
                if batch_idx == last:
                    meter.mark()

        torch.manual_seed(0)
        space = NasBench201(stem_out_channels=CHANNELS, num_modules_per_stack=CELLS, num_labels=CLASSES)
        strategy = getattr(strategies, strategy_name)(**strategy_kwargs)
        loaders = [DataLoader(torch.utils.data.TensorDataset(*split), batch_size=batch) for split in (train, val)]
        last = len(loaders[0]) - 1
        clip = {} if "gradient_clip_val" in strategy_kwargs else {"gradient_clip_val": 5.0}
        evaluator = Classification(learning_rate=0.025, weight_decay=3e-4,
                                   optimizer=functools.partial(torch.optim.SGD, momentum=0.9),
                                   train_dataloaders=loaders[0], val_dataloaders=loaders[1], num_classes=CLASSES,
                                   max_epochs=1, accelerator="cpu", devices=1, callbacks=[Marks()], logger=False,
                                   enable_progress_bar=False, enable_checkpointing=False, enable_model_summary=False,
                                   num_sanity_val_steps=0, limit_val_batches=0, **clip)
        supernet = strategy.mutate_model(space)
        strategy.mutate_evaluator(evaluator).evaluate(supernet)

    return run


# --- one configuration in its own process ------------------------------------------------------------------------------

METHODS: dict[str, Callable[[Batch, Batch, int, Meter], None]] = {
    "hypernas-darts1": run_hypernas(1),
    "hypernas-darts2": run_hypernas(2),
    "plain-darts1": run_plain,
    "nni-darts1": run_nni("DARTS", gradient_clip_val=5.0),
    "hypernas-gdas": run_hypernas_gdas,
    "nni-gumbel-darts": run_nni("GumbelDARTS", gradient_clip_val=5.0),
    "hypernas-spos": run_hypernas_spos,
    "nni-random-one-shot": run_nni("RandomOneShot"),
}
NNI_METHODS = {"nni-darts1", "nni-gumbel-darts", "nni-random-one-shot"}


TARGETS = [
    ("hypernas-darts1", "nni-darts1", "time", 0.7),
    ("hypernas-darts1", "nni-darts1", "memory", 0.5),
    ("hypernas-darts2", "hypernas-darts1", "time", 3.0),
    ("hypernas-gdas", "nni-gumbel-darts", "time", 0.2),
    ("hypernas-spos", "nni-random-one-shot", "time", 1.0),
]
"""(contender, reference, what, the most the ratio may be): the targets of issue 21."""


def worker(method: str, size: int, batch: int, steps: int, warmup: int, threads: int) -> dict[str, object]:
    torch.set_num_threads(threads)
    n = batch * (steps + warmup)
    train, val = random_split(n, size, 1), random_split(n, size, 2)
    meter = Meter()
    METHODS[method](train, val, batch, meter)
    if len(meter.marks) != steps + warmup + 1:
        raise RuntimeError(f"{method}: measured {len(meter.marks) - 1} steps, expected {steps + warmup}")
    return meter.result(warmup)


def spawn(python: str, method: str, size: int, args: argparse.Namespace) -> dict[str, object] | str:
    """Run one configuration in a fresh process; its result, or why it failed (one line)."""
    cmd = [python, str(Path(__file__).resolve()), "--worker", method, "--sizes", str(size), "--batch", str(args.batch),
           "--steps", str(args.steps), "--warmup", str(args.warmup), "--threads", str(args.threads)]
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        errors = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        return errors[-1] if errors else f"exit status {done.returncode}"
    return json.loads(lines[-1][len("RESULT "):])


Summary = dict[str, float]


def summarize(runs: list[dict[str, object] | str]) -> Summary | str:
    """The median wall and CPU seconds over every measured step of every repeat, the median memory growth of the
    repeats."""
    done = [r for r in runs if isinstance(r, dict)]
    if not done:
        return str(runs[0])
    times = [t for r in done for t in r["times"]]  # type: ignore[attr-defined]
    cpu = [t for r in done for t in r["cpu_times"]]  # type: ignore[attr-defined]
    return {"median_s": statistics.median(times), "cpu_s": statistics.median(cpu),
            "growth_mib": statistics.median(float(r["growth_mib"]) for r in done), "steps": len(times)}


def ratio(results: dict[tuple[str, int], Summary | str], a: str, b: str, size: int, what: str) -> float | None:
    """``a``'s median step time (``what``: ``"time"`` wall, ``"cpu"``) or memory growth (``"memory"``) over
    ``b``'s; None where either is missing."""
    ra, rb = results.get((a, size)), results.get((b, size))
    if not isinstance(ra, dict) or not isinstance(rb, dict):
        return None
    key = {"time": "median_s", "cpu": "cpu_s", "memory": "growth_mib"}[what]
    return ra[key] / rb[key]


COUNTERPART = {"hypernas-darts1": "nni-darts1", "hypernas-darts2": "nni-darts1", "plain-darts1": "nni-darts1",
               "hypernas-gdas": "nni-gumbel-darts", "hypernas-spos": "nni-random-one-shot"}
"""The NNI contender each is compared with (GumbelDARTS is not GDAS: it computes every candidate)."""
PLAIN = "plain-darts1"


def table(results: dict[tuple[str, int], Summary | str], methods: list[str], sizes: list[int]) -> str:
    """Markdown: every contender per size with its ratios to its NNI counterpart and (DARTS) to the hand-written
    DARTS, then the targets."""
    lines = ["| input | contender | wall s/step | CPU s/step | peak growth MiB | NNI counterpart | wall / NNI | CPU / NNI "
             "| memory / NNI | wall / plain | CPU / plain | memory / plain |",
             "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    for size in sizes:
        for m in methods:
            r = results[m, size]
            if not isinstance(r, dict):
                lines.append(f"| {size}x{size} | {m} | failed: {r} |" + " |" * 10)
                continue
            nni = COUNTERPART.get(m, "")
            plain = PLAIN if "darts" in m and not m.startswith("nni") else ""
            cells = [f"{size}x{size}", m, f"{r['median_s']:.3f}", f"{r['cpu_s']:.3f}", f"{r['growth_mib']:.0f}", nni or "-",
                     *(_fmt(ratio(results, m, nni, size, what)) for what in ("time", "cpu", "memory")),
                     *(_fmt(ratio(results, m, plain, size, what)) for what in ("time", "cpu", "memory"))]
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| target | input | ratio (wall) | ratio (CPU) | limit | met (wall / CPU) |", "|---|---|---:|---:|---:|---|"]
    for a, b, what, limit in TARGETS:
        for size in sizes:
            if a in methods and b in methods:
                values = [ratio(results, a, b, size, w) for w in ((what, "cpu") if what == "time" else (what, what))]
                met = " / ".join("-" if v is None else ("yes" if v <= limit else "**no**") for v in values)
                shown = [_fmt(values[0]), _fmt(values[1]) if what == "time" else "-"]
                lines.append(f"| {what} {a} / {b} | {size}x{size} | {shown[0]} | {shown[1]} | {limit} | {met} |")
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="measured steps per run")
    parser.add_argument("--warmup", type=int, default=2, help="steps before the measured ones")
    parser.add_argument("--repeats", type=int, default=2, help="runs of every configuration, in alternating order")
    parser.add_argument("--sizes", default="16,32")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--nni-python", default="/work/nni-venv/bin/python",
                        help="a Python with nni==3.0 and pytorch-lightning<2.1 installed")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.worker:
        print("RESULT " + json.dumps(worker(args.worker, sizes[0], args.batch, args.steps, args.warmup, args.threads)))
        return
    methods = args.methods.split(",")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        parser.error(f"unknown method {unknown[0]!r}; allowed: {', '.join(METHODS)}")
    runs: dict[tuple[str, int], list[dict[str, object] | str]] = {}
    for size in sizes:
        for repeat in range(args.repeats):
            for method in methods if repeat % 2 == 0 else methods[::-1]:
                python = args.nni_python if method in NNI_METHODS else sys.executable
                out = spawn(python, method, size, args)
                runs.setdefault((method, size), []).append(out)
                shown = out if isinstance(out, str) else {k: v for k, v in out.items() if not k.endswith("times")}
                print(f"{method} {size}x{size} run {repeat + 1}: {shown}", file=sys.stderr, flush=True)
    results = {key: summarize(r) for key, r in runs.items()}
    print(table(results, methods, sizes))


if __name__ == "__main__":
    main()
