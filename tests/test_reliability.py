"""Defects found by the reliability audit (issue 16), each pinned by a test, and the
shared internals that prevent them: the memory budget, the bounded geometry cache and
the compiled-kernels switch."""

import threading

import numpy as np
import pandas as pd
import pytest
import sklearn
from scipy.special import logsumexp

import skimgdist
import skimgdist.io
from skimgdist import (
    ImageDistances,
    MaxSlicedWasserstein,
    SlicedWasserstein,
    max_sliced_wasserstein,
    pairwise_distances,
    sliced_wasserstein,
    wasserstein,
)
from skimgdist._config import check_allocation, geometry_cache, working_memory_bytes
from skimgdist._image import check_images, pixel_coordinates


def _corners(side):
    """Two images of ``side x side`` pixels lit at opposite corners."""
    a, b = np.zeros(side * side), np.zeros(side * side)
    a[0], b[-1] = 1.0, 1.0
    return a, b


# --- single-row engine blocks -------------------------------------------------------


@pytest.mark.parametrize("metric", ["sinkhorn_divergence", "sliced_wasserstein", "hellinger"])
def test_engine_blocks_with_a_single_row(metric, monkeypatch):
    monkeypatch.setattr(skimgdist.pairwise, "_MIN_PARALLEL_WORK", 0)  # share tiny matrices
    X = np.random.default_rng(0).random((9, 16)) + 0.1
    expected = pairwise_distances(X, metric=metric)
    # 9 rows in blocks of 8 leave a one-row block on the diagonal.
    np.testing.assert_allclose(pairwise_distances(X, metric=metric, n_jobs=2), expected,
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(pairwise_distances(X, metric=metric, progress=True), expected,
                               rtol=1e-9, atol=1e-12)
    one = ImageDistances(metric=metric).fit_transform(X[:1])
    np.testing.assert_allclose(one, [[expected[0, 0]]], atol=1e-12)


# --- sliced distances at large p and extreme pixel sizes -----------------------------


def test_sliced_wasserstein_at_large_p_is_the_closed_form():
    # Two Diracs: on direction theta the 1-D distance is |<shift, theta>|, so
    # SW_p = (mean_l |<shift, theta_l>|^p)^(1/p); evaluated in logarithms here.
    a, b = _corners(3)
    theta = SlicedWasserstein(n_projections=50).directions()
    projected = np.abs(theta @ np.array([2.0, 2.0]))
    p = 400
    expected = np.exp((logsumexp(p * np.log(projected)) - np.log(len(theta))) / p)
    assert sliced_wasserstein(a, b, p=p) == pytest.approx(expected, rel=1e-12)
    assert max_sliced_wasserstein(a, b, p=p) == pytest.approx(projected.max(), rel=1e-12)
    # In metres of 1e10 per pixel, displacement^p is far beyond float64 (it was nan).
    assert sliced_wasserstein(a, b, p=p, pixel_size=1e10) == pytest.approx(1e10 * expected,
                                                                          rel=1e-12)


@pytest.mark.parametrize("cls", [SlicedWasserstein, MaxSlicedWasserstein])
def test_too_large_p_is_refused_with_the_valid_range(cls):
    a, b = _corners(8)
    with pytest.raises(ValueError, match=r"p=1000 is too large for 8x8 .*Use p <= 249"):
        cls(p=1000)(a, b)
    assert cls(p=249)(a, b) > 0


@pytest.mark.parametrize("pixel_size", [1e154, 1e300, 1e-300])
@pytest.mark.parametrize("function", [sliced_wasserstein, max_sliced_wasserstein, wasserstein])
def test_extreme_pixel_sizes_scale_the_distance(function, pixel_size):
    a, b = _corners(4)
    expected = function(a, b)
    assert function(a, b, pixel_size=pixel_size) == pytest.approx(expected * pixel_size,
                                                                  rel=1e-12)


def test_wasserstein_squared_cost_at_huge_pixel_size():
    a, b = _corners(4)
    value = wasserstein(a, b, ground_metric="sqeuclidean", pixel_size=1e200)
    assert value == pytest.approx(np.sqrt(18) * 1e200, rel=1e-12)


@pytest.mark.parametrize("pixel_size", [1e-320, 0.0, np.inf, (1.0, 5e-324)])
def test_subnormal_or_degenerate_pixel_size_is_refused(pixel_size):
    with pytest.raises(ValueError, match="pixel_size"):
        sliced_wasserstein(*_corners(3), pixel_size=pixel_size)


# --- values that are not real numbers ----------------------------------------------


@pytest.mark.parametrize(
    ("X", "message"),
    [
        (np.array([["1", "0", "0", "0"]]), r"dtype <U1 \(strings\)"),
        (np.array([[b"1", b"0", b"0", b"0"]]), r"\(bytes\)"),
        (np.array([[1, 0, 0, 2]], dtype="datetime64[s]"), r"dates and times"),
        (np.array([[1, 0, 0, 2]], dtype="timedelta64[s]"), r"time differences"),
        (np.array([[1 + 1j, 0, 0, 1]]), r"complex"),
        (pd.DataFrame([[1 + 1j, 0, 0, 1]]), r"complex"),
        (np.array([[1.0, "a", 0, 1]], dtype=object), r"holds str 'a'"),
        (np.array([[1.0, 2j, 0, 1]], dtype=object), r"holds complex"),
        (np.array([[1.0, None, 0, 1]], dtype=object), r"holds NoneType"),
    ],
)
def test_non_real_pixels_raise_type_error(X, message):
    with pytest.raises(TypeError, match=message):
        check_images(X)
    with pytest.raises(TypeError, match=message):
        pairwise_distances(X, metric="sliced_wasserstein")


def test_huge_python_ints_get_a_clear_error():
    X = np.array([[10**400, 0, 0, 1]], dtype=object)
    with pytest.raises(ValueError, match="beyond the float64 range"):
        check_images(X)


def test_object_arrays_of_real_numbers_are_accepted():
    X = np.array([[1, 2.5, np.float32(3), True]], dtype=object)
    checked, _ = check_images(X)
    np.testing.assert_array_equal(checked, [[1.0, 2.5, 3.0, 1.0]])


# --- unknown metric names ------------------------------------------------------------


def test_unknown_metric_fails_at_fit_with_the_valid_names():
    X = np.ones((2, 4))
    with pytest.raises(ValueError, match=r"Unknown metric 'nonsense'.*sliced_wasserstein.*"
                                         r"euclidean.*precomputed"):
        ImageDistances(metric="nonsense").fit(X)
    with pytest.raises(ValueError, match="Unknown metric 'nonsense'"):
        skimgdist.ImageIndex(metric="nonsense").fit(X)


# --- memory budget and caches --------------------------------------------------------


def test_sliced_directions_beyond_the_budget_are_refused_before_allocating():
    a, b = _corners(64)
    with pytest.raises(ValueError, match=r"pixel orders of 1000000 directions on 64x64 .*"
                                         r"about 15,625 MiB.*n_projections.*working_memory"):
        sliced_wasserstein(a, b, n_projections=10**6)


def test_geometry_cache_is_bounded_and_clearable():
    skimgdist.clear_caches()
    with sklearn.config_context(working_memory=4):   # the caches keep at most 1 MiB
        for n_projections in (100, 200, 300):     # 100 x 1024 x 4 bytes = 0.4 MiB each
            sliced_wasserstein(*_corners(32), n_projections=n_projections)
        held = skimgdist.clear_caches()
    assert 0 < held <= 2**20
    assert skimgdist.clear_caches() == 0


def test_entries_larger_than_the_cache_budget_are_not_kept():
    @geometry_cache
    def big(n):
        return np.zeros(n)

    skimgdist.clear_caches()
    with sklearn.config_context(working_memory=1):
        assert big(2**20) is not big(2**20)   # 8 MiB: computed each time, never retained
        assert big(8) is big(8)
    assert skimgdist.clear_caches() == 64


def test_cached_coordinates_are_read_only_and_shared():
    coordinates = pixel_coordinates((3, 5))
    assert coordinates is pixel_coordinates((3, 5))
    with pytest.raises(ValueError, match="read-only"):
        coordinates[0, 0] = 1.0


def test_cache_is_safe_under_threads():
    skimgdist.clear_caches()
    results = []

    def work(seed):
        rng = np.random.default_rng(seed)
        x, y = rng.random(64), rng.random(64)
        results.append((seed, sliced_wasserstein(x, y, n_projections=7 + seed % 3)))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for seed, value in results:
        rng = np.random.default_rng(seed)
        x, y = rng.random(64), rng.random(64)
        assert value == sliced_wasserstein(x, y, n_projections=7 + seed % 3)


def test_working_memory_budget_and_allocation_check():
    with sklearn.config_context(working_memory=300):
        assert working_memory_bytes() == 300 * 2**20
        assert working_memory_bytes(cap_mib=1) == 2**20
        check_allocation(300 * 2**20, "an array", "Ask for less.")
        with pytest.raises(ValueError, match=r"an array would need about 400 MiB, beyond the "
                                             r"memory budget of 300 MiB.*Ask for less"):
            check_allocation(400 * 2**20, "an array", "Ask for less.")
    with sklearn.config_context(working_memory=0.001):   # small blocks, small problems run
        check_allocation(64 * 2**20, "an array", "Ask for less.")


# --- the compiled-kernels switch -----------------------------------------------------


def test_compiled_kernels_switch_is_thread_local_and_restored():
    assert skimgdist.get_config()["compiled_kernels"] is True
    seen = {}
    with skimgdist.config_context(compiled_kernels=False):
        assert skimgdist.get_config()["compiled_kernels"] is False
        thread = threading.Thread(
            target=lambda: seen.update(other=skimgdist.get_config()["compiled_kernels"]))
        thread.start()
        thread.join()
    assert seen["other"] is True
    assert skimgdist.get_config()["compiled_kernels"] is True
    with pytest.raises(TypeError, match="compiled_kernels must be True or False"):
        skimgdist.set_config(compiled_kernels="no")


@pytest.mark.parametrize("metric", ["sliced_wasserstein", "max_sliced_wasserstein",
                                    "sinkhorn_divergence"])
def test_numpy_route_gives_the_compiled_numbers(metric):
    X = np.random.default_rng(3).random((4, 64)) + 0.05
    compiled = pairwise_distances(X, metric=metric)
    with skimgdist.config_context(compiled_kernels=False):
        numpy_route = pairwise_distances(X, metric=metric)
    np.testing.assert_allclose(numpy_route, compiled, rtol=1e-9, atol=1e-12)


def test_huge_blur_and_bins_are_refused_before_allocating():
    X = np.ones((2, 16))
    with pytest.raises(ValueError, match=r"blur kernels for sigma=.*taps.*smaller sigma"):
        skimgdist.GaussianBlur(sigma=1e9).fit_transform(X)
    with pytest.raises(ValueError, match=r"histograms of 1,000,000,000 bins.*fewer bins"):
        skimgdist.intensity_emd(X[0], X[1], bins=10**9, range=(0, 2))


# --- files declaring huge arrays -----------------------------------------------------


def _png_header(path, width, height):
    """A PNG whose header declares ``width x height`` 8-bit gray pixels (no pixel data)."""
    import struct
    import zlib

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    path.write_bytes(b"\x89PNG\r\n\x1a\n"
                     + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))
    return path


