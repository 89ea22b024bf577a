"""The embedding and neighbours examples run as scripts and write their figures."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = ["plot_embedding_kmeans.py", "plot_embedding_pca.py", "plot_embedding_svc.py",
           "plot_neighbors_graph.py"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_writes_its_figure(script, tmp_path):
    pytest.importorskip("matplotlib", reason="the examples extra (matplotlib) is not installed")
    figure = tmp_path / "figure.png"
    completed = subprocess.run([sys.executable, str(EXAMPLES / script), str(figure)],
                               capture_output=True, text=True, timeout=600, check=False)
    assert completed.returncode == 0, completed.stderr
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert figure.stat().st_size > 10_000


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_follows_the_gallery_format(script):
    """A title line, a blank line, then a paragraph (the sphinx-gallery docstring)."""
    source = (EXAMPLES / script).read_text()
    lines = source.split('"""')[1].splitlines()
    assert lines[0].strip() and not lines[1].strip() and lines[2].strip()
