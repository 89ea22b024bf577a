"""The pairwise engine, the kernel and the ImageDistances transformer.

The engine must give scikit-learn's numbers (its per-pair loop over the same
callable is the independent reference), whatever the blocking, the number of
jobs and the route by which the metric is named.
"""

import subprocess
import sys
from numbers import Real

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as sk_metrics
from sklearn.cluster import DBSCAN, AgglomerativeClustering, SpectralClustering
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC
from sklearn.utils._param_validation import Interval, InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

import skimgdist
from skimgdist import (
    ImageDistances,
    ImageIndex,
    SlicedWasserstein,
    image_kernel,
    pairwise_distances,
)
from skimgdist.metrics import ImageMetric, available_metrics
from skimgdist.metrics._base import function_form_of

# Blocks the test metrics computed, as (rows, columns, second_is_None), in this process.
BLOCKS = []


class CentroidShift(ImageMetric):
    """Distance between centres of mass, times ``scale``: symmetric, cheap, exact."""

    _parameter_constraints = {
        "image_shape": [tuple, None],
        "scale": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, *, image_shape=None, scale=1.0):
        self.image_shape = image_shape
        self.scale = scale

    def _pairwise_validated(self, X, Y, image_shape):
        BLOCKS.append((X.shape[0], X.shape[0] if Y is None else Y.shape[0], Y is None))
        Y = X if Y is None else Y
        rows, columns = np.indices(image_shape).reshape(2, -1)
        cx = np.column_stack([X @ rows, X @ columns])
        cy = np.column_stack([Y @ rows, Y @ columns])
        return self.scale * np.sqrt(((cx[:, None, :] - cy[None, :, :]) ** 2).sum(axis=-1))


@function_form_of(CentroidShift)
def centroid_shift(x, y, *, image_shape=None, scale=1.0):
    return CentroidShift(image_shape=image_shape, scale=scale)(x, y)


class WeightedSquares(ImageMetric):
    """``sum_k x_k (x_k - y_k)^2`` on unit-mass images: an asymmetric divergence."""

    _is_symmetric = False
    _parameter_constraints = {"image_shape": [tuple, None]}

    def __init__(self, *, image_shape=None):
        self.image_shape = image_shape

    def _pairwise_validated(self, X, Y, image_shape):
        Y = X if Y is None else Y
        cubes = (X**3).sum(axis=1)[:, None]
        return cubes - 2 * (X**2) @ Y.T + X @ (Y**2).T


def images(n, shape=(5, 5), seed=0):
    return np.random.default_rng(seed).random((n, shape[0] * shape[1])) ** 3


def blob_images(n_per_class, shape=(12, 12), seed=0):
    """Two classes of Gaussian blobs: top left and bottom right, with jitter."""
    rng = np.random.default_rng(seed)
    rows, columns = np.indices(shape)
    X, y = [], []
    for label, centre in enumerate([(3.0, 3.0), (8.0, 8.0)]):
        for _ in range(n_per_class):
            r, c = np.array(centre) + rng.normal(scale=0.6, size=2)
            X.append(np.exp(-((rows - r) ** 2 + (columns - c) ** 2) / 4.0).ravel())
            y.append(label)
    return np.array(X), np.array(y)


def assert_same(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-13)


# --- the engine against scikit-learn's per-pair loop ---------------------------------


@pytest.fixture(scope="module")
def sliced_case():
    """Images and scikit-learn's per-pair matrices for a sliced Wasserstein metric."""
    X, Y = images(12, seed=1), images(4, seed=2)
    metric = SlicedWasserstein(n_projections=7)
    return (X, Y, metric, sk_metrics.pairwise_distances(X, metric=metric),
            sk_metrics.pairwise_distances(X, Y, metric=metric))


