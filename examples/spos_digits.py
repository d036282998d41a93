"""SPOS on the 8x8 digits: train a channel-shuffle single-path supernet, then search its subnets by evolution.

    PYTHONPATH=src python examples/spos_digits.py            # about 20 s on one CPU core: ~0.84 accuracy

Each trial scores a genotype (one choice block per layer) by the validation accuracy of the subnet with the
supernet's weights and its batch-norm statistics re-estimated on training batches.
"""

from __future__ import annotations

import torch

import hypernas as hn


def main() -> None:
    torch.manual_seed(0)
    digits = hn.load_dataset("digits").train
    x, y = digits.x.float().div(255.0), digits.y
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
    train, val = (x[order[:1200]], y[order[:1200]]), (x[order[1200:]], y[order[1200:]])

    space = hn.ShuffleNetSpace(depths=(2, 2))
    supernet = hn.shufflenet_single_path(space, num_classes=10, in_channels=1, widths=(16, 32), stem=8, head=64,
                                         seed=0)
    history = hn.SPOSSearch(epochs=10, batch_size=32, lr=0.1, seed=0).train(supernet, train)
    print(f"supernet trained: loss {history[0]['train_loss']:.3f} -> {history[-1]['train_loss']:.3f}")

    objective = hn.SupernetObjective(supernet, train, val, calibration_batches=10, batch_size=64)
    study = hn.create_study(strategy="evolution", direction="maximize", seed=0)
    study.optimize(objective, hn.Space(arch=space), n_trials=30)
    best = study.best_trial
    print(f"best subnet {space.describe(best.params['arch'])}: validation accuracy {best.value:.3f}")


if __name__ == "__main__":
    main()
