"""The scikit-learn integration at speed: the pairwise engine, n_jobs, a grid search.

- 2,000 images of 28x28, the full sliced Wasserstein matrix through
  ``skimgdist.pairwise_distances`` against scikit-learn's per-pair callable route
  ``sklearn.metrics.pairwise_distances(X, metric=SlicedWasserstein())`` (timed on a
  sample of images; ``units`` counts the distinct pairs, diagonal included, both
  routes compute);
- the same for total variation, a metric whose per-pair work is tiny;
- the sliced engine with ``n_jobs=2`` (worker threads, kernels on one thread each)
  against ``n_jobs=1`` (the kernels' own threads);
- ``cross_val_score`` with ``n_jobs=2`` against ``n_jobs=1``: scikit-learn's route
  (``KNeighborsClassifier(metric=SlicedWasserstein())``, folds on loky worker
  processes, timed as a first call, worker start-up included, and with the workers
  already started) and the engine's route (``ImageDistances(n_jobs=...)`` and a
  precomputed kNN, worker threads);
- the GridSearchCV pipeline Downscale -> GaussianBlur -> ImageDistances ->
  KNeighborsClassifier(metric="precomputed") end to end, against the plain route
  (KNeighborsClassifier with the metric as a callable), per grid candidate.
"""

from __future__ import annotations

import tempfile

import numpy as np
from _harness import Case, Impl
from joblib.externals.loky import get_reusable_executor
from sklearn.metrics import pairwise_distances as sklearn_pairwise_distances
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline

from skimgdist import (
    Downscale,
    GaussianBlur,
    ImageDistances,
    SlicedWasserstein,
    TotalVariation,
    pairwise_distances,
)
from skimgdist.datasets import load_digits_images, make_blob_images


def _blob_images(n_images):
    return make_blob_images(n_images // 10, image_shape=(28, 28), n_classes=10, noise=0.05,
                            random_state=0).data


def _distinct_pairs(n):
    return n * (n + 1) // 2


def _same_block(size):
    def check(ours, reference):
        np.testing.assert_allclose(ours[:size, :size], reference[:size, :size], rtol=1e-10)

    return check


def _engine_case(metric, label, n_images, sample):
    """The engine's full matrix vs scikit-learn's per-pair route on a sample of the images."""
    return Case(
        name=f"{label} matrix, {n_images} images 28x28 (engine n_jobs=1)",
        setup=lambda: _blob_images(n_images),
        ours=Impl("skimgdist.pairwise_distances",
                  lambda X: pairwise_distances(X, metric=metric),
                  units=_distinct_pairs(n_images)),
        references=[
            Impl(f"sklearn pairwise_distances(metric={metric!r}), {sample} images",
                 lambda X: sklearn_pairwise_distances(X[:sample], metric=metric),
                 units=_distinct_pairs(sample)),
        ],
        repeat=1,
        check=_same_block(sample),
    )


def _warm_workers_then_images(n_images, metric):
    """The images, after starting the joblib workers (not part of the timing)."""
    X = _blob_images(n_images)
    pairwise_distances(X[:40], metric=metric, n_jobs=2)
    return X


def _jobs_case(n_images):
    metric = SlicedWasserstein()
    return Case(
        name=f"sliced W2 matrix, {n_images} images 28x28: n_jobs=2 vs 1",
        setup=lambda: _warm_workers_then_images(n_images, metric),
        ours=Impl("skimgdist.pairwise_distances, n_jobs=2",
                  lambda X: pairwise_distances(X, metric=metric, n_jobs=2),
                  units=_distinct_pairs(n_images)),
        references=[
            Impl("skimgdist.pairwise_distances, n_jobs=1",
                 lambda X: pairwise_distances(X, metric=metric, n_jobs=1),
                 units=_distinct_pairs(n_images)),
        ],
        repeat=1,
        check=_same_block(n_images),
    )


