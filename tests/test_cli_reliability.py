"""The command line under failure, interruption and first use, driven as users run it.

Distances that crash, hang until told to go on, or return NaN are registered by a small
plugin script (``PLUGIN`` below) that then runs the real command line, so every case
runs in a fresh process, through the same fork-and-time-limit machinery as the shipped
distances.  Requests too large for memory and bad option values run in-process
through ``skimgdist.cli.main``, the function the console script calls.
"""

import json
import os
import pty
import signal
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest

pytest.importorskip("PIL")
from PIL import Image

from skimgdist.cli._metrics import Skipped, distance_matrix, remedies
from skimgdist.metrics import ImageMetric, available_metrics, get_metric

PLUGIN = '''
import os, signal, sys, time
from pathlib import Path

import numpy as np

import skimgdist.metrics as metrics
from skimgdist.metrics import ImageMetric
from skimgdist.metrics._base import function_form_of


class _Test(ImageMetric):
    _parameter_constraints = {"image_shape": [tuple, None]}

    def __init__(self, *, image_shape=None):
        self.image_shape = image_shape

    def _pairwise_validated(self, X, Y, image_shape):
        Y = X if Y is None else Y
        if X.shape[1] > 64:  # the images of the test, not the command's 8x8 warm-up
            self.act()
        return np.abs(X[:, :1] - Y[:, :1].T)

    def act(self):
        pass


class Crash(_Test):
    def act(self):
        os.kill(os.getpid(), signal.SIGSEGV)


class Wait(_Test):
    def act(self):
        while not Path(os.environ["SKIMGDIST_TEST_GO"]).exists():
            time.sleep(0.02)


for name, cls in (("crash", Crash), ("wait", Wait)):
    function = function_form_of(cls)(lambda x, y, *, image_shape=None: 0.0)
    setattr(metrics, name, function)
    metrics.__all__ = [*metrics.__all__, name]

from skimgdist.cli import main

sys.exit(main(sys.argv[1:]))
'''


@pytest.fixture
def plugin(tmp_path):
    script = tmp_path / "plugin.py"
    script.write_text(PLUGIN)
    return script


def command(script, *args):
    return [sys.executable, str(script), *map(str, args)]


def run(script, *args, cwd, env=None):
    return subprocess.run(command(script, *args), cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False, env={**os.environ, **(env or {})})


@pytest.fixture
def images(tmp_path):
    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        Image.fromarray(rng.integers(1, 255, size=(12, 12), dtype=np.uint8)).save(
            tmp_path / f"{name}.png")
    gallery = tmp_path / "gallery"
    gallery.mkdir()
    for i in range(3):
        Image.fromarray(rng.integers(1, 255, size=(12, 12), dtype=np.uint8)).save(
            gallery / f"{i}.png")
    return tmp_path


def assert_one_line(err, *fragments):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_crashed_and_slow_distances_are_reported_and_the_others_complete(plugin, tmp_path):
    rng = np.random.default_rng(0)
    for name in ("c", "d"):
        Image.fromarray(rng.integers(1, 255, size=(32, 32), dtype=np.uint8)).save(
            tmp_path / f"{name}.png")
    # "wait" never finishes above 64 pixels: stopped at the limit, then timed downscaled
    # (32x32 by 2 still waits, so it is stopped at a quarter of the limit; by 4 it runs).
    result = run(plugin, "compare", "c.png", "d.png", "--metrics", "total_variation,crash,wait",
                 "--time-limit", 2, "--json", "-", "-q", cwd=tmp_path,
                 env={"SKIMGDIST_TEST_GO": str(tmp_path / "never")})
    assert result.returncode == 1, result.stderr
    assert_one_line(result.stderr, "1 distance failed: crash")
    by_name = {r["metric"]: r for r in json.loads(result.stdout)["results"]}
    assert by_name["total_variation"]["distance"] > 0
    assert by_name["crash"]["distance"] is None
    assert "killed by SIGSEGV" in by_name["crash"]["notes"][0]
    assert by_name["wait"]["distance"] is None
    assert by_name["wait"]["notes"][0].startswith(
        "skipped: still running after 2 s (the --time-limit is 2 s); --downscale 4 "
        "(downscale by 4 to 8x8): ")
    assert by_name["wait"]["notes"][0].endswith("(measured)")


