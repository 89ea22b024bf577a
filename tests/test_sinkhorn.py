"""Entropic OT on images: values against POT's dense solvers, axioms, protocol."""

import itertools
import sys
import warnings

import numpy as np
import ot
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import logsumexp
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import pairwise_distances
from sklearn.utils._param_validation import InvalidParameterError

from skimgdist import (
    Sinkhorn,
    SinkhornDivergence,
    _config,
    clear_caches,
    config_context,
    sinkhorn,
    sinkhorn_divergence,
)
from skimgdist._config import kernel_threads, single_threaded
from skimgdist.metrics import _sinkhorn, _softmin
from skimgdist.plotting import plot_displacement

TIGHT = {"tol": 1e-10, "max_iter": 100_000}


def dense_cost(shape, pixel_size=(1.0, 1.0)):
    coords = np.indices(shape).reshape(2, -1).T * np.asarray(pixel_size, dtype=float)
    return ot.dist(coords, coords)


def images(rng, shape, n=2, floor=0.02):
    """Positive images (POT's log-domain solver needs positive weights)."""
    X = rng.random((n, shape[0] * shape[1])) ** 3 + floor
    return X / X.sum(axis=1, keepdims=True)


def pot_plan(a, b, M, reg):
    return ot.sinkhorn(a, b, M, reg, method="sinkhorn_log", stopThr=1e-12,
                       numItermax=200_000)


def entropic_objective(a, b, M, reg):
    """<P, M> + reg KL(P | a x b) from POT's plan."""
    P = pot_plan(a, b, M, reg)
    support = P > 0
    kl = np.sum(P[support] * np.log(P[support] / np.outer(a, b)[support]))
    return np.sum(P * M) + reg * kl


@pytest.mark.parametrize(
    ("shape", "reg", "pixel_size", "pot_tol"),
    [((8, 8), 1.0, 1.0, 1e-12), ((6, 10), 0.5, (1.5, 1.0), 1e-12), ((16, 16), 2.0, 1.0, 1e-12),
     ((32, 32), 60.0, 1.0, 1e-8)],  # POT's dense 1024 x 1024 iterations are slow
)
def test_matches_pot_sinkhorn2(shape, reg, pixel_size, pot_tol):
    rng = np.random.default_rng(sum(shape))
    a, b = images(rng, shape)
    M = dense_cost(shape, np.broadcast_to(pixel_size, (2,)))
    expected = ot.sinkhorn2(a, b, M, reg, method="sinkhorn_log", stopThr=pot_tol,
                            numItermax=200_000)
    ours = sinkhorn(a, b, image_shape=shape, reg=reg, pixel_size=pixel_size, **TIGHT)
    assert ours == pytest.approx(float(expected), rel=1e-6)


def heatmaps(shape, seed, levels=None):
    """Two smooth unit-mass images (Gaussian bumps); ``levels=255`` quantises them to 8 bits,
    which leaves zero pixels (POT then runs on the supports)."""
    rng = np.random.default_rng(seed)
    rows, columns = np.indices(shape)
    pair = []
    for _ in range(2):
        image = np.zeros(shape)
        for _ in range(3):
            r, c = rng.uniform(0.2, 0.8, 2) * shape
            width = rng.uniform(0.06, 0.15) * min(shape)
            image += np.exp(-((rows - r) ** 2 + (columns - c) ** 2) / (2 * width**2))
        if levels:
            image = np.floor(image / image.max() * levels)
        pair.append(image.ravel() / image.sum())
    return pair


def pot_sinkhorn2_on_supports(a, b, M, reg):
    """POT's log-domain ``sinkhorn2`` at a tight threshold, warm-started from its kernel-domain
    solver (the log-domain iterations alone take minutes at 48x48)."""
    sa, sb = a > 0, b > 0
    a, b, M = a[sa], b[sb], M[np.ix_(sa, sb)]
    _, log = ot.sinkhorn(a, b, M, reg, method="sinkhorn", stopThr=1e-10, numItermax=100_000,
                         log=True)
    return float(ot.sinkhorn2(a, b, M, reg, method="sinkhorn_log", stopThr=1e-11,
                              numItermax=100_000, warmstart=(np.log(log["u"]), np.log(log["v"]))))