@pytest.mark.parametrize("n_jobs", [None, 2])
@pytest.mark.parametrize("working_memory", [None, 0.0002])
def test_engine_equals_scikit_learn_for_sliced_wasserstein(sliced_case, n_jobs,
                                                           working_memory, monkeypatch):
    monkeypatch.setattr(skimgdist.pairwise, "_MIN_PARALLEL_WORK", 0)  # share tiny matrices
    X, Y, metric, expected_xx, expected_xy = sliced_case
    assert_same(pairwise_distances(X, metric=metric, n_jobs=n_jobs,
                                   working_memory=working_memory), expected_xx)
    assert_same(pairwise_distances(X, Y, metric=metric, n_jobs=n_jobs,
                                   working_memory=working_memory), expected_xy)


def test_engine_workers_run_kernels_serially_in_threads(sliced_case, monkeypatch):
    """n_jobs workers are threads of this process whose kernels stay on one thread each.

    Parallel kernels inside parallel workers only compete for the cores (and numba's
    default thread pool refuses launches from two threads at once); worker processes
    would pay the import of skimgdist and the loading of its kernels each.
    """
    pytest.importorskip("numba")
    import threading

    from skimgdist import _config
    from skimgdist.metrics import _sliced_kernels

    X, _, metric, expected_xx, _ = sliced_case
    seen = []
    serial_kernel = _sliced_kernels.merge_costs

    def recording_kernel(*args):
        seen.append((threading.current_thread().name,
                     getattr(_config._calling_thread, "serial", False)))
        serial_kernel(*args)

    monkeypatch.setattr(_sliced_kernels, "merge_costs", recording_kernel)
    main_thread = [(threading.main_thread().name, False)]
    # A matrix this small is not worth starting threads for.
    assert_same(pairwise_distances(X, metric=metric, n_jobs=2), expected_xx)
    assert seen == main_thread
    seen.clear()
    monkeypatch.setattr(skimgdist.pairwise, "_MIN_PARALLEL_WORK", 0)
    assert_same(pairwise_distances(X, metric=metric, n_jobs=2, working_memory=0.0002),
                expected_xx)
    assert seen and all(serial for _, serial in seen)
    assert {name for name, _ in seen} != {threading.main_thread().name}
    seen.clear()
    pairwise_distances(X, metric=metric, n_jobs=1)
    assert seen == main_thread


def test_import_leaves_pot_to_the_dense_solver():
    """Each process that unpickles a skimgdist metric (an n_jobs worker of a grid search)
    imports skimgdist; POT, about 0.6 s of that, is needed by the dense exact solver only."""
    code = "import sys, skimgdist; print('ot' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.strip() == "False"


def test_single_threaded_kernels_give_the_same_numbers():
    pytest.importorskip("numba")
    from skimgdist._config import single_threaded
    from skimgdist.metrics._sliced_kernels import _PARALLEL_THRESHOLD

    # Large enough for the parallel kernel outside single_threaded().
    X = images(60, shape=(16, 16), seed=5)
    metric = SlicedWasserstein(n_projections=200)
    assert _PARALLEL_THRESHOLD < 2 * 60 * 60 * 200 * 256
    parallel = metric.pairwise(X)
    with single_threaded():
        serial = metric.pairwise(X)
    np.testing.assert_allclose(serial, parallel, rtol=1e-12, atol=1e-15)


@pytest.mark.filterwarnings("ignore:Could not adhere to working_memory")
@pytest.mark.parametrize("name", sorted(available_metrics()))
def test_every_registered_metric_equals_scikit_learn(name):
    """All of skimgdist's distances, small blocks, against the per-pair loop."""
    X, Y = images(6, shape=(4, 4), seed=11), images(3, shape=(4, 4), seed=12)
    function = getattr(skimgdist, name)
    symmetric = available_metrics()[name]._is_symmetric
    # scikit-learn mirrors its upper triangle when Y is None: asymmetric ones need a copy.
    expected = sk_metrics.pairwise_distances(X, None if symmetric else X.copy(),
                                             metric=function)
    assert_same(pairwise_distances(X, metric=name, working_memory=0.0002), expected)
    assert_same(pairwise_distances(X, Y, metric=name, working_memory=0.0002),
                sk_metrics.pairwise_distances(X, Y, metric=function))


