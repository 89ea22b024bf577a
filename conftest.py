"""Pytest configuration shared by the test suite and the doctests in ``skimgdist/``."""

# Importing the module entry point would run the command line.
collect_ignore = ["skimgdist/__main__.py"]
