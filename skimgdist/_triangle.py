"""Symmetric distance matrices computed one triangle at a time.

For a symmetric distance and ``Y = X`` only the pairs on and above the diagonal are
computed; these helpers copy them below, as scikit-learn does (the strict upper
triangle mirrored, the diagonal as computed).
"""

from __future__ import annotations

import numpy as np

__all__ = ["mirror_upper", "place_block"]


def mirror_upper(matrix):
    """Copy the strict upper triangle of a square matrix onto its lower triangle, in place.

    Parameters
    ----------
    matrix : ndarray of shape (n, n)
        Writable; its lower triangle is overwritten.

    Returns
    -------
    matrix : ndarray of shape (n, n)
        The same array.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist._triangle import mirror_upper
    >>> mirror_upper(np.array([[0.0, 2.0], [-1.0, 0.0]]))
    array([[0., 2.],
           [2., 0.]])
    """
    lower = np.tril_indices(matrix.shape[0], -1)
    matrix[lower] = matrix.T[lower]
    return matrix


def place_block(out, rows, columns, block, *, symmetric):
    """Write ``block`` at ``out[rows, columns]``; with ``symmetric``, also its mirror image.

    A block on the diagonal (``rows == columns``) gets its own strict upper triangle
    mirrored.

    Parameters
    ----------
    out : ndarray of shape (n, m)
        The matrix being assembled.
    rows, columns : slice
        Where the block goes (``step`` 1).
    block : ndarray of shape (rows, columns)
    symmetric : bool
        ``out`` is a symmetric matrix of which only blocks on and above the diagonal
        are computed.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist._triangle import place_block
    >>> out = np.zeros((3, 3))
    >>> place_block(out, slice(0, 1), slice(1, 3), np.array([[1.0, 2.0]]), symmetric=True)
    >>> out
    array([[0., 1., 2.],
           [1., 0., 0.],
           [2., 0., 0.]])
    """
    out[rows, columns] = block
    if not symmetric:
        return
    if rows == columns:
        mirror_upper(out[rows, columns])
    else:
        out[columns, rows] = block.T