class _NaNs(ImageMetric):
    """NaN between different images (a solver that lost precision)."""

    _parameter_constraints = {"image_shape": [tuple, None]}

    def __init__(self, *, image_shape=None):
        self.image_shape = image_shape

    def _pairwise_validated(self, X, Y, image_shape):
        Y = X if Y is None else Y
        D = np.abs(X[:, :1] - Y[:, :1].T)
        return np.where(D > 0, np.nan, D)


@pytest.fixture
def nans(monkeypatch):
    """Register ``_NaNs`` as the distance ``nans`` (forked children inherit it)."""
    import skimgdist.metrics as metrics
    from skimgdist.metrics._base import function_form_of

    function = function_form_of(_NaNs)(lambda x, y, *, image_shape=None: 0.0)
    monkeypatch.setattr(metrics, "nans", function, raising=False)
    monkeypatch.setattr(metrics, "__all__", [*metrics.__all__, "nans"])


def test_search_refuses_to_rank_nan_distances(cli, images, nans):
    status, out, err = cli("search", images / "a.png", images / "gallery", "-k", 1,
                           "--metric", "nans", "-q")
    assert status == 1 and out == ""
    assert_one_line(err, "nans failed", "returned NaN for ")


def test_evaluate_exits_1_when_a_distance_failed(cli, tmp_path, nans):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "set.npz", X=rng.uniform(0.1, 1, size=(8, 144)), y=[0, 1] * 4)
    status, out, err = cli("evaluate", tmp_path / "set.npz", "--metrics",
                           "total_variation,nans", "--cv", 2, "--n-neighbors", 1,
                           "--precision-k", 1, "-q")
    assert status == 1
    assert_one_line(err, "1 distance failed: nans")
    assert "total_variation" in out and "returned NaN" in out


def _default_sigint():
    # A shell's background job starts with SIGINT ignored, and Python keeps that.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_rows_stream_and_ctrl_c_stops_cleanly_without_output_files(plugin, images):
    go = images / "go"
    arguments = ("compare", "a.png", "b.png", "--metrics", "total_variation,wait", "-q",
                 "--time-limit", 300)
    env = {**os.environ, "SKIMGDIST_TEST_GO": str(go)}

    # The first row is printed while the second distance still runs.
    process = subprocess.Popen(command(plugin, *arguments), cwd=images, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = iter(process.stdout.readline, "")
    assert next(line for line in lines if line.startswith("total_variation"))
    assert process.poll() is None
    go.touch()
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert out.startswith("wait ")
    go.unlink()

    # Ctrl-C (SIGINT to the process group, as a terminal sends it) while a distance runs.
    process = subprocess.Popen(command(plugin, *arguments, "--json", "out.json"), cwd=images,
                               env=env, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True,
                               preexec_fn=_default_sigint)
    lines = iter(process.stdout.readline, "")
    assert next(line for line in lines if line.startswith("total_variation"))
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130
    assert_one_line(err, "skimgdist compare: interrupted")
    assert not (images / "out.json").exists()


def test_progress_bar_on_a_terminal_plain_lines_elsewhere(images):
    main_terminal, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "skimgdist", "compare", "a.png", "b.png", "--metrics",
         "total_variation,hellinger"], cwd=images, stdout=subprocess.PIPE, stderr=terminal)
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(main_terminal, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        shown += chunk
    process.communicate(timeout=120)
    os.close(main_terminal)
    assert process.returncode == 0
    assert b"\r" in shown and b"%" in shown and b"total_variation" in shown
    assert b"[1/2]" not in shown

    result = subprocess.run([sys.executable, "-m", "skimgdist", "compare", "a.png", "b.png",
                             "--metrics", "total_variation,hellinger"], cwd=images,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.stderr.splitlines() == ["[1/2] total_variation", "[2/2] hellinger"]
    assert "\r" not in result.stderr


def test_first_run_with_a_cold_numba_cache_does_not_count_compilation(tmp_path):
    """The exact EMD on the digits fits a 5 s budget warm; a cold cache must not skip it."""
    pytest.importorskip("numba")
    cache = tmp_path / "numba-cache"
    cache.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "skimgdist", "evaluate", "--metrics", "wasserstein",
         "--n-samples", "40", "--cv", "2", "--time-limit", "5", "--json", "-", "-q"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "NUMBA_CACHE_DIR": str(cache)})
    assert result.returncode == 0, result.stderr
    (record,) = json.loads(result.stdout)["results"]
    assert record["accuracy"] is not None, record["notes"]
    assert record["seconds_per_pair"] < 0.1