@pytest.mark.parametrize(
    "metric, params",
    [
        (CentroidShift(scale=2.0), {}),
        (CentroidShift, {"scale": 2.0}),
        (centroid_shift, {"scale": 2.0}),
        (CentroidShift(scale=5.0), {"scale": 2.0}),  # params override the instance's
    ],
    ids=["instance", "class", "function", "instance+params"],
)
def test_every_way_of_naming_a_metric_gives_the_same_matrix(metric, params):
    X = images(30)
    expected = sk_metrics.pairwise_distances(X, metric=centroid_shift, scale=2.0)
    assert_same(pairwise_distances(X, metric=metric, working_memory=0.001, **params), expected)


def test_metric_by_name_and_function_with_params():
    X = images(12)
    expected = sk_metrics.pairwise_distances(X, metric=skimgdist.sliced_wasserstein,
                                             n_projections=5, p=1)
    assert_same(pairwise_distances(X, metric="sliced_wasserstein", n_projections=5, p=1),
                expected)
    assert_same(pairwise_distances(X, metric=skimgdist.sliced_wasserstein, n_projections=5,
                                   p=1), expected)


def test_non_square_images_with_image_shape():
    X = images(10, shape=(3, 5))
    expected = sk_metrics.pairwise_distances(X, metric=centroid_shift, image_shape=(3, 5))
    assert_same(pairwise_distances(X, metric=centroid_shift, image_shape=(3, 5),
                                   working_memory=0.0002), expected)


@pytest.mark.parametrize("working_memory", [None, 0.001])
def test_asymmetric_metric_computes_every_pair(working_memory):
    X = images(25)
    # scikit-learn mirrors its upper triangle when Y is None: compare with a copy.
    expected = sk_metrics.pairwise_distances(X, X.copy(), metric=WeightedSquares())
    actual = pairwise_distances(X, metric=WeightedSquares(), working_memory=working_memory)
    assert_same(actual, expected)
    assert not np.allclose(actual, actual.T)


def test_symmetric_metric_computes_only_the_upper_triangle_blocks():
    X = images(100)
    BLOCKS.clear()
    pairwise_distances(X, metric=CentroidShift(), working_memory=8 * 25 * 100 / 2**20)
    # 25 rows of 100 distances per budget: 4 row blocks, 4 * 5 / 2 = 10 blocks of 25 x 25.
    assert len(BLOCKS) == 10
    assert sum(rows * columns for rows, columns, _ in BLOCKS) == 10 * 25 * 25  # not 100 * 100
    assert sum(on_diagonal for _, _, on_diagonal in BLOCKS) == 4


@pytest.mark.parametrize("working_memory", [0.0005, 0.002, 0.01])
def test_blocks_stay_within_working_memory(working_memory):
    X, Y = images(60), images(40, seed=3)
    for second in (None, Y):
        BLOCKS.clear()
        pairwise_distances(X, second, metric=CentroidShift(), working_memory=working_memory)
        assert max(r * c for r, c, _ in BLOCKS) * 8 <= working_memory * 2**20


@settings(max_examples=25, deadline=None)
@given(n_x=st.integers(1, 30), n_y=st.integers(0, 12),
       working_memory=st.floats(1e-5, 0.05), progress=st.booleans())
def test_blocking_never_changes_the_numbers(n_x, n_y, working_memory, progress):
    X = images(n_x, seed=n_x)
    Y = images(n_y, seed=100 + n_y) if n_y else None
    metric = CentroidShift(scale=1.5)
    expected = metric.pairwise(X, Y)
    actual = pairwise_distances(X, Y, metric=metric, working_memory=working_memory,
                                progress=progress)
    # Only the mirrored triangle may differ from pairwise() in the last bits.
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-14)
    if Y is None:
        np.testing.assert_array_equal(actual, actual.T)


