"""SlicedWassersteinEmbedding: certified bounds against the exact merge, exact p=1, estimator."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist
from sklearn.utils.estimator_checks import parametrize_with_checks
from test_preprocessing import NON_SQUARE_CHECKS

import skimgdist
from skimgdist import MaxSlicedWasserstein, SlicedWasserstein, SlicedWassersteinEmbedding
from skimgdist.metrics import _sliced_kernels


@st.composite
def image_batches(draw):
    """Batches of one kind: sparse strokes, smooth heatmaps, single pixels; any shape."""
    height, width = draw(st.integers(1, 9)), draw(st.integers(2, 9))
    n = draw(st.integers(2, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["strokes", "heatmap", "pixel"]))
    if kind == "pixel":
        X = np.zeros((n, height * width))
        X[np.arange(n), rng.integers(0, height * width, n)] = rng.uniform(0.5, 3, n)
    elif kind == "strokes":
        X = (rng.random((n, height * width)) > 0.8) * rng.random((n, height * width))
        X[:, 0] += 1e-3 * (X.sum(axis=1) == 0)
    else:
        rows, columns = np.mgrid[:height, :width]
        centres = rng.uniform(0, max(height, width), (n, 2))
        widths = rng.uniform(0.5, 3, n)
        X = np.exp(-((rows.ravel() - centres[:, :1]) ** 2 + (columns.ravel() - centres[:, 1:])
                     ** 2) / (2 * widths[:, None] ** 2)) + 1e-12
    return X, (height, width)


@settings(max_examples=40, deadline=None)
@given(image_batches(), st.sampled_from([1, 3, 16]), st.sampled_from([1, 4, 7]),
       st.sampled_from(["float64", "float32"]))
def test_bounds_enclose_the_exact_distance(batch, n_quantiles, n_projections, dtype):
    X, shape = batch
    exact = SlicedWasserstein(n_projections=n_projections, image_shape=shape).pairwise(X)
    embedding = SlicedWassersteinEmbedding(n_projections=n_projections, image_shape=shape,
                                           n_quantiles=n_quantiles, dtype=dtype).fit(X)
    lower, upper = embedding.bounds(X)
    assert np.all(lower <= exact)
    assert np.all(exact <= upper)
    # The lower bound is the Euclidean distance between embeddings (up to the slack).
    E = embedding.transform(X).astype(float)
    scale = 1 + np.linalg.norm(E, axis=1).max()
    np.testing.assert_allclose(lower, cdist(E, E), atol=(1e-6 if dtype == "float32" else 1e-8)
                               * scale)


def test_bounds_hold_with_either_engine(engine):
    X, shape = _digit_like(12, (9, 7))
    exact = SlicedWasserstein(n_projections=9, image_shape=shape).pairwise(X[:5], X[5:])
    lower, upper = SlicedWassersteinEmbedding(n_projections=9, n_quantiles=5,
                                              image_shape=shape).fit(X).bounds(X[:5], X[5:])
    assert np.all(lower <= exact) and np.all(exact <= upper)
    assert np.all(upper - lower < exact)  # informative, not trivial


def test_compiled_and_numpy_features_agree():
    if _sliced_kernels.quantile_bins is None:
        pytest.skip("numba is not installed")
    X, _ = _digit_like(6, (8, 8))
    embedding = SlicedWassersteinEmbedding(n_projections=7, n_quantiles=6).fit(X)
    compiled = embedding.transform(X)
    with skimgdist.config_context(compiled_kernels=False):
        numpy_features = embedding.transform(X)
    np.testing.assert_allclose(numpy_features, compiled, rtol=1e-12, atol=1e-13)


def _digit_like(n, shape, seed=0):
    """Thin strokes: a random walk of lit pixels of random intensity per image."""
    rng = np.random.default_rng(seed)
    X = np.zeros((n, shape[0] * shape[1]))
    for i in range(n):
        r, c = rng.integers(0, shape[0]), rng.integers(0, shape[1])
        for _ in range(2 * max(shape)):
            X[i, r * shape[1] + c] += rng.uniform(0.3, 1.0)
            r = int(np.clip(r + rng.integers(-1, 2), 0, shape[0] - 1))
            c = int(np.clip(c + rng.integers(-1, 2), 0, shape[1] - 1))
    return X, shape


def _heatmap_like(n, shape, seed=0):
    rng = np.random.default_rng(seed)
    rows, columns = np.mgrid[:shape[0], :shape[1]]
    X = np.zeros((n, shape[0] * shape[1]))
    for _ in range(3):
        centres = rng.uniform(0, shape[0], (n, 2))
        X += np.exp(-((rows.ravel() - centres[:, :1]) ** 2 + (columns.ravel() - centres[:, 1:])
                      ** 2) / (2 * 3.0**2))
    return X, shape


@pytest.mark.parametrize("make", [_digit_like, _heatmap_like])
def test_gap_shrinks_as_n_quantiles_grows(make):
    X, _ = make(10, (16, 16))
    exact = SlicedWasserstein(n_projections=10).pairwise(X)
    off = ~np.eye(len(X), dtype=bool)
    gaps = []
    for n_quantiles in [4, 16, 64]:
        lower, upper = SlicedWassersteinEmbedding(n_projections=10,
                                                  n_quantiles=n_quantiles).fit(X).bounds(X)
        gaps.append(np.median((upper - lower)[off] / exact[off]))
    assert gaps[0] > 2 * gaps[1] > 4 * gaps[2]


def test_embedding_of_an_image_is_independent_of_its_batch():
    X, _ = _heatmap_like(9, (10, 10))
    embedding = SlicedWassersteinEmbedding(n_projections=6, n_quantiles=12).fit(X)
    whole = embedding.transform(X)
    np.testing.assert_array_equal(embedding.transform(X[3:4]), whole[3:4])
    np.testing.assert_array_equal(embedding.transform(X[::-2]), whole[::-2])


@pytest.mark.parametrize("shape", [(6, 6), (4, 9)])
def test_p1_embedding_is_an_exact_cityblock_distance(shape):
    X, _ = _digit_like(7, shape, seed=3)
    exact = SlicedWasserstein(n_projections=8, p=1, image_shape=shape).pairwise(X)
    embedding = SlicedWassersteinEmbedding(n_projections=8, p=1, image_shape=shape).fit(X)
    E = embedding.transform(X)
    np.testing.assert_allclose(cdist(E, E, "cityblock"), exact, rtol=1e-12, atol=1e-13)
    lower, upper = embedding.bounds(X)
    assert np.all(lower <= exact) and np.all(exact <= upper)
    np.testing.assert_allclose(upper, lower, rtol=1e-7, atol=1e-7)


def test_float32_halves_memory_and_stays_close():
    X, _ = _heatmap_like(5, (12, 12))
    E64 = SlicedWassersteinEmbedding(n_projections=5, n_quantiles=8).fit_transform(X)
    E32 = SlicedWassersteinEmbedding(n_projections=5, n_quantiles=8,
                                     dtype="float32").fit_transform(X)
    assert E32.dtype == np.float32 and E32.nbytes * 2 == E64.nbytes
    np.testing.assert_allclose(E32, E64, rtol=1e-6)


def test_metric_offers_the_embedding_through_the_protocol():
    sw = SlicedWasserstein(n_projections=6, p=2, pixel_size=0.5, image_shape=(3, 4))
    embedding = sw.bounding_embedding(n_quantiles=10)
    assert sw.bounding_embedding().n_quantiles == 64
    assert sw.bounding_embedding(tolerance=1e-6).n_quantiles == 1024
    assert isinstance(embedding, SlicedWassersteinEmbedding)
    assert embedding.get_params()["pixel_size"] == 0.5
    assert embedding.get_params()["image_shape"] == (3, 4)
    assert SlicedWasserstein(p=1.5).bounding_embedding() is None
    assert MaxSlicedWasserstein().bounding_embedding() is None
    assert "SlicedWassersteinEmbedding" in skimgdist.__all__


@pytest.mark.parametrize("params, message", [
    ({"p": 1.5}, "p=1"),
    ({"dtype": np.int32}, "float32 or float64"),
])
def test_bad_parameters_are_explained(params, message):
    X, _ = _digit_like(3, (4, 4))
    with pytest.raises(ValueError, match=message):
        SlicedWassersteinEmbedding(**params).fit(X)


def test_bad_images_are_explained_and_inputs_untouched():
    X, _ = _digit_like(3, (4, 4))
    embedding = SlicedWassersteinEmbedding(n_projections=3, n_quantiles=2).fit(X)
    before = X.copy()
    embedding.transform(X)
    np.testing.assert_array_equal(X, before)
    with pytest.raises(ValueError, match="negative pixel"):
        embedding.transform(-X)
    with pytest.raises(ValueError, match="16 features"):
        embedding.transform(np.ones((2, 9)))


NON_SQUARE = (
    "the check feeds 2, 3, 5 or 10 features per row, which cannot be folded into a square "
    "image; with image_shape=None skimgdist raises a ValueError asking for image_shape (by "
    "design)")


def expected_failed_checks(estimator):
    failures = dict.fromkeys(NON_SQUARE_CHECKS, NON_SQUARE)
    failures.pop("check_transformers_unfitted_stateless", None)
    failures["check_positive_only_tag_during_fit"] = (
        "the error for a negative pixel names its row and position instead of scikit-learn's "
        "'Negative values in data'")
    failures["check_fit2d_1feature"] = (
        "1x1 images are valid, but the check's all-zero rows have no light to compare "
        "(zero-mass error instead of '1 feature')")
    return failures


@parametrize_with_checks(
    [SlicedWassersteinEmbedding(n_projections=3, n_quantiles=4),
     SlicedWassersteinEmbedding(n_projections=3, p=1, dtype="float32")],
    expected_failed_checks=expected_failed_checks,
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
