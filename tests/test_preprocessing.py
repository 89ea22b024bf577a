"""Tests of skimgdist.preprocessing: Downscale, GaussianBlur, Normalize and their functions."""

import math
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage
from skimage.measure import block_reduce
from skimage.transform import downscale_local_mean
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import normalize as sklearn_normalize
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import check_estimator, parametrize_with_checks

import skimgdist
from skimgdist import Downscale, GaussianBlur, Normalize, _image
from skimgdist.preprocessing import downscale, gaussian_blur, normalize

RNG = np.random.default_rng(0)


def images(n, shape, rng=RNG):
    return rng.random((n, shape[0] * shape[1]))


def fold(X, shape):
    return X.reshape(len(X), *shape)


def area_pool_by_subpixels(image, out_shape):
    """Independent exact area pooling: split every pixel into out_h x out_w equal
    sub-pixels, so both grids align, then sum blocks of in_h x in_w sub-pixels."""
    (h, w), (oh, ow) = image.shape, out_shape
    fine = np.kron(image, np.ones((oh, ow))) / (oh * ow)
    return block_reduce(fine, (h, w), np.sum)


# ----------------------------------------------------------------------------- Downscale


@pytest.mark.parametrize(
    ("shape", "factor"), [((12, 12), 2), ((12, 12), 3), ((12, 8), 4), ((12, 8), (3, 2)),
                          ((6, 10), (1, 5))])
def test_downscale_dividing_factor_matches_skimage(shape, factor):
    X = images(4, shape)
    f = (factor, factor) if np.isscalar(factor) else factor
    expected = np.stack([downscale_local_mean(img, f) for img in fold(X, shape)])
    expected = expected.reshape(len(X), -1) * (f[0] * f[1])
    np.testing.assert_allclose(downscale(X, image_shape=shape, factor=factor), expected,
                               rtol=1e-12)
    mean = downscale(X, image_shape=shape, factor=factor, reduce="mean")
    np.testing.assert_allclose(mean, expected / (f[0] * f[1]), rtol=1e-12)


@pytest.mark.parametrize(("shape", "factor"), [((29, 29), 10), ((13, 7), (4, 3)),
                                                ((5, 5), 10), ((9, 4), (2, 4))])
def test_downscale_non_dividing_factor_pools_partial_blocks(shape, factor):
    X = images(3, shape)
    f = (factor, factor) if np.isscalar(factor) else factor
    out_shape = (math.ceil(shape[0] / f[0]), math.ceil(shape[1] / f[1]))
    expected = np.stack([block_reduce(img, f, np.sum) for img in fold(X, shape)])
    result = downscale(X, image_shape=shape, factor=factor)
    assert result.shape == (3, out_shape[0] * out_shape[1])
    np.testing.assert_allclose(result, expected.reshape(3, -1), rtol=1e-12)
    np.testing.assert_allclose(result.sum(axis=1), X.sum(axis=1), rtol=1e-12)
    # "mean" divides by the pixels actually in each block: constants stay constant.
    counts = block_reduce(np.ones(shape), f, np.sum).ravel()
    np.testing.assert_allclose(downscale(X, image_shape=shape, factor=factor, reduce="mean"),
                               expected.reshape(3, -1) / counts, rtol=1e-12)
    constant = np.full((1, shape[0] * shape[1]), 2.5)
    np.testing.assert_allclose(
        downscale(constant, image_shape=shape, factor=factor, reduce="mean"), 2.5, rtol=1e-12)


def test_area_pooling_hand_computed_3x3_to_2x2():
    # Rows and columns: output pixel 0 takes input pixel 0 and half of pixel 1.
    X = np.arange(9.0).reshape(1, 9)
    np.testing.assert_allclose(downscale(X, output_shape=(2, 2)), [[3.0, 6.0, 12.0, 15.0]],
                               rtol=1e-12)
    np.testing.assert_allclose(downscale(X, output_shape=(2, 2), reduce="mean"),
                               [[3.0, 6.0, 12.0, 15.0]] / np.float64(2.25), rtol=1e-12)


