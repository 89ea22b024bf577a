"""Preprocessing benchmarks: Downscale and GaussianBlur on a batch of 299x299 images.

References: scikit-image's ``downscale_local_mean`` (times the block area, to sum), a
zero-padded reshape-sum in NumPy, and ``scipy.ndimage.gaussian_filter`` image by image.
"""

import numpy as np
from _harness import Case, Impl
from scipy import ndimage
from skimage.transform import downscale_local_mean

from skimgdist import Downscale, GaussianBlur


def _batch(n_images, side):
    def setup():
        return np.random.default_rng(0).random((n_images, side * side))

    return setup


def _skimage_block_sum(X, factor):
    side = int(np.sqrt(X.shape[1]))
    images = X.reshape(len(X), side, side)
    return downscale_local_mean(images, (1, factor, factor)).reshape(len(X), -1) * factor**2


def _numpy_reshape_sum(X, factor):
    side = int(np.sqrt(X.shape[1]))
    blocks = -(-side // factor)
    images = X.reshape(len(X), side, side)
    pad = blocks * factor - side
    if pad:
        images = np.pad(images, ((0, 0), (0, pad), (0, pad)))
    return images.reshape(len(X), blocks, factor, blocks, factor).sum(axis=(2, 4)).reshape(
        len(X), -1)


def _scipy_blur_each(X, sigma):
    side = int(np.sqrt(X.shape[1]))
    return np.stack([ndimage.gaussian_filter(image.reshape(side, side), sigma).ravel()
                     for image in X])


def _agree(ours, reference):
    np.testing.assert_allclose(ours, reference, rtol=1e-10, atol=1e-12)


def cases(quick=False):
    n_images, side, factor = (10, 59, 10) if quick else (200, 299, 10)
    even_side = factor * (side // factor + 1)  # 300: the factor divides it
    out = -(-side // factor)
    sigma = 2.0
    block_refs = [
        Impl("skimage downscale_local_mean x f^2", lambda X: _skimage_block_sum(X, factor),
             units=n_images),
        Impl("NumPy zero-pad + reshape-sum", lambda X: _numpy_reshape_sum(X, factor),
             units=n_images),
    ]
    return [
        Case(
            name=f"Downscale {n_images} x {side}x{side}, factor={factor} -> {out}x{out} "
                 f"(partial last block)",
            setup=_batch(n_images, side),
            ours=Impl("skimgdist Downscale(factor)",
                      lambda X: Downscale(factor=factor).transform(X), units=n_images),
            references=block_refs,
            memory=not quick,
            check=_agree,
        ),
        Case(
            name=f"Downscale {n_images} x {even_side}x{even_side}, factor={factor} (divides)",
            setup=_batch(n_images, even_side),
            ours=Impl("skimgdist Downscale(factor)",
                      lambda X: Downscale(factor=factor).transform(X), units=n_images),
            references=block_refs,
            check=_agree,
        ),
        Case(
            name=f"Downscale {n_images} x {side}x{side} -> output_shape {out}x{out} "
                 f"(exact area pooling; references pool blocks, timing anchor only)",
            setup=_batch(n_images, side),
            ours=Impl("skimgdist Downscale(output_shape)",
                      lambda X: Downscale(output_shape=(out, out)).transform(X),
                      units=n_images),
            references=block_refs,
            memory=not quick,
        ),
        Case(
            name=f"GaussianBlur {n_images} x {side}x{side}, sigma={sigma}",
            setup=_batch(n_images, side),
            ours=Impl("skimgdist GaussianBlur", lambda X: GaussianBlur(sigma=sigma).transform(X),
                      units=n_images),
            references=[Impl("scipy.ndimage.gaussian_filter per image",
                             lambda X: _scipy_blur_each(X, sigma), units=n_images)],
            memory=not quick,
            check=_agree,
        ),
    ]
