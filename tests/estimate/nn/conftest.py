"""Tiny networks: one thread is fastest (and keeps clear of the other test workers)."""

import torch

torch.set_num_threads(1)
