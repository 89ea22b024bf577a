"""Primal network simplex for uncapacitated transshipment, compiled with numba.

Solves ``min sum_e cost[e] * flow[e]`` subject to ``flow >= 0`` and, at every node,
``outflow - inflow == supply`` (total supply zero), the problem the grid flow of
:mod:`skimgdist.metrics._grid_flow` poses.  The method is the textbook primal network
simplex on a strongly feasible spanning tree rooted at an artificial node, stored as
parent / thread / subtree-size arrays, with block-search pricing (Ahuja, Magnanti and
Orlin, *Network Flows*, 1993, chapter 11; Kelly and O'Neill, 1991, for the block
pivot rule).  Arcs have no capacities, which removes the upper-bound states, and the
start is a caller-given spanning tree of real arcs (primal feasible by construction,
with both directions of every arc available) hung below the artificial root by a
single zero-flow arc, instead of the usual all-artificial start.  Every quarter
``n_nodes`` pivots the nodes are renumbered in thread order, so that the subtree walks
that update potentials after a pivot (most of the time on large grids) read memory in
sequence instead of chasing pointers across it (a third less time at 299x299).

This module imports numba at import time: import it only where numba is installed.
"""

from __future__ import annotations

import math

import numba
import numpy as np

_DIR_UP = 1
_DIR_DOWN = -1
# Pivots between renumberings of the nodes in thread order, per node: renumbering costs
# one pass over the nodes and arcs, and the order decays as pivots re-hang subtrees.
_PIVOTS_PER_RENUMBERING = 0.25