def test_inputs_are_not_modified():
    X, Y = images(9), images(4, seed=5)
    X_before, Y_before = X.copy(), Y.copy()
    pairwise_distances(X, Y, metric=CentroidShift(), working_memory=0.0001)
    ImageDistances(metric=CentroidShift()).fit(X).transform(Y)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(Y, Y_before)


# --- metrics from outside skimgdist go to scikit-learn ---------------------------------


def test_foreign_metrics_are_passed_to_scikit_learn():
    X, Y = images(8), images(5, seed=4)
    assert_same(pairwise_distances(X, Y, metric="cityblock"),
                sk_metrics.pairwise_distances(X, Y, metric="cityblock"))
    assert_same(pairwise_distances(X, metric="minkowski", p=3),
                sk_metrics.pairwise_distances(X, metric="minkowski", p=3))

    def largest_gap(x, y):
        return np.abs(x - y).max()

    assert_same(pairwise_distances(X, metric=largest_gap),
                sk_metrics.pairwise_distances(X, metric=largest_gap))


def test_unknown_metric_name_lists_both_libraries():
    with pytest.raises(ValueError, match=r"sliced_wasserstien.*skimgdist metrics: .*sliced_wasserstein"):
        pairwise_distances(images(3), metric="sliced_wasserstien")


# --- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [{"n_jobs": "two"}, {"working_memory": 0}, {"progress": "yes"}, {"metric": 3}],
)
def test_invalid_engine_parameters(kwargs):
    with pytest.raises(InvalidParameterError):
        pairwise_distances(images(3), **kwargs)


def test_invalid_metric_parameter_is_reported():
    with pytest.raises(InvalidParameterError, match="scale"):
        pairwise_distances(images(3), metric=CentroidShift, scale=-1.0)


def test_bad_images_name_the_row():
    X = images(4)
    X[2, 3] = -1.0
    with pytest.raises(ValueError, match="row 2 of X has a negative pixel"):
        pairwise_distances(X, metric=CentroidShift())
    with pytest.raises(ValueError, match="but Y has 16"):
        pairwise_distances(images(3), images(2, shape=(4, 4)), metric=CentroidShift())


# --- progress ---------------------------------------------------------------------------


@pytest.mark.parametrize("with_tqdm", [True, False])
def test_progress_bar_reaches_the_end(with_tqdm, monkeypatch, capsys):
    if with_tqdm:
        pytest.importorskip("tqdm")
    else:
        monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails: built-in bar
    X = images(40)
    actual = pairwise_distances(X, metric=CentroidShift(), progress=True)
    np.testing.assert_allclose(actual, CentroidShift().pairwise(X), rtol=1e-12)
    err = capsys.readouterr().err
    assert "skimgdist distances" in err
    assert "100%" in err
    assert "780/780" in err  # the 40 * 39 / 2 pairs of the triangle, each counted once
    assert ("pair/s" in err) == with_tqdm


def test_no_output_without_progress(capsys):
    pairwise_distances(images(10), metric=CentroidShift())
    assert capsys.readouterr().err == ""


# --- kernel and clustering --------------------------------------------------------------


def test_kernel_is_the_gaussian_of_the_distances():
    X, Y = images(10), images(4, seed=7)
    D = pairwise_distances(X, Y, metric=CentroidShift())
    np.testing.assert_allclose(image_kernel(X, Y, metric=CentroidShift(), gamma=0.3),
                               np.exp(-0.3 * D**2), rtol=1e-14)
    K = image_kernel(X, metric=CentroidShift(), gamma=2.0)
    np.testing.assert_array_equal(K, K.T)
    np.testing.assert_allclose(np.diag(K), 1.0)
    with pytest.raises(InvalidParameterError, match="gamma"):
        image_kernel(X, metric=CentroidShift(), gamma=0)


def test_kernel_with_precomputed_metric_does_not_write_into_the_input():
    D = pairwise_distances(images(5), metric=CentroidShift())
    before = D.copy()
    K = image_kernel(D, metric="precomputed", gamma=1.0)
    np.testing.assert_array_equal(D, before)
    np.testing.assert_allclose(K, np.exp(-(before**2)))


