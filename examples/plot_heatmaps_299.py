"""
Two 299x299 heatmaps: the comparison from the question
======================================================

The question that started skimgdist: two 299x299 grayscale heatmaps, compared first by
the earth mover's distance between their *intensity histograms* (which ignores where the
intensity is), then by the proposal of one histogram per row, averaged (which only lets
light move along rows). Here heatmap B is heatmap A with its three hot spots moved: the
largest 15 pixels down, the widest 20 pixels right, the smallest up and left.

- ``intensity_emd`` (the first approach) is nearly zero: the two heatmaps have almost the
  same histogram of intensities, wherever the spots are.
- ``rowwise_emd`` (the second) sees the horizontal moves but is blind to the vertical one.
- ``sliced_wasserstein`` at full resolution, and the exact ``wasserstein`` and
  ``sinkhorn_divergence`` after summing 10x10 blocks into a 30x30 image (the answer's
  "downscale" suggestion; ``pixel_size=10`` keeps the distances in original pixels)
  measure how far the light moved.
- ``total_variation``, ``hellinger`` and ``blurred_l2`` only say how much of the light is
  no longer where it was.

The exact EMD at full resolution is also available (``ground_metric="cityblock"`` or
``neighborhood=``), but takes tens of seconds per pair, too long for this gallery.

Run it alone as ``python examples/plot_heatmaps_299.py [OUT.png]``.
"""

import sys

import matplotlib.pyplot as plt
import numpy as np

import skimgdist
from skimgdist import Downscale
from skimgdist.plotting import plot_comparison

shape = (299, 299)
rows, columns = np.indices(shape)


def heatmap(spots):
    """A sum of Gaussian hot spots, each ``(row, column, width, height)``."""
    return sum(height * np.exp(-((rows - r) ** 2 + (columns - c) ** 2) / (2 * width**2))
               for r, c, width, height in spots).ravel()


a = heatmap([(80, 90, 25, 1.0), (200, 180, 35, 0.7), (150, 250, 15, 0.5)])
b = heatmap([(95, 90, 25, 1.0), (200, 200, 35, 0.7), (120, 240, 15, 0.5)])

# %%
# Full resolution for the fast distances; 30x30 for the exact and entropic transport.
small = Downscale(factor=10, image_shape=shape).fit_transform(np.stack([a, b]))
distances = {
    "intensity_emd (question, 1st)": skimgdist.intensity_emd(a, b),
    "rowwise_emd (question, 2nd)": skimgdist.rowwise_emd(a, b),
    "sliced_wasserstein (px)": skimgdist.sliced_wasserstein(a, b),
    "wasserstein, exact, 30x30 (px)": skimgdist.wasserstein(*small, pixel_size=10),
    "sinkhorn_divergence, 30x30 (px²)": skimgdist.sinkhorn_divergence(
        *small, pixel_size=10, reg=100.0),
    "total_variation": skimgdist.total_variation(a, b),
    "hellinger": skimgdist.hellinger(a, b),
    "blurred_l2 (sigma 5 px)": skimgdist.blurred_l2(a, b, sigma=5.0),
}
for name, value in distances.items():
    print(f"{name:36s} {value:.4g}")

fig = plot_comparison(a, b, distances, title="Two 299x299 heatmaps: B is A with its hot "
                      "spots moved")

# sphinx_gallery_start_ignore
# Standalone: python examples/plot_heatmaps_299.py OUT.png writes the figure.
if len(sys.argv) > 1:
    fig.savefig(sys.argv[1], dpi=100)
else:
    plt.show()
# sphinx_gallery_end_ignore