def test_area_pooling_299_to_30():
    X = images(3, (299, 299))
    result = downscale(X, output_shape=(30, 30))
    assert result.shape == (3, 900)
    np.testing.assert_allclose(result.sum(axis=1), X.sum(axis=1), rtol=1e-12)
    constant = np.full((1, 299 * 299), 3.0)
    np.testing.assert_allclose(downscale(constant, output_shape=(30, 30)),
                               3.0 * (299 / 30) ** 2, rtol=1e-12)
    np.testing.assert_allclose(downscale(constant, output_shape=(30, 30), reduce="mean"),
                               3.0, rtol=1e-12)
    # One lit pixel straddling an output boundary along both axes: input pixel 9 spans
    # [270, 300) in units of 1/30 pixel, output pixel 0 spans [0, 299).
    impulse = np.zeros((299, 299))
    impulse[9, 9] = 1.0
    pooled = downscale(impulse.reshape(1, -1), output_shape=(30, 30)).reshape(30, 30)
    weights = np.array([29 / 30, 1 / 30])
    np.testing.assert_allclose(pooled[:2, :2], np.outer(weights, weights), rtol=1e-12)
    assert np.count_nonzero(pooled) == 4


@settings(max_examples=25, deadline=None)
@given(h=st.integers(1, 23), w=st.integers(1, 23), data=st.data())
def test_area_pooling_matches_subpixel_integration(h, w, data):
    oh = data.draw(st.integers(1, h))
    ow = data.draw(st.integers(1, w))
    seed = data.draw(st.integers(0, 2**32 - 1))
    X = images(2, (h, w), np.random.default_rng(seed))
    result = downscale(X, image_shape=(h, w), output_shape=(oh, ow))
    expected = np.stack([area_pool_by_subpixels(img, (oh, ow)) for img in fold(X, (h, w))])
    np.testing.assert_allclose(result, expected.reshape(2, -1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(result.sum(axis=1), X.sum(axis=1), rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(h=st.integers(1, 40), w=st.integers(1, 40), fr=st.integers(1, 12),
       fc=st.integers(1, 12), seed=st.integers(0, 2**32 - 1))
def test_block_pooling_conserves_mass(h, w, fr, fc, seed):
    X = np.random.default_rng(seed).random((3, h * w)) * 1e3
    result = downscale(X, image_shape=(h, w), factor=(fr, fc))
    assert result.shape == (3, math.ceil(h / fr) * math.ceil(w / fc))
    np.testing.assert_allclose(result.sum(axis=1), X.sum(axis=1), rtol=1e-12)


def test_output_shape_that_divides_equals_factor():
    X = images(3, (20, 30))
    np.testing.assert_allclose(downscale(X, image_shape=(20, 30), output_shape=(4, 10)),
                               downscale(X, image_shape=(20, 30), factor=(5, 3)), rtol=1e-12)
    # mixed: rows divide (block path), columns do not (overlap matrix)
    mixed = downscale(X, image_shape=(20, 30), output_shape=(4, 7))
    expected = np.stack([area_pool_by_subpixels(img, (4, 7)) for img in fold(X, (20, 30))])
    np.testing.assert_allclose(mixed, expected.reshape(3, -1), rtol=1e-10)


def test_downscale_returns_new_array_and_leaves_input_alone():
    X = images(2, (4, 4))
    X_before = X.copy()
    same = downscale(X, factor=1)
    np.testing.assert_array_equal(same, X)
    assert not np.shares_memory(same, X)
    downscale(X, output_shape=(3, 3))
    np.testing.assert_array_equal(X, X_before)


def test_pooling_plans_are_cached_and_read_only():
    from skimgdist.preprocessing import _pooling_plan

    plan = _pooling_plan(299, 30, None)
    assert plan is _pooling_plan(299, 30, None)
    assert not any(array.flags.writeable for array in plan)
    starts, crossing, moved, areas = plan
    # 299 k / 30 is never an integer for 0 < k < 30: a pixel straddles each boundary.
    assert len(starts) == 30 and len(crossing) == 29
    assert np.all((moved > 0) & (moved < 1))
    # 12 -> 8: boundaries at 1.5, 3, 4.5, ... input pixels; every other one is exact.
    np.testing.assert_allclose(_pooling_plan(12, 8, None)[2], [0.5, 0, 0.5, 0, 0.5, 0, 0.5])
    np.testing.assert_allclose(areas, 299 / 30, rtol=1e-15)


def test_downscale_defaults_to_halving_each_side():
    X = np.arange(2 * 36.0).reshape(2, 36)
    np.testing.assert_array_equal(Downscale().fit_transform(X), downscale(X, factor=2))
    np.testing.assert_array_equal(downscale(X), downscale(X, factor=2))
    assert Downscale().fit(X).output_shape_ == (3, 3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"factor": 2, "output_shape": (2, 2)}, "at most one of factor"),
        ({"factor": (2, 2, 2)}, "factor must be"),
        ({"factor": (2.5, 2)}, "factor must be"),
        ({"factor": (0, 2)}, "factor must be"),
        ({"output_shape": (5, 2)}, "Downscale only reduces"),
        ({"output_shape": (0, 2)}, "output_shape must be"),
        ({"output_shape": (2,)}, "output_shape must be a pair"),
        ({"output_shape": ("a", 2)}, "output_shape must be"),
        ({"image_shape": (3, 5)}, "holds 15 pixels"),
    ],
)
def test_downscale_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        downscale(np.ones((2, 16)), **kwargs)
    with pytest.raises(ValueError, match=message):
        Downscale(**kwargs).fit(np.ones((2, 16)))


