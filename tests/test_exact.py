"""Tests of the exact Wasserstein distance (dense POT route and grid min-cost flow)."""

import numpy as np
import ot
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.ndimage import gaussian_filter
from sklearn.base import clone
from sklearn.metrics import pairwise_distances
from sklearn.utils._param_validation import InvalidParameterError

from skimgdist import clear_caches, config_context
from skimgdist.metrics import Wasserstein, _exact, _grid_flow, wasserstein
from skimgdist.metrics._grid_flow import euclidean_grid_bound, grid_arcs

METRICS = ["cityblock", "chebyshev", "euclidean", "sqeuclidean"]


def _pair(shape, seed, smooth=0.0):
    rng = np.random.default_rng(seed)
    x, y = rng.random(shape), rng.random(shape)
    if smooth:
        x, y = gaussian_filter(x, smooth), gaussian_filter(y, smooth)
    return x.ravel(), y.ravel()


def _pot(x, y, shape, metric, p=1.0, pixel_size=(1.0, 1.0)):
    """Reference: ot.emd2 on the dense cost of ot.dist, as a user of POT would write it."""
    grid = np.indices(shape).reshape(2, -1).T * np.asarray(pixel_size)
    cost = ot.dist(grid, grid, metric="euclidean" if metric == "sqeuclidean" else metric)
    value = ot.emd2(x / x.sum(), y / y.sum(), cost**p, numItermax=10**8)
    return value ** (1 / p)


@pytest.mark.parametrize("shape", [(48, 48), (9, 14)])
@pytest.mark.parametrize("metric", METRICS)
def test_matches_pot_emd2(shape, metric):
    x, y = _pair(shape, seed=sum(shape))
    p = 2.0 if metric == "sqeuclidean" else 1.0
    expected = _pot(x, y, shape, metric, p)
    got = wasserstein(x, y, image_shape=shape, ground_metric=metric)
    assert got == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("smooth", [0.0, 3.0])
def test_exact_euclidean_grid_and_dense_match_pot(smooth):
    shape = (21, 17)
    x, y = _pair(shape, seed=4, smooth=smooth)
    expected = _pot(x, y, shape, "euclidean")
    result = Wasserstein(image_shape=shape, method="grid").transport(x, y)
    assert result.method == "grid" and result.bound == 0.0
    assert result.distance == pytest.approx(expected, rel=1e-9)
    dense = wasserstein(x, y, image_shape=shape, method="dense")
    assert dense == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("metric", ["cityblock", "chebyshev"])
@pytest.mark.parametrize("solver", ["network_simplex", "highs"])
def test_grid_is_exact_for_path_metrics(metric, solver):
    shape = (11, 8)
    x, y = _pair(shape, seed=3)
    got = wasserstein(x, y, image_shape=shape, ground_metric=metric, method="grid",
                      solver=solver)
    assert got == pytest.approx(_pot(x, y, shape, metric), rel=1e-9)


def test_dense_general_order_and_pixel_size():
    shape = (6, 7)
    x, y = _pair(shape, seed=5)
    got = wasserstein(x, y, image_shape=shape, p=1.5, pixel_size=(0.5, 2.0))
    expected = _pot(x, y, shape, "euclidean", 1.5, pixel_size=(0.5, 2.0))
    assert got == pytest.approx(expected, rel=1e-9)
    assert wasserstein(x, y, image_shape=shape, p=2) == pytest.approx(
        wasserstein(x, y, image_shape=shape, ground_metric="sqeuclidean"), rel=1e-12)


def test_grid_scales_with_square_pixels():
    x, y = _pair((10, 10), seed=6)
    one = wasserstein(x, y, ground_metric="cityblock")
    assert wasserstein(x, y, ground_metric="cityblock", pixel_size=0.25) == pytest.approx(
        0.25 * one, rel=1e-12)


@pytest.mark.parametrize("neighborhood", [1, 2, 3])
@pytest.mark.parametrize("smooth", [0.0, 2.0])
def test_euclidean_grid_within_its_bound(neighborhood, smooth):
    shape = (16, 13)
    x, y = _pair(shape, seed=neighborhood, smooth=smooth)
    exact = _pot(x, y, shape, "euclidean")
    metric = Wasserstein(image_shape=shape, method="grid", neighborhood=neighborhood)
    result = metric.transport(x, y)
    assert result.bound == pytest.approx(euclidean_grid_bound(neighborhood))
    assert exact * (1 - 1e-12) <= result.distance <= exact * (1 + result.bound)
    assert metric(x, y) == result.distance


