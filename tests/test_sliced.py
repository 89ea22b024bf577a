"""Sliced and max-sliced Wasserstein: against POT, SciPy and closed forms; scikit-learn use."""

import pickle

import numpy as np
import ot
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import wasserstein_distance
from sklearn import config_context
from sklearn.base import clone
from sklearn.cluster import DBSCAN
from sklearn.metrics import pairwise_distances
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors
from sklearn.utils._param_validation import InvalidParameterError

import skimgdist
from skimgdist import (
    MaxSlicedWasserstein,
    SlicedWasserstein,
    max_sliced_wasserstein,
    sliced_wasserstein,
)
from skimgdist._image import pixel_coordinates
from skimgdist.metrics import _sliced_kernels
from skimgdist.metrics._sliced import _DirectionBlock, _project, _sort_orders


def _images(n, shape, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, shape[0] * shape[1])) ** 4
    X[:, rng.random(X.shape[1]) < 0.3] = 0.0  # zero pixels: repeated CDF values
    return X


def _pot_matrix(X, Y, shape, directions, p, pixel_size=1.0, function=None):
    function = function or ot.sliced_wasserstein_distance
    grid = pixel_coordinates(shape, pixel_size)
    return np.array([[function(grid, grid, x / x.sum(), y / y.sum(),
                               projections=directions.T, p=p) for y in Y] for x in X])


@pytest.mark.parametrize("shape", [(6, 6), (5, 9), (12, 7)])
@pytest.mark.parametrize("p", [1, 2, 3])
def test_equals_pot_with_the_same_directions(shape, p, engine):
    X, Y = _images(4, shape, seed=1), _images(3, shape, seed=2)
    metric = SlicedWasserstein(image_shape=shape, n_projections=17, p=p)
    expected = _pot_matrix(X, Y, shape, metric.directions(), p)
    np.testing.assert_allclose(metric.pairwise(X, Y), expected, rtol=1e-10)
    np.testing.assert_allclose(
        sliced_wasserstein(X[0], Y[1], image_shape=shape, n_projections=17, p=p),
        expected[0, 1], rtol=1e-10)