@pytest.mark.parametrize("kwargs", [{"factor": 0}, {"factor": 2.5}, {"factor": 2, "reduce": "max"},
                                    {"factor": 2, "image_shape": 16}])
def test_downscale_invalid_parameter_types(kwargs):
    with pytest.raises(InvalidParameterError):
        Downscale(**kwargs).fit(np.ones((2, 16)))
    with pytest.raises(InvalidParameterError):
        downscale(np.ones((2, 16)), **kwargs)


# ----------------------------------------------------------------------------- GaussianBlur


@pytest.mark.parametrize("mode", ["reflect", "wrap", "constant", "nearest", "mirror"])
@pytest.mark.parametrize(("shape", "sigma"), [((16, 16), 2.0), ((9, 14), (0.7, 3.0)),
                                               ((5, 5), 0.0), ((6, 3), (2.0, 0.0))])
def test_blur_matches_scipy_per_image(mode, shape, sigma):
    X = images(3, shape)
    expected = np.stack([ndimage.gaussian_filter(img, sigma, mode=mode, truncate=3.0)
                         for img in fold(X, shape)]).reshape(3, -1)
    result = gaussian_blur(X, sigma, image_shape=shape, mode=mode, truncate=3.0)
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-15)
    transformer = GaussianBlur(sigma=sigma, mode=mode, truncate=3.0, image_shape=shape)
    np.testing.assert_allclose(transformer.fit_transform(X), expected, rtol=1e-12, atol=1e-15)


@settings(max_examples=25, deadline=None)
@given(h=st.integers(1, 20), w=st.integers(1, 20),
       sigma=st.tuples(st.floats(0, 30), st.floats(0, 30)),
       mode=st.sampled_from(["reflect", "wrap"]), seed=st.integers(0, 2**32 - 1))
def test_blur_conserves_mass_near_borders(h, w, sigma, mode, seed):
    X = np.random.default_rng(seed).random((3, h * w))
    X[:, 0] += 5.0  # light in the corner, where a blur leaks most
    result = gaussian_blur(X, sigma, image_shape=(h, w), mode=mode)
    np.testing.assert_allclose(result.sum(axis=1), X.sum(axis=1), rtol=1e-12)


