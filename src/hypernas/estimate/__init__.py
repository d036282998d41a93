"""How a candidate is scored: training, pruners, tabular benchmarks, zero-cost proxies."""