@numba.njit(cache=True, nogil=True)
def network_simplex(tails, heads, costs, supply, tolerance, block_factor, tree_order, tree_parent,
                    tree_arc_up, tree_arc_down, first_arcs=None):
    """Optimal flow of an uncapacitated transshipment problem.

    Parameters
    ----------
    tails, heads : ndarray of int64, shape (n_arcs,)
        Arc ``e`` goes from node ``tails[e]`` to node ``heads[e]``.
    costs : ndarray of float64, shape (n_arcs,)
        Non-negative arc costs.
    supply : ndarray of float64, shape (n_nodes,)
        Net outflow required at each node; sums to zero.
    tolerance : float
        An arc enters the basis when its reduced cost is below ``-tolerance``
        (guards against round-off cycling with non-integer costs).
    block_factor : float
        Pricing scans blocks of ``block_factor * sqrt(n_arcs)`` arcs.
    tree_order : ndarray of int64, shape (n_nodes,)
        The nodes of a starting spanning tree of real arcs, parents before children;
        ``tree_order[0]`` is its root.
    tree_parent : ndarray of int64, shape (n_nodes,)
        Parent of each node in that tree (ignored for its root).
    tree_arc_up, tree_arc_down : ndarray of int64, shape (n_nodes,)
        The arc from each node to its parent and the arc back (ignored for the root);
        whichever carries the subtree's net supply forward starts in the basis.  One
        of them may be -1 (absent), as in a warm start from a previous final tree.
    first_arcs : ndarray of int64, optional
        Arcs to price first: the simplex pivots on these alone until none of them
        prices out, then on all arcs (the result is the same optimum).  From a
        prolonged coarse tree, pricing the arcs near the tree first repairs the local
        detail with short cycles before the long ones.

    Returns
    -------
    flow : ndarray of float64, shape (n_arcs,)
    potentials : ndarray of float64, shape (n_nodes,)
        Optimal dual potentials: ``costs[e] + potentials[tails[e]] - potentials[heads[e]]
        >= -tolerance`` for every arc.
    status : int
        0 optimal; 1 infeasible (artificial flow left, supplies do not balance).
    tree : tuple of ndarray
        The final spanning tree as ``(order, parent, arc)``: nodes parents first,
        their parents, and the tree arc joining each node to its parent (-1 for the
        tree's root), to warm-start a re-solve.
    """
    n = supply.shape[0]
    m = tails.shape[0]
    root = n
    n_all = m + n
    # 32-bit ends: pricing streams them for every arc it scans (images have < 2^31 pixels).
    source = np.empty(n_all, np.int32)
    target = np.empty(n_all, np.int32)
    cost = np.empty(n_all, np.float64)
    flow = np.zeros(n_all, np.float64)
    state = np.ones(n_all, np.int8)  # 1: at zero (may enter), 0: in the tree
    source[:m] = tails
    target[:m] = heads
    cost[:m] = costs

    parent = np.empty(n + 1, np.int64)
    pred = np.empty(n + 1, np.int64)
    pred_dir = np.empty(n + 1, np.int8)
    thread = np.empty(n + 1, np.int64)
    rev_thread = np.empty(n + 1, np.int64)
    succ_num = np.empty(n + 1, np.int64)
    last_succ = np.empty(n + 1, np.int64)
    pi = np.zeros(n + 1, np.float64)
    dirty_revs = np.empty(n + 1, np.int64)

    max_cost = 0.0
    for e in range(m):
        if costs[e] > max_cost:
            max_cost = costs[e]
    art_cost = (max_cost + 1.0) * (n + 1)

    parent[root] = -1
    pred[root] = -1
    pred_dir[root] = 0
    succ_num[root] = n + 1
    # Artificial arcs u -> root (cost art_cost, zero flow) stand outside the tree, except
    # the one holding the spanning tree's root pixel; they are never priced.
    for u in range(n):
        e = m + u
        source[e] = u
        target[e] = root
        cost[e] = art_cost
    top = tree_order[0]
    e = m + top
    cost[e] = 0.0
    parent[top] = root
    pred[top] = e
    pred_dir[top] = _DIR_UP
    state[e] = 0
    # Flows on a spanning tree follow from the supplies: each arc carries its subtree's net.
    subtree = supply.copy()
    for k in range(n - 1, 0, -1):
        u = tree_order[k]
        subtree[tree_parent[u]] += subtree[u]
    flow[e] = max(subtree[top], 0.0)
    for k in range(1, n):
        u = tree_order[k]
        parent[u] = tree_parent[u]
        # A warm start may offer one direction only; its round-off-sized wrong-way
        # flow is then clipped to zero.
        if tree_arc_down[u] < 0 or (subtree[u] >= 0 and tree_arc_up[u] >= 0):
            a = tree_arc_up[u]
            pred_dir[u] = _DIR_UP
            flow[a] = max(subtree[u], 0.0)
            pi[u] = pi[parent[u]] - cost[a]
        else:
            a = tree_arc_down[u]
            pred_dir[u] = _DIR_DOWN
            flow[a] = max(-subtree[u], 0.0)
            pi[u] = pi[parent[u]] + cost[a]
        pred[u] = a
        state[a] = 0
    # Thread (preorder), subtree sizes and last successors from a depth-first walk.
    first_child = np.full(n + 1, -1, np.int64)
    next_sibling = np.full(n + 1, -1, np.int64)
    for k in range(n - 1, -1, -1):
        u = tree_order[k]
        next_sibling[u] = first_child[parent[u]]
        first_child[parent[u]] = u
    stack = np.empty(n + 1, np.int64)
    depth = 0
    stack[0] = root
    previous = -1
    while depth >= 0:
        u = stack[depth]
        depth -= 1
        if previous >= 0:
            thread[previous] = u
            rev_thread[u] = previous
        previous = u
        child = first_child[u]
        while child >= 0:
            depth += 1
            stack[depth] = child
            child = next_sibling[child]
    thread[previous] = root
    rev_thread[root] = previous
    succ_num[:n] = 1
    for k in range(n - 1, -1, -1):
        u = tree_order[k]
        last_succ[u] = u if first_child[u] < 0 else last_succ[first_child[u]]
        if k > 0:
            succ_num[parent[u]] += succ_num[u]
    last_succ[root] = previous
    block_size = max(int(block_factor * math.sqrt(m)), 10)
    # Pricing runs over ``first_arcs`` until none of them prices out, then over all arcs.
    all_arcs = np.arange(m)
    priced = all_arcs if first_arcs is None else first_arcs
    pricing_all = first_arcs is None
    next_position = 0
    # The nodes are renumbered during the solve: node_of maps the current numbers back.
    node_of = np.arange(n + 1)
    renumbering_interval = max(int(_PIVOTS_PER_RENUMBERING * n), 1)
    pivots_since_renumbering = renumbering_interval
    while True:
        if pivots_since_renumbering == renumbering_interval:
            _renumber_in_thread_order((thread, parent, rev_thread, last_succ),
                                      (pred, succ_num, node_of), pi, pred_dir, source, target)
            pivots_since_renumbering = 0
        pivots_since_renumbering += 1
        in_arc, next_position = _block_search(priced, pricing_all, next_position, block_size,
                                              tolerance, cost, pi, source, target, state)
        if in_arc < 0:
            if pricing_all:
                break
            priced = all_arcs
            pricing_all = True
            next_position = 0
            continue

        # Join node: the apex of the cycle the entering arc closes.
        u = source[in_arc]
        v = target[in_arc]
        while u != v:
            if succ_num[u] < succ_num[v]:
                u = parent[u]
            else:
                v = parent[v]
        join = u

        # Leaving arc: the first blocking arc of the cycle in its orientation.
        first = source[in_arc]
        second = target[in_arc]
        delta = np.inf
        u_out = -1
        result = 0
        u = first
        while u != join:
            if pred_dir[u] == _DIR_UP:
                d = flow[pred[u]]
                if d < delta:
                    delta = d
                    u_out = u
                    result = 1
            u = parent[u]
        u = second
        while u != join:
            if pred_dir[u] == _DIR_DOWN:
                d = flow[pred[u]]
                if d <= delta:
                    delta = d
                    u_out = u
                    result = 2
            u = parent[u]
        if result == 1:
            u_in = first
            v_in = second
        else:
            u_in = second
            v_in = first

        # Augment along the cycle.
        if delta > 0:
            flow[in_arc] += delta
            u = source[in_arc]
            while u != join:
                flow[pred[u]] -= pred_dir[u] * delta
                u = parent[u]
            u = target[in_arc]
            while u != join:
                flow[pred[u]] += pred_dir[u] * delta
                u = parent[u]
        state[in_arc] = 0
        state[pred[u_out]] = 1

        # Re-hang the subtree cut off by the leaving arc below the entering arc.
        old_rev_thread = rev_thread[u_out]
        old_succ_num = succ_num[u_out]
        old_last_succ = last_succ[u_out]
        v_out = parent[u_out]
        if u_in == u_out:
            parent[u_in] = v_in
            pred[u_in] = in_arc
            pred_dir[u_in] = _DIR_UP if u_in == source[in_arc] else _DIR_DOWN
            if thread[v_in] != u_out:
                after = thread[old_last_succ]
                thread[old_rev_thread] = after
                rev_thread[after] = old_rev_thread
                after = thread[v_in]
                thread[v_in] = u_out
                rev_thread[u_out] = v_in
                thread[old_last_succ] = after
                rev_thread[after] = old_last_succ
        else:
            thread_continue = thread[old_last_succ] if old_rev_thread == v_in else thread[v_in]
            stem = u_in
            par_stem = v_in
            last = last_succ[u_in]
            after = thread[last]
            thread[v_in] = u_in
            n_dirty = 0
            dirty_revs[n_dirty] = v_in
            n_dirty += 1
            while stem != u_out:
                next_stem = parent[stem]
                thread[last] = next_stem
                dirty_revs[n_dirty] = last
                n_dirty += 1
                before = rev_thread[stem]
                thread[before] = after
                rev_thread[after] = before
                parent[stem] = par_stem
                par_stem = stem
                stem = next_stem
                if last_succ[stem] == last_succ[par_stem]:
                    last = rev_thread[par_stem]
                else:
                    last = last_succ[stem]
                after = thread[last]
            parent[u_out] = par_stem
            thread[last] = thread_continue
            rev_thread[thread_continue] = last
            last_succ[u_out] = last
            if old_rev_thread != v_in:
                thread[old_rev_thread] = after
                rev_thread[after] = old_rev_thread
            for i in range(n_dirty):
                w = dirty_revs[i]
                rev_thread[thread[w]] = w
            tmp_sc = 0
            tmp_ls = last_succ[u_out]
            u = u_out
            p = parent[u]
            while u != u_in:
                pred[u] = pred[p]
                pred_dir[u] = -pred_dir[p]
                tmp_sc += succ_num[u] - succ_num[p]
                succ_num[u] = tmp_sc
                last_succ[p] = tmp_ls
                u = p
                p = parent[u]
            pred[u_in] = in_arc
            pred_dir[u_in] = _DIR_UP if u_in == source[in_arc] else _DIR_DOWN
            succ_num[u_in] = old_succ_num

        up_limit_out = join if last_succ[join] == v_in else -1
        last_succ_out = last_succ[u_out]
        u = v_in
        while u != -1 and last_succ[u] == v_in:
            last_succ[u] = last_succ_out
            u = parent[u]
        if join != old_rev_thread and v_in != old_rev_thread:
            u = v_out
            while u != up_limit_out and last_succ[u] == old_last_succ:
                last_succ[u] = old_rev_thread
                u = parent[u]
        elif last_succ_out != old_last_succ:
            u = v_out
            while u != up_limit_out and last_succ[u] == old_last_succ:
                last_succ[u] = last_succ_out
                u = parent[u]
        u = v_in
        while u != join:
            succ_num[u] += old_succ_num
            u = parent[u]
        u = v_out
        while u != join:
            succ_num[u] -= old_succ_num
            u = parent[u]

        # Potentials of the re-hung subtree shift so the entering arc has zero reduced cost.
        # Only differences matter: shift whichever side of the cut is smaller.
        sigma = pi[v_in] - pi[u_in] - pred_dir[u_in] * cost[in_arc]
        end = thread[last_succ[u_in]]
        if 2 * succ_num[u_in] <= n + 1:
            u = u_in
            while u != end:
                pi[u] += sigma
                u = thread[u]
        else:
            u = end
            while u != u_in:
                pi[u] -= sigma
                u = thread[u]

    status = 0
    for e in range(m, n_all):
        if flow[e] > 1e-12:
            status = 1
    # The final tree, parents first, to warm-start a re-solve with more arcs.
    order = np.empty(n, np.int64)
    u = thread[root]
    for k in range(n):
        order[k] = node_of[u]
        u = thread[u]
    potentials = np.empty(n, np.float64)
    final_parent = np.empty(n, np.int64)
    basis = np.empty(n, np.int64)
    for u in range(n):
        node = node_of[u]
        potentials[node] = pi[u]
        final_parent[node] = node_of[parent[u]]
        basis[node] = pred[u] if pred[u] < m else -1
    return flow[:m].copy(), potentials, status, (order, final_parent, basis)


