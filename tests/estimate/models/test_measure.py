from hypernas.estimate.models import build_chain, count_flops, count_params, measure_latency


def test_cost_measures():
    model = build_chain([{"type": "dense", "units": 5}], (3,), 2)
    assert count_params(model) == (3 * 5 + 5) + (5 * 2 + 2)
    assert count_flops(model, (3,)) == 2 * (3 * 5 + 5 * 2)
    conv = build_chain([{"type": "conv", "filters": 2, "kernel": 3}], (1, 4, 4), 2)
    assert count_flops(conv, (1, 4, 4)) == 2 * (2 * 9 * 16) + 2 * (32 * 2)
    assert measure_latency(model, (3,), repeats=3, warmup=1) > 0
    assert model.training  # measuring does not change the model's mode