def _cross_val(n_jobs, fresh_workers=False, engine_jobs=None):
    """cross_val_score of a sliced W2 kNN on the digits, as a function of the case data.

    ``engine_jobs`` set: through ``ImageDistances(n_jobs=engine_jobs)`` and a
    precomputed kNN; ``fresh_workers``: the loky worker processes are stopped first,
    so that their start-up (imports, kernel loading) is timed, as in a first call.
    """
    def run(data):
        if fresh_workers:
            get_reusable_executor().shutdown(wait=True)
        metric = SlicedWasserstein(image_shape=(8, 8))
        if engine_jobs is None:
            model = KNeighborsClassifier(metric=metric)
        else:
            model = Pipeline([("dist", ImageDistances(metric=metric, n_jobs=engine_jobs)),
                              ("knn", KNeighborsClassifier(metric="precomputed"))])
        return cross_val_score(model, data.data, data.target, cv=5, n_jobs=n_jobs)

    return run


def _warm_loky_workers(n_per_class):
    data = load_digits_images(n_per_class=n_per_class)
    _cross_val(2)(data)
    return data


def _same_scores(ours, reference):
    np.testing.assert_array_equal(ours, reference)


def _cross_val_case(n_per_class):
    return Case(
        name=f"cross_val_score kNN sliced W2, {10 * n_per_class} digits 8x8, cv=5: "
             f"n_jobs=2 vs 1",
        setup=lambda: _warm_loky_workers(n_per_class),
        ours=Impl("ImageDistances(n_jobs=2) + knn precomputed, cross_val_score n_jobs=1",
                  _cross_val(1, engine_jobs=2)),
        references=[
            Impl("ImageDistances(n_jobs=1) + knn precomputed, cross_val_score n_jobs=1",
                 _cross_val(1, engine_jobs=1)),
            Impl("KNeighborsClassifier(metric=SlicedWasserstein()), n_jobs=1", _cross_val(1)),
            Impl("KNeighborsClassifier(metric=SlicedWasserstein()), n_jobs=2, workers started",
                 _cross_val(2)),
            Impl("KNeighborsClassifier(metric=SlicedWasserstein()), n_jobs=2, first call",
                 _cross_val(2, fresh_workers=True)),
        ],
        repeat=1,
        check=_same_scores,
    )


def _search(estimator, grid, data):
    return GridSearchCV(estimator, grid, cv=KFold(3, shuffle=True, random_state=0)).fit(
        data.data, data.target)


def _fast_search(data):
    with tempfile.TemporaryDirectory() as cache:
        pipeline = Pipeline(
            [
                ("down", Downscale(factor=2)),
                ("blur", GaussianBlur()),
                ("dist", ImageDistances(metric=SlicedWasserstein())),
                ("knn", KNeighborsClassifier(metric="precomputed")),
            ],
            memory=cache,
        )
        grid = {"blur__sigma": [0.5, 1.0], "dist__metric__n_projections": [10, 20],
                "knn__n_neighbors": [1, 5]}
        return _search(pipeline, grid, data).cv_results_


def _plain_search(data):
    pipeline = Pipeline(
        [
            ("down", Downscale(factor=2)),
            ("blur", GaussianBlur(sigma=0.5)),
            ("knn", KNeighborsClassifier(n_neighbors=1, algorithm="brute",
                                         metric=SlicedWasserstein(n_projections=10))),
        ]
    )
    return _search(pipeline, {"knn__n_neighbors": [1]}, data).cv_results_


def _same_first_candidate(ours, reference):
    # The fast grid's first candidate is the plain grid's only one.
    assert ours["mean_test_score"][0] == reference["mean_test_score"][0]


def _grid_case(n_per_class):
    return Case(
        name=f"GridSearchCV down/blur/dist/knn, {10 * n_per_class} digits 32x32, cv=3",
        setup=lambda: load_digits_images(upsample=4, n_per_class=n_per_class),
        ours=Impl("Pipeline + ImageDistances + knn precomputed, memory=, 8 candidates",
                  _fast_search, units=8),
        references=[
            Impl("Pipeline + KNeighborsClassifier(metric=SlicedWasserstein()), 1 candidate",
                 _plain_search, units=1),
        ],
        repeat=1,
        check=_same_first_candidate,
    )


def cases(quick=False):
    if quick:
        return [_engine_case(SlicedWasserstein(), "sliced W2, 50 dirs", 40, 6),
                _engine_case(TotalVariation(), "total variation", 40, 10), _jobs_case(40),
                _cross_val_case(4), _grid_case(2)]
    return [_engine_case(SlicedWasserstein(), "sliced W2, 50 dirs", 2000, 30),
            _engine_case(TotalVariation(), "total variation", 2000, 100), _jobs_case(600),
            _cross_val_case(10), _grid_case(10)]
