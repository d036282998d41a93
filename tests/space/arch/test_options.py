"""Constructor options of the architecture spaces: every bad one is a SpaceError in the shared format."""

import pytest

from hypernas.errors import SpaceError
from hypernas.space import ChainSpace, DARTSCell, HierarchicalSpace, NB201Cell


@pytest.mark.parametrize("make, message", [
    (lambda: ChainSpace(max_layers=0, name="c"), "parameter 'c' (chain): max_layers must be an integer >= 1, got 0"),
    (lambda: ChainSpace(max_dense=True, name="c"), "parameter 'c' (chain): max_dense must be an integer >= 0, got True"),
    (lambda: ChainSpace(filters=[16, 0], name="c"), "parameter 'c' (chain): filters must be a non-empty list of integers >= 1, got [16, 0]"),
    (lambda: ChainSpace(units="64", name="c"), "parameter 'c' (chain): units must be a non-empty list of integers >= 1, got '64'"),
    (lambda: DARTSCell(steps=9, name="d"), "parameter 'd' (darts): steps must be an integer in [1, 8], got 9"),
    (lambda: NB201Cell(nodes=1.5, name="n"), "parameter 'n' (nb201): nodes must be an integer >= 2, got 1.5"),
    (lambda: HierarchicalSpace(top_nodes=1, name="h"), "parameter 'h' (hierarchical): top_nodes must be an integer >= 2, got 1"),
])
def test_architecture_space_options_are_checked(make, message):
    with pytest.raises(SpaceError) as info:
        make()
    assert str(info.value) == message
