"""Image retrieval: the k nearest gallery images of each query image.

:class:`ImageIndex` stores a gallery of images once (validated and, for
distribution metrics, scaled to unit mass) and answers batches of queries with
the distances and indices of the nearest gallery images.  Distances are computed
in row blocks by the batched engine of :func:`skimgdist.pairwise_distances`, and
each block is reduced to its k nearest neighbours on the worker that computed it,
so memory follows ``working_memory`` whatever the size of the gallery, and with
the Dask backend only the k best matches travel back.

When the metric offers a bounding embedding (:meth:`ImageMetric.bounding_embedding`,
e.g. sliced Wasserstein with ``p=2`` or ``p=1``), the search is *filter and
refine*: the gallery is embedded once at ``fit``; per query, the k-th smallest
upper bound rules out every gallery image whose lower bound exceeds it, and the
exact distance is computed for the survivors in increasing order of their lower
bound, stopping as soon as the next lower bound exceeds the k-th exact distance
found.  Every image that could be among the k nearest (ties included) is
computed exactly, so the answer equals the brute-force search.

:class:`ImageNeighborsTransformer` turns the same search into scikit-learn's
sparse neighbours graph, for estimators that take ``metric="precomputed"``.
"""

from __future__ import annotations

from contextlib import nullcontext
from functools import partial
from numbers import Integral

import numpy as np
from joblib import effective_n_jobs
from scipy.sparse import csr_matrix
from sklearn import config_context
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.utils import gen_batches
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted, validate_data

from ._config import single_threaded, working_memory_bytes
from .metrics import ImageMetric
from .pairwise import _ImageGallery, _one_blas_thread_each

__all__ = ["ImageIndex", "ImageNeighborsTransformer"]

