"""The route ``skimgdist evaluate`` takes: one distance matrix per metric, sliced per fold.

A 5-fold kNN evaluation of one distance on the bundled digits.  skimgdist computes the
full matrix once (batched ``pairwise`` in row blocks, upper triangle) and fits
``KNeighborsClassifier(metric="precomputed")`` on slices of it; the reference is what a
user writes first, ``cross_val_score(KNeighborsClassifier(metric=<the metric object>))``,
which calls the metric once per pair from Python, fold after fold.  Both give the same
fold accuracies (checked).  Unit: one full 5-fold evaluation.
"""

from argparse import Namespace

import numpy as np
from _harness import Case, Impl
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from skimgdist.cli._evaluate import _knn_scores
from skimgdist.cli._metrics import distance_matrix
from skimgdist.datasets import load_digits_images
from skimgdist.metrics import get_metric

_ARGS = Namespace(cv=5, n_neighbors=5, random_state=0)


def _setup(n_per_class):
    def setup():
        digits = load_digits_images(n_per_class=n_per_class)
        return digits.data, digits.target

    return setup


def _ours(name):
    def run(data):
        X, y = data
        D, _, _ = distance_matrix(get_metric(name, image_shape=(8, 8)), X, time_limit=1e9)
        return np.array(_knn_scores(D, y, _ARGS)[0])

    return run


def _reference(name):
    def run(data):
        X, y = data
        knn = KNeighborsClassifier(n_neighbors=5, algorithm="brute",
                                   metric=get_metric(name, image_shape=(8, 8)))
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
        return cross_val_score(knn, X, y, cv=folds)

    return run


def _same_scores(ours, reference):
    np.testing.assert_allclose(ours, reference, atol=1e-12)


def cases(quick=False):
    n_per_class = 6 if quick else 20
    return [
        Case(
            name=f"5-fold kNN on {10 * n_per_class} digits 8x8, {name}",
            setup=_setup(n_per_class),
            ours=Impl("skimgdist evaluate route (one matrix)", _ours(name)),
            references=[Impl("cross_val_score, KNeighborsClassifier(metric=callable)",
                             _reference(name))],
            repeat=1 if not quick else 2,
            check=_same_scores,
        )
        for name in ("total_variation", "sliced_wasserstein", "wasserstein")
    ]
