"""Unbalanced entropic OT (``reach``, ``normalize=False``): against POT, limits, axioms."""

import numpy as np
import ot
import pytest
from _sklearn_tools import assert_works_in_scikit_learn_tools
from sklearn.utils._param_validation import InvalidParameterError

from skimgdist import Sinkhorn, SinkhornDivergence, config_context, sinkhorn, sinkhorn_divergence
from skimgdist.metrics import _softmin

TIGHT = {"tol": 1e-10, "max_iter": 100_000}


def dense_cost(shape, pixel_size=(1.0, 1.0)):
    coords = np.indices(shape).reshape(2, -1).T * np.asarray(pixel_size, dtype=float)
    return ot.dist(coords, coords)


def images(rng, shape, masses):
    """Positive images of the given total masses (POT's solvers need positive weights)."""
    X = rng.random((len(masses), shape[0] * shape[1])) ** 3 + 0.02
    return X / X.sum(axis=1, keepdims=True) * np.asarray(masses)[:, None]


def generalised_kl(p, q):
    return np.sum(p * np.log(p / q)) - p.sum() + q.sum()


def pot_unbalanced(a, b, M, reg, rho):
    """POT's plan for <P, M> + reg KL(P | a x b) + rho KL(P 1 | a) + rho KL(P^T 1 | b),
    and that full objective.  Units match ours: POT's ``reg`` is our ``reg`` and its
    ``reg_m`` is ``reach**2``, both in the units of ``M`` (squared physical distances)."""
    P = ot.unbalanced.sinkhorn_unbalanced(a, b, M, reg, rho, method="sinkhorn_stabilized",
                                          reg_type="kl", stopThr=1e-14, numItermax=200_000)
    objective = (np.sum(P * M) + reg * generalised_kl(P.ravel(), np.outer(a, b).ravel())
                 + rho * generalised_kl(P.sum(axis=1), a) + rho * generalised_kl(P.sum(axis=0), b))
    return P, objective


CASES = [((8, 8), 1.0, 2.0, 1.0, (1.0, 2.5)), ((10, 12), 0.5, 3.0, (1.5, 1.0), (3.0, 0.7)),
         ((16, 16), 2.0, 6.0, 1.0, (40.0, 55.0))]


@pytest.mark.parametrize(("shape", "reg", "reach", "pixel_size", "masses"), CASES)
def test_cost_matches_pot_sinkhorn_unbalanced(shape, reg, reach, pixel_size, masses):
    a, b = images(np.random.default_rng(sum(shape)), shape, masses)
    M = dense_cost(shape, np.broadcast_to(pixel_size, (2,)))
    expected = float(ot.unbalanced.sinkhorn_unbalanced2(
        a, b, M, reg, reach**2, method="sinkhorn_stabilized", reg_type="kl",
        returnCost="linear", stopThr=1e-14, numItermax=200_000))
    kwargs = {"image_shape": shape, "reg": reg, "pixel_size": pixel_size, "reach": reach,
              "normalize": False}
    assert sinkhorn(a, b, **kwargs, **TIGHT) == pytest.approx(expected, rel=1e-8)
    assert sinkhorn(a, b, **kwargs) == pytest.approx(expected, rel=1e-5)  # default tol


@pytest.mark.parametrize(("shape", "reg", "reach", "pixel_size", "masses"), CASES)
def test_divergence_matches_pot_objectives(shape, reg, reach, pixel_size, masses):
    """S = OT(a, b) - OT(a, a) / 2 - OT(b, b) / 2 + reg (m(a) - m(b))^2 / 2 (Séjourné et al.)."""
    a, b = images(np.random.default_rng(sum(shape) + 1), shape, masses)
    M = dense_cost(shape, np.broadcast_to(pixel_size, (2,)))
    rho = reach**2
    expected = (pot_unbalanced(a, b, M, reg, rho)[1] - pot_unbalanced(a, a, M, reg, rho)[1] / 2
                - pot_unbalanced(b, b, M, reg, rho)[1] / 2 + reg * (a.sum() - b.sum()) ** 2 / 2)
    ours = sinkhorn_divergence(a, b, image_shape=shape, reg=reg, pixel_size=pixel_size,
                               reach=reach, normalize=False, **TIGHT)
    assert ours == pytest.approx(expected, rel=1e-7, abs=1e-9 * abs(expected) + 1e-10)


