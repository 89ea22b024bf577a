"""Log-domain Gaussian convolution along one axis: the separable kernel of Sinkhorn on grids.

For a batch of rows ``X`` sampled at sorted 1-D ``source`` positions, compute at
sorted ``target`` positions

.. math::

    Y_{rk} = \\log \\sum_i \\exp\\left(X_{ri} - (t_k - s_i)^2 / \\varepsilon\\right),

and, with ``weighted=True``, also the same sum with every term multiplied by
the squared distance :math:`(t_k - s_i)^2` (used for the transport cost of a
plan).  ``-inf`` entries of ``X`` stand for zero mass.

Two engines give the same numbers (up to rounding):

- the dense NumPy route materialises ``X[r, i] - (t_k - s_i)^2 / eps`` in chunks
  of bounded size and reduces them: ``O(n_in * n_out)`` exponentials per row;
- the numba route (optional extra ``fast``) first computes the exact maximum of
  each output as the upper envelope of the parabolas ``X_i - (t - s_i)^2 / eps``
  (Felzenszwalb and Huttenlocher's distance transform [1]_, linear time), then
  adds only the terms within ``cut`` of that maximum.  For a fixed input ``i``
  the gap to the maximum is a convex function of ``t`` (the envelope plus
  ``t^2 / eps`` is a maximum of affine functions, the term of ``i`` one of
  them), so those terms form one interval of outputs around where ``i`` is on
  the envelope, found by walking outwards.  A dropped term is below
  ``exp(-cut)`` times the largest one, far below double precision.

References
----------
.. [1] P. F. Felzenszwalb and D. P. Huttenlocher, "Distance Transforms of
   Sampled Functions", Theory of Computing 8, 2012.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import gen_batches

from .._config import compiled_kernel, kernel_threads, run_in_threads, working_memory_bytes

try:
    import numba
except ImportError:  # the optional extra "fast" is not installed
    numba = None

# Terms more than CUT below the largest one are dropped by the numba engine:
# exp(-40) ~ 4e-18 per term, below the rounding of the sum.
_CUT = 40.0
# Largest exponent of a factor of the multiplicative walk (no overflow: e^600 < e^709).
_STEP_LIMIT = 300.0
# MiB of the temporary block in the dense engine (kept cache sized).
_DENSE_BLOCK_MIB = 2
# Input values per thread of the numba engine (about a millisecond of work; less is
# not worth a thread).
_VALUES_PER_THREAD = 20_000


def log_convolve(X, source, target, eps, *, weighted=False):
    """Gaussian log-convolution of each row of ``X`` (see the module docstring).

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_in)
        Log-masses (``-inf`` for zero mass), C-contiguous float64.
    source : ndarray of shape (n_in,)
        Strictly increasing positions of the inputs.
    target : ndarray of shape (n_out,)
        Increasing positions of the outputs.
    eps : float
        Temperature, in squared position units.
    weighted : bool, default=False
        Also return the log of the sums weighted by the squared distance.

    Returns
    -------
    Y : ndarray of shape (n_rows, n_out)
    Yw : ndarray of shape (n_rows, n_out)
        Only with ``weighted=True``.
    """
    if not 0.0 < eps < np.inf:  # the compiled kernel would divide by it
        raise ValueError(f"The temperature eps must be positive and finite, got {eps!r}.")
    X = np.ascontiguousarray(X, dtype=np.float64)
    if compiled_kernel(numba) is not None:
        Y, Yw = _numba_engine()(X, source, target, float(eps), bool(weighted))
    else:
        Y, Yw = _dense_log_convolve(X, source, target, eps, weighted)
    return (Y, Yw) if weighted else Y


def _dense_log_convolve(X, source, target, eps, weighted):
    squared = (target[:, None] - source[None, :]) ** 2
    log_kernel = -squared / eps
    Y = _dense_logsumexp(X, log_kernel)
    if not weighted:
        return Y, None
    with np.errstate(divide="ignore"):
        return Y, _dense_logsumexp(X, log_kernel + np.log(squared))


def _dense_logsumexp(X, log_kernel):
    """``out[r, k] = log sum_i exp(X[r, i] + log_kernel[k, i])`` in bounded blocks."""
    n_rows = X.shape[0]
    out = np.empty((n_rows, log_kernel.shape[0]))
    rows_per_block = max(1, working_memory_bytes(cap_mib=_DENSE_BLOCK_MIB) // (8 * log_kernel.size))
    for batch in gen_batches(n_rows, rows_per_block):
        block = X[batch, None, :] + log_kernel[None, :, :]
        peak = block.max(axis=-1)
        peak[~np.isfinite(peak)] = 0.0  # all terms are -inf: the result is -inf
        block -= peak[:, :, None]
        np.exp(block, out=block)
        with np.errstate(divide="ignore"):
            out[batch] = np.log(block.sum(axis=-1)) + peak
    return out


_compiled = None


def _numba_engine():
    """Compile the numba kernel on first use (cached on disk by numba)."""
    global _compiled
    if _compiled is None:
        kernel = numba.njit(cache=True, nogil=True)(_envelope_log_convolve)

        def run(X, source, target, eps, weighted):
            n_rows, n_out = X.shape[0], target.shape[0]
            Y = np.empty((n_rows, n_out))
            Yw = np.empty((n_rows, n_out) if weighted else (0, 0))
            cut = _CUT
            if weighted:  # weights reach the squared span; keep the same relative margin
                cut += np.log1p((max(target[-1], source[-1]) - min(target[0], source[0])) ** 2)
            source = np.ascontiguousarray(source, dtype=np.float64)
            target = np.ascontiguousarray(target, dtype=np.float64)
            steps = _step_factors(source, target, eps)
            n_threads = kernel_threads(X.size, _VALUES_PER_THREAD)
            bounds = np.linspace(0, n_rows, n_threads + 1).astype(np.intp)

            def rows(k):  # rows are independent: each thread takes a contiguous block
                block = slice(bounds[k], bounds[k + 1])
                kernel(X[block], source, target, eps, cut, weighted, steps, Y[block],
                       Yw[block] if weighted else Yw)

            run_in_threads(rows, n_threads)
            return Y, (Yw if weighted else None)

        _compiled = run
    return _compiled


def _step_factors(source, target, eps):
    """Gaussian factors of one step along a regular grid, for the multiplicative walk.

    When ``source`` and ``target`` are the same grid of spacing ``d``, moving
    output ``k`` one step to the right of input ``i`` multiplies the Gaussian by
    ``exp(-d^2 (2 e + 1) / eps)`` with ``e = k - i``; entry ``e + n`` holds it,
    or ``-1`` where its exponent exceeds ``_STEP_LIMIT`` (then ``exp`` is called).
    Empty for other grids.
    """
    n = len(source)
    if n < 2 or not np.array_equal(source, target):
        return np.empty(0)
    spacing = np.diff(source)
    if not (spacing == spacing[0]).all():
        return np.empty(0)
    exponent = spacing[0] ** 2 * (2 * np.arange(-n, n + 1) + 1) / eps
    return np.where(np.abs(exponent) <= _STEP_LIMIT,
                    np.exp(-np.clip(exponent, -_STEP_LIMIT, _STEP_LIMIT)), -1.0)


def _envelope_log_convolve(X, source, target, eps, cut, weighted, steps, Y, Yw):
    n_rows, n_in = X.shape
    n_out = target.shape[0]
    inv_eps = 1.0 / eps
    floor = np.exp(-cut)
    up = np.empty(n_out)
    down = np.empty(n_out)
    hull = np.empty(n_in, dtype=np.int64)
    bounds = np.empty(n_in)
    lifted = np.empty(n_in)
    best = np.empty(n_out, dtype=np.int64)
    peak = np.empty(n_out)
    total = np.empty(n_out)
    total_weighted = np.empty(n_out)
    for r in range(n_rows):
        x = X[r]
        # Upper envelope of x_i - (t - s_i)^2 / eps == lower envelope of the
        # parabolas lifted_i + t^2 - 2 t s_i, lifted_i = -eps x_i + s_i^2.
        n_hull = 0
        for i in range(n_in):
            if x[i] == -np.inf:
                continue
            lifted[i] = -eps * x[i] + source[i] * source[i]
            if n_hull == 0:
                hull[0] = i
                bounds[0] = -np.inf
                n_hull = 1
                continue
            while True:
                j = hull[n_hull - 1]
                meet = (lifted[i] - lifted[j]) / (2.0 * (source[i] - source[j]))
                if meet <= bounds[n_hull - 1]:
                    n_hull -= 1
                else:
                    break
            hull[n_hull] = i
            bounds[n_hull] = meet
            n_hull += 1
        if n_hull == 0:
            Y[r, :] = -np.inf
            if weighted:
                Yw[r, :] = -np.inf
            continue
        h = 0
        for k in range(n_out):
            while h + 1 < n_hull and bounds[h + 1] < target[k]:
                h += 1
            i = hull[h]
            best[k] = i
            d = target[k] - source[i]
            peak[k] = x[i] - d * d * inv_eps
            total[k] = 0.0
            total_weighted[k] = 0.0
        # On a regular grid, a term is the previous one times exp(peak_k - peak_k+-1)
        # and a tabulated Gaussian factor: two products instead of one exp per term,
        # unless a factor could overflow (then every term of the row calls exp).
        walk = steps.shape[0] > 0
        for k in range(n_out - 1):
            jump = peak[k] - peak[k + 1]
            if abs(jump) > _STEP_LIMIT:
                walk = False
            up[k] = np.exp(jump)
            down[k + 1] = np.exp(-jump)  # not 1 / up[k]: up[k] underflows to 0 for steep rows
        start = 0
        for i in range(n_in):
            xi = x[i]
            if xi == -np.inf:
                continue
            while start < n_out and best[start] < i:
                start += 1
            si = source[i]
            first = 0.0  # the term at `start`, where both walks begin
            term = 0.0
            k = start
            while k < n_out:
                d = target[k] - si
                squared = d * d
                factor = steps[k - 1 - i + n_in] if walk and k > start else -1.0
                if factor >= 0.0:
                    term *= up[k - 1] * factor
                    if term <= floor:
                        break
                else:
                    gap = peak[k] - xi + squared * inv_eps
                    if gap >= cut:
                        break
                    term = np.exp(-gap)
                    if k == start:
                        first = term
                total[k] += term
                if weighted:
                    total_weighted[k] += term * squared
                k += 1
            term = first
            k = start - 1
            while k >= 0:
                d = target[k] - si
                squared = d * d
                factor = (steps[i - k - 1 + n_in] if walk and (k < start - 1 or first > 0.0)
                          else -1.0)
                if factor >= 0.0:
                    term *= down[k + 1] * factor
                    if term <= floor:
                        break
                else:
                    gap = peak[k] - xi + squared * inv_eps
                    if gap >= cut:
                        break
                    term = np.exp(-gap)
                total[k] += term
                if weighted:
                    total_weighted[k] += term * squared
                k -= 1
        # Terms of input i within `cut` of the maxima form one interval of outputs
        # around where the envelope's maximiser passes i: walk right, then left.
        for k in range(n_out):
            Y[r, k] = peak[k] + np.log(total[k])
            if weighted:
                if total_weighted[k] > 0.0:
                    Yw[r, k] = peak[k] + np.log(total_weighted[k])
                else:
                    Yw[r, k] = -np.inf