@numba.njit(cache=True, nogil=True)
def _renumber_in_thread_order(node_arrays, data_arrays, pi, pred_dir, source, target):
    """Renumber the nodes in the order of the thread (a preorder of the tree), in place.

    The root (the last node) keeps its number.  ``node_arrays`` hold node numbers (or
    -1) per node, the thread first; ``data_arrays`` other integers per node; ``pi``
    and ``pred_dir`` are per node; ``source`` and ``target`` hold node numbers per arc.
    """
    thread = node_arrays[0]
    root = len(thread) - 1
    label = np.empty(root + 1, np.int64)
    label[root] = root
    u = thread[root]
    k = 0
    while u != root:
        label[u] = k
        k += 1
        u = thread[u]
    moved = np.empty(root + 1, np.int64)
    for array in node_arrays:
        for u in range(root + 1):
            moved[label[u]] = label[array[u]] if array[u] >= 0 else -1
        array[:] = moved
    for array in data_arrays:
        _move_to_labels(array, label)
    _move_to_labels(pi, label)
    _move_to_labels(pred_dir, label)
    for e in range(len(source)):
        source[e] = label[source[e]]
        target[e] = label[target[e]]


@numba.njit(cache=True, nogil=True)
def _move_to_labels(values, label):
    moved = np.empty_like(values)
    for u in range(len(values)):
        moved[label[u]] = values[u]
    values[:] = moved