def _png_declaring(path, height, width):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b""))


def _npz_declaring(path, shape):
    import io
    import zipfile

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": shape})
    labels = io.BytesIO()
    np.lib.format.write_array(labels, np.zeros(3))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("X.npy", header.getvalue())
        archive.writestr("y.npy", labels.getvalue())


def test_huge_requests_are_refused_before_allocating(cli, images):
    _png_declaring(images / "bomb.png", 50000, 50000)
    status, _, err = cli("compare", images / "bomb.png", images / "a.png")
    assert status == 2
    assert_one_line(err, "bomb.png", "decompression bomb")

    _npz_declaring(images / "huge.npz", (100000, 100000))
    status, _, err = cli("evaluate", images / "huge.npz")
    assert status == 2
    assert_one_line(err, "huge.npz (array X) declares an array of shape (100000, 100000)", "GiB")

    a, b = images / "a.png", images / "b.png"
    for option, value, fragment in (
            ("--blur", "1e9", "--blur 1e+09 would need about"),
            ("--resize", "100000x100000", "--resize 100000x100000 of 2 image(s) would need about"),
            ("--downscale", "100000", "the factor exceeds the 12x12 image")):
        status, _, err = cli("compare", a, b, "--metrics", "total_variation", option, value)
        assert status == 2, err
        assert_one_line(err, fragment)
    status, _, err = cli("evaluate", "--upsample", 100000)
    assert status == 2
    assert_one_line(err, "--upsample 100000 would need about")


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "0", "soon"])
@pytest.mark.parametrize("command", ["compare", "search", "evaluate"])
def test_time_limit_must_be_a_finite_positive_number(cli, images, command, value):
    paths = {"compare": ["a.png", "b.png"], "search": ["a.png", "gallery"], "evaluate": []}
    status, out, err = cli(command, *(images / p for p in paths[command]), "--time-limit",
                           value)
    assert status == 2 and out == ""
    assert_one_line(err, "--time-limit", "finite number of seconds > 0")


def test_a_distance_out_of_memory_fails_as_a_note(cli, images):
    status, out, err = cli("compare", images / "a.png", images / "b.png", "--metrics",
                           "total_variation,blurred_l2:sigma=1e9", "-q")
    assert status == 1
    assert_one_line(err, "1 distance failed: blurred_l2(sigma=1000000000.0)")
    assert "memory budget" in out and "total_variation" in out


def test_parameter_typo_lists_the_valid_parameters(cli, images):
    status, _, err = cli("compare", images / "a.png", images / "b.png", "--metrics",
                         "sliced_wasserstein:n_proj=5")
    assert status == 2
    assert_one_line(err, "SlicedWasserstein has no parameter 'n_proj'",
                    "valid parameters: image_shape, n_projections, p")
    with pytest.raises(TypeError, match="valid parameters: image_shape, n_projections"):
        get_metric("sliced_wasserstein", n_proj=5)


def test_units_are_declared_and_shown(cli, images):
    units = {name: cls().distance_unit() for name, cls in available_metrics().items()}
    assert set(units.values()) <= {"pixels", "squared pixels", "unitless", "intensity",
                                   "1/pixels"}
    assert units["total_variation"] == "unitless"
    assert units["sliced_wasserstein"] == units["wasserstein"] == "pixels"
    assert units["sinkhorn_divergence"] == "squared pixels"
    status, out, _ = cli("compare", images / "a.png", images / "b.png", "--metrics",
                         "total_variation,sliced_wasserstein,sinkhorn_divergence", "-q")
    assert status == 0
    rows = {line.split()[0]: line for line in out.splitlines()[3:]}
    assert "unitless" in rows["total_variation"] and "squared pixels" in rows[
        "sinkhorn_divergence"] and " pixels " in rows["sliced_wasserstein"] + " "