@pytest.mark.parametrize(("shape", "reg", "levels"), [
    ((16, 16), 1.0, None), ((16, 16), 1.0, 255), ((24, 20), 1.0, 255), ((32, 32), 6.0, 255),
    ((48, 48), 16.0, None)])
def test_default_tolerance_meets_the_accuracy_contract(shape, reg, levels):
    """Deliver 1 of issue 13: at the default tol the value equals POT's to 1e-6 relative."""
    a, b = heatmaps(shape, sum(shape), levels)
    expected = pot_sinkhorn2_on_supports(a, b, dense_cost(shape), reg)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sinkhorn(a, b, image_shape=shape, reg=reg) == pytest.approx(expected, rel=1e-6)


def slope_calls(monkeypatch):
    """Record ``(pairs tried, pairs flagged as too curved)`` of every call of the slope route."""
    calls = []
    original = _sinkhorn._cost_from_temperature_slope

    def spy(log_a, *args):
        result = original(log_a, *args)
        calls.append((len(log_a), result[2]))
        return result

    monkeypatch.setattr(_sinkhorn, "_cost_from_temperature_slope", spy)
    return calls


def test_a_slope_that_bends_too_much_falls_back_to_the_plan_cost(monkeypatch):
    # Forced onto the slope in reg, a 24x20 pair at reg=1 bends too much for it (truncation
    # estimate about 1e-4 of the value): the iterations go on to the plan's own cost, which
    # still meets the accuracy contract against POT.
    calls = slope_calls(monkeypatch)
    monkeypatch.setattr(_sinkhorn, "_slope_expected_flat",
                        lambda reg, tol, objective: np.ones(len(objective), dtype=bool))
    shape = (24, 20)
    a, b = heatmaps(shape, sum(shape), 255)
    expected = pot_sinkhorn2_on_supports(a, b, dense_cost(shape), 1.0)
    assert sinkhorn(a, b, image_shape=shape, reg=1.0) == pytest.approx(expected, rel=1e-6)
    assert [bool(flagged.all()) for _, flagged in calls] == [True]


def test_zero_pixels_match_pot_on_the_support():
    rng = np.random.default_rng(3)
    a, b = images(rng, (7, 7))
    a[rng.random(49) < 0.4] = 0
    b[:20] = 0
    a, b = a / a.sum(), b / b.sum()
    M = dense_cost((7, 7))
    sa, sb = a > 0, b > 0
    expected = ot.sinkhorn2(a[sa], b[sb], M[np.ix_(sa, sb)], 0.7, method="sinkhorn_log",
                            stopThr=1e-12, numItermax=200_000)
    assert sinkhorn(a, b, reg=0.7, **TIGHT) == pytest.approx(float(expected), rel=1e-6)


def test_approaches_emd2_as_reg_shrinks():
    rng = np.random.default_rng(5)
    a, b = images(rng, (6, 6), floor=0.0)
    exact = ot.emd2(a, b, dense_cost((6, 6)))
    gaps = [sinkhorn(a, b, reg=reg, **TIGHT) - exact for reg in (2.0, 0.5, 0.1, 0.02)]
    assert all(gap > -1e-9 for gap in gaps)
    assert all(later < earlier for earlier, later in itertools.pairwise(gaps))
    assert gaps[-1] < 1e-3 * exact


def test_divergence_matches_dense_entropic_objectives():
    rng = np.random.default_rng(11)
    shape, reg = (6, 7), 0.8
    a, b = images(rng, shape)
    M = dense_cost(shape)
    expected = entropic_objective(a, b, M, reg) - 0.5 * (
        entropic_objective(a, a, M, reg) + entropic_objective(b, b, M, reg))
    ours = sinkhorn_divergence(a, b, image_shape=shape, reg=reg, **TIGHT)
    assert ours == pytest.approx(expected, rel=1e-6)


