import numpy as np

from hypernas.space import Categorical, Float, Int, NB201Cell, Space
from hypernas.strategy._bo.gene_gp import INACTIVE, GeneGP, gene_differences, gene_layout, genes

CELL = "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|"


def test_genes_are_tokens_choices_and_unit_values_with_inactive_marked():
    space = Space({"cell": NB201Cell(), "opt": Categorical(["sgd", "adam"]), "lr": Float(0.0, 1.0),
                   "momentum": Float(0.0, 1.0, when={"opt": "sgd"}), "width": Int(1, 5)})
    assert gene_layout(space).tolist() == [True] * 6 + [True, False, False, False]
    row = genes(space, {"cell": CELL, "opt": "adam", "lr": 0.25, "width": 5})
    assert [n for n, _ in space.items()][-2:] == ["width", "momentum"]  # children after their parents
    assert row.tolist() == [3, 0, 1, 4, 2, 3, 1, 0.25, 1.0, INACTIVE]


def test_differences_count_mismatches_and_square_numeric_gaps():
    layout = np.array([True, False])
    d = gene_differences(np.array([[1.0, 0.5]]), np.array([[1.0, 0.0], [2.0, 0.5]]), layout)
    assert d.tolist() == [[[0.0, 0.25], [1.0, 0.0]]]


def test_objective_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    layout = np.array([True, True, False])
    x = np.column_stack([rng.integers(3, size=12), rng.integers(2, size=12), rng.random(12)]).astype(float)
    z = rng.standard_normal(12)
    gp = GeneGP(layout)
    d = gene_differences(x, x, layout)
    theta = np.array([-0.3, 0.4, 0.1, 0.2, -2.0])
    _, grad = gp.negative_log_posterior(theta, d, z)
    numeric = [(gp.negative_log_posterior(theta + e, d, z)[0] - gp.negative_log_posterior(theta - e, d, z)[0]) / 2e-6
               for e in np.eye(5) * 1e-6]
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-6)


def test_fit_weights_the_gene_that_matters_and_predicts_what_it_saw():
    rng = np.random.default_rng(1)
    x = rng.integers(4, size=(40, 3)).astype(float)
    y = np.array([0.0, 1.0, 3.0, 2.0])[x[:, 0].astype(int)]  # only the first gene matters
    gp = GeneGP(np.array([True, True, True]))
    gp.fit(x, y)
    assert gp.weights[0] > 5 * max(gp.weights[1:])
    mean, std = gp.predict(np.array([[2.0, 0.0, 0.0], [1.0, 3.0, 3.0]]))
    np.testing.assert_allclose(mean, [3.0, 1.0], atol=0.1)
    assert np.all(std < 0.3)


def test_believing_pending_points_keeps_the_mean_and_shrinks_their_uncertainty():
    rng = np.random.default_rng(1)
    layout = np.array([True, True, False])
    x = np.column_stack([rng.integers(3, size=15), rng.integers(2, size=15), rng.random(15)]).astype(float)
    gp = GeneGP(layout)
    gp.fit(x, x[:, 0] + x[:, 2] + 0.1 * rng.standard_normal(15))
    pending, far = np.array([[2.0, 1.0, 0.9]]), np.array([[0.0, 0.0, 0.1]])
    (mean, std), (far_mean, far_std) = gp.predict(pending), gp.predict(far)
    gp.believe(pending)
    (mean_after, std_after), (far_mean_after, _) = gp.predict(pending), gp.predict(far)
    assert np.allclose(mean_after, mean, atol=1e-2 * std[0]) and std_after[0] < 0.6 * std[0]
    assert np.allclose(far_mean_after, far_mean, atol=0.1 * far_std[0])
