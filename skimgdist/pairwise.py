"""Distance matrices between batches of images, fast, for every scikit-learn tool.

scikit-learn calls a callable metric once per pair of rows, from Python.  With an
image distance that means millions of calls for a few thousand images, however
fast each call is.  This module gives the fast route as a first-class API:

- :func:`pairwise_distances` computes the whole matrix through each metric's
  batched ``pairwise`` route, in row blocks sized to ``working_memory`` and spread
  over ``n_jobs`` joblib workers (a Dask cluster inside
  ``joblib.parallel_config(backend="dask")``), with the same numbers as
  :func:`sklearn.metrics.pairwise_distances` with the same callable;
- :func:`image_kernel` turns those distances into a Gaussian kernel
  ``exp(-gamma * d**2)`` for ``SVC(kernel="precomputed")`` and
  ``SpectralClustering(affinity="precomputed")``;
- :class:`ImageDistances` is a transformer whose output feeds any estimator that
  accepts ``metric="precomputed"`` inside a :class:`~sklearn.pipeline.Pipeline`.
"""

from __future__ import annotations

import math
import sys
import time
from contextlib import nullcontext
from functools import cache
from numbers import Integral, Real

import numpy as np
from joblib import effective_n_jobs
from sklearn import config_context
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.metrics import pairwise_distances as _sklearn_pairwise_distances
from sklearn.metrics import pairwise_distances_chunked
from sklearn.metrics.pairwise import _VALID_METRICS as _SKLEARN_METRICS
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import ThreadpoolController

from ._config import single_threaded, working_memory_bytes
from ._image import as_real_pixels, image_rows
from ._tolerance import distances_within_tolerance
from ._triangle import place_block
from .metrics import ImageMetric, available_metrics, get_metric

__all__ = ["ImageDistances", "image_kernel", "pairwise_distances"]

# Blocks per worker when running in parallel: several, so that a slow block does
# not leave the other workers idle at the end.
_BLOCKS_PER_JOB = 4
# Blocks when a progress bar is shown on one worker, so that it moves.
_PROGRESS_BLOCKS = 20
# Smallest row block worth a task of its own.
_MIN_BLOCK_ROWS = 8
# Below this much work (see _work_units) a matrix is computed on one worker: starting
# the worker threads (about 12 ms) would cost more than sharing the work saves.  About
# 0.1 s of sliced Wasserstein work on 8x8 digits.
_MIN_PARALLEL_WORK = 1_000_000

# More workers than any machine has cores; joblib itself refuses n_jobs above 500,000
# with a message that does not name n_jobs.
_MAX_JOBS = 10_000

_ENGINE_CONSTRAINTS = {
    "n_jobs": [Interval(Integral, 1, _MAX_JOBS, closed="both"),
               Interval(Integral, None, -1, closed="right"), None],
    "working_memory": [Interval(Real, 0, None, closed="neither"), None],
}


def _resolve_metric(metric, params):
    """The skimgdist :class:`ImageMetric` behind ``metric``, or ``None`` for a foreign metric.

    Names from :func:`~skimgdist.metrics.available_metrics`, skimgdist functions,
    metric classes and instances resolve (with ``params``); anything else
    (``"euclidean"``, ``"precomputed"``, a user's function) is left to scikit-learn.
    A name neither knows is refused here, before any work.
    """
    if _is_image_metric(metric):
        return get_metric(metric, **params)
    if isinstance(metric, str) and metric not in (*_SKLEARN_METRICS, "precomputed"):
        raise ValueError(
            f"Unknown metric {metric!r}. skimgdist metrics: {', '.join(available_metrics())}; "
            f"scikit-learn metrics: {', '.join(_SKLEARN_METRICS)}; or 'precomputed', or a "
            f"callable."
        )
    return None


def _is_image_metric(metric):
    return (
        isinstance(metric, ImageMetric)
        or (isinstance(metric, type) and issubclass(metric, ImageMetric))
        or (callable(metric) and hasattr(metric, "metric_class"))
        or (isinstance(metric, str) and metric in available_metrics())
    )


def _foreign_pairwise_distances(X, Y, metric, n_jobs, params):
    """scikit-learn's ``pairwise_distances`` for a metric from outside skimgdist."""
    return _sklearn_pairwise_distances(X, Y, metric=metric, n_jobs=n_jobs, **params)


