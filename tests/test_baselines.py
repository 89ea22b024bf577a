"""The approaches from the question: intensity-histogram EMD and row-wise EMD."""

import numpy as np
import ot
import pytest
from _sklearn_tools import assert_works_in_scikit_learn_tools
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import wasserstein_distance
from sklearn.metrics import pairwise_distances
from sklearn.utils._param_validation import InvalidParameterError

from skimgdist import IntensityEMD, RowwiseEMD, intensity_emd, rowwise_emd

SHAPE = (4, 6)


def _images(n, seed=0, dark_rows=True):
    """Random 4x6 images with dark pixels and, optionally, some fully dark rows."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 6, (n, 4, 6)).astype(float)
    X[rng.random(X.shape) < 0.3] = 0.0
    if dark_rows:
        X[rng.random((n, 4)) < 0.3] = 0.0
    X[:, 0, 0] += 1.0
    return X.reshape(n, -1)


def _histogram_emd(x, y, bins, value_range):
    hx, edges = np.histogram(x, bins=bins, range=value_range)
    hy, _ = np.histogram(y, bins=bins, range=value_range)
    centres = 0.5 * (edges[:-1] + edges[1:])
    return wasserstein_distance(centres, centres, hx, hy)


def _rowwise_reference(x, y, shape):
    """Mean over rows of scipy's 1-D EMD between the rows' column profiles (dark rule: w-1)."""
    height, width = shape
    columns = np.arange(width)
    total = 0.0
    for row_x, row_y in zip(x.reshape(shape), y.reshape(shape), strict=True):
        if row_x.sum() > 0 and row_y.sum() > 0:
            total += wasserstein_distance(columns, columns, row_x, row_y)
        elif row_x.sum() > 0 or row_y.sum() > 0:
            total += width - 1
    return total / height


def test_intensity_emd_matches_scipy_on_raw_values():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(5, 24))            # any finite intensities, negative included
    Y = rng.normal(size=(3, 24)) + 0.5
    metric = IntensityEMD(image_shape=SHAPE)
    expected = [[wasserstein_distance(x, y) for y in Y] for x in X]
    np.testing.assert_allclose(metric.pairwise(X, Y), expected, rtol=1e-12, atol=1e-15)
    assert intensity_emd(X[0], X[0][::-1], image_shape=SHAPE) == 0.0
    eight_bit = rng.integers(0, 256, (2, 24)).astype(float)
    exact = intensity_emd(*eight_bit, image_shape=SHAPE)
    assert exact == pytest.approx(_histogram_emd(*eight_bit, 256, (0, 256)), rel=1e-12)


def test_binned_intensity_emd_matches_numpy_histograms_and_scipy():
    rng = np.random.default_rng(2)
    X, Y = rng.random((4, 24)) * 10, rng.random((3, 24)) * 10
    X[0, :3] = [0.0, 10.0, 5.0]             # both ends and an edge of the range
    for bins in (1, 3, 16):
        metric = IntensityEMD(image_shape=SHAPE, bins=bins, range=(0, 10))
        expected = [[_histogram_emd(x, y, bins, (0, 10)) for y in Y] for x in X]
        np.testing.assert_allclose(metric.pairwise(X, Y), expected, rtol=1e-12, atol=1e-15)


def test_binning_errors_say_how_to_fix_them():
    X = _images(3)
    with pytest.raises(ValueError, match="needs range"):
        IntensityEMD(image_shape=SHAPE, bins=8).pairwise(X)
    with pytest.raises(ValueError, match="range only applies"):
        IntensityEMD(image_shape=SHAPE, range=(0, 10)).pairwise(X)
    with pytest.raises(ValueError, match="outside range"):
        IntensityEMD(image_shape=SHAPE, bins=8, range=(0, 2)).pairwise(X)
    with pytest.raises(ValueError, match="low < high"):
        IntensityEMD(image_shape=SHAPE, bins=8, range=(5, 1)).pairwise(X)
    with pytest.raises(InvalidParameterError, match="bins"):
        IntensityEMD(bins=0).pairwise(X)
    with pytest.raises(InvalidParameterError, match="mode"):
        RowwiseEMD(mode="rows").pairwise(X)
    with pytest.raises(ValueError, match="mode='histogram' only"):
        RowwiseEMD(image_shape=SHAPE, bins=4, range=(0, 6)).pairwise(X)
    with pytest.raises(ValueError, match="negative pixel"):
        RowwiseEMD(image_shape=SHAPE).pairwise(X - 1.0)
    with pytest.raises(ValueError, match="NaN"):
        intensity_emd(np.full(4, np.nan), np.ones(4))


def test_rowwise_profile_mode_matches_scipy_per_row_with_the_dark_row_rule():
    X, Y = _images(6, seed=3), _images(4, seed=4)
    assert (X.reshape(6, 4, 6).sum(axis=2) == 0).any()   # the rule is exercised
    metric = RowwiseEMD(image_shape=SHAPE)
    expected = [[_rowwise_reference(x, y, SHAPE) for y in Y] for x in X]
    D = metric.pairwise(X, Y)
    assert np.isfinite(D).all()
    np.testing.assert_allclose(D, expected, rtol=1e-12, atol=1e-15)


def test_rowwise_histogram_mode_is_the_mean_of_per_row_intensity_emds():
    X, Y = _images(5, seed=5), _images(3, seed=6)
    exact = [[np.mean([wasserstein_distance(a, b) for a, b in
                       zip(x.reshape(SHAPE), y.reshape(SHAPE), strict=True)]) for y in Y]
             for x in X]
    np.testing.assert_allclose(RowwiseEMD(image_shape=SHAPE, mode="histogram").pairwise(X, Y),
                               exact, rtol=1e-12, atol=1e-15)
    binned = [[np.mean([_histogram_emd(a, b, 3, (0, 7)) for a, b in
                        zip(x.reshape(SHAPE), y.reshape(SHAPE), strict=True)]) for y in Y]
              for x in X]
    metric = RowwiseEMD(image_shape=SHAPE, mode="histogram", bins=3, range=(0, 7))
    np.testing.assert_allclose(metric.pairwise(X, Y), binned, rtol=1e-12, atol=1e-15)


def _emd_2d(x, y, shape):
    grid = np.indices(shape).reshape(2, -1).T.astype(float)
    cost = ot.dist(grid, grid, metric="euclidean")
    return ot.emd2(x / x.sum(), y / y.sum(), cost)


@pytest.mark.parametrize("seed", [0, 1])
def test_one_pixel_shifts_vertical_and_horizontal_differ_for_rowwise_but_not_for_2d_emd(seed):
    """The failure the answer describes: sliding by one pixel up or sideways."""
    rng = np.random.default_rng(seed)
    image = np.zeros((8, 8))
    image[1:7, 1:7] = (rng.random((6, 6)) < 0.3) * rng.integers(1, 4, (6, 6))
    image[3, 3] = 2.0
    right = np.roll(image, 1, axis=1).ravel()
    down = np.roll(image, 1, axis=0).ravel()
    flat = image.ravel()
    # The light moves by exactly one pixel either way.
    assert _emd_2d(flat, right, (8, 8)) == pytest.approx(1.0, abs=1e-9)
    assert _emd_2d(flat, down, (8, 8)) == pytest.approx(1.0, abs=1e-9)
    profile = RowwiseEMD()
    assert profile(flat, right) <= 1.0
    assert profile(flat, down) > 2.0 * profile(flat, right)
    literal = RowwiseEMD(mode="histogram")
    assert literal(flat, right) == 0.0 < literal(flat, down)


def test_l_shape_example_values():
    image = np.zeros((8, 8))
    image[2, 2:6] = 1.0
    image[2:6, 2] = 1.0
    right = np.roll(image, 1, axis=1).ravel()
    down = np.roll(image, 1, axis=0).ravel()
    # Horizontal: 4 lit rows move by 1 column.  Vertical: row 2 goes dark (7), row 6 lights
    # up (7), row 3 turns a dot into a bar ((0 + 1 + 2 + 3) / 4): (7 + 7 + 1.5) / 8.
    assert rowwise_emd(image.ravel(), right) == 0.5
    assert rowwise_emd(image.ravel(), down) == pytest.approx(15.5 / 8, rel=1e-15)


@pytest.mark.parametrize(("metric", "function", "params"), [
    (IntensityEMD(image_shape=SHAPE), intensity_emd, {}),
    (IntensityEMD(image_shape=SHAPE, bins=4, range=(0, 7)), intensity_emd,
     {"bins": 4, "range": (0, 7)}),
    (RowwiseEMD(image_shape=SHAPE), rowwise_emd, {}),
    (RowwiseEMD(image_shape=SHAPE, mode="histogram"), rowwise_emd, {"mode": "histogram"}),
], ids=["intensity", "intensity-binned", "rowwise", "rowwise-histogram"])
def test_three_routes_agree_with_scikit_learn(metric, function, params):
    X, Y = _images(7, seed=7), _images(4, seed=8)
    X_before = X.copy()
    expected = pairwise_distances(X, Y, metric=metric)
    np.testing.assert_allclose(metric.pairwise(X, Y), expected, rtol=1e-12, atol=1e-15)
    via_function = pairwise_distances(X, Y, metric=function, image_shape=SHAPE, **params)
    np.testing.assert_allclose(via_function, expected, rtol=1e-12, atol=1e-15)
    D = metric.pairwise(X)
    np.testing.assert_allclose(D, pairwise_distances(X, metric=metric), rtol=1e-12, atol=1e-15)
    assert np.all(np.diag(D) == 0) and np.array_equal(D, D.T)
    np.testing.assert_array_equal(X, X_before)


@pytest.mark.parametrize(("metric", "grid"), [
    (IntensityEMD(image_shape=SHAPE, bins=4, range=(0, 30)), {"bins": [4, 30]}),
    (RowwiseEMD(image_shape=SHAPE), {"mode": ["profile", "histogram"]}),
], ids=["intensity", "rowwise"])
def test_baselines_work_in_scikit_learn_tools(metric, grid):
    X = _images(16, seed=9, dark_rows=False)
    y = np.repeat([0, 1], 8)
    X[y == 1] *= 4                        # class 1: brighter, different intensities
    X[y == 1, :6] = 0.0                   # and a dark top row
    X[:, 6] += 1.0
    assert_works_in_scikit_learn_tools(metric, grid, X, y)


_rows = arrays(np.float64, 9, elements=st.floats(0, 10, allow_subnormal=False)).filter(
    lambda x: x.sum() > 1e-3)


@settings(max_examples=25, deadline=None)
@given(_rows, _rows, _rows)
def test_pseudo_metric_axioms(x, y, z):
    for metric in (IntensityEMD(), IntensityEMD(bins=5, range=(0, 10)), RowwiseEMD(),
                   RowwiseEMD(mode="histogram")):
        d_xy, d_yz, d_xz = metric(x, y), metric(y, z), metric(x, z)
        assert d_xy >= 0 and metric(x, x) == 0 and np.isfinite(d_xy)
        assert d_xy == pytest.approx(metric(y, x), rel=1e-12, abs=1e-15)
        assert d_xz <= d_xy + d_yz + 1e-12
