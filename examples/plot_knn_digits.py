"""
Nearest neighbours of handwritten digits
========================================

Retrieval with :class:`skimgdist.ImageIndex`: for a few query digits (left column), the
five nearest images of a gallery of 300 digits, by the sliced Wasserstein distance (top
block) and by total variation (bottom block). A neighbour with the wrong label has a red
frame. Total variation compares pixel by pixel, so a stroke drawn one pixel to the side
counts as a change of its whole ink; sliced Wasserstein measures how far the ink has to
move. On these small digits both find mostly the right class, and they make different
mistakes: look at which neighbours each one calls close.

Run it alone as ``python examples/plot_knn_digits.py [OUT.png]``.
"""

import sys

import matplotlib.pyplot as plt
import numpy as np

from skimgdist import ImageIndex
from skimgdist.datasets import load_digits_images

digits = load_digits_images(upsample=2, n_per_class=32, random_state=0)
queries = np.arange(0, len(digits.target), 32)[::2] + 1  # one digit of every other class
gallery = np.setdiff1d(np.arange(len(digits.target)), queries)
shape = digits.image_shape

metrics = ["sliced_wasserstein", "total_variation"]
k = 5
fig, axes = plt.subplots(2 * len(queries), k + 1, figsize=(7, 11), layout="constrained")
for block, metric in enumerate(metrics):
    index = ImageIndex(metric=metric).fit(digits.data[gallery])
    distances, neighbours = index.query(digits.data[queries], k=k)
    hits = digits.target[gallery][neighbours] == digits.target[queries][:, None]
    print(f"{metric}: {hits.mean():.0%} of neighbours have the query's label")
    for row, query in enumerate(queries):
        axes_row = axes[block * len(queries) + row]
        axes_row[0].imshow(digits.data[query].reshape(shape), cmap="gray_r")
        axes_row[0].set_ylabel(metric.replace("_", "\n") if row == 0 else "", fontsize=8)
        axes_row[0].set_title("query" if row == 0 else "", fontsize=8)
        for column in range(k):
            ax = axes_row[column + 1]
            ax.imshow(digits.data[gallery][neighbours[row, column]].reshape(shape),
                      cmap="gray_r")
            ax.set_title(f"{distances[row, column]:.2f}", fontsize=7)
            if not hits[row, column]:
                for spine in ax.spines.values():
                    spine.set(color="red", linewidth=2.5)
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("Five nearest gallery digits (distance above each)")

# sphinx_gallery_start_ignore
# Standalone: python examples/plot_knn_digits.py OUT.png writes the figure.
if len(sys.argv) > 1:
    fig.savefig(sys.argv[1], dpi=100)
else:
    plt.show()
# sphinx_gallery_end_ignore
