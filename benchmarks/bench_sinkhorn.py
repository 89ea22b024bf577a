"""Entropic OT (Sinkhorn) on images against POT's dense solvers and GeomLoss's image route.

- one 32x32 pair at reg = 4 px^2: skimgdist's separable log-domain solver against
  ``ot.sinkhorn2`` on the dense 1024 x 1024 squared-Euclidean cost, log-domain
  (``method="sinkhorn_log"``, the stable one) and kernel-domain (``"sinkhorn"``),
  with the same ``reg`` and stopping threshold (POT's threshold bounds the L2 norm of
  the marginal error, ours its L1 norm, which is larger: POT stops no later);
- 299x299 pairs at reg = 1 px^2 with the default tolerance (the value to 1e-6 relative),
  smooth heatmaps and the same quantised to 8 bits (10% and 22% zero pixels), with peak
  memory: ``sinkhorn`` and, side by side, ``sinkhorn_divergence`` (aim: at most 3x).  No
  POT reference runs there: the dense cost matrix alone would take 64 GB;
- GeomLoss's image Sinkhorn divergence (``geomloss.sinkhorn_divergence``, torch on the CPU,
  KeOps), when installed (the ``bench`` extra; skipped with a message otherwise), against
  ``sinkhorn_divergence`` on one pair at the default tolerance: 128x128 and 299x299, smooth
  and 8-bit heatmaps, reg = 1 px^2, at GeomLoss's default ``scaling=0.5`` (torch on one
  thread and on its default threads) and at tighter ones (one thread; 0.7 at 299x299, where
  GeomLoss's grid is 1024x1024 and each of its iterations there takes minutes); the
  ``rel. diff`` column is GeomLoss's distance to our value.  At reg = 1 px^2 GeomLoss's
  grid is twice as fine as the image (its route needs it, ``_GeomLossGrid``): a last case
  at reg = 2 px^2 runs it on the image's own 128x128 grid.  Small cases first check
  the unit mapping (``_GeomLossGrid``) to 1e-9, with GeomLoss iterated to convergence;
- ``pairwise`` on 8x8 digits (scikit-learn's bundled set) at reg = 1 px^2 and the default
  tolerance, per pair, against ``ot.sinkhorn2`` (log domain, on the supports: the digits
  have zero pixels) on a sample of pairs.
"""

from __future__ import annotations

import sys
from unittest import mock

import numpy as np
import ot
from _harness import Case, Impl
from sklearn.datasets import load_digits

from skimgdist import Sinkhorn, SinkhornDivergence, sinkhorn_divergence
from skimgdist._image import pixel_coordinates

try:  # optional reference: pip install -e ".[bench]"
    import geomloss
    import pykeops  # noqa: F401  (GeomLoss's image route needs it)
    import torch
except ImportError as error:
    geomloss = None
    _GEOMLOSS_MISSING = error.name
else:
    _DEFAULT_THREADS = torch.get_num_threads()


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


class _GeomLossGrid:
    """Our images and ``reg`` on GeomLoss's image grid, and its values in our units.

    GeomLoss's image route puts an ``n x n`` image (``n`` a power of two: it pools 2x2) on
    ``[0, 1)^2``, so its pixels are ``1/n`` apart; its cost is ``|x - y|^2 / 2`` and its
    temperature ``blur^2``.  It anneals down its pyramid and needs the final ``blur`` to
    lie between one and two of its finest pixels (below: ``IndexError``; above:
    ``AssertionError``); at ``reg = 1 px^2`` that is ``1/sqrt(2)`` of our pixel.  So our
    pixels go on every ``dilation``-th pixel of its grid, zeros elsewhere (the same
    discrete measures: massless pixels add nothing), padded with zeros to a power of two.
    One of our pixels is then ``dilation / n`` long: our cost is GeomLoss's times
    ``scale = 2 (n / dilation)^2``, so ``blur^2 = reg / scale`` and our value is
    ``scale`` times GeomLoss's.
    """

    def __init__(self, side, reg):
        self.side = side
        self.dilation = int(np.ceil(np.sqrt(2.0 / reg)))
        if reg * self.dilation**2 >= 8.0:
            raise ValueError(f"GeomLoss's image route cannot take reg={reg} px^2 (needs < 8)")
        self.n = 1 << int(np.ceil(np.log2(self.dilation * side)))
        self.scale = 2.0 * (self.n / self.dilation) ** 2
        self.blur = float(np.sqrt(reg / self.scale))

    def images(self, a, b):
        """The pair as GeomLoss's two (1, 1, n, n) float64 tensors."""
        stop, step = self.dilation * self.side, self.dilation
        grids = torch.zeros((2, 1, 1, self.n, self.n), dtype=torch.float64)
        for grid, image in zip(grids, (a, b), strict=True):
            grid[0, 0, :stop:step, :stop:step] = torch.from_numpy(
                image.reshape(self.side, self.side))
        return grids[0], grids[1]

    def divergence(self, a, b, scaling, threads, final_iterations=0):
        """GeomLoss's Sinkhorn divergence in our units, torch (and KeOps) on ``threads``.

        GeomLoss runs one iteration per temperature of its annealing schedule and stops
        there; ``final_iterations`` appends that many at the final temperature (patched
        into its schedule; only for the unit check, which needs it converged).
        """
        x, y = self.images(a, b)
        module = sys.modules[geomloss.sinkhorn_divergence.__module__]
        schedule = module.scaling_parameters

        def extended_schedule(*args):
            diameter, eps, eps_list, rho = schedule(*args)
            return diameter, eps, eps_list + [eps] * final_iterations, rho

        torch.set_num_threads(threads)
        try:
            with mock.patch.object(module, "scaling_parameters", extended_schedule):
                value = geomloss.sinkhorn_divergence(x, y, p=2, blur=self.blur,
                                                     scaling=scaling)
        finally:
            torch.set_num_threads(_DEFAULT_THREADS)
        return self.scale * float(value[0])


