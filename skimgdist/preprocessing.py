"""Image preprocessing: downscaling, Gaussian blur and normalisation of flattened images.

Every transform takes rows of flattened grayscale images (C order, see
:mod:`skimgdist._image`) and returns new rows of float64 pixels.  Downscaling and
blurring conserve the total light of each image by default, so the result is
still the same distribution of light, only coarser or smoother; normalising
scales each image to unit mass (or unit maximum, or unit L2 norm).

Each transform exists as a plain function (:func:`downscale`,
:func:`gaussian_blur`, :func:`normalize`) and as a stateless scikit-learn
transformer (:class:`Downscale`, :class:`GaussianBlur`, :class:`Normalize`) for
``Pipeline`` and ``GridSearchCV``.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy import ndimage
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data

from ._config import check_allocation, geometry_cache
from ._image import (
    IMAGE_SHAPE_CONSTRAINT,
    as_images,
    as_real_pixels,
    as_rows,
    check_images,
    image_rows,
)

__all__ = [
    "Downscale",
    "GaussianBlur",
    "Normalize",
    "downscale",
    "gaussian_blur",
    "normalize",
]

_BLUR_MODES = ("reflect", "wrap", "constant", "nearest", "mirror")


def _per_axis(value, name, *, integer=False, minimum=0):
    """Validate a scalar or a ``(row, column)`` pair; return a tuple of two numbers."""
    kind = "integer" if integer else "number"
    values = np.ravel(np.asarray(value, dtype=object))
    valid = values.size in (1, 2) and np.ndim(value) <= 1 and all(
        isinstance(v, Real) and not isinstance(v, bool) and np.isfinite(v) and v >= minimum
        and (not integer or float(v).is_integer())
        for v in values
    )
    if not valid:
        raise ValueError(
            f"{name} must be a finite {kind} >= {minimum} or a pair (row, column) of such "
            f"{kind}s, got {value!r}."
        )
    values = [int(v) if integer else float(v) for v in values]
    return (values[0], values[-1])


# ----------------------------------------------------------------------------- downscale

# Block size when neither factor nor output_shape is given: halve each side.
DEFAULT_FACTOR = 2


def _output_shape(image_shape, factor, output_shape):
    """Resolve the downscaled shape and the per-axis block factors (``None``: area pooling)."""
    if factor is not None and output_shape is not None:
        raise ValueError(
            "Pass at most one of factor (an integer block size, e.g. factor=10) or "
            "output_shape (the target (height, width), e.g. output_shape=(30, 30)); got "
            f"factor={factor!r} and output_shape={output_shape!r}."
        )
    if factor is None and output_shape is None:
        factor = DEFAULT_FACTOR
    if factor is not None:
        blocks = _per_axis(factor, "factor", integer=True, minimum=1)
        shape = tuple(-(-n // f) for n, f in zip(image_shape, blocks, strict=True))
        return shape, blocks
    if np.ndim(output_shape) != 1 or len(output_shape) != 2:
        raise ValueError(
            f"output_shape must be a pair of positive integers (height, width), got "
            f"{output_shape!r}."
        )
    shape = _per_axis(output_shape, "output_shape", integer=True, minimum=1)
    if shape[0] > image_shape[0] or shape[1] > image_shape[1]:
        raise ValueError(
            f"output_shape={shape} is larger than the {image_shape[0]}x{image_shape[1]} "
            f"images along some axis; Downscale only reduces. Pass an output_shape of at most "
            f"{tuple(image_shape)}."
        )
    blocks = tuple(n // m if n % m == 0 else None for n, m in zip(image_shape, shape, strict=True))
    return shape, blocks


@geometry_cache
def _pooling_plan(n_in, n_out, block):
    r"""How one axis of ``n_in`` pixels is summed into ``n_out`` pixels; cached, read-only.

    Returns ``(starts, crossing, moved, areas)``.  Every input pixel first goes whole
    to the output pixel it starts in, which ``np.add.reduceat`` over ``starts`` (the
    first input pixel of each output pixel) sums.  With a ``block`` size ``f`` output
    pixel :math:`k` holds input pixels :math:`[k f, (k + 1) f)` and that is all.

    For area pooling (``block=None``), in units of :math:`1 / n_{out}` input pixels,
    input pixel :math:`i` spans :math:`[i\, n_{out}, (i + 1)\, n_{out})` and output
    pixel :math:`k` spans :math:`[k\, n_{in}, (k + 1)\, n_{in})`.  As
    :math:`n_{out} \le n_{in}`, an input pixel crosses at most one boundary: the
    pixel ``crossing[k - 1]`` that contains boundary :math:`k` then passes the fraction
    ``moved[k - 1]`` of its light (0 when the boundary falls between pixels) from
    output pixel :math:`k - 1` to :math:`k`.  The result equals the product with the
    overlap matrix :math:`A_{ki} = |\text{pixel } i \cap \text{output } k| / n_{out}`,
    whose columns sum to one, at the cost of one pass over the data plus
    ``n_out - 1`` input lines.  ``areas`` is the input area each output pixel covers
    (the divisor of ``reduce="mean"``).
    """
    pixels = np.arange(n_in)
    if block is not None:
        starts = np.arange(0, n_in, block)
        crossing = np.zeros(0, dtype=int)
        moved = np.zeros(0)
        areas = np.diff(np.append(starts, n_in)).astype(float)
    else:
        starts = np.searchsorted(pixels * n_out // n_in, np.arange(n_out))
        boundaries = np.arange(1, n_out) * n_in
        crossing = boundaries // n_out
        moved = ((crossing + 1) * n_out - boundaries) / n_out
        moved[boundaries % n_out == 0] = 0.0
        areas = np.full(n_out, n_in / n_out)
    plan = (starts, crossing, moved, areas)
    for array in plan:
        array.setflags(write=False)
    return plan


def _pool_axis(images, axis, plan):
    """Sum-pool a stack of images along ``axis`` (1: rows, 2: columns) following ``plan``."""
    starts, crossing, moved, _ = plan
    if len(starts) == images.shape[axis]:
        return images
    pooled = np.add.reduceat(images, starts, axis=axis)
    if crossing.size:
        along = [1, 1, 1]
        along[axis] = -1
        part = np.take(images, crossing, axis=axis) * moved.reshape(along)
        below, above = [slice(None)] * 3, [slice(None)] * 3
        below[axis], above[axis] = slice(None, -1), slice(1, None)
        pooled[tuple(below)] -= part
        pooled[tuple(above)] += part
    return pooled


def _downscale_validated(X, image_shape, output_shape, blocks, reduce):
    row_plan, column_plan = (_pooling_plan(n, m, f)
                             for n, m, f in zip(image_shape, output_shape, blocks, strict=True))
    # Columns first: the contiguous axis, and pooling it shrinks what the rows pass reads.
    with np.errstate(over="ignore"):
        images = _pool_axis(_pool_axis(as_images(X, image_shape), 2, column_plan), 1, row_plan)
    _check_no_overflow(images, X, "Summing pixels")
    if reduce == "mean":
        images = images / np.multiply.outer(row_plan[-1], column_plan[-1])
    elif np.may_share_memory(images, X):  # factor=1 pools nothing: still return a new array
        images = images.copy()
    return as_rows(images)


@validate_params(
    {
        "X": ["array-like"],
        "image_shape": IMAGE_SHAPE_CONSTRAINT,
        "factor": [Interval(Integral, 1, None, closed="left"), tuple, list, None],
        "output_shape": [tuple, list, None],
        "reduce": [StrOptions({"sum", "mean"})],
    },
    prefer_skip_nested_validation=True,
)
def downscale(X, *, image_shape=None, factor=None, output_shape=None, reduce="sum"):
    r"""Downscale flattened images by summing the light of the pixels each output pixel covers.

    This is the "adding grayscales together" downscaling that keeps an image a
    distribution of light: with ``reduce="sum"`` the total mass of every image is
    conserved (to rounding).  Pass at most one of ``factor`` or ``output_shape``
    (neither: ``factor=2``).

    - ``factor=f`` pools blocks of :math:`f \times f` input pixels (or
      :math:`f_r \times f_c`).  The output has :math:`\lceil h / f_r \rceil \times
      \lceil w / f_c \rceil` pixels; when ``f`` does not divide the size, the last
      block along that axis is partial (a 299-pixel axis with ``factor=10`` gives 29
      blocks of 10 pixels and a last block of 9), exactly like
      :func:`skimage.measure.block_reduce` with ``func=np.sum``.  Every output pixel
      but the last is ``f`` input pixels wide.
    - ``output_shape=(h', w')`` pools by exact area weighting: along the rows, output
      pixel :math:`k` covers the input interval :math:`[k h / h', (k + 1) h / h')`, and
      an input pixel straddling a boundary gives each output pixel the fraction of its
      area that falls inside, so 299x299 -> 30x30 spreads every input pixel over at
      most 2x2 output pixels and every output pixel covers :math:`299/30` input
      pixels per axis.  With separable overlap matrices :math:`A \in
      \mathbb{R}^{h' \times h}` and :math:`B \in \mathbb{R}^{w' \times w}` whose
      columns sum to one,

      .. math:: V = A\, U\, B^\top, \qquad \sum_{kl} V_{kl} = \sum_{ij} U_{ij}.

      When ``h'`` divides ``h`` this is block pooling with ``factor = h / h'``.

    With ``reduce="mean"`` each output pixel is divided by the input area it
    covers (the number of pixels in its block, or :math:`(h/h')(w/w')`), so a
    constant image stays constant; unlike :func:`skimage.transform.downscale_local_mean`,
    partial border blocks are not diluted by padding zeros.

    Parameters
    ----------
    X : array-like of shape (n_images, height * width)
        Flattened images, one per row, in C order.  Any finite values.
    image_shape : tuple of two int, default=None
        ``(height, width)`` of the images; inferred as square when ``None``.
    factor : int or pair of int, default=None
        Block size in pixels, the same along both axes or ``(row, column)``.
    output_shape : tuple of two int, default=None
        Target ``(height, width)``, at most the image shape along each axis.
    reduce : {"sum", "mean"}, default="sum"
        Sum the light of each block (mass-conserving) or average it.

    Returns
    -------
    X_small : ndarray of shape (n_images, out_height * out_width), float64
        A new array of downscaled flattened images, in C order.

    Raises
    ------
    ValueError
        If ``X`` is not a 2-D array of finite numbers, its rows do not fold to
        ``image_shape``, neither or both of ``factor`` and ``output_shape`` are given,
        or ``output_shape`` is larger than the images.

    See Also
    --------
    Downscale : The same transform as a scikit-learn transformer; exposes ``output_shape_``.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist.preprocessing import downscale
    >>> X = np.arange(16.0).reshape(1, 16)          # one 4x4 image
    >>> downscale(X, factor=2)
    array([[10., 18., 42., 50.]])
    >>> small = downscale(np.ones((1, 9)), output_shape=(2, 2))   # 3x3 -> 2x2
    >>> small
    array([[2.25, 2.25, 2.25, 2.25]])
    >>> print(small.sum())                          # the mass of the 3x3 image
    9.0
    """
    X, shape = check_images(X, image_shape=image_shape, distribution=False)
    out_shape, blocks = _output_shape(shape, factor, output_shape)
    return _downscale_validated(X, shape, out_shape, blocks, reduce)


# ----------------------------------------------------------------------------- blur


@validate_params(
    {
        "X": ["array-like"],
        "sigma": [Interval(Real, 0, None, closed="left"), "array-like"],
        "image_shape": IMAGE_SHAPE_CONSTRAINT,
        "mode": [StrOptions(set(_BLUR_MODES))],
        "truncate": [Interval(Real, 0, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def gaussian_blur(X, sigma, *, image_shape=None, mode="reflect", truncate=4.0):
    r"""Blur every flattened image with a Gaussian kernel, conserving its light by default.

    Each image :math:`u` (a row of ``X`` folded to ``image_shape``) is convolved with
    the separable, sampled and normalised Gaussian kernel

    .. math::

        (G_\sigma * u)_{ij} = \sum_{k, l} g_{\sigma_r}(k)\, g_{\sigma_c}(l)\,
        \tilde u_{i - k,\, j - l}, \qquad
        g_s(k) = \frac{e^{-k^2 / (2 s^2)}}{\sum_{|m| \le r} e^{-m^2 / (2 s^2)}},
        \quad |k| \le r = \lfloor \mathrm{truncate} \cdot s + 1/2 \rfloor,

    where :math:`\tilde u` extends the image beyond its border according to ``mode``.
    With the default half-sample symmetric extension (``mode="reflect"``) and with
    ``mode="wrap"``, the total mass :math:`\sum_{ij} u_{ij}` is conserved exactly (to
    rounding) for every sigma: light that the kernel spreads past a border is folded
    back in.  The other modes do not conserve it (see ``mode``).

    Blurring before a pixel-wise comparison turns it into a comparison of kernel
    density estimates: the squared L2 distance of blurred images estimates
    :math:`\int (p - q)^2`.

    Parameters
    ----------
    X : array-like of shape (n_images, height * width)
        Flattened images, one per row, in C order.  Any finite values (negative
        pixels are blurred like any other).
    sigma : float or pair of float
        Standard deviation of the kernel in pixels, the same along both axes or
        ``(row_sigma, column_sigma)``.  ``0`` leaves that axis unchanged.
    image_shape : tuple of two int, default=None
        ``(height, width)`` of the images; inferred as square when ``None``.
    mode : {"reflect", "wrap", "constant", "nearest", "mirror"}, default="reflect"
        How the image is extended beyond its border (the meanings of
        :func:`scipy.ndimage.gaussian_filter`):

        - ``"reflect"`` (``d c b a | a b c d | d c b a``): mass-conserving.
        - ``"wrap"`` (periodic): mass-conserving, light leaving one side enters the
          opposite one.
        - ``"constant"`` (zeros outside): light blurred past the border is lost.
        - ``"nearest"`` and ``"mirror"``: border pixels are counted more or less
          often than others, so the mass changes slightly near borders.
    truncate : float, default=4.0
        Cut the kernel off at this many standard deviations.

    Returns
    -------
    X_blurred : ndarray of shape (n_images, height * width), float64
        A new array of blurred flattened images.

    Raises
    ------
    ValueError
        If ``X`` is not a 2-D array of finite numbers, its rows do not fold to
        ``image_shape``, or ``sigma`` is not one or two non-negative numbers.

    See Also
    --------
    GaussianBlur : The same transform as a scikit-learn transformer.
    scipy.ndimage.gaussian_filter : Blurs one n-dimensional array.

    References
    ----------
    .. [1] "Calculate Earth Mover's Distance for two grayscale images", Cross Validated,
       question 404775, answer 404915 (2019): blurring before an L2 comparison estimates
       the L2 distance between kernel density estimates.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist.preprocessing import gaussian_blur
    >>> X = np.zeros((1, 25))
    >>> X[0, 0] = 1.0                       # all light in the top-left corner of a 5x5 image
    >>> blurred = gaussian_blur(X, sigma=1.0)
    >>> blurred.shape
    (1, 25)
    >>> print(round(blurred.sum(), 12))     # light spread past the corner is reflected back
    1.0
    >>> print(np.round(blurred.reshape(5, 5)[:2, :2], 3))
    [[0.411 0.19 ]
     [0.19  0.088]]
    """
    X, shape = check_images(X, image_shape=image_shape, distribution=False)
    row_sigma, column_sigma = _per_axis(sigma, "sigma")
    taps = sum(2 * int(float(truncate) * s + 0.5) + 1 for s in (row_sigma, column_sigma))
    check_allocation(
        8 * taps, f"the blur kernels for sigma={(row_sigma, column_sigma)} and "
                  f"truncate={truncate:g} ({taps:.3g} taps)",
        "Use a smaller sigma: beyond the image size the blur only spreads the light "
        "almost uniformly.")
    with np.errstate(over="ignore", invalid="ignore"):
        images = ndimage.gaussian_filter(
            as_images(X, shape), sigma=(0.0, row_sigma, column_sigma), mode=mode,
            truncate=float(truncate),
        )
    _check_no_overflow(images, X, "Blurring")
    return as_rows(images)


def _check_no_overflow(result, X, operation):
    """Refuse a result that overflowed float64 (inputs are finite, so any inf is overflow)."""
    if not np.isfinite(result).all():
        raise ValueError(
            f"{operation} overflows float64: pixels reach {np.abs(X).max():.3g}, too close to "
            f"the largest double ({np.finfo(float).max:.3g}). Scale the images down first, "
            f"for example X / X.max().")


# ----------------------------------------------------------------------------- normalize


def _checked_peaks(X, image_shape, zero_mass):
    """Row maxima of finite images, after rejecting negative pixels and (unless allowed)
    all-zero images with the messages of :func:`check_images`."""
    peaks = X.max(axis=1, keepdims=True)
    if (X < 0).any() or (zero_mass == "error" and (peaks <= 0).any()):
        check_images(X, image_shape=image_shape)  # raises, naming the row and the fix
    return peaks


_NORMS = ("l1", "max", "l2")


@validate_params(
    {
        "X": ["array-like"],
        "image_shape": IMAGE_SHAPE_CONSTRAINT,
        "norm": [StrOptions(set(_NORMS))],
        "clip_negative": ["boolean"],
        "zero_mass": [StrOptions({"error", "uniform"})],
    },
    prefer_skip_nested_validation=True,
)
def normalize(X, *, image_shape=None, norm="l1", clip_negative=False, zero_mass="error"):
    r"""Scale every flattened image to unit mass (or unit maximum, or unit L2 norm).

    For a non-negative image :math:`u` the result is :math:`u / \|u\|` with

    .. math::

        \|u\|_{\mathrm{l1}} = \sum_{ij} u_{ij}, \qquad
        \|u\|_{\mathrm{max}} = \max_{ij} u_{ij}, \qquad
        \|u\|_{\mathrm{l2}} = \Big(\sum_{ij} u_{ij}^2\Big)^{1/2}.

    With the default ``norm="l1"`` each image becomes a probability distribution
    over its pixels, which is how every distribution metric of skimgdist sees it.
    The division is done after scaling by the row maximum, so very large or very
    small pixel values neither overflow nor underflow.

    Parameters
    ----------
    X : array-like of shape (n_images, height * width)
        Flattened images, one per row, in C order.
    image_shape : tuple of two int, default=None
        ``(height, width)`` of the images (used to validate the rows and to name
        offending pixels in errors); inferred as square when ``None``.
    norm : {"l1", "max", "l2"}, default="l1"
        The norm each image is scaled to one in.
    clip_negative : bool, default=False
        Negative pixels raise a ``ValueError`` by default (light cannot be
        negative); with ``True`` they are set to 0 first.
    zero_mass : {"error", "uniform"}, default="error"
        What to do with an image whose pixels are all 0 (after clipping): raise a
        ``ValueError``, or return the uniform image of unit norm (every pixel
        :math:`1/n` for ``"l1"``, 1 for ``"max"``, :math:`1/\sqrt{n}` for ``"l2"``).

    Returns
    -------
    X_normalized : ndarray of shape (n_images, height * width), float64
        A new array of normalised flattened images.

    Raises
    ------
    ValueError
        If ``X`` is not a 2-D array of finite numbers or its rows do not fold to
        ``image_shape``; on a negative pixel unless ``clip_negative=True``; on an
        all-zero image unless ``zero_mass="uniform"``.  Messages name the row.

    See Also
    --------
    Normalize : The same transform as a scikit-learn transformer.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist.preprocessing import normalize
    >>> normalize(np.array([[1.0, 3.0, 0.0, 4.0]]))
    array([[0.125, 0.375, 0.   , 0.5  ]])
    >>> normalize(np.array([[-1.0, 3.0, 0.0, 1.0]]), norm="max", clip_negative=True)
    array([[0.        , 1.        , 0.        , 0.33333333]])
    >>> normalize(np.zeros((1, 4)), zero_mass="uniform")
    array([[0.25, 0.25, 0.25, 0.25]])
    """
    X, shape = check_images(X, image_shape=image_shape, distribution=False)
    if clip_negative:
        X = np.maximum(X, 0.0)
    peaks = _checked_peaks(X, shape, zero_mass)
    empty = peaks[:, 0] <= 0
    scaled = X / np.where(empty[:, np.newaxis], 1.0, peaks)
    if norm == "l1":
        norms = scaled.sum(axis=1, keepdims=True)
    elif norm == "l2":
        norms = np.sqrt(np.einsum("ij,ij->i", scaled, scaled))[:, np.newaxis]
    else:
        norms = np.ones_like(peaks)
    scaled /= np.where(empty[:, np.newaxis], 1.0, norms)
    if empty.any():
        uniform = {"l1": 1.0 / X.shape[1], "max": 1.0, "l2": X.shape[1] ** -0.5}[norm]
        scaled[empty] = uniform
    return scaled


# ----------------------------------------------------------------------------- transformers


def _pixel_names(image_shape):
    height, width = image_shape
    return np.asarray(
        [f"pixel_{r}_{c}" for r in range(height) for c in range(width)], dtype=object
    )


class _ImageTransformer(TransformerMixin, BaseEstimator):
    """Shared fit/transform plumbing of the stateless image transformers.

    ``fit`` only records the shapes (``n_features_in_``, ``image_shape_``,
    ``output_shape_``) so the next pipeline step and ``get_feature_names_out`` can
    use them; ``transform`` works without ``fit``.  Subclasses implement
    ``_transform(X, image_shape)`` (``X`` flattened and validated by
    ``validate_data`` only; the function forms do the image checks) and, when the
    shape changes or ``fit`` must reject more than non-finite pixels,
    ``_fit_output_shape(X, image_shape)``.
    """

    def _fit_output_shape(self, X, image_shape):
        return image_shape

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the image and output shapes; nothing is learned from the pixel values.

        Parameters
        ----------
        X : array-like of shape (n_images, height * width) or (n_images, height, width)
            Flattened images, one per row, in C order, or a stack of images (its
            shape is then the image shape).
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            The transformer, with ``n_features_in_``, ``image_shape_`` and
            ``output_shape_`` set.
        """
        X, image_shape = image_rows(X, self.image_shape)
        as_real_pixels(X)
        X = validate_data(self, X, reset=True, dtype=np.float64, ensure_all_finite=False)
        _, self.image_shape_ = check_images(X, image_shape=image_shape, distribution=False)
        self.output_shape_ = self._fit_output_shape(X, self.image_shape_)
        return self

    def transform(self, X):
        """Transform a batch of flattened images (fitting first is optional).

        Parameters
        ----------
        X : array-like of shape (n_images, height * width) or (n_images, height, width)
            Flattened images, one per row, in C order, or a stack of images.

        Returns
        -------
        X_new : ndarray of shape (n_images, n_output_pixels), float64
            A new array of transformed flattened images (also for a stack).
        """
        self._validate_params()
        X, image_shape = image_rows(X, getattr(self, "image_shape_", self.image_shape))
        as_real_pixels(X)
        X = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite=False)
        return self._transform(X, image_shape)

    def get_feature_names_out(self, input_features=None):
        """Names of the output pixels: ``"pixel_<row>_<column>"`` of the output image.

        Transformers that keep the image shape pass input feature names through when
        there are any (``input_features`` or the column names seen in ``fit``).

        Parameters
        ----------
        input_features : array-like of str, default=None
            Input pixel names; must match ``feature_names_in_`` when that is set.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "n_features_in_")
        names = _check_feature_names_in(self, input_features, generate_names=False)
        if names is not None and self.output_shape_ == self.image_shape_:
            return names
        return _pixel_names(self.output_shape_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags


class Downscale(_ImageTransformer):
    r"""Downscale flattened images by summing light over blocks or exact pixel areas.

    The transformer form of :func:`downscale`: mass-conserving sum pooling by an
    integer ``factor`` or to an ``output_shape`` of any size, including sizes that
    do not divide the image (299x299 -> 30x30 by exact area-weighted pooling).
    The output is again rows of flattened images, so distances computed after it
    compare the coarse images; with ``reduce="sum"`` each image keeps its total
    light.

    Parameters
    ----------
    factor : int or pair of int, default=None
        Block size in pixels (``(row, column)`` for a pair).  When it does not divide
        the image size, the last block along that axis is partial and the output has
        :math:`\lceil h / f \rceil` pixels (see :func:`downscale`).  With neither
        ``factor`` nor ``output_shape``: 2.
    output_shape : tuple of two int, default=None
        Target ``(height, width)``; pooled by exact area weighting when it does not
        divide the image shape.  Pass at most one of ``factor`` and ``output_shape``.
    reduce : {"sum", "mean"}, default="sum"
        Sum the light of each block (mass-conserving) or average it over the area
        the output pixel covers.
    image_shape : tuple of two int, default=None
        ``(height, width)`` of the input images; inferred as square when ``None``.

    Attributes
    ----------
    n_features_in_ : int
        Pixels per input image.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen in ``fit``, when ``X`` had string column names.
    image_shape_ : tuple of two int
        The resolved input ``(height, width)``.
    output_shape_ : tuple of two int
        The ``(height, width)`` of the output images, for the next pipeline step.

    See Also
    --------
    downscale : The function form.
    GaussianBlur : Blur that keeps the resolution.

    Notes
    -----
    The transformer is stateless: ``fit`` only records shapes, and ``transform``
    works without it.  A following :class:`GaussianBlur` or :class:`Normalize`
    infers the output shape when it is square; for non-square outputs pass it to
    them as ``image_shape`` (it is ``output_shape_`` after ``fit``).

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import Downscale
    >>> X = np.random.default_rng(0).random((5, 299 * 299))
    >>> down = Downscale(output_shape=(30, 30)).fit(X)
    >>> down.output_shape_
    (30, 30)
    >>> X_small = down.transform(X)
    >>> X_small.shape
    (5, 900)
    >>> bool(np.allclose(X_small.sum(axis=1), X.sum(axis=1)))
    True
    """

    _parameter_constraints: dict = {
        "factor": [Interval(Integral, 1, None, closed="left"), tuple, list, None],
        "output_shape": [tuple, list, None],
        "reduce": [StrOptions({"sum", "mean"})],
        "image_shape": IMAGE_SHAPE_CONSTRAINT,
    }

    def __init__(self, *, factor=None, output_shape=None, reduce="sum", image_shape=None):
        self.factor = factor
        self.output_shape = output_shape
        self.reduce = reduce
        self.image_shape = image_shape

    def _fit_output_shape(self, X, image_shape):
        return _output_shape(image_shape, self.factor, self.output_shape)[0]

    def _transform(self, X, image_shape):
        return downscale(X, image_shape=image_shape, factor=self.factor,
                         output_shape=self.output_shape, reduce=self.reduce)


class GaussianBlur(_ImageTransformer):
    r"""Blur flattened images with a Gaussian kernel, conserving their light by default.

    The transformer form of :func:`gaussian_blur`; ``sigma`` is in pixels, the same
    along both axes or ``(row, column)``.  With the default ``mode="reflect"`` light
    blurred past a border is folded back, so every image keeps its total mass.  A
    pixel-wise distance (L2, total variation, KL) after the blur compares kernel
    density estimates and becomes tolerant to small shifts.

    Parameters
    ----------
    sigma : float or pair of float, default=1.0
        Standard deviation of the kernel in pixels; ``0`` leaves an axis unchanged.
    mode : {"reflect", "wrap", "constant", "nearest", "mirror"}, default="reflect"
        Boundary extension (see :func:`gaussian_blur`); ``"reflect"`` and ``"wrap"``
        conserve mass exactly, ``"constant"`` loses what is blurred past the border.
    truncate : float, default=4.0
        Cut the kernel off at this many standard deviations.
    image_shape : tuple of two int, default=None
        ``(height, width)`` of the images; inferred as square when ``None``.

    Attributes
    ----------
    n_features_in_ : int
        Pixels per image.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen in ``fit``, when ``X`` had string column names.
    image_shape_ : tuple of two int
        The resolved ``(height, width)``.
    output_shape_ : tuple of two int
        Equal to ``image_shape_`` (blurring keeps the resolution).

    See Also
    --------
    gaussian_blur : The function form.
    scipy.ndimage.gaussian_filter : The filter applied to each image.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from skimgdist import Downscale, GaussianBlur, Normalize
    >>> X = np.random.default_rng(0).random((4, 64 * 64))
    >>> pipe = make_pipeline(Downscale(factor=4), GaussianBlur(sigma=1.5), Normalize())
    >>> X_ready = pipe.fit_transform(X)      # 64x64 -> 16x16, shapes inferred
    >>> X_ready.shape
    (4, 256)
    >>> print(np.round(X_ready.sum(axis=1), 6))
    [1. 1. 1. 1.]
    """

    _parameter_constraints: dict = {
        "sigma": [Interval(Real, 0, None, closed="left"), "array-like"],
        "mode": [StrOptions(set(_BLUR_MODES))],
        "truncate": [Interval(Real, 0, None, closed="neither")],
        "image_shape": IMAGE_SHAPE_CONSTRAINT,
    }

    def __init__(self, *, sigma=1.0, mode="reflect", truncate=4.0, image_shape=None):
        self.sigma = sigma
        self.mode = mode
        self.truncate = truncate
        self.image_shape = image_shape

    def _fit_output_shape(self, X, image_shape):
        _per_axis(self.sigma, "sigma")
        return image_shape

    def _transform(self, X, image_shape):
        return gaussian_blur(X, self.sigma, image_shape=image_shape, mode=self.mode,
                             truncate=self.truncate)


class Normalize(_ImageTransformer):
    r"""Scale flattened images to unit mass (default), unit maximum or unit L2 norm.

    The transformer form of :func:`normalize`.  Distribution metrics normalise
    their inputs anyway; this step makes the normalisation explicit in a pipeline,
    and its options repair inputs those metrics reject: ``clip_negative=True``
    sets negative pixels to 0, ``zero_mass="uniform"`` maps an all-zero image to
    the uniform image.

    Parameters
    ----------
    norm : {"l1", "max", "l2"}, default="l1"
        The norm each image is scaled to one in.
    clip_negative : bool, default=False
        Set negative pixels to 0 instead of raising a ``ValueError``.
    zero_mass : {"error", "uniform"}, default="error"
        Raise on an all-zero image, or map it to the uniform image of unit norm.
    image_shape : tuple of two int, default=None
        ``(height, width)`` of the images; inferred as square when ``None``.

    Attributes
    ----------
    n_features_in_ : int
        Pixels per image.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen in ``fit``, when ``X`` had string column names.
    image_shape_ : tuple of two int
        The resolved ``(height, width)``.
    output_shape_ : tuple of two int
        Equal to ``image_shape_``.

    See Also
    --------
    normalize : The function form.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import Normalize
    >>> X = np.array([[0.0, 1.0, 1.0, 2.0], [-1.0, 0.0, 0.0, 0.0]])
    >>> Normalize(clip_negative=True, zero_mass="uniform").fit_transform(X)
    array([[0.  , 0.25, 0.25, 0.5 ],
           [0.25, 0.25, 0.25, 0.25]])
    """

    _parameter_constraints: dict = {
        "norm": [StrOptions(set(_NORMS))],
        "clip_negative": ["boolean"],
        "zero_mass": [StrOptions({"error", "uniform"})],
        "image_shape": IMAGE_SHAPE_CONSTRAINT,
    }

    def __init__(self, *, norm="l1", clip_negative=False, zero_mass="error", image_shape=None):
        self.norm = norm
        self.clip_negative = clip_negative
        self.zero_mass = zero_mass
        self.image_shape = image_shape

    def _fit_output_shape(self, X, image_shape):
        # The positive_only tag promises that fit rejects negative pixels; all-zero
        # images are a per-image matter left to transform.
        if not self.clip_negative and (X < 0).any():
            check_images(X, image_shape=image_shape)  # raises, naming the row and the fix
        return image_shape

    def _transform(self, X, image_shape):
        return normalize(X, image_shape=image_shape, norm=self.norm,
                         clip_negative=self.clip_negative, zero_mass=self.zero_mass)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = not self.clip_negative
        return tags
