"""Image conventions shared by every part of skimgdist.

A row of ``X`` is one grayscale image flattened in C (row-major) order, and
``image_shape=(height, width)`` says how to fold it back.  Pixel centres sit at
integer coordinates ``(row, column)`` in pixel units, optionally scaled by
``pixel_size``, so a transport distance of 3.0 means "the light moved three
pixels on average".

Everything here is a small pure function: shape resolution, folding, pixel
coordinates, and the one validation entry point for "images as distributions",
whose error messages name the offending row and say how to fix it.  Nothing in
this module writes into the arrays it is given.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
from scipy.sparse import issparse
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval

from ._config import geometry_cache

__all__ = [
    "PixelTypeError",
    "as_images",
    "as_real_pixels",
    "as_rows",
    "check_image_pair",
    "check_images",
    "check_pixel_size",
    "check_same_pixels",
    "image_rows",
    "pixel_coordinates",
    "resolve_image_shape",
    "to_unit_mass",
]


# Parameter constraints (scikit-learn's _param_validation) of the parameters every
# image function and estimator shares; declared here once.
IMAGE_SHAPE_CONSTRAINT = [tuple, list, None]
PIXEL_SIZE_CONSTRAINT = [Interval(Real, 0, None, closed="neither"), "array-like"]


def resolve_image_shape(n_features, image_shape=None):
    """Return the ``(height, width)`` of images stored as rows of ``n_features`` pixels.

    Parameters
    ----------
    n_features : int
        Number of pixels per flattened image (columns of ``X``).
    image_shape : tuple of two int, or None
        Explicit ``(height, width)``.  With ``None`` a square shape is inferred,
        which requires ``n_features`` to be a perfect square.

    Returns
    -------
    image_shape : tuple of two int
        The validated ``(height, width)`` with ``height * width == n_features``.

    Raises
    ------
    ValueError
        If the shape cannot be inferred or does not match ``n_features``.

    Examples
    --------
    >>> from skimgdist._image import resolve_image_shape
    >>> resolve_image_shape(16)
    (4, 4)
    >>> resolve_image_shape(12, (3, 4))
    (3, 4)
    """
    n_features = int(n_features)
    if image_shape is None:
        side = math.isqrt(n_features)
        if side * side != n_features:
            raise ValueError(
                f"Cannot infer the image shape: {n_features} pixels per image is not a "
                f"perfect square. Pass image_shape=(height, width) with "
                f"height * width == {n_features}."
            )
        return (side, side)
    return _checked_shape(tuple(image_shape) if _is_sequence(image_shape) else image_shape,
                          n_features)


def _is_sequence(value):
    return isinstance(value, (tuple, list, np.ndarray))


def _checked_shape(image_shape, n_features):
    if (
        not isinstance(image_shape, tuple)
        or len(image_shape) != 2
        or not all(isinstance(s, Integral) and not isinstance(s, bool) for s in image_shape)
        or min(image_shape) < 1
    ):
        raise ValueError(
            f"image_shape must be a pair of positive integers (height, width), "
            f"got {image_shape!r}."
        )
    height, width = int(image_shape[0]), int(image_shape[1])
    if height * width != n_features:
        raise ValueError(
            f"image_shape={(height, width)} holds {height * width} pixels but each image "
            f"has {n_features}. Pass the (height, width) the rows were flattened from."
        )
    return (height, width)


def as_images(X, image_shape):
    """Fold rows of flattened images into a stack of 2-D images (a view, no copy).

    Parameters
    ----------
    X : ndarray of shape (n_images, height * width)
        Flattened images in C order.
    image_shape : tuple of two int
        ``(height, width)``.

    Returns
    -------
    images : ndarray of shape (n_images, height, width)

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist._image import as_images
    >>> as_images(np.arange(6.0).reshape(1, 6), (2, 3))[0]
    array([[0., 1., 2.],
           [3., 4., 5.]])
    """
    return np.reshape(X, (X.shape[0], *image_shape))


def as_rows(images):
    """Flatten a stack of 2-D images into rows in C order (the inverse of :func:`as_images`).

    Parameters
    ----------
    images : ndarray of shape (n_images, height, width)

    Returns
    -------
    X : ndarray of shape (n_images, height * width)

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist._image import as_rows
    >>> as_rows(np.zeros((5, 3, 4))).shape
    (5, 12)
    """
    return np.reshape(images, (images.shape[0], -1))


def check_pixel_size(pixel_size):
    """Validate ``pixel_size`` and return it as a float array ``[row_size, column_size]``.

    Parameters
    ----------
    pixel_size : float or pair of float
        Physical size of a pixel, the same along both axes or ``(row, column)``.

    Returns
    -------
    pixel_size : ndarray of shape (2,)

    Examples
    --------
    >>> from skimgdist._image import check_pixel_size
    >>> check_pixel_size(0.5)
    array([0.5, 0.5])
    """
    size = np.asarray(pixel_size, dtype=float) if _is_numeric(pixel_size) else None
    if size is not None and size.ndim == 0:
        size = np.repeat(size, 2)
    if (size is None or size.shape != (2,) or not np.all(np.isfinite(size))
            or np.any(size < np.finfo(float).tiny)):
        raise ValueError(
            f"pixel_size must be a positive finite number or a pair (row_size, column_size), "
            f"between {np.finfo(float).tiny:.3g} and {np.finfo(float).max:.3g} (the normal "
            f"float64 range), got {pixel_size!r}."
        )
    return size


def _is_numeric(value):
    if isinstance(value, Real) and not isinstance(value, bool):
        return True
    return _is_sequence(value) and all(
        isinstance(v, Real) and not isinstance(v, bool) for v in np.ravel(np.asarray(value))
    )


def pixel_coordinates(image_shape, pixel_size=1.0):
    """Coordinates of the pixel centres of an image, in C order.

    Pixel ``(i, j)`` sits at ``(i * row_size, j * column_size)``; with the default
    ``pixel_size=1.0`` coordinates are in pixel units.

    Parameters
    ----------
    image_shape : tuple of two int
        ``(height, width)``.
    pixel_size : float or pair of float, default=1.0
        Physical pixel size, shared or ``(row_size, column_size)``.

    Returns
    -------
    coordinates : ndarray of shape (height * width, 2)
        Row ``k`` holds the ``(row, column)`` position of flattened pixel ``k``.
        The array is cached per shape and read-only.

    Examples
    --------
    >>> from skimgdist._image import pixel_coordinates
    >>> pixel_coordinates((2, 2))
    array([[0., 0.],
           [0., 1.],
           [1., 0.],
           [1., 1.]])
    """
    size = check_pixel_size(pixel_size)
    shape = _checked_shape(tuple(image_shape), int(np.prod(image_shape)))
    return _cached_coordinates(shape, float(size[0]), float(size[1]))


@geometry_cache
def _cached_coordinates(image_shape, row_size, column_size):
    rows, columns = np.indices(image_shape, dtype=float)
    coordinates = np.column_stack([rows.ravel() * row_size, columns.ravel() * column_size])
    coordinates.setflags(write=False)
    return coordinates


def check_images(X, *, image_shape=None, distribution=True, name="X", single=False,
                 same_pixels_as=None):
    """Validate a batch of flattened images; the one entry point every distance uses.

    Parameters
    ----------
    X : array-like of shape (n_images, n_pixels) or (n_images, height, width)
        Flattened images, one per row, in C order, or a stack of 2-D images (whose
        shape then is the image shape).  With ``single=True``: one image, flattened
        ``(n_pixels,)`` or 2-D ``(height, width)``.
    image_shape : tuple of two int, or None
        ``(height, width)``; inferred as square when ``None``.
    distribution : bool, default=True
        Check that each image is a distribution of light: finite, non-negative
        pixels and positive total mass.  With ``False`` only finiteness is checked.
    name : str, default="X"
        How error messages refer to the input.
    single : bool, default=False
        Accept (and require) one 1-D image, as scikit-learn passes to callable metrics.
    same_pixels_as : tuple of (str, ndarray), default=None
        ``(other_name, other)``: require as many pixels per image as the already
        validated batch ``other``, with a message naming both inputs.

    Returns
    -------
    X : ndarray of shape (n_images, n_pixels), float64
        The validated images.  It may share memory with the input: treat it as
        read-only and copy before writing.
    image_shape : tuple of two int
        The resolved ``(height, width)``.

    Raises
    ------
    ValueError
        On non-numeric or empty input, NaN or infinite pixels, negative pixels or
        zero-mass images (when ``distribution=True``), or a shape that does not fit.
        Messages name the offending row and pixel.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist._image import check_images
    >>> X, shape = check_images(np.ones((3, 16)))
    >>> shape
    (4, 4)
    >>> check_images(np.ones((3, 2, 5)))[1]      # a stack of 2x5 images
    (2, 5)
    >>> check_images(-np.ones((2, 4)))
    Traceback (most recent call last):
    ...
    ValueError: row 0 of X has a negative pixel (-1 at (row 0, column 0) of a 2x2 image). ...
    """
    X, unfolded_shape = _as_float_array(X, name, single, image_shape)
    if unfolded_shape is not None:
        if (image_shape is not None
                and resolve_image_shape(X.shape[1], image_shape) != unfolded_shape):
            raise ValueError(
                f"{name} holds images of shape {unfolded_shape} but image_shape is "
                f"{image_shape!r}; pass matching images or image_shape=None."
            )
        image_shape = unfolded_shape
    if same_pixels_as is not None:
        other_name, other = same_pixels_as
        check_same_pixels(other, X, other_name, name)
    shape = resolve_image_shape(X.shape[1], image_shape)

    def where(row):
        return name if single else f"row {row} of {name}"

    finite = np.isfinite(X)
    if not finite.all():
        row, pixel = _first_offender(~finite)
        raise ValueError(
            f"{where(row)} contains NaN or infinity (value {X[row, pixel]} at "
            f"{_pixel_position(pixel, shape)}). Replace or drop non-finite pixels "
            f"before computing image distances."
        )
    if not distribution:
        return X, shape

    negative = X < 0
    if negative.any():
        row, pixel = _first_offender(negative)
        raise ValueError(
            f"{where(row)} has a negative pixel ({X[row, pixel]:g} at "
            f"{_pixel_position(pixel, shape)}). Images are compared as distributions of "
            f"light, so pixels must be >= 0: shift or clip them first, for example with "
            f"skimgdist.Normalize(clip_negative=True)."
        )
    empty = ~X.any(axis=1)  # pixels are >= 0 here; a sum could overflow
    if empty.any():
        row = int(np.flatnonzero(empty)[0])
        raise ValueError(
            f"{where(row)} has zero total mass (every pixel is 0), so it cannot be "
            f"normalised to a distribution of light. Drop that image, or map it to a "
            f"uniform image with skimgdist.Normalize(zero_mass='uniform')."
        )
    return X, shape


def image_rows(X, image_shape=None, name="X"):
    """Flatten a stack of 2-D images into rows, for an estimator's ``validate_data``.

    scikit-learn's validation takes one sample per row; the estimators call this
    first, so that they accept a stack ``(n_images, height, width)`` alongside the
    flattened rows (``n_features_in_`` is then ``height * width``).  Anything that is
    not a 3-D array passes unchanged, for ``validate_data`` to check.

    Parameters
    ----------
    X : array-like of shape (n_images, n_pixels) or (n_images, height, width)
        Flattened images or a stack of images.
    image_shape : tuple of two int, or None
        The shape the estimator expects (given or fitted); a stack of another
        shape is refused.
    name : str, default="X"
        How error messages refer to the input.

    Returns
    -------
    X : array-like of shape (n_images, n_pixels)
        The rows (the input itself unless it was a stack).
    image_shape : tuple of two int, or None
        The stack's ``(height, width)``, or ``image_shape`` for flattened input.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist._image import image_rows
    >>> rows, shape = image_rows(np.ones((5, 2, 3)))
    >>> rows.shape, shape
    ((5, 6), (2, 3))
    >>> image_rows(np.ones((5, 2, 3)), image_shape=(3, 2))
    Traceback (most recent call last):
    ...
    ValueError: X holds images of shape (2, 3) but the expected image shape is (3, 2); ...
    """
    if not _is_stack(X):
        return X, image_shape
    X = as_real_pixels(X, name)
    stack_shape = X.shape[1:]
    expected = None if image_shape is None else tuple(int(n) for n in np.ravel(image_shape))
    if expected is not None and expected != stack_shape:
        raise ValueError(
            f"{name} holds images of shape {stack_shape} but the expected image shape is "
            f"{expected}; pass images of that shape (or flattened rows), or refit on these."
        )
    return X.reshape(len(X), -1), stack_shape


def _is_stack(X):
    """Whether ``X`` is 3-D: an array, or nested lists, of ``(n_images, height, width)``."""
    if hasattr(X, "ndim"):
        return X.ndim == 3
    try:
        return isinstance(X, list | tuple) and np.ndim(X) == 3
    except ValueError:  # ragged lists: not a stack; validate_data says what is wrong
        return False


def check_image_pair(x, y, *, image_shape=None, distribution=True):
    """Validate the two 1-D images a callable metric receives from scikit-learn.

    Parameters
    ----------
    x, y : array-like of shape (n_pixels,) or (height, width)
        Two images of the same shape, flattened or 2-D.
    image_shape : tuple of two int, or None
        ``(height, width)``; inferred as square when ``None``.
    distribution : bool, default=True
        See :func:`check_images`.

    Returns
    -------
    X, Y : ndarray of shape (1, n_pixels)
        The validated images as one-row batches (possibly views of the input).
    image_shape : tuple of two int

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist._image import check_image_pair
    >>> X, Y, shape = check_image_pair(np.ones(4), np.ones(4))
    >>> X.shape, shape
    ((1, 4), (2, 2))
    >>> check_image_pair(np.ones((2, 3)), np.ones((2, 3)))[2]
    (2, 3)
    """
    X, shape = check_images(x, image_shape=image_shape, distribution=distribution,
                            name="x", single=True)
    Y, _ = check_images(y, image_shape=shape, distribution=distribution,
                        name="y", single=True, same_pixels_as=("x", X))
    return X, Y, shape


def check_same_pixels(X, Y, x_name="X", y_name="Y"):
    """Raise a clear error if two batches hold images with different pixel counts.

    Parameters
    ----------
    X, Y : ndarray of shape (n_images, n_pixels)
        Two validated batches of flattened images.
    x_name, y_name : str, default="X", "Y"
        How the error message refers to them.

    Raises
    ------
    ValueError
        If ``X`` and ``Y`` have different numbers of columns.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist._image import check_same_pixels
    >>> check_same_pixels(np.ones((1, 4)), np.ones((2, 4)))
    """
    if X.shape[1] != Y.shape[1]:
        raise ValueError(
            f"{x_name} has {X.shape[1]} pixels per image but {y_name} has {Y.shape[1]}: "
            f"both must hold images of the same shape. Resize or downscale one side first "
            f"(for example with skimgdist.Downscale(output_shape=...))."
        )


def to_unit_mass(X):
    """Return a new array whose rows are scaled to sum to one.

    A row whose pixels are finite but sum beyond the float64 range (pixels near
    1e308) is divided by its largest pixel first, so it still becomes the right
    distribution.

    Parameters
    ----------
    X : ndarray of shape (n_images, n_pixels)
        Validated non-negative images with positive mass.

    Returns
    -------
    P : ndarray of shape (n_images, n_pixels)

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist._image import to_unit_mass
    >>> to_unit_mass(np.array([[1.0, 3.0]]))
    array([[0.25, 0.75]])
    """
    with np.errstate(over="ignore"):
        totals = X.sum(axis=1, keepdims=True)
    P = X / totals
    overflow = np.isinf(totals[:, 0])
    if overflow.any():
        # Pixels near the float64 maximum whose sum overflows: scale by the peak first.
        rows = X[overflow] / X[overflow].max(axis=1, keepdims=True)
        P[overflow] = rows / rows.sum(axis=1, keepdims=True)
    return P


def _as_float_array(X, name, single, image_shape=None):
    """``X`` as a float64 batch of rows, and the image shape when ``X`` held 2-D images
    (a stack ``(n, h, w)``, or one ``(h, w)`` image with ``single=True``), else None."""
    array = as_real_pixels(X, name)
    unfolded_shape = None
    if single:
        flattened_row = (array.ndim == 2 and array.shape[0] == 1 and (
            image_shape is None or tuple(np.ravel(image_shape)) != array.shape))
        if flattened_row:
            array = array[0]
        elif array.ndim == 2:
            unfolded_shape = array.shape
            array = array.ravel()
        if array.ndim != 1:
            raise ValueError(
                f"{name} must be one image, flattened (1-D) or 2-D (height, width), got an "
                f"array of shape {array.shape}."
            )
        array = array[np.newaxis, :]
    elif array.ndim == 3:
        unfolded_shape = array.shape[1:]
        array = array.reshape(len(array), -1)
    elif array.ndim != 2:
        raise ValueError(
            f"{name} must hold one flattened image per row (n_images, n_pixels) or a stack "
            f"of 2-D images (n_images, height, width), got shape {array.shape}."
        )
    if array.size == 0:
        raise ValueError(
            f"{name} is empty (shape {array.shape}); at least one image with one pixel "
            f"is required."
        )
    return check_array(array, dtype=np.float64, order="C", ensure_all_finite=False,
                       input_name=name), unfolded_shape


class PixelTypeError(TypeError, ValueError):
    """Pixels that are not real numbers (strings, bytes, dates, complex, sparse matrices).

    A ``TypeError`` that is also a ``ValueError``, as scikit-learn's validation
    raises ``ValueError`` for such input.
    """


def as_real_pixels(X, name="X"):
    """``X`` as a float64 ndarray, refusing whatever is not a real number.

    Strings, bytes, dates, complex numbers and other objects are never converted
    silently (scikit-learn's ``check_array`` would parse numeric strings and drop
    imaginary parts); call this before it.

    Parameters
    ----------
    X : array-like
        Pixel values of any shape.
    name : str, default="X"
        How error messages refer to the input.

    Returns
    -------
    X : ndarray, float64

    Raises
    ------
    PixelTypeError
        (a ``TypeError`` and a ``ValueError``) for values that are not real numbers.
    ValueError
        For ragged nested lists and integers beyond the float64 range.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist._image import as_real_pixels
    >>> as_real_pixels([[1, 2]])
    array([[1., 2.]])
    >>> as_real_pixels(np.array(["1", "2"]))
    Traceback (most recent call last):
    ...
    skimgdist._image.PixelTypeError: X has dtype <U1 (strings); images must hold real ...
    """
    if issparse(X):
        raise PixelTypeError(f"{name} is a sparse matrix; image distances need dense pixels: "
                             f"pass {name}.toarray().")
    try:
        array = np.asarray(X)
    except ValueError as error:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of pixel values: {error}") from None
    kind = array.dtype.kind
    if kind == "c":
        raise PixelTypeError(
            f"Complex data not supported: {name} is complex, and images must hold real pixel "
            f"values. Pass np.abs({name}) or {name}.real if that is what you mean.")
    if kind in "OV":
        offenders = [v for v in array.flat
                     if not isinstance(v, (Real, np.bool_)) or isinstance(v, np.timedelta64)]
        if offenders:
            offender = offenders[0]
            try:
                float(offender)
                reason = ""
            except (TypeError, ValueError) as error:
                reason = f" ({error})"
            raise PixelTypeError(
                f"{name} must hold real numbers as pixel values, but it holds "
                f"{type(offender).__name__} {offender!r}{reason}. Convert it to a numeric "
                f"array first.")
    elif kind not in "biuf":
        raise PixelTypeError(
            f"{name} has dtype {array.dtype} ({_KIND_NAMES.get(kind, 'not numbers')}); images "
            f"must hold real pixel values. Convert it to a numeric array first, for example "
            f"with np.asarray({name}, dtype=float) if the values are numbers written as text.")
    try:
        return np.asarray(array, dtype=np.float64)
    except OverflowError:
        raise ValueError(
            f"{name} holds an integer beyond the float64 range (about 1.8e308); scale the "
            f"image down first.") from None


_KIND_NAMES = {"U": "strings", "S": "bytes", "M": "dates and times", "m": "time differences"}


def _first_offender(mask):
    row = int(np.flatnonzero(mask.any(axis=1))[0])
    pixel = int(np.flatnonzero(mask[row])[0])
    return row, pixel


def _pixel_position(pixel, image_shape):
    height, width = image_shape
    return f"(row {pixel // width}, column {pixel % width}) of a {height}x{width} image"
