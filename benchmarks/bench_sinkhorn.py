"""Entropic OT (Sinkhorn) on images against POT's dense solvers.

- one 32x32 pair at reg = 4 px^2: skimgdist's separable log-domain solver against
  ``ot.sinkhorn2`` on the dense 1024 x 1024 squared-Euclidean cost, log-domain
  (``method="sinkhorn_log"``, the stable one) and kernel-domain (``"sinkhorn"``),
  with the same ``reg`` and stopping threshold (POT's threshold bounds the L2 norm of
  the marginal error, ours its L1 norm, which is larger: POT stops no later);
- one 299x299 pair of heatmaps at reg = 1 px^2 with the default tolerance, with peak
  memory.  No reference runs there: the dense cost matrix alone would take 64 GB.
"""

from __future__ import annotations

import numpy as np
import ot
from _harness import Case, Impl

from skimgdist import Sinkhorn
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


def _large_pair_case(side, reg):
    def setup():
        _warm_up()
        return _heatmaps(side, 2)

    metric = Sinkhorn(reg=reg)
    return Case(
        name=f"sinkhorn {side}x{side} pair, reg={reg:g} px^2, default tol",
        setup=setup,
        ours=Impl("skimgdist Sinkhorn (separable, log domain, pyramid)",
                  lambda data: metric(data[0], data[1])),
        repeat=1,
        memory=True,
    )


def cases(quick=False):
    if quick:
        return [_small_pair_case(12, 4.0, 1e-6), _large_pair_case(40, 1.0)]
    return [_small_pair_case(32, 4.0, 1e-6), _large_pair_case(299, 1.0)]
