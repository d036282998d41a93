"""The shared argument checks: values that pass, and one message format for those that don't."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hypernas.errors import ConfigError, StorageError
from hypernas.validate import check_bool, check_choice, check_int, check_int_list, check_number


def test_integers_pass_and_bad_ones_name_the_owner_option_and_range():
    assert check_int("tpe", "n_candidates", np.int64(5), 1) == 5
    assert check_int("tpe", "n", None, 1, optional=True) is None
    with pytest.raises(ConfigError, match=r"^tpe: n_candidates must be an integer >= 1, got 0$"):
        check_int("tpe", "n_candidates", 0, 1)
    with pytest.raises(ConfigError, match=r"must be an integer in \[1, 3\], got True"):
        check_int("x", "k", True, 1, 3)


def test_numbers_respect_open_and_closed_ends_and_finiteness():
    assert check_number("tpe", "gamma", 1, 0, 1, low_open=True) == 1.0
    with pytest.raises(ConfigError, match=r"gamma must be a number in \(0, 1\], got 0"):
        check_number("tpe", "gamma", 0, 0, 1, low_open=True)
    with pytest.raises(ConfigError, match=r"must be a number >= 0, got inf"):
        check_number("x", "lr", math.inf, 0)


def test_choices_booleans_and_the_error_class():
    assert check_choice("gp", "acquisition", "ei", ("ei", "ucb")) == "ei"
    with pytest.raises(StorageError, match=r"gp: acquisition must be one of 'ei', 'ucb', got 'pi'"):
        check_choice("gp", "acquisition", "pi", ("ei", "ucb"), error=StorageError)
    with pytest.raises(ConfigError, match="must be true or false, got 1"):
        check_bool("grid", "shuffle", 1)


def test_integer_lists_and_booleans_among_choices():
    assert check_int_list("chain", "filters", (16, np.int64(32)), 1) == [16, 32]
    with pytest.raises(ConfigError, match=r"filters must be a non-empty list of integers >= 1, got \[\]"):
        check_int_list("chain", "filters", [], 1)
    with pytest.raises(ConfigError, match="must be one of 1, 2, got True"):
        check_choice("mobilenet", "stem_stride", True, (1, 2))
    assert check_choice("x", "flag", True, (True, False)) is True
