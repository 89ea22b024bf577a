"""Hooks of the example gallery (named by string in conf.py so the config pickles).

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
