"""ImageIndex: k nearest gallery images, checked against a brute-force search."""

import numpy as np
import pytest
from sklearn.metrics import pairwise_distances as sk_pairwise_distances
from sklearn.neighbors import NearestNeighbors
from sklearn.utils._param_validation import InvalidParameterError

from skimgdist import ImageIndex, SlicedWasserstein, pairwise_distances


def images(n, side=5, seed=0):
    return np.random.default_rng(seed).random((n, side * side)) ** 3


def brute_force(X, gallery, metric, k):
    """Nearest neighbours by scikit-learn's per-pair loop and a stable sort."""
    D = sk_pairwise_distances(X, gallery, metric=metric)
    order = np.argsort(D, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(D, order, axis=1), order


@pytest.mark.parametrize("n_jobs", [None, 2])
@pytest.mark.parametrize("working_memory", [None, 0.0001])
def test_query_equals_brute_force(n_jobs, working_memory):
    gallery, X = images(20, seed=1), images(9, seed=2)
    metric = SlicedWasserstein(n_projections=5)
    expected_distances, expected_indices = brute_force(X, gallery, metric, k=4)
    index = ImageIndex(metric=metric, n_jobs=n_jobs, working_memory=working_memory)
    distances, indices = index.fit(gallery).query(X, k=4)
    np.testing.assert_allclose(distances, expected_distances, rtol=1e-10)
    np.testing.assert_array_equal(indices, expected_indices)
    np.testing.assert_array_equal(index.query(X, k=4, return_distance=False), indices)


def test_query_agrees_with_nearest_neighbors_on_precomputed_distances():
    gallery, X = images(30, seed=3), images(6, seed=4)
    metric = SlicedWasserstein(n_projections=4, p=1)
    D = pairwise_distances(X, gallery, metric=metric)
    nn = NearestNeighbors(n_neighbors=3, metric="precomputed").fit(np.zeros((30, 30)))
    expected_distances, expected_indices = nn.kneighbors(D)
    distances, indices = ImageIndex(metric=metric).fit(gallery).query(X, k=3)
    np.testing.assert_allclose(distances, expected_distances, rtol=1e-12)
    np.testing.assert_array_equal(indices, expected_indices)


def test_ties_are_broken_by_the_smaller_gallery_index():
    gallery = np.tile(images(2, seed=5), (3, 1))  # rows 0, 2, 4 equal, and rows 1, 3, 5
    X = gallery[[1, 0]]
    index = ImageIndex(metric=SlicedWasserstein(n_projections=3), working_memory=0.00001)
    distances, indices = index.fit(gallery).query(X, k=4)
    np.testing.assert_array_equal(indices[:, :3], [[1, 3, 5], [0, 2, 4]])
    np.testing.assert_allclose(distances[:, :3], 0.0, atol=1e-12)


def test_image_is_its_own_nearest_neighbour():
    gallery = images(15, seed=6)
    distances, indices = ImageIndex(metric="sliced_wasserstein").fit(gallery).query(gallery)
    np.testing.assert_array_equal(indices[:, 0], np.arange(15))
    np.testing.assert_allclose(distances[:, 0], 0.0, atol=1e-12)


def test_foreign_metric_goes_through_scikit_learn_in_chunks():
    gallery, X = images(25, seed=7), images(7, seed=8)
    expected = brute_force(X, gallery, "manhattan", k=5)
    result = ImageIndex(metric="manhattan", working_memory=0.001).fit(gallery).query(X, k=5)
    np.testing.assert_allclose(result[0], expected[0], rtol=1e-12)
    np.testing.assert_array_equal(result[1], expected[1])


def test_fitted_attributes():
    gallery = images(4)
    index = ImageIndex(metric="sliced_wasserstein", metric_params={"n_projections": 3})
    index.fit(gallery * 10)
    assert isinstance(index.metric_, SlicedWasserstein)
    assert index.metric_.n_projections == 3
    assert index.image_shape_ == (5, 5)
    np.testing.assert_allclose(index.images_.sum(axis=1), 1.0)


def test_errors():
    index = ImageIndex(metric=SlicedWasserstein(n_projections=3)).fit(images(4))
    with pytest.raises(ValueError, match=r"k=5 neighbours .* only 4 images"):
        index.query(images(2), k=5)
    with pytest.raises(InvalidParameterError, match="'k' parameter"):
        index.query(images(2), k=0)
    with pytest.raises(ValueError, match="X has 16 features, but ImageIndex is expecting 25"):
        index.query(images(2, side=4))
    bad = images(3)
    bad[1, 0] = np.nan
    with pytest.raises(ValueError, match="row 1 of X contains NaN"):
        index.query(bad)
    with pytest.raises(ValueError, match="not fitted"):
        ImageIndex().query(images(2))
