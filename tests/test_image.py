"""Image conventions: shape inference, folding, coordinates and input validation."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skimgdist._image import (
    as_images,
    as_rows,
    check_image_pair,
    check_images,
    check_pixel_size,
    pixel_coordinates,
    resolve_image_shape,
    to_unit_mass,
)


@pytest.mark.parametrize(("n_features", "expected"), [(1, (1, 1)), (16, (4, 4)), (89401, (299, 299))])
def test_square_shape_is_inferred(n_features, expected):
    assert resolve_image_shape(n_features) == expected


@pytest.mark.parametrize("n_features", [2, 12, 89400])
def test_non_square_without_shape_asks_for_image_shape(n_features):
    with pytest.raises(ValueError, match=rf"not a perfect square.*image_shape=\(height, width\).*{n_features}"):
        resolve_image_shape(n_features)


def test_explicit_shape_is_checked_against_pixel_count():
    assert resolve_image_shape(12, (3, 4)) == (3, 4)
    assert resolve_image_shape(12, [4, 3]) == (4, 3)
    assert resolve_image_shape(12, (np.int64(2), np.int64(6))) == (2, 6)
    with pytest.raises(ValueError, match=r"holds 16 pixels but each image has 12"):
        resolve_image_shape(12, (4, 4))


@pytest.mark.parametrize("bad", [(3,), (0, 12), (-3, -4), (3.0, 4.0), "3x4", 12, (True, 12)])
def test_malformed_shape_is_rejected(bad):
    with pytest.raises(ValueError, match="image_shape must be a pair of positive integers"):
        resolve_image_shape(12, bad)


def test_fold_and_unfold_are_c_order_inverses():
    X = np.arange(24.0).reshape(2, 12)
    images = as_images(X, (3, 4))
    assert images[1, 2, 3] == X[1, 2 * 4 + 3]
    np.testing.assert_array_equal(as_rows(images), X)
    assert np.shares_memory(images, X)


def test_pixel_coordinates_are_centres_in_pixel_units():
    coordinates = pixel_coordinates((2, 3))
    np.testing.assert_array_equal(coordinates, [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]])
    scaled = pixel_coordinates((2, 3), pixel_size=(2.0, 0.5))
    np.testing.assert_array_equal(scaled[-1], [2.0, 1.0])
    assert not coordinates.flags.writeable
    assert pixel_coordinates((2, 3)) is coordinates  # cached per shape


@pytest.mark.parametrize("bad", [0, -1.0, np.nan, np.inf, (1.0,), (1.0, 0.0), "1", None, True])
def test_bad_pixel_size_is_rejected(bad):
    with pytest.raises(ValueError, match="pixel_size must be a positive finite number"):
        check_pixel_size(bad)


def test_valid_images_pass_and_are_not_copied_needlessly():
    X = np.random.default_rng(0).random((3, 16))
    checked, shape = check_images(X)
    assert shape == (4, 4)
    assert checked.dtype == np.float64
    np.testing.assert_array_equal(checked, X)


def test_integer_and_list_input_is_converted():
    checked, shape = check_images([[0, 1, 2, 3]])
    assert checked.dtype == np.float64 and shape == (2, 2)


@pytest.mark.parametrize(
    ("X", "message"),
    [
        (np.array([[1.0, 1, 1, 1], [1, np.nan, 1, 1]]), r"row 1 of X contains NaN or infinity .*\(row 0, column 1\)"),
        (np.array([[1.0, 1, 1, 1], [1, 1, 1, np.inf]]), r"row 1 of X contains NaN or infinity"),
        (np.array([[1.0, 1, 1, 1], [1, 1, -2, 1]]), r"row 1 of X has a negative pixel \(-2 at \(row 1, column 0\).*clip_negative=True"),
        (np.array([[1.0, 1, 1, 1], [0, 0, 0, 0]]), r"row 1 of X has zero total mass.*zero_mass='uniform'"),
        (np.ones((0, 4)), r"X is empty"),
        (np.ones((2, 0)), r"X is empty"),
        (np.ones(4), r"one flattened image per row .* or a stack of 2-D images"),
        (np.ones((2, 2, 2, 2)), r"one flattened image per row .* or a stack of 2-D images"),
        ([["a", "b", "c", "d"]], r"strings\); images must hold real pixel values"),
        (np.ones((2, 4)) * 1j, r"complex"),
    ],
)
def test_bad_images_get_a_message_naming_row_and_fix(X, message):
    with pytest.raises(ValueError, match=message):
        check_images(X)


def test_non_distribution_mode_accepts_negative_and_zero_mass():
    X = np.array([[-1.0, 0, 0, 0], [0, 0, 0, 0]])
    checked, _ = check_images(X, distribution=False)
    np.testing.assert_array_equal(checked, X)
    with pytest.raises(ValueError, match="NaN or infinity"):
        check_images(np.array([[np.nan, 0, 0, 0]]), distribution=False)


def test_pair_validation_names_x_and_y():
    X, Y, shape = check_image_pair(np.ones(9), np.arange(9.0) + 1)
    assert X.shape == Y.shape == (1, 9) and shape == (3, 3)
    with pytest.raises(ValueError, match=r"^y has a negative pixel"):
        check_image_pair(np.ones(4), -np.ones(4))
    with pytest.raises(ValueError, match=r"x has 4 pixels per image but y has 9"):
        check_image_pair(np.ones(4), np.ones(9))
    with pytest.raises(ValueError, match=r"x must be one image, flattened \(1-D\) or 2-D"):
        check_image_pair(np.ones((2, 2, 2)), np.ones(4))


def test_two_dimensional_images_and_stacks_carry_their_shape():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.1, 1, size=(2, 3, 5))
    X, Y, shape = check_image_pair(a, b)
    assert shape == (3, 5)
    np.testing.assert_array_equal(X[0], a.ravel())
    np.testing.assert_array_equal(Y[0], b.ravel())
    # A one-row 2-D array stays what scikit-learn passes: one flattened image.
    assert check_image_pair(a.reshape(1, -1), b.reshape(1, -1), image_shape=(3, 5))[2] == (3, 5)
    stack = rng.uniform(0.1, 1, size=(4, 3, 5))
    rows, shape = check_images(stack)
    assert shape == (3, 5)
    np.testing.assert_array_equal(rows, stack.reshape(4, -1))
    with pytest.raises(ValueError, match=r"images of shape \(3, 5\) but image_shape is \(5, 3\)"):
        check_images(stack, image_shape=(5, 3))


def test_validation_never_modifies_input():
    X = np.array([[1.0, 2, 3, 4], [0, 0, 0, 5]])
    original = X.copy()
    check_images(X)
    to_unit_mass(X)
    np.testing.assert_array_equal(X, original)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.floats(0.01, 1e6), min_size=4, max_size=4), min_size=1, max_size=5))
def test_unit_mass_rows_sum_to_one(rows):
    P = to_unit_mass(np.array(rows))
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(P >= 0)


def test_unit_mass_of_images_whose_total_overflows_float64():
    # Each pixel is finite, but the row sums to more than the largest double (~1.8e308):
    # the row must still become the same distribution as its scaled-down copy.
    X = np.array([[1e308, 1e308, 0.0, 1e308], [1.0, 1.0, 0.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checked, _ = check_images(X)
        P = to_unit_mass(checked)
    np.testing.assert_allclose(P, [[1 / 3, 1 / 3, 0.0, 1 / 3]] * 2, rtol=1e-15)


def test_sparse_input_is_refused_with_a_fix():
    from scipy import sparse

    with pytest.raises(ValueError, match=r"X is a sparse matrix.*toarray\(\)"):
        check_images(sparse.csr_matrix(np.eye(4)))
