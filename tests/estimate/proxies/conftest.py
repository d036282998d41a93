"""One torch thread: the test machine is small and shared."""

import torch

torch.set_num_threads(1)
