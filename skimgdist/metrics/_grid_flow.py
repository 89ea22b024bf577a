"""W1 as a min-cost flow on the pixel grid graph, with O(n) arcs instead of n^2 couplings.

For p = 1 and a ground distance that is the shortest-path length of a graph on the
pixels, the optimal transport cost equals the cost of the cheapest flow along the
graph's arcs that turns one image into the other (Beckmann's formulation):

.. math::

    W_1(a, b) = \\min_{f \\ge 0} \\sum_{e} c_e f_e
    \\quad \\text{s.t.} \\quad \\sum_{e \\in \\mathrm{out}(i)} f_e -
    \\sum_{e \\in \\mathrm{in}(i)} f_e = a_i - b_i \\text{ for every pixel } i.

The 4-neighbour grid with unit arcs has the cityblock distance as its path length
and the 8-neighbour grid the chebyshev distance, so both give the exact W1.  For the
euclidean distance the arcs follow the primitive lattice directions ``(a, b)`` with
``max(|a|, |b|) <= L`` and ``gcd(a, b) = 1``, costed ``sqrt(a^2 + b^2)``: a path then
zig-zags between the two directions that bracket the displacement, so the flow cost
is an upper bound on W1, tight to the factor :func:`euclidean_grid_bound` (Bassetti,
Gualandi and Veneroni, 2020).  :func:`exact_euclidean_flow` closes the gap by column
generation: straight arcs are added where the dual potentials show a cheaper direct
move, until none does.  The network simplex starts from coarse solutions
(:mod:`._multiscale`).

Arcs depend only on the image shape and are cached per shape; the flow itself is
solved by the compiled network simplex of :mod:`._network_simplex` when numba is
installed, and by SciPy's HiGHS otherwise.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from scipy.ndimage import binary_dilation
from scipy.optimize import linprog

from .._config import compiled_kernel, geometry_cache, kernel_threads, run_in_threads
from ._multiscale import (
    COARSEST_PIXELS,
    arcs_along_coarse_tree,
    pool,
    pooled_shape,
    prolonged_moves,
    prolonged_tree,
    prolonged_tree_through,
)

MAX_NEIGHBORHOOD = 16
_REDUCED_COST_TOLERANCE = 1e-11
_BLOCK_FACTOR = 1.0
# From a near-optimal tree few arcs price out and the local ones are the right ones:
# blocks of ~10 arcs (first-eligible-like) halve the work against sqrt(n_arcs) blocks.
_WARM_BLOCK_FACTOR = 0.02
# Exact euclidean column generation: each round adds every pixel's 3 most violated
# outgoing and incoming moves (1 needs about 3x the rounds; 4 cost 10% more time at
# 299x299 smooth, 2 more rounds), and between the rounds
# that price every pixel, prices only the pixels within 2 of last round's violations
# (where nearly all new ones appear, measured on smooth and noise images).
_COLUMNS_PER_PIXEL = 3
_NEAR_VIOLATIONS = 2
# Pricing splits its tails over the cores in chunks of at least this many pixels (a
# pixel's search takes about 20 microseconds at 299x299).
_TAILS_PER_THREAD = 4096


def lattice_directions(neighborhood):
    """Primitive lattice directions ``(a, b)`` with ``max(|a|, |b|) <= neighborhood``.

    Parameters
    ----------
    neighborhood : int
        The largest step ``L`` along either axis, in pixels.

    Returns
    -------
    directions : ndarray of shape (n_directions, 2), int64
        Every ``(a, b) != (0, 0)`` with ``gcd(a, b) == 1`` (both signs), ordered by angle.

    Examples
    --------
    >>> from skimgdist.metrics._grid_flow import lattice_directions
    >>> len(lattice_directions(1)), len(lattice_directions(2)), len(lattice_directions(3))
    (8, 16, 32)
    """
    steps = range(-neighborhood, neighborhood + 1)
    directions = [(a, b) for a in steps for b in steps if math.gcd(a, b) == 1]
    directions.sort(key=lambda d: math.atan2(d[1], d[0]))
    return np.array(directions, dtype=np.int64)


def euclidean_grid_bound(neighborhood):
    """Guaranteed relative over-estimate of the euclidean grid flow with ``neighborhood=L``.

    A displacement lying between two neighbouring lattice directions at angle
    :math:`\\theta` is travelled along those two directions at a cost of at most
    :math:`1 / \\cos(\\theta / 2)` times its length, with equality on the bisector, so

    .. math::

        W_1 \\le W_1^{\\mathrm{grid}, L} \\le (1 + \\varepsilon_L)\\, W_1,
        \\qquad \\varepsilon_L = \\frac{1}{\\cos(\\theta_{\\max}(L) / 2)} - 1,

    where :math:`\\theta_{\\max}(L)` is the widest angle between neighbouring
    directions (it lies next to the axes, between ``(1, 0)`` and ``(L, 1)``).

    Parameters
    ----------
    neighborhood : int
        The largest step ``L`` along either axis.

    Returns
    -------
    bound : float
        :math:`\\varepsilon_L`: 0.0824 for L=1, 0.0275 for L=2, 0.0131 for L=3.

    Examples
    --------
    >>> from skimgdist.metrics._grid_flow import euclidean_grid_bound
    >>> [round(euclidean_grid_bound(L), 4) for L in (1, 2, 3, 5, 10)]
    [0.0824, 0.0275, 0.0131, 0.0049, 0.0012]
    """
    angles = np.arctan2(*lattice_directions(neighborhood).T[::-1])
    gaps = np.diff(np.append(angles, angles[0] + 2 * np.pi))
    return float(1.0 / math.cos(gaps.max() / 2) - 1.0)


def neighborhood_for_tolerance(tolerance):
    """Smallest ``neighborhood`` whose guaranteed bound is at most ``tolerance``.

    Raises
    ------
    ValueError
        If even ``neighborhood=MAX_NEIGHBORHOOD`` does not reach the tolerance.

    Examples
    --------
    >>> from skimgdist.metrics._grid_flow import neighborhood_for_tolerance
    >>> neighborhood_for_tolerance(0.02)
    3
    """
    for neighborhood in range(1, MAX_NEIGHBORHOOD + 1):
        if euclidean_grid_bound(neighborhood) <= tolerance:
            return neighborhood
    raise ValueError(
        f"tolerance={tolerance:g} is below the {euclidean_grid_bound(MAX_NEIGHBORHOOD):.2e} "
        f"reachable with the largest neighborhood ({MAX_NEIGHBORHOOD}). Use "
        f"method='dense' for the exact euclidean distance, or a larger tolerance."
    )


def _directions_and_costs(ground_metric, neighborhood):
    if ground_metric == "cityblock":
        directions = np.array([(1, 0), (0, 1), (-1, 0), (0, -1)], dtype=np.int64)
        return directions, np.ones(4)
    if ground_metric == "chebyshev":
        directions = lattice_directions(1)
        return directions, np.ones(len(directions))
    directions = lattice_directions(neighborhood)
    return directions, np.hypot(directions[:, 0], directions[:, 1])


@geometry_cache
def grid_arcs(image_shape, ground_metric, neighborhood=1):
    """Arcs of the grid graph for a ground metric, in pixel units (cached, read-only).

    Parameters
    ----------
    image_shape : tuple of two int
        ``(height, width)``.
    ground_metric : {"cityblock", "chebyshev", "euclidean"}
        Which graph: 4-neighbour, 8-neighbour, or lattice directions up to ``neighborhood``.
    neighborhood : int, default=1
        Only used for ``"euclidean"``.

    Returns
    -------
    tails, heads : ndarray of shape (n_arcs,), int64
        Flattened (C order) pixel indices of the arc ends, grouped by direction.
    costs : ndarray of shape (n_arcs,), float64
        Arc lengths in pixels.

    Examples
    --------
    >>> from skimgdist.metrics._grid_flow import grid_arcs
    >>> tails, heads, costs = grid_arcs((2, 3), "cityblock")
    >>> len(tails)  # 2 * (2 * 2 + 3 * 1) arcs, both ways along each grid edge
    14
    """
    height, width = image_shape
    index = np.arange(height * width, dtype=np.int64).reshape(height, width)
    directions, lengths = _directions_and_costs(ground_metric, neighborhood)
    tails, heads, costs = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0)]
    for (a, b), length in zip(directions, lengths, strict=True):
        if abs(a) >= height or abs(b) >= width:
            continue  # a step longer than the image: no arc (and no negative slice bound)
        rows = slice(max(0, -a), min(height, height - a))
        columns = slice(max(0, -b), min(width, width - b))
        tail = index[rows, columns].ravel()
        tails.append(tail)
        heads.append(index[rows.start + a:rows.stop + a, columns.start + b:columns.stop + b]
                     .ravel())
        costs.append(np.full(tail.size, length))
    # Grouped by direction: pricing then reads the potentials in raster order.
    arcs = tuple(np.concatenate(x) for x in (tails, heads, costs))
    for array in arcs:
        array.setflags(write=False)
    return arcs


@geometry_cache
def _arc_lookup(image_shape, ground_metric, neighborhood):
    """Sorted ``tail * n_pixels + head`` keys of the grid arcs, to find an arc by its ends."""
    tails, heads, _ = grid_arcs(image_shape, ground_metric, neighborhood)
    keys = tails * (image_shape[0] * image_shape[1]) + heads
    by_key = np.argsort(keys)
    return keys[by_key], by_key


def _tree_arcs(image_shape, ground_metric, neighborhood, order, parent):
    """A spanning tree as the network simplex takes it: ``(order, parent, up, down)``.

    ``up[u]`` is the grid arc from ``u`` to its parent and ``down[u]`` the arc back; the
    tree's root, ``order[0]``, has neither (-1).
    """
    keys, by_key = _arc_lookup(image_shape, ground_metric, neighborhood)
    n_pixels = image_shape[0] * image_shape[1]
    children = np.arange(n_pixels)
    is_root = children == order[0]

    def arc_ids(frm, to):
        found = np.minimum(np.searchsorted(keys, frm * n_pixels + to), len(keys) - 1)
        return np.where(is_root, -1, by_key[found])

    return order, parent, arc_ids(children, parent), arc_ids(parent, children)


@geometry_cache
def _comb_tree(image_shape, ground_metric, neighborhood):
    """A spanning tree of grid arcs to start the network simplex from (cached per shape).

    Each row is a path to the middle column, which is a path to the centre pixel, so
    the starting flow moves every row's imbalance along the row, then between rows.
    Returns the pixels parents-first, each pixel's parent, and the arcs to and from it.
    """
    height, width = image_shape
    rows, columns = np.indices(image_shape).reshape(2, -1)
    mid_row, mid_column = height // 2, width // 2
    parent_row = np.where(columns == mid_column, rows - np.sign(rows - mid_row), rows)
    parent_column = columns - np.sign(columns - mid_column)
    parent = parent_row * width + parent_column
    depth = np.abs(rows - mid_row) + np.abs(columns - mid_column)
    order = np.argsort(depth, kind="stable")
    tree = _tree_arcs(image_shape, ground_metric, neighborhood, order, parent)
    for array in tree:
        array.setflags(write=False)
    return tree


def _starting_tree(supply, image_shape, ground_metric, neighborhood, start):
    """The network simplex's first spanning tree and the arcs to price first (or None).

    ``start`` a tree ``(order, parent)`` (the final tree of a neighbouring problem), or
    the comb, or from coarser solves with ``start="multiscale"``: for one-step arcs,
    the optimal tree of the 2x2-pooled problem (solved the same way, recursively)
    prolonged to this grid, with the arcs along it priced first; for the euclidean
    bound with ``neighborhood > 1``, the optimal tree of the 8-neighbour problem on this
    grid (its arcs are among the lattice steps), itself started multiscale, with the
    longer steps that price out at its potentials priced first (a fifth fewer pivots
    and a quarter fewer potential updates at 299x299 than pricing all steps alike).
    """
    if isinstance(start, tuple):
        return _tree_arcs(image_shape, ground_metric, neighborhood, *start), None
    if start == "comb" or image_shape[0] * image_shape[1] <= COARSEST_PIXELS:
        return _comb_tree(image_shape, ground_metric, neighborhood), None
    if neighborhood > 1:
        _, potentials, (order, parent, _) = _solve_network_simplex(
            supply, image_shape, ground_metric, 1, start)
        tails, heads, costs = grid_arcs(image_shape, ground_metric, neighborhood)
        reduced = costs + potentials[tails] - potentials[heads]
        violated = np.flatnonzero(reduced < -_REDUCED_COST_TOLERANCE)
        return _tree_arcs(image_shape, ground_metric, neighborhood, order, parent), violated
    *_, (coarse_order, coarse_parent, _) = _solve_network_simplex(
        pool(supply, image_shape), pooled_shape(image_shape), ground_metric, 1, start)
    order, parent = prolonged_tree(image_shape, coarse_parent, coarse_order,
                                   diagonals=ground_metric != "cityblock")
    tails, heads, _ = grid_arcs(image_shape, ground_metric, 1)
    return (_tree_arcs(image_shape, ground_metric, 1, order, parent),
            arcs_along_coarse_tree(image_shape, (tails, heads), coarse_parent))


def _solve_network_simplex(supply, image_shape, ground_metric, neighborhood, start):
    """Optimal grid flow by the network simplex: ``(flow, potentials, final tree)``.

    ``start="multiscale"`` begins from the prolonged optimal tree of the 2x2-pooled
    problem (solved the same way, recursively); ``"comb"`` from the comb tree; a tuple
    ``(order, parent)`` from that spanning tree (the final tree's first two arrays).
    """
    tails, heads, costs = grid_arcs(image_shape, ground_metric, neighborhood)
    tree, first_arcs = _starting_tree(supply, image_shape, ground_metric, neighborhood, start)
    block_factor = _BLOCK_FACTOR if start == "comb" else _WARM_BLOCK_FACTOR
    flow, potentials, status, final_tree = _network_simplex()(
        tails, heads, costs, supply, _REDUCED_COST_TOLERANCE, block_factor, *tree, first_arcs)
    _check_status(status)
    return flow, potentials, final_tree


def grid_flow_cost(supply, image_shape, ground_metric, neighborhood, start="multiscale"):
    """Optimal grid flow cost by the network simplex, with its final spanning tree.

    For batches: the tree ``(order, parent)`` can start the solve of a neighbouring
    problem (``start=tree``), which pays when the two supplies differ little.

    Parameters
    ----------
    supply : ndarray of shape (n_pixels,)
        Mass to send out of each pixel; sums to zero.
    image_shape : tuple of two int
    ground_metric : {"cityblock", "chebyshev", "euclidean"}
    neighborhood : int
        Lattice neighbourhood (1 for cityblock and chebyshev).
    start : {"multiscale", "comb"} or tuple of ndarray, default="multiscale"
        The first spanning tree, as in :func:`grid_flow`, or a final tree returned here.

    Returns
    -------
    cost : float
        In pixels.
    tree : tuple of ndarray
        ``(order, parent)``: the optimal spanning tree, parents first.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist.metrics._grid_flow import grid_flow_cost
    >>> supply = np.zeros(64); supply[0], supply[63] = 1.0, -1.0
    >>> cost, tree = grid_flow_cost(supply, (8, 8), "cityblock", 1)
    >>> nearby = supply.copy(); nearby[63], nearby[62] = 0.0, -1.0   # one pixel left
    >>> cost, grid_flow_cost(nearby, (8, 8), "cityblock", 1, start=tree)[0]
    (14.0, 13.0)
    """
    flow, _, (order, parent, _) = _solve_network_simplex(supply, image_shape, ground_metric,
                                                         neighborhood, start)
    costs = grid_arcs(image_shape, ground_metric, neighborhood)[2]
    return float(np.dot(flow, costs)), (order, parent)


@geometry_cache
def _incidence(image_shape, ground_metric, neighborhood):
    tails, heads, _ = grid_arcs(image_shape, ground_metric, neighborhood)
    n_arcs = len(tails)
    arcs = np.arange(n_arcs)
    return sp.csc_matrix(
        (np.r_[np.ones(n_arcs), -np.ones(n_arcs)], (np.r_[tails, heads], np.r_[arcs, arcs])),
        shape=(image_shape[0] * image_shape[1], n_arcs),
    )


def _network_simplex():
    try:
        from ._network_simplex import network_simplex
    except ImportError:
        return None
    return compiled_kernel(network_simplex)


def _restart_tree(tails, order, parent, arc):
    """A final tree of the network simplex as the start of a re-solve with more arcs."""
    upward = (arc >= 0) & (tails[np.maximum(arc, 0)] == np.arange(len(arc)))
    return order, parent, np.where(upward, arc, -1), np.where(upward, -1, arc)


def exact_euclidean_flow(supply, image_shape, seed_neighborhood=1, start="multiscale"):
    """Exact euclidean W1 flow by coarse-to-fine column generation on the grid (needs numba).

    The flow is solved on a growing set of arcs (columns) until no straight move
    between any two pixels is cheaper than the flow's dual potentials allow:
    :math:`|x_i - x_j| + \\phi_i - \\phi_j \\ge 0` for *all* pairs, the optimality
    condition of the complete problem, so the flow cost is the exact W1 while the arc
    set stays a small multiple of ``n_pixels``.

    - **Start** (``start="multiscale"``): the 2x2-pooled problem is solved exactly the
      same way (recursively, down to ``COARSEST_PIXELS``, which starts from the lattice
      arcs up to ``seed_neighborhood``).  Every arc of its optimal tree, between blocks
      A and B, becomes the 16 straight moves from the pixels of A to those of B, added
      to the lattice arcs, and the tree is prolonged through them, so the first fine
      solve starts with the coarse optimal flow between blocks.  ``start="comb"``
      solves one level from the lattice arcs and the comb tree.
    - **Rounds**: every pixel gets its ``_COLUMNS_PER_PIXEL`` most violated outgoing
      and incoming moves, found by the exact branch and bound of
      :func:`._network_simplex.most_violated_pairs`, and the flow is re-solved from the
      previous optimal tree.  The first round prices every pixel; later rounds only
      the pixels near the last round's violations.  The pixels' searches are split
      over the cores.
    - **Certificate**: when a restricted round finds nothing, a round prices every
      pixel's outgoing moves over all pairs (exact, O(n_pixels) memory, no n^2 scan:
      a skipped block provably holds no violation).  The flow is returned only after
      such a full round finds no pair below ``-1e-11`` (the solver's round-off guard),
      at the potentials of that very flow.

    Returns
    -------
    cost : float
    tails, heads, flow : ndarray
        The arcs used (lattice arcs, then generated ones) and their flows.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist.metrics._grid_flow import exact_euclidean_flow
    >>> supply = np.zeros(25); supply[0], supply[17] = 1.0, -1.0  # (0, 0) to (3, 2)
    >>> round(exact_euclidean_flow(supply, (5, 5))[0] ** 2, 9)
    13.0
    """
    cost, tails, heads, flow, _ = _exact_euclidean(supply, image_shape, seed_neighborhood, start)
    return cost, tails, heads, flow


def _arc_ids(tails, heads, n_pixels, frm, to):
    """Index of the arc ``frm[k] -> to[k]`` among ``(tails, heads)``, -1 where there is none."""
    keys = tails * n_pixels + heads
    by_key = np.argsort(keys)
    wanted = frm * n_pixels + to
    found = by_key[np.minimum(np.searchsorted(keys, wanted, sorter=by_key), len(keys) - 1)]
    return np.where(keys[found] == wanted, found, -1)


def _exact_euclidean(supply, image_shape, seed_neighborhood, start):
    """:func:`exact_euclidean_flow`, also returning the final tree ``(order, parent, arc)``."""
    from ._network_simplex import network_simplex

    n_pixels = image_shape[0] * image_shape[1]
    rows, columns = np.indices(image_shape, dtype=float).reshape(2, -1)

    def lengths(tails, heads):
        return np.hypot(rows[tails] - rows[heads], columns[tails] - columns[heads])

    if start == "comb" or n_pixels <= COARSEST_PIXELS:
        tails, heads, costs = grid_arcs(image_shape, "euclidean", seed_neighborhood)
        flow, potentials, final_tree = _solve_network_simplex(
            supply, image_shape, "euclidean", seed_neighborhood, start)
    else:
        tails, heads, costs, tree, first_arcs = _prolonged_exact(
            supply, image_shape, seed_neighborhood, lengths)
        flow, potentials, status, final_tree = network_simplex(
            tails, heads, costs, supply, _REDUCED_COST_TOLERANCE, _WARM_BLOCK_FACTOR, *tree,
            first_arcs)
        _check_status(status)
    # Pixels to price: None prices every one.  The first round and the certifying
    # rounds are exact over all pairs; between them only the pixels near last round's
    # violations are priced (those are where nearly all new violations appear).
    out_pixels = into_pixels = None
    first_round = True
    while True:
        new_tails, new_heads = _most_violated_pairs(image_shape, potentials,
                                                    _REDUCED_COST_TOLERANCE, None, False,
                                                    _COLUMNS_PER_PIXEL, out_pixels)
        if len(new_tails) == 0 and out_pixels is None:  # no pair violates: certified optimal
            return float(np.dot(flow, costs)), tails, heads, flow, final_tree
        if out_pixels is None and not first_round:
            into_pixels = _near(new_heads, image_shape)
        # The same search on -potentials gives, for every pixel, its most violated
        # incoming pairs: both ends of the long moves arrive in one round.
        into_heads, into_tails = _most_violated_pairs(image_shape, -potentials,
                                                      _REDUCED_COST_TOLERANCE, None, False,
                                                      _COLUMNS_PER_PIXEL, into_pixels)
        first_round = False
        if len(new_tails) == 0 and len(into_tails) == 0:
            out_pixels = into_pixels = None
            continue
        out_pixels = _near(new_tails, image_shape)
        into_pixels = _near(into_heads, image_shape)
        new_tails = np.concatenate([new_tails, into_tails])
        new_heads = np.concatenate([new_heads, into_heads])
        tree = _restart_tree(tails, *final_tree)
        tails = np.concatenate([tails, new_tails])
        heads = np.concatenate([heads, new_heads])
        costs = np.concatenate([costs, lengths(new_tails, new_heads)])
        flow, potentials, status, final_tree = network_simplex(
            tails, heads, costs, supply, _REDUCED_COST_TOLERANCE, _WARM_BLOCK_FACTOR, *tree)
        _check_status(status)


def _most_violated_pairs(image_shape, potentials, tolerance, head_potentials=None,
                         squared=False, n_best=1, tail_pixels=None):
    """:func:`._network_simplex.most_violated_pairs`, its tails split over the cores.

    The tails are searched independently; the chunks' results are joined in the
    order of the tails, so they are the serial search's.
    """
    from ._network_simplex import most_violated_pairs

    if tail_pixels is None:
        tail_pixels = np.arange(image_shape[0] * image_shape[1])
    n_threads = kernel_threads(len(tail_pixels), _TAILS_PER_THREAD)
    # A few chunks per thread even out the tails' uneven search times.
    n_chunks = 1 if n_threads == 1 else 4 * n_threads
    bounds = np.linspace(0, len(tail_pixels), n_chunks + 1).astype(np.intp)
    found = [None] * n_chunks

    def search(chunk):
        found[chunk] = most_violated_pairs(image_shape, potentials, tolerance, head_potentials,
                                           squared, n_best,
                                           tail_pixels[bounds[chunk]:bounds[chunk + 1]])

    run_in_threads(search, n_chunks)
    return tuple(np.concatenate(ends) for ends in zip(*found, strict=True))


def _near(pixels, image_shape):
    """The pixels within ``_NEAR_VIOLATIONS`` (chebyshev) of the given ones, sorted."""
    mask = np.zeros(image_shape, bool)
    mask.ravel()[pixels] = True
    window = np.ones((2 * _NEAR_VIOLATIONS + 1,) * 2, bool)
    return np.flatnonzero(binary_dilation(mask, window))


def _prolonged_exact(supply, image_shape, seed_neighborhood, lengths):
    """Arcs and starting tree of the exact euclidean solve from the pooled problem's optimum.

    The pooled problem is solved exactly (recursively); every arc of its optimal tree
    between blocks A and B becomes the 16 straight moves from the pixels of A to those
    of B, added to the lattice arcs, and its tree is prolonged through them
    (:func:`._multiscale.prolonged_tree_through`): the start carries the coarse optimal flow
    between blocks, and the coarse long moves are already columns.  Also returns the
    arcs to price first, those inside a block or between blocks the coarse tree joins
    (:func:`._multiscale.arcs_along_coarse_tree`: 30% fewer pivots in the first solve).
    """
    n_pixels = image_shape[0] * image_shape[1]
    _, coarse_tails, coarse_heads, _, (coarse_order, coarse_parent, coarse_arc) = (
        _exact_euclidean(pool(supply, image_shape), pooled_shape(image_shape),
                         seed_neighborhood, "multiscale"))
    coarse_tree_arcs = coarse_arc[coarse_arc >= 0]
    moved_tails, moved_heads = prolonged_moves(image_shape, coarse_tails[coarse_tree_arcs],
                                               coarse_heads[coarse_tree_arcs])
    tails, heads, costs = grid_arcs(image_shape, "euclidean", seed_neighborhood)
    new = _arc_ids(tails, heads, n_pixels, moved_tails, moved_heads) < 0
    tails = np.concatenate([tails, moved_tails[new]])
    heads = np.concatenate([heads, moved_heads[new]])
    costs = np.concatenate([costs, lengths(moved_tails[new], moved_heads[new])])
    order, parent = prolonged_tree_through(
        image_shape, (np.concatenate([tails, moved_heads[new]]),
                      np.concatenate([heads, moved_tails[new]])),
        coarse_parent, coarse_order[0])
    children = np.arange(n_pixels)
    up = _arc_ids(tails, heads, n_pixels, children, parent)
    down = _arc_ids(tails, heads, n_pixels, parent, children)
    # A tree edge along a one-way move gets its reverse too, so the start is feasible
    # whatever the sign of the (round-off sized) supply of a zero-flow coarse arc.
    one_way = (up < 0) | (down < 0)
    one_way[order[0]] = False
    reverse_tails = np.where(up[one_way] < 0, children[one_way], parent[one_way])
    reverse_heads = np.where(up[one_way] < 0, parent[one_way], children[one_way])
    reverse = len(tails) + np.arange(one_way.sum())
    up[one_way] = np.where(up[one_way] < 0, reverse, up[one_way])
    down[one_way] = np.where(down[one_way] < 0, reverse, down[one_way])
    tails = np.concatenate([tails, reverse_tails])
    heads = np.concatenate([heads, reverse_heads])
    costs = np.concatenate([costs, lengths(reverse_tails, reverse_heads)])
    up[order[0]] = down[order[0]] = -1
    return (tails, heads, costs, (order, parent, up, down),
            arcs_along_coarse_tree(image_shape, (tails, heads), coarse_parent))


def _north_west_corner(a, b):
    """Monotone coupling of two mass vectors: a spanning tree of the transport graph.

    Returns the arcs ``(source, sink)`` (indices into ``a`` and ``b``) in the order the
    staircase meets them; each arc after the first brings in exactly one new node.
    """
    pairs = []
    i = j = 0
    left_a, left_b = a[0], b[0]
    while True:
        pairs.append((i, j))
        if i == len(a) - 1 and j == len(b) - 1:
            return np.array(pairs, dtype=np.int64).T
        if j == len(b) - 1 or (i < len(a) - 1 and left_a <= left_b):
            left_b -= left_a
            i += 1
            left_a = a[i]
        else:
            left_a -= left_b
            j += 1
            left_b = b[j]


def exact_sqeuclidean_plan(a, b, image_shape):
    """Exact squared-euclidean transport plan between two images (W2^2), needs numba.

    The quadratic cost is no path length, so there is no local flow formulation; this
    solves the transport problem itself (sources: the pixels lit in ``a``, sinks: those
    lit in ``b``) by column generation (the sparse approach of Schmitzer, 2016): start
    from the north-west-corner coupling in raster order plus the moves to the 3x3
    neighbourhood, solve by the network simplex, then add for every source its most
    violated sink and for every sink its most violated source (the pyramid branch and
    bound of :func:`._network_simplex.most_violated_pairs` on ``|x_i - x_j|^2``), until
    none violates ``|x_i - x_j|^2 + u_i - v_j >= 0``: the optimality certificate of
    the complete problem.  O(n_pixels) memory.

    Returns
    -------
    cost : float
        :math:`W_2^2` in squared pixels.
    sources, targets, amounts : ndarray
        The plan's moves: ``amounts[k]`` from pixel ``sources[k]`` to ``targets[k]``.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist.metrics._grid_flow import exact_sqeuclidean_plan
    >>> a = np.zeros(25); a[0] = 1.0
    >>> b = np.zeros(25); b[17] = 1.0   # (0, 0) to (3, 2)
    >>> round(exact_sqeuclidean_plan(a, b, (5, 5))[0], 9)
    13.0
    """
    from ._network_simplex import network_simplex

    height, width = image_shape
    n_pixels = height * width
    source_pixels, sink_pixels = np.flatnonzero(a), np.flatnonzero(b)
    n_sources = len(source_pixels)
    node_of_sink = np.full(n_pixels, -1, np.int64)
    node_of_sink[sink_pixels] = n_sources + np.arange(len(sink_pixels))
    node_of_source = np.full(n_pixels, -1, np.int64)
    node_of_source[source_pixels] = np.arange(n_sources)
    supply = np.concatenate([a[source_pixels], -b[sink_pixels]])
    rows, columns = np.divmod(np.arange(n_pixels), width)
    # Start: the north-west corner tree, parents first, plus the 3x3 neighbourhood moves.
    corner_sources, corner_sinks = _north_west_corner(a[source_pixels], b[sink_pixels])
    corner_sinks = corner_sinks + n_sources
    tails, heads = [corner_sources], [corner_sinks]
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            r, c = rows[source_pixels] + dr, columns[source_pixels] + dc
            inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)
            sinks = np.where(inside, node_of_sink[np.where(inside, r * width + c, 0)], -1)
            tails.append(np.arange(n_sources)[sinks >= 0])
            heads.append(sinks[sinks >= 0])
    tails, heads = np.concatenate(tails), np.concatenate(heads)
    n_nodes = len(supply)
    parent = np.empty(n_nodes, np.int64)
    order = np.empty(n_nodes, np.int64)
    up, down = np.full(n_nodes, -1, np.int64), np.full(n_nodes, -1, np.int64)
    order[0], parent[0] = corner_sources[0], corner_sources[0]
    seen = np.zeros(n_nodes, bool)
    seen[order[0]] = True
    for k, (source, sink) in enumerate(zip(corner_sources, corner_sinks, strict=True)):
        if seen[sink]:   # the staircase advanced on the source side
            order[k + 1], parent[source], up[source] = source, sink, k
        else:
            order[k + 1], parent[sink], down[sink] = sink, source, k
        seen[source] = seen[sink] = True
    tree = (order, parent, up, down)
    pixel_of_node = np.concatenate([source_pixels, sink_pixels])
    node_rows, node_columns = rows[pixel_of_node], columns[pixel_of_node]

    def squared_lengths(tails, heads):
        return ((node_rows[tails] - node_rows[heads]) ** 2
                + (node_columns[tails] - node_columns[heads]) ** 2).astype(float)

    costs = squared_lengths(tails, heads)
    tolerance = _REDUCED_COST_TOLERANCE * max(1.0, float((height - 1) ** 2 + (width - 1) ** 2))
    while True:
        flow, potentials, status, (order, parent, arc) = network_simplex(
            tails, heads, costs, supply, tolerance, _WARM_BLOCK_FACTOR, *tree)
        _check_status(status)
        tree = _restart_tree(tails, order, parent, arc)
        source_potential = np.full(n_pixels, np.inf)
        source_potential[source_pixels] = potentials[:n_sources]
        sink_potential = np.full(n_pixels, -np.inf)
        sink_potential[sink_pixels] = potentials[n_sources:]
        out_tails, out_heads = _most_violated_pairs(image_shape, source_potential, tolerance,
                                                    sink_potential, True)
        in_heads, in_tails = _most_violated_pairs(image_shape, -sink_potential, tolerance,
                                                  -source_potential, True)
        new_tails = node_of_source[np.concatenate([out_tails, in_tails])]
        new_heads = node_of_sink[np.concatenate([out_heads, in_heads])]
        if len(new_tails) == 0:
            moved = flow > 0
            return (float(np.dot(flow, costs)), pixel_of_node[tails[moved]],
                    pixel_of_node[heads[moved]], flow[moved])
        tails = np.concatenate([tails, new_tails])
        heads = np.concatenate([heads, new_heads])
        costs = np.concatenate([costs, squared_lengths(new_tails, new_heads)])


def _check_status(status):
    if status != 0:
        raise RuntimeError("The network simplex ended with unbalanced supplies "
                           "(artificial flow left); this is a bug, please report it.")


def resolve_solver(solver):
    """The flow solver to use: ``"network_simplex"`` (numba) when available, else ``"highs"``.

    Examples
    --------
    >>> from skimgdist.metrics._grid_flow import resolve_solver
    >>> resolve_solver("highs")
    'highs'
    """
    if solver == "auto":
        return "network_simplex" if _network_simplex() is not None else "highs"
    if solver == "network_simplex" and _network_simplex() is None:
        raise ValueError(
            "solver='network_simplex' needs numba, which is not installed (or switched off "
            "by skimgdist.config_context(compiled_kernels=False)). Install it with "
            "pip install 'skimgdist[fast]', or use solver='highs' (SciPy, always available)."
        )
    return solver


def grid_flow(supply, image_shape, ground_metric, neighborhood, solver, start="multiscale"):
    """Optimal flow on the grid graph for ``supply = a - b`` (unit pixels).

    Parameters
    ----------
    supply : ndarray of shape (n_pixels,)
        Mass to send out of each pixel (negative: to receive); sums to zero.
    image_shape : tuple of two int
    ground_metric : {"cityblock", "chebyshev", "euclidean"}
    neighborhood : int or None
        Lattice neighbourhood for ``"euclidean"``; None: the exact euclidean W1 by
        :func:`exact_euclidean_flow` (network simplex only).
    solver : {"network_simplex", "highs"}
        A resolved solver name (see :func:`resolve_solver`).
    start : {"multiscale", "comb"}, default="multiscale"
        The network simplex's first spanning tree: prolonged from coarser solves
        (:mod:`._multiscale`), or the comb tree; the optimum is the same.

    Returns
    -------
    cost : float
        The optimal flow cost, in pixels.
    tails, heads, flow : ndarray of shape (n_arcs,)
        The arcs (those of :func:`grid_arcs`, plus generated ones for the exact
        euclidean flow) and the mass sent along each.

    Raises
    ------
    RuntimeError
        If the solver does not reach an optimal solution.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist.metrics._grid_flow import grid_flow
    >>> supply = np.array([1.0, 0.0, 0.0, -1.0])  # corner to opposite corner of a 2x2 grid
    >>> cost, tails, heads, flow = grid_flow(supply, (2, 2), "cityblock", 1, "highs")
    >>> cost, float(flow.sum())
    (2.0, 2.0)
    """
    if neighborhood is None and np.any(supply):
        return exact_euclidean_flow(supply, image_shape, start=start)
    tails, heads, costs = grid_arcs(image_shape, ground_metric, neighborhood or 1)
    if not np.any(supply):
        return 0.0, tails, heads, np.zeros(len(costs))
    if solver == "network_simplex":
        flow = _solve_network_simplex(supply, image_shape, ground_metric, neighborhood or 1,
                                      start)[0]
    else:
        # Scaling supplies to O(1) keeps HiGHS's absolute feasibility tolerances meaningful.
        scale = supply.size
        result = linprog(costs, A_eq=_incidence(image_shape, ground_metric, neighborhood),
                         b_eq=supply * scale, bounds=(0, None), method="highs-ipm",
                         options={"primal_feasibility_tolerance": 1e-10,
                                  "dual_feasibility_tolerance": 1e-10})
        if result.status != 0:
            raise RuntimeError(f"HiGHS did not find the optimal grid flow: {result.message}")
        flow = np.maximum(result.x, 0.0) / scale
    return float(np.dot(flow, costs)), tails, heads, flow