def test_clusterings_recover_well_separated_blobs():
    X, y = blob_images(10)
    metric = SlicedWasserstein(n_projections=8)
    D = pairwise_distances(X, metric=metric)
    K = image_kernel(X, metric=metric, gamma=0.1)
    labels = {
        "dbscan": DBSCAN(eps=2.0, min_samples=3, metric="precomputed").fit_predict(D),
        "agglomerative": AgglomerativeClustering(
            n_clusters=2, metric="precomputed", linkage="average").fit_predict(D),
        "spectral": SpectralClustering(
            n_clusters=2, affinity="precomputed", random_state=0).fit_predict(K),
    }
    for name, found in labels.items():
        assert adjusted_rand_score(y, found) == 1.0, name


def test_svc_on_the_precomputed_kernel_separates_the_blobs():
    X, y = blob_images(8, seed=1)
    X_test, y_test = blob_images(5, seed=2)
    metric = SlicedWasserstein(n_projections=8)
    svc = SVC(kernel="precomputed").fit(image_kernel(X, metric=metric, gamma=0.1), y)
    predicted = svc.predict(image_kernel(X_test, X, metric=metric, gamma=0.1))
    np.testing.assert_array_equal(predicted, y_test)


# --- the transformer --------------------------------------------------------------------


def test_transformer_gives_the_engine_matrix():
    X, Y = images(15), images(6, seed=8)
    metric = SlicedWasserstein(n_projections=6)
    dist = ImageDistances(metric=metric)
    assert_same(dist.fit(X).transform(Y), sk_metrics.pairwise_distances(Y, X, metric=metric))
    assert_same(dist.fit_transform(X), sk_metrics.pairwise_distances(X, metric=metric))
    assert dist.images_.shape == (15, 25)
    np.testing.assert_allclose(dist.images_.sum(axis=1), 1.0)
    assert dist.image_shape_ == (5, 5)
    assert list(dist.get_feature_names_out()[:2]) == ["imagedistances0", "imagedistances1"]


def test_transformer_with_metric_params_and_foreign_metric():
    X, Y = images(9), images(4, seed=9)
    dist = ImageDistances(metric="sliced_wasserstein", metric_params={"n_projections": 3})
    assert_same(dist.fit(X).transform(Y),
                sk_metrics.pairwise_distances(Y, X, metric=SlicedWasserstein(n_projections=3)))
    foreign = ImageDistances(metric="minkowski", metric_params={"p": 3}).fit(X)
    assert foreign.image_shape_ is None
    assert_same(foreign.transform(Y), sk_metrics.pairwise_distances(Y, X, metric="minkowski",
                                                                   p=3))


def test_transformer_rejects_images_of_another_size():
    dist = ImageDistances(metric=CentroidShift()).fit(images(4))
    with pytest.raises(ValueError, match="X has 16 features, but ImageDistances is expecting 25"):
        dist.transform(images(2, shape=(4, 4)))


