r"""Per-image features of the sliced Wasserstein distance, and the bounds they certify.

For a fixed direction :math:`\theta` the 2-Wasserstein distance between the
projected images is an L2 distance between their quantile functions,
:math:`W_2(\theta_\#a, \theta_\#b) = \lVert Q_a - Q_b \rVert_{L^2(0, 1)}`, so
:math:`SW_2^2 = \frac1L \sum_l \lVert Q_a^l - Q_b^l \rVert^2`.  Let :math:`P` be
the orthogonal projection onto functions that are linear on each of ``M`` bins of
equal mass :math:`(j/M, (j+1)/M]` (the least-squares line of :math:`Q` on every
bin, discontinuous across bins) and :math:`r(a) = \lVert Q_a - P Q_a \rVert` the
residual norm.  Since :math:`P\Delta \perp (I - P)\Delta`,

.. math::

    \lVert Q_a - Q_b \rVert^2 = \lVert P Q_a - P Q_b \rVert^2
        + \lVert (I - P) Q_a - (I - P) Q_b \rVert^2,

and the second term lies between :math:`(r(a) - r(b))^2` and :math:`(r(a) +
r(b))^2` (reverse and plain triangle inequality).  In the orthonormal basis
:math:`\sqrt{M}` and :math:`\sqrt{3M}\,s(t)` of each bin (:math:`s` rising
linearly from -1 to 1 across it), with the feature vector ``[means / sqrt(L M),
slopes / sqrt(3 L M), residuals / sqrt(L)]`` of every image, the Euclidean
distance between features is a lower bound of :math:`SW_2`, and the same
distance with the residual part of one image negated is an upper bound.  Lines
instead of constants (averages) on the bins: for the same number of features,
the gap is about ten times smaller on smooth images (the residual of a smooth
quantile function falls as :math:`1/M^2` instead of :math:`1/M`).

For ``p = 1`` no bound is needed: :math:`W_1 = \sum_k |F_a(x_k) - F_b(x_k)|
(x_{k+1} - x_k)` on the sorted projected pixel centres, so the CDFs weighted by
the gaps (over ``L``) make :math:`SW_1` an exact city-block distance.

Every feature starts from the per-image CDFs of :class:`._sliced._DirectionBlock`
(the same numbers the exact merge uses), on the cached pixel orders of
:func:`._sliced._sort_orders`.  The fits and residuals come from the
compiled kernel ``quantile_bins`` of :mod:`._sliced_kernels`, or from the
vectorised NumPy :func:`_numpy_quantile_bins` giving the same numbers.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist
from sklearn.utils import gen_batches

from .._config import compiled_kernel
from .._image import check_pixel_size, pixel_coordinates
from . import _sliced_kernels
from ._sliced import _DirectionBlock, _sort_orders, _working_bytes

__all__ = ["SlicedFeatures"]

# Relative widening of the bounds for the rounding of float64 features and of the
# exact merge (both relative errors below about 1e-11 on the images measured).
_RELATIVE_SLACK = 1e-9


class SlicedFeatures:
    """The geometry of one image shape and set of directions, and the features on it.

    Parameters
    ----------
    image_shape : tuple of two int
    directions : ndarray of shape (n_directions, 2)
    pixel_size : float or pair of float
    p : {1, 2}
    n_quantiles : int
        Number of equal-mass bins ``M`` (``p = 2`` only).
    dtype : {np.float32, np.float64}
        Storage type of the features.
    """

    def __init__(self, image_shape, directions, pixel_size, p, n_quantiles, dtype):
        self.directions = np.ascontiguousarray(directions, dtype=float)
        size = check_pixel_size(pixel_size)
        self.coordinates = pixel_coordinates(image_shape, size)
        self.order = _sort_orders(tuple(image_shape), self.directions.tobytes(),
                                  float(size[0]), float(size[1]))
        self.block = _DirectionBlock(self.order, self.directions, self.coordinates)
        self.p, self.n_quantiles, self.dtype = p, int(n_quantiles), np.dtype(dtype)
        # The largest projected position: a scale for the absolute part of the slack.
        self.scale = float(np.abs(self.block.positions).max(initial=0.0)) or 1.0

    @property
    def n_directions(self):
        return len(self.directions)

    @property
    def n_features(self):
        if self.p == 1:
            return len(self.block.positions)
        return self.n_directions * (2 * self.n_quantiles + 1)

    def transform(self, X):
        """Features of validated unit-mass images ``X``, ``(n, n_features)`` of ``dtype``."""
        out = np.empty((len(X), self.n_features), dtype=self.dtype)
        rows = max(1, _working_bytes() // (16 * len(self.block.positions)))
        for batch in gen_batches(len(X), rows):
            if self.p == 1:
                out[batch] = self.block.cdfs(X[batch], self.block.gaps) / self.n_directions
            else:
                out[batch] = self._quantile_features(X[batch])
        return out

    def _quantile_features(self, X):
        cdfs = self.block.cdfs(X)
        L, M = self.n_directions, self.n_quantiles
        means = np.empty((len(X), L, M))
        slopes = np.empty((len(X), L, M))
        residuals = np.empty((len(X), L))
        kernel = compiled_kernel(_sliced_kernels.quantile_bins) or _numpy_quantile_bins
        kernel(cdfs, self.block.positions, self.block.offsets, means, slopes, residuals)
        # Coefficients in the orthonormal basis 1 / sqrt(w), sqrt(3 / w) s(t) per
        # bin of width w = 1 / M, over sqrt(L) for the mean over directions.
        means *= 1.0 / np.sqrt(L * M)
        slopes *= 1.0 / np.sqrt(3 * L * M)
        residuals *= 1.0 / np.sqrt(L)
        return np.concatenate([means.reshape(len(X), L * M), slopes.reshape(len(X), L * M),
                               residuals], axis=1)

    def bounds(self, EX, EY):
        """``(lower, upper)`` enclosing the exact distance of every pair of feature rows."""
        if self.p == 1:
            return self._cityblock_bounds(EX, EY)
        split = 2 * self.n_directions * self.n_quantiles
        norms_x = _row_norms(EX)
        norms_y = _row_norms(EY)
        symmetric = EX is EY
        fits = EX[:, :split]
        means = _gram(fits, fits if symmetric else EY[:, :split])
        tails = EX[:, split:]
        residuals = _gram(tails, tails if symmetric else EY[:, split:])
        squares = norms_x[:, None] ** 2 + norms_y[None, :] ** 2 - 2.0 * means
        lower_sq = squares - 2.0 * residuals
        upper_sq = squares + 2.0 * residuals
        total = norms_x[:, None] + norms_y[None, :]
        # Rounding of the float64 products: |error| <= gamma_n (|x| + |y|)^2 for sums
        # of n products (Higham, Accuracy and Stability, 3.1), doubled for the norms.
        n = EX.shape[1]
        gram_error = 2 * n * np.finfo(float).eps / (1 - n * np.finfo(float).eps) * total**2
        # Storage rounding moves each vector by at most eps * its norm; features
        # and merges computed in float64 by a relative 1e-9 of the positions' scale.
        shift = 2 * np.finfo(self.dtype).eps * total + _RELATIVE_SLACK * self.scale
        lower = np.sqrt(np.maximum(lower_sq - gram_error, 0.0)) - shift
        upper = np.sqrt(np.maximum(upper_sq, 0.0) + gram_error) + shift
        lower *= 1.0 - _RELATIVE_SLACK
        upper *= 1.0 + _RELATIVE_SLACK
        return np.maximum(lower, 0.0), upper

    def _cityblock_bounds(self, EX, EY):
        distances = np.empty((len(EX), len(EY)))
        rows = max(1, _working_bytes() // (8 * EX.shape[1]))
        for batch_y in gen_batches(len(EY), rows):
            Y = EY[batch_y].astype(float, copy=False)
            for batch_x in gen_batches(len(EX), rows):
                distances[batch_x, batch_y] = cdist(EX[batch_x].astype(float, copy=False), Y,
                                                     "cityblock")
        # A sum of n terms: |error| <= gamma_n * the sum of the absolute values.
        n = EX.shape[1]
        norms = np.abs(EX).astype(float).sum(axis=1)[:, None] + np.abs(EY).astype(float).sum(
            axis=1)[None, :]
        slack = (2 * n * np.finfo(float).eps + 2 * np.finfo(self.dtype).eps) * norms
        slack += _RELATIVE_SLACK * (self.scale + distances)
        return np.maximum(distances - slack, 0.0), distances + slack


def _row_norms(E):
    E = E.astype(float, copy=False)
    return np.sqrt(np.einsum("ij,ij->i", E, E))


def _gram(A, B):
    """``A @ B.T`` in float64, in blocks of both (the features may be float32)."""
    if A is B and A.dtype == np.float64:
        return A @ A.T  # NumPy computes one triangle (BLAS syrk): half the work
    out = np.empty((len(A), len(B)))
    rows = max(1, _working_bytes() // (8 * max(1, A.shape[1])))
    for batch_b in gen_batches(len(B), rows):
        B64 = B[batch_b].astype(float, copy=False)
        for batch_a in gen_batches(len(A), rows):
            out[batch_a, batch_b] = A[batch_a].astype(float, copy=False) @ B64.T
    return out


def _numpy_quantile_bins(cdfs, positions, offsets, means, slopes, residuals):
    """The NumPy twin of ``_sliced_kernels.quantile_bins``, vectorised over images.

    Per direction, the breakpoints of the quantile function (the CDF values) and
    the bin edges ``j / M`` are merged by a stable sort; on each merged interval
    the quantile is the position after the CDF breakpoints passed so far and the
    bin is the one after the edges passed so far.
    """
    n, n_directions, M = means.shape
    edges = np.arange(1, M + 1) / M
    edges[-1] = 1.0
    starts = np.concatenate([[0.0], edges[:-1]])
    widths = edges - starts
    rows = np.arange(n)[:, None]
    for d in range(n_directions):
        start, stop = offsets[d], offsets[d + 1]
        m = stop - start
        both = np.concatenate([cdfs[:, start:stop], np.broadcast_to(edges, (n, M))], axis=1)
        merged_order = np.argsort(both, axis=1, kind="stable")
        top = np.take_along_axis(both, merged_order, axis=1)
        bottom = np.concatenate([np.zeros((n, 1)), top[:, :-1]], axis=1)
        lengths = np.maximum(top - bottom, 0.0)
        from_cdf = merged_order < m
        passed_cdf = np.minimum(np.cumsum(from_cdf, axis=1) - from_cdf, m - 1)
        bins = np.minimum(np.cumsum(~from_cdf, axis=1) - ~from_cdf, M - 1)
        values = positions[start:stop][passed_cdf]
        lo, width = starts[bins], widths[bins]
        pieces = lengths * values
        totals = np.zeros((n, M))
        moments = np.zeros((n, M))
        np.add.at(totals, (rows, bins), pieces)
        np.add.at(moments, (rows, bins), pieces * ((bottom + top - 2.0 * lo) / width - 1.0))
        means[:, d] = totals / widths
        slopes[:, d] = 3.0 * moments / widths
        mean, slope = means[:, d][rows, bins], slopes[:, d][rows, bins]
        g0 = values - mean - slope * (2.0 * (bottom - lo) / width - 1.0)
        g1 = values - mean - slope * (2.0 * (top - lo) / width - 1.0)
        squares = np.where(lengths > 0, lengths * (g0 * g0 + g0 * g1 + g1 * g1) / 3.0, 0.0)
        residuals[:, d] = np.sqrt(squares.sum(axis=1))
