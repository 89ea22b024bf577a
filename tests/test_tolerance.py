"""pairwise_distances(..., tolerance=t): every entry within t of the exact matrix, relatively."""

import numpy as np
import pytest
from test_embedding import _digit_like, _heatmap_like

from skimgdist import SlicedWasserstein, pairwise_distances
from skimgdist._tolerance import distances_within_tolerance


def collection(n, seed):
    digits, _ = _digit_like(n // 2, (10, 10), seed=seed)
    heatmaps, _ = _heatmap_like(n - n // 2, (10, 10), seed=seed)
    return np.vstack([digits, heatmaps])


@pytest.mark.parametrize("p", [2, 1])
@pytest.mark.parametrize("tolerance", [1e-3, 0.05])
def test_every_entry_is_within_tolerance(p, tolerance):
    X = collection(40, seed=1)
    metric = SlicedWasserstein(n_projections=10, p=p)
    exact = metric.pairwise(X)
    approximate = pairwise_distances(X, metric=metric, tolerance=tolerance)
    off = ~np.eye(len(X), dtype=bool)
    assert np.all(np.abs(approximate - exact)[off] <= tolerance * exact[off])
    np.testing.assert_array_equal(np.diag(approximate), 0.0)
    np.testing.assert_array_equal(approximate, approximate.T)
    Y = collection(7, seed=2)
    exact = metric.pairwise(X, Y)
    approximate = pairwise_distances(X, Y, metric=metric, tolerance=tolerance)
    assert np.all(np.abs(approximate - exact) <= tolerance * exact)


def test_looser_tolerance_computes_fewer_pairs_exactly():
    X = collection(30, seed=3)
    metric = SlicedWasserstein(n_projections=8)
    X = metric._validate_batches(X)[0]
    counts = [distances_within_tolerance(metric, X, None, (10, 10), t)[1]
              for t in [1e-6, 1e-2, 0.2]]
    assert counts[0] > counts[1] > counts[2]
    assert counts[0] == 30 * 29 // 2  # the bounds never certify 1e-6: everything exact


def test_tolerance_zero_is_the_exact_matrix():
    X = collection(12, seed=4)
    np.testing.assert_array_equal(pairwise_distances(X, n_projections=6, tolerance=0),
                                  pairwise_distances(X, n_projections=6))


@pytest.mark.parametrize("metric, params", [
    ("max_sliced_wasserstein", {}),
    ("sliced_wasserstein", {"p": 3}),
    ("euclidean", {}),
])
def test_metrics_without_bounds_are_explained(metric, params):
    X = collection(4, seed=5)
    with pytest.raises(ValueError, match="tolerance=0"):
        pairwise_distances(X, metric=metric, tolerance=0.01, **params)


def test_row_blocks_give_the_same_certified_matrix():
    X = collection(24, seed=6)
    metric = SlicedWasserstein(n_projections=6)
    whole = pairwise_distances(X, metric=metric, tolerance=0.01)
    blocked = pairwise_distances(X, metric=metric, tolerance=0.01, working_memory=0.002)
    exact = metric.pairwise(X)
    for matrix in (whole, blocked):
        assert np.all(np.abs(matrix - exact) <= 0.01 * exact)
    np.testing.assert_allclose(blocked, whole, rtol=1e-6)
