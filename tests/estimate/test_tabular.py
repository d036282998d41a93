import gzip
from pathlib import Path

import pytest

from hypernas import create_study
from hypernas.errors import ObjectiveError
from hypernas.estimate.registry import make_objective
from hypernas.estimate.tabular import NB201Benchmark
from hypernas.space import NB201Cell, Space

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "benchmarks" / "nb201.csv.gz"
BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
CELL_A = "|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"
CELL_B = "|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|"


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.csv.gz"
    with gzip.open(path, "wt") as f:
        f.write("arch,mnist_valid_12,mnist_test_200,other\n")
        f.write(f"{CELL_A},50.5,60.25,1\n{CELL_B},70.0,80.0,2\n")
    return path


class _Trial:
    def __init__(self, params):
        self.params = params
        self.user_attrs = {}

    def set_user_attr(self, k, v):
        self.user_attrs[k] = v


def test_any_dataset_whose_columns_exist(tiny):
    bench = NB201Benchmark(tiny, dataset="mnist")
    trial = _Trial({"cell": CELL_B})
    assert bench(trial) == 70.0
    assert trial.user_attrs == {"mnist_test_200": 80.0}
    assert bench.lookup(CELL_A) == (50.5, 60.25) and bench.best_test() == 80.0 and len(bench) == 2


def test_clear_errors(tiny, tmp_path):
    with pytest.raises(ObjectiveError, match="does not exist"):
        NB201Benchmark(tmp_path / "nope.csv", dataset="mnist")
    with pytest.raises(ObjectiveError, match=r"dataset 'svhn' needs column 'svhn_valid_12'.*datasets in this table: mnist"):
        NB201Benchmark(tiny, dataset="svhn")
    bench = NB201Benchmark(tiny, dataset="mnist")
    with pytest.raises(ObjectiveError, match="is not in"):
        bench(_Trial({"cell": BEST}))
    with pytest.raises(ObjectiveError, match="no parameter 'arch'"):
        NB201Benchmark(tiny, dataset="mnist", param="arch")(_Trial({"cell": CELL_A}))
    bad = tmp_path / "noarch.csv"
    bad.write_text("x,mnist_valid_12,mnist_test_200\n1,2,3\n")
    with pytest.raises(ObjectiveError, match="no 'arch' column"):
        NB201Benchmark(bad, dataset="mnist")


def test_built_in_objective_in_a_study(tiny):
    objective = make_objective({"type": "nb201", "data": str(tiny), "dataset": "mnist"})
    study = create_study(direction="maximize", seed=0)
    study.enqueue({"cell": CELL_A})
    study.enqueue({"cell": CELL_B})
    study.optimize(objective, Space({"cell": NB201Cell()}), n_trials=2)
    assert [t.values for t in study.trials] == [[50.5], [70.0]]
    assert [t.user_attrs["mnist_test_200"] for t in study.trials] == [60.25, 80.0]


@pytest.mark.skipif(not SHARED.is_file(), reason="shared benchmark data is not beside the repository")
def test_shared_nb201_table():
    bench = NB201Benchmark(SHARED, dataset="cifar10")
    assert len(bench) == 15625
    assert set(bench.archs) == set(NB201Cell().grid())
    signal, test = bench.lookup(BEST)
    assert 80 < signal < 90 and 93 < test < 95
    assert abs(bench.best_test() - 94.37) < 0.01
    assert NB201Benchmark(SHARED, dataset="cifar100").lookup(BEST)[1] > 70