def test_blur_constant_mode_loses_light_past_the_border():
    X = np.zeros((1, 25))
    X[0, 0] = 1.0
    kept = gaussian_blur(X, 1.0, mode="constant").sum()
    # A separable kernel keeps, along each axis, the half of it at offsets >= 0.
    kernel = np.exp(-np.arange(-4, 5) ** 2 / 2.0)
    half = kernel[4:].sum() / kernel.sum()
    np.testing.assert_allclose(kept, half**2, rtol=1e-12)


def test_blur_returns_new_array_and_leaves_input_alone():
    X = images(2, (5, 5))
    X_before = X.copy()
    result = gaussian_blur(X, 0.0)
    np.testing.assert_array_equal(result, X)
    assert not np.shares_memory(result, X)
    gaussian_blur(X, 2.0)
    np.testing.assert_array_equal(X, X_before)


@pytest.mark.parametrize("sigma", [(1.0, 2.0, 3.0), [[1.0, 2.0]], (1.0, -1.0), (np.nan, 1.0),
                                   ("a", 1.0), (True, 1.0)])
def test_blur_bad_sigma(sigma):
    with pytest.raises(ValueError, match="sigma must be"):
        gaussian_blur(np.ones((1, 16)), sigma)
    with pytest.raises(ValueError, match="sigma must be"):
        GaussianBlur(sigma=sigma).fit(np.ones((1, 16)))


@pytest.mark.parametrize("kwargs", [{"sigma": -1.0}, {"mode": "edge"}, {"truncate": 0.0},
                                    {"sigma": "wide"}])
def test_blur_invalid_parameters(kwargs):
    with pytest.raises(InvalidParameterError):
        GaussianBlur(**kwargs).fit(np.ones((1, 16)))
    with pytest.raises(InvalidParameterError):
        gaussian_blur(np.ones((1, 16)), **{"sigma": 1.0, **kwargs})


def test_blur_accepts_negative_pixels():
    X = images(2, (6, 6)) - 0.5
    np.testing.assert_allclose(gaussian_blur(X, 1.0).sum(axis=1), X.sum(axis=1), rtol=1e-10)


# ----------------------------------------------------------------------------- Normalize


@pytest.mark.parametrize("norm", ["l1", "max", "l2"])
def test_normalize_matches_sklearn(norm):
    X = images(5, (4, 6)) * 7.0
    expected = sklearn_normalize(X, norm=norm)
    np.testing.assert_allclose(normalize(X, image_shape=(4, 6), norm=norm), expected,
                               rtol=1e-12)
    np.testing.assert_allclose(Normalize(norm=norm, image_shape=(4, 6)).fit_transform(X),
                               expected, rtol=1e-12)


@pytest.mark.parametrize("scale", [1e-300, 1e-160, 1e160, 1e300])
@pytest.mark.parametrize(("norm", "value"), [("l1", 1 / 4), ("max", 1.0), ("l2", 1 / 2)])
def test_normalize_extreme_values(scale, norm, value):
    X = np.full((1, 4), scale)
    result = normalize(X, norm=norm)
    assert np.all(np.isfinite(result))
    np.testing.assert_allclose(result, value, rtol=1e-12)


def test_normalize_negative_pixels():
    X = np.array([[1.0, 2.0, 3.0, 4.0], [1.0, -2.0, 3.0, 4.0]])
    with pytest.raises(ValueError, match=r"row 1 of X has a negative pixel.*clip_negative=True"):
        normalize(X)
    with pytest.raises(ValueError, match="row 1 of X has a negative pixel"):
        Normalize().fit(X)
    with pytest.raises(ValueError, match="row 1 of X has a negative pixel"):
        Normalize().transform(X)
    with pytest.raises(ValueError, match="negative pixel"):
        normalize(X, zero_mass="uniform")
    clipped = normalize(X, clip_negative=True)
    np.testing.assert_allclose(clipped[1], [1 / 8, 0.0, 3 / 8, 4 / 8], rtol=1e-12)