@pytest.mark.parametrize("metric_class", [Sinkhorn, SinkhornDivergence])
def test_balanced_limit_as_reach_grows(metric_class):
    X = images(np.random.default_rng(3), (12, 12), (1.0, 1.0, 1.0))
    balanced = metric_class(reg=1.0, **TIGHT).pairwise(X)
    gaps = [np.abs(metric_class(reg=1.0, reach=reach, **TIGHT).pairwise(X) - balanced).max()
            for reach in (3.0, 30.0, 300.0, 3000.0)]
    # The mass defect of the plan, hence the gap, shrinks as 1 / rho = reach^-2.
    assert gaps[0] > 10 * gaps[1] > 10 * 50 * gaps[2] > 10 * 50 * 50 * gaps[3]
    assert gaps[-1] < 1e-5 * balanced.max()


def test_divergence_is_non_negative_and_zero_on_identical_images():
    rng = np.random.default_rng(4)
    X = images(rng, (9, 9), (1.0, 2.0, 0.5, 2.0))
    X[3] = X[1]  # identical images
    X[2, :20] = 0.0  # dark pixels
    for reach in (1.0, 4.0):
        D = SinkhornDivergence(reg=0.7, reach=reach, normalize=False).pairwise(X)
        assert (D >= 0).all()
        assert D[1, 3] == D[3, 1] == 0.0
        assert np.allclose(D, D.T, rtol=0, atol=0)
        different = ~np.eye(4, dtype=bool)
        different[1, 3] = different[3, 1] = False
        assert (D[different] > 0).all()


def test_pairwise_matches_per_pair_calls():
    X = images(np.random.default_rng(5), (8, 8), (1.0, 3.0, 2.0))
    Y = images(np.random.default_rng(6), (8, 8), (0.5, 4.0))
    for metric in (Sinkhorn(reg=0.5, reach=3.0, normalize=False),
                   SinkhornDivergence(reg=0.5, reach=3.0, normalize=False)):
        D = metric.pairwise(X, Y)
        per_pair = [[metric(x, y) for y in Y] for x in X]
        np.testing.assert_allclose(D, per_pair, rtol=1e-12)


def test_normalize_scales_to_unit_mass_first():
    a, b = images(np.random.default_rng(7), (8, 8), (2.0, 5.0))
    metric = Sinkhorn(reg=0.5, reach=2.0)
    assert metric(a, b) == pytest.approx(
        Sinkhorn(reg=0.5, reach=2.0, normalize=False)(a / 2.0, b / 5.0), rel=1e-12)


def test_balanced_without_normalizing_needs_equal_masses():
    a, b = images(np.random.default_rng(8), (8, 8), (3.0, 3.0))
    for metric_class in (Sinkhorn, SinkhornDivergence):
        value = metric_class(reg=0.5, normalize=False)(a, b)
        assert value == pytest.approx(3.0 * metric_class(reg=0.5)(a, b), rel=1e-12)
        with pytest.raises(ValueError, match=r"same total mass.*Set reach"):
            metric_class(reg=0.5, normalize=False)(a, 2 * b)
        with pytest.raises(ValueError, match="same total mass"):
            metric_class(reg=0.5, normalize=False).pairwise(np.stack([a, 2 * b]))


@pytest.mark.parametrize("reach", [0.0, -1.0, "far", np.nan])
def test_bad_reach_is_refused(reach):
    a, b = images(np.random.default_rng(9), (4, 4), (1.0, 2.0))
    with pytest.raises(InvalidParameterError, match="reach"):
        Sinkhorn(reach=reach, normalize=False)(a, b)


def test_reach_beyond_float64_is_refused_with_advice():
    a, b = images(np.random.default_rng(9), (4, 4), (1.0, 1.0))
    for reach in (1e200, 1e7, 1e-4, 1e-300):
        with pytest.raises(ValueError, match="reach=None"):
            Sinkhorn(reach=reach)(a, b)
    assert np.isfinite(Sinkhorn(reg=100.0, reach=1e7, pixel_size=10.0)(a, b))  # 1e6 pixels


def test_negative_pixels_are_refused_without_normalizing():
    a, b = images(np.random.default_rng(10), (4, 4), (1.0, 2.0))
    a[0] = -1.0
    with pytest.raises(ValueError, match="negative"):
        Sinkhorn(reach=2.0, normalize=False)(a, b)


