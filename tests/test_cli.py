"""The command line, driven as users run it: ``python -m skimgdist`` and the ``skimgdist`` script.

The main paths run the real console script in a subprocess (exit status, output, files
written).  Importing scikit-learn costs seconds per process on a shared machine, so the
long list of bad inputs also runs through ``skimgdist.cli.main`` in-process, which is
the function the script calls.
"""

import csv
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PIL")
from PIL import Image

from skimgdist.cli._metrics import Skipped, distance_matrix
from skimgdist.datasets import make_blob_images
from skimgdist.metrics import ImageMetric, available_metrics, get_metric

AVAILABLE = available_metrics()
FAST = [name for name in ("total_variation", "sliced_wasserstein") if name in AVAILABLE]
METRICS = ",".join(FAST)


def run_cli(*args, cwd, script=False):
    command = [_script()] if script else [sys.executable, "-m", "skimgdist"]
    return subprocess.run([*command, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False)


def _script():
    found = shutil.which("skimgdist", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("the skimgdist console script is not installed (pip install -e .)")
    return found


def save_png(path, image, bits=8):
    peak = 255 if bits == 8 else 65535
    scaled = np.round(peak * image / image.max()).astype(np.uint8 if bits == 8 else np.uint16)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(scaled).save(path)


@pytest.fixture(scope="module")
def blobs():
    return make_blob_images(6, image_shape=(12, 12), n_classes=2, jitter=0.7, noise=0.02,
                            random_state=0)


@pytest.fixture
def dataset(tmp_path, blobs):
    root = tmp_path / "data"
    for i, (row, label) in enumerate(zip(blobs.data, blobs.target, strict=True)):
        save_png(root / f"class{label}" / f"{i:02d}.png", row.reshape(12, 12))
    return root


def files_under(folder):
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*"))


def assert_usage_error(result, *fragments):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_evaluate_folder_writes_table_json_and_csv_only_when_asked(tmp_path, dataset):
    before = files_under(tmp_path)
    result = run_cli("evaluate", dataset, "--metrics", METRICS, "--cv", 2, "--n-neighbors", 1,
                     "--precision-k", 3, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert files_under(tmp_path) == before
    assert "12 images of 12x12 pixels, 2 classes; 2-fold kNN (k=1), precision@3" in result.stdout
    for name in FAST:
        assert name in result.stdout

    result = run_cli("evaluate", dataset, "--metrics", METRICS, "--cv", 2, "--n-neighbors", 1,
                     "--json", "out.json", "--csv", "out.csv", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert files_under(tmp_path) == sorted([*before, "out.csv", "out.json"])
    document = json.loads((tmp_path / "out.json").read_text())
    assert document["n_images"] == 12 and document["n_classes"] == 2
    results = document["results"]
    assert [r["metric"] for r in results if r["accuracy"] is None] == []
    accuracies = [r["accuracy"] for r in results]
    assert accuracies == sorted(accuracies, reverse=True)
    assert all(0 <= r["precision_at_k"] <= 1 and r["seconds_per_pair"] > 0 for r in results)
    with open(tmp_path / "out.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["metric"] for row in rows] == [r["metric"] for r in results]


def test_evaluate_matches_an_independent_cross_validation(tmp_path, blobs):
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    np.savez(tmp_path / "blobs.npz", X=blobs.data, y=blobs.target, image_shape=[12, 12])
    name = FAST[-1]
    result = run_cli("evaluate", "blobs.npz", "--metrics", name, "--cv", 3, "--n-neighbors", 3,
                     "--json", "-", "--random-state", 4, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (record,) = json.loads(result.stdout)["results"]
    knn = KNeighborsClassifier(n_neighbors=3, metric=get_metric(name, image_shape=(12, 12)))
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=4)
    scores = cross_val_score(knn, blobs.data, blobs.target, cv=folds)
    assert record["accuracy"] == pytest.approx(scores.mean(), abs=1e-12)
    assert record["accuracy_std"] == pytest.approx(scores.std(), abs=1e-12)


def test_evaluate_preprocessing_grid_and_plot(tmp_path, blobs):
    pytest.importorskip("matplotlib")
    np.savez(tmp_path / "blobs.npz", X=blobs.data, y=blobs.target)
    result = run_cli("evaluate", "blobs.npz", "--metrics", FAST[0], "--cv", 2,
                     "--downscale", "1,2", "--blur", "0,1", "--plot", "plot.png", "--json",
                     "out.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    results = json.loads((tmp_path / "out.json").read_text())["results"]
    assert sorted((r["preprocessing"], r["image_shape"]) for r in results) == [
        ("blur 1", "12x12"), ("downscale by 2", "6x6"), ("downscale by 2 + blur 1", "6x6"),
        ("none", "12x12")]
    with Image.open(tmp_path / "plot.png") as plot:
        assert plot.format == "PNG" and plot.width > 100


def test_evaluate_default_digits_through_the_console_script(tmp_path):
    result = run_cli("evaluate", "--metrics", FAST[0], "--n-samples", 40, "--cv", 2,
                     "--upsample", 2, cwd=tmp_path, script=True)
    assert result.returncode == 0, result.stderr
    assert "scikit-learn digits (16x16): 40 images of 16x16 pixels, 10 classes" in result.stdout
    assert files_under(tmp_path) == []


def test_compare_two_pngs(tmp_path, blobs):
    save_png(tmp_path / "a.png", blobs.data[0].reshape(12, 12))
    save_png(tmp_path / "b.png", blobs.data[-1].reshape(12, 12), bits=16)
    result = run_cli("compare", "a.png", "b.png", "--json", "-", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["image_shape"] == [12, 12]
    from skimgdist.io import read_image

    a, b = read_image(tmp_path / "a.png").ravel(), read_image(tmp_path / "b.png").ravel()
    by_name = {r["metric"]: r for r in document["results"]}
    for name in FAST:
        expected = get_metric(name, image_shape=(12, 12))(a, b)
        assert by_name[name]["distance"] == pytest.approx(expected, rel=1e-12)
        assert by_name[name]["seconds"] > 0

    result = run_cli("compare", "a.png", "a.png", "--metrics", METRICS, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    table = result.stdout.splitlines()
    assert table[0] == "a.png vs a.png: 12x12 pixels, preprocessing: none"
    for name in FAST:
        (line,) = [row for row in table if row.startswith(name + " ")]
        assert float(line.split()[1]) == pytest.approx(0, abs=1e-9)


def test_compare_sizes_must_match_unless_resized_or_downscaled(tmp_path, blobs, cli):
    save_png(tmp_path / "a.png", blobs.data[0].reshape(12, 12))
    save_png(tmp_path / "big.png", np.kron(blobs.data[0].reshape(12, 12), np.ones((2, 2))))
    err = _one_line_error(cli, "compare", tmp_path / "a.png", tmp_path / "big.png",
                          "--metrics", FAST[0])
    assert "different sizes" in err and "a.png is 12x12" in err and "big.png is 24x24" in err
    assert "--resize" in err
    status, out, _ = cli("compare", tmp_path / "a.png", tmp_path / "big.png", "--metrics",
                         FAST[0], "--downscale", "6x6", "--json", "-")
    assert status == 0
    (record,) = json.loads(out)["results"]
    # big.png is a.png upsampled by 2: summing 2x2 blocks brings both to the same image.
    assert record["distance"] == pytest.approx(0, abs=1e-6)


def test_search_finds_the_query_first_and_saves_a_grid(tmp_path, dataset):
    query = dataset / "class1" / "08.png"
    result = run_cli("search", query, dataset, "-k", 4, "--metric", FAST[0], "--save-grid",
                     "grid.png", cwd=tmp_path, script=True)
    assert result.returncode == 0, result.stderr
    table = result.stdout.splitlines()
    ranks = [line.split() for line in table if line.strip()[:1].isdigit()]
    assert [r[0] for r in ranks] == ["1", "2", "3", "4"]
    assert ranks[0][2] == str(Path("class1") / "08.png")
    assert float(ranks[0][1]) == pytest.approx(0, abs=1e-9)
    assert all(str(Path("class1")) in r[2] for r in ranks)
    distances = [float(r[1]) for r in ranks]
    assert distances == sorted(distances)
    with Image.open(tmp_path / "grid.png") as grid:
        assert grid.height > 128 and grid.width > 5 * 128


def test_bad_input_from_the_real_script(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run_cli("evaluate", "empty", cwd=tmp_path)
    assert_usage_error(result, "no class sub-folders")
    assert files_under(tmp_path) == ["empty"]


def _one_line_error(call, *args):
    status, _out, err = call(*args)
    assert status == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    return err


def test_bad_labelled_sets(tmp_path, cli, blobs):
    def folder(name, images):
        root = tmp_path / name
        for label, index, image in images:
            save_png(root / label / f"{index}.png", image)
        return root

    image = blobs.data[0].reshape(12, 12)
    one_class = folder("one", [("a", i, image) for i in range(4)])
    assert "one class only" in _one_line_error(cli, "evaluate", one_class)
    single = folder("single", [("a", 0, image)])
    assert "single image" in _one_line_error(cli, "evaluate", single)
    mixed = folder("mixed", [("a", 0, image), ("a", 1, image), ("b", 2, image),
                             ("b", 3, np.ones((5, 5)))])
    err = _one_line_error(cli, "evaluate", mixed, "--cv", 2, "--n-neighbors", 1, "--precision-k",
                          1, "--metrics", FAST[0])
    assert "different sizes" in err and "3.png is 5x5" in err
    few = folder("few", [("a", 0, image), ("a", 1, image), ("b", 2, image)])
    assert "needs at least 2 per class" in _one_line_error(cli, "evaluate", few, "--cv", 2)
    dark = folder("dark", [("a", 0, image), ("a", 1, image), ("b", 2, image), ("b", 3, image)])
    Image.fromarray(np.zeros((12, 12), dtype=np.uint8)).save(dark / "b" / "3.png")
    err = _one_line_error(cli, "evaluate", dark, "--cv", 2, "--n-neighbors", 1, "--precision-k",
                          1, "--metrics", FAST[0])
    assert "3.png" in err and "zero total mass" in err
    broken = folder("broken", [("a", 0, image), ("b", 1, image)])
    (broken / "b" / "2.png").write_text("not an image")
    err = _one_line_error(cli, "evaluate", broken)
    assert "2.png is not a readable image" in err
    assert not list(tmp_path.glob("*.json"))


def test_bad_npz_and_options(tmp_path, cli, blobs):
    X = blobs.data.copy()
    X[3, 5] = np.nan
    np.savez(tmp_path / "nan.npz", X=X, y=blobs.target)
    err = _one_line_error(cli, "evaluate", tmp_path / "nan.npz")
    assert "row 3 of X" in err and "NaN" in err
    np.savez(tmp_path / "ok.npz", X=blobs.data, y=blobs.target)
    assert "no such file" in _one_line_error(cli, "evaluate", tmp_path / "missing.npz")
    assert "unknown metric 'nope'" in _one_line_error(cli, "evaluate", tmp_path / "ok.npz",
                                                      "--metrics", "nope")
    assert "--cv must be at least 2" in _one_line_error(cli, "evaluate", tmp_path / "ok.npz",
                                                        "--cv", 1)
    assert "--downscale expects" in _one_line_error(cli, "evaluate", tmp_path / "ok.npz",
                                                    "--downscale", "big")
    assert "--upsample applies to the built-in digits" in _one_line_error(
        cli, "evaluate", tmp_path / "ok.npz", "--upsample", 2)
    assert "folder" in _one_line_error(cli, "evaluate", tmp_path / "ok.npz", "--json",
                                       tmp_path / "no" / "such" / "dir.json")
    err = _one_line_error(cli, "evaluate", tmp_path / "ok.npz", "--metrics",
                          f"{FAST[-1]}:image_shape=7")
    assert FAST[-1] in err
    assert files_under(tmp_path) == ["nan.npz", "ok.npz"]


def test_bad_compare_and_search(tmp_path, cli, blobs):
    save_png(tmp_path / "a.png", blobs.data[0].reshape(12, 12))
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "fake.png").write_text("hello")
    assert "no such file" in _one_line_error(cli, "compare", "a.png", tmp_path / "b.png")
    assert "not a readable image" in _one_line_error(cli, "compare", tmp_path / "a.png",
                                                     tmp_path / "notes.txt")
    assert "not a readable image" in _one_line_error(cli, "compare", tmp_path / "a.png",
                                                     tmp_path / "fake.png")
    (tmp_path / "gallery").mkdir()
    assert "holds no image files" in _one_line_error(cli, "search", tmp_path / "a.png",
                                                     tmp_path / "gallery")
    save_png(tmp_path / "gallery" / "g.png", blobs.data[1].reshape(12, 12))
    assert "-k 5 but" in _one_line_error(cli, "search", tmp_path / "a.png",
                                         tmp_path / "gallery", "--metric", FAST[0])
    assert "unknown image format" in _one_line_error(
        cli, "search", tmp_path / "a.png", tmp_path / "gallery", "-k", 1, "--save-grid",
        tmp_path / "grid.xyz")
    assert "HEIGHTxWIDTH" in _one_line_error(cli, "compare", tmp_path / "a.png",
                                             tmp_path / "a.png", "--resize", "12by12")
    status, out, _ = cli("search", tmp_path / "a.png", tmp_path / "gallery", "-k", 1,
                         "--metric", FAST[0], "--resize", "8x8")
    assert status == 0 and "8x8 pixels" in out
    assert files_under(tmp_path) == ["a.png", "fake.png", "gallery", "gallery/g.png",
                                     "notes.txt"]
    status, _, err = cli()
    assert status == 2 and "usage: skimgdist" in err


class _Slow(ImageMetric):
    """A metric that takes ``delay`` seconds per pair: |mean(x) - mean(y)| (+ asymmetry)."""

    _parameter_constraints = {"image_shape": [tuple, None], "delay": [float],
                              "asymmetric": [bool]}

    def __init__(self, *, image_shape=None, delay=0.0, asymmetric=False):
        self.image_shape = image_shape
        self.delay = delay
        self.asymmetric = asymmetric

    @property
    def _is_symmetric(self):
        return not self.asymmetric

    def _pairwise_validated(self, X, Y, image_shape):
        Y = X if Y is None else Y
        time.sleep(self.delay * len(X) * len(Y))
        D = np.abs(X[:, :1] - Y[:, :1].T)
        return D + X[:, 1:2] if self.asymmetric else D


@pytest.mark.parametrize("asymmetric", [False, True])
def test_budgeted_matrix_assembles_blocks_like_one_call(asymmetric):
    X = np.random.default_rng(1).uniform(0.1, 1, size=(70, 4))
    metric = _Slow(delay=1.5e-4, asymmetric=asymmetric)
    D, per_pair, notes = distance_matrix(metric, X, time_limit=60)
    np.testing.assert_allclose(D, _Slow(asymmetric=asymmetric).pairwise(X, X.copy()),
                               rtol=1e-15)
    assert per_pair >= 1.5e-4 and notes == []


def test_budgeted_matrix_skips_before_the_work_when_too_slow():
    X = np.random.default_rng(1).uniform(0.1, 1, size=(50, 4))
    start = time.perf_counter()
    with pytest.raises(Skipped, match=r"per pair, .* for 1275 pairs, over the --time-limit"):
        distance_matrix(_Slow(delay=0.01), X, time_limit=0.5)
    assert time.perf_counter() - start < 12.75  # the whole matrix would take 12.75 s


def test_npz_of_non_square_images_asks_for_its_image_shape(tmp_path, cli, blobs):
    np.savez(tmp_path / "strips.npz", X=blobs.data[:, :120], y=blobs.target)
    err = _one_line_error(cli, "evaluate", tmp_path / "strips.npz")
    assert "120 pixels" in err and "image_shape=(height, width)" in err and "np.savez" in err
