"""The metric protocol every skimgdist distance follows.

Each distance exists in three forms that give the same numbers:

1. a plain function ``f(x, y, *, image_shape=None, **params)`` for
   ``sklearn.metrics.pairwise_distances(X, metric=f, **params)``;
2. a configured callable object (a subclass of :class:`ImageMetric`) that clones,
   pickles and exposes ``get_params``/``set_params``, so ``GridSearchCV`` can search
   ``knn__metric__<param>``;
3. the batched method ``ImageMetric.pairwise(X, Y=None)``.

A subclass states its parameters in ``__init__`` (scikit-learn style, stored
unchanged), declares them in ``_parameter_constraints`` (the shared ``image_shape``
and ``pixel_size`` are declared here once and inherited), and implements
:meth:`ImageMetric._pairwise_validated`, which receives images that were
validated once (and scaled to unit mass when the metric compares
distributions).  The per-pair ``__call__`` and the batched ``pairwise`` both go
through that one method, so the two routes cannot drift apart.
"""

from __future__ import annotations

from sklearn.base import BaseEstimator

from .._image import (
    IMAGE_SHAPE_CONSTRAINT,
    PIXEL_SIZE_CONSTRAINT,
    check_image_pair,
    check_images,
    to_unit_mass,
)


class ImageMetric(BaseEstimator):
    """Base class of the configured distance objects (the metric protocol).

    Subclasses set ``image_shape`` (and their own parameters) in ``__init__`` and
    implement ``_pairwise_validated``.  Class attributes tune validation:

    - ``_compares_distributions``: pixels must be finite, non-negative, with
      positive mass per image (default ``True``); override
      :meth:`_checks_distribution` when a parameter switches it off (as
      ``normalize=False`` does in ``TotalVariation``), and
      :meth:`_scales_to_unit_mass` when images are checked as distributions but
      keep their mass (``normalize=False`` in the Sinkhorn metrics).
    - ``_is_symmetric``: ``d(x, y) == d(y, x)`` (default ``True``); used by
      ``pairwise(X)`` to compute one triangle only, in subclasses that want it.
    - ``_unit`` and ``_cost_exponent``: what :meth:`distance_unit` and
      :meth:`cost_exponent` return (defaults ``"unitless"`` and ``1.0``); override
      the methods when a parameter changes them.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist.metrics import ImageMetric
    >>> class MeanShift(ImageMetric):
    ...     def __init__(self, *, image_shape=None):
    ...         self.image_shape = image_shape
    ...     def _pairwise_validated(self, X, Y, image_shape):
    ...         Y = X if Y is None else Y
    ...         return abs(X.mean(axis=1)[:, None] - Y.mean(axis=1)[None, :])
    >>> MeanShift().pairwise(np.eye(4))
    array([[0., 0., 0., 0.],
           [0., 0., 0., 0.],
           [0., 0., 0., 0.],
           [0., 0., 0., 0.]])
    """

    _compares_distributions = True
    _is_symmetric = True
    _unit = "unitless"
    _cost_exponent = 1.0

    def distance_unit(self):
        """The unit of the distances this metric returns, for tables and plots.

        Returns
        -------
        unit : str
            ``"pixels"`` (how far light moves, times ``pixel_size`` where the metric
            has one), ``"squared pixels"``, ``"unitless"``, ``"intensity"``...

        Examples
        --------
        >>> from skimgdist import SlicedWasserstein, TotalVariation
        >>> SlicedWasserstein().distance_unit(), TotalVariation().distance_unit()
        ('pixels', 'unitless')
        """
        return self._unit

    def relative_error_bound(self):
        """Largest relative error of the returned distances against the exact quantity.

        ``0.0`` for distances computed exactly (to rounding); an approximation such as
        a grid bound returns its guaranteed factor (``0.013``: at most 1.3 % above).

        Returns
        -------
        bound : float

        Examples
        --------
        >>> from skimgdist import TotalVariation
        >>> TotalVariation().relative_error_bound()
        0.0
        """
        return 0.0

    def cost_exponent(self):
        """How the time per pair grows with the image size: about ``n_pixels ** exponent``.

        A rough model for planning (the command line uses it to say what
        ``--downscale`` would cost); measure for real numbers.

        Returns
        -------
        exponent : float

        Examples
        --------
        >>> from skimgdist import TotalVariation
        >>> TotalVariation().cost_exponent()
        1.0
        """
        return self._cost_exponent
    _parameter_constraints = {"image_shape": IMAGE_SHAPE_CONSTRAINT,
                              "pixel_size": PIXEL_SIZE_CONSTRAINT}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # The shared parameters keep the one declaration above in every metric.
        cls._parameter_constraints = {**cls._parameter_constraints,
                                      **ImageMetric._parameter_constraints}

    def _checks_distribution(self):
        """Whether inputs must be distributions of light (and are scaled to unit mass)."""
        return self._compares_distributions

    def _scales_to_unit_mass(self):
        """Whether validated distributions are scaled to unit mass (default: when checked)."""
        return self._checks_distribution()

    def _pairwise_validated(self, X, Y, image_shape):
        """Distance matrix between validated batches; ``Y=None`` means ``Y = X``.

        Rows are float64, C-contiguous, read-only by convention, and already at
        unit mass when :meth:`_scales_to_unit_mass` is true.  Implementations keep
        their peak memory bounded (chunk when a full matrix of temporaries would be
        large) and return an ndarray of shape ``(len(X), len(Y))``.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must implement _pairwise_validated(X, Y, image_shape)."
        )

    def __call__(self, x, y):
        """Distance between two flattened images (the per-pair route scikit-learn uses).

        Parameters
        ----------
        x, y : array-like of shape (n_pixels,)
            Two images flattened in C order.

        Returns
        -------
        distance : float

        Examples
        --------
        >>> import numpy as np
        >>> from skimgdist import TotalVariation
        >>> TotalVariation()(np.array([1.0, 1.0, 0.0, 0.0]), np.array([0.0, 2.0, 2.0, 0.0]))
        0.5
        """
        X, Y, shape = self._validate_pair(x, y)
        return float(self._pairwise_validated(X, Y, shape)[0, 0])

    def _validate_pair(self, x, y):
        """Validate (and scale to unit mass) two 1-D images; returns one-row ``X, Y, shape``."""
        self._validate_params()
        distribution = self._checks_distribution()
        X, Y, shape = check_image_pair(x, y, image_shape=self.image_shape,
                                       distribution=distribution)
        if distribution and self._scales_to_unit_mass():
            X, Y = to_unit_mass(X), to_unit_mass(Y)
        return X, Y, shape

    def pairwise(self, X, Y=None):
        """Distance matrix between two batches of images (the fast, batched route).

        Gives the same numbers as calling the object on every pair, with work that
        depends on one image alone done once per image.

        Parameters
        ----------
        X : array-like of shape (n_images_X, n_pixels)
            Flattened images, one per row.
        Y : array-like of shape (n_images_Y, n_pixels), default=None
            Second batch; ``None`` compares ``X`` with itself.

        Returns
        -------
        distances : ndarray of shape (n_images_X, n_images_Y)
            ``distances[i, j]`` is the distance from ``X[i]`` to ``Y[j]``.

        Examples
        --------
        >>> import numpy as np
        >>> from skimgdist import TotalVariation
        >>> TotalVariation().pairwise(np.array([[1.0, 1.0, 0.0, 0.0]]),
        ...                           np.array([[0.0, 2.0, 2.0, 0.0], [1.0, 1.0, 0.0, 0.0]]))
        array([[0.5, 0. ]])
        """
        X, Y, shape = self._validate_batches(X, Y)
        return self._pairwise_validated(X, Y, shape)

    def bounding_embedding(self, tolerance=None):
        """An unfitted transformer whose vectors bound this distance, or ``None``.

        A metric that can enclose its distance between bounds computed from
        per-image vectors returns a transformer with ``fit``, ``transform``,
        ``_transform_validated`` (images already validated by this metric) and
        ``embedding_bounds(EX, EY) -> (lower, upper)``.  Nearest-neighbour search
        and ``pairwise_distances(..., tolerance=...)`` then compute exact
        distances only where the bounds cannot decide.  The default offers none.

        Parameters
        ----------
        tolerance : float, default=None
            The relative gap between the bounds the caller hopes for, a hint for
            how fine the embedding should be; ``None`` for the metric's default.

        Returns
        -------
        embedding : transformer or None

        Examples
        --------
        >>> from skimgdist import SlicedWasserstein, TotalVariation
        >>> TotalVariation().bounding_embedding() is None
        True
        >>> SlicedWasserstein(n_projections=8).bounding_embedding()
        SlicedWassersteinEmbedding(n_projections=8)
        """
        return None

    def _validate_batches(self, X, Y=None):
        """Validate (and scale to unit mass) the inputs of ``pairwise``; returns ``X, Y, shape``."""
        self._validate_params()
        distribution = self._checks_distribution()
        X, shape = check_images(X, image_shape=self.image_shape, distribution=distribution,
                                name="X")
        if Y is not None:
            Y, _ = check_images(Y, image_shape=shape, distribution=distribution, name="Y",
                                same_pixels_as=("X", X))
        if distribution and self._scales_to_unit_mass():
            X = to_unit_mass(X)
            Y = None if Y is None else to_unit_mass(Y)
        return X, Y, shape


def function_form_of(metric_class):
    """Mark a plain function as the function form of ``metric_class``.

    The function keeps its own signature and docstring; the mark lets
    :func:`skimgdist.pairwise_distances` and :func:`skimgdist.metrics.get_metric`
    swap it for the batched route of ``metric_class``.

    Parameters
    ----------
    metric_class : type
        The :class:`ImageMetric` subclass the function computes.

    Returns
    -------
    mark : callable
        A decorator that sets ``function.metric_class`` and returns the function.

    Examples
    --------
    >>> from skimgdist.metrics import ImageMetric
    >>> from skimgdist.metrics._base import function_form_of
    >>> class Zero(ImageMetric):
    ...     def __init__(self, *, image_shape=None):
    ...         self.image_shape = image_shape
    >>> @function_form_of(Zero)
    ... def zero(x, y, *, image_shape=None):
    ...     return Zero(image_shape=image_shape)(x, y)
    >>> zero.metric_class is Zero
    True
    """

    def mark(function):
        function.metric_class = metric_class
        return function

    return mark