# Exact distances are computed for this many candidates at a time (at least k).
_REFINE_BATCH = 8


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
    embedding_ : transformer or None
        The fitted bounding embedding of the metric (``None`` when it offers none;
        the search is then brute force).
    gallery_embedding_ : ndarray of shape (n_gallery, n_embedding_features) or None
        The embedded gallery, stored as float32 when the embedding offers it (half
        the memory; the bounds account for the rounding).
    exact_fraction_ : float
        Fraction of the (query, gallery) pairs of the last :meth:`query` whose exact
        distance was computed (1.0 for brute force).
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
        X : array-like of shape (n_gallery, n_pixels) or (n_gallery, height, width)
            Gallery images, one flattened image per row.
        y : None
            Ignored.

        Returns
        -------
        self : ImageIndex
        """
        self._fit_images(X)
        self._fit_embedding()
        return self

    def _fit_embedding(self):
        embedding = (self.metric_.bounding_embedding()
                     if isinstance(self.metric_, ImageMetric) else None)
        self.embedding_, self.gallery_embedding_ = embedding, None
        if embedding is not None:
            if "dtype" in embedding.get_params():  # half the memory, still certified
                embedding.set_params(dtype="float32")
            embedding.fit(self.images_)
            self.gallery_embedding_ = embedding._transform_validated(self.images_)

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
        X : array-like of shape (n_queries, n_pixels) or (n_queries, height, width)
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

        Notes
        -----
        With a metric that offers a bounding embedding, only the pairs the bounds
        cannot rule out are computed exactly (``exact_fraction_`` after the call);
        the progress bar is then not shown.
        """
        n_gallery = self.images_.shape[0] if hasattr(self, "images_") else None
        if n_gallery is not None and k > n_gallery:
            raise ValueError(
                f"k={k} neighbours were asked for but the gallery holds only {n_gallery} "
                f"images. Pass k <= {n_gallery}."
            )
        distances, indices, n_exact = self._kneighbors(X, k, progress=progress)
        self.exact_fraction_ = n_exact / max(1, indices.shape[0] * self.images_.shape[0])
        return (distances, indices) if return_distance else indices

    def _kneighbors(self, X, k, *, progress=False):
        """``(distances, indices, n_exact)`` of the k nearest gallery images of ``X``."""
        check_is_fitted(self)
        if getattr(self, "embedding_", None) is None:
            blocks = self._distances_to_images(X, progress=progress,
                                               reduce=partial(_nearest, k=k))
            distances = np.concatenate([block[0] for block in blocks])
            indices = np.concatenate([block[1] for block in blocks])
            return distances, indices, distances.size // k * self.images_.shape[0]
        X = validate_data(self, self._image_rows(X), dtype=np.float64, reset=False,
                          ensure_all_finite=False)
        X, _, _ = self.metric_._validate_batches(X)
        working_memory = self.working_memory
        with config_context(**({} if working_memory is None else
                                {"working_memory": working_memory})):
            # Lower and upper bounds and their temporaries: about 4 matrices per block.
            rows = max(1, working_memory_bytes() // (32 * self.images_.shape[0]))
            n_workers = effective_n_jobs(self.n_jobs)

            def pruned_block(batch):
                # As in the engine: worker threads whose kernels stay on one thread each.
                with single_threaded() if n_workers > 1 else nullcontext():
                    return self._pruned_block(X[batch], k)

            with _one_blas_thread_each(n_workers):
                results = Parallel(n_jobs=self.n_jobs, prefer="threads")(
                    delayed(pruned_block)(batch) for batch in gen_batches(len(X), rows))
        distances = np.concatenate([r[0] for r in results])
        indices = np.concatenate([r[1] for r in results])
        return distances, indices, sum(r[2] for r in results)

    def _pruned_block(self, X, k):
        """Filter by the bounds, refine by exact distances, for one block of queries."""
        lower, upper = self.embedding_.embedding_bounds(
            self.embedding_._transform_validated(X), self.gallery_embedding_)
        kth_upper = np.partition(upper, k - 1, axis=1)[:, k - 1]
        distances = np.empty((len(X), k))
        indices = np.empty((len(X), k), dtype=np.intp)
        n_exact = 0
        for i in range(len(X)):
            row = lower[i]
            candidates = np.flatnonzero(row <= kth_upper[i])
            candidates = candidates[np.argsort(row[candidates], kind="stable")]
            found, exact = [], []
            threshold = np.inf
            start = 0
            while start < len(candidates) and row[candidates[start]] <= threshold:
                batch = candidates[start:start + max(k, _REFINE_BATCH)]
                batch = batch[row[batch] <= threshold]
                found.append(batch)
                exact.append(self.metric_._pairwise_validated(
                    X[i:i + 1], self.images_[batch], self.image_shape_)[0])
                start += max(k, _REFINE_BATCH)
                if sum(map(len, found)) >= k:
                    threshold = np.partition(np.concatenate(exact), k - 1)[k - 1]
            found, exact = np.concatenate(found), np.concatenate(exact)
            best = np.lexsort((found, exact))[:k]  # by distance, ties by gallery index
            distances[i], indices[i] = exact[best], found[best]
            n_exact += len(found)
        return distances, indices, n_exact


def _nearest(distances, start, *, k):
    """The k smallest distances of each row and their column indices (stable order)."""
    order = np.argsort(distances, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(distances, order, axis=1), order


class ImageNeighborsTransformer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ImageIndex):
    """Sparse graph of the nearest training images, by any image distance.

    The image counterpart of :class:`sklearn.neighbors.KNeighborsTransformer`, with
    its conventions: ``transform(X)`` returns a sparse ``(n_images, n_train)``
    matrix holding, per row, the distances to the nearest training images
    (``mode="distance"``: ``n_neighbors + 1`` of them, since an image of the
    training set is its own nearest neighbour, as scikit-learn counts it) or ones
    (``mode="connectivity"``: ``n_neighbors``).  ``fit_transform(X)`` is
    ``fit(X).transform(X)``.  Use it before ``KNeighborsClassifier``,
    ``DBSCAN``, ``Isomap``, ``TSNE`` or ``SpectralClustering`` with
    ``metric="precomputed"`` in a :class:`~sklearn.pipeline.Pipeline`.

    The neighbours are found by :class:`ImageIndex`: for sliced Wasserstein
    (``p=2`` or ``p=1``) by filter and refine with certified bounds, equal to the
    brute-force answer, ties included.

    Parameters
    ----------
    n_neighbors : int, default=5
        Number of neighbours per image (plus itself in ``mode="distance"``).
    mode : {"distance", "connectivity"}, default="distance"
        Values of the graph: distances, or ones.
    metric : str, callable or ImageMetric, default="sliced_wasserstein"
        Any metric :func:`skimgdist.pairwise_distances` accepts.
    metric_params : dict, default=None
        Parameters for the metric.
    n_jobs : int, default=None
        Parallel jobs over blocks of queries.
    working_memory : float, default=None
        Memory budget in MiB per block of queries.

    Attributes
    ----------
    metric_, images_, image_shape_, embedding_, gallery_embedding_
        As in :class:`ImageIndex`.
    exact_fraction_ : float
        Fraction of the pairs of ``fit_transform`` whose exact distance was computed.
    n_samples_fit_ : int
        Number of training images.
    n_features_in_ : int
        Number of pixels per image.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    ImageIndex : The same search returning arrays of distances and indices.
    sklearn.neighbors.KNeighborsTransformer : The vector-space original.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from sklearn.pipeline import make_pipeline
    >>> from skimgdist import ImageNeighborsTransformer
    >>> X = np.zeros((4, 9))
    >>> X[[0, 1, 2, 3], [0, 1, 7, 8]] = 1.0   # two images lit top left, two bottom right
    >>> graph = ImageNeighborsTransformer(n_neighbors=1).fit_transform(X)
    >>> graph.toarray().round(3)
    array([[0.   , 0.707, 0.   , 0.   ],
           [0.707, 0.   , 0.   , 0.   ],
           [0.   , 0.   , 0.   , 0.707],
           [0.   , 0.   , 0.707, 0.   ]])
    >>> model = make_pipeline(ImageNeighborsTransformer(n_neighbors=2),
    ...                       KNeighborsClassifier(n_neighbors=1, metric="precomputed"))
    >>> model.fit(X, [0, 0, 1, 1]).predict(X[[3, 0]])
    array([1, 0])
    """

    _parameter_constraints = {
        **ImageIndex._parameter_constraints,
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "mode": [StrOptions({"distance", "connectivity"})],
    }

    def __init__(self, *, n_neighbors=5, mode="distance", metric="sliced_wasserstein",
                 metric_params=None, n_jobs=None, working_memory=None):
        super().__init__(metric=metric, metric_params=metric_params, n_jobs=n_jobs,
                         working_memory=working_memory)
        self.n_neighbors = n_neighbors
        self.mode = mode

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Store (and, when the metric offers it, embed) the training images.

        Parameters
        ----------
        X : array-like of shape (n_train, n_pixels) or (n_train, height, width)
            Training images, one flattened image per row.
        y : None
            Ignored.

        Returns
        -------
        self : ImageNeighborsTransformer
        """
        super().fit(X)
        self.n_samples_fit_ = self._n_features_out = self.images_.shape[0]
        return self

    def transform(self, X):
        """Sparse graph of the nearest training images of each image.

        Parameters
        ----------
        X : array-like of shape (n_images, n_pixels) or (n_images, height, width)
            Images of the training shape.

        Returns
        -------
        graph : sparse matrix of shape (n_images, n_train)
            CSR; row ``i`` holds the distances to (or ones for) the nearest
            training images of ``X[i]``, in increasing order of distance.
        """
        graph, _ = self._graph(X)
        return graph

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_transform(self, X, y=None):
        """``fit(X).transform(X)``, recording the fraction of pairs computed exactly.

        Parameters
        ----------
        X : array-like of shape (n_train, n_pixels) or (n_train, height, width)
            Training images.
        y : None
            Ignored.

        Returns
        -------
        graph : sparse matrix of shape (n_train, n_train)
        """
        self.fit(X)
        graph, n_exact = self._graph(X)
        self.exact_fraction_ = n_exact / max(1, self.n_samples_fit_ ** 2)
        return graph

    def _graph(self, X):
        check_is_fitted(self)
        k = self.n_neighbors + (self.mode == "distance")
        if k > self.n_samples_fit_:
            raise ValueError(
                f"Expected n_neighbors <= n_samples_fit, but n_neighbors = {k}, "
                f"n_samples_fit = {self.n_samples_fit_} (n_neighbors + 1 in "
                f"mode='distance'). Pass a smaller n_neighbors."
            )
        distances, indices, n_exact = self._kneighbors(X, k)
        values = distances.ravel() if self.mode == "distance" else np.ones(indices.size)
        indptr = np.arange(0, indices.size + 1, k)
        graph = csr_matrix((values, indices.ravel(), indptr),
                           shape=(len(indices), self.n_samples_fit_))
        return graph, n_exact