def test_grid_search_pipeline_matches_the_plain_callable_route(tmp_path):
    """The fast pipeline and scikit-learn's per-pair callable route score and predict alike."""
    X, y = blob_images(6, shape=(16, 16))
    X_test, _ = blob_images(2, shape=(16, 16), seed=3)
    pipeline = Pipeline(
        [
            ("down", skimgdist.Downscale(factor=2)),
            ("blur", skimgdist.GaussianBlur()),
            ("dist", ImageDistances(metric=SlicedWasserstein(p=1))),
            ("knn", KNeighborsClassifier(metric="precomputed")),
        ],
        memory=str(tmp_path),
    )
    grid = {"blur__sigma": [0.5, 3.0], "dist__metric__n_projections": [3, 6],
            "knn__n_neighbors": [1, 3]}
    cv = KFold(2, shuffle=True, random_state=0)
    search = GridSearchCV(pipeline, grid, cv=cv).fit(X, y)
    assert any(tmp_path.iterdir())  # the pipeline cached its transformers

    # The plain route (scikit-learn calls the metric per pair), for n_neighbors=3 only.
    plain = Pipeline(
        [
            ("down", skimgdist.Downscale(factor=2)),
            ("blur", skimgdist.GaussianBlur()),
            ("knn", KNeighborsClassifier(n_neighbors=3, metric=SlicedWasserstein(p=1),
                                         algorithm="brute")),
        ]
    )
    plain_grid = {"blur__sigma": [0.5, 3.0], "knn__metric__n_projections": [3, 6]}
    plain_search = GridSearchCV(plain, plain_grid, cv=cv).fit(X, y)
    with_3 = search.cv_results_["param_knn__n_neighbors"] == 3
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"][with_3],
                                  plain_search.cv_results_["mean_test_score"])
    best = search.best_estimator_
    plain.set_params(blur__sigma=best.get_params()["blur__sigma"],
                     knn__n_neighbors=best.get_params()["knn__n_neighbors"],
                     knn__metric__n_projections=best.get_params()["dist__metric__n_projections"])
    np.testing.assert_array_equal(search.predict(X_test), plain.fit(X, y).predict(X_test))


@pytest.mark.parametrize("memory, expected_fits", [(None, 2 * 3 + 1), ("cache", 2 + 1)])
def test_pipeline_memory_computes_the_training_matrix_once_per_fold(tmp_path, memory,
                                                                  expected_fits):
    X, y = blob_images(6)
    pipeline = Pipeline(
        [("dist", ImageDistances(metric=CentroidShift())),
         ("knn", KNeighborsClassifier(metric="precomputed"))],
        memory=None if memory is None else str(tmp_path),
    )
    BLOCKS.clear()
    GridSearchCV(pipeline, {"knn__n_neighbors": [1, 2, 3]}, cv=KFold(2)).fit(X, y)
    training_matrices = sum(on_diagonal for _, _, on_diagonal in BLOCKS)
    assert training_matrices == expected_fits  # 2 folds (x 3 candidates) + the refit


# --- scikit-learn's estimator checks ----------------------------------------------------

NON_SQUARE = (
    "the check uses a feature count that is not a perfect square, so the image shape "
    "cannot be inferred (skimgdist asks for image_shape instead)"
)
NON_SQUARE_CHECKS = [
    "check_fit_score_takes_y", "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters", "check_estimators_fit_returns_self",
    "check_readonly_memmap_input", "check_estimators_dtypes", "check_dtype_object",
    "check_pipeline_consistency", "check_estimators_nan_inf", "check_estimators_pickle",
    "check_f_contiguous_array_estimator", "check_transformer_data_not_an_array",
    "check_transformer_general", "check_transformer_preserve_dtypes",
    "check_methods_sample_order_invariance", "check_methods_subset_invariance",
    "check_fit2d_1sample", "check_dict_unchanged", "check_fit_idempotent",
    "check_fit_check_is_fitted", "check_n_features_in", "check_fit2d_predict1d",
]


def expected_failed_checks(estimator):
    if not isinstance(estimator.metric, ImageMetric):
        return {}
    failures = dict.fromkeys(NON_SQUARE_CHECKS, NON_SQUARE)
    failures["check_positive_only_tag_during_fit"] = (
        "the error for a negative pixel names its row and position instead of scikit-learn's "
        "'Negative values in data'"
    )
    failures["check_fit2d_1feature"] = (
        "1x1 images are valid, but the check's all-zero rows have no light to compare "
        "(zero-mass error instead of '1 feature')"
    )
    return failures


@parametrize_with_checks(
    [
        ImageDistances(metric="manhattan"),
        ImageIndex(metric="manhattan"),
        ImageDistances(metric="euclidean"),
        ImageIndex(metric="euclidean"),
        ImageDistances(metric=CentroidShift()),
        ImageIndex(metric=CentroidShift()),
    ],
    expected_failed_checks=expected_failed_checks,
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
