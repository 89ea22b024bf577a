"""
Where the light moves: the displacement field of an entropic plan
=================================================================

Two 48x48 heatmaps: the source has two bumps, the target moves one to the right
and shrinks the other.  ``Sinkhorn.transport`` returns the dual potentials, the
plan's marginals and the barycentric displacement of every source pixel (where
its light goes on average, in pixels); ``skimgdist.plotting.plot_displacement``
draws it as arrows over the source image.

Run it alone as ``python examples/plot_sinkhorn_displacement.py [OUT.png]``.
"""

import sys

import matplotlib.pyplot as plt
import numpy as np

from skimgdist import Sinkhorn
from skimgdist.plotting import plot_displacement


def bump(shape, centre, sigma):
    rows, columns = np.indices(shape)
    return np.exp(-((rows - centre[0]) ** 2 + (columns - centre[1]) ** 2) / (2 * sigma**2))


shape = (48, 48)
source = bump(shape, (15, 13), 4.0) + 0.7 * bump(shape, (33, 30), 5.0)
target = bump(shape, (16, 29), 4.0) + 0.7 * bump(shape, (33, 30), 3.0)
plan = Sinkhorn(reg=2.0).transport(source.ravel(), target.ravel())

figure, axes = plt.subplots(1, 3, figsize=(13, 4.4))
axes[0].imshow(source, cmap="gray_r")
axes[0].set_title("source")
axes[1].imshow(target, cmap="gray_r")
axes[1].set_title("target")
plot_displacement(plan, ax=axes[2], step=2)
figure.tight_layout()
print(f"transport cost {plan.value:.4f} px^2; largest move "
      f"{np.hypot(*plan.displacement.reshape(-1, 2).T).max():.2f} px")

# sphinx_gallery_start_ignore
# Standalone: python examples/plot_sinkhorn_displacement.py OUT.png writes the figure.
if len(sys.argv) > 1:
    figure.savefig(sys.argv[1], dpi=110)
else:
    plt.show()
# sphinx_gallery_end_ignore
