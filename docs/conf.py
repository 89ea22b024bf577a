"""Sphinx configuration of the skimgdist documentation site.

Build it with ``sphinx-build -W -b html docs docs/_build/html`` (the ``docs`` extra).
Every ``examples/plot_*.py`` runs once during the build and joins the gallery.
"""

import re
import sys
from pathlib import Path

import skimgdist

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS))  # for _gallery.py, named by string in sphinx_gallery_conf

project = "skimgdist"
author = "The skimgdist developers"
copyright = "The skimgdist developers"
release = skimgdist.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "README.md", "**/README.rst", "sg_execution_times.rst"]
templates_path = ["_templates"]

# API reference: one page per public object, from its numpydoc docstring.
autosummary_generate = True
autodoc_default_options = {"inherited-members": False}
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()

# The markdown guides: $...$ and $$...$$ maths, headings as link targets.
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

sphinx_gallery_conf = {
    "examples_dirs": str(DOCS.parent / "examples"),
    "gallery_dirs": "auto_examples",
    # Every plot_*.py runs (and only those are collected); new ones join by their name.
    "filename_pattern": r"[\\/]plot_",
    "ignore_pattern": r"[\\/](?!plot_)[^\\/]+\.py$",
    "within_subsection_order": "_gallery.ReadingOrder",
    "reset_argv": "_gallery.example_argv",
    "remove_config_comments": True,
    "download_all_examples": False,
    "show_memory": False,
    "min_reported_time": 1,
}

html_theme = "pydata_sphinx_theme"
html_title = f"skimgdist {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "auto_examples/index": []}
html_theme_options["secondary_sidebar_items"] = {"**": ["page-toc"], "index": []}
html_static_path = []


def _every_markdown_guide(app, docname, source):
    """Add to the user guide's table of contents every docs/*.md that it does not list yet.

    Guides written later (by anyone) join the site without an edit here; a plain
    ``:glob:`` cannot do it because it would also pick up index, api and guide itself.
    """
    if docname != "guide":
        return
    listed = set(re.findall(r"^   (\S+)$", source[0], flags=re.MULTILINE))
    extra = sorted(path.stem for path in DOCS.glob("*.md") if path.stem not in listed)
    source[0] += "".join(f"   {name}\n" for name in extra)


def setup(app):
    app.connect("source-read", _every_markdown_guide)
