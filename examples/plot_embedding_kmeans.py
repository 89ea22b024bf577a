"""
KMeans in sliced-Wasserstein space
==================================

Handwritten digits are embedded with :class:`skimgdist.SlicedWassersteinEmbedding`,
whose Euclidean distances bound the sliced 2-Wasserstein distance between the
images from below (tightly, with enough bins). Plain ``KMeans`` then clusters
the images by how far their light has to move. Each cluster centre is a vector,
not an image: it is shown as the gallery image nearest to it, followed by
three other members of the cluster.

Run it alone as ``python examples/plot_embedding_kmeans.py [OUT.png]``.
"""

import sys

import matplotlib.pyplot as plt
import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from skimgdist import SlicedWassersteinEmbedding
from skimgdist.datasets import load_digits_images

digits = load_digits_images(upsample=2, n_per_class=40, random_state=0)
embedding = SlicedWassersteinEmbedding(n_projections=32, n_quantiles=16)
E = embedding.fit_transform(digits.data)
kmeans = KMeans(n_clusters=10, n_init=4, random_state=0).fit(E)
score = adjusted_rand_score(digits.target, kmeans.labels_)
print(f"adjusted Rand index against the digit labels: {score:.2f}")

# %%
# Each row is a cluster: the member nearest to its centre, then the next three.
fig, axes = plt.subplots(10, 4, figsize=(4.4, 10.5), layout="constrained")
for c, centre in enumerate(kmeans.cluster_centers_):
    members = np.flatnonzero(kmeans.labels_ == c)
    by_distance = members[np.argsort(np.linalg.norm(E[members] - centre, axis=1))]
    for col, ax in enumerate(axes[c]):
        ax.set_axis_off()
        if col < len(by_distance):
            ax.imshow(digits.data[by_distance[col]].reshape(digits.image_shape),
                      cmap="gray_r")
    axes[c, 0].set_title(f"cluster {c}", fontsize=7, loc="left")
fig.suptitle(f"KMeans on the SW embedding\n(centre as nearest image, then members;"
             f" ARI {score:.2f})", fontsize=9)

# sphinx_gallery_start_ignore
# Standalone: python examples/plot_embedding_kmeans.py OUT.png writes the figure.
if len(sys.argv) > 1:
    fig.savefig(sys.argv[1], dpi=100)
else:
    plt.show()
# sphinx_gallery_end_ignore
