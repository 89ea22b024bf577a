"""The documentation site builds warning-free, runs every example once and documents every
public object.

One ``sphinx-build -W`` in a temporary folder (module fixture) serves every test here: it runs
each ``examples/plot_*.py`` once through sphinx-gallery, which also passes each script an
output path (``docs/_gallery.py``), so the same run checks the gallery page and the script's
own ``python examples/plot_x.py OUT.png`` behaviour.
"""

import ast
import importlib
import inspect
import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import skimgdist

pytest.importorskip("sphinx", reason="the docs extra is not installed")
pytest.importorskip("sphinx_gallery", reason="the docs extra is not installed")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Documented elsewhere: the command line has its own page (docs/cli.md).
NOT_IN_API_REFERENCE = {"skimgdist.cli"}
BUILD_OUTPUTS = shutil.ignore_patterns("_build", "generated", "auto_examples",
                                       "sg_execution_times.rst", "__pycache__")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    shutil.copytree(ROOT / "docs", folder / "docs", ignore=BUILD_OUTPUTS)
    shutil.copytree(ROOT / "examples", folder / "examples", ignore=BUILD_OUTPUTS)
    figures = folder / "figures"
    figures.mkdir()
    environment = {**os.environ, "SKIMGDIST_EXAMPLE_OUT": str(figures), "MPLBACKEND": "Agg"}
    completed = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         str(folder / "docs"), str(folder / "html")],
        capture_output=True, text=True, env=environment, timeout=900, check=False,
    )
    assert completed.returncode == 0, (
        f"sphinx-build -W failed:\n{completed.stderr[-6000:]}\n{completed.stdout[-2000:]}")
    return folder


def test_there_are_examples_to_build():
    assert len(EXAMPLES) >= 8, [path.name for path in EXAMPLES]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_every_example_is_in_the_gallery_with_its_figure(site, example):
    page = site / "html" / "auto_examples" / f"{example.stem}.html"
    assert page.is_file(), f"{example.name} has no gallery page"
    figure = f"sphx_glr_{example.stem}_001.png"
    assert figure in page.read_text(), f"the gallery page of {example.name} shows no figure"
    image = site / "html" / "_images" / figure
    assert image.read_bytes()[:8] == PNG_SIGNATURE


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_every_example_writes_its_figure_to_the_path_it_is_given(site, example):
    written = site / "figures" / f"{example.stem}.png"
    assert written.is_file(), f"python {example.name} OUT.png did not write OUT.png"
    assert written.read_bytes()[:8] == PNG_SIGNATURE and written.stat().st_size > 10_000


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_every_example_opens_with_a_title_and_a_paragraph(example):
    docstring = inspect.cleandoc(ast.get_docstring(ast.parse(example.read_text())) or "")
    lines = docstring.splitlines()
    assert len(lines) >= 4, f"{example.name}: the docstring needs a title and a paragraph"
    title, underline, blank, paragraph = lines[:4]
    assert underline == "=" * len(underline) and len(underline) >= len(title), example.name
    assert blank == "" and paragraph, example.name


def _public_modules():
    names = ["skimgdist"]
    for module in pkgutil.walk_packages(skimgdist.__path__, "skimgdist."):
        parts = module.name.split(".")
        if any(part.startswith("_") for part in parts):
            continue
        if any(module.name == hidden or module.name.startswith(hidden + ".")
               for hidden in NOT_IN_API_REFERENCE):
            continue
        names.append(module.name)
    return names


def _documented(site):
    """Objects with a page in the API reference, and their documented names."""
    names = {path.stem for path in (site / "docs" / "generated").glob("*.rst")}
    objects = set()
    for name in names:
        module_name, _, attribute = name.rpartition(".")
        objects.add(id(getattr(importlib.import_module(module_name), attribute)))
    return names, objects


@pytest.mark.parametrize("module_name", _public_modules())
def test_every_public_object_is_in_the_api_reference(site, module_name):
    module = importlib.import_module(module_name)
    public = getattr(module, "__all__", None)
    assert public is not None, f"{module_name} is public but has no __all__"
    names, objects = _documented(site)
    missing = [
        name for name in public
        if not (name.startswith("__") and name.endswith("__"))
        and f"{module_name}.{name}" not in names
        and id(getattr(module, name)) not in objects
    ]
    assert not missing, (f"{module_name}: add {missing} to an autosummary list in "
                         f"docs/api.rst")
    for name in names:
        assert (site / "html" / "generated" / f"{name}.html").is_file(), name


def test_every_markdown_guide_is_a_page_of_the_site(site):
    for guide in (ROOT / "docs").glob("*.md"):
        page = site / "html" / f"{guide.stem}.html"
        assert page.is_file(), f"docs/{guide.name} is not on the site"
    guide_index = (site / "html" / "guide.html").read_text()
    for guide in (ROOT / "docs").glob("*.md"):
        assert f'href="{guide.stem}.html"' in guide_index, f"docs/{guide.name} is not in the guide"
