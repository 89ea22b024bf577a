"""
Nearest-neighbour classification on the exact sliced-Wasserstein graph
=======================================================================

:class:`skimgdist.ImageNeighborsTransformer` builds scikit-learn's sparse
neighbours graph with the **exact** sliced 2-Wasserstein distance, computing it
only for the pairs that the certified bounds of the embedding cannot rule out.
In a ``Pipeline`` with ``KNeighborsClassifier(metric="precomputed")`` it
classifies the digits. The figure shows test images (left column) and their five
nearest training images, and reports the fraction of pairs computed exactly.

Run it alone as ``python examples/plot_neighbors_graph.py [OUT.png]``.
"""

import sys

import matplotlib.pyplot as plt
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline

from skimgdist import ImageNeighborsTransformer, SlicedWasserstein
from skimgdist.datasets import load_digits_images

digits = load_digits_images(upsample=2, n_per_class=30, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    digits.data, digits.target, test_size=0.3, random_state=0, stratify=digits.target)
graph = ImageNeighborsTransformer(n_neighbors=5, metric=SlicedWasserstein(n_projections=32))
model = make_pipeline(graph, KNeighborsClassifier(n_neighbors=5, metric="precomputed"))
accuracy = model.fit(X_train, y_train).score(X_test, y_test)
fraction = model[0].exact_fraction_
print(f"test accuracy {accuracy:.2f}; {fraction:.1%} of the training pairs computed exactly")

# %%
# The fitted transformer answers neighbour queries for new images too.
shown = X_test[:6]
distances, indices = model[0].query(shown, k=5)
fig, axes = plt.subplots(len(shown), 6, figsize=(6, 6.4), layout="constrained")
for row, (image, near, dist) in enumerate(zip(shown, indices, distances, strict=True)):
    axes[row, 0].imshow(image.reshape(digits.image_shape), cmap="gray_r")
    for col in range(5):
        axes[row, col + 1].imshow(X_train[near[col]].reshape(digits.image_shape),
                                  cmap="Blues")
        axes[row, col + 1].set_title(f"{dist[col]:.2f}", fontsize=7)
    for ax in axes[row]:
        ax.set_axis_off()
fig.suptitle(f"5-NN on the exact SW2 graph: accuracy {accuracy:.2f}\n"
             f"{fraction:.0%} of the training pairs computed exactly", fontsize=9)

# sphinx_gallery_start_ignore
# Standalone: python examples/plot_neighbors_graph.py OUT.png writes the figure.
if len(sys.argv) > 1:
    fig.savefig(sys.argv[1], dpi=100)
else:
    plt.show()
# sphinx_gallery_end_ignore
