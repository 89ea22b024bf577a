"""Hooks of the example gallery (named by string in conf.py so the config pickles).

The gallery opens with the examples that explain the idea, in :data:`READING_ORDER`; any
other ``plot_*.py`` follows in alphabetical order.

With ``SKIMGDIST_EXAMPLE_OUT=DIR`` in the environment, each example runs as
``python examples/plot_x.py DIR/plot_x.png`` and so also writes its figure there:
the test suite checks both the gallery and the scripts' own output from one run.
"""

import os
from pathlib import Path


def example_argv(gallery_conf, script_vars):
    folder = os.environ.get("SKIMGDIST_EXAMPLE_OUT")
    if not folder:
        return []
    return [str(Path(folder) / (Path(script_vars["src_file"]).stem + ".png"))]


READING_ORDER = [
    "plot_translation.py",
    "plot_heatmaps_299.py",
    "plot_sliced_directions.py",
    "plot_accuracy_vs_time.py",
    "plot_evaluate.py",
    "plot_knn_digits.py",
    "plot_clustering.py",
    "plot_grid_search.py",
]


class ReadingOrder:
    """Sort key of sphinx-gallery's ``within_subsection_order``."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        if filename in READING_ORDER:
            return (READING_ORDER.index(filename), filename)
        return (len(READING_ORDER), filename)

    def __repr__(self):
        return "ReadingOrder"
