"""The example scripts run and write what they promise."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_sliced_wasserstein_example_writes_its_figure(tmp_path):
    pytest.importorskip("matplotlib", reason="the examples extra (matplotlib) is not installed")
    figure = tmp_path / "sliced.png"
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES / "sliced_wasserstein.py"), str(figure)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert figure.stat().st_size > 10_000
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