def test_bound_closed_form():
    # Widest gap: between (1, 0) and (L, 1); bound = 1 / cos(gap / 2) - 1.
    for neighborhood in (1, 2, 3, 5, 10):
        gap = np.arctan2(1, neighborhood)
        assert euclidean_grid_bound(neighborhood) == pytest.approx(1 / np.cos(gap / 2) - 1)
    # 1 - cos(gap / 2), the relative error measured from the grid value: 7.6%, 2.7%, 1.3%.
    assert [round(1 - 1 / (1 + euclidean_grid_bound(L)), 3) for L in (1, 2, 3)] == [
        0.076, 0.027, 0.013]


def test_tolerance_picks_smallest_neighborhood():
    x, y = _pair((10, 10), seed=8)
    by_tolerance = Wasserstein(tolerance=0.02).transport(x, y)
    assert by_tolerance.method == "grid"
    assert by_tolerance.bound == euclidean_grid_bound(3)
    assert by_tolerance.distance == wasserstein(x, y, neighborhood=3)


@pytest.mark.parametrize(
    ("metric", "method", "shift", "expected"),
    [
        ("cityblock", "grid", (3, -4), 7.0),
        ("chebyshev", "grid", (3, -4), 4.0),
        ("euclidean", "dense", (3, -4), 5.0),
        ("euclidean", "grid", (3, -4), 5.0),
        ("sqeuclidean", "dense", (3, -4), 5.0),
        ("euclidean", "grid", (2, -4), np.hypot(2, 4)),  # 2 * (1, -2): a lattice step at L=2
    ],
)
def test_translation_moves_by_the_shift(metric, method, shift, expected):
    image = np.zeros((20, 17))
    image[7:11, 6:9] = gaussian_filter(np.ones((4, 3)), 1.0) + 1.0
    moved = np.roll(image, shift, axis=(0, 1))
    kwargs = {"neighborhood": 2} if shift == (2, -4) else {}
    got = wasserstein(image.ravel(), moved.ravel(), image_shape=image.shape,
                      ground_metric=metric, method=method, **kwargs)
    assert got == pytest.approx(expected, rel=1e-12)


images = arrays(np.float64, 36, elements=st.floats(0, 10, allow_subnormal=False)).filter(
    lambda a: a.sum() > 1e-3)


@settings(max_examples=25, deadline=None)
@given(x=images, y=images, metric=st.sampled_from(METRICS))
def test_identity_and_symmetry(x, y, metric):
    assert wasserstein(x, x, ground_metric=metric) == 0.0
    forward = wasserstein(x, y, ground_metric=metric)
    assert forward >= 0.0
    assert wasserstein(y, x, ground_metric=metric) == pytest.approx(forward, rel=1e-9,
                                                                     abs=1e-12)


@pytest.mark.parametrize(
    "params",
    [{"ground_metric": "cityblock"}, {"ground_metric": "euclidean"},
     {"neighborhood": 2}, {"ground_metric": "cityblock", "solver": "highs"}],
)
def test_pairwise_matches_sklearn(params):
    rng = np.random.default_rng(0)
    X, Y = rng.random((4, 63)), rng.random((3, 63))
    metric = Wasserstein(image_shape=(7, 9), **params)
    np.testing.assert_allclose(metric.pairwise(X, Y), pairwise_distances(X, Y, metric=metric),
                               rtol=1e-12)
    np.testing.assert_allclose(metric.pairwise(X), pairwise_distances(X, metric=metric),
                               rtol=1e-12)


def test_transport_plan_and_flow_are_consistent():
    shape = (7, 6)
    x, y = _pair(shape, seed=9)
    a, b = x / x.sum(), y / y.sum()
    plan = Wasserstein(image_shape=shape, ground_metric="chebyshev", method="dense").transport(
        x, y)
    coupling = np.zeros((a.size, a.size))
    coupling[plan.sources, plan.targets] = plan.amounts
    np.testing.assert_allclose(coupling.sum(axis=1), a, atol=1e-15)
    np.testing.assert_allclose(coupling.sum(axis=0), b, atol=1e-15)
    assert plan.kind == "plan" and plan.bound == 0.0
    flow = Wasserstein(image_shape=shape, ground_metric="chebyshev").transport(x, y)
    assert flow.kind == "flow" and flow.method == "grid"
    net = np.bincount(flow.sources, flow.amounts, a.size) - np.bincount(
        flow.targets, flow.amounts, a.size)
    np.testing.assert_allclose(net, a - b, atol=1e-15)
    assert flow.distance == pytest.approx(plan.distance, rel=1e-12)


