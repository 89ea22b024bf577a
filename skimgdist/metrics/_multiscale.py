"""Coarse-to-fine starting trees for the grid network simplex.

The network simplex needs a primal feasible spanning tree to start from; the better
the start, the fewer (and shorter) the pivots.  A coarse solution is a good start: the
image is pooled over 2x2 blocks (sums, so the coarse problem is again balanced), the
coarse problem is solved the same way recursively down to a small grid, and its
optimal spanning tree is *prolonged* to the fine grid:

- inside every block, grid arcs join its (up to four) pixels;
- every arc of the coarse tree between blocks ``A`` and ``B`` becomes one fine arc from
  a pixel of ``A`` to a pixel of ``B`` (when the fine graph has one);
- any other grid arc joins what is still apart (only for coarse arcs with no fine
  counterpart, e.g. long lattice steps of the euclidean bound).

This is a spanning tree of fine grid arcs, in which each arc carries the net supply of
the side it cuts off.  For an arc that mirrors a coarse tree arc, that side is a union
of whole blocks, so the fine flow between blocks is exactly the coarse optimal flow:
the fine solve starts near its optimum and only repairs local detail.  The final
level is the fine problem itself, solved to optimality, so the result is as exact as
a cold start (Schmitzer, "A sparse multiscale algorithm for dense optimal transport",
J. Math. Imaging Vis. 2016, uses the same hierarchy to prune dense problems).

Building the tree is a minimum spanning tree over the candidate arcs, weighted so that
in-block arcs come first, then the coarse tree's mirrors, then the rest.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree

# Below this many pixels a grid is solved from the comb tree directly.
COARSEST_PIXELS = 1024


def pooled_shape(image_shape):
    """Shape of the 2x2-pooled grid (odd sizes keep a last block of width one).

    Examples
    --------
    >>> from skimgdist.metrics._multiscale import pooled_shape
    >>> pooled_shape((9, 14))
    (5, 7)
    """
    return (image_shape[0] + 1) // 2, (image_shape[1] + 1) // 2


def block_of_pixel(image_shape):
    """Flat index of the 2x2 block (a pixel of the pooled grid) holding each pixel.

    Examples
    --------
    >>> from skimgdist.metrics._multiscale import block_of_pixel
    >>> block_of_pixel((3, 3)).reshape(3, 3).tolist()
    [[0, 0, 1], [0, 0, 1], [2, 2, 3]]
    """
    rows, columns = np.indices(image_shape).reshape(2, -1)
    return (rows // 2) * pooled_shape(image_shape)[1] + columns // 2


def pool(supply, image_shape):
    """Sum ``supply`` over 2x2 blocks; the pooled problem stays balanced.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist.metrics._multiscale import pool
    >>> pool(np.arange(6.0), (2, 3)).tolist()
    [8.0, 7.0]
    """
    coarse = pooled_shape(image_shape)
    return np.bincount(block_of_pixel(image_shape), supply, coarse[0] * coarse[1])


def prolonged_tree(image_shape, arcs, coarse_parent, coarse_root):
    """A spanning tree of fine grid arcs that mirrors the coarse tree.

    Parameters
    ----------
    image_shape : tuple of two int
        The fine grid.
    arcs : tuple of ndarray
        ``(tails, heads)`` of the fine grid graph (both directions of every edge).
    coarse_parent : ndarray of int64
        Parent of each pooled pixel in the coarse optimal tree.
    coarse_root : int
        The coarse tree's root (its parent entry is ignored).

    Returns
    -------
    order, parent : ndarray of int64
        Fine pixels parents first (``order[0]`` the root), and each pixel's parent.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist.metrics._grid_flow import grid_arcs
    >>> from skimgdist.metrics._multiscale import prolonged_tree
    >>> tails, heads, _ = grid_arcs((2, 4), "cityblock")
    >>> order, parent = prolonged_tree((2, 4), (tails, heads), np.array([0, 0]), 0)
    >>> order[0], sorted(order.tolist()) == list(range(8))
    (np.int64(0), True)
    """
    tails, heads = arcs
    n_pixels = image_shape[0] * image_shape[1]
    block = block_of_pixel(image_shape)
    # One undirected edge per arc pair (minimum_spanning_tree sums duplicate entries).
    one_way = tails < heads
    tails, heads = tails[one_way], heads[one_way]
    tail_block, head_block = block[tails], block[heads]
    n_blocks = len(coarse_parent)
    children = np.arange(n_blocks)
    has_parent = children != coarse_root
    low = np.minimum(children, coarse_parent)[has_parent]
    high = np.maximum(children, coarse_parent)[has_parent]
    coarse_keys = np.sort(low * n_blocks + high)
    arc_keys = (np.minimum(tail_block, head_block) * n_blocks
                + np.maximum(tail_block, head_block))
    position = np.minimum(np.searchsorted(coarse_keys, arc_keys), len(coarse_keys) - 1)
    mirrors = coarse_keys[position] == arc_keys
    weight = np.where(tail_block == head_block, 1.0, np.where(mirrors, 2.0, 3.0))
    graph = sp.coo_matrix((weight, (tails, heads)), shape=(n_pixels, n_pixels)).tocsr()
    tree = minimum_spanning_tree(graph)
    root = int(np.flatnonzero(block == coarse_root)[0])
    order, predecessors = breadth_first_order(tree, root, directed=False,
                                              return_predecessors=True)
    if len(order) != n_pixels:
        raise RuntimeError("The grid graph is not connected; this is a bug, please report it.")
    parent = np.where(predecessors < 0, root, predecessors).astype(np.int64)
    return order.astype(np.int64), parent


def block_pixels(image_shape):
    """The fine pixels of every 2x2 block, one row per block, -1 past the grid's edge.

    Examples
    --------
    >>> from skimgdist.metrics._multiscale import block_pixels
    >>> block_pixels((3, 3)).tolist()
    [[0, 1, 3, 4], [2, -1, 5, -1], [6, 7, -1, -1], [8, -1, -1, -1]]
    """
    height, width = image_shape
    block_rows, block_columns = np.indices(pooled_shape(image_shape)).reshape(2, -1)
    pixels = np.full((len(block_rows), 4), -1, np.int64)
    for k, (dr, dc) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
        rows, columns = 2 * block_rows + dr, 2 * block_columns + dc
        inside = (rows < height) & (columns < width)
        pixels[inside, k] = (rows * width + columns)[inside]
    return pixels


def prolonged_moves(image_shape, coarse_tails, coarse_heads):
    """Every fine pixel pair from the tail block to the head block of each coarse arc.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist.metrics._multiscale import prolonged_moves
    >>> tails, heads = prolonged_moves((2, 4), np.array([0]), np.array([1]))
    >>> sorted(zip(tails.tolist(), heads.tolist()))[:3]
    [(0, 2), (0, 3), (0, 6)]
    >>> len(tails)
    16
    """
    pixels = block_pixels(image_shape)
    tails, heads = np.broadcast_arrays(pixels[coarse_tails][:, :, None],
                                       pixels[coarse_heads][:, None, :])
    inside = (tails >= 0) & (heads >= 0)
    return tails[inside], heads[inside]