def test_divergence_differs_from_debiased_transport_term():
    """The divergence debiases the full entropic objective, not <P, C> alone."""
    rng = np.random.default_rng(2)
    a, b = images(rng, (5, 5))
    M = dense_cost((5, 5))
    def cost(x, y):
        return float(ot.sinkhorn2(x, y, M, 1.0, method="sinkhorn_log", stopThr=1e-12))

    transport_only = cost(a, b) - 0.5 * (cost(a, a) + cost(b, b))
    ours = sinkhorn_divergence(a, b, reg=1.0, **TIGHT)
    assert abs(ours - transport_only) > 1e-3


@settings(max_examples=25, deadline=None)
@given(arrays(np.float64, (2, 16), elements=st.floats(0, 1)).filter(
    lambda X: (X.sum(axis=1) > 1e-3).all()))
def test_divergence_zero_on_identical_symmetric_nonnegative(X):
    a, b = X
    metric = SinkhornDivergence(reg=0.5)
    assert metric(a, a) == 0.0
    assert metric(a, b) == metric(b, a)
    assert metric(a, b) >= -1e-8
    assert Sinkhorn(reg=0.5)(a, b) == Sinkhorn(reg=0.5)(b, a)


def test_dirac_translation_is_the_squared_shift():
    a = np.zeros((9, 9))
    b = np.zeros((9, 9))
    a[1, 2] = 1
    b[4, 6] = 1
    assert sinkhorn(a.ravel(), b.ravel(), reg=0.3) == pytest.approx(25.0, rel=1e-12)
    assert sinkhorn_divergence(a.ravel(), b.ravel(), reg=0.3) == pytest.approx(25.0, rel=1e-9)


def test_pixel_size_scales_cost_and_reg_together():
    rng = np.random.default_rng(8)
    a, b = images(rng, (6, 6))
    base = sinkhorn(a, b, reg=1.0, **TIGHT)
    scaled = sinkhorn(a, b, reg=4.0, pixel_size=2.0, **TIGHT)
    assert scaled == pytest.approx(4 * base, rel=1e-8)


def test_pyramid_route_reaches_the_single_grid_fixed_point(monkeypatch):
    rng = np.random.default_rng(4)
    a, b = images(rng, (40, 36), floor=0.05)
    kwargs = {"image_shape": (40, 36), "reg": 2.0, "tol": 1e-9, "max_iter": 20_000}
    assert len(_sinkhorn._pyramid((40, 36), 1.0, 1.0)) == 2
    with_pyramid = sinkhorn(a, b, **kwargs)
    monkeypatch.setattr(_sinkhorn, "_COARSEST_SIDE", 64)
    clear_caches()
    try:
        single = sinkhorn(a, b, **kwargs)
    finally:
        clear_caches()
    assert with_pyramid == pytest.approx(single, rel=1e-7)


@pytest.mark.parametrize("metric", [Sinkhorn(reg=0.7), SinkhornDivergence(reg=0.7)])
def test_pairwise_equals_scikit_learn(metric):
    rng = np.random.default_rng(1)
    X = images(rng, (5, 6), n=4)
    Y = images(rng, (5, 6), n=3)
    metric = metric.set_params(image_shape=(5, 6))
    assert np.allclose(metric.pairwise(X), pairwise_distances(X, metric=metric),
                       rtol=1e-12, atol=0)
    assert np.allclose(metric.pairwise(X, Y), pairwise_distances(X, Y, metric=metric),
                       rtol=1e-12, atol=0)


def test_pairwise_mixing_the_slope_and_the_plan_cost_equals_the_loop(monkeypatch):
    # Two far pairs take the value from the slope in reg, the near pair the plan's own
    # cost; in one batch each pair still gets exactly its value alone.
    calls = slope_calls(monkeypatch)
    rows, columns = np.indices((64, 64))

    def blob(row, column, width):
        return (np.exp(-((rows - row) ** 2 + (columns - column) ** 2) / width) + 1e-3).ravel()

    X = np.stack([blob(13, 13, 41), blob(51, 48, 64), blob(15, 14, 41)])
    metric = Sinkhorn(reg=1.0)
    together = metric.pairwise(X)
    assert calls[0][0] == 2
    assert np.allclose(together, pairwise_distances(X, metric=metric), rtol=1e-12, atol=0)


