"""The Gaussian log-convolution of Sinkhorn (skimgdist.metrics._softmin) against dense sums.

The walk of the numba engine multiplies terms by tabulated factors where input and
outputs lie on one regular grid; these tests cover the grids of the Sinkhorn pyramid
(an odd last cell off the grid), rows steep enough that neighbouring maxima differ by
more than the factors may span, both passes of the 2-D convolution, and the NumPy
engine, which must give the same numbers.
"""

import numpy as np
import pytest
from scipy.special import logsumexp

from skimgdist import _config
from skimgdist._config import config_context, kernel_threads, single_threaded
from skimgdist.metrics import _sinkhorn, _softmin

ENGINES = ["numba", "numpy"]


def engine_context(engine):
    if engine == "numba" and _softmin.numba is None:
        pytest.skip("the numba engine is not installed")
    return config_context(compiled_kernels=engine == "numba")


def dense_log_convolve(X, source, target, eps):
    squared = (target[:, None] - source[None, :]) ** 2
    with np.errstate(divide="ignore"):
        return logsumexp(X[:, None, :] - squared / eps, axis=-1)


def steep_rows(rng, n_rows, grid, eps):
    """Random walks with steps up to thousands, parabolas, cliffs and zero mass."""
    X = np.cumsum(rng.normal(scale=rng.choice([3.0, 300.0, 3000.0], (n_rows, 1)),
                             size=(n_rows, len(grid))), axis=1)
    X[0] = -((grid - grid.mean()) ** 2) / (0.3 * eps)  # maxima far apart: jumps of thousands
    X[1] = ((grid - grid.mean()) ** 2) / (0.3 * eps)  # the maximiser leaves the row
    X[2, ::4] = -np.inf
    X[3, : len(grid) // 2] = -np.inf
    X[4, 1:-1] = -np.inf  # two lit ends
    # Linear rows: output k takes its maximum from the input `shift` cells away, and
    # neighbouring maxima differ by 2 c shift, just beyond what the factors may span.
    spacing = grid[1] - grid[0]
    c = spacing**2 / eps
    shift = np.ceil((_softmin._STEP_LIMIT + 1) / (2 * c))
    X[5] = 2 * c * shift * grid / spacing
    X[6] = -X[5]
    return X


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("side", "level", "eps"), [(99, 1, 1.0), (41, 1, 0.3), (151, 2, 2.5),
                                                    (40, 0, 1.0)])
def test_pyramid_grids_with_steep_rows_match_logsumexp(engine, side, level, eps):
    """Coarse pyramid levels: spacing 2 or 4 and a last cell off the grid."""
    grid = _sinkhorn._pyramid((side, side), 1.0, 1.0)[level][0]
    if _softmin.numba is not None:
        steps, source_on_grid, _ = _softmin._step_factors(grid, grid, eps)
        assert (steps > 0).any() and source_on_grid[:-1].all()
        assert source_on_grid[-1] == (side % 2 ** level == 0)
    X = steep_rows(np.random.default_rng(side + level), 12, grid, eps)
    with engine_context(engine):
        convolved = _softmin.log_convolve(X, grid, grid, eps)
    np.testing.assert_allclose(convolved, dense_log_convolve(X, grid, grid, eps), rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_weighted_sums_on_a_pyramid_grid_match_logsumexp(engine):
    """Weighted sums are exact relative to the plain ones (their use in transport costs)."""
    grid = _sinkhorn._pyramid((99, 99), 1.0, 1.0)[1][0]
    X = steep_rows(np.random.default_rng(5), 12, grid, 1.0)
    expected = dense_log_convolve(X, grid, grid, 1.0)
    squared = (grid[:, None] - grid[None, :]) ** 2
    with np.errstate(divide="ignore"):
        expected_weighted = logsumexp(X[:, None, :] - squared + np.log(squared), axis=-1)
    with engine_context(engine):
        plain, weighted = _softmin.log_convolve(X, grid, grid, 1.0, weighted=True)
    np.testing.assert_allclose(plain, expected, rtol=1e-12, atol=1e-12)
    # (to rounding: both logs reach 1e4 on the steepest rows)
    np.testing.assert_allclose(np.exp(weighted - plain), np.exp(expected_weighted - expected),
                               rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("shapes", [((7, 9), (7, 9)), ((4, 5), (7, 9))])
def test_log_convolve_2d_matches_the_dense_double_sum(engine, shapes):
    """Along columns then rows, on stacks of images; also from a coarse grid to a fine one."""
    (h, w), (h_out, w_out) = shapes
    grid_out = (np.arange(h_out) * 1.5, np.arange(w_out) * 0.5)
    grid_in = grid_out if shapes[0] == shapes[1] else (
        _sinkhorn._pool_coordinates(grid_out[0]), _sinkhorn._pool_coordinates(grid_out[1]))
    rng = np.random.default_rng(h)
    X = 40 * rng.normal(size=(3, h, w))
    X[0, 1] = -np.inf
    X[1, :, :2] = -np.inf
    X[2] = -np.inf
    eps = 0.7
    cost = ((grid_out[0][:, None, None, None] - grid_in[0][None, None, :, None]) ** 2
            + (grid_out[1][None, :, None, None] - grid_in[1][None, None, None, :]) ** 2)
    expected = logsumexp(X[:, None, None] - cost / eps, axis=(-2, -1))
    with engine_context(engine):
        convolved = _softmin.log_convolve_2d(X, grid_in, grid_out, eps)
    assert convolved.shape == (3, h_out, w_out)
    assert np.isneginf(convolved[2]).all()
    np.testing.assert_allclose(convolved[:2], expected[:2], rtol=1e-12, atol=1e-12)


@pytest.mark.skipif(_softmin.numba is None, reason="the numba engine is not installed")
def test_vectorised_exponential_matches_numpy():
    values = np.concatenate([np.linspace(-708, 708, 30001), [0.0, -0.5 * np.log(2), 1e-300]])
    exact = np.exp(values)
    _softmin._exp_in_place(values, np.empty(len(values), dtype=np.int64))
    np.testing.assert_allclose(values, exact, rtol=5e-16, atol=0)


@pytest.mark.skipif(_softmin.numba is None, reason="the numba engine is not installed")
def test_log_convolve_2d_split_over_threads_equals_one_thread(monkeypatch):
    """Both passes share their rows among the cores; each row is computed as alone."""
    monkeypatch.setattr(_config.os, "cpu_count", lambda: 3)
    grid = _sinkhorn._pyramid((150, 140), 1.0, 1.0)[0]
    X = steep_rows(np.random.default_rng(9), 3 * 150, grid[1], 1.0).reshape(3, 150, 140)
    assert kernel_threads(X.size, _softmin._VALUES_PER_THREAD) == 3
    threaded = _softmin.log_convolve_2d(X, grid, grid, 1.0)
    with single_threaded():
        np.testing.assert_array_equal(threaded, _softmin.log_convolve_2d(X, grid, grid, 1.0))
