"""The seeds' CNN on scikit-learn digits: test accuracy and wall time, beside scikit-learn references.

For each seed: a stratified 70/15/15 split, the ``cnn`` builder's defaults (32-64-128 channels,
3x3 convs, 2x2 max-pool, dense 512-256-10, dropout 0.5), Adam with a cosine schedule, the best validation epoch's weights
evaluated on the test split. The references (RBF SVM, logistic regression) fit the same train split.
Target: >= 97% test accuracy in under a minute on 2 CPU cores.

    PYTHONPATH=src python bench/cnn_digits.py --seeds 0 1 2 --epochs 20 --threads 2
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC

from hypernas.estimate.models import build_model
from hypernas.estimate.train import Trainer, load_dataset, make_splits
from hypernas.estimate.train.trainer import seeded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--schedule", default="cosine")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    source = load_dataset("digits")
    cnn_row = "hypernas Trainer, seeds' CNN"
    rows: dict[str, list[tuple[float, float]]] = {cnn_row: [], "sklearn SVC (rbf)": [], "sklearn LogisticRegression": []}
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.epochs} epochs, batch {args.batch_size}, "
          f"lr {args.lr}, schedule {args.schedule}")
    for seed in args.seeds:
        splits = make_splits(source, val_fraction=0.15, test_fraction=0.15, seed=seed)
        start = time.perf_counter()
        with seeded(seed):
            model = build_model("cnn", splits.input_shape, splits.num_classes)
        trainer = Trainer(model, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, schedule=args.schedule,
                          seed=seed)
        result = trainer.fit(splits.train, splits.val)
        acc = trainer.evaluate(splits.test)["accuracy"]
        rows[cnn_row].append((acc, time.perf_counter() - start))
        x_train = splits.train.x.flatten(1).float().numpy() / 255
        x_test = splits.test.x.flatten(1).float().numpy() / 255
        for name, estimator in (("sklearn SVC (rbf)", SVC()),
                                ("sklearn LogisticRegression", LogisticRegression(max_iter=2000))):
            start = time.perf_counter()
            estimator.fit(x_train, splits.train.y.numpy())
            ref = float((estimator.predict(x_test) == splits.test.y.numpy()).mean())
            rows[name].append((ref, time.perf_counter() - start))
        print(f"seed {seed}: CNN test accuracy {acc:.4f} (best epoch {result.best_epoch}), "
              f"{rows[cnn_row][-1][1]:.1f} s")
    print(f"\n{'model':32s} {'test acc (mean)':>16s} {'min':>7s} {'wall s (mean)':>14s}")
    for name, values in rows.items():
        accs, times = [a for a, _ in values], [t for _, t in values]
        print(f"{name:32s} {statistics.mean(accs):16.4f} {min(accs):7.4f} {statistics.mean(times):14.2f}")


if __name__ == "__main__":
    main()