def _npy_header(shape):
    import io

    stream = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        stream, {"descr": "<f8", "fortran_order": False, "shape": shape})
    return stream.getvalue()


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize(("side", "message"), [(50000, "decompression bomb"),
                                               (12000, r"shape \(12000, 12000\).*MiB")])
def test_images_declaring_huge_sizes_are_refused_from_the_header(tmp_path, side, message):
    pytest.importorskip("PIL")
    path = _png_header(tmp_path / "huge.png", side, side)
    with pytest.raises(skimgdist.io.ImageReadError, match=message):
        skimgdist.io.read_image(path)


def test_npz_and_npy_declaring_huge_arrays_are_refused_from_the_header(tmp_path):
    import zipfile

    npz = tmp_path / "bomb.npz"
    with zipfile.ZipFile(npz, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("X.npy", _npy_header((100000, 100000)))
        archive.writestr("y.npy", _npy_header((3,)))
    with pytest.raises(skimgdist.io.ImageReadError,
                       match=r"array X\) declares an array of shape \(100000, 100000\)"):
        skimgdist.io.read_npz(npz)
    npy = tmp_path / "bomb.npy"
    npy.write_bytes(_npy_header((100000, 100000)))
    with pytest.raises(skimgdist.io.ImageReadError, match="152,588 MiB"):
        skimgdist.io.read_image(npy)


# --- shared parameter constraints ----------------------------------------------------


@pytest.mark.parametrize("name", sorted(skimgdist.metrics.available_metrics()))
def test_every_metric_takes_image_shape_as_a_list(name):
    X = np.random.default_rng(1).random((3, 12)) + 0.1
    metric = skimgdist.metrics.get_metric(name)
    as_tuple = metric.set_params(image_shape=(3, 4)).pairwise(X)
    np.testing.assert_array_equal(metric.set_params(image_shape=[3, 4]).pairwise(X), as_tuple)
    assert type(metric)._parameter_constraints["image_shape"] == [tuple, list, None]
    with pytest.raises(ValueError, match="image_shape"):
        metric.set_params(image_shape="3x4").pairwise(X)


def test_normalize_switches_validation_explicitly():
    X = np.array([[-1.0, 0, 0, 1], [0.0, 0, 0, 0]])
    with pytest.raises(ValueError, match="negative pixel"):
        skimgdist.TotalVariation().pairwise(X)
    np.testing.assert_allclose(skimgdist.TotalVariation(normalize=False).pairwise(X),
                               [[0, 1], [1, 0]])

    class Normalized(skimgdist.metrics.ImageMetric):
        # A parameter named normalize no longer changes validation by its name alone.
        def __init__(self, *, image_shape=None, normalize=False):
            self.image_shape = image_shape
            self.normalize = normalize

        def _pairwise_validated(self, X, Y, image_shape):
            return np.zeros((len(X), len(X) if Y is None else len(Y)))

    with pytest.raises(ValueError, match="negative pixel"):
        Normalized().pairwise(X)