@validate_params(
    {
        "X": ["array-like"],
        "Y": ["array-like", None],
        "metric": [str, callable],
        **_ENGINE_CONSTRAINTS,
        "progress": ["boolean"],
        "tolerance": [Interval(Real, 0, 1, closed="left")],
    },
    prefer_skip_nested_validation=False,
)
def pairwise_distances(X, Y=None, metric="sliced_wasserstein", *, n_jobs=None,
                       working_memory=None, progress=False, tolerance=0.0, **params):
    """Distance matrix between batches of images, through each metric's batched route.

    Gives the same matrix as :func:`sklearn.metrics.pairwise_distances` called with
    the same skimgdist metric (which calls the metric once per pair from Python),
    but computes it in row blocks through the metric's vectorised ``pairwise``
    route, so work that depends on one image alone is done once per block instead
    of once per pair.  Blocks are sized so that each holds at most
    ``working_memory`` MiB of distances (scikit-learn's convention), and run in
    parallel on ``n_jobs`` joblib workers.  Inside
    ``joblib.parallel_config(backend="dask")`` they run on a Dask cluster.

    For a symmetric metric and ``Y=None`` only the blocks on and above the
    diagonal are computed, and the upper triangle is mirrored, as scikit-learn
    does:

    .. math::

        D_{ij} = d(x_i, x_j) \\ (i \\le j), \\qquad D_{ji} = D_{ij}.

    Parameters
    ----------
    X : array-like of shape (n_images_X, n_pixels) or (n_images_X, height, width)
        Flattened images, one per row (C order), or a stack of images (whose
        shape is then the image shape).
    Y : array-like of shape (n_images_Y, n_pixels), default=None
        Second batch; ``None`` compares ``X`` with itself.
    metric : str, callable or ImageMetric, default="sliced_wasserstein"
        A skimgdist distance: a name from
        :func:`skimgdist.metrics.available_metrics`, a skimgdist function (such as
        ``skimgdist.sliced_wasserstein``), an :class:`~skimgdist.metrics.ImageMetric`
        class or a configured instance.  Any other metric (``"euclidean"``,
        ``"precomputed"``, your own function) is passed to
        :func:`sklearn.metrics.pairwise_distances` unchanged.
    n_jobs : int, default=None
        Number of parallel jobs over row blocks: worker threads (the compiled
        kernels release the GIL, so they start at once), each running its kernels
        and BLAS on one thread.  ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context, whose backend is then used; ``-1``
        uses every processor (or every Dask worker thread with the Dask backend).
        At most 10,000.
    working_memory : float, default=None
        Budget in MiB for the distances of one block (and for the metric's own
        temporaries).  ``None`` uses ``sklearn.get_config()["working_memory"]``.
        The returned matrix itself is not counted.
    progress : bool, default=False
        Show a progress bar on standard error (tqdm when it is installed, else a
        one-line counter).  Only skimgdist metrics report progress.
    tolerance : float in [0, 1), default=0.0
        Largest relative error allowed per entry.  ``0`` computes every entry
        exactly.  Above ``0``, the metric's certified bounds
        (:meth:`~skimgdist.metrics.ImageMetric.bounding_embedding`, offered by
        sliced Wasserstein with ``p=2`` or ``p=1``) give every entry whose bounds
        are close enough, :math:`(u - l) / (u + l) \\le` ``tolerance``, as
        :math:`2lu / (l + u)`, and only the other entries are computed exactly;
        each entry is then within ``tolerance`` of the exact distance, relatively.
        A metric without bounds raises a ``ValueError``.  ``progress`` is not
        reported in this mode.
    **params
        Parameters of the metric, such as ``image_shape=(h, w)`` or
        ``n_projections=100``.  For an instance they override its own.

    Returns
    -------
    distances : ndarray of shape (n_images_X, n_images_Y)
        ``distances[i, j]`` is the distance from ``X[i]`` to ``Y[j]``
        (or ``X[j]``).

    See Also
    --------
    image_kernel : The Gaussian kernel of these distances.
    ImageDistances : The same matrix as a transformer step in a Pipeline.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import pairwise_distances
    >>> X = np.zeros((3, 9))
    >>> X[[0, 1, 2], [0, 1, 8]] = 1.0    # one bright pixel per 3x3 image
    >>> pairwise_distances(X, metric="sliced_wasserstein").round(3)
    array([[0.   , 0.707, 2.   ],
           [0.707, 0.   , 1.581],
           [2.   , 1.581, 0.   ]])

    The light of image 2 sits farthest from that of image 0, which the transport
    distance sees and a pixel-wise distance (here passed on to scikit-learn) does not:

    >>> pairwise_distances(X, metric="euclidean").round(3)
    array([[0.   , 1.414, 1.414],
           [1.414, 0.   , 1.414],
           [1.414, 1.414, 0.   ]])
    """
    image_metric = _resolve_metric(metric, params)
    if image_metric is None:
        if tolerance:
            raise ValueError(f"tolerance={tolerance} needs a skimgdist metric that bounds "
                             f"its distance; {metric!r} is not one. Use tolerance=0.")
        return _foreign_pairwise_distances(X, Y, metric, n_jobs, params)
    X, Y, shape = image_metric._validate_batches(X, Y)
    if tolerance:
        with config_context(**({} if working_memory is None else
                                {"working_memory": working_memory})):
            return distances_within_tolerance(image_metric, X, Y, shape, tolerance,
                                              n_jobs=n_jobs)[0]
    return _distance_blocks(image_metric, X, Y, shape, n_jobs=n_jobs,
                           working_memory=working_memory, progress=progress)


