"""Entropic OT (Sinkhorn) on images against POT's dense solvers.

- one 32x32 pair at reg = 4 px^2: skimgdist's separable log-domain solver against
  ``ot.sinkhorn2`` on the dense 1024 x 1024 squared-Euclidean cost, log-domain
  (``method="sinkhorn_log"``, the stable one) and kernel-domain (``"sinkhorn"``),
  with the same ``reg`` and stopping threshold (POT's threshold bounds the L2 norm of
  the marginal error, ours its L1 norm, which is larger: POT stops no later);
- 299x299 pairs at reg = 1 px^2 with the default tolerance (the value to 1e-6 relative),
  smooth heatmaps and the same quantised to 8 bits (10% and 22% zero pixels), with peak
  memory: ``sinkhorn`` and, side by side, ``sinkhorn_divergence`` (aim: at most 3x).  No
  reference runs there: the dense cost matrix alone would take 64 GB.  GeomLoss (torch)
  is not installed here: installing torch on this shared machine was judged too heavy;
- ``pairwise`` on 8x8 digits (scikit-learn's bundled set) at reg = 1 px^2 and the default
  tolerance, per pair, against ``ot.sinkhorn2`` (log domain, on the supports: the digits
  have zero pixels) on a sample of pairs.
"""

from __future__ import annotations

import numpy as np
import ot
from _harness import Case, Impl
from sklearn.datasets import load_digits

from skimgdist import Sinkhorn, SinkhornDivergence
from skimgdist._image import pixel_coordinates


def _heatmaps(side, seed):
    """Two smooth non-negative images of unit mass: Gaussian bumps plus faint noise."""
    rng = np.random.default_rng(seed)
    rows, columns = np.indices((side, side))
    pair = []
    for _ in range(2):
        image = 0.01 * rng.random((side, side))
        for _ in range(3):
            r, c = rng.uniform(0.2 * side, 0.8 * side, 2)
            width = rng.uniform(0.04, 0.12) * side
            image += rng.uniform(0.5, 1) * np.exp(-((rows - r) ** 2 + (columns - c) ** 2)
                                                  / (2 * width**2))
        pair.append(image.ravel() / image.sum())
    return pair


def _quantised(pair):
    """The pair as 8-bit images (zero regions where the heatmaps are faint), at unit mass."""
    levels = [np.floor(image / image.max() * 255) for image in pair]
    return [image / image.sum() for image in levels]


def _warm_up():
    """Compile or load the numba kernel (when installed) outside the timings."""
    a, b = _heatmaps(8, 0)
    Sinkhorn(reg=1.0)(a, b)


def _close(rtol):
    def check(ours, reference):
        np.testing.assert_allclose(ours, float(reference), rtol=rtol)
    return check


def _small_pair_case(side, reg, tol):
    def setup():
        _warm_up()
        a, b = _heatmaps(side, 1)
        grid = pixel_coordinates((side, side))
        return a, b, ot.dist(grid, grid)

    metric = Sinkhorn(reg=reg, tol=tol, max_iter=100_000)

    def pot(method):
        return lambda data: ot.sinkhorn2(data[0], data[1], data[2], reg, method=method,
                                         stopThr=tol, numItermax=100_000)

    return Case(
        name=f"sinkhorn {side}x{side} pair, reg={reg:g} px^2, tol={tol:g}",
        setup=setup,
        ours=Impl("skimgdist Sinkhorn (separable, log domain)",
                  lambda data: metric(data[0], data[1])),
        references=[Impl("POT ot.sinkhorn2 sinkhorn_log (dense)", pot("sinkhorn_log")),
                    Impl("POT ot.sinkhorn2 sinkhorn (dense, kernel domain)", pot("sinkhorn"))],
        repeat=1,  # POT's log-domain solver takes minutes here
        check=_close(1e-4),
    )


def _large_pair_case(side, reg, eight_bit):
    def setup():
        _warm_up()
        pair = _heatmaps(side, 2)
        return _quantised(pair) if eight_bit else pair

    sinkhorn = Sinkhorn(reg=reg)
    divergence = SinkhornDivergence(reg=reg)
    kind = "8-bit heatmaps" if eight_bit else "smooth heatmaps"
    return Case(
        name=f"sinkhorn {side}x{side} {kind}, reg={reg:g} px^2, default tol",
        setup=setup,
        ours=Impl("skimgdist Sinkhorn (separable, log domain, pyramid)",
                  lambda data: sinkhorn(data[0], data[1])),
        references=[Impl("skimgdist SinkhornDivergence (3 terms, symmetric self terms)",
                         lambda data: divergence(data[0], data[1]))],
        repeat=1,
        memory=True,
    )


def _digits_case(n_images, n_sample):
    def setup():
        _warm_up()
        X = load_digits().data[:n_images]
        X = X / X.sum(axis=1, keepdims=True)
        grid = pixel_coordinates((8, 8))
        left, right = np.triu_indices(n_images, 1)
        pick = np.random.default_rng(0).choice(len(left), n_sample, replace=False)
        return X, ot.dist(grid, grid), left[pick], right[pick]

    metric = Sinkhorn(reg=1.0)

    def pot(data):  # on the supports: POT's solvers need positive weights
        X, M, left, right = data
        values = []
        for i, j in zip(left, right, strict=True):
            a, b = X[i] > 0, X[j] > 0
            values.append(ot.sinkhorn2(X[i][a], X[j][b], M[np.ix_(a, b)], 1.0,
                                       method="sinkhorn_log", stopThr=1e-4, numItermax=100_000))
        return np.array(values)

    def check(ours, reference):  # both stop at a marginal error of 1e-4: values of ~2 px^2
        np.testing.assert_allclose(ours[0][ours[1], ours[2]], reference, rtol=5e-3)

    return Case(
        name=f"sinkhorn pairwise {n_images} digits 8x8, reg=1 px^2, default tol",
        setup=setup,
        ours=Impl("skimgdist Sinkhorn.pairwise (batched)",
                  lambda data: (metric.pairwise(data[0]), data[2], data[3]),
                  units=n_images * (n_images - 1) // 2),
        references=[Impl("POT ot.sinkhorn2 sinkhorn_log (dense, per pair)", pot,
                         units=n_sample)],
        repeat=1,
        check=check,
    )


def cases(quick=False):
    if quick:
        return [_small_pair_case(12, 4.0, 1e-6), _large_pair_case(40, 1.0, False),
                _large_pair_case(40, 1.0, True), _digits_case(20, 5)]
    return [_small_pair_case(32, 4.0, 1e-6), _large_pair_case(299, 1.0, False),
            _large_pair_case(299, 1.0, True), _digits_case(200, 50)]
