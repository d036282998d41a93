"""A DARTS search killed mid-way resumes from its checkpoint to bitwise the same end as an uninterrupted one."""

from __future__ import annotations

import pytest
import torch

from hypernas.errors import ConfigError
from hypernas.oneshot import DARTSSearch, nb201_supernet
from tests.oneshot.killing import check_resumes_bitwise


def _data(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, 8, 8, generator=g), torch.randint(0, 10, (n,), generator=g)


@pytest.mark.parametrize("options", [{"order": 2}, {"order": 1, "aux_skip": True, "beta_decay": 10.0}])
def test_a_killed_search_resumes_to_bitwise_the_same_result(tmp_path, options):
    search = DARTSSearch(epochs=3, batch_size=4, seed=1, **options)
    path = tmp_path / "search.pt"
    straight, resumed = check_resumes_bitwise(lambda net, **kw: search.search(net, _data(8, 0), _data(8, 1), **kw),
                                              lambda: nb201_supernet(channels=4, cells=1, seed=1), path)
    assert resumed.to_dict() == straight.to_dict()

    again = search.search(nb201_supernet(channels=4, cells=1, seed=1), _data(8, 0), _data(8, 1), checkpoint=path)
    assert again.to_dict() == straight.to_dict()  # a finished search's checkpoint just gives its result


def test_a_checkpoint_of_other_settings_or_another_supernet_is_refused(tmp_path):
    path = tmp_path / "search.pt"
    DARTSSearch(epochs=1, batch_size=4).search(nb201_supernet(channels=4, cells=1), _data(4, 0), _data(4, 1),
                                               checkpoint=path)
    with pytest.raises(ConfigError, match=r"other settings \(epochs: 1 there, 2 now\)"):
        DARTSSearch(epochs=2, batch_size=4).search(nb201_supernet(channels=4, cells=1), _data(4, 0), _data(4, 1),
                                                   checkpoint=path)
    with pytest.raises(ConfigError, match="holds another supernet"):
        DARTSSearch(epochs=1, batch_size=4).search(nb201_supernet(channels=8, cells=1), _data(4, 0), _data(4, 1),
                                                   checkpoint=path)
