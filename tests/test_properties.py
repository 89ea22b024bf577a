"""Properties every distance must have, checked on random images (hypothesis).

Non-negativity, identity, symmetry and the triangle inequality where the theory says
so, invariance to the brightness of an image for the distances of distributions, the
same numbers from the three forms (function, object, ``pairwise``) and from the
engine, float32 input as its float64 value, square and non-square images; the
transformers conserve mass.  Examples are small (at most 25 pixels) and few, and the
runs are derandomised so that CI is reproducible.
"""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import skimgdist
from skimgdist.metrics import available_metrics, get_metric

SHAPES = [(3, 3), (4, 4), (2, 5), (5, 3), (1, 6)]
METRICS = sorted(available_metrics())
# d(x, x) = 0 fails for the entropic transport cost (its plan is blurred); the debiased
# divergence is 0 there.
NO_IDENTITY = {"sinkhorn"}
# Metrics (or pseudo-metrics) in the sense of the triangle inequality, per their docs.
TRIANGLE = {"blurred_l2", "hellinger", "intensity_emd", "jensen_shannon",
            "max_sliced_wasserstein", "rowwise_emd", "sliced_wasserstein", "total_variation",
            "wasserstein"}
# Entropic solvers converge to a tolerance, not to the last bit.
LOOSE = {"sinkhorn": 1e-6, "sinkhorn_divergence": 1e-6}
# Square roots of a transport cost or divergence: rescaling an image changes its normalised
# masses in the last bit (1e-16), and between proportional images the square root turns
# that into about 1e-8 (the exact distance of the two rounded distributions).
SQUARE_ROOTS = {"jensen_shannon", "max_sliced_wasserstein", "sliced_wasserstein"}

PROPERTY_SETTINGS = settings(max_examples=12, deadline=None, derandomize=True, database=None)


@st.composite
def image_batches(draw, n_images=3):
    """``n_images`` random non-negative images with positive mass, and their shape."""
    shape = draw(st.sampled_from(SHAPES))
    X = draw(arrays(np.float64, (n_images, shape[0] * shape[1]),
                    elements=st.floats(0.0, 1.0, width=32)))
    X[~X.any(axis=1), 0] = 1.0
    return X, shape


def _metric(name, shape):
    return get_metric(name, image_shape=shape)


def _tolerance(name):
    return LOOSE.get(name, 1e-9)


@pytest.mark.parametrize("name", METRICS)
@PROPERTY_SETTINGS
@given(batch=image_batches())
def test_non_negative_identity_symmetry(name, batch):
    X, shape = batch
    metric = _metric(name, shape)
    D = metric.pairwise(X)
    assert D.shape == (3, 3)
    assert not np.isnan(D).any()
    assert (D >= 0).all()
    if name not in NO_IDENTITY:
        np.testing.assert_allclose(np.diag(D), 0.0, atol=_tolerance(name))
    if metric._is_symmetric:
        np.testing.assert_allclose(D, D.T, rtol=_tolerance(name), atol=1e-12)


@pytest.mark.parametrize("name", sorted(TRIANGLE))
@PROPERTY_SETTINGS
@given(batch=image_batches())
def test_triangle_inequality(name, batch):
    X, shape = batch
    D = _metric(name, shape).pairwise(X)
    for i, j, k in [(0, 1, 2), (1, 2, 0), (2, 0, 1)]:
        assert D[i, k] <= D[i, j] + D[j, k] + 1e-9 * (1 + D.max())


@pytest.mark.parametrize("name", METRICS)
@PROPERTY_SETTINGS
@given(batch=image_batches(n_images=2), factor=st.sampled_from([1e-6, 0.5, 3.0, 1e6]))
@example(batch=(np.array([[0.1, 0.7, 0.0, 0.3, 0.9, 0.2], [0.037, 0.259, 0.0, 0.111, 0.333, 0.074]]),
                (2, 3)), factor=1e-6)  # proportional images: the distance is 0
def test_brightness_does_not_matter_for_distributions(name, batch, factor):
    X, shape = batch
    metric = _metric(name, shape)
    if not metric._checks_distribution():
        pytest.skip(f"{name} compares raw pixel values")
    D = metric.pairwise(X)
    scaled = metric.pairwise(X * np.array([[factor], [1.0]]))
    atol = 1e-7 if name in SQUARE_ROOTS else 1e-10
    np.testing.assert_allclose(scaled, D, rtol=max(_tolerance(name), 1e-8), atol=atol)


@pytest.mark.parametrize("name", METRICS)
@PROPERTY_SETTINGS
@given(batch=image_batches(n_images=2))
def test_three_forms_and_the_engine_agree(name, batch):
    X, shape = batch
    metric = _metric(name, shape)
    function = getattr(skimgdist, name)
    tolerance = _tolerance(name)
    by_pairwise = metric.pairwise(X)
    by_engine = skimgdist.pairwise_distances(X, metric=name, image_shape=shape)
    np.testing.assert_allclose(by_engine, by_pairwise, rtol=tolerance, atol=1e-12)
    for i, j in [(0, 1), (1, 0)]:
        by_object = metric(X[i], X[j])
        by_function = function(X[i], X[j], image_shape=shape)
        assert by_object == pytest.approx(by_pairwise[i, j], rel=tolerance, abs=1e-12)
        assert by_function == pytest.approx(by_object, rel=tolerance, abs=1e-12)


@pytest.mark.parametrize("name", METRICS)
@PROPERTY_SETTINGS
@given(batch=image_batches(n_images=2))
def test_float32_input_is_its_float64_value(name, batch):
    X, shape = batch
    metric = _metric(name, shape)
    single = X.astype(np.float32)
    np.testing.assert_array_equal(metric.pairwise(single),
                                  metric.pairwise(single.astype(np.float64)))


@PROPERTY_SETTINGS
@given(batch=image_batches(), factor=st.sampled_from([1, 2, 3]))
def test_downscale_by_sums_conserves_mass(batch, factor):
    X, shape = batch
    out_shape = (max(1, shape[0] // factor), max(1, shape[1] // factor))
    Y = skimgdist.Downscale(output_shape=out_shape, image_shape=shape).fit_transform(X)
    np.testing.assert_allclose(Y.sum(axis=1), X.sum(axis=1), rtol=1e-12)


@PROPERTY_SETTINGS
@given(batch=image_batches(), sigma=st.sampled_from([0.0, 0.5, 1.0, 3.0]),
       mode=st.sampled_from(["reflect", "wrap"]))   # the documented mass-conserving modes
def test_gaussian_blur_conserves_mass(batch, sigma, mode):
    X, shape = batch
    Y = skimgdist.GaussianBlur(sigma=sigma, mode=mode, image_shape=shape).fit_transform(X)
    assert (Y >= -1e-15).all()
    np.testing.assert_allclose(Y.sum(axis=1), X.sum(axis=1), rtol=1e-12)


@PROPERTY_SETTINGS
@given(batch=image_batches(), factor=st.floats(1e-3, 1e3))
def test_normalize_gives_unit_mass(batch, factor):
    X, shape = batch
    Y = skimgdist.Normalize(image_shape=shape).fit_transform(X * factor)
    np.testing.assert_allclose(Y.sum(axis=1), 1.0, rtol=1e-12)
