"""The shared metric protocol: per-pair call, batched pairwise, params, cloning, registry."""

import pickle
from numbers import Real

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import pairwise_distances
from sklearn.utils._param_validation import Interval, InvalidParameterError

from skimgdist.metrics import ImageMetric, get_metric
from skimgdist.metrics._base import function_form_of


class CentroidShift(ImageMetric):
    """Distance between the centres of mass, times ``scale`` (a small true metric on images)."""

    _parameter_constraints = {"image_shape": [tuple, None], "scale": [Interval(Real, 0, None, closed="neither")]}

    def __init__(self, *, image_shape=None, scale=1.0):
        self.image_shape = image_shape
        self.scale = scale

    def _pairwise_validated(self, X, Y, image_shape):
        Y = X if Y is None else Y
        rows, columns = np.indices(image_shape).reshape(2, -1)

        def centres(P):
            return np.column_stack([P @ rows, P @ columns])

        difference = centres(X)[:, None, :] - centres(Y)[None, :, :]
        return self.scale * np.sqrt((difference**2).sum(axis=-1))


@function_form_of(CentroidShift)
def centroid_shift(x, y, *, image_shape=None, scale=1.0):
    return CentroidShift(image_shape=image_shape, scale=scale)(x, y)


def _blobs(n=6, shape=(5, 7), seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, shape[0] * shape[1])) * 3


def test_per_pair_and_batched_routes_agree_with_scikit_learn():
    X = _blobs()
    metric = CentroidShift(image_shape=(5, 7), scale=2.0)
    expected = pairwise_distances(X, metric=metric)
    np.testing.assert_allclose(metric.pairwise(X), expected, rtol=1e-12, atol=1e-14)
    via_function = pairwise_distances(X, metric=centroid_shift, image_shape=(5, 7), scale=2.0)
    np.testing.assert_allclose(via_function, expected, rtol=1e-12, atol=1e-14)


def test_unit_mass_makes_distances_scale_invariant():
    X = _blobs()
    metric = CentroidShift(image_shape=(5, 7))
    np.testing.assert_allclose(metric.pairwise(X * 7.5, X), metric.pairwise(X, X), atol=1e-12)
    # Pixels near the float64 maximum, whose sums overflow, still give the same images.
    np.testing.assert_allclose(metric.pairwise(X * 1e307, X), metric.pairwise(X, X), atol=1e-12)
    assert metric(X[0] * 1e307, X[0]) == pytest.approx(0.0, abs=1e-12)


def test_centroid_closed_form_for_two_point_images():
    x = np.zeros(9)
    y = np.zeros(9)
    x[0] = 1.0  # pixel (0, 0)
    y[8] = 5.0  # pixel (2, 2): mass is normalised away
    assert CentroidShift()(x, y) == pytest.approx(np.sqrt(8.0), rel=1e-15)


def test_params_clone_pickle_and_nested_set_params():
    metric = CentroidShift(scale=3.0)
    assert metric.get_params() == {"image_shape": None, "scale": 3.0}
    copy = clone(metric)
    assert copy is not metric and copy.get_params() == metric.get_params()
    restored = pickle.loads(pickle.dumps(metric))
    X = _blobs(3, (3, 3))
    np.testing.assert_array_equal(restored.pairwise(X), metric.pairwise(X))
    assert metric.set_params(scale=0.5).scale == 0.5


def test_bad_params_and_inputs_are_reported():
    with pytest.raises(InvalidParameterError, match="scale"):
        CentroidShift(scale=-1.0).pairwise(_blobs(2, (3, 3)))
    with pytest.raises(ValueError, match="row 1 of Y has a negative pixel"):
        CentroidShift().pairwise(np.ones((2, 4)), np.array([[1.0, 1, 1, 1], [1, -1, 1, 1]]))
    with pytest.raises(ValueError, match="X has 4 pixels per image but Y has 9"):
        CentroidShift().pairwise(np.ones((2, 4)), np.ones((2, 9)))


def test_registry_resolves_functions_classes_and_instances():
    assert isinstance(get_metric(centroid_shift, scale=2.0), CentroidShift)
    assert get_metric(CentroidShift, scale=2.0).scale == 2.0
    original = CentroidShift(scale=4.0)
    configured = get_metric(original, image_shape=(3, 3))
    assert configured.get_params() == {"image_shape": (3, 3), "scale": 4.0}
    assert original.image_shape is None  # the caller's object is not modified
    with pytest.raises(ValueError, match="Unknown skimgdist metric 'nope'"):
        get_metric("nope")
    with pytest.raises(ValueError, match="is not a skimgdist distance"):
        get_metric(np.sum)