def test_function_forms_match_classes():
    rng = np.random.default_rng(9)
    X = images(rng, (4, 4), n=3)
    assert np.array_equal(pairwise_distances(X, metric=sinkhorn, reg=0.5),
                          Sinkhorn(reg=0.5).pairwise(X))
    assert np.array_equal(pairwise_distances(X, metric=sinkhorn_divergence, reg=0.5),
                          SinkhornDivergence(reg=0.5).pairwise(X))


def test_value_from_the_temperature_slope_matches_a_tight_solve(monkeypatch):
    # Far-apart blobs: the cost is large against its curvature in reg, so the value is
    # the dual value minus reg times its central difference at reg (1 +- 0.05), with no
    # further iterations; at tol=1e-12 the difference's truncation would be too large,
    # and the plan's own cost is iterated instead.  Both agree to 1e-6.
    calls = slope_calls(monkeypatch)
    rows, columns = np.indices((64, 64))
    x = np.exp(-((rows - 13) ** 2 + (columns - 13) ** 2) / 41) + 1e-3
    y = np.exp(-((rows - 51) ** 2 + (columns - 48) ** 2) / 64) + 1e-3
    value = sinkhorn(x.ravel(), y.ravel(), reg=1.0)
    tight = sinkhorn(x.ravel(), y.ravel(), reg=1.0, tol=1e-12, max_iter=5000)
    assert [bool(flagged.any()) for _, flagged in calls] == [False]
    assert value == pytest.approx(tight, rel=1e-6)


def test_not_converged_warns_with_the_error_reached():
    rng = np.random.default_rng(6)
    a, b = images(rng, (8, 8))
    with pytest.warns(ConvergenceWarning, match=r"max_iter=40 .* within tol=1e-12 .* marginal "
                                                r"error 0.000\d+ .* moved by up to 0.000"):
        sinkhorn(a, b, reg=0.5, tol=1e-12, max_iter=40)
    with pytest.raises(ValueError, match=r"max_iter=2 .* marginal error 0.08"):
        sinkhorn(a, b, reg=0.5, tol=1e-12, max_iter=2)


def test_meaningless_non_converged_values_are_refused():
    """At tiny reg on white noise the iterations stall far from the marginals: an error, not
    a value 10x above W2^2 or a negative divergence with only a warning (issue 16)."""
    a, b = images(np.random.default_rng(0), (16, 16), floor=0.0)
    for function in (sinkhorn, sinkhorn_divergence):
        with pytest.raises(ValueError, match=r"marginal error .* meaningless. Increase max_iter"):
            function(a, b, reg=1e-3)


@pytest.mark.parametrize(("side", "params", "message"), [
    (8, {"reg": 1e-18}, r"reg=1e-18 is 1e-18 times .* reg in \[0.001, "),
    (16, {"reg": 1e-18}, r"reg=1e-18 is 1e-18 times .* reg in \[0.001, "),
    (16, {"pixel_size": 1e8}, r"reg=1.0 is 1e-16 times the squared pixel size .* \[1e\+13, "),
    (8, {"pixel_size": 1e30}, r"reg=1.0 is 1e-60 times"),
    (8, {"pixel_size": 1e300, "max_iter": 1}, r"pixel_size=1e\+300 .* outside float64: .* "
                                              r"between 1e-150 and 1.01e\+149"),
    (8, {"pixel_size": 1e-160}, r"between 1e-150 and"),
    (8, {"pixel_size": 1e-100, "reg": 1e101}, r"reg in \[1e-203, 1e\+100\]"),
])
def test_parameters_beyond_float64_are_refused_with_the_valid_range(side, params, message):
    """These crashed (SIGSEGV, ZeroDivisionError), returned nan or never returned (issue 16)."""
    a, b = images(np.random.default_rng(side), (side, side))
    with pytest.raises(ValueError, match=message):
        sinkhorn(a, b, **params)


@pytest.mark.parametrize("scale", [1e-140, 1e-3, 1e8, 1e100])
def test_only_reg_relative_to_the_pixel_size_matters(scale):
    """The solver works in pixel units: extreme pixel sizes give the scaled pixel-unit value."""
    a, b = images(np.random.default_rng(17), (6, 7))
    base = sinkhorn(a, b, image_shape=(6, 7), reg=0.7, **TIGHT)
    scaled = sinkhorn(a, b, image_shape=(6, 7), reg=0.7 * scale**2,
                      pixel_size=(scale, scale / 2), **TIGHT)
    anisotropic = sinkhorn(a, b, image_shape=(6, 7), reg=0.7, pixel_size=(1.0, 0.5), **TIGHT)
    assert base != anisotropic
    assert scaled == pytest.approx(anisotropic * scale**2, rel=1e-9)


