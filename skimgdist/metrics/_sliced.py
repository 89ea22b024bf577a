"""Sliced and max-sliced Wasserstein distances over the pixel grid.

Both images of a pair live on the same support, the pixel centres.  Projected on
a direction, that support is the same sorted list of positions for every image,
so the sort order depends only on the shape, the directions and the pixel size
and is cached.  Per image there remains one gather and one cumulative sum per
direction (its CDF on the sorted positions), computed once per image in the
batched route.  Per pair there remains the exact one-dimensional solve:

- ``p = 1``: the L1 distance between CDFs weighted by the gaps between positions,
  a city-block distance between per-image vectors (a tiled compiled kernel of
  :mod:`._sliced_kernels`, or ``scipy.spatial.distance.cdist``);
- ``p > 1``: a merge of the two CDFs (the union of the breakpoints of the two
  quantile functions), by the compiled kernel of :mod:`._sliced_kernels` when
  numba is installed, otherwise by a vectorised NumPy merge giving the same numbers.

Pixels whose projections coincide exactly (axis-aligned directions, for example)
are merged into one support point; that changes nothing in the distance, only
the amount of work.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
from scipy.spatial.distance import cdist, pdist, squareform
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils._param_validation import Interval, StrOptions

from .._config import check_allocation, compiled_kernel, geometry_cache, working_memory_bytes
from .._image import check_pixel_size, pixel_coordinates
from .._triangle import mirror_upper
from . import _sliced_kernels
from ._base import ImageMetric, function_form_of

__all__ = [
    "MaxSlicedWasserstein",
    "SlicedWasserstein",
    "max_sliced_wasserstein",
    "sliced_wasserstein",
]

_DEFAULT_N_PROJECTIONS = 50
_UNIT_NORM_TOLERANCE = 1e-6
# |displacement|^p below 1e-300 (in units of the image diagonal) is too close to underflow.
_SMALLEST_DECADE = 300


def _directions(projections, n_projections, random_state):
    """The ``(n_projections, 2)`` array of (row, column) unit vectors the parameters describe."""
    if isinstance(projections, str):
        n = _DEFAULT_N_PROJECTIONS if n_projections is None else int(n_projections)
        if projections == "equispaced":
            angles = np.pi * np.arange(n) / n
        else:
            if random_state is None:
                raise ValueError(
                    "projections='random' needs an integer random_state: the same directions "
                    "must be used for every pair, otherwise the distance is itself random, "
                    "asymmetric and unusable in nearest-neighbour trees. Pass for example "
                    "random_state=0, or use the default projections='equispaced'."
                )
            angles = check_random_state(random_state).uniform(0.0, np.pi, size=n)
        return np.column_stack([np.cos(angles), np.sin(angles)])

    directions = np.asarray(projections, dtype=float)
    if directions.ndim != 2 or directions.shape[1] != 2 or directions.shape[0] < 1:
        raise ValueError(
            f"projections given as an array must have shape (n_projections, 2), one "
            f"(row, column) unit vector per row; got shape {directions.shape}."
        )
    if n_projections is not None and n_projections != directions.shape[0]:
        raise ValueError(
            f"n_projections={n_projections} but projections holds {directions.shape[0]} "
            f"directions; leave n_projections=None when passing an array."
        )
    if not np.all(np.isfinite(directions)):
        raise ValueError("projections contains NaN or infinity; directions must be finite.")
    norms = np.hypot(directions[:, 0], directions[:, 1])
    bad = np.abs(norms - 1.0) > _UNIT_NORM_TOLERANCE
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"projections must hold unit vectors; row {k} has norm {norms[k]:.6g}. Divide "
            f"each row by its norm, e.g. projections / np.linalg.norm(projections, axis=1, "
            f"keepdims=True)."
        )
    return directions / norms[:, np.newaxis]


@geometry_cache
def _sort_orders(image_shape, directions_bytes, row_size, column_size):
    """Per direction, the order of the pixels along it: uint32 ``(n_directions, n_pixels)``.

    The only geometry kept between calls (4 bytes per pixel and direction); the
    sorted positions are recomputed from it.  Unsigned, so that the compiled
    kernels index with it without a test for negative indices.  With numba, the
    grid structure gives the order in linear time (``_sliced_kernels.grid_order``);
    directions it cannot do (ties broken by rounding, elongated images) and
    installations without numba use a stable ``np.argsort`` of the projections.
    """
    directions = np.frombuffer(directions_bytes, dtype=float).reshape(-1, 2)
    coordinates = pixel_coordinates(image_shape, (row_size, column_size))
    n_pixels = coordinates.shape[0]
    index_type = np.uint32 if n_pixels <= np.iinfo(np.uint32).max else np.uint64
    order = np.empty((len(directions), n_pixels), dtype=index_type)
    grid_order = compiled_kernel(_sliced_kernels.grid_order)
    for d in range(len(directions)):  # one direction at a time keeps the peak memory low
        if grid_order is None or not grid_order(coordinates, *image_shape, *directions[d],
                                                row_size, column_size, order[d]):
            order[d] = np.argsort(_project(coordinates, directions[d:d + 1])[0], kind="stable")
    order.setflags(write=False)
    return order


def _project(coordinates, directions):
    """``projected[d, k] = <coordinates[k], directions[d]>``, computed elementwise.

    Elementwise rather than by a matrix product, so the values do not depend on the
    BLAS build or on how many directions are projected at once.
    """
    return (
        directions[:, :1] * coordinates[np.newaxis, :, 0]
        + directions[:, 1:] * coordinates[np.newaxis, :, 1]
    )


class _DirectionBlock:
    """Support of a block of directions, with exactly tied positions merged.

    ``keep`` indexes, in the flattened ``(n_block, n_pixels)`` sorted layout, the
    last pixel of every distinct position; ``offsets[d]:offsets[d + 1]`` is the
    slice of direction ``d`` in the compressed arrays; ``positions`` the distinct
    sorted positions and ``gaps`` the distance to the next one (0 at the end of a
    direction).
    """

    def __init__(self, order, directions, coordinates):
        n_block, n_pixels = order.shape
        positions = np.take_along_axis(_project(coordinates, directions), order, axis=1)
        distinct = np.ones((n_block, n_pixels), dtype=bool)
        distinct[:, :-1] = positions[:, 1:] != positions[:, :-1]
        self.order = order
        self.distinct = distinct
        self.keep = np.flatnonzero(distinct)
        counts = distinct.sum(axis=1)
        self.offsets = np.concatenate([[0], np.cumsum(counts)])
        self.positions = positions.ravel()[self.keep]
        self.gaps = np.zeros_like(self.positions)
        self.gaps[:-1] = self.positions[1:] - self.positions[:-1]
        self.gaps[self.offsets[1:] - 1] = 0.0

    def cdfs(self, X, weights=None, row_multiple=1):
        """CDF of every image of ``X`` (unit mass) at each distinct position, ``(n, n_support)``.

        Times ``weights`` (one per distinct position) when given, with zero rows
        appended up to a multiple of ``row_multiple`` rows.
        """
        n_rows = -(-len(X) // row_multiple) * row_multiple
        kernel = compiled_kernel(_sliced_kernels.image_cdfs)
        if kernel is not None:
            out = np.empty((n_rows, len(self.positions)))
            out[len(X):] = 0.0
            weights = np.ones(len(self.positions)) if weights is None else weights
            kernel(X, self.order, self.distinct, weights, out)
            return out
        n_block, n_pixels = self.order.shape
        cumulative = X[:, self.order.ravel()].reshape(len(X), n_block, n_pixels)
        np.cumsum(cumulative, axis=2, out=cumulative)
        cumulative = cumulative.reshape(len(X), -1)[:, self.keep]
        # Unit mass up to rounding: pin the total to exactly 1 so that every merge
        # ends on a common breakpoint, and keep the CDFs within [0, 1].
        np.minimum(cumulative, 1.0, out=cumulative)
        cumulative[:, self.offsets[1:] - 1] = 1.0
        if weights is not None:
            cumulative *= weights
        if n_rows > len(X):
            cumulative = np.vstack([cumulative, np.zeros((n_rows - len(X), len(self.positions)))])
        return cumulative


def _costs_p1(X, Y, block, reduce):
    """Sum (or max) over the block's directions of ``W_1`` between every pair of images.

    ``W_1`` summed over directions is a city-block distance between the per-image
    vectors ``F * gap``; ``Y=None`` means ``Y = X``.
    """
    symmetric = Y is None
    bounds = [(0, len(block.positions))] if reduce == "sum" else list(
        zip(block.offsets[:-1], block.offsets[1:], strict=True))
    kernel = compiled_kernel(_sliced_kernels.cityblock_costs)
    GX = block.cdfs(X, block.gaps, row_multiple=1 if kernel is None else 4)
    GY = GX if symmetric else block.cdfs(Y, block.gaps, row_multiple=1 if kernel is None else 4)
    result = None
    for start, stop in bounds:
        if kernel is not None:  # fills the upper triangle only when symmetric
            cost = np.zeros((len(GX), len(GY)))
            kernel(GX, GY, int(start), int(stop), symmetric, cost)
        elif symmetric:  # pdist computes each unordered pair once
            cost = squareform(pdist(GX[:, start:stop], "cityblock"))
        else:
            cost = cdist(GX[:, start:stop], GY[:, start:stop], "cityblock")
        result = cost if result is None else np.maximum(result, cost)
    result = result[:len(X), :len(X) if symmetric else len(Y)]
    if kernel is not None and symmetric:
        mirror_upper(result)
    return result


def _costs_merge(FX, FY, block, p, reduce, symmetric):
    """Sum (or max) over the block's directions of ``W_p^p`` between every pair of rows."""
    kernel = compiled_kernel(_sliced_kernels.merge_costs)
    if kernel is not None:
        out = np.zeros((len(FX), len(FY)))
        kernel(FX, FY, block.positions, block.offsets, float(p), reduce == "max", symmetric,
               out)
        if symmetric:
            mirror_upper(out)
        return out
    return _numpy_merge_costs(FX, FY, block, p, reduce, symmetric)


