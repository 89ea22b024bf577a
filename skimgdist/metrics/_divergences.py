r"""Pixel-wise divergences: total variation, KL, Jensen-Shannon, Hellinger, chi-square, f.

These are the "computationally cheaper" distances between images seen as
distributions of light: each compares the two images pixel by pixel and ignores
*where* the light is, so an image shifted by one pixel can be as far away as a
completely different one.  :class:`BlurredL2` sits in between: a Gaussian blur
first lets nearby light overlap.

The per-pixel terms are summed pixel by pixel, never as differences of large
per-image sums (for Jensen-Shannon, :math:`\tfrac12 p \log p + \tfrac12 q \log q -
m \log m \ge 0` per pixel rather than a difference of entropies), so the per-pair and
the batched route agree to rounding and identical images are at distance exactly 0.
The batched route precomputes what depends on one image (logarithms, square roots,
blurred copies) once per image and evaluates the per-pixel terms over blocks of
pairs sized to a small memory budget.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
from scipy.spatial.distance import cdist, pdist, squareform
from sklearn.metrics.pairwise import additive_chi2_kernel
from sklearn.utils import gen_batches
from sklearn.utils._param_validation import Interval, StrOptions

from .._config import working_memory_bytes
from .._triangle import place_block
from ..preprocessing import gaussian_blur
from ._base import ImageMetric, function_form_of

__all__ = [
    "BlurredL2",
    "ChiSquare",
    "FDivergence",
    "Hellinger",
    "JensenShannon",
    "KLDivergence",
    "TotalVariation",
    "blurred_l2",
    "chi_square",
    "f_divergence",
    "hellinger",
    "jensen_shannon",
    "kl_divergence",
    "total_variation",
]

# log(0) is replaced by log of the smallest positive double (about -744.4): every such
# logarithm is multiplied by a zero pixel, so the term is exactly 0 and no warning fires.
_TINY = np.finfo(np.float64).smallest_subnormal
_MAX_RATIO = 1e150
# Temporaries of the blocked per-pixel kernels stay within this many MiB (or within
# scikit-learn's working_memory, if smaller): small blocks stay in cache and are faster.
_BLOCK_MIB = 4


def _pairwise_cdist(A, B, metric):
    """``cdist(A, B)``, or the square form of ``pdist(A)`` (half the work) when ``B`` is None."""
    if B is None:
        return squareform(pdist(A, metric))
    return cdist(A, B, metric)


def _blockwise(pair_sums, n_x, n_y, n_pixels, *, symmetric, n_temporaries):
    """Fill an ``(n_x, n_y)`` matrix block by block from ``pair_sums(rows_x, rows_y)``.

    ``pair_sums`` returns the block for two slices of rows and allocates at most
    ``n_temporaries`` arrays of ``len(rows_x) * len(rows_y) * n_pixels`` doubles.  With
    ``symmetric=True`` (``Y`` is ``X``) only blocks on or above the diagonal are computed
    and mirrored.
    """
    budget = working_memory_bytes(cap_mib=_BLOCK_MIB)
    side = max(1, math.isqrt(int(budget // (8 * n_pixels * n_temporaries))))
    out = np.empty((n_x, n_y))
    for rows_x in gen_batches(n_x, side):
        for rows_y in gen_batches(n_y, side):
            if symmetric and rows_y.stop <= rows_x.start:
                continue
            place_block(out, rows_x, rows_y, pair_sums(rows_x, rows_y), symmetric=symmetric)
    return out


class TotalVariation(ImageMetric):
    r"""Total variation distance between two images seen as distributions of light.

    .. math::

        \operatorname{TV}(P, Q) = \frac{1}{2} \sum_{i, j} \lvert P_{ij} - Q_{ij} \rvert
        \in [0, 1],

    where :math:`P` and :math:`Q` are the images scaled to unit mass: the fraction
    of light that sits on different pixels.  A true metric.  Location is ignored:
    moving all light by one pixel (onto pixels that were dark) gives the maximum, 1.

    Parameters
    ----------
    image_shape : tuple of two int, default=None
        ``(height, width)`` of the images; inferred as square when ``None``.
        Unused by the formula, but checked against the number of pixels.
    normalize : bool, default=True
        Scale each image to unit mass first.  With ``False`` the result is half
        the L1 distance of the raw pixels, which may then be any finite numbers.

    See Also
    --------
    total_variation : The same distance as a plain function.
    Hellinger, JensenShannon : Other bounded pixel-wise metrics.

    References
    ----------
    .. [1] A. B. Tsybakov, "Introduction to Nonparametric Estimation", Springer
       (2009), section 2.4.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import TotalVariation
    >>> X = np.array([[1.0, 1.0, 0.0, 0.0],
    ...               [0.0, 1.0, 1.0, 0.0],
    ...               [0.0, 0.0, 2.0, 2.0]])
    >>> TotalVariation().pairwise(X)
    array([[0. , 0.5, 1. ],
           [0.5, 0. , 0.5],
           [1. , 0.5, 0. ]])
    """

    _parameter_constraints = {"normalize": ["boolean"]}

    def __init__(self, *, image_shape=None, normalize=True):
        self.image_shape = image_shape
        self.normalize = normalize

    def _checks_distribution(self):
        return self.normalize

    def _pairwise_validated(self, X, Y, image_shape):
        return 0.5 * _pairwise_cdist(X, Y, "cityblock")


@function_form_of(TotalVariation)
def total_variation(x, y, *, image_shape=None, normalize=True):
    """Total variation distance between two flattened images.

    See :class:`TotalVariation` for the definition and parameters.

    Parameters
    ----------
    x, y : array-like of shape (n_pixels,)
        Two images flattened in C order.
    image_shape : tuple of two int, default=None
        ``(height, width)``; inferred as square when ``None``.
    normalize : bool, default=True
        Scale each image to unit mass first.

    Returns
    -------
    distance : float
        In ``[0, 1]`` (with ``normalize=True``).

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import total_variation
    >>> print(total_variation(np.array([1.0, 1.0, 0.0, 0.0]), np.array([0.0, 3.0, 3.0, 0.0])))
    0.5
    """
    return TotalVariation(image_shape=image_shape, normalize=normalize)(x, y)


class KLDivergence(ImageMetric):
    r"""Kullback-Leibler divergence from one image to another, in nats.

    .. math::

        \operatorname{KL}(P \,\|\, Q) = \sum_{i, j} P_{ij} \log \frac{P_{ij}}{Q_{ij}},

    natural logarithm, images scaled to unit mass.  Not symmetric and not a
    metric (no triangle inequality); ``pairwise(X, Y)[i, j]`` is
    :math:`\operatorname{KL}(X_i \,\|\, Y_j)`.

    Zero pixels: a pixel dark in :math:`P` contributes 0.  A pixel dark in
    :math:`Q` but lit in :math:`P` makes the divergence infinite (``eps=0``, the
    default, the exact value, as :func:`scipy.stats.entropy`).  With ``eps > 0``
    both images are smoothed first: :math:`P \to (P + \varepsilon) / (1 + n
    \varepsilon)` over the :math:`n` pixels, and the divergence is always finite.

    The sum runs over the per-pixel :math:`P (\log P - \log Q)` (logarithms computed
    once per image), never as a difference of an entropy and a cross-entropy, so
    identical images give exactly 0 and close images keep their small divergence.

    Parameters
    ----------
    image_shape : tuple of two int, default=None
        ``(height, width)`` of the images; inferred as square when ``None``.
    eps : float, default=0.0
        Mass added to every pixel of both unit-mass images before renormalising.
        ``0`` keeps the exact divergence, ``inf`` where the supports disagree.

    See Also
    --------
    kl_divergence : The same divergence as a plain function.
    JensenShannon : A symmetric, bounded relative that is a metric.
    FDivergence : KL is the f-divergence with :math:`f(t) = t \log t`.

    References
    ----------
    .. [1] S. Kullback and R. A. Leibler, "On information and sufficiency",
       Annals of Mathematical Statistics 22(1), 79-86 (1951).

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import KLDivergence
    >>> x = np.array([1.0, 1.0, 0.0, 0.0])
    >>> y = np.array([1.0, 1.0, 1.0, 1.0])
    >>> print(round(KLDivergence()(x, y), 4))      # log 2
    0.6931
    >>> KLDivergence()(y, x)                       # y has light where x has none
    inf
    >>> print(round(KLDivergence(eps=1e-3)(y, x), 4))
    2.4171
    """

    _parameter_constraints = {
        "eps": [Interval(Real, 0, None, closed="left")],
    }
    _is_symmetric = False

    def __init__(self, *, image_shape=None, eps=0.0):
        self.image_shape = image_shape
        self.eps = eps

    def _smoothed(self, P):
        if self.eps == 0:
            return P
        smoothed = P + self.eps
        return smoothed / smoothed.sum(axis=1, keepdims=True)

    def _pairwise_validated(self, X, Y, image_shape):
        P = self._smoothed(X)
        Q = P if Y is None else self._smoothed(Y)
        log_p = np.log(np.maximum(P, _TINY))
        log_q = log_p if Y is None else np.log(np.maximum(Q, _TINY))

        def pair_sums(rows_x, rows_y):
            log_ratio = log_p[rows_x, None, :] - log_q[None, rows_y, :]
            return np.matmul(log_ratio, P[rows_x, :, None])[:, :, 0]

        divergence = _blockwise(pair_sums, len(P), len(Q), P.shape[1], symmetric=False,
                                n_temporaries=1)
        np.maximum(divergence, 0.0, out=divergence)   # KL >= 0; rounding may give -1e-17
        if self.eps == 0:
            # Light of P on pixels where Q has none: the divergence is infinite there.
            outside = (P > 0).astype(float) @ (Q == 0).T.astype(float)
            divergence[outside > 0] = np.inf
        return divergence


@function_form_of(KLDivergence)
def kl_divergence(x, y, *, image_shape=None, eps=0.0):
    """Kullback-Leibler divergence KL(x || y) between two flattened images, in nats.

    See :class:`KLDivergence` for the definition, the handling of dark pixels and
    the parameters.

    Parameters
    ----------
    x, y : array-like of shape (n_pixels,)
        Two images flattened in C order.
    image_shape : tuple of two int, default=None
        ``(height, width)``; inferred as square when ``None``.
    eps : float, default=0.0
        Smoothing mass added to every pixel (``0``: exact, possibly ``inf``).

    Returns
    -------
    divergence : float
        Non-negative, possibly ``inf`` when ``eps=0``.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import kl_divergence
    >>> print(round(kl_divergence(np.array([3.0, 1.0]), np.array([1.0, 1.0]),
    ...                           image_shape=(1, 2)), 4))
    0.1308
    """
    return KLDivergence(image_shape=image_shape, eps=eps)(x, y)


class JensenShannon(ImageMetric):
    r"""Jensen-Shannon distance: the square root of the Jensen-Shannon divergence.

    .. math::

        \operatorname{JS}(P, Q) = \sqrt{\tfrac12 \operatorname{KL}(P \,\|\, M)
        + \tfrac12 \operatorname{KL}(Q \,\|\, M)}, \qquad M = \tfrac12 (P + Q),

    with the natural logarithm and images scaled to unit mass, as
    :func:`scipy.spatial.distance.jensenshannon`.  Always finite, in
    :math:`[0, \sqrt{\log 2}]`, symmetric, and a true metric [2]_.

    Parameters
    ----------
    image_shape : tuple of two int, default=None
        ``(height, width)`` of the images; inferred as square when ``None``.

    See Also
    --------
    jensen_shannon : The same distance as a plain function.
    scipy.spatial.distance.jensenshannon : The same distance for two vectors.

    References
    ----------
    .. [1] J. Lin, "Divergence measures based on the Shannon entropy", IEEE
       Transactions on Information Theory 37(1), 145-151 (1991).
    .. [2] D. M. Endres and J. E. Schindelin, "A new metric for probability
       distributions", IEEE Transactions on Information Theory 49(7), 1858-1860 (2003).

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import JensenShannon
    >>> X = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0]])
    >>> np.round(JensenShannon().pairwise(X) ** 2, 4)    # disjoint images: log 2
    array([[0.    , 0.6931, 0.2158],
           [0.6931, 0.    , 0.2158],
           [0.2158, 0.2158, 0.    ]])
    """

    def __init__(self, *, image_shape=None):
        self.image_shape = image_shape

    def _pairwise_validated(self, X, Y, image_shape):
        Q = X if Y is None else Y
        # Per pixel, in bits: 1/2 p log2 p + 1/2 q log2 q - m log2 m >= 0 with m = (p+q)/2.
        # log2 is used for speed (NumPy vectorises it); the sum is converted to nats.
        half_x, half_y = 0.5 * X, 0.5 * Q
        half_plogp_x = half_x * np.log2(np.maximum(X, _TINY))
        half_plogp_y = half_plogp_x if Y is None else half_y * np.log2(np.maximum(Q, _TINY))

        # m == 0 needs a guard (0 log 0 = 0) only where both images can be dark.
        guard = bool((half_x == 0).any() and (half_y == 0).any())

        def pair_sums(rows_x, rows_y):
            m = half_x[rows_x, None, :] + half_y[None, rows_y, :]
            log_m = np.log2(np.maximum(m, _TINY) if guard else m)
            m *= log_m
            terms = np.add(half_plogp_x[rows_x, None, :], half_plogp_y[None, rows_y, :],
                           out=log_m)
            terms -= m
            return terms.sum(axis=-1)

        bits = _blockwise(pair_sums, len(X), len(Q), X.shape[1], symmetric=Y is None,
                          n_temporaries=2)
        return np.sqrt(np.maximum(bits, 0.0) * math.log(2.0))


@function_form_of(JensenShannon)
def jensen_shannon(x, y, *, image_shape=None):
    """Jensen-Shannon distance between two flattened images (natural logarithm).

    See :class:`JensenShannon` for the definition.

    Parameters
    ----------
    x, y : array-like of shape (n_pixels,)
        Two images flattened in C order.
    image_shape : tuple of two int, default=None
        ``(height, width)``; inferred as square when ``None``.

    Returns
    -------
    distance : float
        In ``[0, sqrt(log 2)]``.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import jensen_shannon
    >>> print(round(jensen_shannon(np.array([1.0, 0.0]), np.array([0.0, 1.0]),
    ...                            image_shape=(1, 2)) ** 2, 4))
    0.6931
    """
    return JensenShannon(image_shape=image_shape)(x, y)


class Hellinger(ImageMetric):
    r"""Hellinger distance between two images seen as distributions of light.

    .. math::

        H(P, Q) = \sqrt{\tfrac12 \sum_{i, j} \bigl(\sqrt{P_{ij}} - \sqrt{Q_{ij}}\bigr)^2}
        = \sqrt{1 - \sum_{i, j} \sqrt{P_{ij} Q_{ij}}} \in [0, 1],

    with images scaled to unit mass.  This is the convention with the factor
    :math:`\tfrac12`, so that disjoint images are at distance 1; some authors omit
    it (their distance is :math:`\sqrt 2\, H`).  A true metric: the Euclidean
    distance between the square-rooted images, divided by :math:`\sqrt 2`.

    Parameters
    ----------
    image_shape : tuple of two int, default=None
        ``(height, width)`` of the images; inferred as square when ``None``.

    See Also
    --------
    hellinger : The same distance as a plain function.
    FDivergence : ``f="squared_hellinger"`` gives :math:`H^2`.

    References
    ----------
    .. [1] E. Hellinger, "Neue Begründung der Theorie quadratischer Formen von
       unendlichvielen Veränderlichen", Journal für die reine und angewandte
       Mathematik 136, 210-271 (1909).

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import Hellinger
    >>> x = np.array([1.0, 0.0, 0.0, 0.0])
    >>> y = np.array([1.0, 1.0, 1.0, 1.0])
    >>> print(round(Hellinger()(x, y), 4))     # sqrt(1 - sqrt(1/4))
    0.7071
    """

    def __init__(self, *, image_shape=None):
        self.image_shape = image_shape

    def _pairwise_validated(self, X, Y, image_shape):
        root_y = None if Y is None else np.sqrt(Y)
        return _pairwise_cdist(np.sqrt(X), root_y, "euclidean") / math.sqrt(2.0)


@function_form_of(Hellinger)
def hellinger(x, y, *, image_shape=None):
    """Hellinger distance between two flattened images.

    See :class:`Hellinger` for the definition and its scaling convention.

    Parameters
    ----------
    x, y : array-like of shape (n_pixels,)
        Two images flattened in C order.
    image_shape : tuple of two int, default=None
        ``(height, width)``; inferred as square when ``None``.

    Returns
    -------
    distance : float
        In ``[0, 1]``.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import hellinger
    >>> print(hellinger(np.array([1.0, 0.0]), np.array([0.0, 1.0]), image_shape=(1, 2)))
    1.0
    """
    return Hellinger(image_shape=image_shape)(x, y)


class ChiSquare(ImageMetric):
    r"""Symmetric chi-square distance between two images seen as distributions of light.

    .. math::

        \chi^2(P, Q) = \sum_{i, j} \frac{(P_{ij} - Q_{ij})^2}{P_{ij} + Q_{ij}}
        \in [0, 2],

    with images scaled to unit mass and pixels dark in both images contributing 0.
    This is the symmetric chi-square of histogram comparison [1]_, the negative of
    :func:`sklearn.metrics.pairwise.additive_chi2_kernel`; it is always finite and
    symmetric, but not a metric (its square root is one).  Pearson's asymmetric
    :math:`\sum (P - Q)^2 / Q` is ``FDivergence(f="pearson")`` and Neyman's
    ``FDivergence(f="neyman")``.

    Parameters
    ----------
    image_shape : tuple of two int, default=None
        ``(height, width)`` of the images; inferred as square when ``None``.

    See Also
    --------
    chi_square : The same distance as a plain function.
    sklearn.metrics.pairwise.additive_chi2_kernel : Its negative, as a kernel.

    References
    ----------
    .. [1] J. Puzicha, T. Hofmann and J. M. Buhmann, "Non-parametric similarity
       measures for unsupervised texture segmentation and image retrieval", CVPR
       (1997).

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import ChiSquare
    >>> X = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0]])
    >>> ChiSquare().pairwise(X)
    array([[0.        , 2.        , 0.66666667],
           [2.        , 0.        , 0.66666667],
           [0.66666667, 0.66666667, 0.        ]])
    """

    def __init__(self, *, image_shape=None):
        self.image_shape = image_shape

    def _pairwise_validated(self, X, Y, image_shape):
        # scikit-learn's compiled loop sums the same per-pixel terms for one pair or many.
        return 0.0 - additive_chi2_kernel(X, Y)


@function_form_of(ChiSquare)
def chi_square(x, y, *, image_shape=None):
    """Symmetric chi-square distance between two flattened images.

    See :class:`ChiSquare` for the definition (and the asymmetric variants).

    Parameters
    ----------
    x, y : array-like of shape (n_pixels,)
        Two images flattened in C order.
    image_shape : tuple of two int, default=None
        ``(height, width)``; inferred as square when ``None``.

    Returns
    -------
    distance : float
        In ``[0, 2]``.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import chi_square
    >>> print(round(chi_square(np.array([3.0, 1.0]), np.array([1.0, 1.0]),
    ...                        image_shape=(1, 2)), 4))
    0.1333
    """
    return ChiSquare(image_shape=image_shape)(x, y)


def _xlogx(t):
    """``t * log(t)`` with ``0 log 0 = 0``, through the fast vectorised ``log2``."""
    return t * np.log2(np.maximum(t, _TINY)) * math.log(2.0)


def _minus_log(t):
    """``-log(t)`` with ``+inf`` at ``t == 0``, through the fast vectorised ``log2``."""
    log_t = np.full(np.shape(t), -np.inf)
    np.log2(t, out=log_t, where=t > 0)
    return log_t * -math.log(2.0)


def _divide_or_inf(numerator, t):
    """``numerator / t`` with ``+inf`` where ``t == 0`` (where the limit is ``+inf``)."""
    return np.divide(numerator, t, out=np.full_like(t, np.inf), where=t > 0)


def _f_kl(t):
    return _xlogx(t) - t + 1.0


def _f_reverse_kl(t):
    return t - 1.0 + _minus_log(t)


def _f_pearson(t):
    return (t - 1.0) ** 2


def _f_neyman(t):
    return _divide_or_inf((t - 1.0) ** 2, t)


def _f_squared_hellinger(t):
    return 0.5 * (np.sqrt(t) - 1.0) ** 2


def _f_total_variation(t):
    return 0.5 * np.abs(t - 1.0)


def _f_jensen_shannon(t):
    return 0.5 * (_xlogx(t) - _xlogx(t + 1.0)) + 0.5 * (t + 1.0) * math.log(2.0)


def _f_symmetric_chi_square(t):
    return (t - 1.0) ** 2 / (t + 1.0)


# name: (f, lim_{t -> inf} f(t) / t), with f(1) = 0 and, where it matters, f'(1) = 0.
_NAMED_F = {
    "kl": (_f_kl, np.inf),
    "reverse_kl": (_f_reverse_kl, 1.0),
    "pearson": (_f_pearson, np.inf),
    "neyman": (_f_neyman, 1.0),
    "squared_hellinger": (_f_squared_hellinger, 0.5),
    "total_variation": (_f_total_variation, 0.5),
    "jensen_shannon": (_f_jensen_shannon, 0.5 * math.log(2.0)),
    "symmetric_chi_square": (_f_symmetric_chi_square, 1.0),
}


class FDivergence(ImageMetric):
    r"""Csiszár f-divergence between two images, with ``f`` given by name or as a callable.

    .. math::

        D_f(P \,\|\, Q) = \sum_{i, j} Q_{ij}\, f\!\left(\frac{P_{ij}}{Q_{ij}}\right),

    for a convex :math:`f` with :math:`f(1) = 0`, images scaled to unit mass.
    Conventions at zero (the limits of the perspective :math:`q f(p/q)`): a pixel
    dark in both images contributes 0; a pixel dark in :math:`P` only contributes
    :math:`q f(0)` with :math:`f(0) = \lim_{t \to 0^+} f(t)`; a pixel dark in
    :math:`Q` only contributes :math:`p\, f'(\infty)` with
    :math:`f'(\infty) = \lim_{t \to \infty} f(t) / t`, possibly infinite.

    Named ``f`` (each shifted by a multiple of :math:`t - 1`, which leaves
    :math:`D_f` unchanged, so that every term is non-negative):

    - ``"kl"``: :math:`t \log t - t + 1`, giving :math:`\mathrm{KL}(P \| Q)`;
    - ``"reverse_kl"``: :math:`t - 1 - \log t`, giving :math:`\mathrm{KL}(Q \| P)`;
    - ``"pearson"``: :math:`(t - 1)^2`, giving :math:`\sum (P - Q)^2 / Q`;
    - ``"neyman"``: :math:`(t - 1)^2 / t`, giving :math:`\sum (P - Q)^2 / P`;
    - ``"squared_hellinger"``: :math:`\tfrac12 (\sqrt t - 1)^2`, giving :math:`H^2`
      of :class:`Hellinger`;
    - ``"total_variation"``: :math:`\tfrac12 \lvert t - 1 \rvert`, giving
      :class:`TotalVariation`;
    - ``"jensen_shannon"``: :math:`\tfrac12 \bigl(t \log t - (t + 1) \log
      \tfrac{t + 1}{2}\bigr)`, giving the square of :class:`JensenShannon`;
    - ``"symmetric_chi_square"``: :math:`(t - 1)^2 / (t + 1)`, giving
      :class:`ChiSquare`.

    Logarithms are natural.  A callable ``f`` receives an ndarray of ratios
    :math:`t \ge 0` and must return an array of the same shape, with
    :math:`\lim_{t \to 0^+} f(t)` at :math:`t = 0` (write :math:`t \log t` as
    ``scipy.special.xlogy(t, t)``, not ``t * np.log(t)``, which is NaN there).  A NaN
    from ``f``, or :math:`f(1) \ne 0`, raises an error.

    Parameters
    ----------
    f : str or callable, default="kl"
        A name from the table, or a vectorised function of the ratio :math:`t`.
    image_shape : tuple of two int, default=None
        ``(height, width)`` of the images; inferred as square when ``None``.
    slope_at_infinity : float or None, default=None
        :math:`f'(\infty) = \lim_{t \to \infty} f(t) / t`, the cost per unit of
        light where :math:`Q` is dark and :math:`P` is not (``np.inf`` allowed).
        ``None``: the known value for a named ``f``; for a callable, such pixels
        raise an error asking for it.

    See Also
    --------
    f_divergence : The same divergence as a plain function.
    KLDivergence, JensenShannon, Hellinger, TotalVariation, ChiSquare :
        Faster dedicated implementations of particular f-divergences.

    Notes
    -----
    Ratios :math:`p/q` above :math:`10^{150}` (a pixel of :math:`Q` lit, but more than
    :math:`10^{150}` times darker than in :math:`P`) raise an error instead of
    overflowing ``f`` in float64: smooth such images, or set the pixels to 0.

    The batched route evaluates ``f`` on one block of ratios at a time (one array
    of up to a few MiB per call); it is slower than the dedicated classes, which
    precompute what depends on one image.  To pickle or clone a metric with a
    callable ``f``, make ``f`` a module-level function (lambdas do not pickle).

    References
    ----------
    .. [1] I. Csiszár, "Information-type measures of difference of probability
       distributions and indirect observations", Studia Scientiarum
       Mathematicarum Hungarica 2, 299-318 (1967).
    .. [2] F. Liese and I. Vajda, "On divergences and informations in statistics
       and information theory", IEEE Transactions on Information Theory 52(10),
       4394-4412 (2006).

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import FDivergence
    >>> x = np.array([1.0, 1.0, 0.0, 0.0])
    >>> y = np.array([1.0, 1.0, 1.0, 1.0])
    >>> print(round(FDivergence(f="pearson")(x, y), 4))
    1.0
    >>> print(round(FDivergence(f=lambda t: (t - 1) ** 4)(x, y), 4))
    1.0
    >>> FDivergence(f="pearson")(y, x)
    inf
    """

    _parameter_constraints = {
        "f": [StrOptions(set(_NAMED_F)), callable],
        "slope_at_infinity": [Real, None],
    }
    _is_symmetric = False

    def __init__(self, *, f="kl", image_shape=None, slope_at_infinity=None):
        self.f = f
        self.image_shape = image_shape
        self.slope_at_infinity = slope_at_infinity

    def _function_and_slope(self):
        if isinstance(self.f, str):
            function, slope = _NAMED_F[self.f]
        else:
            function, slope = self.f, None
            at_one = np.asarray(function(np.ones(1)), dtype=float)
            if at_one.shape == (1,) and not abs(at_one[0]) <= 1e-12:  # shape checked later
                raise ValueError(
                    f"f(1) must be 0, got {at_one[0]:g}: D_f(P || P) = f(1), so every image "
                    f"would be at that distance from itself. Pass f(t) - f(1) instead."
                )
        if self.slope_at_infinity is not None:
            slope = float(self.slope_at_infinity)
        if slope is not None and np.isnan(slope):
            raise ValueError("slope_at_infinity must be a number or inf, got nan.")
        return function, slope

    def _pairwise_validated(self, X, Y, image_shape):
        function, slope = self._function_and_slope()
        Q = X if Y is None else Y
        q_dark = Q == 0
        q_safe = np.where(q_dark, 1.0, Q)
        # Ratios p / q beyond 1e150 (q tinier than 1e-150 times p, but not 0) would
        # overflow f(p/q) (say (t - 1)**2) to inf: they are refused, never rounded.
        may_overflow = bool((~q_dark).any() and X.max() > Q[~q_dark].min() * _MAX_RATIO)

        def pair_sums(rows_x, rows_y):
            with np.errstate(over="ignore"):  # refused next
                ratios = X[rows_x, None, :] / q_safe[None, rows_y, :]
            if may_overflow and (ratios > _MAX_RATIO).any():
                raise ValueError(
                    f"Some pixel ratios p / q exceed {_MAX_RATIO:g}: an image of Y is darker "
                    f"than 1e-150 times an image of X somewhere, but not 0, beyond what "
                    f"float64 can weigh. Smooth the images (add a small constant) or set "
                    f"such pixels to 0."
                )
            terms = np.asarray(function(ratios), dtype=float)
            if terms.shape != ratios.shape:
                raise ValueError(
                    f"f must return an array of the shape of its input, got shape "
                    f"{terms.shape} for ratios of shape {ratios.shape}."
                )
            with np.errstate(invalid="ignore"):  # f(t) * 0 where Q is dark: masked next
                terms = terms * Q[None, rows_y, :]
            np.copyto(terms, 0.0, where=q_dark[None, rows_y, :])
            sums = terms.sum(axis=-1)
            if np.isnan(sums).any():
                raise ValueError(
                    "f returned NaN for some ratio t = p / q. f must be defined for every "
                    "t >= 0 and return lim f(t) as t -> 0+ at t = 0 (for t log t use "
                    "scipy.special.xlogy(t, t))."
                )
            return sums

        divergence = _blockwise(pair_sums, len(X), len(Q), X.shape[1], symmetric=False,
                                n_temporaries=3)
        # Light of P on pixels where Q is dark costs f'(inf) per unit.
        stranded = X @ q_dark.T.astype(float)
        if not stranded.any():
            return divergence
        with np.errstate(invalid="ignore"):  # 0 * inf where no light is stranded
            boundary = np.where(stranded > 0, stranded * _required(slope), 0.0)
        return divergence + boundary


def _required(slope):
    """``slope_at_infinity``, or an error saying that a callable ``f`` needs it."""
    if slope is None:
        raise ValueError(
            "Some images of Y are dark (0) on pixels where images of X have light, where "
            "the f-divergence term is p * lim f(t)/t as t -> inf. Pass slope_at_infinity="
            "that limit (np.inf for KL- or Pearson-like f), or smooth the images first."
        )
    return slope


@function_form_of(FDivergence)
def f_divergence(x, y, *, f="kl", image_shape=None, slope_at_infinity=None):
    """Csiszár f-divergence D_f(x || y) between two flattened images.

    See :class:`FDivergence` for the definition, the named ``f`` and the
    conventions at zero.

    Parameters
    ----------
    x, y : array-like of shape (n_pixels,)
        Two images flattened in C order.
    f : str or callable, default="kl"
        A named f or a vectorised function of the ratio ``t = p / q``.
    image_shape : tuple of two int, default=None
        ``(height, width)``; inferred as square when ``None``.
    slope_at_infinity : float or None, default=None
        ``lim f(t) / t`` as ``t -> inf``; needed for a callable ``f`` only when
        ``y`` is dark where ``x`` is not.

    Returns
    -------
    divergence : float
        Possibly ``inf``.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import f_divergence
    >>> x, y = np.array([3.0, 1.0]), np.array([1.0, 1.0])
    >>> print(round(f_divergence(x, y, f="total_variation", image_shape=(1, 2)), 4))
    0.25
    """
    return FDivergence(f=f, image_shape=image_shape, slope_at_infinity=slope_at_infinity)(x, y)


class BlurredL2(ImageMetric):
    r"""L2 distance between two images after a Gaussian blur of width ``sigma``.

    .. math::

        d_\sigma(P, Q) = \Bigl(\sum_{i, j} \bigl((G_\sigma * P)_{ij}
        - (G_\sigma * Q)_{ij}\bigr)^2\Bigr)^{1/2},

    where :math:`P, Q` are the images scaled to unit mass and :math:`G_\sigma *`
    is :func:`skimgdist.preprocessing.gaussian_blur`.  The blurred unit-mass image
    is a kernel density estimate of the light's density (in pixel units, pixel
    area 1), so :math:`d_\sigma^2` estimates :math:`\int (p - q)^2 \, dx` [1]_: an
    "in-between" distance, pixel-wise like total variation but with light closer
    than about :math:`\sigma` pixels overlapping.  As the Euclidean distance between
    blurred images it is symmetric and satisfies the triangle inequality (a
    pseudo-metric: distinct images are at distance 0 only if the blur maps them to
    the same image).  ``sigma=0`` is the plain
    L2 distance between the unit-mass images.

    Parameters
    ----------
    sigma : float or pair of float, default=1.0
        Standard deviation of the blur in pixels, shared or ``(row, column)``.
    image_shape : tuple of two int, default=None
        ``(height, width)`` of the images; inferred as square when ``None``.
    mode : {"reflect", "wrap", "constant", "nearest", "mirror"}, default="reflect"
        Border extension of the blur (see :func:`~skimgdist.preprocessing.gaussian_blur`).
    truncate : float, default=4.0
        Cut the kernel off at this many standard deviations.
    normalize : bool, default=True
        Scale each image to unit mass before blurring.  With ``False`` raw pixels
        (any finite numbers) are blurred and compared.

    See Also
    --------
    blurred_l2 : The same distance as a plain function.
    skimgdist.preprocessing.GaussianBlur : The blur as a transformer.

    References
    ----------
    .. [1] "Calculate Earth Mover's Distance for two grayscale images", Cross
       Validated, question 404775, answer 404915 (2019).

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import BlurredL2
    >>> X = np.zeros((3, 64))
    >>> X[0, 27] = X[1, 28] = X[2, 31] = 1.0   # one lit pixel, moved by 1 and by 4 columns
    >>> D = BlurredL2(sigma=2.0).pairwise(X)
    >>> bool(D[0, 1] < D[0, 2])                  # nearer light is nearer
    True
    >>> print(round(BlurredL2(sigma=0.0)(X[0], X[1]), 4))   # no blur: sqrt(2)
    1.4142
    """

    _unit = "1/pixels"
    _parameter_constraints = {
        "sigma": [Interval(Real, 0, None, closed="left"), tuple],
        "mode": [StrOptions({"reflect", "wrap", "constant", "nearest", "mirror"})],
        "truncate": [Interval(Real, 0, None, closed="neither")],
        "normalize": ["boolean"],
    }

    def __init__(self, *, sigma=1.0, image_shape=None, mode="reflect", truncate=4.0,
                 normalize=True):
        self.sigma = sigma
        self.image_shape = image_shape
        self.mode = mode
        self.truncate = truncate
        self.normalize = normalize

    def _checks_distribution(self):
        return self.normalize

    def _blur(self, X, image_shape):
        return gaussian_blur(X, self.sigma, image_shape=image_shape, mode=self.mode,
                             truncate=self.truncate)

    def _pairwise_validated(self, X, Y, image_shape):
        blurred_y = None if Y is None else self._blur(Y, image_shape)
        return _pairwise_cdist(self._blur(X, image_shape), blurred_y, "euclidean")


@function_form_of(BlurredL2)
def blurred_l2(x, y, *, sigma=1.0, image_shape=None, mode="reflect", truncate=4.0,
               normalize=True):
    """L2 distance between two flattened images after a Gaussian blur.

    See :class:`BlurredL2` for the definition and the parameters.

    Parameters
    ----------
    x, y : array-like of shape (n_pixels,)
        Two images flattened in C order.
    sigma : float or pair of float, default=1.0
        Blur width in pixels.
    image_shape : tuple of two int, default=None
        ``(height, width)``; inferred as square when ``None``.
    mode : str, default="reflect"
        Border extension of the blur.
    truncate : float, default=4.0
        Kernel cut-off in standard deviations.
    normalize : bool, default=True
        Scale each image to unit mass before blurring.

    Returns
    -------
    distance : float

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import blurred_l2
    >>> x, y = np.zeros(64), np.zeros(64)
    >>> x[27], y[28] = 1.0, 1.0
    >>> bool(blurred_l2(x, y, sigma=2.0) < blurred_l2(x, y, sigma=0.0))
    True
    """
    return BlurredL2(sigma=sigma, image_shape=image_shape, mode=mode, truncate=truncate,
                     normalize=normalize)(x, y)