def test_transport_marginals_match_pot_plan():
    shape, reg, reach = (8, 8), 1.0, 2.0
    a, b = images(np.random.default_rng(11), shape, (1.0, 2.0))
    P, _ = pot_unbalanced(a, b, dense_cost(shape), reg, reach**2)
    plan = Sinkhorn(reg=reg, reach=reach, normalize=False, **TIGHT).transport(a, b)
    np.testing.assert_allclose(plan.source_marginal.ravel(), P.sum(axis=1), rtol=1e-7)
    np.testing.assert_allclose(plan.target_marginal.ravel(), P.sum(axis=0), rtol=1e-7)
    f, g = plan.source_potential.ravel(), plan.target_potential.ravel()
    np.testing.assert_allclose(np.outer(a, b) * np.exp((f[:, None] + g[None, :]
                                                        - dense_cost(shape)) / reg), P,
                               rtol=1e-6, atol=1e-15)


def test_balanced_transport_of_massive_images_scales_the_plan():
    a, b = images(np.random.default_rng(12), (6, 6), (4.0, 4.0))
    unit = Sinkhorn(reg=0.5, **TIGHT).transport(a, b)
    massive = Sinkhorn(reg=0.5, normalize=False, **TIGHT).transport(a, b)
    assert massive.value == pytest.approx(4.0 * unit.value, rel=1e-12)
    np.testing.assert_allclose(massive.target_marginal, 4.0 * unit.target_marginal, rtol=1e-12)
    f, g = massive.source_potential.ravel(), massive.target_potential.ravel()
    P = np.outer(a, b) * np.exp((f[:, None] + g[None, :] - dense_cost((6, 6))) / 0.5)
    np.testing.assert_allclose(P.sum(axis=1), a, rtol=1e-9)


@pytest.mark.skipif(_softmin.numba is None, reason="the numba engine is not installed")
def test_numpy_fallback_gives_the_same_numbers():
    X = images(np.random.default_rng(13), (24, 24), (1.0, 1.7))  # log-domain route at reg=0.5
    X[0, ::7] = 0
    metric = SinkhornDivergence(reg=0.5, reach=3.0, normalize=False)
    with_numba = metric.pairwise(X)
    with config_context(compiled_kernels=False):
        assert np.allclose(metric.pairwise(X), with_numba, rtol=1e-9, atol=1e-12)


def test_unbalanced_divergence_works_in_scikit_learn_tools():
    """Two classes of 6x6 bumps (left or right) whose total intensities vary by up to 50 %."""
    rng = np.random.default_rng(14)
    rows, columns = np.indices((6, 6))
    y = np.arange(16) // 2 % 2  # both classes among the even (train) and odd (test) rows
    X = np.stack([rng.uniform(1.0, 1.5) * np.exp(-((rows - rng.uniform(2, 3)) ** 2
                                                   + (columns - (1 if label else 4)) ** 2) / 2)
                  .ravel() + 1e-3 for label in y])
    metric = SinkhornDivergence(image_shape=(6, 6), reg=1.0, reach=3.0, normalize=False)
    assert_works_in_scikit_learn_tools(metric, {"reach": [2.0, 4.0]}, X, y)


def test_accelerated_iterations_match_pot_on_a_32x32_pair():
    """1024 pixels: the finest level runs Anderson-accelerated updates."""
    shape, reg, reach = (32, 32), 1.0, 6.0
    a, b = images(np.random.default_rng(9), shape, (1.0, 1.6))
    expected = float(ot.unbalanced.sinkhorn_unbalanced2(
        a, b, dense_cost(shape), reg, reach**2, method="sinkhorn_stabilized", reg_type="kl",
        returnCost="linear", stopThr=1e-14, numItermax=200_000))
    kwargs = {"image_shape": shape, "reg": reg, "reach": reach, "normalize": False}
    assert sinkhorn(a, b, **kwargs, **TIGHT) == pytest.approx(expected, rel=1e-8)
    assert sinkhorn(a, b, **kwargs) == pytest.approx(expected, rel=1e-5)


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
def test_large_reach_converges_within_the_default_iterations():
    """A reach beyond the image: plain damped updates stopped unconverged at max_iter=1000."""
    X = images(np.random.default_rng(10), (32, 32), (1.0, 1.3))
    kwargs = {"image_shape": (32, 32), "reg": 1.0, "reach": 50.0, "normalize": False}
    value = sinkhorn(X[0], X[1], **kwargs)
    assert value == pytest.approx(sinkhorn(X[0], X[1], **kwargs, **TIGHT), rel=1e-6)
