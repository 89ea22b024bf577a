"""Image retrieval: the k nearest gallery images of each query image.

:class:`ImageIndex` stores a gallery of images once (validated and, for
distribution metrics, scaled to unit mass) and answers batches of queries with
the distances and indices of the nearest gallery images.  Distances are computed
in row blocks by the batched engine of :func:`skimgdist.pairwise_distances`, and
each block is reduced to its k nearest neighbours on the worker that computed it,
so memory follows ``working_memory`` whatever the size of the gallery, and with
the Dask backend only the k best matches travel back.
"""

from __future__ import annotations

from functools import partial
from numbers import Integral

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, validate_params

from .pairwise import _ImageGallery

__all__ = ["ImageIndex"]


class ImageIndex(_ImageGallery):
    """Nearest-neighbour search over a gallery of images, by any image distance.

    For each query image :math:`x` it returns the gallery indices
    :math:`j_1, \\dots, j_k` of the :math:`k` smallest distances

    .. math::

        d(x, g_{j_1}) \\le d(x, g_{j_2}) \\le \\dots \\le d(x, g_{j_k}),

    with ties broken by the smaller gallery index (the order of a stable sort of
    the full row of distances), so results are reproducible and equal a brute-force
    search.  This is the retrieval counterpart of
    ``sklearn.neighbors.NearestNeighbors(metric=<image distance>)``, without the
    per-pair Python loop.

    Parameters
    ----------
    metric : str, callable or ImageMetric, default="sliced_wasserstein"
        Any metric :func:`skimgdist.pairwise_distances` accepts.
    metric_params : dict, default=None
        Parameters for the metric (for an instance, they override its own).
    n_jobs : int, default=None
        Parallel jobs over blocks of queries, as in :func:`skimgdist.pairwise_distances`.
    working_memory : float, default=None
        Memory budget in MiB for one block of distances (query rows times gallery
        size); ``None`` uses ``sklearn.get_config()["working_memory"]``.

    Attributes
    ----------
    metric_ : ImageMetric, str or callable
        The resolved metric.
    images_ : ndarray of shape (n_gallery, n_pixels)
        The validated gallery (at unit mass for distribution metrics).
    image_shape_ : tuple of two int or None
        ``(height, width)``; ``None`` for a metric from outside skimgdist.
    n_features_in_ : int
        Number of pixels per image.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    skimgdist.ImageDistances : All distances to the training images, as a transformer.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import ImageIndex
    >>> gallery = np.zeros((3, 9))
    >>> gallery[[0, 1, 2], [0, 4, 8]] = 1.0    # a bright pixel top left, centre, bottom right
    >>> query = np.zeros((1, 9))
    >>> query[0, 7] = 1.0                      # bottom row, centre column
    >>> index = ImageIndex(metric="sliced_wasserstein").fit(gallery)
    >>> distances, indices = index.query(query, k=2)
    >>> indices
    array([[1, 2]])
    >>> distances.round(3)
    array([[0.707, 0.707]])
    """

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Store the gallery images.

        Parameters
        ----------
        X : array-like of shape (n_gallery, n_pixels)
            Gallery images, one flattened image per row.
        y : None
            Ignored.

        Returns
        -------
        self : ImageIndex
        """
        self._fit_images(X)
        return self

    @validate_params(
        {
            "X": ["array-like"],
            "k": [Interval(Integral, 1, None, closed="left")],
            "return_distance": ["boolean"],
            "progress": ["boolean"],
        },
        prefer_skip_nested_validation=False,
    )
    def query(self, X, k=1, *, return_distance=True, progress=False):
        """The ``k`` nearest gallery images of each query image.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_pixels)
            Query images, of the same shape as the gallery images.
        k : int, default=1
            Number of neighbours, at most the gallery size.
        return_distance : bool, default=True
            Also return the distances.
        progress : bool, default=False
            Show a progress bar on standard error (skimgdist metrics only).

        Returns
        -------
        distances : ndarray of shape (n_queries, k)
            Distances to the neighbours, increasing along each row.  Only when
            ``return_distance=True``.
        indices : ndarray of shape (n_queries, k)
            Row indices of the neighbours in the gallery.
        """
        n_gallery = self.images_.shape[0] if hasattr(self, "images_") else None
        if n_gallery is not None and k > n_gallery:
            raise ValueError(
                f"k={k} neighbours were asked for but the gallery holds only {n_gallery} "
                f"images. Pass k <= {n_gallery}."
            )
        blocks = self._distances_to_images(X, progress=progress, reduce=partial(_nearest, k=k))
        distances = np.concatenate([block[0] for block in blocks])
        indices = np.concatenate([block[1] for block in blocks])
        return (distances, indices) if return_distance else indices


def _nearest(distances, start, *, k):
    """The k smallest distances of each row and their column indices (stable order)."""
    order = np.argsort(distances, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(distances, order, axis=1), order
