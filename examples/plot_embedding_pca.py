"""
PCA of a collection in sliced-Wasserstein space
===============================================

The sliced-Wasserstein embedding turns each image into a vector of projected
quantile functions, a space where averaging and principal components make sense
for distributions of light (moving mass rather than blending pixels). Left: the
digits on the first two principal components. Right: the principal modes, drawn
as the gallery images nearest to the points at -2, -1, 0, 1 and 2 standard
deviations along each of the first three components.

Run it alone as ``python examples/plot_embedding_pca.py [OUT.png]``.
"""

import sys

import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA

from skimgdist import SlicedWassersteinEmbedding
from skimgdist.datasets import load_digits_images

digits = load_digits_images(upsample=2, n_per_class=40, random_state=0)
E = SlicedWassersteinEmbedding(n_projections=32, n_quantiles=16).fit_transform(digits.data)
pca = PCA(n_components=3).fit(E)
scores = pca.transform(E)

# %%
# A mode is a walk from the mean along one component, in steps of its standard
# deviation; an embedding is not an image, so each point is drawn as its nearest digit.
fig = plt.figure(figsize=(10, 4.5))
ax = fig.add_subplot(1, 2, 1)
points = ax.scatter(scores[:, 0], scores[:, 1], c=digits.target, cmap="tab10", s=10)
ax.legend(*points.legend_elements(), title="digit", fontsize=7, loc="best")
ax.set_xlabel("PC 1")
ax.set_ylabel("PC 2")
ax.set_title(f"digits in SW space ({pca.explained_variance_ratio_[:2].sum():.0%} "
             f"of the variance)")
steps = [-2, -1, 0, 1, 2]
for component in range(3):
    spread = np.sqrt(pca.explained_variance_[component])
    for k, step in enumerate(steps):
        target = pca.mean_ + step * spread * pca.components_[component]
        nearest = np.argmin(np.linalg.norm(E - target, axis=1))
        cell = fig.add_subplot(3, 10, 10 * component + 6 + k)
        cell.imshow(digits.data[nearest].reshape(digits.image_shape), cmap="gray_r")
        cell.set_axis_off()
        if component == 0:
            cell.set_title(f"{step:+d} sd", fontsize=8)
        if k == 0:
            cell.text(-0.3, 0.5, f"PC {component + 1}", transform=cell.transAxes,
                      ha="right", va="center", fontsize=8)

# sphinx_gallery_start_ignore
# Standalone: python examples/plot_embedding_pca.py OUT.png writes the figure.
if len(sys.argv) > 1:
    fig.savefig(sys.argv[1], dpi=100)
else:
    plt.show()
# sphinx_gallery_end_ignore
