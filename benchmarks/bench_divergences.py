"""Pixel-wise divergences and the question's baselines: batched ``pairwise`` vs per-pair loops.

For each distance, skimgdist's ``Metric().pairwise(X)`` on 1,000 images of 32x32 (one unit
per entry of the 1000x1000 matrix) against scikit-learn's per-pair route
``sklearn.metrics.pairwise_distances(X, metric=f)`` with the plain function, run on a
sample of the images (one unit per entry of its smaller matrix; for asymmetric divergences
``pairwise_distances(X, X.copy())``, since scikit-learn mirrors the triangle otherwise).
Where SciPy computes the same quantity vectorised or per pair, it is a second reference.
The images are Gaussian blobs on a faint positive background, like the heatmaps of the
question (so KL stays finite).
"""

import numpy as np
from _harness import Case, Impl
from scipy.spatial.distance import jensenshannon
from scipy.stats import entropy, wasserstein_distance
from sklearn.metrics import pairwise_distances

from skimgdist import (
    BlurredL2,
    ChiSquare,
    FDivergence,
    Hellinger,
    IntensityEMD,
    JensenShannon,
    KLDivergence,
    RowwiseEMD,
    TotalVariation,
    blurred_l2,
    chi_square,
    f_divergence,
    hellinger,
    intensity_emd,
    jensen_shannon,
    kl_divergence,
    rowwise_emd,
    total_variation,
)
from skimgdist.datasets import make_blob_images


def _setup(n_images):
    def setup():
        blobs = make_blob_images(n_images // 4 + 1, image_shape=(32, 32), n_classes=4,
                                 sigma=3.0, jitter=3.0, noise=0.05, random_state=0)
        return blobs.data[:n_images]

    return setup


def _unit(X):
    return X / X.sum(axis=1, keepdims=True)


def _scipy_js(X, k):
    P = _unit(X[:k])
    return jensenshannon(P[:, None, :], P[None, :, :], axis=-1)


def _scipy_kl(X, k):
    P = _unit(X[:k])
    return entropy(P[:, None, :], P[None, :, :], axis=-1)


def _scipy_intensity(X, k):
    return np.array([[wasserstein_distance(x, y) for y in X[:k]] for x in X[:k]])


def _question_rowwise(X, k):
    """The questioner's recipe: scipy's 1-D EMD row by row (column profiles), averaged."""
    images = X[:k].reshape(k, 32, 32)
    columns = np.arange(32)
    return np.array([[np.mean([wasserstein_distance(columns, columns, a, b)
                               for a, b in zip(x, y, strict=True)])
                      for y in images] for x in images])


def _check(ours, reference):
    """The reference's matrix is the top-left corner of ours (same images, same order)."""
    size = reference.shape[0]
    np.testing.assert_allclose(ours[:size, :size], reference, rtol=1e-9, atol=1e-12)


def cases(quick=False):
    n, k = (40, 8) if quick else (1000, 40)
    k_scipy = 8 if quick else 150
    k_loop = 4 if quick else 20
    # (label, metric, function, params, symmetric, extra references)
    specs = [
        ("total variation", TotalVariation(), total_variation, {}, True, []),
        ("KL divergence", KLDivergence(), kl_divergence, {}, False,
         [Impl("scipy.stats.entropy, broadcast", lambda X: _scipy_kl(X, k_scipy),
               units=k_scipy**2)]),
        ("Jensen-Shannon", JensenShannon(), jensen_shannon, {}, True,
         [Impl("scipy jensenshannon, broadcast", lambda X: _scipy_js(X, k_scipy),
               units=k_scipy**2)]),
        ("Hellinger", Hellinger(), hellinger, {}, True, []),
        ("chi-square", ChiSquare(), chi_square, {}, True, []),
        ("f-divergence f='pearson'", FDivergence(f="pearson"), f_divergence,
         {"f": "pearson"}, False, []),
        ("blurred L2 sigma=2", BlurredL2(sigma=2.0), blurred_l2, {"sigma": 2.0}, True, []),
        ("intensity EMD", IntensityEMD(), intensity_emd, {}, True,
         [Impl("scipy wasserstein_distance per pair", lambda X: _scipy_intensity(X, k_loop),
               units=k_loop**2)]),
        ("row-wise EMD", RowwiseEMD(), rowwise_emd, {}, True,
         [Impl("question's recipe: scipy per row", lambda X: _question_rowwise(X, k_loop),
               units=k_loop**2)]),
    ]
    result = []
    for label, metric, function, params, symmetric, extra in specs:
        if symmetric:
            def sklearn_route(X, function=function, params=params):
                return pairwise_distances(X[:k], metric=function, **params)
        else:
            def sklearn_route(X, function=function, params=params):
                return pairwise_distances(X[:k], X[:k].copy(), metric=function, **params)

        result.append(Case(
            name=f"{label}, {n} images 32x32",
            setup=_setup(n),
            ours=Impl("skimgdist pairwise(X)", lambda X, metric=metric: metric.pairwise(X),
                      units=n * n),
            references=[Impl("sklearn pairwise_distances(metric=f)", sklearn_route,
                             units=k * k), *extra],
            repeat=1 if not quick else 2,
            memory=not quick,
            check=_check,
        ))
    return result
