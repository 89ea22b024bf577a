"""
Which distance for my data? ``skimgdist evaluate`` on two data sets
===================================================================

``skimgdist evaluate`` ranks every distance on a labelled image set by cross-validated
nearest-neighbour accuracy and measures its time per image pair. Here it runs on two
small sets, through the same entry point as the shell command, and
:func:`skimgdist.plotting.plot_evaluation` draws accuracy against time:

- left, 80 of scikit-learn's 8x8 handwritten digits (``skimgdist evaluate
  --n-samples 80 --cv 3``), every default distance;
- right, 48 synthetic 16x16 images of one blob whose class is *where* the blob sits
  (:func:`skimgdist.datasets.make_blob_images`, saved as an ``.npz`` file), every
  default distance but the exact and entropic transport, left out to keep this page
  quick.

The rankings differ between the two sets. On the digits, which are centred and aligned,
the pixel-wise divergences lead and cost far less. On the blobs, the distances that know
where the light is (sliced Wasserstein, and blurred L2 within its blur) lead and the
pixel-wise divergences fall behind. The best distance depends on the data, which is why
the command exists: run it on yours. These sets are small to keep the gallery quick, so
the accuracies are rough (a few points are within the noise).

Run it alone as ``python examples/plot_evaluate.py [OUT.png]``.
"""

import contextlib
import io
import json
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from skimgdist.cli import main
from skimgdist.datasets import make_blob_images
from skimgdist.plotting import plot_evaluation


def evaluate(*arguments):
    """Run ``skimgdist evaluate ARGUMENTS --json -`` and return its parsed output."""
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = main(["evaluate", *arguments, "--cv", "3", "--quiet", "--json", "-"])
    if status != 0:
        raise RuntimeError(f"skimgdist evaluate {' '.join(arguments)} failed")
    return json.loads(stdout.getvalue())


digits = evaluate("--n-samples", "80")
blobs = make_blob_images(12, image_shape=(16, 16), n_classes=4, sigma=0.5, jitter=2.0,
                         noise=0.02, random_state=0)
quick = ("sliced_wasserstein,max_sliced_wasserstein,blurred_l2,total_variation,hellinger,"
         "jensen_shannon,chi_square,kl_divergence:eps=1e-4,intensity_emd,rowwise_emd")
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "blobs.npz"
    np.savez(path, X=blobs.data, y=blobs.target, image_shape=blobs.image_shape)
    blob_results = evaluate(str(path), "--metrics", quick)

# %%
# The ranking of each set, as the command prints it.
for name, document in (("digits", digits), ("blobs", blob_results)):
    print(name)
    for record in document["results"]:
        if record["accuracy"] is not None:
            print(f"  {record['metric']:40s} accuracy {record['accuracy']:.3f}  "
                  f"{record['seconds_per_pair']:.1e} s/pair")

fig, axes = plt.subplots(1, 2, figsize=(13, 5.5), layout="constrained")
plot_evaluation(digits["results"], ax=axes[0], title="80 handwritten digits (8x8)")
plot_evaluation(blob_results["results"], ax=axes[1],
                title="48 blob images (16x16): the class is where the blob is")

# sphinx_gallery_start_ignore
# Standalone: python examples/plot_evaluate.py OUT.png writes the figure.
if len(sys.argv) > 1:
    fig.savefig(sys.argv[1], dpi=100)
else:
    plt.show()
# sphinx_gallery_end_ignore