def test_fallback_without_numba():
    x, y = _pair((8, 8), seed=10)
    fast = wasserstein(x, y, ground_metric="cityblock")
    fast_euclidean = Wasserstein().transport(x, y)
    assert fast_euclidean.method == "grid"
    with config_context(compiled_kernels=False):
        assert _grid_flow.resolve_solver("auto") == "highs"
        assert wasserstein(x, y, ground_metric="cityblock") == pytest.approx(fast, rel=1e-9)
        slow_euclidean = Wasserstein().transport(x, y)  # exact: auto falls back to dense
        with pytest.raises(ValueError, match="needs numba"):
            wasserstein(x, y, ground_metric="cityblock", solver="network_simplex")
        with pytest.raises(ValueError, match="column generation"):
            wasserstein(x, y, method="grid")
    assert slow_euclidean.method == "dense"
    assert slow_euclidean.distance == pytest.approx(fast_euclidean.distance, rel=1e-9)


def test_memory_guard_refuses_before_allocating():
    x, y = _pair((64, 64), seed=11)
    clear_caches()
    with pytest.raises(ValueError, match=r"method='grid'.*Downscale.*[Ss]liced"):
        wasserstein(x, y, method="dense", memory_limit=100)
    with pytest.raises(ValueError, match="memory_limit=1 MB"):
        wasserstein(x, y, ground_metric="sqeuclidean", method="dense", memory_limit=1)
    assert clear_caches() == 0   # nothing was computed, let alone cached
    # The grid needs no cost matrix: exact cityblock at this size whatever the budget.
    assert wasserstein(x, y, ground_metric="cityblock", memory_limit=1) > 0


def test_unconverged_pot_raises(monkeypatch):
    monkeypatch.setattr(_exact, "_EMD_MAX_ITER", 2)
    x, y = _pair((6, 6), seed=12)
    with pytest.raises(RuntimeError, match="did not reach the optimum"):
        wasserstein(x, y, method="dense")


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"ground_metric": "sqeuclidean", "p": 1}, ValueError, "needs p=2"),
        ({"ground_metric": "euclidean", "p": 2, "method": "grid"}, ValueError,
         "not a path length"),
        ({"ground_metric": "sqeuclidean", "method": "grid", "pixel_size": (1.0, 2.0)},
         ValueError, "square pixels"),
        ({"ground_metric": "cityblock", "neighborhood": 2}, ValueError, "euclidean grid only"),
        ({"neighborhood": 2, "tolerance": 0.1}, ValueError, "not both"),
        ({"tolerance": 1e-6}, ValueError, "method='dense'"),
        ({"method": "grid", "pixel_size": (1.0, 2.0)}, ValueError, "square pixels"),
        ({"ground_metric": "manhattan"}, InvalidParameterError, "ground_metric"),
        ({"neighborhood": 0}, InvalidParameterError, "neighborhood"),
        ({"p": 0.5}, InvalidParameterError, "'p'"),
        ({"method": "exact"}, InvalidParameterError, "method"),
    ],
)
def test_bad_parameters(params, error, match):
    x, y = _pair((5, 5), seed=13)
    with pytest.raises(error, match=match):
        wasserstein(x, y, **params)


def test_bad_images():
    with pytest.raises(ValueError, match="negative pixel"):
        wasserstein(-np.ones(16), np.ones(16))
    with pytest.raises(ValueError, match="image_shape"):
        wasserstein(np.ones(12), np.ones(12))
    x = np.ones(16)
    wasserstein(x, np.arange(16.0), ground_metric="cityblock")
    assert np.array_equal(x, np.ones(16))


def test_clone_and_params():
    metric = Wasserstein(ground_metric="chebyshev", neighborhood=None, memory_limit=50)
    assert clone(metric).get_params() == metric.get_params()


