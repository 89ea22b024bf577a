"""skimgdist.plotting draws what it is given, and the console commands write their plots."""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import skimgdist
from skimgdist.cli import main
from skimgdist.datasets import make_blob_images

pytest.importorskip("matplotlib", reason="the examples extra (matplotlib) is not installed")
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from skimgdist.plotting import plot_comparison, plot_evaluation

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _blob(shape, row, column, sigma=1.5):
    rows, columns = np.indices(shape)
    return np.exp(-((rows - row) ** 2 + (columns - column) ** 2) / (2 * sigma**2))


def _console_command():
    found = shutil.which("skimgdist", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("the skimgdist console script is not installed next to this Python")
    return found


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_comparison_draws_images_difference_and_one_bar_per_distance():
    a, b = _blob((12, 16), 4, 4), _blob((12, 16), 6, 10)
    distances = {"sliced_wasserstein": 4.5, "total_variation": 0.8, "sinkhorn": None}
    figure = plot_comparison(a, b, distances)
    bars_axes = figure.axes[-1]
    widths = [patch.get_width() for patch in bars_axes.patches]
    assert widths == [4.5, 0.8, 0.0]
    assert [t.get_text() for t in bars_axes.get_yticklabels()] == list(distances)
    assert "skipped" in [t.get_text() for t in bars_axes.texts]
    difference = figure.axes[2].images[0].get_array()  # the panels A, B, A - B come first
    expected = a / a.sum() - b / b.sum()
    np.testing.assert_allclose(difference, expected)


def test_comparison_uses_a_log_axis_only_when_distances_span_decades():
    a, b = _blob((8, 8), 2, 2), _blob((8, 8), 5, 5)
    assert plot_comparison(a, b, {"x": 1.0, "y": 50.0}).axes[-1].get_xscale() == "linear"
    assert plot_comparison(a, b, {"x": 1e-4, "y": 50.0}).axes[-1].get_xscale() == "log"


def test_comparison_folds_flat_images_with_image_shape():
    a, b = _blob((6, 10), 2, 2).ravel(), _blob((6, 10), 3, 7).ravel()
    figure = plot_comparison(a, b, {"d": 1.0}, image_shape=(6, 10))
    assert figure.axes[0].images[0].get_array().shape == (6, 10)


@pytest.mark.parametrize("a, b, distances, message", [
    (np.ones((4, 4)), np.ones((5, 5)), {"d": 1.0}, "differ in shape"),
    (np.ones((4, 4)), np.ones((4, 4)), {}, "non-empty mapping"),
    (-np.ones((4, 4)), np.ones((4, 4)), {"d": 1.0}, "negative pixel"),
])
def test_comparison_bad_input_raises_clear_errors(a, b, distances, message):
    with pytest.raises(ValueError, match=message):
        plot_comparison(a, b, distances)


def test_evaluation_places_each_record_at_its_time_and_accuracy():
    records = [
        {"metric": "sliced_wasserstein", "accuracy": 0.9, "accuracy_std": 0.05,
         "seconds_per_pair": 2e-5, "preprocessing": "blur 1"},
        {"metric": "total_variation", "accuracy": 0.8, "seconds_per_pair": 1e-7},
        {"metric": "wasserstein", "accuracy": None, "seconds_per_pair": None},
    ]
    figure = plot_evaluation(records, title="t")
    ax = figure.axes[0]
    points = [line.get_xydata()[0].tolist() for line in ax.lines if line.get_marker() == "o"]
    assert points == [[2e-5, 0.9], [1e-7, 0.8]]
    assert [t.get_text() for t in ax.texts] == ["sliced_wasserstein\n[blur 1]", "total_variation"]
    assert ax.get_xscale() == "log"


def test_evaluation_draws_on_given_axes_and_refuses_empty_results():
    figure, ax = plt.subplots()
    assert plot_evaluation([{"metric": "m", "accuracy": 1.0, "seconds_per_pair": 1.0}],
                           ax=ax) is figure
    with pytest.raises(ValueError, match="no result"):
        plot_evaluation([{"metric": "m", "accuracy": None, "seconds_per_pair": None}])


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "skimgdist\[examples\]"'):
        plot_evaluation([{"metric": "m", "accuracy": 1.0, "seconds_per_pair": 1.0}])


def test_compare_plot_without_matplotlib_is_a_clear_error(tmp_path, monkeypatch, capsys):
    for name, image in (("a.npy", _blob((8, 8), 2, 2)), ("b.npy", _blob((8, 8), 5, 5))):
        np.save(tmp_path / name, image)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    status = main(["compare", str(tmp_path / "a.npy"), str(tmp_path / "b.npy"),
                   "--plot", str(tmp_path / "out.png")])
    assert status == 2
    assert 'pip install "skimgdist[examples]"' in capsys.readouterr().err
    assert not (tmp_path / "out.png").exists()


def test_compare_plot_with_an_unknown_format_fails_before_the_work(tmp_path, capsys):
    for name in ("a.npy", "b.npy"):
        np.save(tmp_path / name, _blob((8, 8), 3, 3))
    status = main(["compare", str(tmp_path / "a.npy"), str(tmp_path / "b.npy"),
                   "--plot", str(tmp_path / "out.xyz")])
    assert status == 2
    captured = capsys.readouterr()
    assert "unknown image format 'xyz'" in captured.err and captured.out == ""


def test_console_compare_writes_the_comparison_plot(tmp_path):
    a, b = _blob((16, 16), 5, 5), _blob((16, 16), 5, 9)
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "b.npy", b)
    completed = subprocess.run(
        [_console_command(), "compare", "a.npy", "b.npy", "--metrics",
         "sliced_wasserstein,total_variation", "--plot", "comparison.png"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr
    png = (tmp_path / "comparison.png").read_bytes()
    assert png[:8] == PNG_SIGNATURE and len(png) > 20_000
    assert str(round(skimgdist.sliced_wasserstein(a.ravel(), b.ravel()), 4))[:5] in \
        completed.stdout


def test_console_evaluate_writes_the_accuracy_time_plot(tmp_path):
    blobs = make_blob_images(6, image_shape=(8, 8), n_classes=2, random_state=0)
    np.savez(tmp_path / "blobs.npz", X=blobs.data, y=blobs.target,
             image_shape=blobs.image_shape)
    completed = subprocess.run(
        [_console_command(), "evaluate", "blobs.npz", "--metrics",
         "total_variation,sliced_wasserstein", "--cv", "2", "--n-neighbors", "1",
         "--precision-k", "1", "-q", "--plot", "evaluation.png"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr
    png = (tmp_path / "evaluation.png").read_bytes()
    assert png[:8] == PNG_SIGNATURE and len(png) > 20_000


def test_evaluation_stacks_the_labels_of_coinciding_points():
    records = [{"metric": name, "accuracy": 0.8, "seconds_per_pair": 1e-5}
               for name in ("first", "second")]
    records.append({"metric": "apart", "accuracy": 0.5, "seconds_per_pair": 1e-2})
    offsets = [text.xyann for text in plot_evaluation(records).axes[0].texts]
    assert offsets[0] != offsets[1]
    assert offsets[0] == offsets[2]