def _distance_blocks(metric, X, Y, shape, *, n_jobs=None, working_memory=None, progress=False,
                    reduce=None):
    """Run ``metric._pairwise_validated`` over row blocks in parallel and assemble the result.

    ``X`` and ``Y`` are already validated (``Y=None`` means ``Y = X``).  With
    ``reduce`` (a picklable function of a distance block and the index of its first
    row), each worker reduces its block before sending it back, and the list of
    reduced blocks is returned in row order; symmetric triangles are then not used.
    """
    with config_context(**({} if working_memory is None else {"working_memory": working_memory})):
        n_x = X.shape[0]
        n_y = n_x if Y is None else Y.shape[0]
        triangle = Y is None and metric._is_symmetric and reduce is None
        n_workers = effective_n_jobs(n_jobs)
        if n_workers > 1 and _work_units(metric, n_x, n_y, X.shape[1], triangle) < \
                _MIN_PARALLEL_WORK:
            n_jobs = n_workers = 1
        rows = _block_rows(n_x, n_y, n_workers, triangle, progress)
        starts = range(0, n_x, rows)
        if triangle:
            tasks = [(i, j) for i in starts for j in starts if j >= i]
        else:
            tasks = [(i, None) for i in starts]

        def job(i, j):
            first = X[i:i + rows]
            # A one-row block has no triangle to save: it goes as an (X, Y) pair, which
            # every metric supports, rather than as X alone.
            if j is None:
                second = Y if Y is not None else (None if len(first) == n_x > 1 else X)
            else:
                second = None if i == j and len(first) > 1 else X[j:j + rows]
            return delayed(_compute_block)(metric, first, second, shape, (i, j), reduce,
                                           n_workers > 1)

        bar = _Progress(sum(_block_size(i, j, rows, n_x, n_y) for i, j in tasks), progress)
        # Blocks are placed as they arrive, so at most a few are held beside the result.
        out = {} if reduce is not None else np.empty((n_x, n_y))
        parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered",
                            prefer="threads")
        with _one_blas_thread_each(n_workers):
            for key, values in parallel(job(i, j) for i, j in tasks):
                if reduce is not None:
                    out[key[0]] = values
                else:
                    _place(out, key, values)
                bar.update(_block_size(*key, rows, n_x, n_y))
        bar.close()
    return [out[i] for i in starts] if reduce is not None else out


def _work_units(metric, n_x, n_y, n_pixels, triangle):
    """Rough size of a matrix's work: pairs times ``n_pixels ** metric.cost_exponent()``."""
    pairs = n_x * (n_x + 1) // 2 if triangle else n_x * n_y
    return pairs * float(n_pixels) ** metric.cost_exponent()


@cache
def _threadpool_controller():
    # Built once: a new one scans every loaded library (milliseconds per engine call).
    return ThreadpoolController()


def _one_blas_thread_each(n_workers):
    """One BLAS thread per worker thread, so that ``n_jobs`` workers share the cores."""
    if n_workers > 1:
        return _threadpool_controller().limit(limits=1, user_api="blas")
    return nullcontext()


