"""Pytest configuration shared by the test suite and the doctests in ``skimgdist/``."""

import pytest

import skimgdist
from skimgdist.cli import main
from skimgdist.metrics import _sliced_kernels

# Importing the module entry point would run the command line.
collect_ignore = ["skimgdist/__main__.py"]

_ENGINES = ["numpy", pytest.param("compiled", marks=pytest.mark.skipif(
    _sliced_kernels.merge_costs is None, reason="numba (the 'fast' extra) is not installed"))]


@pytest.fixture(params=_ENGINES)
def engine(request):
    """Run a test with the compiled kernels and with the NumPy fallback."""
    with skimgdist.config_context(compiled_kernels=request.param != "numpy"):
        yield request.param


@pytest.fixture
def cli(capsys):
    """Run the command line in this process: ``(status, stdout, stderr)``."""
    def call(*args):
        status = main([str(a) for a in args])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return call