def test_normalize_zero_mass():
    X = np.array([[1.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0], [-1.0, 0.0, -2.0, 0.0]])
    with pytest.raises(ValueError, match=r"row 1 of X has zero total mass.*zero_mass='uniform'"):
        normalize(X[:2])
    with pytest.raises(ValueError, match="row 1 of X has zero total mass"):
        normalize(X[[0, 2]], clip_negative=True)
    for norm, uniform in [("l1", 0.25), ("max", 1.0), ("l2", 0.5)]:
        result = Normalize(norm=norm, clip_negative=True, zero_mass="uniform").fit_transform(X)
        np.testing.assert_allclose(result[1:], uniform, rtol=1e-12)
        np.testing.assert_allclose(result[0], sklearn_normalize(X[:1], norm=norm)[0],
                                   rtol=1e-12)


def test_normalize_returns_new_array_and_leaves_input_alone():
    X = images(3, (3, 3))
    X_before = X.copy()
    result = normalize(X, clip_negative=True)
    assert not np.shares_memory(result, X)
    np.testing.assert_array_equal(X, X_before)


@pytest.mark.parametrize("kwargs", [{"norm": "l3"}, {"clip_negative": "yes"},
                                    {"zero_mass": "drop"}])
def test_normalize_invalid_parameters(kwargs):
    with pytest.raises(InvalidParameterError):
        Normalize(**kwargs).fit(np.ones((1, 4)))
    with pytest.raises(InvalidParameterError):
        normalize(np.ones((1, 4)), **kwargs)


# ----------------------------------------------------------------------------- all three


TRANSFORMS = [
    (Downscale(factor=2), lambda X, **kw: downscale(X, factor=2, **kw)),
    (GaussianBlur(sigma=1.5), lambda X, **kw: gaussian_blur(X, 1.5, **kw)),
    (Normalize(), normalize),
]


@pytest.mark.parametrize(
    ("X", "message"),
    [
        (np.ones(16), "2D array|2-D array|one flattened image per row"),
        (np.ones((0, 16)), "0 sample|empty"),
        (np.ones((2, 0)), "0 feature|empty"),
        (np.full((2, 16), np.nan), "NaN"),
        (np.where(np.eye(4, 16) > 0, np.inf, 1.0), "NaN or infinity"),
        (np.ones((2, 15)), "not a perfect square"),
        (np.array([["a"] * 16]), "string|numeric"),
        (np.ones((2, 16), dtype=complex), "[Cc]omplex"),
    ],
)
@pytest.mark.parametrize(("transformer", "function"), TRANSFORMS)
def test_bad_input(transformer, function, X, message):
    with pytest.raises(ValueError, match=message):
        clone(transformer).fit_transform(X)
    with pytest.raises(ValueError, match=message):
        clone(transformer).transform(X)
    with pytest.raises(ValueError, match=message):
        function(X)


@pytest.mark.parametrize(("transformer", "function"), TRANSFORMS)
def test_sparse_input_is_refused(transformer, function):
    from scipy import sparse

    with pytest.raises(TypeError, match=r"[Ss]parse"):
        clone(transformer).fit(sparse.csr_matrix(np.ones((2, 16))))


@pytest.mark.parametrize(("transformer", "function"), TRANSFORMS)
def test_transformer_equals_function_and_is_stateless(transformer, function):
    X = images(4, (6, 10))
    est = clone(transformer).set_params(image_shape=(6, 10))
    expected = function(X, image_shape=(6, 10))
    np.testing.assert_array_equal(est.transform(X), expected)  # no fit needed
    np.testing.assert_array_equal(est.fit(X[:1]).transform(X), expected)
    assert est.image_shape_ == (6, 10)
    assert est.n_features_in_ == 60
    assert len(est.get_feature_names_out()) == expected.shape[1]
    with pytest.raises(ValueError, match="features"):
        est.transform(images(2, (5, 10)))