def test_grid_arcs_are_cached_and_read_only():
    tails, heads, costs = grid_arcs((5, 4), "euclidean", 2)
    assert grid_arcs((5, 4), "euclidean", 2)[0] is tails
    assert not costs.flags.writeable
    directions = _grid_flow.lattice_directions(2)
    assert len(tails) == sum((5 - abs(a)) * (4 - abs(b)) for a, b in directions)
    np.testing.assert_allclose(costs, np.hypot(heads // 4 - tails // 4, heads % 4 - tails % 4))


@pytest.mark.parametrize("params", [
    {"method": "dense", "neighborhood": 2},
    {"method": "dense", "tolerance": 0.05},
    {"method": "auto", "neighborhood": 2, "pixel_size": (1.0, 2.0)},
])
def test_grid_bound_parameters_are_never_silently_ignored(params):
    x, y = np.ones(16), np.arange(16.0) + 1
    with pytest.raises(ValueError, match="neighborhood and tolerance ask for the euclidean grid"):
        wasserstein(x, y, **params)


@pytest.mark.parametrize("shape", [(2, 2), (2, 3), (1, 5), (3, 1)])
def test_grid_arcs_on_images_smaller_than_the_neighborhood(shape):
    # Lattice steps longer than the image have no arcs; none may wrap around an edge.
    height, width = shape
    tails, heads, costs = grid_arcs(shape, "euclidean", 3)
    steps = {tuple(d) for d in _grid_flow.lattice_directions(3)}
    assert len(tails) == sum(max(0, height - abs(a)) * max(0, width - abs(b)) for a, b in steps)
    moves = zip(heads // width - tails // width, heads % width - tails % width, strict=True)
    assert all(move in steps for move in moves)
    np.testing.assert_allclose(costs, np.hypot(heads // width - tails // width,
                                               heads % width - tails % width))
    x, y = _pair(shape, seed=5)
    exact = _pot(x, y, shape, "euclidean")
    bounded = wasserstein(x, y, image_shape=shape, neighborhood=3)
    assert exact * (1 - 1e-12) <= bounded <= exact * (1 + euclidean_grid_bound(3))


@pytest.mark.parametrize("params", [{"ground_metric": "cityblock"}, {"neighborhood": 2}, {}])
def test_one_pixel_images_are_at_distance_zero_on_the_grid(params):
    metric = Wasserstein(method="grid", **params)
    np.testing.assert_array_equal(metric.pairwise(np.array([[1.0], [3.0]])), np.zeros((2, 2)))
    assert metric.transport(np.ones(1), np.ones(1)).distance == 0.0


@pytest.mark.parametrize("pixel_size", [1e-9, 1e-6, 1e6])
@pytest.mark.parametrize("p", [1, 2, 3])
def test_dense_distance_scales_with_any_pixel_size(pixel_size, p):
    # POT's network simplex resolves costs to an absolute 1e-14: costs in physical units
    # (1e-18 m^2 for p=2 at nanometre pixels) must not lose the answer.
    shape = (12, 12)
    x, y = _pair(shape, seed=7)
    expected = pixel_size * _pot(x, y, shape, "euclidean", p)
    got = wasserstein(x, y, image_shape=shape, p=p, method="dense", pixel_size=pixel_size)
    assert got == pytest.approx(expected, rel=1e-9)


def test_order_beyond_the_solver_resolution_is_refused_clearly():
    # On a 16x16 grid the farthest pixels are 15 * sqrt(2) ~ 21.2 apart: relative to that
    # move, a one-pixel move costs 21.2 ** -p, below POT's 1e-14 resolution for p >= 11.
    x, y = _pair((16, 16), seed=6)
    assert wasserstein(x, y, p=10) > wasserstein(x, y, p=2)
    with pytest.raises(ValueError, match=r"p=11 .*one-pixel move.*1e-14"):
        wasserstein(x, y, p=11)
    with pytest.raises(ValueError, match=r"p=300 "):
        wasserstein(x, y, p=300)


@pytest.mark.parametrize("shape", [(17, 17), (9, 14), (23, 6), (1, 40)])
@pytest.mark.parametrize("params", [("cityblock", 1), ("chebyshev", 1), ("euclidean", 1),
                                    ("euclidean", 3)])
@pytest.mark.parametrize("kind", ["noise", "smooth", "zero_regions"])
def test_multiscale_start_gives_the_comb_start_optimum(monkeypatch, shape, params, kind):
    # Pyramids down to 4 pixels, so small images run through several prolonged levels.
    monkeypatch.setattr(_grid_flow, "COARSEST_PIXELS", 4)
    x, y = _pair(shape, seed=shape[0], smooth=1.5 if kind == "smooth" else 0.0)
    if kind == "zero_regions":  # whole blocks without light on either side
        x.reshape(shape)[: shape[0] // 2] = 0.0
        y.reshape(shape)[:, : shape[1] // 3] = 0.0
    supply = x / x.sum() - y / y.sum()
    metric, neighborhood = params
    multiscale = _grid_flow.grid_flow(supply, shape, metric, neighborhood, "network_simplex")
    comb = _grid_flow.grid_flow(supply, shape, metric, neighborhood, "network_simplex",
                                start="comb")
    highs = _grid_flow.grid_flow(supply, shape, metric, neighborhood, "highs")
    assert multiscale[0] == pytest.approx(comb[0], rel=1e-12)
    assert multiscale[0] == pytest.approx(highs[0], rel=1e-9)
    tails, heads, flow = multiscale[1:]
    net = np.bincount(tails, flow, supply.size) - np.bincount(heads, flow, supply.size)
    np.testing.assert_allclose(net, supply, atol=1e-15)
    assert flow.min() >= 0.0


@pytest.mark.parametrize("shape", [(20, 20), (13, 18), (23, 6), (1, 40), (31, 29)])
@pytest.mark.parametrize("kind", ["noise", "smooth", "zero_regions", "cancelling_blocks"])
def test_coarse_to_fine_exact_euclidean_matches_pot(monkeypatch, shape, kind):
    # Pyramids down to 4 pixels: several levels of prolonged columns and trees.
    monkeypatch.setattr(_grid_flow, "COARSEST_PIXELS", 4)
    x, y = _pair(shape, seed=11, smooth=1.5 if kind == "smooth" else 0.0)
    if kind == "zero_regions":  # whole blocks without light on either side
        x.reshape(shape)[: shape[0] // 2] = 0.0
        y.reshape(shape)[:, : shape[1] // 3] = 0.0
    if kind == "cancelling_blocks":  # every 2x2 block balanced: the pooled problem is empty
        y = x.reshape(shape).copy()
        y[:, : shape[1] // 2 * 2] = x.reshape(shape)[:, : shape[1] // 2 * 2].reshape(
            shape[0], -1, 2)[:, :, ::-1].reshape(shape[0], -1)
        y = y.ravel()
    supply = x / x.sum() - y / y.sum()
    expected = _pot(x, y, shape, "euclidean")
    cost, tails, heads, flow = _grid_flow.exact_euclidean_flow(supply, shape)
    assert cost == pytest.approx(expected, rel=1e-9, abs=1e-15)
    assert cost == pytest.approx(_grid_flow.exact_euclidean_flow(supply, shape, 2, "comb")[0],
                                 rel=1e-12, abs=1e-15)
    net = np.bincount(tails, flow, supply.size) - np.bincount(heads, flow, supply.size)
    np.testing.assert_allclose(net, supply, atol=1e-15)
    assert flow.min() >= 0.0
    assert Wasserstein(image_shape=shape, method="grid").transport(x, y).distance == (
        pytest.approx(expected, rel=1e-9, abs=1e-15))


def test_exact_euclidean_is_certified_by_the_full_rounds_alone(monkeypatch):
    # Rounds restricted to no pixel and one column per pixel: only the exact rounds
    # over all pairs add columns, and they alone decide when the flow is optimal.
    monkeypatch.setattr(_grid_flow, "COARSEST_PIXELS", 16)
    monkeypatch.setattr(_grid_flow, "_COLUMNS_PER_PIXEL", 1)
    monkeypatch.setattr(_grid_flow, "_near", lambda pixels, shape: np.zeros(0, np.int64))
    for shape, smooth in (((24, 24), 2.0), ((15, 22), 0.0)):
        x, y = _pair(shape, seed=5, smooth=smooth)
        cost = _grid_flow.exact_euclidean_flow(x / x.sum() - y / y.sum(), shape)[0]
        assert cost == pytest.approx(_pot(x, y, shape, "euclidean"), rel=1e-9)


@pytest.mark.parametrize("metric", ["cityblock", "chebyshev"])
@pytest.mark.parametrize("first", ["none", "some", "all"])
def test_pricing_first_arcs_reaches_the_same_optimum(metric, first):
    # Arcs priced first (a subset, none, or all of them) change the pivots, not the
    # optimum: the simplex goes on over every arc once the first ones are optimal.
    pytest.importorskip("numba")
    from skimgdist.metrics._network_simplex import network_simplex

    shape = (12, 13)
    x, y = _pair(shape, seed=21)
    supply = x / x.sum() - y / y.sum()
    tails, heads, costs = grid_arcs(shape, metric)
    tree = _grid_flow._comb_tree(shape, metric, 1)
    rng = np.random.default_rng(3)
    first_arcs = {"none": np.zeros(0, np.int64), "all": np.arange(len(tails)),
                  "some": np.flatnonzero(rng.random(len(tails)) < 0.3)}[first]
    args = (tails, heads, costs, supply, 1e-11, 1.0, *tree)
    flow, potentials, status, _ = network_simplex(*args, first_arcs)
    reference = network_simplex(*args)[0]
    assert status == 0
    assert np.dot(flow, costs) == pytest.approx(np.dot(reference, costs), rel=1e-12)
    assert np.dot(flow, costs) == pytest.approx(_pot(x, y, shape, metric), rel=1e-9)
    reduced = costs + potentials[tails] - potentials[heads]
    assert reduced.min() >= -1e-11


def test_renumbered_solve_returns_potentials_and_tree_of_the_given_nodes():
    # The simplex renumbers the nodes every n/4 pivots (here every 100 of about 2,000):
    # the potentials, the tree and the flow it returns must be those of the caller's
    # node numbers, i.e. dual feasible, complementary to the flow, and a spanning tree
    # whose arcs join each node to its parent and carry all the flow.
    pytest.importorskip("numba")
    from skimgdist.metrics._network_simplex import network_simplex

    shape = (20, 20)
    x, y = _pair(shape, seed=8)
    supply = x / x.sum() - y / y.sum()
    tails, heads, costs = grid_arcs(shape, "cityblock")
    tree = _grid_flow._comb_tree(shape, "cityblock", 1)
    flow, potentials, status, (order, parent, arc) = network_simplex(
        tails, heads, costs, supply, 1e-11, 1.0, *tree)
    assert status == 0
    assert np.dot(flow, costs) == pytest.approx(_pot(x, y, shape, "cityblock"), rel=1e-9)
    reduced = costs + potentials[tails] - potentials[heads]
    assert reduced.min() >= -1e-11
    np.testing.assert_allclose(reduced[flow > 1e-12], 0.0, atol=1e-9)
    position = np.empty(len(order), np.int64)
    position[order] = np.arange(len(order))
    children = order[1:]
    assert (position[parent[children]] < position[children]).all()
    joined = np.sort(np.stack([tails[arc[children]], heads[arc[children]]]), axis=0)
    np.testing.assert_array_equal(joined, np.sort(np.stack([children, parent[children]]), axis=0))
    off_tree = np.ones(len(tails), bool)
    off_tree[arc[children]] = False
    assert flow[off_tree].max() == 0.0


def _drifting_frames(shape, n_frames):
    """Two Gaussian blobs moving by a quarter pixel per frame, plus a dim floor."""
    rows, columns = np.indices(shape)
    frames = []
    for k in range(n_frames):
        frame = 1e-3 + np.exp(-((rows - 5 - k / 4) ** 2 + (columns - 4) ** 2) / 8)
        frame += 0.5 * np.exp(-((rows - 10) ** 2 + (columns - 11 + k / 4) ** 2) / 4)
        frames.append(frame.ravel())
    return np.array(frames)


@pytest.mark.parametrize("params", [dict(ground_metric="cityblock"),
                                    dict(ground_metric="chebyshev"),
                                    dict(neighborhood=2)])
def test_pairwise_warm_starts_give_the_per_pair_values(monkeypatch, params):
    # Slowly changing images start from the previous pair's optimal tree; the values
    # are those of independent per-pair solves (and of HiGHS), in both pairwise forms.
    pytest.importorskip("numba")
    shape = (16, 16)
    X = _drifting_frames(shape, 9)
    starts = []
    solve = _exact.grid_flow_cost

    def spy(*args):
        starts.append(args[-1])
        return solve(*args)

    monkeypatch.setattr(_exact, "grid_flow_cost", spy)
    metric = Wasserstein(image_shape=shape, **params)
    square, rectangle = metric.pairwise(X), metric.pairwise(X[:3], X[3:])
    assert any(isinstance(start, tuple) for start in starts)
    assert any(isinstance(start, str) for start in starts)   # the first of each row
    per_pair = np.array([[metric(x, y) for y in X] for x in X])
    np.testing.assert_allclose(square, per_pair, rtol=1e-12)
    np.testing.assert_allclose(rectangle, per_pair[:3, 3:], rtol=1e-12)
    highs = Wasserstein(image_shape=shape, solver="highs", **params)
    np.testing.assert_allclose(square[0], [highs(X[0], y) for y in X], rtol=1e-9)


def test_pairwise_unrelated_images_start_multiscale(monkeypatch):
    # From an unrelated pair's tree the simplex is slower than from the multiscale
    # start, so rows of dissimilar images never warm-start.
    pytest.importorskip("numba")
    starts = []
    solve = _exact.grid_flow_cost
    monkeypatch.setattr(_exact, "grid_flow_cost",
                        lambda *args: starts.append(args[-1]) or solve(*args))
    X = np.random.default_rng(5).random((5, 64))
    Wasserstein(ground_metric="cityblock").pairwise(X)
    assert starts == ["multiscale"] * 10


def test_pooling_sums_blocks():
    from skimgdist.metrics._multiscale import pool

    shape = (5, 7)
    supply = np.arange(35.0)
    pooled = pool(supply, shape)
    assert pooled.shape == (12,) and pooled.sum() == supply.sum()
    assert pooled[0] == 0 + 1 + 7 + 8 and pooled[-1] == 34  # a 2x2 block, a 1x1 corner


def _assert_grid_tree(shape, order, parent, max_step):
    """``(order, parent)`` is a spanning tree of grid arcs, parents first."""
    n_pixels = shape[0] * shape[1]
    assert sorted(order.tolist()) == list(range(n_pixels))
    assert parent[order[0]] == order[0]
    position = np.empty(n_pixels, int)
    position[order] = np.arange(n_pixels)
    children = order[1:]
    assert np.all(position[parent[children]] < position[children])  # parents first
    row_steps, column_steps = np.abs(np.subtract(np.divmod(children, shape[1]),
                                                 np.divmod(parent[children], shape[1])))
    assert np.all(row_steps + column_steps <= max_step)  # every tree edge is a grid arc
    assert np.all(np.maximum(row_steps, column_steps) == 1)


@pytest.mark.parametrize("shape", [(5, 7), (6, 9), (1, 9), (9, 1), (8, 8), (3, 3)])
@pytest.mark.parametrize("neighbours", [4, 8])
def test_prolonged_tree_mirrors_any_coarse_tree(shape, neighbours):
    # Random coarse trees over 4- or 8-neighbour block arcs, on odd and one-row shapes:
    # the prolonged tree spans the fine grid with one-step arcs, parents first, and
    # keeps exactly one fine arc between each coarse tree arc's two blocks.
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree

    from skimgdist.metrics._multiscale import block_of_pixel, pooled_shape, prolonged_tree

    coarse_shape = pooled_shape(shape)
    n_blocks = coarse_shape[0] * coarse_shape[1]
    metric = "cityblock" if neighbours == 4 else "chebyshev"
    rng = np.random.default_rng(n_blocks + neighbours)
    for _ in range(3):
        tails, heads, _ = grid_arcs(coarse_shape, metric)
        weights = coo_matrix((rng.random(len(tails)) + 1.0, (tails, heads)),
                             shape=(n_blocks, n_blocks))
        root = int(rng.integers(n_blocks))
        coarse_order, coarse_parent = breadth_first_order(
            minimum_spanning_tree(weights), root, directed=False)
        coarse_parent = np.where(coarse_parent < 0, root, coarse_parent)
        order, parent = prolonged_tree(shape, coarse_parent, coarse_order, neighbours == 8)
        _assert_grid_tree(shape, order, parent, max_step=1 if neighbours == 4 else 2)
        block = block_of_pixel(shape)
        between = order[1:][block[order[1:]] != block[parent[order[1:]]]]
        assert sorted(zip(block[between], block[parent[between]], strict=True)) == sorted(
            (b, coarse_parent[b]) for b in range(n_blocks) if b != root)


def test_flow_field_sums_to_the_mean_displacement():
    from skimgdist.plotting import flow_field

    shape = (9, 7)
    x, y = _pair(shape, seed=12)
    plan = Wasserstein(image_shape=shape, method="dense", ground_metric="sqeuclidean",
                       ).transport(x, y)
    flow = Wasserstein(image_shape=shape, ground_metric="cityblock").transport(x, y)
    a, b = x / x.sum(), y / y.sum()
    rows, columns = np.indices(shape).reshape(2, -1)
    mean_shift = [(b * rows).sum() - (a * rows).sum(), (b * columns).sum() - (a * columns).sum()]
    for result in (plan, flow):
        for step in (1, 2, 4):
            _, _, d_rows, d_columns, amounts = flow_field(result, step)
            np.testing.assert_allclose([d_rows.sum(), d_columns.sum()], mean_shift, atol=1e-12)
            assert amounts.sum() == pytest.approx(result.amounts.sum())


def test_plot_flow_refuses_a_mismatched_image_and_missing_matplotlib(monkeypatch):
    pytest.importorskip("matplotlib")
    import builtins

    from skimgdist import plotting

    x, y = _pair((6, 6), seed=13)
    result = Wasserstein(ground_metric="cityblock").transport(x, y)
    with pytest.raises(ValueError, match="image has 35 pixels"):
        plotting.plot_flow(result, np.ones(35))
    with pytest.raises(ValueError, match="step must be a positive integer"):
        plotting.flow_field(result, 0)
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r"skimgdist\[examples\]"):
        plotting.plot_flow(result)


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (5, 3), (9, 14), (16, 16), (17, 33)])
@pytest.mark.parametrize("scale", [0.5, 3.0, 30.0])
def test_pyramid_pricing_finds_every_most_violated_pair(shape, scale):
    from scipy.spatial.distance import cdist

    from skimgdist.metrics._network_simplex import most_violated_pairs

    potentials = np.random.default_rng(int(scale)).random(shape[0] * shape[1]) * scale
    tails, heads = most_violated_pairs(shape, potentials, 1e-11)
    pixels = np.indices(shape).reshape(2, -1).T
    reduced = cdist(pixels, pixels) + potentials[:, None] - potentials[None, :]
    best = reduced.min(axis=1)
    np.testing.assert_array_equal(tails, np.flatnonzero(best < -1e-11))
    np.testing.assert_allclose(reduced[tails, heads], best[tails], atol=1e-12)

    # Quadratic cost, separate head potentials, pixels that are no tails / no heads.
    rng = np.random.default_rng(1)
    tail_potentials = np.where(rng.random(len(potentials)) < 0.3, np.inf, potentials)
    head_potentials = np.where(rng.random(len(potentials)) < 0.3, -np.inf,
                               rng.random(len(potentials)) * scale)
    tails, heads = most_violated_pairs(shape, tail_potentials, 1e-11, head_potentials, True)
    reduced = (cdist(pixels, pixels, "sqeuclidean") + tail_potentials[:, None]
               - head_potentials[None, :])
    best = reduced.min(axis=1)
    np.testing.assert_array_equal(tails, np.flatnonzero(best < -1e-11))
    np.testing.assert_allclose(reduced[tails, heads], best[tails], atol=1e-12)

    # The n_best most violated pairs of chosen tails, most violated first.
    chosen = np.flatnonzero(rng.random(len(potentials)) < 0.5)
    reduced = cdist(pixels, pixels) + potentials[:, None] - potentials[None, :]
    for n_best in (2, 5):
        tails, heads = most_violated_pairs(shape, potentials, 1e-11, None, False, n_best,
                                           chosen)
        for tail in chosen:
            values = np.sort(reduced[tail])
            expected = values[:n_best][values[:n_best] < -1e-11]
            found = reduced[tail, heads[tails == tail]]
            np.testing.assert_allclose(found, expected, atol=1e-12)
        assert set(tails) <= set(chosen)


@pytest.mark.parametrize("squared", [False, True])
def test_pricing_split_over_threads_gives_the_serial_search(monkeypatch, squared):
    from skimgdist.metrics._network_simplex import most_violated_pairs

    shape = (23, 31)
    rng = np.random.default_rng(3)
    potentials = rng.random(shape[0] * shape[1]) * 30.0
    heads_at = np.where(rng.random(len(potentials)) < 0.2, -np.inf, potentials)
    chosen = np.flatnonzero(rng.random(len(potentials)) < 0.6)
    monkeypatch.setattr(_grid_flow, "kernel_threads", lambda work, threshold: 3)
    for tail_pixels in (None, chosen):
        serial = most_violated_pairs(shape, potentials, 1e-11, heads_at, squared, 3, tail_pixels)
        split = _grid_flow._most_violated_pairs(shape, potentials, 1e-11, heads_at, squared, 3,
                                                tail_pixels)
        assert len(serial[0]) > 100
        np.testing.assert_array_equal(split[0], serial[0])
        np.testing.assert_array_equal(split[1], serial[1])


@pytest.mark.parametrize("shape", [(1, 6), (9, 14), (20, 20)])
@pytest.mark.parametrize("kind", ["noise", "smooth", "zero_regions"])
def test_sqeuclidean_grid_is_exact_w2(shape, kind):
    x, y = _pair(shape, seed=shape[1], smooth=1.5 if kind == "smooth" else 0.0)
    if kind == "zero_regions":  # dark first half in x, dark last third in y
        x[: x.size // 2] = 0.0
        y[-(y.size // 3):] = 0.0
    expected = _pot(x, y, shape, "sqeuclidean", 2.0)
    result = Wasserstein(image_shape=shape, ground_metric="sqeuclidean").transport(x, y)
    assert result.method == "grid" and result.kind == "plan" and result.bound == 0.0
    assert result.distance == pytest.approx(expected, rel=1e-9)
    a, b = x / x.sum(), y / y.sum()
    np.testing.assert_allclose(np.bincount(result.sources, result.amounts, a.size), a,
                               atol=1e-15)
    np.testing.assert_allclose(np.bincount(result.targets, result.amounts, a.size), b,
                               atol=1e-15)
    moved = np.subtract(np.divmod(result.targets, shape[1]), np.divmod(result.sources, shape[1]))
    assert np.sqrt(result.amounts @ (moved**2).sum(axis=0)) == pytest.approx(result.distance)
    assert wasserstein(x, y, image_shape=shape, ground_metric="sqeuclidean",
                       pixel_size=0.5) == pytest.approx(expected / 2, rel=1e-9)


def test_sqeuclidean_grid_needs_the_network_simplex():
    x, y = _pair((6, 6), seed=14)
    with config_context(compiled_kernels=False):
        assert Wasserstein(ground_metric="sqeuclidean").transport(x, y).method == "dense"
        with pytest.raises(ValueError, match="column generation"):
            wasserstein(x, y, ground_metric="sqeuclidean", method="grid")