@numba.njit(cache=True, nogil=True)
def _block_search(arcs, all_arcs, start, block_size, tolerance, cost, pi, source, target,
                  state):
    """Block search pricing: the most negative reduced cost in the first block of
    ``arcs`` (from position ``start``, cyclically) that has one below ``-tolerance``.
    With ``all_arcs``, ``arcs`` is ``arange(n_arcs)`` and is not read.

    Returns the entering arc (-1 when no arc prices out) and the position to go on from.
    """
    n_arcs = len(arcs)
    best = -tolerance
    in_arc = -1
    count = block_size
    position = start
    for _ in range(n_arcs):
        e = position if all_arcs else arcs[position]
        if state[e] == 1:
            c = cost[e] + pi[source[e]] - pi[target[e]]
            if c < best:
                best = c
                in_arc = e
        position += 1
        if position == n_arcs:
            position = 0
        count -= 1
        if count == 0:
            if in_arc >= 0:
                break
            count = block_size
    return in_arc, position


@numba.njit(cache=True, nogil=True)
def _max_pyramid(values, height, width):
    """Maxima of ``values`` over 2^k x 2^k blocks, level by level, in one flat array.

    Level 0 is ``values`` itself; level k has ``ceil(height / 2^k) x ceil(width / 2^k)``
    blocks; the last level is a single block.  Returns the array and each level's offset.
    """
    n_levels = 1
    h, w = height, width
    total = h * w
    while h > 1 or w > 1:
        h, w = (h + 1) // 2, (w + 1) // 2
        total += h * w
        n_levels += 1
    pyramid = np.empty(total, np.float64)
    offsets = np.empty(n_levels, np.int64)
    offsets[0] = 0
    pyramid[:height * width] = values
    h, w = height, width
    for level in range(1, n_levels):
        fine = offsets[level - 1]
        offsets[level] = fine + h * w
        coarse_h, coarse_w = (h + 1) // 2, (w + 1) // 2
        for row in range(coarse_h):
            for column in range(coarse_w):
                best = -np.inf
                for r in range(2 * row, min(2 * row + 2, h)):
                    for c in range(2 * column, min(2 * column + 2, w)):
                        best = max(best, pyramid[fine + r * w + c])
                pyramid[offsets[level] + row * coarse_w + column] = best
        h, w = coarse_h, coarse_w
    return pyramid, offsets


