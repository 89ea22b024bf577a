"""Where the light moves: the optimal transport behind the Wasserstein distance.

Two 40x40 images: a bright square and a fainter blob on the left (the source), a
ring on the right (the target).  Left panel: the exact euclidean transport plan
(``method="dense"``), each arrow the mean displacement of the light leaving a 3x3
block, to scale.  Right panel: the cityblock grid flow (``method="grid"``), each
arrow the flux of light through a block: the light travels along the pixel grid,
and the flux shows the roads it takes.  Run as ``python examples/plot_optimal_flow.py [OUT.png]``.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from skimgdist import Wasserstein
from skimgdist.plotting import plot_flow

SHAPE = (40, 40)


def images():
    rows, columns = np.indices(SHAPE)
    source = np.zeros(SHAPE)
    source[8:16, 6:14] = 1.0
    source += 0.5 * np.exp(-((rows - 29) ** 2 + (columns - 10) ** 2) / 18.0)
    radius = np.hypot(rows - 20, columns - 27)
    target = np.exp(-((radius - 8) ** 2) / 4.0)
    # Compact support: no faint tails whose light would cross the whole picture.
    source[source < 0.05] = 0.0
    target[target < 0.05] = 0.0
    return source, target


def main(out=None):
    source, target = images()
    x, y = source.ravel(), target.ravel()
    fig, axes = plt.subplots(1, 2, figsize=(10, 5), constrained_layout=True)
    for ax, params, title in (
        (axes[0], {"method": "dense"}, "exact euclidean plan"),
        (axes[1], {"ground_metric": "cityblock", "method": "grid"}, "cityblock grid flow"),
    ):
        result = Wasserstein(image_shape=SHAPE, **params).transport(x, y)
        plot_flow(result, source + target, step=3, ax=ax)
        ax.set_title(f"{title}: W1 = {result.distance:.2f} px")
    out = Path(out) if out else Path(__file__).with_suffix(".png")
    fig.savefig(out, dpi=80)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
