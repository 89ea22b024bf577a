"""
Accuracy against time: exact, sliced and Sinkhorn
=================================================

Two handwritten digits (32x32 pixels) compared by the exact 2-Wasserstein distance
:math:`W_2` and by its fast substitutes. For each substitute, its relative gap to the
exact value against its time per pair, as its knob turns:

- Sinkhorn (:func:`skimgdist.sinkhorn`, reported as :math:`\\sqrt{\\cdot}` to be in pixels)
  converges to :math:`W_2` as the regularisation ``reg`` shrinks, and costs more;
- sliced and max-sliced Wasserstein are *different* distances, lower bounds of
  :math:`W_2`: more directions make them converge, but to their own value, not to
  :math:`W_2`. They are cheap, deterministic metrics, not approximations of the exact number.

At this small size the exact solver is itself quick; Sinkhorn pays off at full resolution,
where the exact problem is large (see the cost table in :doc:`/choosing`). Timings are the
best of three runs on whatever machine builds this page.

Run it alone as ``python examples/plot_accuracy_vs_time.py [OUT.png]``.
"""

import sys
import time

import matplotlib.pyplot as plt
import numpy as np

import skimgdist
from skimgdist.datasets import load_digits_images

digits = load_digits_images(upsample=4, n_per_class=1)
a, b = digits.data[3], digits.data[8]


def timed(function, **params):
    """The value of ``function(a, b, **params)`` and its best time over three runs."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        value = function(a, b, **params)
        times.append(time.perf_counter() - start)
    return value, min(times)


exact, exact_seconds = timed(skimgdist.wasserstein, ground_metric="euclidean", p=2)
print(f"exact W2 = {exact:.4f} pixels in {exact_seconds * 1e3:.1f} ms")

# %%
# The substitutes, each along its own knob.
regs = [16.0, 4.0, 1.0, 0.25, 0.0625]
sinkhorn = [timed(skimgdist.sinkhorn, reg=reg) for reg in regs]
sinkhorn = [(np.sqrt(value), seconds) for value, seconds in sinkhorn]
counts = [4, 16, 64, 256]
sliced = [timed(skimgdist.sliced_wasserstein, n_projections=n) for n in counts]
max_sliced = [timed(skimgdist.max_sliced_wasserstein, n_projections=n) for n in counts]

fig, (ax_images, ax) = plt.subplots(1, 2, figsize=(11, 4.8), width_ratios=[1, 2],
                                    layout="constrained")
ax_images.imshow(np.hstack([a.reshape(32, 32), b.reshape(32, 32)]), cmap="gray_r")
ax_images.set_title("the two images (32x32)")
ax_images.set_axis_off()
for label, points, knobs, marker in (
    ("sqrt(sinkhorn), reg =", sinkhorn, regs, "o-"),
    ("sliced_wasserstein, n_projections =", sliced, counts, "s-"),
    ("max_sliced_wasserstein, n_projections =", max_sliced, counts, "^-"),
):
    values, seconds = np.array(points).T
    gaps = np.abs(values - exact) / exact
    (line,) = ax.loglog(seconds, gaps, marker, label=label.split(",")[0])
    for knob, x, y in zip(knobs, seconds, gaps, strict=True):
        ax.annotate(f"{knob:g}", (x, y), textcoords="offset points", xytext=(4, 4),
                    fontsize=7, color=line.get_color())
ax.axvline(exact_seconds, color="k", ls=":", label="exact W2 (gap 0)")
ax.set_xlabel("time per pair (s, log scale)")
ax.set_ylabel("|estimate - W2| / W2")
ax.set_title(f"Relative gap to the exact W2 = {exact:.3f} px; labels: reg or n_projections")
ax.grid(True, which="both", alpha=0.3)
ax.legend(fontsize=8, loc="lower left")

# sphinx_gallery_start_ignore
# Standalone: python examples/plot_accuracy_vs_time.py OUT.png writes the figure.
if len(sys.argv) > 1:
    fig.savefig(sys.argv[1], dpi=100)
else:
    plt.show()
# sphinx_gallery_end_ignore