@pytest.mark.parametrize("metric", [Sinkhorn(), SinkhornDivergence()])
def test_pairwise_of_a_single_image(metric):
    """One image: no off-diagonal pair to solve (raised an internal error, issue 16)."""
    x = images(np.random.default_rng(3), (6, 6), n=1)
    expected = sinkhorn(x[0], x[0]) if isinstance(metric, Sinkhorn) else 0.0
    assert metric.pairwise(x) == pytest.approx(np.array([[expected]]), rel=1e-12)


@pytest.mark.parametrize("eps", [0.0, -1.0, np.inf, np.nan])
def test_log_convolve_refuses_a_temperature_it_would_divide_by(eps):
    grid = np.arange(4.0)
    with pytest.raises(ValueError, match="positive and finite"):
        _softmin.log_convolve(np.zeros((1, 4)), grid, grid, eps)


def test_converged_is_silent():
    rng = np.random.default_rng(6)
    a, b = images(rng, (8, 8))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sinkhorn(a, b, reg=0.1)


@pytest.mark.parametrize("params", [{"reg": 0}, {"tol": -1.0}, {"max_iter": 0},
                                    {"pixel_size": -1.0}])
def test_invalid_parameters(params):
    with pytest.raises((InvalidParameterError, ValueError)):
        Sinkhorn(**params)(np.ones(4), np.ones(4))


def test_invalid_images_raise():
    with pytest.raises(ValueError, match="negative"):
        sinkhorn(-np.ones(4), np.ones(4))
    with pytest.raises(ValueError, match="image_shape"):
        sinkhorn(np.ones(5), np.ones(5))


def test_inputs_are_not_modified():
    rng = np.random.default_rng(0)
    X = images(rng, (4, 4), n=3) * 7
    copy = X.copy()
    SinkhornDivergence().pairwise(X)
    assert np.array_equal(X, copy)


@pytest.mark.parametrize(("n_in", "n_out", "eps"), [(9, 9, 1.0), (7, 13, 0.3), (30, 16, 5.0)])
def test_log_convolve_matches_logsumexp(n_in, n_out, eps):
    rng = np.random.default_rng(n_in)
    source = np.sort(rng.choice(np.arange(60) * 0.5, n_in, replace=False))
    target = np.sort(rng.uniform(0, 30, n_out))
    X = np.cumsum(rng.normal(scale=15, size=(5, n_in)), axis=1)
    X[0, 2] = -np.inf
    X[1] = -np.inf
    squared = (target[:, None] - source[None, :]) ** 2
    with np.errstate(divide="ignore"):
        expected = logsumexp(X[:, None, :] - squared / eps, axis=-1)
        expected_weighted = logsumexp(X[:, None, :] - squared / eps + np.log(squared), axis=-1)
    Y, Yw = _softmin.log_convolve(X, source, target, eps, weighted=True)
    assert np.array_equal(np.isinf(Y), np.isinf(expected))
    finite = np.isfinite(expected)
    assert np.allclose(Y[finite], expected[finite], rtol=1e-12, atol=1e-11)
    assert np.allclose(Yw[finite], expected_weighted[finite], rtol=1e-12, atol=1e-11)


@pytest.mark.skipif(_softmin.numba is None, reason="the numba engine is not installed")
def test_numpy_fallback_gives_the_same_numbers():
    rng = np.random.default_rng(12)
    X = images(rng, (36, 34), n=2)
    X[0, ::5] = 0  # zero pixels: -inf log-masses on both engines
    metric = SinkhornDivergence(image_shape=(36, 34), reg=1.5)
    with_numba = metric.pairwise(X)
    with config_context(compiled_kernels=False):
        assert np.allclose(metric.pairwise(X), with_numba, rtol=1e-9, atol=1e-12)