@pytest.mark.parametrize("p", [1, 1.5, 2])
def test_max_sliced_equals_pot(p, engine):
    shape = (7, 5)
    X = _images(4, shape, seed=3)
    metric = MaxSlicedWasserstein(image_shape=shape, n_projections=11, p=p)
    expected = _pot_matrix(X, X, shape, metric.directions(), p,
                           function=ot.max_sliced_wasserstein_distance)
    np.testing.assert_allclose(metric.pairwise(X), expected, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(
        max_sliced_wasserstein(X[1], X[2], image_shape=shape, n_projections=11, p=p),
        expected[1, 2], rtol=1e-10)


def test_random_and_array_directions_and_pixel_size_equal_pot(engine):
    shape = (8, 6)
    X = _images(3, shape, seed=4)
    random = SlicedWasserstein(image_shape=shape, n_projections=9, projections="random",
                               random_state=7, pixel_size=(2.0, 0.5))
    directions = random.directions()
    expected = _pot_matrix(X, X, shape, directions, 2, pixel_size=(2.0, 0.5))
    np.testing.assert_allclose(random.pairwise(X), expected, rtol=1e-10, atol=1e-14)
    given_array = random.set_params(projections=directions, n_projections=None,
                                    random_state=None)
    np.testing.assert_allclose(given_array.pairwise(X), expected, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("p", [1, 2])
def test_axis_aligned_directions_with_tied_projections(p, engine):
    # Along (1, 0) every pixel of a row projects to the same position, and so on.
    shape = (6, 8)
    X = _images(3, shape, seed=5)
    directions = np.array([[1.0, 0.0], [0.0, 1.0], [np.sqrt(0.5), np.sqrt(0.5)]])
    metric = SlicedWasserstein(image_shape=shape, projections=directions, p=p)
    expected = _pot_matrix(X, X, shape, directions, p)
    np.testing.assert_allclose(metric.pairwise(X), expected, rtol=1e-10, atol=1e-14)


def test_p1_equals_a_scipy_loop_over_directions():
    shape = (9, 7)
    x, y = _images(2, shape, seed=6)
    metric = SlicedWasserstein(image_shape=shape, n_projections=12, p=1)
    grid = pixel_coordinates(shape)
    per_direction = [
        wasserstein_distance(grid @ theta, grid @ theta, x, y) for theta in metric.directions()
    ]
    np.testing.assert_allclose(metric(x, y), np.mean(per_direction), rtol=1e-10)


def _dot(shape, centre, size=3):
    image = np.zeros(shape)
    patch = np.arange(1.0, size * size + 1).reshape(size, size)
    image[centre[0]:centre[0] + size, centre[1]:centre[1] + size] = patch
    return image.ravel()


@pytest.mark.parametrize("shift", [(0, 4), (3, 0), (2, -5), (-4, -4)])
@pytest.mark.parametrize("p", [1, 2, 3])
def test_translation_matches_theory(shift, p):
    # Translating by v shifts every 1-D projection by <v, theta>: W_p = |<v, theta>|.
    shape = (16, 14)
    a, b = _dot(shape, (6, 6)), _dot(shape, (6 + shift[0], 6 + shift[1]))
    sliced = SlicedWasserstein(image_shape=shape, n_projections=32, p=p)
    projected = np.abs(sliced.directions() @ np.array(shift, dtype=float))
    np.testing.assert_allclose(sliced(a, b), np.mean(projected**p) ** (1 / p), rtol=1e-10)
    maximum = MaxSlicedWasserstein(image_shape=shape, n_projections=32, p=p)
    np.testing.assert_allclose(maximum(a, b), projected.max(), rtol=1e-10)


def test_translation_limit_over_many_directions():
    # Over all directions, the mean of |<v, theta>| is 2|v|/pi; of <v, theta>^2 is |v|^2/2.
    shape = (20, 20)
    a, b = _dot(shape, (5, 5)), _dot(shape, (11, 13))
    length = np.hypot(6, 8)
    sw1 = sliced_wasserstein(a, b, n_projections=400, p=1)
    sw2 = sliced_wasserstein(a, b, n_projections=400, p=2)
    np.testing.assert_allclose(sw1, 2 * length / np.pi, rtol=1e-4)
    np.testing.assert_allclose(sw2, length / np.sqrt(2), rtol=1e-10)


def test_equispaced_directions_beat_random_ones():
    shape = (16, 16)
    rng = np.random.default_rng(8)
    a = np.zeros(shape)
    a[3:6, 2:9] = 1.0
    b = np.zeros(shape)
    b[9:14, 10:12] = rng.random((5, 2))
    a, b = a.ravel(), b.ravel() + 0.01
    reference = sliced_wasserstein(a, b, n_projections=4096)
    for n in (8, 16, 32):
        equispaced = abs(sliced_wasserstein(a, b, n_projections=n) - reference)
        random = np.mean([
            abs(sliced_wasserstein(a, b, n_projections=n, projections="random",
                                   random_state=seed) - reference)
            for seed in range(10)
        ])
        assert equispaced < random / 3


_pixels = arrays(np.float64, 20, elements=st.floats(0, 10, allow_subnormal=False)).filter(
    lambda x: x.sum() > 0.1)


@settings(max_examples=25, deadline=None)
@given(x=_pixels, y=_pixels, z=_pixels, p=st.sampled_from([1.0, 1.5, 2.0]),
       maximum=st.booleans())
def test_metric_axioms(x, y, z, p, maximum):
    cls = MaxSlicedWasserstein if maximum else SlicedWasserstein
    metric = cls(image_shape=(4, 5), n_projections=7, p=p)
    D = metric.pairwise(np.stack([x, y, z]))
    assert np.all(D >= 0)
    np.testing.assert_allclose(np.diag(D), 0.0, atol=1e-12)
    np.testing.assert_allclose(D, D.T, rtol=1e-12, atol=1e-14)
    assert D[0, 2] <= D[0, 1] + D[1, 2] + 1e-10
    # x and 3x differ at unit mass only by rounding (~1e-16), which W_p turns into
    # about (1e-16)^(1/p): the exact distance between the two rounded distributions.
    assert metric(x, 3.0 * x) < 1e-6


def test_pairwise_equals_scikit_learn_per_pair_route(engine):
    shape = (8, 8)
    X, Y = _images(6, shape, seed=9), _images(4, shape, seed=10)
    for cls in (SlicedWasserstein, MaxSlicedWasserstein):
        metric = cls(n_projections=10, p=2)
        np.testing.assert_allclose(metric.pairwise(X), pairwise_distances(X, metric=metric),
                                   rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(metric.pairwise(X, Y),
                                   pairwise_distances(X, Y, metric=metric), rtol=1e-12)
    via_function = pairwise_distances(X, Y, metric=sliced_wasserstein, n_projections=10, p=1)
    np.testing.assert_allclose(SlicedWasserstein(n_projections=10, p=1).pairwise(X, Y),
                               via_function, rtol=1e-12)


def test_compiled_kernel_equals_numpy_fallback():
    if _sliced_kernels.merge_costs is None:
        pytest.skip("numba (the 'fast' extra) is not installed")
    X = _images(5, (10, 10), seed=11)
    X[1, :50] = 0.0  # a half-empty image: long runs of equal CDF values
    for cls, p in [(SlicedWasserstein, 1), (SlicedWasserstein, 1.5), (SlicedWasserstein, 2),
                   (SlicedWasserstein, 3), (MaxSlicedWasserstein, 1), (MaxSlicedWasserstein, 2)]:
        metric = cls(n_projections=9, p=p)
        compiled = metric.pairwise(X)
        per_pair = np.array([[metric(x, y) for y in X] for x in X])
        with skimgdist.config_context(compiled_kernels=False):
            fallback = metric.pairwise(X)
        np.testing.assert_allclose(compiled, fallback, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(per_pair, fallback, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("cls", [SlicedWasserstein, MaxSlicedWasserstein])
def test_per_pair_kernels_on_extreme_images(cls):
    # Point masses (a CDF at 1 from the first or only at the last pixel), identical images
    # (every merge step advances both indices, into the padding of the buffers) and a
    # half-empty image: the single-pair kernels against the NumPy route.
    if _sliced_kernels.pair_cost is None:
        pytest.skip("numba (the 'fast' extra) is not installed")
    shape = (7, 9)
    X = _images(3, shape, seed=16)
    first, last, half = np.zeros((3, X.shape[1]))
    first[0], last[-1] = 1.0, 1.0
    half[X.shape[1] // 2:] = X[0, X.shape[1] // 2:]
    X = np.vstack([X, first, last, half])
    for p in (1, 1.5, 2, 3):
        metric = cls(image_shape=shape, n_projections=6, p=p)
        per_pair = np.array([[metric(x, y) for y in X] for x in X])
        with skimgdist.config_context(compiled_kernels=False):
            fallback = metric.pairwise(X)
        np.testing.assert_allclose(per_pair, fallback, rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(np.diag(per_pair), 0.0)


@pytest.mark.parametrize("p", [1, 2, 3])
def test_batched_kernels_on_many_images_equal_the_numpy_route(p):
    # More images than one tile of the city-block kernel (32 rows) and not a multiple of
    # its blocks of 4, more support points than one chunk of columns (1,024), and enough
    # work for the parallel kernels: compiled batched route against the NumPy one.
    if _sliced_kernels.cityblock_costs is None:
        pytest.skip("numba (the 'fast' extra) is not installed")
    shape = (12, 12)
    X, Y = _images(38, shape, seed=21), _images(35, shape, seed=22)
    X[3, :70] = 0.0  # a half-empty image: long runs of equal CDF values
    for cls in (SlicedWasserstein, MaxSlicedWasserstein):
        metric = cls(image_shape=shape, n_projections=9, p=p)
        compiled = metric.pairwise(X), metric.pairwise(X, Y)
        with skimgdist.config_context(compiled_kernels=False):
            fallback = metric.pairwise(X), metric.pairwise(X, Y)
        for ours, expected in zip(compiled, fallback, strict=True):
            np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(np.diag(compiled[0]), 0.0)
        np.testing.assert_array_equal(compiled[0], compiled[0].T)


@pytest.mark.parametrize("symmetric", [True, False])
def test_cityblock_kernel_equals_scipy(symmetric):
    if _sliced_kernels.cityblock_costs is None:
        pytest.skip("numba (the 'fast' extra) is not installed")
    from scipy.spatial.distance import cdist

    rng = np.random.default_rng(23)
    GX = rng.random((76, 2300))
    GY = GX if symmetric else rng.random((8, 2300))
    for start, stop in [(0, 2300), (5, 2101), (1030, 1031)]:
        out = np.full((len(GX), len(GY)), 0.5)  # the kernel adds to out
        _sliced_kernels.cityblock_costs(GX, GY, start, stop, symmetric, out)
        expected = cdist(GX[:, start:stop], GY[:, start:stop], "cityblock") + 0.5
        if symmetric:  # the upper triangle (with the diagonal) is filled
            upper = np.triu_indices(len(GX))
            out, expected = out[upper], expected[upper]
        np.testing.assert_allclose(out, expected, rtol=1e-13)


def test_image_cdfs_kernel_equals_numpy():
    if _sliced_kernels.image_cdfs is None:
        pytest.skip("numba (the 'fast' extra) is not installed")
    shape = (16, 16)
    directions = np.ascontiguousarray(SlicedWasserstein(n_projections=30).directions())
    order = _sort_orders.__wrapped__(shape, directions.tobytes(), 1.0, 1.0)
    block = _DirectionBlock(order, directions, pixel_coordinates(shape))
    X = _images(301, shape, seed=24)  # enough work for the parallel kernel
    X /= X.sum(axis=1, keepdims=True)
    compiled = block.cdfs(X), block.cdfs(X, block.gaps, row_multiple=4)
    kernel, _sliced_kernels.image_cdfs = _sliced_kernels.image_cdfs, None
    try:
        fallback = block.cdfs(X), block.cdfs(X, block.gaps, row_multiple=4)
    finally:
        _sliced_kernels.image_cdfs = kernel
    assert compiled[1].shape == (304, len(block.positions))
    for ours, expected in zip(compiled, fallback, strict=True):
        np.testing.assert_array_equal(ours, expected)


@pytest.mark.parametrize("shape", [(31, 47), (12, 7), (1, 10), (3, 60), (40, 2)])
@pytest.mark.parametrize("pixel_size", [(1.0, 1.0), (2.0, 0.5), (0.3, 0.7)])
def test_pixel_orders_sort_the_projections(shape, pixel_size, engine):
    # Linear-time grid order (compiled) or np.argsort: either must sort the projections
    # exactly as NumPy computes them, including ties (axis-aligned, 45 degrees).
    rng = np.random.default_rng(17)
    directions = np.vstack([
        SlicedWasserstein(n_projections=16).directions(),
        SlicedWasserstein(n_projections=8, projections="random", random_state=3).directions()
        * rng.choice([-1.0, 1.0], size=(8, 2)),
    ])
    directions = np.ascontiguousarray(directions)
    order = _sort_orders.__wrapped__(shape, directions.tobytes(), *pixel_size)
    projected = _project(pixel_coordinates(shape, pixel_size), directions)
    for d in range(len(directions)):
        np.testing.assert_array_equal(np.sort(order[d]), np.arange(shape[0] * shape[1]))
        assert np.all(np.diff(projected[d, order[d]]) >= 0)
    if engine == "compiled" and shape == (31, 47):  # the linear-time order is used here
        grid = pixel_coordinates(shape, pixel_size)
        out = np.empty(grid.shape[0], dtype=np.uint32)
        assert _sliced_kernels.grid_order(grid, *shape, *directions[1], *pixel_size, out)


def test_small_working_memory_gives_the_same_matrix(engine):
    X = _images(7, (12, 12), seed=12)
    for p in (1, 2):
        metric = SlicedWasserstein(n_projections=9, p=p)
        expected = metric.pairwise(X, X[:3])
        with config_context(working_memory=0.01):
            np.testing.assert_allclose(metric.pairwise(X, X[:3]), expected, rtol=1e-12)
            np.testing.assert_allclose(metric.pairwise(X), metric.pairwise(X, X.copy()),
                                       rtol=1e-12, atol=1e-14)


def _blob_classes(n_per_class=6, shape=(10, 10), seed=0):
    rng = np.random.default_rng(seed)
    rows, columns = np.indices(shape)
    centres = [(2, 2), (2, 7), (7, 4)]
    X, y = [], []
    for label, (r, c) in enumerate(centres):
        for _ in range(n_per_class):
            dr, dc = rng.normal(0, 0.7, 2)
            blob = np.exp(-((rows - r - dr) ** 2 + (columns - c - dc) ** 2) / 3.0)
            X.append(blob.ravel() + 0.01 * rng.random(blob.size))
            y.append(label)
    return np.array(X), np.array(y)


def test_k_neighbors_classifier_and_ball_tree():
    X, y = _blob_classes()
    metric = SlicedWasserstein(n_projections=6)
    knn = KNeighborsClassifier(n_neighbors=3, metric=metric).fit(X[::2], y[::2])
    assert knn.score(X[1::2], y[1::2]) == 1.0
    D = metric.pairwise(X[1::2], X[::2])
    for algorithm in ("brute", "ball_tree"):
        nn = NearestNeighbors(n_neighbors=4, algorithm=algorithm, metric=metric).fit(X[::2])
        distances, indices = nn.kneighbors(X[1::2])
        np.testing.assert_allclose(distances, np.sort(D, axis=1)[:, :4], rtol=1e-10)
        np.testing.assert_allclose(np.take_along_axis(D, indices, axis=1), distances,
                                   rtol=1e-10)
    function_knn = KNeighborsClassifier(
        n_neighbors=3, metric=sliced_wasserstein, metric_params={"n_projections": 6},
        algorithm="ball_tree").fit(X[::2], y[::2])
    np.testing.assert_array_equal(function_knn.predict(X[1::2]), knn.predict(X[1::2]))


def test_dbscan_finds_the_blob_classes():
    X, y = _blob_classes()
    metric = MaxSlicedWasserstein(n_projections=8, p=1)
    labels = DBSCAN(eps=1.5, min_samples=3, metric=metric).fit_predict(X)
    precomputed = DBSCAN(eps=1.5, min_samples=3, metric="precomputed").fit_predict(
        metric.pairwise(X))
    np.testing.assert_array_equal(labels, precomputed)
    assert len(set(labels) - {-1}) == 3
    for label in range(3):
        assert len(set(labels[y == label])) == 1


def test_grid_search_over_n_projections_and_p():
    X, y = _blob_classes(n_per_class=4)
    search = GridSearchCV(
        KNeighborsClassifier(n_neighbors=1, metric=SlicedWasserstein()),
        {"metric__n_projections": [2, 8], "metric__p": [1, 2]}, cv=2,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_estimator_.metric.n_projections in (2, 8)
    assert search.best_score_ == 1.0


def test_clone_pickle_and_params():
    metric = SlicedWasserstein(image_shape=(3, 4), n_projections=5, p=1.5,
                               projections="random", random_state=3)
    assert clone(metric).get_params() == metric.get_params()
    x, y = _images(2, (3, 4), seed=13)
    assert pickle.loads(pickle.dumps(metric))(x, y) == metric(x, y)
    assert sliced_wasserstein.metric_class is SlicedWasserstein
    assert max_sliced_wasserstein.metric_class is MaxSlicedWasserstein
    np.testing.assert_allclose(np.linalg.norm(metric.directions(), axis=1), 1.0)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"projections": "random"}, "needs an integer random_state"),
        ({"projections": np.ones((3, 3))}, r"shape \(n_projections, 2\)"),
        ({"projections": np.array([[1.0, 1.0]])}, "unit vectors; row 0 has norm 1.41421"),
        ({"projections": np.array([[np.nan, 1.0]])}, "NaN or infinity"),
        ({"projections": np.eye(2), "n_projections": 3}, "leave n_projections=None"),
        ({"pixel_size": (1.0, -1.0)}, "pixel_size must be a positive"),
    ],
)
def test_bad_parameters_raise_clear_errors(params, message):
    x, y = _images(2, (4, 4), seed=14)
    with pytest.raises(ValueError, match=message):
        sliced_wasserstein(x, y, **params)


def test_invalid_parameter_types_and_inputs():
    x, y = _images(2, (4, 4), seed=15)
    with pytest.raises(InvalidParameterError):
        SlicedWasserstein(p=0.5)(x, y)
    with pytest.raises(InvalidParameterError):
        SlicedWasserstein(p=np.inf)(x, y)
    with pytest.raises(InvalidParameterError):
        SlicedWasserstein(n_projections=0)(x, y)
    with pytest.raises(InvalidParameterError):
        SlicedWasserstein(projections="sobol")(x, y)
    with pytest.raises(ValueError, match="image_shape"):
        sliced_wasserstein(np.ones(12), np.ones(12))
    with pytest.raises(ValueError, match="negative pixel"):
        sliced_wasserstein(-x, y)
    original = x.copy()
    sliced_wasserstein(x, y)
    np.testing.assert_array_equal(x, original)
