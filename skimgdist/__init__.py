"""skimgdist: image distances for scikit-learn.

Grayscale images are treated as distributions of light over the pixel grid and
compared by optimal transport (sliced, exact, entropic) and by divergences, in
forms that plug into every scikit-learn tool.
"""

from . import metrics
from ._config import clear_caches, config_context, get_config, set_config
from .embedding import SlicedWassersteinEmbedding
from .metrics import *  # noqa: F403  (the public distances, listed in metrics.__all__)
from .neighbors import ImageIndex, ImageNeighborsTransformer
from .pairwise import ImageDistances, image_kernel, pairwise_distances
from .preprocessing import Downscale, GaussianBlur, Normalize

__version__ = "0.1.0.dev0"

__all__ = [
    *metrics.__all__,
    "Downscale",
    "GaussianBlur",
    "ImageDistances",
    "ImageIndex",
    "ImageNeighborsTransformer",
    "Normalize",
    "SlicedWassersteinEmbedding",
    "clear_caches",
    "config_context",
    "get_config",
    "set_config",
    "__version__",
    "image_kernel",
    "pairwise_distances",
]