@pytest.mark.parametrize(("transformer", "function"), TRANSFORMS)
def test_pickle_round_trip(transformer, function):
    X = images(3, (8, 8))
    est = clone(transformer).fit(X)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.transform(X), est.transform(X))
    assert restored.get_params() == est.get_params()
    assert restored.output_shape_ == est.output_shape_


def test_downscale_shapes_after_fit():
    down = Downscale(factor=10).fit(images(1, (299, 299)))
    assert (down.image_shape_, down.output_shape_) == ((299, 299), (30, 30))
    down = Downscale(factor=(2, 5), image_shape=(7, 12)).fit(images(1, (7, 12)))
    assert down.output_shape_ == (4, 3)
    names = down.get_feature_names_out()
    assert names[0] == "pixel_0_0" and names[-1] == "pixel_3_2" and len(names) == 12


def test_chain_infers_square_shapes():
    X = images(6, (36, 36))
    pipe = make_pipeline(Downscale(output_shape=(10, 10)), GaussianBlur(sigma=1.0), Normalize())
    result = pipe.fit_transform(X)
    assert result.shape == (6, 100)
    np.testing.assert_allclose(result.sum(axis=1), 1.0, rtol=1e-12)
    assert pipe[1].image_shape_ == (10, 10)
    expected = normalize(gaussian_blur(downscale(X, output_shape=(10, 10)), 1.0))
    np.testing.assert_allclose(result, expected, rtol=1e-12)


def test_chain_non_square_needs_the_shape():
    X = images(3, (30, 20))
    down = Downscale(factor=10, image_shape=(30, 20))
    with pytest.raises(ValueError, match="Pass image_shape"):
        make_pipeline(down, GaussianBlur()).fit_transform(X)
    pipe = make_pipeline(down, GaussianBlur(image_shape=(3, 2)), Normalize(image_shape=(3, 2)))
    assert pipe.fit_transform(X).shape == (3, 6)
    assert pipe[0].output_shape_ == pipe[1].image_shape_ == (3, 2)


def test_pandas_output_and_feature_names():
    pd = pytest.importorskip("pandas")
    X = images(4, (6, 6))
    pipe = make_pipeline(Downscale(factor=3), GaussianBlur(sigma=0.5), Normalize())
    pipe.set_output(transform="pandas")
    frame = pipe.fit_transform(X)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["pixel_0_0", "pixel_0_1", "pixel_1_0", "pixel_1_1"]
    np.testing.assert_allclose(frame.to_numpy().sum(axis=1), 1.0, rtol=1e-12)
    # A DataFrame's own column names pass through the shape-preserving steps.
    columns = [f"p{i}" for i in range(36)]
    blur = GaussianBlur().set_output(transform="pandas").fit(pd.DataFrame(X, columns=columns))
    assert list(blur.get_feature_names_out()) == columns
    assert list(blur.transform(pd.DataFrame(X, columns=columns)).columns) == columns
    assert list(GaussianBlur().fit(X).get_feature_names_out()[:2]) == ["pixel_0_0", "pixel_0_1"]


def test_grid_search_over_blur_sigma():
    rng = np.random.default_rng(1)
    centres = rng.integers(2, 10, size=(40, 2))
    labels = (centres[:, 1] > 5).astype(int)  # light on the left or on the right
    X = np.zeros((40, 12 * 12))
    X[np.arange(40), centres[:, 0] * 12 + centres[:, 1]] = 1.0
    pipe = make_pipeline(GaussianBlur(), Normalize(), KNeighborsClassifier(n_neighbors=3))
    search = GridSearchCV(pipe, {"gaussianblur__sigma": [0.0, 2.0, (0.0, 3.0)]}, cv=4)
    search.fit(X, labels)
    assert len(search.cv_results_["mean_test_score"]) == 3
    # Without blur single lit pixels never overlap, so a shift-tolerant blur must win.
    assert search.best_params_["gaussianblur__sigma"] != 0.0


