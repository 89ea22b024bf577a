"""Compiled merge kernels of the sliced Wasserstein distances (optional, need numba).

``merge_costs`` (batched, on per-image CDFs) and ``pair_cost`` (one pair, straight
from the two images) are ``None`` when numba is not installed; :mod:`._sliced`
then uses its NumPy merge (the same numbers to about 1e-14).  Install the ``fast`` extra
(``pip install skimgdist[fast]``) to get the compiled kernels.

The merge of two CDFs is a chain of dependent loads (the next index depends on
the last comparison), so one merge leaves the processor mostly waiting.  The
kernel therefore runs four merges in lock step: one row of ``FX`` against four
rows of ``FY`` (the faster layout, measured), or, for the remaining columns,
four directions of one pair.  A merge of a direction with ``m`` support points
takes at most ``2m - 1`` steps; indices are clamped to the last point, where
both CDFs equal 1, so extra steps add intervals of length zero and the loop
needs no exit test.  The kernel runs in parallel over rows for large blocks and
serially for small ones, where starting the thread pool would cost more than the
work.
"""

from __future__ import annotations

try:
    import numba
except ImportError:  # the optional "fast" extra is not installed
    numba = None

__all__ = ["merge_costs", "pair_cost"]

# Below this many merge steps a call runs serially.
_PARALLEL_THRESHOLD = 2_000_000


def _step(a, b, positions, ia, ib, last, previous, cost, p):
    """One merged interval ``(previous, u]``: add ``|Q_a - Q_b|^p (u - previous)``."""
    fa, fb = a[min(ia, last)], b[min(ib, last)]
    u = min(fa, fb)
    gap = abs(positions[min(ia, last)] - positions[min(ib, last)])
    if p == 1.0:
        power = gap
    elif p == 2.0:
        power = gap * gap
    else:
        power = gap**p
    return ia + (fa <= fb), ib + (fb <= fa), u, cost + power * (u - previous)


def _combine(result, cost, take_max):
    return max(result, cost) if take_max else result + cost


def _four_columns(a, b0, b1, b2, b3, positions, offsets, p, take_max):
    """Merge one row against four rows in lock step, direction by direction."""
    r0 = r1 = r2 = r3 = 0.0
    for d in range(offsets.shape[0] - 1):
        start, last = offsets[d], offsets[d + 1] - 1
        i0 = i1 = i2 = i3 = j0 = j1 = j2 = j3 = start
        u0 = u1 = u2 = u3 = c0 = c1 = c2 = c3 = 0.0
        for _ in range(2 * (last - start) + 1):
            i0, j0, u0, c0 = _step(a, b0, positions, i0, j0, last, u0, c0, p)
            i1, j1, u1, c1 = _step(a, b1, positions, i1, j1, last, u1, c1, p)
            i2, j2, u2, c2 = _step(a, b2, positions, i2, j2, last, u2, c2, p)
            i3, j3, u3, c3 = _step(a, b3, positions, i3, j3, last, u3, c3, p)
        r0, r1 = _combine(r0, c0, take_max), _combine(r1, c1, take_max)
        r2, r3 = _combine(r2, c2, take_max), _combine(r3, c3, take_max)
    return r0, r1, r2, r3


def _four_directions(a, b, positions, offsets, p, take_max):
    """Merge one pair, four directions in lock step (a missing fourth is not counted)."""
    n_directions = offsets.shape[0] - 1
    final = n_directions - 1
    result = 0.0
    for d in range(0, n_directions, 4):
        d1, d2, d3 = min(d + 1, final), min(d + 2, final), min(d + 3, final)
        last0, last1 = offsets[d + 1] - 1, offsets[d1 + 1] - 1
        last2, last3 = offsets[d2 + 1] - 1, offsets[d3 + 1] - 1
        i0 = j0 = offsets[d]
        i1 = j1 = offsets[d1]
        i2 = j2 = offsets[d2]
        i3 = j3 = offsets[d3]
        steps = 2 * max(last0 - i0, last1 - i1, last2 - i2, last3 - i3) + 1
        u0 = u1 = u2 = u3 = c0 = c1 = c2 = c3 = 0.0
        for _ in range(steps):
            i0, j0, u0, c0 = _step(a, b, positions, i0, j0, last0, u0, c0, p)
            i1, j1, u1, c1 = _step(a, b, positions, i1, j1, last1, u1, c1, p)
            i2, j2, u2, c2 = _step(a, b, positions, i2, j2, last2, u2, c2, p)
            i3, j3, u3, c3 = _step(a, b, positions, i3, j3, last3, u3, c3, p)
        result = _combine(result, c0, take_max)
        if d + 1 < n_directions:
            result = _combine(result, c1, take_max)
        if d + 2 < n_directions:
            result = _combine(result, c2, take_max)
        if d + 3 < n_directions:
            result = _combine(result, c3, take_max)
    return result


