"""Distance matrices certified within a relative tolerance by a metric's bounding embedding.

For every pair the bounds ``lower <= d <= upper`` of the metric's bounding
embedding (:meth:`skimgdist.metrics.ImageMetric.bounding_embedding`) give the
estimate with the smallest worst-case relative error, the harmonic mean

.. math::

    \\hat d = \\frac{2\\,l\\,u}{l + u}, \\qquad
    \\frac{|\\hat d - d|}{d} \\le \\frac{u - l}{u + l}.

Where that guarantee exceeds the tolerance, the exact distance is computed by
the metric's batched route; nowhere else.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.parallel import Parallel, delayed

__all__ = ["distances_within_tolerance"]


def distances_within_tolerance(metric, X, Y, shape, tolerance, *, n_jobs=None):
    """Matrix of ``metric`` between validated batches, each entry within ``tolerance``.

    Returns the matrix and the number of entries computed exactly.  ``Y=None``
    means ``Y = X`` (one triangle is refined and mirrored, the diagonal is 0).
    """
    embedding = metric.bounding_embedding(tolerance)
    if embedding is None:
        raise ValueError(
            f"tolerance={tolerance} needs a metric that bounds its distance by an embedding "
            f"(sliced_wasserstein with p=1 or p=2); {type(metric).__name__} with these "
            f"parameters offers none. Use tolerance=0 for exact distances."
        )
    embedding.fit(X)
    EX = embedding._transform_validated(X)
    symmetric = Y is None
    lower, upper = embedding.embedding_bounds(EX, EX if symmetric else
                                              embedding._transform_validated(Y))
    total = lower + upper
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = np.where(total > 0, 2 * lower * upper / total, 0.0)
    refine = upper - lower > tolerance * total
    if symmetric:
        refine = np.triu(refine, 1)
    rows = np.flatnonzero(refine.any(axis=1))
    second = X if symmetric else Y

    def exact_row(i):
        columns = np.flatnonzero(refine[i])
        return i, columns, metric._pairwise_validated(X[i:i + 1], second[columns], shape)[0]

    for i, columns, values in Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(exact_row)(i) for i in rows):
        estimate[i, columns] = values
    if symmetric:
        upper_triangle = np.triu(estimate, 1)
        estimate = upper_triangle + upper_triangle.T
    return estimate, int(refine.sum())