@pytest.mark.skipif(_softmin.numba is None, reason="the numba engine is not installed")
@pytest.mark.parametrize(("spacing", "eps", "slope"), [(1.0, 1.0, 40.0), (2.0, 0.7, 3.0),
                                                       (0.5, 4.0, 400.0)])
def test_regular_grid_walk_matches_logsumexp(spacing, eps, slope):
    """Same source and target grid: terms are chained by products (exp where they could overflow)."""
    rng = np.random.default_rng(int(10 * eps))
    grid = np.arange(60) * spacing
    X = np.cumsum(rng.normal(scale=slope, size=(6, 60)), axis=1)
    X[1] = -((grid - 20) ** 2) / (3 * eps)  # a smooth bump
    X[2, ::3] = -np.inf
    squared = (grid[:, None] - grid[None, :]) ** 2
    with np.errstate(divide="ignore"):
        expected = logsumexp(X[:, None, :] - squared / eps, axis=-1)
    steps, source_on_grid, target_on_grid = _softmin._step_factors(grid, grid, eps)
    assert len(steps) == 121 and source_on_grid.all() and target_on_grid.all()
    Y = _softmin.log_convolve(X, grid, grid, eps)
    assert np.allclose(Y, expected, rtol=1e-12, atol=1e-11)


@pytest.mark.skipif(_softmin.numba is None, reason="the numba engine is not installed")
def test_log_convolve_split_over_threads_equals_one_thread(monkeypatch):
    """Large inputs are shared out by rows among the cores; each row is computed alone."""
    monkeypatch.setattr(_config.os, "cpu_count", lambda: 3)  # three threads on any machine
    rng = np.random.default_rng(8)
    grid = np.arange(300.0)
    X = np.cumsum(rng.normal(scale=20, size=(401, 300)), axis=1)
    X[::7, ::3] = -np.inf
    assert kernel_threads(X.size, _softmin._VALUES_PER_THREAD) == 3
    threaded = _softmin.log_convolve(X, grid, grid, 2.0, weighted=True)
    with single_threaded():
        serial = _softmin.log_convolve(X, grid, grid, 2.0, weighted=True)
    np.testing.assert_array_equal(threaded[0], serial[0])
    np.testing.assert_array_equal(threaded[1], serial[1])
    squared = (grid[:, None] - grid[None, :]) ** 2
    with np.errstate(divide="ignore"):
        expected = logsumexp(X[-3:, None, :] - squared / 2.0, axis=-1)
    np.testing.assert_allclose(threaded[0][-3:], expected, rtol=1e-12)


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_log_convolve_on_rows_with_cliffs_beyond_exp_range(engine):
    """Neighbouring maxima more than ~745 apart (exp underflows): no division by zero."""
    if engine == "numba" and _softmin.numba is None:
        pytest.skip("the numba engine is not installed")
    grid = np.arange(5.0)
    X = np.array([[0.0, -1000.0, 0.0, -2000.0, 5.0], [3.0, 3.0, -900.0, 3.0, 3.0]])
    eps = 1e-3
    squared = (grid[:, None] - grid[None, :]) ** 2
    expected = logsumexp(X[:, None, :] - squared / eps, axis=-1)
    with config_context(compiled_kernels=engine == "numba"):
        convolved = _softmin.log_convolve(X, grid, grid, eps)
    np.testing.assert_allclose(convolved, expected, rtol=1e-12)


def test_kernel_domain_route_matches_log_domain_route(monkeypatch):
    rng = np.random.default_rng(13)
    X = images(rng, (8, 8), n=4)
    X[0, :10] = 0
    metric = SinkhornDivergence(reg=0.5, image_shape=(8, 8))
    kernel_domain = metric.pairwise(X)
    monkeypatch.setattr(_sinkhorn, "_KERNEL_SPAN", 0.0)  # every pair in the log domain
    assert np.allclose(metric.pairwise(X), kernel_domain, rtol=1e-9, atol=1e-12)