def _merge_costs(FX, FY, positions, offsets, p, take_max, symmetric, out):
    """``out[i, j]`` = sum (or max) over directions of ``W_p^p`` between CDF rows.

    ``FX[i, offsets[d]:offsets[d + 1]]`` is the CDF of image ``i`` at the sorted
    distinct positions ``positions[offsets[d]:offsets[d + 1]]`` of direction ``d``;
    every CDF ends at exactly 1.  On each merged interval the quantile of either
    image is the position after the breakpoints it has passed.  With
    ``symmetric`` only ``j >= i`` is filled.
    """
    n_x, n_y = FX.shape[0], FY.shape[0]
    for i in numba.prange(n_x):
        a = FX[i]
        first = i if symmetric else 0
        n_groups = (n_y - first) // 4
        for group in range(n_groups):
            j = first + 4 * group
            out[i, j], out[i, j + 1], out[i, j + 2], out[i, j + 3] = _four_columns(
                a, FY[j], FY[j + 1], FY[j + 2], FY[j + 3], positions, offsets, p, take_max)
        for j in range(first + 4 * n_groups, n_y):
            out[i, j] = _four_directions(a, FY[j], positions, offsets, p, take_max)


def _pixel_step(wa, wb, order, coordinates, t0, t1, ia, ib, sa, sb, last, previous, cost, p):
    """:func:`_step` reading the images directly: ``sa``/``sb`` are running CDF sums."""
    fa = 1.0 if ia >= last else min(sa, 1.0)
    fb = 1.0 if ib >= last else min(sb, 1.0)
    u = min(fa, fb)
    ka, kb = order[min(ia, last)], order[min(ib, last)]
    gap = abs((t0 * coordinates[ka, 0] + t1 * coordinates[ka, 1])
              - (t0 * coordinates[kb, 0] + t1 * coordinates[kb, 1]))
    if p == 1.0:
        power = gap
    elif p == 2.0:
        power = gap * gap
    else:
        power = gap**p
    advance_a, advance_b = fa <= fb, fb <= fa
    ia, ib = ia + advance_a, ib + advance_b
    sa += advance_a * wa[order[min(ia, last)]]
    sb += advance_b * wb[order[min(ib, last)]]
    return ia, ib, sa, sb, u, cost + power * (u - previous)


def _pair_cost(wa, wb, order, coordinates, directions, p, take_max):
    """Sum (or max) over directions of ``W_p^p`` between two unit-mass images.

    The per-pair route: no CDF arrays, the merge walks both images along the
    cached pixel order ``order[d]`` with running sums (the same additions as a
    cumulative sum), four directions in lock step.  Exactly tied positions need no
    merging here: they only add intervals whose two quantiles coincide or whose
    length is zero.
    """
    n_directions, n_pixels = order.shape
    final, last = n_directions - 1, n_pixels - 1
    result = 0.0
    for d in range(0, n_directions, 4):
        d1, d2, d3 = min(d + 1, final), min(d + 2, final), min(d + 3, final)
        o0, o1, o2, o3 = order[d], order[d1], order[d2], order[d3]
        i0 = j0 = i1 = j1 = i2 = j2 = i3 = j3 = 0
        s0, r0, s1, r1 = wa[o0[0]], wb[o0[0]], wa[o1[0]], wb[o1[0]]
        s2, r2, s3, r3 = wa[o2[0]], wb[o2[0]], wa[o3[0]], wb[o3[0]]
        u0 = u1 = u2 = u3 = c0 = c1 = c2 = c3 = 0.0
        for _ in range(2 * last + 1):
            i0, j0, s0, r0, u0, c0 = _pixel_step(wa, wb, o0, coordinates, directions[d, 0],
                                                 directions[d, 1], i0, j0, s0, r0, last, u0,
                                                 c0, p)
            i1, j1, s1, r1, u1, c1 = _pixel_step(wa, wb, o1, coordinates, directions[d1, 0],
                                                 directions[d1, 1], i1, j1, s1, r1, last, u1,
                                                 c1, p)
            i2, j2, s2, r2, u2, c2 = _pixel_step(wa, wb, o2, coordinates, directions[d2, 0],
                                                 directions[d2, 1], i2, j2, s2, r2, last, u2,
                                                 c2, p)
            i3, j3, s3, r3, u3, c3 = _pixel_step(wa, wb, o3, coordinates, directions[d3, 0],
                                                 directions[d3, 1], i3, j3, s3, r3, last, u3,
                                                 c3, p)
        result = _combine(result, c0, take_max)
        if d + 1 < n_directions:
            result = _combine(result, c1, take_max)
        if d + 2 < n_directions:
            result = _combine(result, c2, take_max)
        if d + 3 < n_directions:
            result = _combine(result, c3, take_max)
    return result


def _dispatch(parallel_kernel, serial_kernel, python_function):
    def kernel(FX, FY, *args):
        steps = 2 * FX.shape[0] * FY.shape[0] * FX.shape[1]
        chosen = parallel_kernel if steps > _PARALLEL_THRESHOLD else serial_kernel
        chosen(FX, FY, *args)

    kernel.__doc__ = python_function.__doc__
    return kernel


if numba is None:
    merge_costs = pair_cost = None
else:
    _step = numba.njit(inline="always", cache=True)(_step)
    _combine = numba.njit(inline="always", cache=True)(_combine)
    _four_columns = numba.njit(cache=True)(_four_columns)
    _four_directions = numba.njit(cache=True)(_four_directions)
    _pixel_step = numba.njit(inline="always", cache=True)(_pixel_step)
    pair_cost = numba.njit(cache=True, nogil=True)(_pair_cost)
    merge_costs = _dispatch(
        numba.njit(parallel=True, cache=True, nogil=True)(_merge_costs),
        numba.njit(cache=True, nogil=True)(_merge_costs),
        _merge_costs,
    )
