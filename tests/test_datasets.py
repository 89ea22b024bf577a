"""Bundled and synthetic image sets."""

import numpy as np
import pytest
from sklearn.datasets import load_digits

from skimgdist.datasets import load_digits_images, make_blob_images


def test_digits_match_scikit_learn():
    digits = load_digits_images()
    reference = load_digits()
    np.testing.assert_array_equal(digits.data, reference.data)
    np.testing.assert_array_equal(digits.target, reference.target)
    assert digits.image_shape == (8, 8)


def test_upsampling_replicates_each_pixel_into_a_block():
    small = load_digits_images(n_per_class=2, random_state=3)
    big = load_digits_images(upsample=3, n_per_class=2, random_state=3)
    assert big.image_shape == (24, 24)
    images = big.data.reshape(-1, 24, 24)
    np.testing.assert_array_equal(images[:, ::3, ::3], small.data.reshape(-1, 8, 8))
    np.testing.assert_array_equal(images[:, 2::3, 1::3], small.data.reshape(-1, 8, 8))
    np.testing.assert_array_equal(big.data.sum(axis=1), 9 * small.data.sum(axis=1))


def test_per_class_subsample_is_balanced_seeded_and_drawn_from_the_data():
    a = load_digits_images(n_per_class=7, random_state=1)
    b = load_digits_images(n_per_class=7, random_state=1)
    np.testing.assert_array_equal(a.data, b.data)
    assert np.bincount(a.target).tolist() == [7] * 10
    full = {row.tobytes() for row in load_digits().data}
    assert all(row.tobytes() in full for row in a.data)


def test_blob_images_put_each_class_where_it_belongs():
    blobs = make_blob_images(30, image_shape=(21, 21), n_classes=4, jitter=0.5, random_state=0)
    images = blobs.data.reshape(-1, 21, 21)
    rows, columns = np.indices((21, 21))
    mass = images.sum(axis=(1, 2))
    centre_row = (images * rows).sum(axis=(1, 2)) / mass
    centre_column = (images * columns).sum(axis=(1, 2)) / mass
    angles = 2 * np.pi * blobs.target / 4
    np.testing.assert_allclose(centre_row, 10 + 5.25 * np.sin(angles), atol=2.0)
    np.testing.assert_allclose(centre_column, 10 + 5.25 * np.cos(angles), atol=2.0)
    assert blobs.data.min() >= 0


def test_blob_noise_and_errors():
    clean = make_blob_images(3, random_state=0)
    noisy = make_blob_images(3, noise=0.1, random_state=0)
    assert (noisy.data - clean.data).max() > 0.05
    with pytest.raises(ValueError, match="image_shape"):
        make_blob_images(3, image_shape=(4, 0))
    with pytest.raises(ValueError, match="n_classes"):
        make_blob_images(3, n_classes=1)
