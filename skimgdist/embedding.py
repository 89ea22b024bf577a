r"""Sliced-Wasserstein embedding: images as vectors whose distances enclose ``SW_p``.

:class:`SlicedWassersteinEmbedding` maps each image to a vector built from its
projected quantile functions (``p=2``) or gap-weighted CDFs (``p=1``), for the
same directions as :class:`~skimgdist.SlicedWasserstein`:

- ``p=2``: the Euclidean distance between embeddings is a certified **lower
  bound** of the exact :math:`SW_2`, and :meth:`SlicedWassersteinEmbedding.bounds`
  returns a certified **upper bound** too; the gap closes as ``n_quantiles`` grows
  (about as ``1 / n_quantiles**2`` on smooth images);
- ``p=1``: the city-block (L1) distance between embeddings **is** :math:`SW_1`.

Any Euclidean tool (``KMeans``, ``PCA``, ``SVC`` with an RBF kernel, vector
nearest-neighbour search) then works on images at vector speed.  The derivation
is in :mod:`skimgdist.metrics._sliced_features` and ``docs/embedding.md``.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._image import check_images, image_rows, to_unit_mass
from .metrics._sliced import _directions
from .metrics._sliced_features import SlicedFeatures

__all__ = ["SlicedWassersteinEmbedding"]


class SlicedWassersteinEmbedding(ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                                 BaseEstimator):
    r"""Embed images so that vector distances enclose the sliced Wasserstein distance.

    For every direction :math:`\theta_l` (the same as
    ``SlicedWasserstein(n_projections=..., projections=...)``) the projected
    image has a quantile function :math:`Q^l` on :math:`[0, 1]`, and
    :math:`SW_2^2(a, b) = \frac1L \sum_l \lVert Q_a^l - Q_b^l \rVert^2`.

    With ``p=2`` an image becomes, per direction, the least-squares line of
    :math:`Q^l` on each of ``n_quantiles`` equal-mass bins :math:`(j/M, (j+1)/M]`
    (its mean and slope, as coefficients in an orthonormal basis), followed by
    the residual norms :math:`r^l = \lVert Q^l - P Q^l \rVert` (scaled by
    :math:`1/\sqrt{L}`), where :math:`P` is that piecewise-linear least-squares
    fit.  Because :math:`P` is an orthogonal projection,

    .. math::

        \lVert e(a) - e(b) \rVert^2
        = \frac1L \sum_l \big(\lVert P Q_a^l - P Q_b^l \rVert^2 + (r_a^l - r_b^l)^2\big)
        \le SW_2^2(a, b)
        \le \frac1L \sum_l \big(\lVert P Q_a^l - P Q_b^l \rVert^2 + (r_a^l + r_b^l)^2\big),

    so the Euclidean distance between embeddings is a lower bound, and the upper
    bound costs one more matrix product (:meth:`bounds`).  The relative gap shrinks
    about as ``1 / n_quantiles**2`` on smooth images (heatmaps), more slowly on
    images whose light sits on few pixels (their quantile functions jump).

    With ``p=1`` an image becomes its CDFs along each direction at the sorted
    projected pixel centres, times the gaps to the next centre, over :math:`L`:
    the city-block distance between embeddings equals :math:`SW_1` exactly
    (``n_quantiles`` is unused and :meth:`bounds` returns it twice, within rounding).

    Parameters
    ----------
    n_projections : int, default=None
        Number of directions (50 when ``None``), as in :class:`~skimgdist.SlicedWasserstein`.
    n_quantiles : int, default=64
        Number of equal-mass bins ``M`` per direction (``p=2``).  The embedding has
        ``n_projections * (2 * n_quantiles + 1)`` columns.
    p : {1, 2}, default=2
        Order of the sliced Wasserstein distance.
    projections : {"equispaced", "random"} or array-like of shape (n_projections, 2)
        Directions, as in :class:`~skimgdist.SlicedWasserstein`.
    random_state : int, default=None
        Seed for ``projections="random"``.
    image_shape : tuple of two int, default=None
        ``(height, width)``; square when ``None``.
    pixel_size : float or pair of float, default=1.0
        Physical pixel size; distances are in these units.
    dtype : {"float64", "float32"}, default="float64"
        Type of the embedding.  ``"float32"`` halves the memory of a large gallery;
        :meth:`bounds` stays certified (it widens by the float32 rounding).

    Attributes
    ----------
    image_shape_ : tuple of two int
        The resolved ``(height, width)``.
    directions_ : ndarray of shape (n_projections, 2)
        The (row, column) unit vectors used.
    n_features_in_ : int
        Number of pixels per image.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen in ``fit``, when ``X`` has string column names.

    See Also
    --------
    skimgdist.SlicedWasserstein : the exact distance these vectors enclose.
    skimgdist.pairwise_distances : ``tolerance=`` uses these bounds for certified matrices.

    Notes
    -----
    **Rounding.**  The bounds must hold for the numbers computed, not only in exact
    arithmetic.  :meth:`bounds` widens them by a relative ``1e-9`` (rounding of the
    float64 features and of the exact merge), by ``1e-9`` times the largest
    projected pixel position, by twice the storage type's machine epsilon times
    the embedding norms (float32 rounding moves each vector by at most that) and
    by the textbook bound on the rounding of the float64 matrix products.

    References
    ----------
    .. [1] Kolouri, S., Park, S. R. and Rohde, G. K. (2016). The Radon cumulative
       distribution transform and its application to image classification.
       IEEE Trans. Image Process. 25(2), 920-934.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import SlicedWasserstein, SlicedWassersteinEmbedding
    >>> a = np.zeros((8, 8)); a[2, 2] = 1; a[5, 6] = 1
    >>> b = np.zeros((8, 8)); b[2, 5] = 1; b[4, 1] = 3
    >>> X = np.stack([a.ravel(), b.ravel()])
    >>> embedding = SlicedWassersteinEmbedding(n_projections=16, n_quantiles=8).fit(X)
    >>> embedding.transform(X).shape
    (2, 272)
    >>> lower, upper = embedding.bounds(X[:1], X[1:])
    >>> exact = SlicedWasserstein(n_projections=16).pairwise(X[:1], X[1:])
    >>> bool(lower[0, 0] <= exact[0, 0] <= upper[0, 0])
    True
    """

    _parameter_constraints = {
        "n_projections": [Interval(Integral, 1, None, closed="left"), None],
        "n_quantiles": [Interval(Integral, 1, None, closed="left")],
        "p": [Interval(Real, 1, 2, closed="both")],
        "projections": [StrOptions({"equispaced", "random"}), "array-like"],
        "random_state": [Interval(Integral, 0, 2**32 - 1, closed="both"), None],
        "image_shape": [tuple, None],
        "pixel_size": [Interval(Real, 0, None, closed="neither"), "array-like"],
        "dtype": [StrOptions({"float32", "float64"}), type],
    }

    def __init__(self, n_projections=None, n_quantiles=64, p=2, projections="equispaced",
                 random_state=None, image_shape=None, pixel_size=1.0, dtype="float64"):
        self.n_projections = n_projections
        self.n_quantiles = n_quantiles
        self.p = p
        self.projections = projections
        self.random_state = random_state
        self.image_shape = image_shape
        self.pixel_size = pixel_size
        self.dtype = dtype

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Resolve the image shape and directions (and cache the geometry).

        Parameters
        ----------
        X : array-like of shape (n_images, n_pixels) or (n_images, height, width)
            Images, one flattened image per row.
        y : None
            Ignored.

        Returns
        -------
        self : SlicedWassersteinEmbedding
        """
        if self.p not in (1, 2):
            raise ValueError(
                f"SlicedWassersteinEmbedding supports p=1 (exact L1 embedding) and p=2 "
                f"(certified bounds); got p={self.p!r}."
            )
        dtype = np.dtype(self.dtype)
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64; got {self.dtype!r}.")
        X, image_shape = image_rows(X, self.image_shape)
        X = validate_data(self, X, dtype=np.float64, ensure_all_finite=False)
        _, self.image_shape_ = check_images(X, image_shape=image_shape)
        self.directions_ = _directions(self.projections, self.n_projections, self.random_state)
        self._features = SlicedFeatures(self.image_shape_, self.directions_, self.pixel_size,
                                        self.p, self.n_quantiles, dtype)
        self._n_features_out = self._features.n_features
        return self

    def _validated(self, X):
        check_is_fitted(self)
        X, _ = image_rows(X, self.image_shape_)
        X = validate_data(self, X, dtype=np.float64, reset=False, ensure_all_finite=False)
        X, _ = check_images(X, image_shape=self.image_shape_)
        return to_unit_mass(X)

    def transform(self, X):
        """Embed images.

        Parameters
        ----------
        X : array-like of shape (n_images, n_pixels) or (n_images, height, width)
            Non-negative images of the fitted shape (each scaled to unit mass).

        Returns
        -------
        embedding : ndarray of shape (n_images, n_features_out)
            ``n_projections * (2 * n_quantiles + 1)`` columns for ``p=2``; one column
            per distinct projected pixel position and direction for ``p=1``.
        """
        return self._transform_validated(self._validated(X))

    def _transform_validated(self, X):
        """Embedding of images that are already validated and at unit mass."""
        return self._features.transform(X)

    def bounds(self, X, Y=None):
        """Certified lower and upper bounds of the exact distance of every pair.

        Parameters
        ----------
        X : array-like of shape (n_images_X, n_pixels)
            Images.
        Y : array-like of shape (n_images_Y, n_pixels), default=None
            Second batch; ``None`` compares ``X`` with itself.

        Returns
        -------
        lower, upper : ndarray of shape (n_images_X, n_images_Y)
            ``lower <= SlicedWasserstein(...).pairwise(X, Y) <= upper`` entrywise,
            for the same directions, ``p`` and pixel size.
        """
        EX = self.transform(X)
        return self.embedding_bounds(EX, EX if Y is None else self.transform(Y))

    def embedding_bounds(self, EX, EY):
        """:meth:`bounds` from embeddings already computed by :meth:`transform`.

        Parameters
        ----------
        EX : ndarray of shape (n_images_X, n_features_out)
        EY : ndarray of shape (n_images_Y, n_features_out)

        Returns
        -------
        lower, upper : ndarray of shape (n_images_X, n_images_Y)
        """
        check_is_fitted(self)
        return self._features.bounds(EX, EY)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.transformer_tags.preserves_dtype = (
            ["float64"] if np.dtype(self.dtype) == np.float64 else [])
        return tags