@numba.njit(cache=True, nogil=True)
def _nearest_direction(d_row, d_column):
    """Which of the eight directions ``k * 45`` degrees (k = 0: +rows, 2: +columns)
    is nearest to ``(d_row, d_column)``."""
    tan_half = 0.41421356237309503  # tan(22.5 degrees)
    if abs(d_column) <= tan_half * abs(d_row):
        return 0 if d_row >= 0 else 4
    if abs(d_row) <= tan_half * abs(d_column):
        return 2 if d_column >= 0 else 6
    if d_row >= 0:
        return 1 if d_column >= 0 else 7
    return 3 if d_column >= 0 else 5


@numba.njit(cache=True, nogil=True)
def most_violated_pairs(image_shape, potentials, tolerance, head_potentials=None,
                        squared=False, n_best=1, tail_pixels=None):
    """For every pixel, the pixels it could reach more cheaply straight than along the flow.

    Pricing for the exact euclidean flow: pair ``(i, j)`` violates dual feasibility when
    ``|x_i - x_j| + potentials[i] - potentials[j] < -tolerance``.  With
    ``head_potentials`` (``-inf`` where a pixel cannot be a head) the condition is
    ``d(x_i, x_j) + potentials[i] - head_potentials[j] < -tolerance``, and pixels whose
    ``potentials`` entry is ``inf`` are no tails; ``squared=True`` prices the quadratic
    cost ``|x_i - x_j|^2`` (of the squared-euclidean transport problem) instead.  Exact
    over all pairs, but not by scanning them: a branch and bound over a max-pyramid of
    the potentials skips every 2^k x 2^k block ``B`` with ``dist(x_i, B) + potentials[i] -
    max_B potentials >=`` the ``n_best``-th best violation found so far (``-tolerance``
    until there are ``n_best``), which, for potentials that are nearly 1-Lipschitz
    (those of an optimal flow on the lattice arcs), leaves the blocks near ``i`` and
    along its transport ray; for the linear cost a second bound, along the direction
    from ``i`` to the block, skips most of those along the ray too.  O(n_pixels) memory.

    Parameters
    ----------
    n_best : int, default=1
        How many of each tail's most violated pairs to return.
    tail_pixels : ndarray of int64, default=None
        Price only these tails (None: every pixel).

    Returns
    -------
    tails, heads : ndarray of int64
        For each priced pixel ``i`` with violated pairs, its (up to) ``n_best`` most
        violated ``j``, most violated first.
    """
    height, width = image_shape
    n = potentials.shape[0]
    heads_at = potentials if head_potentials is None else head_potentials
    pyramid, offsets = _max_pyramid(heads_at, height, width)
    top = len(offsets) - 1
    # For the linear cost, |x_i - x_j| >= (x_j - x_i) . u for every unit vector u, so a
    # block B also costs at least phi_i - x_i . u - max_B (phi_j - x_j . u): with u along
    # the ray from i to B this is nearly tight on 1-Lipschitz potentials, where the
    # distance bound is loose by the block's diameter.  Eight directions, each with its
    # own pyramid; the one nearest the direction from i to the block is used.
    n_directions = 0 if squared else 8
    direction_rows = np.empty(n_directions)
    direction_columns = np.empty(n_directions)
    tilted = np.empty((n_directions, len(pyramid)))
    rows_of = np.arange(height * width) // width
    columns_of = np.arange(height * width) % width
    for d in range(n_directions):
        direction_rows[d] = math.cos(d * math.pi / 4)
        direction_columns[d] = math.sin(d * math.pi / 4)
        tilted[d], _ = _max_pyramid(heads_at - rows_of * direction_rows[d]
                                    - columns_of * direction_columns[d], height, width)
    stack_level = np.empty(4 * (top + 1) + 4, np.int64)
    stack_block = np.empty(4 * (top + 1) + 4, np.int64)
    n_tails = n if tail_pixels is None else tail_pixels.shape[0]
    tails = np.empty(n_tails * n_best, np.int64)
    heads = np.empty(n_tails * n_best, np.int64)
    best_values = np.empty(n_best, np.float64)
    best_heads = np.empty(n_best, np.int64)
    count = 0
    for k in range(n_tails):
        i = k if tail_pixels is None else tail_pixels[k]
        if potentials[i] == np.inf:
            continue
        row, column = i // width, i % width
        n_found = 0
        threshold = -tolerance
        stack_level[0] = top
        stack_block[0] = 0
        depth = 1
        while depth > 0:
            depth -= 1
            level = stack_level[depth]
            block = stack_block[depth]
            level_width = (width + (1 << level) - 1) >> level
            block_row, block_column = block // level_width, block % level_width
            size = 1 << level
            first_row, first_column = block_row * size, block_column * size
            dr = max(first_row - row, 0, row - (first_row + size - 1))
            dc = max(first_column - column, 0, column - (first_column + size - 1))
            squared_distance = float(dr * dr + dc * dc)
            distance = squared_distance if squared else math.sqrt(squared_distance)
            bound = distance + potentials[i] - pyramid[offsets[level] + block]
            if bound >= threshold:
                continue
            if n_directions > 0 and level > 0:
                d = _nearest_direction(first_row + 0.5 * size - 0.5 - row,
                                       first_column + 0.5 * size - 0.5 - column)
                tilted_bound = (potentials[i] - row * direction_rows[d]
                                - column * direction_columns[d]
                                - tilted[d, offsets[level] + block])
                if tilted_bound >= threshold:
                    continue
            if level == 0:
                # Insert into the sorted list of the best; the last one drops out when full.
                position = min(n_found, n_best - 1)
                while position > 0 and best_values[position - 1] > bound:
                    best_values[position] = best_values[position - 1]
                    best_heads[position] = best_heads[position - 1]
                    position -= 1
                best_values[position] = bound
                best_heads[position] = block
                n_found = min(n_found + 1, n_best)
                if n_found == n_best:
                    threshold = best_values[n_best - 1]
                continue
            child_width = (width + (1 << (level - 1)) - 1) >> (level - 1)
            child_height = (height + (1 << (level - 1)) - 1) >> (level - 1)
            # The child nearest to pixel i is pushed last, so explored first: it
            # tightens the threshold early and prunes its siblings.
            near_row = 2 * block_row + (1 if row >= first_row + size // 2 else 0)
            near_column = 2 * block_column + (1 if column >= first_column + size // 2
                                              else 0)
            for r in (4 * block_row + 1 - near_row, near_row):
                for c in (4 * block_column + 1 - near_column, near_column):
                    if r < child_height and c < child_width:
                        stack_level[depth] = level - 1
                        stack_block[depth] = r * child_width + c
                        depth += 1
        for found in range(n_found):
            tails[count] = i
            heads[count] = best_heads[found]
            count += 1
    return tails[:count], heads[:count]