def _numpy_merge_costs(FX, FY, block, p, reduce, symmetric):
    """NumPy merge of the two quantile functions, vectorised over pairs of rows."""
    n_x, n_y = len(FX), len(FY)
    if symmetric:  # each unordered pair once; the diagonal stays 0
        pairs_i, pairs_j = np.triu_indices(n_x, 1)
    else:
        pairs_i, pairs_j = (a.ravel() for a in np.indices((n_x, n_y)))
    total = np.zeros(len(pairs_i))
    for start, stop in zip(block.offsets[:-1], block.offsets[1:], strict=True):
        m = stop - start
        positions = block.positions[start:stop]
        # About 80 bytes of temporaries per merged breakpoint.
        batch = max(1, _working_bytes() // (160 * m))
        for pairs in gen_batches(len(pairs_i), batch):
            a = FX[pairs_i[pairs], start:stop]
            b = FY[pairs_j[pairs], start:stop]
            cost = _merged_wasserstein_pp(a, b, positions, p)
            total[pairs] = total[pairs] + cost if reduce == "sum" else np.maximum(
                total[pairs], cost)
    result = np.zeros((n_x, n_y))
    result[pairs_i, pairs_j] = total
    return mirror_upper(result) if symmetric else result


def _merged_wasserstein_pp(a, b, positions, p):
    """Row-wise ``W_p^p`` between two batches of CDFs on the same sorted support.

    The breakpoints of both quantile functions are merged by a stable sort (two
    sorted runs); on each merged interval ``(u_{t-1}, u_t]`` the quantile of ``a``
    is the position after the breakpoints of ``a`` seen so far, likewise for ``b``.
    """
    m = a.shape[1]
    both = np.concatenate([a, b], axis=1)
    merged_order = np.argsort(both, axis=1, kind="stable")
    merged = np.take_along_axis(both, merged_order, axis=1)
    lengths = np.diff(merged, axis=1, prepend=0.0)
    from_a = merged_order < m
    seen_a = np.cumsum(from_a, axis=1) - from_a
    seen_b = np.arange(2 * m) - seen_a
    np.minimum(seen_a, m - 1, out=seen_a)
    np.minimum(seen_b, m - 1, out=seen_b)
    gap = np.abs(positions[seen_a] - positions[seen_b])
    return np.sum(_power(gap, p) * lengths, axis=1)


def _power(values, p):
    if p == 1:
        return values
    if p == 2:
        return values * values
    return values**p


def _length_unit(image_shape, pixel_size, p):
    """The power of two at or above the image diagonal, the length unit of the computation.

    In that unit every displacement is at most 1, so ``|displacement|^p`` cannot
    overflow at any ``p`` or ``pixel_size``, and scaling by a power of two is exact.
    A ``p`` so large that a one-pixel displacement would underflow to 0 is refused.
    """
    extent = (np.asarray(image_shape) - 1) * pixel_size
    diagonal = float(np.hypot(*extent))
    if not np.isfinite(diagonal):
        raise ValueError(
            f"pixel_size={pixel_size.tolist()} makes the {image_shape[0]}x{image_shape[1]} "
            f"image wider than the float64 range; use a smaller pixel_size (a different "
            f"unit of length).")
    if diagonal == 0.0:  # a single pixel: every distance is 0
        return 1.0
    unit = 2.0 ** math.ceil(math.log2(diagonal))
    finest = float(pixel_size[extent > 0].min())
    decades = math.log10(unit / finest)
    if p * decades > _SMALLEST_DECADE:
        raise ValueError(
            f"p={p:g} is too large for {image_shape[0]}x{image_shape[1]} images with "
            f"pixel_size={pixel_size.tolist()}: a one-pixel displacement to the power p would "
            f"fall below the float64 range and the distance would round to 0. Use "
            f"p <= {math.floor(_SMALLEST_DECADE / decades)} here (W_p changes little beyond: it "
            f"tends to the largest displacement), or downscale the images.")
    return unit


def _working_bytes():
    """Memory budget for temporaries: scikit-learn's ``working_memory``, at most 32 MiB.

    Blocks beyond a few tens of MiB make nothing faster, and a small cap keeps the
    peak memory of a single pair of large images low.
    """
    return working_memory_bytes(cap_mib=32)


class _SlicedBase(ImageMetric):
    """Shared machinery: directions, cached geometry, chunked batched evaluation."""

    _unit = "pixels"
    _parameter_constraints = {
        "n_projections": [Interval(Integral, 1, None, closed="left"), None],
        "p": [Interval(Real, 1, None, closed="left")],
        "projections": [StrOptions({"equispaced", "random"}), "array-like"],
        "random_state": [Interval(Integral, 0, 2**32 - 1, closed="both"), None],
    }
    _reduce = "sum"

    def __init__(self, *, image_shape=None, n_projections=None, p=2,
                 projections="equispaced", random_state=None, pixel_size=1.0):
        self.image_shape = image_shape
        self.n_projections = n_projections
        self.p = p
        self.projections = projections
        self.random_state = random_state
        self.pixel_size = pixel_size

    def directions(self):
        """The ``(n_projections, 2)`` array of (row, column) unit vectors used for every pair.

        Returns
        -------
        directions : ndarray of shape (n_projections, 2)
            Row ``l`` is the unit vector ``(row, column)`` of direction ``l``; POT's
            ``projections`` argument is its transpose.

        Examples
        --------
        >>> from skimgdist import SlicedWasserstein
        >>> SlicedWasserstein(n_projections=4).directions().round(3)
        array([[ 1.   ,  0.   ],
               [ 0.707,  0.707],
               [ 0.   ,  1.   ],
               [-0.707,  0.707]])
        """
        self._validate_params()
        return _directions(self.projections, self.n_projections, self.random_state)

    def bounding_embedding(self, tolerance=None, *, n_quantiles=None):
        """The :class:`~skimgdist.SlicedWassersteinEmbedding` for these directions.

        For ``p=2`` its vectors give certified lower and upper bounds of the
        distance; for ``p=1`` an exact city-block embedding.  ``None`` for other
        ``p`` and for the max-sliced distance.

        Parameters
        ----------
        tolerance : float, default=None
            Relative gap hoped for: the number of bins grows as
            ``1 / sqrt(tolerance)`` (the gap falls as ``1 / n_quantiles**2`` on
            smooth images), from 64 up to 1024.
        n_quantiles : int, default=None
            Bins per direction of the ``p=2`` embedding, overriding ``tolerance``
            (64 when both are ``None``).

        Returns
        -------
        embedding : SlicedWassersteinEmbedding or None
            Unfitted, with this metric's parameters.

        Examples
        --------
        >>> from skimgdist import SlicedWasserstein
        >>> SlicedWasserstein(n_projections=8, p=1).bounding_embedding()
        SlicedWassersteinEmbedding(n_projections=8, p=1)
        >>> SlicedWasserstein().bounding_embedding(tolerance=1e-3).n_quantiles
        256
        """
        if n_quantiles is None:
            n_quantiles = 64 if tolerance is None else int(np.clip(
                2 ** np.ceil(np.log2(8 / np.sqrt(tolerance))), 64, 1024))
        self._validate_params()
        if self._reduce != "sum" or self.p not in (1, 2):
            return None
        from ..embedding import SlicedWassersteinEmbedding  # the public layer built on metrics

        return SlicedWassersteinEmbedding(
            n_projections=self.n_projections, n_quantiles=n_quantiles, p=self.p,
            projections=self.projections, random_state=self.random_state,
            image_shape=self.image_shape, pixel_size=self.pixel_size)

    def _pairwise_validated(self, X, Y, image_shape):
        n_directions = (len(self.projections) if not isinstance(self.projections, str)
                        else self.n_projections or _DEFAULT_N_PROJECTIONS)
        check_allocation(
            4 * n_directions * image_shape[0] * image_shape[1],
            f"the pixel orders of {n_directions} directions on {image_shape[0]}x"
            f"{image_shape[1]} images",
            "Use fewer directions (n_projections), or shrink the images with "
            "skimgdist.Downscale.")
        directions = np.ascontiguousarray(
            _directions(self.projections, self.n_projections, self.random_state))
        unit = _length_unit(image_shape, check_pixel_size(self.pixel_size), self.p)
        size = check_pixel_size(self.pixel_size) / unit
        order = _sort_orders(tuple(image_shape), directions.tobytes(), float(size[0]),
                             float(size[1]))
        coordinates = pixel_coordinates(image_shape, size)
        symmetric = Y is None
        Y = X if symmetric else Y
        pair_cost = compiled_kernel(_sliced_kernels.pair_cost)
        if pair_cost is not None and len(X) == len(Y) == 1 and not symmetric:
            # The per-pair route: no per-image arrays to share, so the compiled
            # kernel works from the two images directly (no NumPy temporaries).
            cost = pair_cost(X[0], Y[0], order, coordinates, directions,
                                             float(self.p), self._reduce == "max")
            return unit * self._finish(np.array([[cost]]), len(directions))
        n_directions, n_pixels = order.shape
        # Per direction: the CDFs of all images plus as much again in temporaries,
        # and the support (positions, gaps, indices).
        per_direction = 8 * n_pixels * (2 * (len(X) + (0 if symmetric else len(Y))) + 4)
        block_size = int(np.clip(_working_bytes() // per_direction, 1, n_directions))
        total = np.zeros((len(X), len(Y)))
        for directions_slice in gen_batches(n_directions, block_size):
            block = _DirectionBlock(order[directions_slice], directions[directions_slice],
                                    coordinates)
            if self.p == 1:
                cost = _costs_p1(X, None if symmetric else Y, block, self._reduce)
            else:
                FX = block.cdfs(X)
                FY = FX if symmetric else block.cdfs(Y)
                cost = _costs_merge(FX, FY, block, self.p, self._reduce, symmetric)
            total = total + cost if self._reduce == "sum" else np.maximum(total, cost)
        return unit * self._finish(total, n_directions)

    def _finish(self, total, n_directions):
        """From the sum (or max) over directions of ``W_p^p`` to the distance."""
        if self._reduce == "sum":
            total /= n_directions
        np.maximum(total, 0.0, out=total)
        return total if self.p == 1 else total ** (1.0 / self.p)


class SlicedWasserstein(_SlicedBase):
    r"""Sliced Wasserstein distance between images seen as distributions of light.

    Each image is a weighted point cloud: the pixel centres, in (row, column)
    pixel units times ``pixel_size``, carrying the image's intensities scaled to
    unit mass.  For every direction :math:`\theta` both clouds are projected on
    :math:`\theta` and the one-dimensional optimal transport problem between the
    two weighted projections is solved **exactly** (weights, not samples):

    .. math::

        SW_p(a, b) = \Big(\frac{1}{L} \sum_{l=1}^{L}
        W_p^p\big(\theta_l{}_\#a, \theta_l{}_\#b\big)\Big)^{1/p},
        \qquad
        W_p^p(\mu, \nu) = \int_0^1 \big|F_\mu^{-1}(u) - F_\nu^{-1}(u)\big|^p\,du,

    where :math:`F^{-1}` is the quantile function of the projected measure.  For
    ``p=1`` this is :math:`W_1 = \sum_k |F_\mu(x_k) - F_\nu(x_k)|\,(x_{k+1} - x_k)`
    over the sorted projected pixel centres :math:`x_k`.  The result is in the
    units of ``pixel_size`` (pixels by default): a distance of 3 means the light
    moved about three pixels.

    Directions are the same for every pair, so the distance is deterministic,
    symmetric and satisfies the triangle inequality (a metric as soon as one
    direction projects the pixel grid injectively, which is the case for any
    irrational slope, e.g. most equispaced angles).

    Parameters
    ----------
    image_shape : tuple of two int, default=None
        ``(height, width)`` of the flattened images; square when ``None``.
    n_projections : int, default=None
        Number of directions :math:`L` for ``"equispaced"`` and ``"random"``
        (50 when ``None``).  Leave ``None`` when ``projections`` is an array.
    p : float, default=2
        Order :math:`p \ge 1` of the Wasserstein distance.
    projections : {"equispaced", "random"} or array-like of shape (n_projections, 2)
        ``"equispaced"`` (default): angles :math:`\pi l / L`, :math:`l = 0..L-1`,
        direction :math:`(\cos, \sin)` in (row, column) coordinates, a
        deterministic quadrature rule on the half circle whose error decays much
        faster than Monte Carlo.  ``"random"``: angles drawn uniformly on
        :math:`[0, \pi)` from the integer ``random_state``.  An array: unit vectors
        in (row, column) coordinates; norms within 1e-6 of 1 are accepted and
        renormalised, anything else is an error.
    random_state : int, default=None
        Seed for ``projections="random"`` (required there, so that every pair uses
        the same directions); ignored otherwise.
    pixel_size : float or pair of float, default=1.0
        Physical size of a pixel, shared or ``(row_size, column_size)``.

    See Also
    --------
    sliced_wasserstein : the same distance as a plain function.
    MaxSlicedWasserstein : maximum instead of mean over directions.

    Notes
    -----
    The sorted order of the projected pixel centres depends only on the image
    shape, the directions and ``pixel_size``: it is computed once and cached.
    :meth:`pairwise` computes each image's cumulative weights along every direction
    once, then per pair only the one-dimensional solve: a weighted L1 distance
    between CDFs for ``p=1``, a linear merge of the two CDFs otherwise (compiled
    when the optional ``numba`` is installed, ``pip install skimgdist[fast]``).
    Directions are processed in blocks that fit ``sklearn.get_config()["working_memory"]``.

    References
    ----------
    .. [1] Rabin, J., Peyré, G., Delon, J. and Bernot, M. (2011). Wasserstein
       barycenter and its application to texture mixing. SSVM.
    .. [2] Bonneel, N., Rabin, J., Peyré, G. and Pfister, H. (2015). Sliced and
       Radon Wasserstein barycenters of measures. J. Math. Imaging Vis. 51, 22-45.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import SlicedWasserstein
    >>> a = np.zeros((8, 8)); a[2, 2] = 1
    >>> b = np.zeros((8, 8)); b[2, 5] = 1      # the same dot, three pixels to the right
    >>> sw = SlicedWasserstein(n_projections=64, p=1)
    >>> print(round(sw(a.ravel(), b.ravel()), 4))   # mean of |3 sin(theta)|, about 6 / pi
    1.9095
    >>> sw.pairwise(np.stack([a.ravel(), b.ravel()])).round(4)
    array([[0.    , 1.9095],
           [1.9095, 0.    ]])
    """


class MaxSlicedWasserstein(_SlicedBase):
    r"""Max-sliced Wasserstein distance: the largest 1-D transport cost over the directions.

    Same model as :class:`SlicedWasserstein` (pixel centres carrying unit-mass
    intensities, exact 1-D optimal transport per direction), with the mean over
    directions replaced by a maximum:

    .. math::

        \max\text{-}SW_p(a, b) = \max_{l = 1..L}
        W_p\big(\theta_l{}_\#a, \theta_l{}_\#b\big).

    The maximum is taken over the given directions, so it is a lower bound of the
    max-sliced distance over all directions [1]_ that approaches it as
    ``n_projections`` grows (for equispaced angles, within a factor
    :math:`\cos(\pi / 2L)` for a translation).  It is at least the sliced distance
    :math:`SW_p` with the same directions, and at most the full Wasserstein
    distance :math:`W_p`.  Units are those of ``pixel_size``.

    Parameters
    ----------
    image_shape : tuple of two int, default=None
        ``(height, width)`` of the flattened images; square when ``None``.
    n_projections : int, default=None
        Number of directions for ``"equispaced"`` and ``"random"`` (50 when ``None``).
    p : float, default=2
        Order :math:`p \ge 1`.
    projections : {"equispaced", "random"} or array-like of shape (n_projections, 2)
        As in :class:`SlicedWasserstein`.
    random_state : int, default=None
        Seed for ``projections="random"`` (required there).
    pixel_size : float or pair of float, default=1.0
        Physical size of a pixel, shared or ``(row_size, column_size)``.

    See Also
    --------
    max_sliced_wasserstein : the same distance as a plain function.
    SlicedWasserstein : mean instead of maximum over directions.

    References
    ----------
    .. [1] Deshpande, I., Hu, Y.-T., Sun, R., Pyrros, A., Siddiqui, N., Koyejo, S.,
       Zhao, Z., Forsyth, D. and Schwing, A. (2019). Max-sliced Wasserstein distance
       and its use for GANs. CVPR.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import MaxSlicedWasserstein
    >>> a = np.zeros((8, 8)); a[2, 2] = 1
    >>> b = np.zeros((8, 8)); b[2, 5] = 1      # three pixels to the right
    >>> print(round(MaxSlicedWasserstein(n_projections=64)(a.ravel(), b.ravel()), 4))
    3.0
    """

    _reduce = "max"


@function_form_of(SlicedWasserstein)
def sliced_wasserstein(x, y, *, image_shape=None, n_projections=None, p=2,
                       projections="equispaced", random_state=None, pixel_size=1.0):
    r"""Sliced Wasserstein distance between two flattened images.

    The function form of :class:`SlicedWasserstein`, for
    ``sklearn.metrics.pairwise_distances(X, metric=sliced_wasserstein)`` and
    ``metric_params`` in scikit-learn estimators:

    .. math::

        SW_p(a, b) = \Big(\frac{1}{L} \sum_{l=1}^{L}
        W_p^p\big(\theta_l{}_\#a, \theta_l{}_\#b\big)\Big)^{1/p}

    with the exact 1-D Wasserstein distance between the projected weighted pixel
    centres.  For whole batches, ``SlicedWasserstein(...).pairwise(X)`` gives the
    same matrix much faster.

    Parameters
    ----------
    x, y : array-like of shape (n_pixels,)
        Two non-negative images flattened in C order (scaled to unit mass).
    image_shape : tuple of two int, default=None
        ``(height, width)``; square when ``None``.
    n_projections : int, default=None
        Number of directions (50 when ``None``).
    p : float, default=2
        Order :math:`p \ge 1`.
    projections : {"equispaced", "random"} or array-like of shape (n_projections, 2)
        See :class:`SlicedWasserstein`.
    random_state : int, default=None
        Seed, required with ``projections="random"``.
    pixel_size : float or pair of float, default=1.0
        Physical pixel size; the distance is in these units.

    Returns
    -------
    distance : float

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.metrics import pairwise_distances
    >>> from skimgdist import sliced_wasserstein
    >>> a = np.zeros((8, 8)); a[2, 2] = 1
    >>> b = np.zeros((8, 8)); b[5, 2] = 1      # three pixels down
    >>> print(round(sliced_wasserstein(a.ravel(), b.ravel(), p=1, n_projections=64), 4))
    1.9095
    >>> X = np.stack([a.ravel(), b.ravel()])
    >>> pairwise_distances(X, metric=sliced_wasserstein, p=1, n_projections=64).round(4)
    array([[0.    , 1.9095],
           [1.9095, 0.    ]])
    """
    return SlicedWasserstein(
        image_shape=image_shape, n_projections=n_projections, p=p, projections=projections,
        random_state=random_state, pixel_size=pixel_size,
    )(x, y)


@function_form_of(MaxSlicedWasserstein)
def max_sliced_wasserstein(x, y, *, image_shape=None, n_projections=None, p=2,
                           projections="equispaced", random_state=None, pixel_size=1.0):
    r"""Max-sliced Wasserstein distance between two flattened images.

    The function form of :class:`MaxSlicedWasserstein`:

    .. math::

        \max\text{-}SW_p(a, b) = \max_{l = 1..L}
        W_p\big(\theta_l{}_\#a, \theta_l{}_\#b\big),

    the maximum over the given directions of the exact 1-D Wasserstein distance
    between the projected weighted pixel centres.

    Parameters
    ----------
    x, y : array-like of shape (n_pixels,)
        Two non-negative images flattened in C order (scaled to unit mass).
    image_shape : tuple of two int, default=None
        ``(height, width)``; square when ``None``.
    n_projections : int, default=None
        Number of directions (50 when ``None``).
    p : float, default=2
        Order :math:`p \ge 1`.
    projections : {"equispaced", "random"} or array-like of shape (n_projections, 2)
        See :class:`SlicedWasserstein`.
    random_state : int, default=None
        Seed, required with ``projections="random"``.
    pixel_size : float or pair of float, default=1.0
        Physical pixel size; the distance is in these units.

    Returns
    -------
    distance : float

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import max_sliced_wasserstein
    >>> a = np.zeros((6, 10)); a[1, 1] = 1
    >>> b = np.zeros((6, 10)); b[4, 5] = 1     # moved by (3, 4): 5 pixels
    >>> print(round(max_sliced_wasserstein(a.ravel(), b.ravel(), image_shape=(6, 10),
    ...                                    n_projections=360), 3))
    5.0
    """
    return MaxSlicedWasserstein(
        image_shape=image_shape, n_projections=n_projections, p=p, projections=projections,
        random_state=random_state, pixel_size=pixel_size,
    )(x, y)
