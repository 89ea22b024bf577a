"""Image distances: every public distance as a plain function and a metric class.

Each distance follows the metric protocol of :class:`ImageMetric`: a function
``f(x, y, *, image_shape=None, **params)`` for scikit-learn's per-pair route, a
configured callable object for ``GridSearchCV``, and a batched ``pairwise``.

- Pixel-wise divergences (location-blind): :func:`total_variation`,
  :func:`kl_divergence`, :func:`jensen_shannon`, :func:`hellinger`,
  :func:`chi_square`, :func:`f_divergence`; and :func:`blurred_l2`.
- The approaches from the original question, as baselines: :func:`intensity_emd`,
  :func:`rowwise_emd`.
- Optimal transport with pixel locations: :func:`sliced_wasserstein`,
  :func:`max_sliced_wasserstein`, :func:`wasserstein` (exact),
  :func:`sinkhorn` and :func:`sinkhorn_divergence` (entropic).
"""

from ._base import ImageMetric
from ._baselines import IntensityEMD, RowwiseEMD, intensity_emd, rowwise_emd
from ._divergences import (
    BlurredL2,
    ChiSquare,
    FDivergence,
    Hellinger,
    JensenShannon,
    KLDivergence,
    TotalVariation,
    blurred_l2,
    chi_square,
    f_divergence,
    hellinger,
    jensen_shannon,
    kl_divergence,
    total_variation,
)
from ._exact import TransportResult, Wasserstein, wasserstein
from ._registry import available_metrics, get_metric
from ._sinkhorn import (
    Sinkhorn,
    SinkhornDivergence,
    SinkhornTransport,
    sinkhorn,
    sinkhorn_divergence,
)
from ._sliced import (
    MaxSlicedWasserstein,
    SlicedWasserstein,
    max_sliced_wasserstein,
    sliced_wasserstein,
)

__all__ = [
    "BlurredL2",
    "ChiSquare",
    "FDivergence",
    "Hellinger",
    "ImageMetric",
    "IntensityEMD",
    "JensenShannon",
    "KLDivergence",
    "MaxSlicedWasserstein",
    "RowwiseEMD",
    "Sinkhorn",
    "SinkhornDivergence",
    "SinkhornTransport",
    "SlicedWasserstein",
    "TotalVariation",
    "TransportResult",
    "Wasserstein",
    "available_metrics",
    "blurred_l2",
    "chi_square",
    "f_divergence",
    "get_metric",
    "hellinger",
    "intensity_emd",
    "jensen_shannon",
    "kl_divergence",
    "max_sliced_wasserstein",
    "rowwise_emd",
    "sinkhorn",
    "sinkhorn_divergence",
    "sliced_wasserstein",
    "total_variation",
    "wasserstein",
]
