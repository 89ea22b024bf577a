"""Nearest neighbours by filter and refine: equal to brute force; the sparse-graph transformer."""

import pickle

import numpy as np
import pytest
from sklearn.cluster import DBSCAN
from sklearn.neighbors import KNeighborsClassifier, KNeighborsTransformer
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks
from test_embedding import _digit_like, _heatmap_like, expected_failed_checks

from skimgdist import (
    ImageIndex,
    ImageNeighborsTransformer,
    MaxSlicedWasserstein,
    SlicedWasserstein,
)


def brute_force(X, gallery, metric, k):
    D = metric.pairwise(X, gallery)
    order = np.argsort(D, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(D, order, axis=1), order


def collection(n, seed):
    """Digit-like and heatmap-like images of 12x12, mixed."""
    digits, _ = _digit_like(n // 2, (12, 12), seed=seed)
    heatmaps, _ = _heatmap_like(n - n // 2, (12, 12), seed=seed)
    return np.random.default_rng(seed).permutation(np.vstack([digits, heatmaps]))


@pytest.mark.parametrize("p", [2, 1])
@pytest.mark.parametrize("k", [1, 10])
def test_pruned_query_equals_brute_force(p, k):
    gallery, X = collection(300, seed=1), collection(20, seed=2)
    metric = SlicedWasserstein(n_projections=12, p=p)
    expected_distances, expected_indices = brute_force(X, gallery, metric, k)
    index = ImageIndex(metric=metric).fit(gallery)
    assert index.embedding_ is not None
    distances, indices = index.query(X, k=k)
    np.testing.assert_array_equal(indices, expected_indices)
    np.testing.assert_allclose(distances, expected_distances, rtol=1e-12)
    assert 0 < index.exact_fraction_ < 0.5


def test_pruned_query_workers_run_kernels_serially(monkeypatch):
    """n_jobs=2: worker threads whose kernels stay on one thread each, same neighbours."""
    pytest.importorskip("numba")
    from skimgdist import _config

    gallery, X = collection(60, seed=4), collection(40, seed=5)
    metric = SlicedWasserstein(n_projections=12)
    expected = ImageIndex(metric=metric).fit(gallery).query(X, k=3)
    serial_flags = []
    pruned_block = ImageIndex._pruned_block

    def recording_block(self, *args):
        serial_flags.append(getattr(_config._calling_thread, "serial", False))
        return pruned_block(self, *args)

    monkeypatch.setattr(ImageIndex, "_pruned_block", recording_block)
    index = ImageIndex(metric=metric, n_jobs=2, working_memory=0.001).fit(gallery)
    distances, indices = index.query(X, k=3)
    np.testing.assert_array_equal(indices, expected[1])
    np.testing.assert_array_equal(distances, expected[0])
    assert len(serial_flags) > 1 and all(serial_flags)


def test_ties_are_found_and_broken_by_the_smaller_index():
    base = collection(40, seed=3)
    gallery = np.vstack([base, base[:10], base[:10]])  # rows j, 40 + j, 50 + j equal
    metric = SlicedWasserstein(n_projections=8)
    index = ImageIndex(metric=metric, working_memory=0.001).fit(gallery)
    distances, indices = index.query(base[:10], k=4)
    np.testing.assert_array_equal(indices[:, :3], np.column_stack(
        [np.arange(10), 40 + np.arange(10), 50 + np.arange(10)]))
    expected_distances, expected_indices = brute_force(base[:10], gallery, metric, 4)
    np.testing.assert_array_equal(indices, expected_indices)
    np.testing.assert_allclose(distances, expected_distances, rtol=1e-12, atol=1e-12)


def test_metric_without_embedding_is_brute_force():
    gallery = collection(30, seed=4)
    index = ImageIndex(metric=MaxSlicedWasserstein(n_projections=4)).fit(gallery)
    assert index.embedding_ is None
    index.query(gallery[:3], k=2)
    assert index.exact_fraction_ == 1.0


@pytest.mark.parametrize("mode", ["distance", "connectivity"])
def test_graph_follows_kneighbors_transformer(mode):
    X = collection(60, seed=5)
    metric = SlicedWasserstein(n_projections=10)
    D = metric.pairwise(X)
    transformer = ImageNeighborsTransformer(n_neighbors=4, mode=mode, metric=metric)
    graph = transformer.fit_transform(X)
    # scikit-learn's transformer on the precomputed exact matrix gives the same graph.
    expected = KNeighborsTransformer(n_neighbors=4, mode=mode, metric="precomputed")
    expected = expected.fit_transform(D)
    assert graph.shape == expected.shape == (60, 60)
    np.testing.assert_array_equal(graph.indices, expected.indices)
    np.testing.assert_allclose(graph.data, expected.data, rtol=1e-12)
    assert 0 < transformer.exact_fraction_ < 1
    test = collection(5, seed=6)
    np.testing.assert_allclose(transformer.transform(test).toarray(), KNeighborsTransformer(
        n_neighbors=4, mode=mode, metric="precomputed").fit(D).transform(
        metric.pairwise(test, X)).toarray(), rtol=1e-12)


def test_graph_in_pipelines_with_knn_classifier_and_dbscan():
    digits, _ = _digit_like(30, (12, 12), seed=7)
    heatmaps, _ = _heatmap_like(30, (12, 12), seed=7)
    X = np.vstack([digits, heatmaps])
    y = np.repeat([0, 1], 30)
    metric = SlicedWasserstein(n_projections=10)
    model = make_pipeline(ImageNeighborsTransformer(n_neighbors=5, metric=metric),
                          KNeighborsClassifier(n_neighbors=5, metric="precomputed"))
    model.fit(X[::2], y[::2])
    exact = KNeighborsClassifier(n_neighbors=5, metric="precomputed").fit(
        metric.pairwise(X[::2]), y[::2])
    np.testing.assert_array_equal(model.predict(X[1::2]),
                                  exact.predict(metric.pairwise(X[1::2], X[::2])))
    eps = np.median(metric.pairwise(X)) / 4
    clusters = make_pipeline(ImageNeighborsTransformer(n_neighbors=10, metric=metric),
                             DBSCAN(eps=eps, min_samples=3, metric="precomputed"))
    labels = clusters.fit(X).named_steps["dbscan"].labels_
    # DBSCAN on the full exact matrix agrees wherever 10 neighbours cover eps.
    reference = DBSCAN(eps=eps, min_samples=3, metric="precomputed").fit(metric.pairwise(X))
    np.testing.assert_array_equal(labels, reference.labels_)


def test_too_many_neighbours_is_explained():
    X = collection(4, seed=8)
    with pytest.raises(ValueError, match="n_neighbors <= n_samples_fit"):
        ImageNeighborsTransformer(n_neighbors=4).fit_transform(X)


@parametrize_with_checks(
    [ImageNeighborsTransformer(n_neighbors=2, metric="manhattan"),
     ImageNeighborsTransformer(n_neighbors=2, metric=SlicedWasserstein(n_projections=3))],
    expected_failed_checks=lambda estimator: (
        {} if estimator.metric == "manhattan" else expected_failed_checks(estimator)),
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_fitted_index_pickles_with_its_embedding():
    gallery = collection(30, seed=9)
    index = ImageIndex(metric=SlicedWasserstein(n_projections=5)).fit(gallery)
    restored = pickle.loads(pickle.dumps(index))
    assert restored.gallery_embedding_.dtype == np.float32
    for expected, got in zip(index.query(gallery[:3], k=2), restored.query(gallery[:3], k=2),
                             strict=True):
        np.testing.assert_array_equal(got, expected)