def test_mixed_batch_equals_pairs_alone():
    """Pairs in the kernel and in the log domain share a batch; each value is its own."""
    rng = np.random.default_rng(14)
    X = images(rng, (8, 8), n=3)
    X[2, 5] = 1e-250  # a log-mass spread beyond the kernel domain's range
    grids = _sinkhorn._pyramid((8, 8), 1.0, 1.0)
    fits = _sinkhorn._fits_kernel(np.log(X).reshape(3, 8, 8), grids[0], grids[0], 0.5)
    assert fits.tolist() == [True, True, False]
    metric = Sinkhorn(reg=0.5, image_shape=(8, 8))
    assert np.allclose(metric.pairwise(X), pairwise_distances(X, metric=metric),
                       rtol=1e-12, atol=0)


def test_anderson_and_over_relaxation_reach_the_same_value(monkeypatch):
    rng = np.random.default_rng(15)
    X = images(rng, (32, 32), n=2, floor=0.05)
    metric = Sinkhorn(reg=2.0, tol=1e-8, max_iter=20_000)
    assert _sinkhorn._ANDERSON_MIN_PIXELS <= 32 * 32
    accelerated = metric.pairwise(X)
    assert np.allclose(accelerated, pairwise_distances(X, metric=metric), rtol=1e-12, atol=0)
    monkeypatch.setattr(_sinkhorn, "_ANDERSON_MAX_ITER", 0)
    assert np.allclose(metric.pairwise(X), accelerated, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize(("side", "reg"), [(9, 1.0), (40, 1.0), (70, 2.0), (101, 4.0)])
def test_quantised_8bit_heatmaps_meet_the_contract_at_several_sizes(side, reg):
    """Zero regions on every pyramid level: converges silently, to the tight-tolerance value."""
    a, b = heatmaps((side, side), side, levels=255)
    assert (a == 0).mean() > 0.1 and (b == 0).mean() > 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):  # no division by underflowed values anywhere
            value = sinkhorn(a, b, reg=reg)
    assert value == pytest.approx(sinkhorn(a, b, reg=reg, **TIGHT), rel=1e-6)


@pytest.mark.skipif(_softmin.numba is None, reason="the numba engine is not installed")
def test_coarse_levels_of_a_299_pyramid_with_zero_regions(monkeypatch):
    """The 8-bit 299x299 heatmaps that once crashed the compiled soft-min: their coarse levels
    (irregular last cells, large zero regions) solved directly, numba against NumPy."""
    a, b = heatmaps((299, 299), 299, levels=255)
    grids = _sinkhorn._pyramid((299, 299), 1.0, 1.0)
    assert [len(rows) for rows, _ in grids] == [299, 150, 75, 38, 19]
    with np.errstate(divide="ignore"):
        log_a = _sinkhorn._mass_pyramid(a[None], (299, 299), len(grids))[3:]
        log_b = _sinkhorn._mass_pyramid(b[None], (299, 299), len(grids))[3:]
    assert np.isneginf(log_a[0]).mean() > 0.05
    results = []
    for engine in ("numba", "numpy"):
        if engine == "numpy":
            monkeypatch.setattr(_softmin, "numba", None)
        with np.errstate(over="raise", invalid="raise"):
            cost, _, error, converged, _ = _sinkhorn._solve(log_a, log_b, grids[3:], 4.0, 1e-9,
                                                            5000)
        assert converged.all() and error[0] < 1e-4 and np.isfinite(cost).all()
        results.append(cost[0])
    assert results[0] == pytest.approx(results[1], rel=1e-9)


@pytest.mark.parametrize("pixel_size", [1.0, (1.5, 0.5)])
def test_transport_matches_pot_plan(pixel_size):
    """Potentials, marginals and the barycentric displacement (in pixels) of POT's plan."""
    shape, reg = (6, 7), 0.8
    a, b = images(np.random.default_rng(21), shape)
    a[:5] = 0  # dark source pixels: no displacement
    a /= a.sum()
    size = np.broadcast_to(pixel_size, (2,))
    M = dense_cost(shape, size)
    plan = Sinkhorn(image_shape=shape, reg=reg, pixel_size=pixel_size, **TIGHT).transport(a, b)
    support = a > 0
    P = np.zeros((a.size, b.size))
    P[support] = pot_plan(a[support], b, M[support], reg)
    f, g = plan.source_potential.ravel(), plan.target_potential.ravel()
    with np.errstate(divide="ignore"):
        ours = np.exp(np.log(a)[:, None] + np.log(b)[None, :] + (f[:, None] + g[None, :] - M) / reg)
    np.testing.assert_allclose(ours, P, rtol=1e-7, atol=1e-15)
    assert plan.value == pytest.approx(np.sum(P * M), rel=1e-9)
    np.testing.assert_array_equal(plan.source_marginal.ravel(), a)
    np.testing.assert_allclose(plan.target_marginal.ravel(), b, rtol=1e-9)
    coords = np.indices(shape).reshape(2, -1).T * size
    expected = np.zeros((a.size, 2))
    expected[support] = (P[support] @ coords / a[support, None] - coords[support]) / size
    assert plan.displacement.shape == (*shape, 2)
    np.testing.assert_allclose(plan.displacement.reshape(-1, 2), expected, rtol=1e-8, atol=1e-9)


