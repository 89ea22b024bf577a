"""Small labelled image sets for examples, tests, benchmarks and ``skimgdist evaluate``.

- :func:`load_digits_images`: scikit-learn's bundled handwritten digits (8x8, no
  download), optionally upsampled and subsampled per class.
- :func:`make_blob_images`: synthetic images of one Gaussian blob whose class is
  *where* the blob sits, the case location-aware distances are made for.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from ._config import check_allocation

__all__ = ["load_digits_images", "make_blob_images"]


@validate_params(
    {
        "upsample": [Interval(Integral, 1, None, closed="left")],
        "n_per_class": [Interval(Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def load_digits_images(*, upsample=1, n_per_class=None, random_state=0):
    """Load scikit-learn's bundled 8x8 handwritten digits as flattened images.

    The 1,797 images (about 180 per digit) hold ink as light: pixel values 0 to 16,
    0 for the background.  Each pixel can be replaced by an ``upsample x upsample``
    block of the same value (exact, piecewise constant, no interpolation), which
    gives larger images of the same content.

    Parameters
    ----------
    upsample : int, default=1
        Block size of the upsampling; images become ``(8 * upsample, 8 * upsample)``.
    n_per_class : int or None, default=None
        Keep at most this many images of each digit, drawn without replacement with
        ``random_state``; ``None`` keeps all 1,797.
    random_state : int, RandomState instance or None, default=0
        Seed of the per-class subsample.

    Returns
    -------
    data : Bunch
        ``data`` (n_images, n_pixels) float64, ``target`` (n_images,) int,
        ``image_shape`` (height, width), ``target_names`` (the digits 0 to 9).

    Examples
    --------
    >>> from skimgdist.datasets import load_digits_images
    >>> digits = load_digits_images(upsample=2, n_per_class=5)
    >>> digits.data.shape, digits.image_shape
    ((50, 256), (16, 16))
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    images, target = digits.images, digits.target
    if n_per_class is not None:
        rng = check_random_state(random_state)
        keep = np.concatenate([
            np.sort(rng.permutation(np.flatnonzero(target == label))[:n_per_class])
            for label in np.unique(target)
        ])
        images, target = images[keep], target[keep]
    if upsample > 1:
        images = np.kron(images, np.ones((1, upsample, upsample)))
    image_shape = images.shape[1:]
    return Bunch(
        data=images.reshape(len(images), -1).astype(np.float64),
        target=target,
        image_shape=tuple(int(s) for s in image_shape),
        target_names=digits.target_names,
    )


@validate_params(
    {
        "n_per_class": [Interval(Integral, 1, None, closed="left")],
        "image_shape": [tuple],
        "n_classes": [Interval(Integral, 2, None, closed="left")],
        "sigma": [Interval(Real, 0, None, closed="neither")],
        "jitter": [Interval(Real, 0, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_blob_images(n_per_class=20, *, image_shape=(16, 16), n_classes=3, sigma=1.5,
                     jitter=1.0, noise=0.0, random_state=None):
    r"""Images of one Gaussian blob each; the class is where the blob sits.

    Class :math:`c` has its centre on a circle around the image centre at angle
    :math:`2 \pi c / n_\text{classes}`, radius a quarter of the smaller side.  Each
    image draws its blob centre from a normal distribution of standard deviation
    ``jitter`` pixels around the class centre and adds uniform background noise:

    .. math::

        u_{ij} = \exp\left(-\frac{(i - r)^2 + (j - s)^2}{2 \sigma^2}\right)
                 + \text{noise} \cdot U_{ij}, \qquad U_{ij} \sim \mathcal{U}[0, 1].

    Parameters
    ----------
    n_per_class : int, default=20
        Images of each class.
    image_shape : tuple of two int, default=(16, 16)
        ``(height, width)`` of the images, in pixels.
    n_classes : int, default=3
        Number of classes, i.e. of blob positions around the centre.
    sigma : float, default=1.5
        Blob width in pixels.
    jitter : float, default=1.0
        Standard deviation of the blob centre around its class centre, in pixels.
    noise : float, default=0.0
        Amplitude of the uniform background noise (the blob peaks at 1).
    random_state : int, RandomState instance or None, default=None
        Seed of the blob centres and of the noise.

    Returns
    -------
    data : Bunch
        ``data`` (n_images, n_pixels) float64 non-negative, ``target`` (n_images,)
        int, ``image_shape``.

    Examples
    --------
    >>> from skimgdist.datasets import make_blob_images
    >>> blobs = make_blob_images(4, image_shape=(10, 12), n_classes=2, random_state=0)
    >>> blobs.data.shape, blobs.target.tolist()
    ((8, 120), [0, 0, 0, 0, 1, 1, 1, 1])
    """
    if len(image_shape) != 2 or not all(isinstance(s, Integral) and s >= 1 for s in image_shape):
        raise ValueError(f"image_shape must be a pair of positive integers, got {image_shape!r}.")
    height, width = image_shape
    # The images and about three temporaries of their size.
    check_allocation(32 * n_classes * n_per_class * height * width,
                     f"{n_classes * n_per_class} images of {height}x{width} pixels",
                     "Ask for fewer or smaller images.")
    rng = check_random_state(random_state)
    target = np.repeat(np.arange(n_classes), n_per_class)
    angles = 2 * np.pi * target / n_classes
    radius = min(height, width) / 4
    centres = np.column_stack([
        (height - 1) / 2 + radius * np.sin(angles),
        (width - 1) / 2 + radius * np.cos(angles),
    ]) + jitter * rng.standard_normal((len(target), 2))
    rows, columns = np.indices(image_shape, dtype=float)
    with np.errstate(over="ignore", under="ignore"):
        squared = ((rows[None] - centres[:, 0, None, None]) ** 2
                   + (columns[None] - centres[:, 1, None, None]) ** 2)
        # Divided by sigma twice rather than by sigma**2, which underflows for tiny sigma.
        images = np.exp(-squared / (2 * sigma) / sigma) + noise * rng.uniform(size=squared.shape)
    if not images.any(axis=(1, 2)).all():
        raise ValueError(
            f"jitter={jitter:g} with sigma={sigma:g} puts some blobs so far outside the "
            f"{height}x{width} image that it stays dark (zero mass). Use a smaller jitter, a "
            f"larger sigma, or noise > 0.")
    return Bunch(data=images.reshape(len(target), -1), target=target,
                 image_shape=(int(height), int(width)))
