"""Reading images: grayscale rule, bit depths, transparency, folders, .npz and bad files."""

import numpy as np
import pytest

PIL = pytest.importorskip("PIL")
from PIL import Image  # noqa: E402

from skimgdist.io import (  # noqa: E402
    ImageReadError,
    image_files,
    read_image,
    read_image_folder,
    read_labelled_folder,
    read_npz,
    resize_image,
)

RNG = np.random.default_rng(0)


def test_rgb_uses_itu_601_luma_in_float(tmp_path):
    rgb = RNG.integers(0, 256, size=(5, 7, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "c.png")
    gray = read_image(tmp_path / "c.png")
    expected = (0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]) / 255
    np.testing.assert_allclose(gray, expected, rtol=1e-12)
    # Pillow's own "L" conversion is the same rule, rounded to 8 bits.
    pillow = np.asarray(Image.fromarray(rgb).convert("L"), dtype=float) / 255
    np.testing.assert_allclose(gray, pillow, atol=0.5 / 255 + 1e-9)


def test_grayscale_8_bit_is_scaled_to_unit_interval(tmp_path):
    values = np.array([[0, 51, 255]], dtype=np.uint8)
    Image.fromarray(values).save(tmp_path / "g.png")
    np.testing.assert_allclose(read_image(tmp_path / "g.png"), [[0, 0.2, 1]])


def test_16_bit_grayscale_keeps_full_precision(tmp_path):
    values = np.array([[0, 1, 257, 65535]], dtype=np.uint16)
    Image.fromarray(values).save(tmp_path / "g16.png")
    np.testing.assert_array_equal(read_image(tmp_path / "g16.png"), values / 65535)


def test_alpha_multiplies_the_light(tmp_path):
    rgba = np.zeros((1, 2, 4), dtype=np.uint8)
    rgba[0, 0] = [255, 255, 255, 255]
    rgba[0, 1] = [255, 255, 255, 51]
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "a.png")
    np.testing.assert_allclose(read_image(tmp_path / "a.png"), [[1.0, 0.2]])
    la = Image.fromarray(rgba[..., [0, 3]], mode="LA")
    la.save(tmp_path / "la.png")
    np.testing.assert_allclose(read_image(tmp_path / "la.png"), [[1.0, 0.2]])


def test_palette_and_one_bit_images(tmp_path):
    rgb = RNG.integers(0, 256, size=(4, 4, 3), dtype=np.uint8)
    Image.fromarray(rgb).convert("P").save(tmp_path / "p.png")
    palette_rgb = np.asarray(Image.open(tmp_path / "p.png").convert("RGB"), dtype=float)
    np.testing.assert_allclose(read_image(tmp_path / "p.png"), palette_rgb @ [0.299, 0.587, 0.114]
                               / 255)
    Image.fromarray(np.array([[0, 255]], dtype=np.uint8)).convert("1").save(tmp_path / "b.png")
    np.testing.assert_array_equal(read_image(tmp_path / "b.png"), [[0.0, 1.0]])


def test_float_tiff_and_npy_are_used_as_stored(tmp_path):
    values = np.array([[0.5, 3.25], [7.0, 0.0]], dtype=np.float32)
    Image.fromarray(values, mode="F").save(tmp_path / "f.tiff")
    np.testing.assert_array_equal(read_image(tmp_path / "f.tiff"), values)
    np.save(tmp_path / "h.npy", values.astype(np.float64) * 10)
    np.testing.assert_array_equal(read_image(tmp_path / "h.npy"), values * 10)
    np.save(tmp_path / "mask.npy", np.array([[True, False], [False, True]]))   # 0 and 1, as "1"
    np.testing.assert_array_equal(read_image(tmp_path / "mask.npy"), [[1.0, 0.0], [0.0, 1.0]])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "no such file"),
        (lambda p: p.write_text("not a png"), "not a readable image"),
        (lambda p: p.mkdir(), "is a folder"),
    ],
)
def test_bad_files_raise_a_clear_error(tmp_path, make, message):
    path = tmp_path / "x.png"
    make(path)
    with pytest.raises(ImageReadError, match=message):
        read_image(path)