def _place(out, key, values):
    """Write a computed block into the matrix, mirroring blocks of the upper triangle."""
    i, j = key
    rows_i = slice(i, i + values.shape[0])
    if j is None:
        out[rows_i] = values
    else:
        place_block(out, rows_i, slice(j, j + values.shape[1]), values, symmetric=True)


def _compute_block(metric, X, Y, shape, key, reduce, in_parallel):
    with single_threaded() if in_parallel else nullcontext():
        distances = np.asarray(metric._pairwise_validated(X, Y, shape), dtype=np.float64)
    return key, distances if reduce is None else reduce(distances, key[0])


def _block_rows(n_x, n_y, n_workers, triangle, progress):
    """Rows per block: within ``working_memory``, and enough blocks to share out."""
    budget = working_memory_bytes()
    rows = max(1, min(n_x, budget // (8 * n_y)))
    wanted = max(_BLOCKS_PER_JOB * n_workers if n_workers > 1 else 1,
                 _PROGRESS_BLOCKS if progress else 1)
    if triangle:
        # k row blocks give k (k + 1) / 2 blocks of the upper triangle.
        wanted = math.ceil((math.sqrt(8 * wanted + 1) - 1) / 2)
    if wanted > 1:
        rows = min(rows, max(_MIN_BLOCK_ROWS, math.ceil(n_x / wanted)))
    return rows


def _block_size(i, j, rows, n_x, n_y):
    """Pairs a block computes (a diagonal block of a triangle: its own upper triangle)."""
    height = min(rows, n_x - i)
    if j is None:
        return height * n_y
    if i == j:
        return height * (height - 1) // 2
    return height * min(rows, n_x - j)


class _Progress:
    """A progress bar on standard error: tqdm when installed, else a one-line counter."""

    def __init__(self, total, enabled, description="skimgdist distances"):
        self.total, self.done, self.enabled = total, 0, enabled
        self.description = description
        self._bar = None
        self._start = self._last = time.perf_counter()
        if not enabled:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            self._write()
        else:
            self._bar = tqdm(total=total, desc=description, unit="pair", unit_scale=True,
                             file=sys.stderr)

    def update(self, amount):
        self.done += amount
        if self._bar is not None:
            self._bar.update(amount)
        elif self.enabled and time.perf_counter() - self._last > 0.2:
            self._write()

    def close(self):
        if self._bar is not None:
            self._bar.close()
        elif self.enabled:
            self._write()
            sys.stderr.write("\n")
            sys.stderr.flush()

    def _write(self):
        self._last = time.perf_counter()
        percent = 100 * self.done // max(self.total, 1)
        sys.stderr.write(
            f"\r{self.description}: {percent:3d}% ({self.done}/{self.total} pairs, "
            f"{self._last - self._start:.1f} s)"
        )
        sys.stderr.flush()


@validate_params(
    {
        "X": ["array-like"],
        "Y": ["array-like", None],
        "metric": [str, callable],
        "gamma": [Interval(Real, 0, None, closed="neither")],
        **_ENGINE_CONSTRAINTS,
        "progress": ["boolean"],
    },
    prefer_skip_nested_validation=False,
)
def image_kernel(X, Y=None, metric="sliced_wasserstein", *, gamma=1.0, n_jobs=None,
                 working_memory=None, progress=False, **params):
    """Gaussian kernel of an image distance, for kernel methods and spectral clustering.

    .. math::

        K_{ij} = \\exp\\left(-\\gamma \\, d(x_i, y_j)^2\\right)

    with :math:`d` computed by :func:`pairwise_distances`.  Use it with
    ``SVC(kernel="precomputed")`` (train on ``image_kernel(X_train, gamma=g)``,
    predict on ``image_kernel(X_test, X_train, gamma=g)``) or
    ``SpectralClustering(affinity="precomputed")``.

    The kernel is positive definite when :math:`d` is a Hilbertian distance, which
    holds for the sliced 2-Wasserstein distance [1]_, the Hellinger distance and
    the L2 distance between blurred images.  For other distances (the exact
    2-D Wasserstein distance in particular) it may not be; ``SVC`` still runs, but
    without the guarantees of a positive definite kernel.

    Parameters
    ----------
    X : array-like of shape (n_images_X, n_pixels) or (n_images_X, height, width)
        Flattened images, one per row.
    Y : array-like of shape (n_images_Y, n_pixels), default=None
        Second batch; ``None`` compares ``X`` with itself.
    metric : str, callable or ImageMetric, default="sliced_wasserstein"
        Any metric :func:`pairwise_distances` accepts.
    gamma : float, default=1.0
        Inverse squared length scale, in the squared units of the distance (pixels
        squared for transport distances).  A common choice is ``1 / median(d**2)``
        over the training pairs; keep the same ``gamma`` for training and test.
    n_jobs, working_memory, progress, **params
        As in :func:`pairwise_distances`.

    Returns
    -------
    kernel : ndarray of shape (n_images_X, n_images_Y)
        Values in ``(0, 1]``; symmetric when ``Y`` is None.

    References
    ----------
    .. [1] S. Kolouri, Y. Zou and G. K. Rohde, "Sliced Wasserstein kernels for
       probability distributions", CVPR 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import image_kernel
    >>> X = np.array([[0.0, 0.0], [3.0, 4.0]])
    >>> image_kernel(X, metric="euclidean", gamma=0.04).round(4)
    array([[1.    , 0.3679],
           [0.3679, 1.    ]])
    """
    distances = pairwise_distances(X, Y, metric, n_jobs=n_jobs, working_memory=working_memory,
                                   progress=progress, **params)
    kernel = np.square(distances)
    kernel *= -gamma
    return np.exp(kernel, out=kernel)


# scikit-learn's euclidean distances expand |x - y|^2 = |x|^2 - 2 x.y + |y|^2, whose
# rounding depends on the batch a pair is computed in (and leaves ~1e-8 on a diagonal it
# does not zero); the estimators compute them per pair (scipy's minkowski, p=2) so that a
# pair has one value whatever the batch, order or pickling round trip.
_PER_PAIR_EUCLIDEAN = frozenset({"euclidean", "l2"})


class _ImageGallery(BaseEstimator):
    """Shared by estimators that store a batch of images and compare new images with it."""

    _parameter_constraints = {
        "metric": [str, callable],
        "metric_params": [dict, None],
        **_ENGINE_CONSTRAINTS,
    }

    def __init__(self, *, metric="sliced_wasserstein", metric_params=None, n_jobs=None,
                 working_memory=None):
        self.metric = metric
        self.metric_params = metric_params
        self.n_jobs = n_jobs
        self.working_memory = working_memory

    def _fit_images(self, X):
        params = {} if self.metric_params is None else self.metric_params
        metric = _resolve_metric(self.metric, params)
        X, stack_shape = image_rows(X, None if metric is None else metric.image_shape)
        if metric is not None and stack_shape is not None:
            metric.set_params(image_shape=stack_shape)
        # skimgdist metrics check finiteness themselves, with image-specific messages.
        as_real_pixels(X)
        X = validate_data(self, X, dtype=np.float64,
                          ensure_all_finite=not _is_image_metric(self.metric))
        if metric is None:
            self.metric_, self.image_shape_ = self.metric, None
            self.images_ = X
        else:
            self.metric_ = metric
            self.images_, _, self.image_shape_ = metric._validate_batches(X)

    def _distances_to_images(self, X, *, progress=False, reduce=None):
        """Distances from new images ``X`` (``None``: the fitted ones) to the fitted images.

        With ``reduce``, a list of reduced row blocks (see :func:`_distance_blocks`).
        """
        check_is_fitted(self)
        if X is not None:
            X = self._image_rows(X)
            as_real_pixels(X)
            X = validate_data(self, X, dtype=np.float64, reset=False,
                              ensure_all_finite=not isinstance(self.metric_, ImageMetric))
        if not isinstance(self.metric_, ImageMetric):
            params = {} if self.metric_params is None else self.metric_params
            metric = self.metric_
            if isinstance(metric, str) and metric in _PER_PAIR_EUCLIDEAN:
                metric, params = "minkowski", {**params, "p": 2}
            X, Y = (self.images_, None) if X is None else (X, self.images_)
            if reduce is None:
                return _foreign_pairwise_distances(X, Y, metric, self.n_jobs, params)
            return list(pairwise_distances_chunked(
                X, Y, reduce_func=reduce, metric=metric, n_jobs=self.n_jobs,
                working_memory=self.working_memory, **params))
        if X is None:
            X, Y = self.images_, None
        else:
            X, _, _ = self.metric_._validate_batches(X)
            Y = self.images_
        return _distance_blocks(self.metric_, X, Y, self.image_shape_, n_jobs=self.n_jobs,
                                working_memory=self.working_memory, progress=progress,
                                reduce=reduce)

    def _image_rows(self, X):
        """New images ``X`` as rows (a stack must have the fitted image shape)."""
        return image_rows(X, self.image_shape_)[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = _is_image_metric(self.metric)
        return tags


class ImageDistances(ClassNamePrefixFeaturesOutMixin, TransformerMixin, _ImageGallery):
    """Transformer that maps images to their distances from the training images.

    ``fit(X)`` stores the training images; ``transform(X)`` returns the matrix of
    distances from each image of ``X`` to each training image, computed by
    :func:`pairwise_distances`.  Followed by an estimator that accepts
    ``metric="precomputed"`` (``KNeighborsClassifier``, ``DBSCAN``, ...), it makes
    a :class:`~sklearn.pipeline.Pipeline` that searches image distances in
    ``GridSearchCV``:

    - ``fit_transform(X)`` is the square training matrix (one triangle computed
      and mirrored for symmetric metrics), which the estimator is fitted on;
    - ``transform(X_test)`` is the ``(n_test, n_train)`` matrix it predicts from.

    Parameters of a configured metric are searchable as
    ``<step>__metric__<param>`` (for example ``dist__metric__n_projections``).
    With ``Pipeline(memory=...)`` the training matrix is cached, so searching only
    the final estimator's parameters computes it once per fold.

    Parameters
    ----------
    metric : str, callable or ImageMetric, default="sliced_wasserstein"
        Any metric :func:`pairwise_distances` accepts.  Metrics from outside
        skimgdist (``"euclidean"``, your own function) go to scikit-learn.
    metric_params : dict, default=None
        Parameters for the metric (for an instance, they override its own).
    n_jobs : int, default=None
        Parallel jobs for the distance matrix, as in :func:`pairwise_distances`.
    working_memory : float, default=None
        Memory budget in MiB per block, as in :func:`pairwise_distances`.

    Attributes
    ----------
    metric_ : ImageMetric, str or callable
        The resolved metric: a configured :class:`~skimgdist.metrics.ImageMetric`
        for skimgdist metrics, else ``metric`` unchanged.
    images_ : ndarray of shape (n_train, n_pixels)
        The validated training images (scaled to unit mass when the metric
        compares distributions of light).
    image_shape_ : tuple of two int or None
        ``(height, width)`` of the images; ``None`` for a metric from outside skimgdist.
    n_features_in_ : int
        Number of pixels per image seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    pairwise_distances : The distance matrix as a function.
    skimgdist.ImageIndex : The k nearest training images of each query.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from sklearn.pipeline import make_pipeline
    >>> from skimgdist import ImageDistances
    >>> X = np.zeros((4, 9))
    >>> X[[0, 1, 2, 3], [0, 1, 7, 8]] = 1.0   # two images lit top left, two bottom right
    >>> y = [0, 0, 1, 1]
    >>> model = make_pipeline(ImageDistances(metric="sliced_wasserstein"),
    ...                       KNeighborsClassifier(n_neighbors=1, metric="precomputed"))
    >>> model.fit(X, y).predict(X[[3, 0]])
    array([1, 0])
    >>> ImageDistances().fit(X).transform(X[:1]).round(3)
    array([[0.   , 0.707, 1.581, 2.   ]])
    """

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Store the training images.

        Parameters
        ----------
        X : array-like of shape (n_train, n_pixels) or (n_train, height, width)
            Training images, one flattened image per row.
        y : None
            Ignored.

        Returns
        -------
        self : ImageDistances
        """
        self._fit_images(X)
        self._n_features_out = self.images_.shape[0]
        return self

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_transform(self, X, y=None):
        """Store the training images and return their distances to each other.

        Same as ``fit(X).transform(X)``, but for a symmetric metric only one
        triangle of the matrix is computed.

        Parameters
        ----------
        X : array-like of shape (n_train, n_pixels) or (n_train, height, width)
            Training images.
        y : None
            Ignored.

        Returns
        -------
        distances : ndarray of shape (n_train, n_train)
        """
        self.fit(X)
        return self._distances_to_images(None)

    def transform(self, X):
        """Distances from each image of ``X`` to each training image.

        Parameters
        ----------
        X : array-like of shape (n_images, n_pixels) or (n_images, height, width)
            Images of the same shape as the training images.

        Returns
        -------
        distances : ndarray of shape (n_images, n_train)
        """
        return self._distances_to_images(X)