def test_plot_displacement_draws_one_arrow_per_lit_pixel():
    pytest.importorskip("matplotlib", reason="the examples extra (matplotlib) is not installed")
    x = np.zeros((8, 8))
    x[2, 2], x[6, 1] = 1.0, 0.5
    y = np.zeros((8, 8))
    y[5, 4] = 1.0
    ax = plot_displacement(Sinkhorn(reg=0.5).transport(x.ravel(), y.ravel()))
    arrows = ax.collections[0]
    np.testing.assert_array_equal(arrows.get_offsets(), [[2, 2], [1, 6]])  # (column, row)
    np.testing.assert_allclose(np.c_[arrows.U, arrows.V], [[2, 3], [3, -1]], atol=1e-6)


def test_plot_displacement_without_matplotlib_says_how_to_install(monkeypatch):
    plan = Sinkhorn(reg=0.5).transport(np.ones(16), np.arange(16.0))
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"skimgdist\[examples\]"):
        plot_displacement(plan)


def test_symmetric_self_terms_equal_the_alternating_solver():
    """OT(a, a) by averaged symmetric updates equals the plain solver's fixed point."""
    shape = (40, 36)
    X = np.stack(heatmaps(shape, 5, levels=255))
    grids = _sinkhorn._pyramid(shape, 1.0, 1.0)
    assert len(grids) == 2
    log_x = _sinkhorn._mass_pyramid(X, shape, len(grids))
    cost, symmetric, _, converged = _sinkhorn._solve_self(log_x, grids, 1.5, 1e-10, 1000)
    alternating = _sinkhorn._solve(log_x, log_x, grids, 1.5, 1e-10, 100_000)
    assert converged.all()
    np.testing.assert_allclose(symmetric, alternating[1], rtol=1e-8)
    np.testing.assert_allclose(cost, alternating[0], rtol=1e-8)


def test_identical_images_meet_tol_with_lit_pixels_far_apart():
    """Pixels 4 apart couple by e^-16 at reg=1: alternating updates took over 100,000
    iterations on this diagonal (found by hypothesis); the symmetric solver a handful.
    Against the fixed point f = c_a(f) solved by SciPy on the three lit pixels."""
    from scipy.optimize import fsolve

    X = np.array([[1, 0, 0, 0, 1, 1], [1, 1, 1, 1, 1, 1]], dtype=float)
    X /= X.sum(axis=1, keepdims=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        D = Sinkhorn(image_shape=(1, 6)).pairwise(X)
        one = sinkhorn(X[0], X[0], image_shape=(1, 6))
    lit = np.flatnonzero(X[0])
    a, C = X[0][lit], dense_cost((1, 6))[np.ix_(lit, lit)]
    f = fsolve(lambda f: f + logsumexp(np.log(a) + (f - C) / 1.0, axis=1), np.zeros(3))
    plan = np.outer(a, a) * np.exp(f[:, None] + f[None, :] - C)
    np.testing.assert_allclose(plan.sum(axis=0), a, rtol=1e-12)
    assert D[0, 0] == pytest.approx(np.sum(plan * C), rel=1e-6)
    assert one == pytest.approx(D[0, 0], rel=1e-12)
    assert D[0, 1] == pytest.approx(sinkhorn(X[0], X[1], image_shape=(1, 6)), rel=1e-12)