def test_npy_must_hold_one_2d_array(tmp_path):
    np.save(tmp_path / "s.npy", np.ones((2, 3, 3)))
    with pytest.raises(ImageReadError, match="one real 2-D array"):
        read_image(tmp_path / "s.npy")


def test_resize_bilinear_is_non_negative_and_hits_the_shape():
    image = np.zeros((20, 30))
    image[5, 7] = 1.0
    resized = resize_image(image, (7, 11))
    assert resized.shape == (7, 11)
    assert resized.min() >= 0 and resized.sum() > 0


def test_folders(tmp_path):
    for name in ("b", "a"):
        (tmp_path / name).mkdir()
        for i in range(2):
            Image.fromarray(np.full((3, 3), 10 + i, dtype=np.uint8)).save(
                tmp_path / name / f"{i}.png")
    (tmp_path / "a" / "readme.txt").write_text("x")
    (tmp_path / "a" / ".hidden.png").write_text("x")
    images, labels, paths, ignored = read_labelled_folder(tmp_path)
    assert list(labels) == ["a", "a", "b", "b"]
    assert [p.name for p in ignored] == ["readme.txt"]
    assert all(image.shape == (3, 3) for image in images)
    flat, flat_paths, _ = read_image_folder(tmp_path)
    assert len(flat) == 4 and flat_paths == paths
    files, _ = image_files(tmp_path)
    assert files == []


def test_labelled_folder_errors(tmp_path):
    Image.fromarray(np.ones((2, 2), dtype=np.uint8)).save(tmp_path / "loose.png")
    with pytest.raises(ImageReadError, match=r"no class sub-folders.*1 image files directly"):
        read_labelled_folder(tmp_path)
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(ImageReadError, match="holds no image files"):
        read_labelled_folder(tmp_path)
    with pytest.raises(ImageReadError, match="no such folder"):
        read_labelled_folder(tmp_path / "missing")
    with pytest.raises(ImageReadError, match="holds no image files"):
        read_image_folder(tmp_path / "empty_class")


def test_npz_round_trip_and_errors(tmp_path):
    X = RNG.uniform(size=(4, 6))
    np.savez(tmp_path / "d.npz", X=X, y=[0, 0, 1, 1], image_shape=[2, 3])
    X_read, y, shape = read_npz(tmp_path / "d.npz")
    np.testing.assert_array_equal(X_read, X)
    assert list(y) == [0, 0, 1, 1] and shape == (2, 3)
    np.savez(tmp_path / "no_y.npz", X=X)
    with pytest.raises(ImageReadError, match="lacks the array"):
        read_npz(tmp_path / "no_y.npz")
    np.savez(tmp_path / "short.npz", X=X, y=[0, 1])
    with pytest.raises(ImageReadError, match="4 images but y holds 2"):
        read_npz(tmp_path / "short.npz")
    np.savez(tmp_path / "clash.npz", X=np.ones((2, 3, 4)), y=[0, 1], image_shape=[4, 3])
    with pytest.raises(ImageReadError, match="disagrees"):
        read_npz(tmp_path / "clash.npz")
    for bad in ([2.5, 3], "2x3", [2, 3, 1]):
        np.savez(tmp_path / "odd.npz", X=X, y=[0, 0, 1, 1], image_shape=bad)
        with pytest.raises(ImageReadError, match="image_shape must hold two positive integers"):
            read_npz(tmp_path / "odd.npz")
    np.savez(tmp_path / "masks.npz", X=X > 0.5, y=[0, 0, 1, 1])
    np.testing.assert_array_equal(read_npz(tmp_path / "masks.npz")[0], (X > 0.5).astype(float))
    (tmp_path / "junk.npz").write_text("junk")
    with pytest.raises(ImageReadError, match=r"not a readable \.npz"):
        read_npz(tmp_path / "junk.npz")