class _Slow(ImageMetric):
    """|mean difference| taking ``delay`` seconds per pair, with the cost model n_pixels^1."""

    _parameter_constraints = {"image_shape": [tuple, None], "delay": [float]}

    def __init__(self, *, image_shape=None, delay=0.0):
        self.image_shape = image_shape
        self.delay = delay

    def _pairwise_validated(self, X, Y, image_shape):
        import time

        Y = X if Y is None else Y
        time.sleep(self.delay * len(X) * len(Y) * X.shape[1] / 1024)
        return np.abs(X[:, :1] - Y[:, :1].T)


def test_a_skipped_distance_names_a_downscale_that_fits(monkeypatch):
    X = np.random.default_rng(1).uniform(0.1, 1, size=(60, 1024))
    with pytest.raises(Skipped) as skipped:
        distance_matrix(_Slow(image_shape=(32, 32), delay=0.01), X, time_limit=2)
    # 1830 pairs at 10 ms or more: over 18 s, skipped after probes of a few seconds.
    assert "for 1830 pairs, over the --time-limit of 2 s; " in str(skipped.value)
    assert "--time-limit " in str(skipped.value)

    # The cost model: time per pair ~ n_pixels ** cost_exponent(), so a factor f
    # divides 18.3 s by f ** 2 (not enough at 3: 2.03 s > 0.8 x 2 s).
    fixes = remedies(_Slow(image_shape=(32, 32)), 18.3, 2.0, n_images=60)
    assert fixes == ["--downscale 4: about 1.14 s", "--n-samples 17: about 1.47 s",
                     "--time-limit 23"]
    # No factor leaves images of 8 pixels or more when they are already small.
    assert remedies(_Slow(image_shape=(12, 12)), 18.3, 2.0) == ["--time-limit 23"]

    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "numba" else find_spec(name, *a))
    assert "install skimgdist[fast] (numba's compiled kernels): often 10x faster" in remedies(
        _Slow(image_shape=(32, 32)), 100.0, 10.0)


def _two_mirrored_classes():
    """Class 0: light on the left; class 1: the same pixels mirrored to the right."""
    rng = np.random.default_rng(0)
    left = rng.uniform(0.1, 1, size=(10, 6, 6)) * (np.arange(6) < 3)
    images = np.concatenate([left, left[:, :, ::-1]]) + 0.01
    return images.reshape(20, -1), np.repeat([0, 1], 10)


def test_evaluate_flags_chance_level_and_recommends(cli, tmp_path):
    X, y = _two_mirrored_classes()
    np.savez(tmp_path / "mirrored.npz", X=X, y=y)
    # intensity_emd sees only pixel values, identical in both classes.
    status, out, _ = cli("evaluate", tmp_path / "mirrored.npz", "--metrics",
                         "intensity_emd,sliced_wasserstein", "--cv", 2, "-q", "--json", "-")
    assert status == 0
    document = json.loads(out)
    by_name = {r["metric"]: r for r in document["results"]}
    assert any(n.startswith("chance level") for n in by_name["intensity_emd"]["notes"])
    assert by_name["sliced_wasserstein"]["accuracy"] == 1.0
    assert not any(n.startswith("chance level") for n in by_name["sliced_wasserstein"]["notes"])
    assert document["recommendation"].startswith("best: sliced_wasserstein (accuracy 1.000")


def test_python_forms_accept_two_dimensional_images():
    from skimgdist import SlicedWasserstein, pairwise_distances, sliced_wasserstein

    X, _ = _two_mirrored_classes()
    stack = X[:3].reshape(3, 6, 6)
    expected = SlicedWasserstein(image_shape=(6, 6)).pairwise(X[:3])
    np.testing.assert_array_equal(pairwise_distances(stack, metric="sliced_wasserstein"),
                                  expected)
    np.testing.assert_array_equal(SlicedWasserstein().pairwise(stack), expected)
    assert sliced_wasserstein(stack[0], stack[1]) == pytest.approx(expected[0, 1], rel=1e-12)
