r"""Entropic optimal transport between images, with separable kernels.

The ground cost between pixels ``(i, j)`` and ``(k, l)`` is the squared Euclidean
distance of their centres, :math:`C = (i - k)^2 s_r^2 + (j - l)^2 s_c^2` with the
pixel size :math:`(s_r, s_c)`.  The Gibbs kernel :math:`e^{-C/\varepsilon}` is then the
Kronecker product of an ``h x h`` and a ``w x w`` kernel, so a Sinkhorn update is
two 1-D Gaussian log-convolutions (over rows, then columns) instead of a product
with an ``n x n`` matrix, ``n = h * w``.  The solver works in the log domain on
the dual potentials (no under- or overflow at small ``reg``), anneals the
temperature from the squared image diameter down to ``reg`` (epsilon scaling),
and starts on a coarse image pyramid, refining the potentials to finer grids as
the temperature drops (coarse-to-fine, as GeomLoss does).  At ``reg`` it runs
Anderson-accelerated, then over-relaxed, Sinkhorn iterations until the dual value
is within ``tol`` (relative, :func:`_dual_within`); the transport cost is that value
minus ``reg`` times its slope in ``reg``, a central difference of two more short
solves (:func:`_cost_from_temperature_slope`).  The self terms of the divergence
use symmetric updates (:func:`_solve_self`).  Values are computed in pixel units
(only ``reg / pixel_size**2`` matters) and scaled back.  Small problems (all terms
within ``e^-600`` of each pair's largest one) are convolved in the kernel domain,
as matrix products.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from scipy.special import logsumexp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import gen_batches
from sklearn.utils._param_validation import Interval

from .._config import geometry_cache, working_memory_bytes
from .._image import check_pixel_size, to_unit_mass
from .._triangle import mirror_upper
from ._base import ImageMetric, function_form_of
from ._softmin import log_convolve, log_convolve_2d

__all__ = ["Sinkhorn", "SinkhornDivergence", "SinkhornTransport", "sinkhorn",
           "sinkhorn_divergence"]

# Images are pooled 2x2 until both sides are at most this long (coarsest level).
_COARSEST_SIDE = 32
# Temperature ratio between consecutive annealing steps (one Sinkhorn iteration each).
_ANNEALING_RATIO = 0.5
# Before refining, a coarse level iterates to this marginal error (or this many iterations).
_COARSE_TOL = 1e-3
_COARSE_MAX_ITER = 200
# Iterations between updates of the over-relaxation factor, the largest factor
# used, and the error growth that switches it off.
_RATE_SPAN = 10
_MAX_RELAXATION = 1.98
_DIVERGED = 1000.0
# Anderson acceleration at the final level: previous iterates combined, ridge of its
# least squares (relative to their scale), iterations before over-relaxation takes
# over (only tight tolerances get there: at 299x299 a switch after 300 iterations lost
# a tenfold error that took 700 iterations to win back), and the grid size from which
# it is used.
_MEMORY = 5
_RIDGE = 1e-10
_ANDERSON_MAX_ITER = 1000
_ANDERSON_MIN_PIXELS = 1024
# Bound on -log of the smallest term the kernel-domain convolution may form: e^-600 is
# far above the smallest normal double (e^-708), so no term under- or overflows.
_KERNEL_SPAN = 600.0
# Valid temperatures, in units of the squared (larger) pixel side.  At 1e-3 the Gibbs
# kernel between neighbours is e^-1000, below the smallest double: exact transport.
_SMALLEST_REG_PX = 1e-3
_LARGEST_REG_PX = 1e300
# Largest marginal penalty reach**2, in units of the squared (larger) pixel side: the
# damping rho / (rho + reg) and the translation step keep digits to spare below it.
_LARGEST_PENALTY_PX = 1e12
# Smallest one: a reach of 1e-3 pixels, where moving light to a neighbour costs a million
# times more than destroying and creating it (and -f / rho stays far inside float64).
_SMALLEST_PENALTY_PX = 1e-6
# Squared pixel sides and costs that float64 holds with room for sums of them.
_SMALLEST_SQUARED_SIZE = 1e-300
_LARGEST_COST = 1e300
# Relative temperature step of the central difference that gives the transport cost
# from dual values (:func:`_cost_from_temperature_slope`): its truncation error grows
# like the square of the step, the dual values' errors it amplifies like its inverse.
_SLOPE_STEP = 0.05
# Factor between the estimated truncation error of that difference and the tolerance
# on the value: beyond it, the value is the plan's own cost, iterated until it settles.
_CURVATURE_MARGIN = 4.0
# Marginal error beyond which a non-converged value is refused rather than warned about.
_UNUSABLE_ERROR = 1e-2
# Factor between the first-order change of the objective and the tolerance on the value.
_VALUE_MARGIN = 10.0
# Float64 arrays of n_pixels held per pair while solving (potentials, log-masses of
# every level, temporaries), used to size batches of pairs to the working memory.
_ARRAYS_PER_PAIR = 24 + 4 * _MEMORY


@geometry_cache
def _pyramid(image_shape, row_size, column_size):
    """Pixel-centre coordinates of every level, finest first: ``((rows, cols), ...)``.

    Each coarser level merges 2x2 blocks (a trailing odd row or column stays
    alone) and sits at the mean position of the merged pixel centres.
    """
    rows = np.arange(image_shape[0]) * row_size
    cols = np.arange(image_shape[1]) * column_size
    levels = [(rows, cols)]
    while max(len(rows), len(cols)) > _COARSEST_SIDE:
        rows, cols = _pool_coordinates(rows), _pool_coordinates(cols)
        levels.append((rows, cols))
    for level in levels:
        for axis in level:
            axis.setflags(write=False)
    return tuple(levels)


def _pool_coordinates(coords):
    if len(coords) == 1:
        return coords
    pooled = coords[::2].copy()
    pairs = len(coords) // 2
    pooled[:pairs] = (coords[0 : 2 * pairs : 2] + coords[1::2]) / 2
    return pooled


def _pool_masses(masses):
    """Sum 2x2 blocks of a stack of images ``(m, h, w)`` (odd edges stay single)."""
    for axis in (1, 2):
        if masses.shape[axis] > 1:
            masses = np.add.reduceat(masses, np.arange(0, masses.shape[axis], 2), axis=axis)
    return masses


def _mass_pyramid(P, image_shape, n_levels):
    """Log-masses of every level for a batch of unit-mass rows, finest first."""
    masses = P.reshape(len(P), *image_shape)
    levels = [masses]
    for _ in range(n_levels - 1):
        levels.append(_pool_masses(levels[-1]))
    with np.errstate(divide="ignore"):
        return [np.log(level) for level in levels]


def _log_convolve_2d(X, grid_in, grid_out, eps):
    """``log sum_{ij} exp(X[:, i, j] - C((i, j), (k, l)) / eps)`` for every output ``(k, l)``.

    Pairs whose terms all lie within ``exp(-_KERNEL_SPAN)`` of their largest input
    (small grids, large ``eps``) take two matrix products with the Gibbs kernel;
    the others the log-domain 1-D convolutions.  The choice is made per pair.
    """
    direct = _fits_kernel(X, grid_in, grid_out, eps)
    if direct.all():
        return _kernel_convolve_2d(X, grid_in, grid_out, eps)
    if not direct.any():
        return log_convolve_2d(X, grid_in, grid_out, eps)
    out = np.empty((len(X), len(grid_out[0]), len(grid_out[1])))
    out[direct] = _kernel_convolve_2d(X[direct], grid_in, grid_out, eps)
    out[~direct] = log_convolve_2d(X[~direct], grid_in, grid_out, eps)
    return out


def _fits_kernel(X, grid_in, grid_out, eps):
    """Pairs for which no term of the 2-D convolution is below ``exp(-_KERNEL_SPAN)``.

    Every term is ``exp(X_ij - max X - C / eps)`` times the largest input, so
    bounding the spread of the finite inputs plus the largest cost over ``eps``
    rules out underflow: the products in the kernel domain are then exact to rounding.
    """
    reach = sum(max(out[-1] - inp[0], inp[-1] - out[0]) ** 2
                for inp, out in zip(grid_in, grid_out, strict=True)) / eps
    if reach >= _KERNEL_SPAN:
        return np.zeros(len(X), dtype=bool)
    top = X.max(axis=(1, 2))
    bottom = np.where(np.isneginf(X), np.inf, X).min(axis=(1, 2))
    return np.isfinite(top) & (top - bottom + reach < _KERNEL_SPAN)


def _kernel_convolve_2d(X, grid_in, grid_out, eps):
    (rows_in, cols_in), (rows_out, cols_out) = grid_in, grid_out
    top = X.max(axis=(1, 2), keepdims=True)
    kernel_rows = np.exp(-((rows_out[:, None] - rows_in[None, :]) ** 2) / eps)
    kernel_cols = np.exp(-((cols_in[:, None] - cols_out[None, :]) ** 2) / eps)
    return np.log(kernel_rows @ (np.exp(X - top) @ kernel_cols)) + top


def _c_transform(log_mass, potential, grid_in, grid_out, eps):
    """Soft c-transform: the Sinkhorn update of one potential from the other."""
    return -eps * _log_convolve_2d(log_mass + potential / eps, grid_in, grid_out, eps)


def _temperatures(grids, reg):
    """Starting temperature and the temperature each level ends at, finest first.

    Annealing starts at the squared image diameter; a level is left for the next
    finer one once the temperature reaches the square of half its cell size.
    """
    rows, cols = grids[0]
    diameter2 = (rows[-1] - rows[0]) ** 2 + (cols[-1] - cols[0]) ** 2
    ends = [reg] + [max(reg, (max(_spacing(r), _spacing(c)) / 2) ** 2) for r, c in grids[1:]]
    return max(diameter2, reg), ends


def _spacing(coords):
    return coords[1] - coords[0] if len(coords) > 1 else 0.0


def _solve(log_a, log_b, grids, reg, tol, max_iter, sharp_cost=True):
    """Entropic OT for a batch of pairs, all grids shared.

    Parameters
    ----------
    log_a, log_b : list of ndarray of shape (m, h_level, w_level)
        Log-masses of each pair's source and target at every level (finest first).
    grids : tuple of (rows, cols)
        Pixel coordinates of every level (finest first).
    reg, tol, max_iter : float, float, int
        Final temperature, relative tolerance on the value (:func:`_dual_within`),
        iteration cap at ``reg``.
    sharp_cost : bool, default=True
        Compute the transport cost (:func:`_cost_from_temperature_slope`, two more
        short solves); otherwise ``cost`` is ``None``.

    Returns
    -------
    cost : ndarray of shape (m,) or None
        Transport cost ``<P, C>`` of the optimal regularised plan.
    objective : ndarray of shape (m,)
        Entropic objective ``<P, C> + reg * KL(P | a x b)`` (the dual value).
    error : ndarray of shape (m,)
        L1 marginal error reached.
    converged : ndarray of shape (m,)
        Whether the pair met the stopping rule.
    potentials : tuple of ndarray of shape (m, h, w)
        ``f``, ``g`` (the plan is ``a_i b_j exp((f_i + g_j - C_ij) / reg)``) and the
        plan's column marginal (its rows are exactly ``a``).
    """
    level = len(grids) - 1
    f = np.zeros_like(log_a[level])
    g = np.zeros_like(log_b[level])
    eps, ends = _temperatures(grids, reg)
    while True:
        grid = grids[level]
        while eps > ends[level]:
            eps = max(eps * _ANNEALING_RATIO, ends[level])
            g = _c_transform(log_a[level], f, grid, grid, eps)
            f = _c_transform(log_b[level], g, grid, grid, eps)
        if level == 0:
            break
        f, g, _, _ = _iterate(log_a[level], log_b[level], f, g, grid, eps,
                              _marginal_below(_COARSE_TOL), _COARSE_MAX_ITER)
        f, g = _refine(log_a, log_b, f, g, grids, level, eps)
        level -= 1
    a, b = np.exp(log_a[0]), np.exp(log_b[0])
    # Pairs whose transport cost should come from the slope in reg stop on the dual
    # value, as do all pairs when only the objective is wanted; the others iterate
    # until the plan's own cost settles.
    slope = sharp_cost & _slope_expected_flat(reg, tol, _dual_value(a, b, f, g))
    on_dual = slope | (not sharp_cost)
    g_next, converged = np.empty_like(g), np.empty(len(g), dtype=bool)
    for pairs, stop in ((on_dual, _dual_within(tol)), (~on_dual, _value_within(tol))):
        if pairs.any():
            f[pairs], g[pairs], g_next[pairs], converged[pairs] = _finest(
                log_a[0][pairs], log_b[0][pairs], f[pairs], g[pairs], grids[0], reg, stop,
                max_iter)
    cost = None
    if sharp_cost:
        cost = np.empty(len(f))
        settle = ~slope
        if slope.any():
            tried = np.flatnonzero(slope)
            cost[tried], met, curved = _cost_from_temperature_slope(
                log_a[0][tried], log_b[0][tried], f[tried], g[tried], grids[0], reg,
                _dual_within(tol), max_iter, tol)
            converged[tried] &= met
            late = tried[curved]  # bent too much after all: on, to the plan's own cost
            if len(late):
                f[late], g[late], g_next[late], converged[late] = _finest(
                    log_a[0][late], log_b[0][late], f[late], g[late], grids[0], reg,
                    _value_within(tol), max_iter)
                settle[late] = True
        if settle.any():
            cost[settle] = _transport_cost(log_a[0][settle] + f[settle] / reg,
                                           log_b[0][settle] + g[settle] / reg, grids[0], reg)
    column_marginal = _column_marginal(log_b[0], g, g_next, reg)
    error = np.abs(column_marginal - b).sum(axis=(1, 2))
    return cost, _dual_value(a, b, f, g), error, converged, (f, g, column_marginal)


def _slope_expected_flat(reg, tol, objective):
    """Pairs whose slope in ``reg`` should meet ``tol`` (:func:`_cost_from_temperature_slope`).

    A 2-D plan's entropic blur bends the objective like ``reg log reg`` with coefficient
    1 (unit mass), so the truncation error is about ``s**2 reg / 6``: the estimate from
    the three values was 0.7 to 1 times that on every pair measured.  Pairs predicted
    to exceed the margin twice over skip the two solves.
    """
    return _CURVATURE_MARGIN * _SLOPE_STEP ** 2 * reg / 12 <= tol * np.abs(objective)


def _finest(log_a, log_b, f, g, grid, eps, stop, max_iter):
    """Iterations at ``eps`` on the finest grid until each pair meets ``stop``.

    Anderson acceleration first on large grids (fast from a rough start; on small
    ones its bookkeeping costs more than it saves), then over-relaxation for the
    pairs still short of ``stop`` (a steadier asymptotic rate at tight tolerances).
    Returns ``f, g, g_next, converged`` as :func:`_iterate` does.
    """
    n_anderson = min(max_iter, _ANDERSON_MAX_ITER) if f[0].size >= _ANDERSON_MIN_PIXELS else 0
    if n_anderson:
        f, g, g_next, converged = _anderson(log_a, log_b, f, g, grid, eps, stop, n_anderson)
        late = np.flatnonzero(~converged)
    else:
        f, g = f.copy(), g.copy()
        g_next, converged, late = np.empty_like(g), np.zeros(len(g), dtype=bool), np.arange(len(g))
    if len(late) and max_iter > n_anderson:
        f[late], g[late], g_next[late], converged[late] = _iterate(
            log_a[late], log_b[late], f[late], g[late], grid, eps, stop, max_iter - n_anderson)
    return f, g, g_next, converged


def _dual_value(a, b, f, g):
    """Dual objective ``<a, f> + <b, g>`` of potentials whose plan has exact rows."""
    return (a * f).sum(axis=(1, 2)) + (b * g).sum(axis=(1, 2))


def _cost_from_temperature_slope(log_a, log_b, f, g, grid, reg, stop, max_iter, tol):
    r"""Transport cost :math:`\langle P^\star, C \rangle` from dual values at three temperatures.

    The optimal objective :math:`\mathrm{OT}_\varepsilon` has the derivative
    :math:`\mathrm{KL}(P^\star | a \otimes b)` in :math:`\varepsilon`, so the cost is
    :math:`\mathrm{OT}_\varepsilon - \varepsilon\, \partial_\varepsilon \mathrm{OT}_\varepsilon`.
    The plan's own cost is off by a first-order term in its marginal error, which
    decays with the slowest modes of the iteration (hundreds of iterations at
    299x299); dual values are off by a second-order term only.  The derivative is a
    central difference of dual values at ``reg (1 +- _SLOPE_STEP)``, each solved from
    the potentials at ``reg`` with the same stopping rule (a few iterations).

    The difference's truncation error is ``s**2 reg**3 / 6`` times the third
    derivative of :math:`\mathrm{OT}_\varepsilon` (``s`` the step).  Where it bends
    like :math:`\varepsilon \log \varepsilon` (third derivative ``-1 / reg`` times the
    second) that is ``s**2 reg**2 / 6`` times the second derivative, estimated from
    the same three values; on the test pairs (8x8 to 48x48, ``reg`` 0.5 to 60) and
    the benchmark's 299x299 pairs it was 0.8 to 1 times the measured error.  Pairs
    whose estimate exceeds ``tol / _CURVATURE_MARGIN`` times the cost are flagged
    (strongly curved: small images at large ``reg``).

    Returns the cost, whether both solves met ``stop``, and the flagged pairs.
    """
    a, b = np.exp(log_a), np.exp(log_b)
    objective = _dual_value(a, b, f, g)
    values, converged = [], np.ones(len(f), dtype=bool)
    for factor in (1 + _SLOPE_STEP, 1 - _SLOPE_STEP):
        f_near, g_near, _, met = _finest(log_a, log_b, f, g, grid, reg * factor, stop, max_iter)
        values.append(_dual_value(a, b, f_near, g_near))
        converged &= met
    cost = objective - (values[0] - values[1]) / (2 * _SLOPE_STEP)
    truncation = np.abs(values[0] - 2 * objective + values[1]) / 6
    return cost, converged, ~(_CURVATURE_MARGIN * truncation <= tol * np.abs(cost))


def _column_marginal(log_b, g, g_next, reg):
    """Rows of the plan ``(f, g)`` are exact; its column marginal is ``b exp((g - g') / reg)``."""
    with np.errstate(over="ignore"):  # a pair far from converged has an infinite error
        return np.exp(log_b + (g - g_next) / reg)


def _barycentric_displacement(log_b, g, grid, reg):
    """``E[y | x] - x`` under the plan with target potential ``g``, ``(m, h, w, 2)``.

    The conditional mean of each coordinate is a ratio of two Gaussian
    log-convolutions of ``b e^{g / reg}``, one weighted by that coordinate
    (coordinates are non-negative, so their logarithm is defined).
    """
    rows, cols = grid
    target = log_b + g / reg
    total = _log_convolve_2d(target, grid, grid, reg)
    with np.errstate(divide="ignore"):
        by_row = _log_convolve_2d(target + np.log(rows)[:, None], grid, grid, reg)
        by_col = _log_convolve_2d(target + np.log(cols)[None, :], grid, grid, reg)
    return np.stack([np.exp(by_row - total) - rows[:, None],
                     np.exp(by_col - total) - cols[None, :]], axis=-1)


def _solve_self(log_a, grids, reg, tol, max_iter):
    """Entropic self-transport ``OT_reg(a, a)`` for a batch, by symmetric Sinkhorn updates.

    The optimal potentials of ``(a, a)`` are equal, ``f = c_a(f)``; the averaged
    update ``f <- (f + c_a(f)) / 2`` reaches that fixed point in a handful of
    iterations where alternating updates need hundreds (Feydy et al., AISTATS
    2019).  Same annealing and pyramid as :func:`_solve`.  Each iteration checks
    the plan ``(f, g = c_a(f))``, whose columns are exact and rows are
    ``a exp((f - c_a(g)) / reg)``, with the stopping rule of :func:`_solve`.
    Averaging also removes the slow mode of alternating updates on images whose lit
    parts are far apart (their coupling is a factor ``e^(-distance^2 / reg)``): a 1x6
    image with mass at pixels 0, 4 and 5 took alternating updates over 100,000
    iterations to meet ``tol = 1e-6`` at ``reg = 1``.

    Returns ``cost, objective, error, converged`` as :func:`_solve` does (``cost``
    is ``<P, C>`` of the plan ``(f, g)``).
    """
    level = len(grids) - 1
    f = np.zeros_like(log_a[level])
    eps, ends = _temperatures(grids, reg)
    while True:
        grid = grids[level]
        while eps > ends[level]:
            eps = max(eps * _ANNEALING_RATIO, ends[level])
            f = 0.5 * (f + _c_transform(log_a[level], f, grid, grid, eps))
        if level == 0:
            break
        f = _c_transform(log_a[level], f, grid, grids[level - 1], eps)
        level -= 1
    stop = _value_within(tol)
    m = len(f)
    objective, error, converged = np.empty(m), np.empty(m), np.zeros(m, dtype=bool)
    f_final, g_final = np.empty_like(f), np.empty_like(f)
    active = np.arange(m)
    for iteration in range(max_iter + 1):
        log_mass, mass, f_now = log_a[0][active], np.exp(log_a[0][active]), f[active]
        g = _c_transform(log_mass, f_now, grids[0], grids[0], reg)
        rows = _column_marginal(log_mass, f_now, _c_transform(log_mass, g, grids[0], grids[0],
                                                              reg), reg)
        err = np.abs(rows - mass).sum(axis=(1, 2))
        done = stop(mass, g, f_now, rows, mass, err)  # by symmetry: columns exact
        finished = done | (iteration == max_iter)
        objective[active[finished]] = ((mass * g).sum(axis=(1, 2))
                                       + (rows * f_now).sum(axis=(1, 2)))[finished]
        error[active[finished]], converged[active[finished]] = err[finished], done[finished]
        f_final[active[finished]], g_final[active[finished]] = f_now[finished], g[finished]
        f[active] = 0.5 * (f_now + g)
        active = active[~finished]
        if len(active) == 0:
            break
    cost = _transport_cost(log_a[0] + f_final / reg, log_a[0] + g_final / reg, grids[0], reg)
    return cost, objective, error, converged


def _solve_unbalanced(log_a, log_b, grids, reg, tol, max_iter, rho):
    r"""Unbalanced entropic OT for a batch of pairs: KL-relaxed marginals of weight ``rho``.

    Solves :math:`\min_P \langle P, C\rangle + \varepsilon \mathrm{KL}(P | a \otimes b)
    + \rho \mathrm{KL}(P 1 | a) + \rho \mathrm{KL}(P^T 1 | b)` (generalised KL, masses
    free) by the damped Sinkhorn updates ``f <- rho / (rho + eps) * c_b(g)`` of Chizat
    et al. and Séjourné et al., with the annealing and pyramid of :func:`_solve`.
    Each iteration makes ``f`` optimal for ``g``; a pair stops when the plan's
    column marginal ``b exp((g - c_a(f)) / reg)`` is within ``sqrt(tol)`` (L1,
    relative to its mass) of the one optimality asks for, ``b exp(-g / rho)``, and
    the first-order change of the objective that would close that gap, times
    ``_VALUE_MARGIN``, is below ``tol`` times the objective (as :func:`_value_within`,
    which this becomes as ``rho`` grows).  Between iterations the potentials move
    along ``(f + t, g - t)`` to the best ``t`` (:func:`_translate`): without it, that
    direction contracts only by ``(rho / (rho + reg))**2`` per iteration, and
    large ``rho`` (near-balanced transport) would need millions of iterations.
    On grids of at least ``_ANDERSON_MIN_PIXELS`` pixels the finest level combines
    the last iterates by Anderson's method, as :func:`_anderson` does (the same
    fixed point; with a reach beyond the image, plain updates needed over 1000
    iterations at 32x32).

    Returns ``cost, objective, error, converged, (f, g, column_marginal)`` as
    :func:`_solve` does; ``objective`` is the dual value
    :math:`\rho\langle a, 1 - e^{-f/\rho}\rangle + \rho\langle b, 1 - e^{-g/\rho}\rangle
    - \varepsilon (m(P) - m(a) m(b))`, equal to the primal one at the optimum, and
    ``error`` the relative L1 gap above.
    """
    level = len(grids) - 1
    f = np.zeros_like(log_a[level])
    g = np.zeros_like(log_b[level])
    eps, ends = _temperatures(grids, reg)
    while True:
        grid = grids[level]
        while eps > ends[level]:
            eps = max(eps * _ANNEALING_RATIO, ends[level])
            damping = rho / (rho + eps)
            g = damping * _c_transform(log_a[level], f, grid, grid, eps)
            f = damping * _c_transform(log_b[level], g, grid, grid, eps)
        if level == 0:
            break
        damping = rho / (rho + eps)
        f, g = (damping * _c_transform(log_b[level], g, grid, grids[level - 1], eps),
                damping * _c_transform(log_a[level], f, grid, grids[level - 1], eps))
        level -= 1
    grid, damping = grids[0], rho / (rho + reg)
    m = len(f)
    objective, error = np.empty(m), np.empty(m)
    converged = np.zeros(m, dtype=bool)
    column_marginal = np.empty_like(g)
    active = np.arange(m)
    history = _AndersonHistory(m, g[0].size) if g[0].size >= _ANDERSON_MIN_PIXELS else None
    for iteration in range(max_iter + 1):
        log_mass_a, log_mass_b, g_now = log_a[0][active], log_b[0][active], g[active]
        a, b = np.exp(log_mass_a), np.exp(log_mass_b)
        f_now = damping * _c_transform(log_mass_b, g_now, grid, grid, reg)
        g_next = _c_transform(log_mass_a, f_now, grid, grid, reg)
        marginal = _column_marginal(log_mass_b, g_now, g_next, reg)
        target = b * np.exp(-g_now / rho)
        with np.errstate(invalid="ignore", over="ignore"):  # far off: inf or nan, not done
            err = np.abs(marginal - target).sum(axis=(1, 2)) / target.sum(axis=(1, 2))
            value = (rho * (a * -np.expm1(-f_now / rho)).sum(axis=(1, 2))
                     + rho * (b * -np.expm1(-g_now / rho)).sum(axis=(1, 2))
                     - reg * (marginal.sum(axis=(1, 2))
                              - a.sum(axis=(1, 2)) * b.sum(axis=(1, 2))))
            change = np.abs(((marginal - target) * g_now).sum(axis=(1, 2)))
            done = (err < np.sqrt(tol)) & (_VALUE_MARGIN * change <= tol * np.abs(value))
        finished = done | (iteration == max_iter)
        stopped = active[finished]
        f[stopped], column_marginal[stopped] = f_now[finished], marginal[finished]
        objective[stopped], error[stopped] = value[finished], err[finished]
        converged[stopped] = done[finished]
        keep = ~finished
        if not keep.any():
            break
        image = _translate(log_mass_a[keep], log_mass_b[keep], f_now[keep],
                           damping * g_next[keep], rho)
        active = active[keep]
        if history is not None:  # Anderson on the map g -> image, as in :func:`_anderson`
            history.keep(keep)
            plain = image.reshape(len(active), -1)
            residual = np.sqrt(b[keep]).reshape(len(active), -1) * (
                plain - g_now[keep].reshape(len(active), -1)) / reg
            image = history.combine(residual, plain, err[keep]).reshape(image.shape)
        g[active] = image
    cost = _transport_cost(log_a[0] + f / reg, log_b[0] + g / reg, grid, reg)
    return cost, objective, error, converged, (f, g, column_marginal)


def _translate(log_a, log_b, f, g, rho):
    """``g - t`` for the ``t`` that maximises the unbalanced dual along ``(f + t, g - t)``.

    The plan does not change along that direction; only the marginal terms do, and
    they peak at ``t = rho / 2 * log(<a, exp(-f / rho)> / <b, exp(-g / rho)>)``
    (translation-invariant Sinkhorn: Séjourné, Vialard and Peyré, "Faster Unbalanced
    Optimal Transport: Translation Invariant Sinkhorn and 1-D Frank-Wolfe", AISTATS
    2022).  Only ``g`` moves: the next update recomputes ``f`` from it.
    """
    m = len(f)
    t = rho / 2 * (_log_relaxed_mass(log_a.reshape(m, -1), f.reshape(m, -1), rho)
                   - _log_relaxed_mass(log_b.reshape(m, -1), g.reshape(m, -1), rho))
    return g - t[:, None, None]


def _log_relaxed_mass(log_mass, potential, rho):
    """``log <a, exp(-f / rho)>`` per row, as ``log m(a) + log1p(<a, expm1(-f / rho)> / m(a))``
    so that the digits of ``f / rho`` survive when ``rho`` is large."""
    total = logsumexp(log_mass, axis=1)
    mass = np.exp(log_mass - total[:, None])
    return total + np.log1p((mass * np.expm1(-potential / rho)).sum(axis=1))


def _marginal_below(tol):
    """Stopping rule: the L1 marginal error of the plan is below ``tol``."""
    def stop(a, f, g, marginal, b, error):
        return error < tol
    return stop


def _dual_within(tol):
    r"""Stopping rule of the final level: the dual value is within ``tol`` (relative) of the limit.

    With exact rows, the dual value :math:`\langle a, f \rangle + \langle b, g \rangle`
    equals :math:`\mathrm{OT}_\varepsilon(a, b') + \langle g, b - b' \rangle` (``b'`` the
    plan's column marginal), a lower bound of :math:`\mathrm{OT}_\varepsilon(a, b)`
    (convex in ``b``, with gradient ``g``) that is off by a second-order term in the
    marginal error ``r = b' - b``.  A pair stops when the estimate
    :math:`|r|_1 \sum_j |g_j - \bar g|\, |r_j|` of that gap (``g`` centred at its
    ``b``-mean), times ``_VALUE_MARGIN``, is below ``tol`` times the dual value, once
    :math:`|r|_1 < \sqrt{tol}`.  On the benchmark's 299x299 pairs the estimate was
    3 to 25 times the true gap at every iteration.
    """
    def stop(a, f, g, marginal, b, error):
        with np.errstate(invalid="ignore", over="ignore"):  # far off: inf or nan, not done
            centred = g - (b * g).sum(axis=(1, 2))[:, None, None]
            gap = error * (np.abs(centred) * np.abs(marginal - b)).sum(axis=(1, 2))
            value = np.abs(_dual_value(a, b, f, g))
            return (error < np.sqrt(tol)) & (_VALUE_MARGIN * gap <= tol * value)
    return stop


def _value_within(tol):
    r"""Stopping rule of the final level: the value is within ``tol`` (relative) of the limit.

    The plan ``(f, g)`` has exact rows, so it is the exact entropic plan between
    ``a`` and its column marginal ``b'``: its objective is
    :math:`\mathrm{OT}_\varepsilon(a, b')`, whose gradient in ``b`` is ``g``.  To
    first order it differs from the converged :math:`\mathrm{OT}_\varepsilon(a, b)`
    by :math:`\langle g, b' - b \rangle`.  A pair stops when that change is below
    ``tol / _VALUE_MARGIN`` times the objective (the margin covers the transport
    term, whose error measured up to 3 times the objective's), once the marginal
    error is below ``sqrt(tol)`` (past the transient where the first-order term
    can cancel by chance).
    """
    def stop(a, f, g, marginal, b, error):
        with np.errstate(invalid="ignore", over="ignore"):  # far off: inf or nan, not done
            objective = np.abs((a * f).sum(axis=(1, 2)) + (marginal * g).sum(axis=(1, 2)))
            change = np.abs(((marginal - b) * g).sum(axis=(1, 2)))
            return (error < np.sqrt(tol)) & (_VALUE_MARGIN * change <= tol * objective)
    return stop


def _refine(log_a, log_b, f, g, grids, level, eps):
    """Extend the potentials of ``level`` to the next finer grid by soft c-transforms."""
    coarse, fine = grids[level], grids[level - 1]
    return (_c_transform(log_b[level], g, coarse, fine, eps),
            _c_transform(log_a[level], f, coarse, fine, eps))


def _iterate(log_a, log_b, f, g, grid, eps, stop, max_iter):
    """Over-relaxed Sinkhorn iterations at ``eps`` until each pair meets ``stop``.

    Every ``_RATE_SPAN`` iterations the convergence rate of each pair is measured
    and its over-relaxation factor updated (:func:`_relaxation`): same fixed
    point, far fewer iterations at small ``eps``.  A pair stops after a plain
    iteration that meets ``stop(a, f, g, column_marginal, b, l1_error)``, so the
    rows of its plan are exact; it then leaves the batch, and its result does
    not depend on the other pairs.

    Returns ``f, g, g_next, converged``: the potentials, the c-transform of ``f``
    (for the column marginal) and whether each pair met ``stop``.
    """
    m = len(f)
    a, b = np.exp(log_a), np.exp(log_b)
    converged_pairs = np.zeros(m, dtype=bool)
    checkpoint = np.full(m, np.inf)
    omega = np.ones(m)
    last_omega = np.ones(m)
    g_next = np.empty_like(g)
    active = np.arange(m)
    for iteration in range(max_iter + 1):
        g_new = _c_transform(log_a[active], f[active], grid, grid, eps)
        # Column marginal of the plan (f, g) is b * exp((g - g_new) / eps).
        with np.errstate(over="ignore"):  # far from convergence: an infinite error
            marginal = np.exp(log_b[active] + (g[active] - g_new) / eps)
        err = np.abs(marginal - b[active]).sum(axis=(1, 2))
        if iteration % _RATE_SPAN == 0:
            if iteration:
                omega[active] = _relaxation(err, checkpoint[active], omega[active])
            checkpoint[active] = err
        converged = stop(a[active], f[active], g[active], marginal, b[active], err)
        converged_pairs[active] = converged
        omega[active[converged]] = 1.0  # finish with a plain iteration: exact rows
        done = (converged & (last_omega[active] == 1.0)) | (iteration == max_iter)
        g_next[active[done]] = g_new[done]
        active, g_new = active[~done], g_new[~done]
        if len(active) == 0:
            break
        w = omega[active][:, None, None]
        last_omega[active] = omega[active]
        g[active] += w * (g_new - g[active])
        f_new = _c_transform(log_b[active], g[active], grid, grid, eps)
        f[active] += w * (f_new - f[active])
    return f, g, g_next, converged_pairs


def _anderson(log_a, log_b, f, g, grid, eps, stop, max_iter):
    """Anderson-accelerated Sinkhorn iterations at ``eps`` until each pair meets ``stop``.

    One iteration maps ``g`` to ``f = c_b(g)`` and ``g' = c_a(f)``: the plan
    ``(f, g)`` has exact rows and the column marginal ``b exp((g - g') / eps)``.
    The next ``g`` is not ``g'`` but the affine combination of the last
    ``_MEMORY + 1`` values of ``g'`` whose residuals ``sqrt(b) (g' - g) / eps``
    combine to the smallest norm (Anderson acceleration, type II [1]_; a ridge
    keeps its least squares well posed).  The fixed point is Sinkhorn's, reached
    in several times fewer iterations at small ``eps``.  A pair whose error
    grows ``_DIVERGED``-fold over its best drops its history (a plain step).
    A pair stops at the first ``g`` that meets ``stop`` (see :func:`_iterate`)
    and leaves the batch: its result does not depend on the other pairs.

    Returns ``f, g, g_next, converged``: the potentials, the c-transform of ``f``
    (for the column marginal) and whether each pair met ``stop``.

    References
    ----------
    .. [1] H. F. Walker and P. Ni, "Anderson Acceleration for Fixed-Point
       Iterations", SIAM J. Numer. Anal. 49(4), 2011.
    """
    m, shape = len(g), g.shape[1:]
    converged_pairs = np.zeros(m, dtype=bool)
    f_out, g_out, g_next = np.empty_like(f), np.empty_like(g), np.empty_like(g)
    # State of the pairs still iterating (compacted when some finish).
    index = np.arange(m)
    a, b = np.exp(log_a), np.exp(log_b)
    weight = np.sqrt(b).reshape(m, -1)
    x = g.reshape(m, -1).copy()
    history = _AndersonHistory(m, x.shape[1])
    for iteration in range(max_iter + 1):
        g_now = x.reshape(-1, *shape)
        f_now = _c_transform(log_b, g_now, grid, grid, eps)
        g_new = _c_transform(log_a, f_now, grid, grid, eps)
        with np.errstate(over="ignore", invalid="ignore"):  # far off: an infinite error
            marginal = np.exp(log_b + (g_now - g_new) / eps)
        err = np.abs(marginal - b).sum(axis=(1, 2))
        converged = stop(a, f_now, g_now, marginal, b, err)
        converged_pairs[index] = converged
        done = converged | (iteration == max_iter)
        if done.any():
            finished = index[done]
            f_out[finished], g_out[finished], g_next[finished] = (
                f_now[done], g_now[done], g_new[done])
            keep = ~done
            if not keep.any():
                break
            index, log_a, log_b, a, b, weight, x, err, g_new = (
                array[keep] for array in (index, log_a, log_b, a, b, weight, x, err, g_new))
            history.keep(keep)
        g_new = g_new.reshape(len(index), -1)
        x = history.combine(weight * (g_new - x) / eps, g_new, err)
    return f_out, g_out, g_next, converged_pairs


class _AndersonHistory:
    """The last ``_MEMORY`` residuals and fixed-point images of each pair in a batch.

    :meth:`combine` returns the accelerated iterate (:func:`_anderson_step`) and stores
    the new pair of vectors; a pair whose error grows ``_DIVERGED``-fold over its best
    (or is NaN) first drops its history, which makes its step a plain one.
    """

    def __init__(self, n_pairs, size):
        self.residuals = np.zeros((n_pairs, _MEMORY, size))
        self.images = np.zeros_like(self.residuals)
        self.filled = np.zeros((n_pairs, _MEMORY), dtype=bool)
        self.best = np.full(n_pairs, np.inf)
        self.stored = 0

    def keep(self, rows):
        """Keep only the pairs selected by ``rows`` (the others have finished)."""
        self.residuals, self.images, self.filled, self.best = (
            self.residuals[rows], self.images[rows], self.filled[rows], self.best[rows])

    def combine(self, residual, image, error):
        """Next iterate from this iteration's ``residual`` and ``image``, shape (pairs, size)."""
        self.filled[~(error <= _DIVERGED * self.best)] = False
        self.best = np.fmin(self.best, error)
        combined = _anderson_step(residual, image, self.residuals, self.images, self.filled)
        slot = self.stored % _MEMORY
        self.residuals[:, slot], self.images[:, slot], self.filled[:, slot] = (
            residual, image, True)
        self.stored += 1
        return combined


def _anderson_step(residual, image, residuals, images, filled):
    """Combine the current fixed-point image with the stored ones (per pair).

    Minimises ``|r - sum_j c_j (r - r_j)|`` over ``c`` with a small ridge and
    returns ``image - sum_j c_j (image - image_j)``; unfilled slots get ``c_j = 0``.
    The normal equations are expanded into inner products of the stored residuals
    (matrix products, without temporaries of the size of the history): the
    expansion loses a few digits to cancellation, fewer than the ridge sets aside.
    """
    mask = filled.astype(float)
    square = np.einsum("pn,pn->p", residual, residual)
    cross = np.matmul(residuals, residual[:, :, None])[..., 0]
    gram = (square[:, None, None] - cross[:, :, None] - cross[:, None, :]
            + np.matmul(residuals, residuals.transpose(0, 2, 1)))
    gram *= mask[:, :, None] * mask[:, None, :]
    ridge = _RIDGE * np.einsum("pjj->p", gram) / _MEMORY + np.finfo(float).tiny
    gram += ridge[:, None, None] * np.eye(_MEMORY)
    coefficients = np.linalg.solve(gram, ((square[:, None] - cross) * mask)[..., None])
    combined = np.matmul(coefficients.transpose(0, 2, 1), images)[:, 0]
    return image * (1 - coefficients[:, :, 0].sum(axis=1))[:, None] + combined


def _relaxation(err, previous, omega):
    """Update the over-relaxation factors from the error decay of the last iterations.

    For the linearised iteration relaxed by ``omega``, an observed rate ``r`` per
    iteration gives the plain Sinkhorn rate ``theta = mu^2`` with
    ``mu = (r + omega - 1) / (omega sqrt(r))``, whose optimal factor is
    ``2 / (1 + sqrt(1 - theta))`` (Lehmann, von Renesse, Sambale and Uschmajew, "A
    note on overrelaxation in the Sinkhorn algorithm", Optim. Lett. 2022).  Factors
    only grow (up to ``_MAX_RELAXATION``); a pair whose error grew ``_DIVERGED``-fold
    in ``_RATE_SPAN`` iterations goes back to plain steps.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        rate = (err / previous) ** (1 / _RATE_SPAN)
        mu = (rate + omega - 1) / (omega * np.sqrt(rate))
        optimal = 2 / (1 + np.sqrt(1 - np.clip(mu * mu, 0.0, 1.0)))
    optimal = np.where((rate > 0) & (rate < 1), np.minimum(optimal, _MAX_RELAXATION), omega)
    return np.where(err > _DIVERGED * previous, 1.0, np.maximum(omega, optimal))


def _transport_cost(log_u, log_v, grid, reg):
    r"""``<P, C>`` for the plans ``P = exp(log_u[ij] + log_v[kl] - C / reg)``.

    With :math:`C = C_r + C_c`, the sum over the target pixels separates: along
    columns into the plain and the :math:`C_c`-weighted Gaussian sums, then along
    rows, where the plain one is weighted by :math:`C_r`.
    """
    rows, cols = grid
    m, h, w = log_v.shape
    plain, col_weighted = log_convolve(log_v.reshape(m * h, w), cols, cols, reg, weighted=True)

    def along_rows(values, weighted):
        values = np.ascontiguousarray(values.reshape(m, h, w).transpose(0, 2, 1)).reshape(-1, h)
        result = log_convolve(values, rows, rows, reg, weighted=weighted)
        return (result[1] if weighted else result).reshape(m, w, h).transpose(0, 2, 1)

    log_weight = np.logaddexp(along_rows(plain, True), along_rows(col_weighted, False))
    return np.exp(log_u + log_weight).sum(axis=(1, 2))


def _identical_pairs(X, Y, left, right):
    """Mask of the pairs ``(X[left[k]], Y[right[k]])`` with equal images (row hashes first)."""
    hash_x = np.array([hash(row.tobytes()) for row in X])
    hash_y = hash_x if Y is X else np.array([hash(row.tobytes()) for row in Y])
    same = hash_x[left] == hash_y[right]
    for k in np.flatnonzero(same):
        same[k] = np.array_equal(X[left[k]], Y[right[k]])
    return same


def _canonical_pairs(A, B):
    """Order each pair so that the solver sees (a, b) and (b, a) the same way.

    Returns a boolean mask: ``True`` where ``B[k]`` should be the source.  The
    order is lexicographic on the pixel values, so swapping the inputs gives the
    same computation and a symmetric result to the last bit.
    """
    differs = A != B
    first = np.argmax(differs, axis=1)
    rows = np.arange(len(A))
    return differs[rows, first] & (B[rows, first] < A[rows, first])


@dataclass(frozen=True)
class SinkhornTransport:
    r"""The entropic plan between two images, through its dual potentials.

    The plan is :math:`P_{ij} = a_i b_j \exp((f_i + g_j - C_{ij}) / \varepsilon)`
    (never formed: ``n x n``); its rows sum exactly to ``a``, its columns to
    ``target_marginal`` (``b`` up to the solver's tolerance).

    Attributes
    ----------
    value : float
        The transport cost :math:`\langle P, C \rangle`, as :class:`Sinkhorn` returns it.
    source_potential, target_potential : ndarray of shape (h, w)
        The dual potentials ``f`` and ``g``, in the units of the cost (squared
        ``pixel_size`` units); finite everywhere, meaningful where the image has light.
    source_marginal, target_marginal : ndarray of shape (h, w)
        Row and column sums of the plan: ``x`` (at unit mass unless ``normalize=False``)
        and ``y`` up to the tolerance; with ``reach`` (unbalanced) the rows are
        ``x exp(-f / reach**2)`` and neither equals the image.
    displacement : ndarray of shape (h, w, 2)
        Barycentric displacement, in pixels along (rows, columns): where the light of
        each pixel of ``x`` goes on average, minus where it is.  Zero where ``x`` is dark.
    image_shape : tuple of two int
        ``(height, width)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import Sinkhorn
    >>> x = np.zeros((8, 8)); x[2, 2] = 1
    >>> y = np.zeros((8, 8)); y[5, 4] = 1
    >>> plan = Sinkhorn(reg=0.5).transport(x.ravel(), y.ravel())
    >>> plan.displacement[2, 2].round(6)        # three rows down, two columns right
    array([3., 2.])
    >>> print(round(plan.value, 6))
    13.0
    """

    value: float
    source_potential: np.ndarray
    target_potential: np.ndarray
    source_marginal: np.ndarray
    target_marginal: np.ndarray
    displacement: np.ndarray
    image_shape: tuple


class _EntropicOT(ImageMetric):
    """Shared parameters, validation and batched solver of the Sinkhorn metrics."""

    _unit = "squared pixels"
    _cost_exponent = 1.5
    _parameter_constraints = {
        "reg": [Interval(Real, 0, None, closed="neither")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "reach": [None, Interval(Real, 0, None, closed="neither")],
        "normalize": ["boolean"],
    }

    def __init__(self, *, image_shape=None, reg=1.0, tol=1e-6, max_iter=1000, pixel_size=1.0,
                 reach=None, normalize=True):
        self.image_shape = image_shape
        self.reg = reg
        self.tol = tol
        self.max_iter = max_iter
        self.pixel_size = pixel_size
        self.reach = reach
        self.normalize = normalize

    def _scales_to_unit_mass(self):
        return self.normalize

    def _marginal_penalty(self, scale2):
        """``rho = reach**2`` in units of the squared pixel side, or ``None`` (balanced)."""
        if self.reach is None:
            return None
        with np.errstate(over="ignore"):
            rho_px = float(np.float64(self.reach) ** 2 / scale2)
        if not _SMALLEST_PENALTY_PX <= rho_px <= _LARGEST_PENALTY_PX:
            raise ValueError(
                f"reach={self.reach!r} is {rho_px ** 0.5:.3g} pixels (pixel_size="
                f"{self.pixel_size!r}); it must be between {_SMALLEST_PENALTY_PX ** 0.5:g} and "
                f"{_LARGEST_PENALTY_PX ** 0.5:g} pixels. Beyond, the relaxation is below "
                f"float64 precision: for balanced transport use reach=None. Below, no light "
                f"moves even to the next pixel: compare the images pixel by pixel instead."
            )
        return rho_px

    def _balanced_masses(self, X, Y):
        """Unit-mass copies of ``X`` and ``Y`` and their common mass, for balanced transport.

        Without ``reach`` the plan must carry every image's whole mass, so with
        ``normalize=False`` all masses must agree (to a relative ``1e-9``); the value
        is then that of the unit-mass images times the mass (the plan scales with it).
        """
        if self.normalize:
            return X, Y, 1.0
        masses = X.sum(axis=1) if Y is None else np.concatenate([X.sum(axis=1), Y.sum(axis=1)])
        if not np.allclose(masses, masses[0], rtol=1e-9, atol=0.0):
            raise ValueError(
                f"With normalize=False and reach=None (balanced transport) all images must "
                f"have the same total mass; got masses from {masses.min():.6g} to "
                f"{masses.max():.6g}. Set reach (unbalanced transport: mass may be created "
                f"or destroyed at a price) or normalize=True (compare shapes only)."
            )
        return to_unit_mass(X), None if Y is None else to_unit_mass(Y), float(masses[0])

    def _geometry(self, image_shape):
        """Pyramid, temperature and value scale of the problem, in units of the larger pixel side.

        Only ``reg`` relative to the squared pixel size matters to the iterations,
        so the solver works on a grid whose larger spacing is 1 with the
        temperature ``reg / scale^2`` (pixel^2) and multiplies the values by
        ``scale^2`` at the end: any ``pixel_size`` whose squared distances fit in
        float64 gives the same iterations as ``pixel_size=1``.

        Returns ``(grids, reg_px, scale2)``.
        """
        row_size, column_size = check_pixel_size(self.pixel_size)
        scale = float(max(row_size, column_size))
        scale2 = scale * scale
        extent2 = sum((n - 1) ** 2 for n in image_shape) or 1
        if not (scale2 >= _SMALLEST_SQUARED_SIZE and scale2 * extent2 <= _LARGEST_COST):
            raise ValueError(
                f"pixel_size={self.pixel_size!r} puts the squared distances of a "
                f"{image_shape[0]}x{image_shape[1]} image outside float64: the larger pixel "
                f"side must be between {_SMALLEST_SQUARED_SIZE ** 0.5:.0e} and "
                f"{(_LARGEST_COST / extent2) ** 0.5:.3g}. Express the sizes in another unit."
            )
        reg_px = self.reg / scale2
        if not _SMALLEST_REG_PX <= reg_px <= _LARGEST_REG_PX:
            largest = _LARGEST_REG_PX * scale2  # Python floats: inf, not a warning
            raise ValueError(
                f"reg={self.reg!r} is {reg_px:.3g} times the squared pixel size "
                f"(pixel_size={self.pixel_size!r}); it must be between {_SMALLEST_REG_PX:g} and "
                f"{_LARGEST_REG_PX:g} times it, i.e. reg in [{_SMALLEST_REG_PX * scale2:.3g}, "
                f"{largest:.3g}]. Below, the Gibbs kernel between neighbouring "
                f"pixels is under e^-{1 / _SMALLEST_REG_PX:g}, beyond float64: that is exact "
                f"transport, which skimgdist.wasserstein computes."
            )
        grids = _pyramid(tuple(image_shape), float(row_size / scale), float(column_size / scale))
        return grids, reg_px, scale2

    def _solve_pairs(self, P, Q, left, right, image_shape):
        """Solve the problems ``(P[left[k]], Q[right[k]])``; returns their values.

        The value is the transport cost (``Sinkhorn``) or the entropic objective
        (``SinkhornDivergence``), as ``_reports_cost`` says.

        ``P`` and ``Q`` are unit-mass rows; their pyramids are built once per image.
        """
        grids, reg_px, scale2 = self._geometry(image_shape)
        solve = self._solver(scale2)
        pyramid_p = _mass_pyramid(P, image_shape, len(grids))
        pyramid_q = pyramid_p if Q is P else _mass_pyramid(Q, image_shape, len(grids))
        swap = _canonical_pairs(P[left], Q[right])
        values = np.empty(len(left))
        error = np.empty(len(left))
        converged = np.empty(len(left), dtype=bool)
        if len(left) == 0:  # e.g. the off-diagonal pairs of a single image
            return values
        chunk = int(np.clip(working_memory_bytes() // (8 * _ARRAYS_PER_PAIR * P.shape[1]),
                            1, max(1, len(left))))
        # A balanced pair of identical images takes the symmetric solver: the same
        # fixed point, without the slow modes of alternating updates.
        same = (_identical_pairs(P, Q, left, right) if self._marginal_penalty(scale2) is None
                else np.zeros(len(left), dtype=bool))
        for pairs in (np.flatnonzero(~same), np.flatnonzero(same)):
            for start in range(0, len(pairs), chunk):
                batch = pairs[start:start + chunk]
                if same[batch[0]]:
                    cost, objective, error[batch], converged[batch] = _solve_self(
                        [lp[left[batch]] for lp in pyramid_p], grids, reg_px, float(self.tol),
                        int(self.max_iter))
                    values[batch] = cost if self._reports_cost else objective
                    continue
                s = swap[batch][:, None, None]
                log_a = [np.where(s, lq[right[batch]], lp[left[batch]])
                         for lp, lq in zip(pyramid_p, pyramid_q, strict=True)]
                log_b = [np.where(s, lp[left[batch]], lq[right[batch]])
                         for lp, lq in zip(pyramid_p, pyramid_q, strict=True)]
                cost, objective, error[batch], converged[batch], _ = solve(
                    log_a, log_b, grids, reg_px, float(self.tol), int(self.max_iter))
                values[batch] = cost if self._reports_cost else objective
        self._check_convergence(error, converged)
        return scale2 * values

    def _solver(self, scale2):
        """:func:`_solve`, or :func:`_solve_unbalanced` at the marginal penalty of ``reach``."""
        rho_px = self._marginal_penalty(scale2)
        if rho_px is None:
            return functools.partial(_solve, sharp_cost=self._reports_cost)
        return functools.partial(_solve_unbalanced, rho=rho_px)

    def _check_convergence(self, error, converged):
        """Warn when a pair missed ``tol``; refuse values whose plan misplaces too much mass.

        A plan with marginal error ``e`` is the exact entropic plan between the
        first image and a second one moved by ``e / 2`` in total variation.  Up to
        ``_UNUSABLE_ERROR`` that is a value of nearby images, returned with a
        ``ConvergenceWarning``; beyond, the value could be anything (even negative
        for the divergence), so a ``ValueError`` says how to get a usable one.
        """
        failed = ~converged
        if not failed.any():
            return
        worst = error[failed].max()
        message = (
            f"Sinkhorn did not converge in max_iter={self.max_iter} iterations at "
            f"reg={self.reg} for {int(failed.sum())} of {len(error)} image pair(s): the "
            f"value is not known to within tol={self.tol} (relative); marginal error "
            f"{worst:.3g} (L1 norm of the mass in the wrong place)."
        )
        if not worst <= _UNUSABLE_ERROR:
            raise ValueError(
                f"{message} Above {_UNUSABLE_ERROR:g} the value is meaningless. Increase "
                f"max_iter or reg (small reg needs many iterations on images with fine "
                f"detail), or compute exact transport with skimgdist.wasserstein."
            )
        warnings.warn(
            f"{message} The value is that of images moved by up to {worst / 2:.3g} of their "
            f"mass. Increase max_iter or reg, or loosen tol.",
            ConvergenceWarning,
            stacklevel=4,
        )

    @staticmethod
    def _pair_indices(n_x, n_y, symmetric):
        if symmetric:
            return np.triu_indices(n_x)
        left, right = np.meshgrid(np.arange(n_x), np.arange(n_y), indexing="ij")
        return left.ravel(), right.ravel()

    @staticmethod
    def _fill(values, left, right, shape, symmetric):
        out = np.empty(shape)
        out[left, right] = values
        return mirror_upper(out) if symmetric else out


class Sinkhorn(_EntropicOT):
    r"""Entropic optimal transport cost between images (POT's ``sinkhorn2``).

    Solves the entropy-regularised transport problem [1]_ between two images seen as
    distributions of light, with the squared Euclidean distance between pixel
    centres as ground cost, and reports the transport cost of the regularised
    plan:

    .. math::

        P^\star = \operatorname*{arg\,min}_{P \in \Pi(a, b)}
            \langle P, C \rangle + \varepsilon\, \mathrm{KL}(P \,|\, a \otimes b),
        \qquad
        \mathrm{sinkhorn}(a, b) = \langle P^\star, C \rangle,

    with :math:`C_{(i,j),(k,l)} = (i-k)^2 s_r^2 + (j-l)^2 s_c^2`.  This is the
    value ``ot.sinkhorn2(a, b, C, reg)`` returns (the entropy term of POT's
    objective differs from the KL above by a constant, so the plan is the same).
    It is in squared distance units: as ``reg`` shrinks it tends to the squared
    2-Wasserstein distance, from above.  It is *not* zero for identical images
    (the plan blurs over about :math:`\sqrt{\varepsilon}` pixels); use
    :class:`SinkhornDivergence` for a quantity that is.

    The Gibbs kernel is separable on the pixel grid [4]_, so each Sinkhorn iteration
    costs :math:`O(hw(h+w))` and memory stays :math:`O(hw)` per pair: no
    :math:`n \times n` matrix is formed.  The solver runs in the log domain with
    epsilon scaling over an image pyramid [2]_ [3]_, then Anderson-accelerated
    [5]_ and over-relaxed iterations at ``reg``; with the optional numba
    engine (extra ``fast``) each log-convolution only sums the terms within
    :math:`e^{-40}` of the largest one.

    Parameters
    ----------
    image_shape : tuple of two int, default=None
        ``(height, width)`` of the flattened images; square when ``None``.
    reg : float, default=1.0
        Entropic regularisation :math:`\varepsilon > 0`, in squared distance units
        (pixel^2 with the default ``pixel_size``).  Smaller is closer to exact
        optimal transport and slower to converge.  Only ``reg / pixel_size**2``
        matters to the iterations; it must be at least ``1e-3`` (below, the
        kernel between neighbouring pixels is under ``e^-1000``: exact transport,
        see :func:`~skimgdist.wasserstein`), else a ``ValueError`` gives the range.
    tol : float, default=1e-6
        Relative accuracy of the value.  Iterations stop when the estimated gap
        between the dual value and the optimum, times a margin of 10, is below
        ``tol`` times the value (and the L1 marginal error is below ``sqrt(tol)``).
        The transport cost is the entropic objective minus ``reg`` times its
        derivative in ``reg``, a central difference of the dual values at
        ``reg * (1 +- 0.05)``; where the difference's truncation error (predicted
        from ``reg`` before, estimated from the three values after) exceeds
        ``tol / 4`` (small images at large ``reg``, tight ``tol``), iterations go on
        until the plan's own cost settles instead.  The default matches POT's
        log-domain solver at tight tolerance to 1e-6 relative (tested); see
        ``docs/sinkhorn.md``.
    max_iter : int, default=1000
        Maximum number of Sinkhorn iterations at ``reg`` (after the annealing
        steps), per solve: the value takes up to four, at ``reg``, at
        ``reg * (1 +- 0.05)`` and, where they do not suffice, on at ``reg``.
        Not converging raises a
        :class:`~sklearn.exceptions.ConvergenceWarning` with the marginal error
        reached, or a ``ValueError`` when that error exceeds 1e-2 (the value
        would be meaningless).
    pixel_size : float or pair of float, default=1.0
        Physical size of a pixel, shared or ``(row_size, column_size)``.
    reach : float, default=None
        Unbalanced transport when set: the marginals are relaxed by
        :math:`\rho\,\mathrm{KL}` penalties with :math:`\rho` = ``reach**2`` (same
        units as ``reg``), so light need not be conserved; transport farther than
        about ``reach`` costs more than destroying and creating the light.  ``None``
        is balanced transport, the limit ``reach -> inf``.  See the Notes.
    normalize : bool, default=True
        Scale every image to unit mass first.  With ``False`` images keep their
        total intensity: ``reach`` then prices their difference in mass; without
        ``reach`` all masses must be equal (else a ``ValueError``) and the value
        is that of the unit-mass images times the mass.

    See Also
    --------
    SinkhornDivergence : the debiased version, zero for identical images.
    sinkhorn : the function form.

    Notes
    -----
    Each image is scaled to unit mass unless ``normalize=False``.  With ``reach``
    the transport is unbalanced [6]_ [7]_: the plan minimises
    :math:`\langle P, C\rangle + \varepsilon\,\mathrm{KL}(P | a \otimes b)
    + \rho\,\mathrm{KL}(P 1 | a) + \rho\,\mathrm{KL}(P^T 1 | b)` over all
    non-negative ``P`` (generalised KL, :math:`\rho` = ``reach**2``) and the value
    is its :math:`\langle P, C\rangle`, as
    ``ot.unbalanced.sinkhorn_unbalanced2(a, b, C, reg, reach**2, reg_type="kl")``
    returns (tested); ``reach -> inf`` is the balanced value.

    ``pairwise`` solves all pairs in batches
    sized to ``sklearn.get_config()["working_memory"]``, sharing the kernels and
    the per-image pyramids; a pair stops iterating as soon as it converges, so
    its value does not depend on the batch.  Pairs are put in a canonical order
    (the result is symmetric to the last bit).  No GPU engine is provided.

    References
    ----------
    .. [1] M. Cuturi, "Sinkhorn Distances: Lightspeed Computation of Optimal
       Transport", NeurIPS 2013.
    .. [2] B. Schmitzer, "Stabilized Sparse Scaling Algorithms for Entropy
       Regularized Transport Problems", SIAM J. Sci. Comput. 41(3), 2019.
    .. [3] J. Feydy, "Geometric data analysis, beyond convolutions", PhD thesis,
       Université Paris-Saclay, 2020 (GeomLoss).
    .. [4] J. Solomon et al., "Convolutional Wasserstein Distances: Efficient
       Optimal Transportation on Geometric Domains", ACM ToG 34(4), 2015.
    .. [5] H. F. Walker and P. Ni, "Anderson Acceleration for Fixed-Point
       Iterations", SIAM J. Numer. Anal. 49(4), 2011.
    .. [6] L. Chizat, G. Peyré, B. Schmitzer and F.-X. Vialard, "Scaling Algorithms
       for Unbalanced Optimal Transport Problems", Math. Comp. 87, 2018.
    .. [7] T. Séjourné, J. Feydy, F.-X. Vialard, A. Trouvé and G. Peyré, "Sinkhorn
       Divergences for Unbalanced Optimal Transport", arXiv:1910.12958, 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import Sinkhorn
    >>> a = np.zeros((8, 8)); a[2, 2] = 1
    >>> b = np.zeros((8, 8)); b[5, 2] = 1          # three pixels down: W2^2 = 9
    >>> metric = Sinkhorn(reg=0.5)
    >>> print(round(metric(a.ravel(), b.ravel()), 4))
    9.0
    >>> metric.pairwise(np.stack([a.ravel(), b.ravel()])).round(4)
    array([[0., 9.],
           [9., 0.]])

    Twice the light in ``b`` and a reach of 2 pixels: moving 3 pixels costs more than
    destroying and creating light, so the plan moves little of it.

    >>> unbalanced = Sinkhorn(reg=0.5, reach=2.0, normalize=False)
    >>> value = unbalanced(a.ravel(), 2 * b.ravel())
    >>> bool(0 < value < 9.0)
    True
    """

    _reports_cost = True

    def _pairwise_validated(self, X, Y, image_shape):
        X, Y, mass = self._balanced_masses(X, Y) if self.reach is None else (X, Y, 1.0)
        symmetric = Y is None
        Y = X if symmetric else Y
        left, right = self._pair_indices(len(X), len(Y), symmetric)
        cost = self._solve_pairs(X, Y, left, right, image_shape)
        return mass * self._fill(cost, left, right, (len(X), len(Y)), symmetric)

    def transport(self, x, y):
        """The entropic plan from ``x`` to ``y``: potentials, marginals, displacement field.

        Parameters
        ----------
        x, y : array-like of shape (n_pixels,)
            Two flattened images (scaled to unit mass unless ``normalize=False``);
            ``x`` is the source.

        Returns
        -------
        plan : SinkhornTransport
            The value (as ``self(x, y)``), the dual potentials, the plan's marginals
            and the barycentric displacement of every source pixel, in pixels.

        Examples
        --------
        >>> import numpy as np
        >>> from skimgdist import Sinkhorn
        >>> x = np.zeros((6, 6)); x[1, 1] = 1
        >>> y = np.zeros((6, 6)); y[1, 4] = 1
        >>> plan = Sinkhorn(reg=0.5).transport(x.ravel(), y.ravel())
        >>> plan.displacement.shape, plan.displacement[1, 1].round(6).tolist()
        ((6, 6, 2), [0.0, 3.0])
        """
        X, Y, shape = self._validate_pair(x, y)
        X, Y, mass = self._balanced_masses(X, Y) if self.reach is None else (X, Y, 1.0)
        grids, reg_px, scale2 = self._geometry(shape)
        rho_px = self._marginal_penalty(scale2)
        with np.errstate(divide="ignore"):  # dark pixels: -inf log-masses
            log_a = _mass_pyramid(X, shape, len(grids))
            log_b = _mass_pyramid(Y, shape, len(grids))
        cost, _, error, converged, (f, g, column_marginal) = self._solver(scale2)(
            log_a, log_b, grids, reg_px, float(self.tol), int(self.max_iter))
        self._check_convergence(error, converged)
        # Rows: exactly a (balanced) or a exp(-f / rho), optimal for the column potential.
        source_marginal = X[0].reshape(shape) * (1.0 if rho_px is None
                                                 else np.exp(-f[0] / rho_px))
        # A balanced plan between images of mass m is m times the unit-mass one: shifting
        # each potential by -reg log(m) / 2 keeps P = a b exp((f + g - C) / reg).
        shift = reg_px * np.log(mass) / 2
        pixel = check_pixel_size(self.pixel_size)  # grid units (larger side 1) -> pixels
        displacement = (_barycentric_displacement(log_b[0], g, grids[0], reg_px)[0]
                        / (pixel / pixel.max()))
        displacement[X[0].reshape(shape) == 0] = 0.0
        return SinkhornTransport(
            value=float(mass * scale2 * cost[0]), source_potential=scale2 * (f[0] - shift),
            target_potential=scale2 * (g[0] - shift), source_marginal=mass * source_marginal,
            target_marginal=mass * column_marginal[0], displacement=displacement,
            image_shape=tuple(shape))


class SinkhornDivergence(_EntropicOT):
    r"""Sinkhorn divergence between images: debiased entropic transport, zero on identical images.

    .. math::

        S_\varepsilon(a, b) = \mathrm{OT}_\varepsilon(a, b)
            - \tfrac12 \mathrm{OT}_\varepsilon(a, a) - \tfrac12 \mathrm{OT}_\varepsilon(b, b),
        \qquad
        \mathrm{OT}_\varepsilon(a, b) = \min_{P \in \Pi(a, b)}
            \langle P, C \rangle + \varepsilon\, \mathrm{KL}(P \,|\, a \otimes b),

    the Sinkhorn divergence of Genevay et al. [2]_, with the squared Euclidean
    ground cost between pixel centres (see :class:`Sinkhorn`).
    :math:`\mathrm{OT}_\varepsilon` is the full entropic
    objective, not only its transport term: with that choice Feydy et al. [1]_
    prove that :math:`S_\varepsilon` is non-negative, zero only for identical
    images, convex in each argument, and interpolates between the squared
    2-Wasserstein distance (:math:`\varepsilon \to 0`) and a kernel MMD
    (:math:`\varepsilon \to \infty`).  Debiasing the transport term alone (as
    ``ot.bregman.empirical_sinkhorn_divergence`` does) can give negative values.

    Units: squared distance (pixel^2).  Symmetric to the last bit; exactly zero
    on identical images.

    With ``reach`` (unbalanced transport, see :class:`Sinkhorn`),
    :math:`\mathrm{OT}_\varepsilon` is the full unbalanced objective (with the
    marginal penalties) and the divergence adds Séjourné et al.'s mass term
    :math:`\tfrac{\varepsilon}{2}(m(a) - m(b))^2` [3]_: non-negative, zero on
    identical images, the balanced divergence as ``reach -> inf``.

    ``pairwise`` computes each self term :math:`\mathrm{OT}_\varepsilon(a, a)` once
    per image.

    Parameters
    ----------
    image_shape : tuple of two int, default=None
        ``(height, width)``; square when ``None``.
    reg : float, default=1.0
        Entropic regularisation :math:`\varepsilon`, squared distance units.
    tol : float, default=1e-6
        Relative accuracy of each entropic objective (see :class:`Sinkhorn`).
    max_iter : int, default=1000
        Maximum number of Sinkhorn iterations at ``reg``; not converging raises a
        :class:`~sklearn.exceptions.ConvergenceWarning` (see :class:`Sinkhorn`).
    pixel_size : float or pair of float, default=1.0
        Physical size of a pixel, shared or ``(row_size, column_size)``.
    reach : float, default=None
        Unbalanced transport when set: the marginals are relaxed by
        :math:`\rho\,\mathrm{KL}` penalties with :math:`\rho` = ``reach**2`` (same
        units as ``reg``), so light need not be conserved; transport farther than
        about ``reach`` costs more than destroying and creating the light.  ``None``
        is balanced transport, the limit ``reach -> inf``.  See the Notes.
    normalize : bool, default=True
        Scale every image to unit mass first.  With ``False`` images keep their
        total intensity: ``reach`` then prices their difference in mass; without
        ``reach`` all masses must be equal (else a ``ValueError``) and the value
        is that of the unit-mass images times the mass.

    See Also
    --------
    Sinkhorn : the transport cost of the regularised plan.
    sinkhorn_divergence : the function form.

    References
    ----------
    .. [1] J. Feydy, T. Séjourné, F.-X. Vialard, S. Amari, A. Trouvé and
       G. Peyré, "Interpolating between Optimal Transport and MMD using Sinkhorn
       Divergences", AISTATS 2019.
    .. [2] A. Genevay, G. Peyré and M. Cuturi, "Learning Generative Models with
       Sinkhorn Divergences", AISTATS 2018.
    .. [3] T. Séjourné, J. Feydy, F.-X. Vialard, A. Trouvé and G. Peyré, "Sinkhorn
       Divergences for Unbalanced Optimal Transport", arXiv:1910.12958, 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import SinkhornDivergence
    >>> a = np.zeros((8, 8)); a[2, 2] = 1
    >>> b = np.zeros((8, 8)); b[5, 2] = 1
    >>> metric = SinkhornDivergence(reg=0.5)
    >>> print(round(metric(a.ravel(), b.ravel()), 4), metric(a.ravel(), a.ravel()))
    9.0 0.0
    """

    _reports_cost = False

    def _pairwise_validated(self, X, Y, image_shape):
        X, Y, mass = self._balanced_masses(X, Y) if self.reach is None else (X, Y, 1.0)
        symmetric = Y is None
        Y = X if symmetric else Y
        left, right = self._pair_indices(len(X), len(Y), symmetric)
        if symmetric:
            pairs = left != right  # the diagonal is zero by definition
            left, right = left[pairs], right[pairs]
        self_x = self._self_terms(X, image_shape)
        self_y = self_x if symmetric else self._self_terms(Y, image_shape)
        cross = self._solve_pairs(X, Y, left, right, image_shape)
        divergence = cross - (self_x[left] + self_y[right]) / 2
        if self.reach is not None:  # Séjourné et al.'s mass term: >= 0 for unequal masses
            divergence += self.reg / 2 * (X[left].sum(axis=1) - Y[right].sum(axis=1)) ** 2
        # Zero by definition; the self terms come from another (symmetric) iteration.
        divergence[_identical_pairs(X, Y, left, right)] = 0.0
        out = self._fill(divergence, left, right, (len(X), len(Y)), symmetric)
        if symmetric:
            np.fill_diagonal(out, 0.0)
        return mass * out

    def _self_terms(self, X, image_shape):
        """``OT_reg(x, x)`` of every image (symmetric Sinkhorn, :func:`_solve_self`)."""
        grids, reg_px, scale2 = self._geometry(image_shape)
        rho_px = self._marginal_penalty(scale2)
        pyramid = _mass_pyramid(X, image_shape, len(grids))
        objective, error = np.empty(len(X)), np.empty(len(X))
        converged = np.empty(len(X), dtype=bool)
        chunk = int(np.clip(working_memory_bytes() // (8 * _ARRAYS_PER_PAIR * X.shape[1]),
                            1, max(1, len(X))))
        for batch in gen_batches(len(X), chunk):
            levels = [level[batch] for level in pyramid]
            if rho_px is None:
                _, objective[batch], error[batch], converged[batch] = _solve_self(
                    levels, grids, reg_px, float(self.tol), int(self.max_iter))
            else:
                _, objective[batch], error[batch], converged[batch], _ = _solve_unbalanced(
                    levels, levels, grids, reg_px, float(self.tol), int(self.max_iter), rho_px)
        self._check_convergence(error, converged)
        return scale2 * objective


@function_form_of(Sinkhorn)
def sinkhorn(x, y, *, image_shape=None, reg=1.0, tol=1e-6, max_iter=1000, pixel_size=1.0,
             reach=None, normalize=True):
    r"""Entropic optimal transport cost between two flattened images.

    The function form of :class:`Sinkhorn`, for
    ``sklearn.metrics.pairwise_distances(X, metric=sinkhorn)``: the transport
    cost :math:`\langle P^\star, C \rangle` of the entropy-regularised plan, with
    the squared Euclidean ground cost between pixel centres, as
    ``ot.sinkhorn2(a, b, C, reg)`` reports.

    .. math::

        P^\star = \operatorname*{arg\,min}_{P \in \Pi(a, b)}
            \langle P, C \rangle + \varepsilon\, \mathrm{KL}(P \,|\, a \otimes b)

    Parameters
    ----------
    x, y : array-like of shape (n_pixels,)
        Two non-negative images flattened in C order (scaled to unit mass).
    image_shape : tuple of two int, default=None
        ``(height, width)``; square when ``None``.
    reg : float, default=1.0
        Entropic regularisation :math:`\varepsilon`, in squared distance units.
    tol : float, default=1e-6
        Relative accuracy of the value (see :class:`Sinkhorn`).
    max_iter : int, default=1000
        Maximum number of Sinkhorn iterations at ``reg``.
    pixel_size : float or pair of float, default=1.0
        Physical pixel size; the cost is in these units squared.
    reach : float, default=None
        Unbalanced transport with marginal penalty ``reach**2`` (see :class:`Sinkhorn`).
    normalize : bool, default=True
        Scale both images to unit mass first (see :class:`Sinkhorn`).

    Returns
    -------
    cost : float
        In squared distance units (pixel^2 by default).

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import sinkhorn
    >>> a = np.zeros((8, 8)); a[2, 2] = 1
    >>> b = np.zeros((8, 8)); b[2, 6] = 1            # four pixels right
    >>> print(round(sinkhorn(a.ravel(), b.ravel(), reg=0.5), 4))
    16.0
    """
    return Sinkhorn(image_shape=image_shape, reg=reg, tol=tol, max_iter=max_iter,
                    pixel_size=pixel_size, reach=reach, normalize=normalize)(x, y)


@function_form_of(SinkhornDivergence)
def sinkhorn_divergence(x, y, *, image_shape=None, reg=1.0, tol=1e-6, max_iter=1000,
                        pixel_size=1.0, reach=None, normalize=True):
    r"""Sinkhorn divergence between two flattened images (zero for identical images).

    The function form of :class:`SinkhornDivergence`:

    .. math::

        S_\varepsilon(a, b) = \mathrm{OT}_\varepsilon(a, b)
            - \tfrac12 \mathrm{OT}_\varepsilon(a, a) - \tfrac12 \mathrm{OT}_\varepsilon(b, b)

    with the full entropic objective :math:`\mathrm{OT}_\varepsilon` and the
    squared Euclidean ground cost between pixel centres.

    Parameters
    ----------
    x, y : array-like of shape (n_pixels,)
        Two non-negative images flattened in C order (scaled to unit mass).
    image_shape : tuple of two int, default=None
        ``(height, width)``; square when ``None``.
    reg : float, default=1.0
        Entropic regularisation :math:`\varepsilon`, in squared distance units.
    tol : float, default=1e-6
        Relative accuracy of each entropic objective (see :class:`Sinkhorn`).
    max_iter : int, default=1000
        Maximum number of Sinkhorn iterations at ``reg``.
    pixel_size : float or pair of float, default=1.0
        Physical pixel size; the divergence is in these units squared.
    reach : float, default=None
        Unbalanced transport with marginal penalty ``reach**2`` (see :class:`SinkhornDivergence`).
    normalize : bool, default=True
        Scale both images to unit mass first (see :class:`SinkhornDivergence`).

    Returns
    -------
    divergence : float
        Non-negative, in squared distance units (pixel^2 by default).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.metrics import pairwise_distances
    >>> from skimgdist import sinkhorn_divergence
    >>> a = np.zeros((8, 8)); a[2, 2] = 1
    >>> b = np.zeros((8, 8)); b[2, 6] = 1
    >>> X = np.stack([a.ravel(), b.ravel()])
    >>> pairwise_distances(X, metric=sinkhorn_divergence, reg=0.5).round(4)
    array([[ 0., 16.],
           [16.,  0.]])
    """
    return SinkhornDivergence(image_shape=image_shape, reg=reg, tol=tol, max_iter=max_iter,
                              pixel_size=pixel_size, reach=reach,
                              normalize=normalize)(x, y)
