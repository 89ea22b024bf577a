"""Sliced Wasserstein against POT, scikit-learn's per-pair loop and the question's recipe.

- one pair of heatmaps (299x299, 50 directions), first call (sorts the projections)
  and later calls (sorted projections cached), p=2 and p=1;
- a pairwise matrix of 64x64 images with 64 directions: the batched route against
  ``sklearn.metrics.pairwise_distances`` with a POT callable and with our own callable
  (both on a sample of pairs: the table compares time per pair).

The recipe from the question, fixed to use grid coordinates and pixel weights with the
same directions, is a mean of per-direction ``scipy.stats.wasserstein_distance``: it
computes ``SW_1``, so it appears in the p=1 cases.
"""

from __future__ import annotations

import numpy as np
import ot
from _harness import Case, Impl
from scipy.stats import wasserstein_distance
from sklearn.metrics import pairwise_distances

from skimgdist import SlicedWasserstein, clear_caches, sliced_wasserstein
from skimgdist._image import pixel_coordinates


def _heatmaps(n, side, seed):
    """Smooth non-negative images: three Gaussian bumps each, plus faint noise."""
    rng = np.random.default_rng(seed)
    rows, columns = np.indices((side, side))
    images = np.zeros((n, side * side))
    for k in range(n):
        image = 0.01 * rng.random((side, side))
        for _ in range(3):
            r, c = rng.uniform(0.2 * side, 0.8 * side, 2)
            width = rng.uniform(0.04, 0.12) * side
            image += rng.uniform(0.5, 1) * np.exp(-((rows - r) ** 2 + (columns - c) ** 2)
                                                  / (2 * width**2))
        images[k] = image.ravel()
    return images


def _warm_up_kernels():
    """Load the compiled kernel (when numba is installed) outside the timings."""
    x = np.arange(1.0, 17.0)
    sliced_wasserstein(x, x[::-1], p=2)


def _pot(grid, directions, p):
    def distance(x, y):
        return ot.sliced_wasserstein_distance(grid, grid, x / x.sum(), y / y.sum(),
                                              projections=directions.T, p=p)
    return distance


def _recipe(grid, directions):
    """The question's snippet, fixed: same directions, grid coordinates, pixel weights."""
    projected = [grid @ theta for theta in directions]

    def distance(x, y):
        return np.mean([wasserstein_distance(t, t, x, y) for t in projected])
    return distance


def _close(rtol):
    def check(ours, reference):
        ours = np.asarray(ours)
        reference = np.asarray(reference)
        if ours.ndim == 2:
            ours = ours[:reference.shape[0], :reference.shape[1]]
        np.testing.assert_allclose(ours, reference, rtol=rtol, atol=1e-12)
    return check


def _pair_case(side, n_directions, p, cold):
    metric = SlicedWasserstein(n_projections=n_directions, p=p)
    directions = metric.directions()
    grid = pixel_coordinates((side, side))

    def setup():
        _warm_up_kernels()
        x, y = _heatmaps(2, side, seed=0)
        if not cold:
            metric(x, y)
        return x, y

    def ours(data):
        if cold:
            clear_caches()
        return metric(*data)

    references = [Impl("POT ot.sliced_wasserstein_distance", lambda data: _pot(
        grid, directions, p)(*data))]
    if p == 1:
        references.append(Impl("question recipe (scipy loop, fixed)",
                               lambda data: _recipe(grid, directions)(*data)))
    when = "1st call" if cold else "cached"
    return Case(
        name=f"pair {side}x{side} {n_directions} dirs p={p} {when}",
        setup=setup, ours=Impl("skimgdist sliced_wasserstein", ours),
        references=references, repeat=3, memory=True, check=_close(1e-10),
    )


def _pairwise_case(n_images, side, n_directions, p, n_pot, n_callable):
    metric = SlicedWasserstein(n_projections=n_directions, p=p)
    directions = metric.directions()
    grid = pixel_coordinates((side, side))

    def pairs(n):
        return n * (n - 1) // 2

    def setup():
        _warm_up_kernels()
        X = _heatmaps(n_images, side, seed=1)
        metric.pairwise(X[:2])
        return X

    references = [
        Impl("sklearn pairwise_distances + POT", lambda X: pairwise_distances(
            X[:n_pot], metric=_pot(grid, directions, p)), units=pairs(n_pot)),
        Impl("sklearn pairwise_distances + ours", lambda X: pairwise_distances(
            X[:n_callable], metric=metric), units=pairs(n_callable)),
    ]
    if p == 1:
        references.append(Impl("sklearn + question recipe (fixed)", lambda X: pairwise_distances(
            X[:n_pot], metric=_recipe(grid, directions)), units=pairs(n_pot)))
    return Case(
        name=f"pairwise {n_images} x {side}x{side} {n_directions} dirs p={p}",
        setup=setup, ours=Impl("skimgdist SlicedWasserstein.pairwise",
                               lambda X: metric.pairwise(X), units=pairs(n_images)),
        references=references, repeat=1, memory=False, check=_close(1e-10),
    )


def cases(quick=False):
    if quick:
        return [
            _pair_case(32, 10, 2, cold=True),
            _pairwise_case(12, 16, 8, 1, n_pot=3, n_callable=4),
        ]
    return [
        _pair_case(299, 50, 2, cold=True),
        _pair_case(299, 50, 2, cold=False),
        _pair_case(299, 50, 1, cold=False),
        _pairwise_case(500, 64, 64, 1, n_pot=8, n_callable=30),
        _pairwise_case(200, 64, 64, 2, n_pot=8, n_callable=30),
    ]