def _geomloss_warm_up():
    """Compile (or load) KeOps' CPU kernels outside the timings."""
    a, b = _heatmaps(8, 0)
    _GeomLossGrid(8, 1.0).divergence(a, b, 0.5, 1)


def _relative_difference(ours, reference):
    return abs(reference - ours) / abs(ours)


def _geomloss_units_case(side, reg, final_iterations):
    def setup():
        _warm_up()
        _geomloss_warm_up()
        return _heatmaps(side, 1)

    grid = _GeomLossGrid(side, reg)
    return Case(
        name=f"GeomLoss units {side}x{side}, reg={reg:g} px^2, converged",
        setup=setup,
        ours=Impl("skimgdist sinkhorn_divergence tol=1e-12",
                  lambda data: sinkhorn_divergence(data[0], data[1], reg=reg, tol=1e-12,
                                                   max_iter=100_000)),
        references=[Impl(f"GeomLoss s=0.9 +{final_iterations} final iterations",
                         lambda data: grid.divergence(data[0], data[1], 0.9, 1,
                                                      final_iterations))],
        repeat=1,
        check=_close(1e-9),
        difference=_relative_difference,
    )


def _geomloss_case(side, eight_bit, tight_scalings, reg=1.0):
    def setup():
        _warm_up()
        _geomloss_warm_up()
        pair = _heatmaps(side, 2)
        return _quantised(pair) if eight_bit else pair

    grid = _GeomLossGrid(side, reg)

    def geomloss_impl(scaling, threads):
        threads_text = ("1 thread" if threads == 1 else f"{threads} threads")
        return Impl(f"GeomLoss scaling={scaling:g}, {threads_text}",
                    lambda data: grid.divergence(data[0], data[1], scaling, threads))

    kind = "8-bit" if eight_bit else "smooth"
    return Case(
        name=f"divergence vs GeomLoss {side}x{side} {kind}, reg={reg:g}",
        setup=setup,
        ours=Impl("skimgdist sinkhorn_divergence (1 pair)",
                  lambda data: sinkhorn_divergence(data[0], data[1], reg=reg)),
        references=[geomloss_impl(0.5, 1), geomloss_impl(0.5, _DEFAULT_THREADS),
                    *(geomloss_impl(scaling, 1) for scaling in tight_scalings)],
        repeat=1,
        difference=_relative_difference,
    )


def _geomloss_cases(quick):
    if geomloss is None:
        print(f"bench_sinkhorn: GeomLoss comparison skipped: {_GEOMLOSS_MISSING} is not "
              "installed (pip install -e '.[bench]'; KeOps needs g++)", file=sys.stderr)
        return []
    if quick:
        return [_geomloss_units_case(8, 1.0, 300), _geomloss_case(32, False, [0.9]),
                _geomloss_case(32, True, [0.9])]
    return [_geomloss_units_case(16, 1.0, 1000), _geomloss_units_case(32, 4.0, 1000),
            _geomloss_case(128, False, [0.9, 0.95]), _geomloss_case(128, True, [0.9, 0.95]),
            _geomloss_case(299, False, [0.7]), _geomloss_case(299, True, [0.7]),
            # GeomLoss on the image's own grid (no dilation): what the dilation costs it.
            _geomloss_case(128, False, [0.9, 0.95, 0.99], reg=2.0)]


def cases(quick=False):
    if quick:
        return [_small_pair_case(12, 4.0, 1e-6), _large_pair_case(40, 1.0, False),
                _large_pair_case(40, 1.0, True), _digits_case(20, 5), *_geomloss_cases(True)]
    return [_small_pair_case(32, 4.0, 1e-6), _large_pair_case(299, 1.0, False),
            _large_pair_case(299, 1.0, True), _digits_case(200, 50), *_geomloss_cases(False)]
