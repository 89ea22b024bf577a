"""Pixel-wise divergences: closed forms, SciPy references, both routes, axioms, scikit-learn."""

import numpy as np
import pytest
from _sklearn_tools import assert_works_in_scikit_learn_tools
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import ndimage
from scipy.spatial.distance import jensenshannon
from scipy.special import xlogy
from scipy.stats import entropy
from sklearn import config_context
from sklearn.metrics import pairwise_distances
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils._param_validation import InvalidParameterError

from skimgdist import (
    BlurredL2,
    ChiSquare,
    FDivergence,
    Hellinger,
    JensenShannon,
    KLDivergence,
    TotalVariation,
    blurred_l2,
    chi_square,
    f_divergence,
    hellinger,
    jensen_shannon,
    kl_divergence,
    total_variation,
)

SHAPE = (4, 5)


def _images(n, seed=0, zeros=0.3, shape=SHAPE):
    """Random non-negative images with some exactly dark pixels (never an all-dark image)."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, shape[0] * shape[1])) * 5
    X[rng.random(X.shape) < zeros] = 0.0
    X[:, 0] += 0.5
    return X


def _unit(x):
    return np.asarray(x, dtype=float) / np.sum(x)


def _closed_form_tv(x, y):
    return 0.5 * np.abs(_unit(x) - _unit(y)).sum()


def _closed_form_hellinger(x, y):
    return np.sqrt(max(0.0, 1.0 - np.sqrt(_unit(x) * _unit(y)).sum()))


def _closed_form_chi2(x, y):
    p, q = _unit(x), _unit(y)
    lit = (p + q) > 0
    return float(((p - q)[lit] ** 2 / (p + q)[lit]).sum())


# (metric object, plain function, its params, reference on one pair or None, symmetric)
METRICS = [
    (TotalVariation(image_shape=SHAPE), total_variation, {}, _closed_form_tv, True),
    (KLDivergence(image_shape=SHAPE), kl_divergence, {}, entropy, False),
    (KLDivergence(image_shape=SHAPE, eps=1e-3), kl_divergence, {"eps": 1e-3}, None, False),
    (JensenShannon(image_shape=SHAPE), jensen_shannon, {}, jensenshannon, True),
    (Hellinger(image_shape=SHAPE), hellinger, {}, _closed_form_hellinger, True),
    (ChiSquare(image_shape=SHAPE), chi_square, {}, _closed_form_chi2, True),
    (FDivergence(f="jensen_shannon", image_shape=SHAPE), f_divergence,
     {"f": "jensen_shannon"}, lambda x, y: jensenshannon(x, y) ** 2, True),
    (FDivergence(f="reverse_kl", image_shape=SHAPE), f_divergence, {"f": "reverse_kl"},
     lambda x, y: entropy(y, x), False),
    (BlurredL2(sigma=1.0, image_shape=SHAPE), blurred_l2, {"sigma": 1.0}, None, True),
]
IDS = ["tv", "kl", "kl-eps", "js", "hellinger", "chi2", "f-js", "f-reverse-kl", "blurred-l2"]


@pytest.mark.parametrize(("metric", "function", "params", "reference", "symmetric"),
                         METRICS, ids=IDS)
def test_three_routes_agree_with_scikit_learn_and_references(metric, function, params,
                                                              reference, symmetric):
    X, Y = _images(7, seed=1), _images(5, seed=2)
    X_before = X.copy()
    expected = pairwise_distances(X, Y, metric=metric)
    np.testing.assert_allclose(metric.pairwise(X, Y), expected, rtol=1e-12, atol=1e-15)
    via_function = pairwise_distances(X, Y, metric=function, image_shape=SHAPE, **params)
    np.testing.assert_allclose(via_function, expected, rtol=1e-12, atol=1e-15)
    # Y=None: scikit-learn mirrors its upper triangle, so compare with an explicit copy.
    np.testing.assert_allclose(metric.pairwise(X), pairwise_distances(X, X.copy(), metric=metric),
                               rtol=1e-12, atol=1e-15)
    if not symmetric:
        assert not metric._is_symmetric   # so scikit-learn-style mirroring is never used
    np.testing.assert_array_equal(X, X_before)
    if reference is not None:
        by_reference = [[reference(x, y) for y in Y] for x in X]
        np.testing.assert_allclose(expected, by_reference, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize(("metric", "function", "params", "reference", "symmetric"),
                         METRICS, ids=IDS)
def test_identity_is_exact_and_unit_mass_scaling_is_ignored(metric, function, params,
                                                           reference, symmetric):
    X = _images(6, seed=3)
    D = metric.pairwise(X)
    assert np.all(np.diag(D) == 0.0)
    assert np.all(D >= 0)
    # Jensen-Shannon is a square root: rounding of order 1e-16 in the divergence shows as
    # 1e-8 in the distance (as in scipy.spatial.distance.jensenshannon).
    atol = 1e-7 if isinstance(metric, JensenShannon) else 1e-12
    np.testing.assert_allclose(metric.pairwise(3.5 * X, X), D, rtol=1e-10, atol=atol)
    if symmetric:
        np.testing.assert_allclose(D, D.T, rtol=1e-12, atol=1e-15)


def test_kl_zero_handling_matches_scipy_and_smoothing_is_documented():
    x = np.array([2.0, 1.0, 0.0, 1.0])
    y = np.array([1.0, 0.0, 1.0, 2.0])
    assert kl_divergence(x, y) == np.inf == entropy(x, y)
    assert kl_divergence(y, x) == np.inf
    z = np.array([1.0, 1.0, 1.0, 1.0])
    assert kl_divergence(x, z) == pytest.approx(entropy(x, z), rel=1e-13)
    eps = 1e-2
    smooth = [(_unit(v) + eps) / (1 + 4 * eps) for v in (x, y)]
    assert kl_divergence(x, y, eps=eps) == pytest.approx(entropy(*smooth), rel=1e-12)


def test_closed_forms_on_tiny_images():
    a = np.array([1.0, 0.0, 0.0, 0.0])
    b = np.array([0.0, 0.0, 0.0, 1.0])
    c = np.array([1.0, 1.0, 1.0, 1.0])
    assert total_variation(a, b) == 1.0
    assert total_variation(a, c) == pytest.approx(0.75, rel=1e-15)
    assert hellinger(a, b) == pytest.approx(1.0, rel=1e-15)
    assert hellinger(a, c) == pytest.approx(np.sqrt(0.5), rel=1e-14)
    assert jensen_shannon(a, b) == pytest.approx(np.sqrt(np.log(2)), rel=1e-14)
    assert chi_square(a, b) == pytest.approx(2.0, rel=1e-15)
    assert kl_divergence(a, c) == pytest.approx(np.log(4), rel=1e-14)
    assert total_variation(a, 2 * c, normalize=False) == pytest.approx(0.5 * 7, rel=1e-15)


def test_named_f_divergences_match_closed_forms_and_dedicated_classes():
    X, Y = _images(5, seed=4, zeros=0.0), _images(4, seed=5)
    P = X / X.sum(axis=1, keepdims=True)
    Q = Y / Y.sum(axis=1, keepdims=True)

    def f(name, A=X, B=Y):
        return FDivergence(f=name, image_shape=SHAPE).pairwise(A, B)

    def dedicated(metric_class):
        return metric_class(image_shape=SHAPE).pairwise(X, Y)

    with np.errstate(divide="ignore"):
        pearson = np.where(Q[None] > 0, (P[:, None] - Q[None]) ** 2 / np.where(Q == 0, 1, Q),
                           np.inf).sum(axis=-1)
    np.testing.assert_allclose(f("pearson"), pearson, rtol=1e-12)
    neyman = ((P[:, None] - Q[None]) ** 2 / P[:, None]).sum(axis=-1)
    np.testing.assert_allclose(f("neyman"), neyman, rtol=1e-12)
    assert np.isinf(f("neyman", Y, X)).any()   # P dark where Q is lit
    np.testing.assert_allclose(f("kl"), dedicated(KLDivergence), rtol=1e-12)
    np.testing.assert_allclose(f("kl", Y, X), [[entropy(y, x) for x in X] for y in Y],
                               rtol=1e-12)
    np.testing.assert_allclose(f("squared_hellinger"), dedicated(Hellinger) ** 2,
                               rtol=1e-12)
    np.testing.assert_allclose(f("total_variation"), dedicated(TotalVariation),
                               rtol=1e-12)
    np.testing.assert_allclose(f("symmetric_chi_square"), dedicated(ChiSquare),
                               rtol=1e-12)
    np.testing.assert_allclose(f("jensen_shannon"), dedicated(JensenShannon) ** 2,
                               rtol=1e-11)


def test_callable_f_with_conventions_at_zero():
    X, Y = _images(4, seed=6), _images(3, seed=7)
    kl_like = FDivergence(f=lambda t: xlogy(t, t), image_shape=SHAPE, slope_at_infinity=np.inf)
    np.testing.assert_allclose(kl_like.pairwise(X, Y),
                               KLDivergence(image_shape=SHAPE).pairwise(X, Y), rtol=1e-10)
    tv_like = FDivergence(f=lambda t: 0.5 * np.abs(t - 1), image_shape=SHAPE,
                          slope_at_infinity=0.5)
    np.testing.assert_allclose(tv_like.pairwise(X, Y),
                               TotalVariation(image_shape=SHAPE).pairwise(X, Y), rtol=1e-12)
    with pytest.raises(ValueError, match="slope_at_infinity"):
        FDivergence(f=lambda t: 0.5 * np.abs(t - 1), image_shape=SHAPE).pairwise(X, Y)
    with pytest.raises(ValueError, match="NaN"), np.errstate(all="ignore"):
        FDivergence(f=lambda t: t * np.log(t), image_shape=SHAPE,
                    slope_at_infinity=np.inf).pairwise(X, Y)
    with pytest.raises(ValueError, match="shape"):
        FDivergence(f=lambda t: np.sum(t), image_shape=SHAPE).pairwise(X, X)
    # f(1) != 0 would put every image at distance f(1) from itself.
    with pytest.raises(ValueError, match=r"f\(1\) must be 0, got 1"):
        FDivergence(f=lambda t: t ** 2, image_shape=SHAPE).pairwise(X, Y)
    tiny = np.ones(9)
    tiny[1:] = 1e-200
    with pytest.raises(ValueError, match="exceed 1e"):
        f_divergence(np.ones(9), tiny, f="total_variation")
    assert f_divergence(tiny, np.ones(9), f="total_variation") == pytest.approx(
        total_variation(tiny, np.ones(9)), rel=1e-12)


def test_blurred_l2_is_the_l2_distance_of_independently_blurred_unit_mass_images():
    X = _images(4, seed=8, shape=(6, 7))
    for sigma, mode in [(1.5, "reflect"), ((0.5, 2.0), "wrap"), (0.0, "constant")]:
        blurred = np.stack([
            ndimage.gaussian_filter(_unit(x).reshape(6, 7), sigma, mode=mode).ravel()
            for x in X
        ])
        expected = np.linalg.norm(blurred[:, None] - blurred[None], axis=-1)
        got = BlurredL2(sigma=sigma, image_shape=(6, 7), mode=mode).pairwise(X)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    raw = BlurredL2(sigma=1.0, image_shape=(6, 7), normalize=False)
    assert raw(X[0] - 3.0, X[1] - 3.0) == pytest.approx(raw(X[0], X[1]), rel=1e-12)


def test_blurred_l2_sees_location_but_pixelwise_divergences_do_not():
    X = np.zeros((3, 64))
    X[0, 27] = X[1, 28] = X[2, 31] = 1.0
    blurred = BlurredL2(sigma=2.0).pairwise(X)
    assert blurred[0, 1] < blurred[0, 2]
    for metric in (TotalVariation(), Hellinger(), JensenShannon(), ChiSquare()):
        D = metric.pairwise(X)
        assert D[0, 1] == D[0, 2]


def test_small_memory_budget_gives_the_same_matrix():
    X = _images(9, seed=9)
    for metric in (KLDivergence(image_shape=SHAPE), JensenShannon(image_shape=SHAPE),
                   FDivergence(f="neyman", image_shape=SHAPE)):
        expected = metric.pairwise(X)
        with config_context(working_memory=0):
            np.testing.assert_allclose(metric.pairwise(X), expected, rtol=1e-14, atol=0)


def test_bad_inputs_and_parameters_raise_clear_errors():
    X = _images(3)
    negative = X.copy()
    negative[1, 3] = -1.0
    with pytest.raises(ValueError, match="row 1 of X has a negative pixel"):
        KLDivergence(image_shape=SHAPE).pairwise(negative)
    with pytest.raises(ValueError, match="zero total mass"):
        jensen_shannon(np.zeros(4), np.ones(4))
    with pytest.raises(ValueError, match="image_shape"):
        hellinger(np.ones(6), np.ones(6))
    with pytest.raises(InvalidParameterError, match="eps"):
        KLDivergence(eps=-1.0).pairwise(X)
    with pytest.raises(InvalidParameterError, match="'f'"):
        FDivergence(f="euclid").pairwise(X)
    with pytest.raises(InvalidParameterError, match="mode"):
        BlurredL2(mode="same").pairwise(X)
    with pytest.raises(ValueError, match="sigma"):
        BlurredL2(sigma=(1.0, 2.0, 3.0), image_shape=SHAPE).pairwise(X)
    raw_tv = TotalVariation(image_shape=SHAPE, normalize=False)
    np.testing.assert_array_equal(raw_tv.pairwise(negative, negative),
                                  0.5 * pairwise_distances(negative, metric="cityblock"))


@pytest.mark.parametrize(("metric", "grid"), [
    (TotalVariation(image_shape=SHAPE), {"normalize": [True, False]}),
    (KLDivergence(image_shape=SHAPE), {"eps": [1e-6, 1e-2]}),
    (JensenShannon(image_shape=SHAPE), {"image_shape": [SHAPE]}),
    (Hellinger(image_shape=SHAPE), {"image_shape": [SHAPE]}),
    (ChiSquare(image_shape=SHAPE), {"image_shape": [SHAPE]}),
    (FDivergence(image_shape=SHAPE), {"f": ["squared_hellinger", "symmetric_chi_square"]}),
    (BlurredL2(image_shape=SHAPE), {"sigma": [0.5, 2.0]}),
], ids=["tv", "kl", "js", "hellinger", "chi2", "f", "blurred-l2"])
def test_every_divergence_works_in_scikit_learn_tools(metric, grid):
    rng = np.random.default_rng(10)
    X = _images(16, seed=11, zeros=0.0)
    y = np.repeat([0, 1], 8)
    X[y == 1, :5] += 20 * rng.random((8, 5))   # class 1: bright top row
    assert_works_in_scikit_learn_tools(metric, grid, X, y)


def test_plain_functions_work_with_metric_params():
    X = _images(16, seed=12, zeros=0.0)
    y = np.repeat([0, 1], 8)
    X[y == 1, :5] += 20
    knn = KNeighborsClassifier(n_neighbors=3, metric=blurred_l2,
                               metric_params={"sigma": 1.0, "image_shape": SHAPE})
    assert knn.fit(X, y).score(X, y) == 1.0
    kl = KNeighborsClassifier(n_neighbors=1, metric=kl_divergence,
                              metric_params={"eps": 1e-6, "image_shape": SHAPE})
    assert kl.fit(X, y).score(X, y) == 1.0


# Pixels are 0 or at least 1e-6: FDivergence refuses ratios p / q beyond 1e150 (tested above).
_pixels = st.floats(0, 10).map(lambda v: v if v >= 1e-6 else 0.0)
_image_arrays = arrays(np.float64, 9, elements=_pixels).filter(lambda x: x.sum() > 1e-3)


@settings(max_examples=25, deadline=None)
@given(_image_arrays, _image_arrays, _image_arrays)
def test_metric_axioms(x, y, z):
    for metric in (TotalVariation(), Hellinger(), JensenShannon(), BlurredL2(sigma=0.8)):
        d_xy, d_yz, d_xz = metric(x, y), metric(y, z), metric(x, z)
        assert d_xy >= 0 and metric(x, x) == 0
        assert d_xy == pytest.approx(metric(y, x), rel=1e-12, abs=1e-15)
        assert d_xz <= d_xy + d_yz + 1e-12
    for metric in (KLDivergence(eps=1e-9), ChiSquare(), FDivergence(f="pearson")):
        assert metric(x, y) >= -1e-15 and metric(x, x) == 0