def test_top_level_exports():
    for name in ["Downscale", "GaussianBlur", "Normalize"]:
        assert name in skimgdist.__all__
        assert getattr(skimgdist, name) is getattr(skimgdist.preprocessing, name)


# ----------------------------------------------------------------------------- estimator checks

ESTIMATORS = [
    Downscale(),
    Downscale(factor=2),
    Downscale(output_shape=(1, 1), reduce="mean"),
    GaussianBlur(),
    GaussianBlur(sigma=(0.5, 2.0), mode="constant"),
    Normalize(),
    Normalize(norm="l2", clip_negative=True, zero_mass="uniform"),
]

NON_SQUARE = (
    "the check feeds 2, 3, 5 or 10 features per row, which cannot be folded into a square "
    "image; with image_shape=None skimgdist raises a ValueError asking for image_shape (by "
    "design); test_estimator_checks_on_strip_images runs this check with such rows read as "
    "1 x n images"
)
NON_SQUARE_CHECKS = [
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit2d_1sample",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_pipeline_consistency",
    "check_readonly_memmap_input",
    "check_transformer_data_not_an_array",
    "check_transformer_general",
    "check_transformer_preserve_dtypes",
    "check_transformers_unfitted_stateless",
]
NEGATIVE_MESSAGE = (
    "Normalize rejects negative pixels in fit as its positive_only tag says, but the message "
    "names the row and pixel ('row 0 of X has a negative pixel ...') instead of scikit-learn's "
    "wording 'Negative values in data'"
)
ZERO_MASS = (
    "the check's integer data contains all-zero images, which Normalize rejects by design "
    "with zero_mass='error'"
)


def _rejects_negatives(estimator):
    return isinstance(estimator, Normalize) and not estimator.clip_negative


def expected_failures(estimator):
    failures = dict.fromkeys(NON_SQUARE_CHECKS, NON_SQUARE)
    if _rejects_negatives(estimator):
        failures["check_positive_only_tag_during_fit"] = NEGATIVE_MESSAGE
    return failures


def expected_failures_on_strips(estimator):
    if not _rejects_negatives(estimator):
        return {}
    return {"check_positive_only_tag_during_fit": NEGATIVE_MESSAGE,
            "check_estimators_dtypes": ZERO_MASS}


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_estimator_checks(estimator):
    """scikit-learn's estimator checks with ``expected_failed_checks``, strictly: nothing
    else fails, every listed check fails, and for the reason given.

    ``check_estimator`` runs the same checks as ``parametrize_with_checks``; pytest's
    report of ~150 expected failures alone would take about a minute.
    """
    expected = expected_failures(estimator)
    results = check_estimator(estimator, expected_failed_checks=expected, on_fail=None,
                              on_skip=None)
    assert {r["check_name"] for r in results} >= set(expected)
    failed = [(r["check_name"], r["exception"]) for r in results if r["status"] == "failed"]
    assert failed == []
    passed_unexpectedly = [r["check_name"] for r in results
                           if r["expected_to_fail"] and r["status"] == "passed"]
    assert passed_unexpectedly == []
    for result in results:
        if result["status"] == "xfail" and result["expected_to_fail_reason"] == NON_SQUARE:
            # (check_fit2d_1sample re-raises our ValueError's message in an AssertionError)
            assert "not a perfect square" in str(result["exception"])


@pytest.fixture
def strip_images(monkeypatch):
    """Read rows whose pixel count is not a perfect square as 1 x n images."""
    resolve = _image.resolve_image_shape

    def resolve_or_strip(n_features, image_shape=None):
        if image_shape is None and math.isqrt(int(n_features)) ** 2 != int(n_features):
            return (1, int(n_features))
        return resolve(n_features, image_shape)

    monkeypatch.setattr(_image, "resolve_image_shape", resolve_or_strip)


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures_on_strips,
                         xfail_strict=True)
def test_estimator_checks_on_strip_images(estimator, check, strip_images):
    """Every check listed in NON_SQUARE_CHECKS fails only for the shape: it passes once
    non-square rows are readable."""
    check(estimator)
