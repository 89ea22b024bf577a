"""Distance matrices certified within a relative tolerance by a metric's bounding embedding.

For every pair the bounds ``lower <= d <= upper`` of the metric's bounding
embedding (:meth:`skimgdist.metrics.ImageMetric.bounding_embedding`) give the
estimate with the smallest worst-case relative error, the harmonic mean

.. math::

    \\hat d = \\frac{2\\,l\\,u}{l + u}, \\qquad
    \\frac{|\\hat d - d|}{d} \\le \\frac{u - l}{u + l}.

Where that guarantee exceeds the tolerance, the exact distance is computed by
the metric's batched route; nowhere else.  Rows are processed in blocks whose
bound matrices fit ``working_memory``.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import gen_batches
from sklearn.utils.parallel import Parallel, delayed

from ._config import working_memory_bytes

__all__ = ["distances_within_tolerance"]

# Matrices of one row block held at once: lower, upper, their sum, the estimate, the mask.
_MATRICES_PER_BLOCK = 5


def distances_within_tolerance(metric, X, Y, shape, tolerance, *, n_jobs=None):
    """Matrix of ``metric`` between validated batches, each entry within ``tolerance``.

    Returns the matrix and the number of entries computed exactly.  ``Y=None``
    means ``Y = X`` (the upper triangle is refined and mirrored, the diagonal is 0).
    """
    embedding = metric.bounding_embedding(tolerance)
    if embedding is None:
        raise ValueError(
            f"tolerance={tolerance} needs a metric that bounds its distance by an embedding "
            f"(sliced_wasserstein with p=1 or p=2); {type(metric).__name__} with these "
            f"parameters offers none. Use tolerance=0 for exact distances."
        )
    embedding.fit(X)
    symmetric = Y is None
    second = X if symmetric else Y
    EX = embedding._transform_validated(X)
    EY = EX if symmetric else embedding._transform_validated(Y)
    budget = working_memory_bytes()
    rows = max(1, int(budget // (8 * _MATRICES_PER_BLOCK * len(second))))
    out = np.empty((len(X), len(second)))
    n_exact = 0
    for block in gen_batches(len(X), rows):
        whole = block.start == 0 and block.stop == len(X)
        # The whole batch against itself: one triangle of the Gram matrix.
        lower, upper = embedding.embedding_bounds(EX if whole else EX[block], EY)
        total = lower + upper
        with np.errstate(invalid="ignore", divide="ignore"):
            estimate = np.where(total > 0, 2 * lower * upper / total, 0.0)
        refine = upper - lower > tolerance * total
        if symmetric:  # only j > i: the rest is mirrored
            refine &= np.arange(len(X))[None, :] > np.arange(block.start, block.stop)[:, None]
        n_exact += int(refine.sum())

        def exact_row(i, refine=refine, block=block):
            columns = np.flatnonzero(refine[i])
            row = X[block.start + i:block.start + i + 1]
            return i, columns, metric._pairwise_validated(row, second[columns], shape)[0]

        for i, columns, values in Parallel(n_jobs=n_jobs, prefer="threads")(
                delayed(exact_row)(i) for i in np.flatnonzero(refine.any(axis=1))):
            estimate[i, columns] = values
        out[block] = estimate
    if symmetric:
        upper_triangle = np.triu(out, 1)
        out = upper_triangle + upper_triangle.T
    return out, n_exact
