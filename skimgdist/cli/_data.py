"""Turning the command line's files into validated rows of images, and preprocessing them."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._image import check_images, resolve_image_shape
from ..io import ImageReadError, read_image, read_image_folder, read_labelled_folder, read_npz
from ._errors import CLIError
from ._metrics import one_line
from ._options import check_memory

_SHAPE = re.compile(r"^\s*(\d+)\s*[xX]\s*(\d+)\s*$")


def parse_shape(text, option):
    """``"30x40"`` -> ``(30, 40)``; a clear error naming ``option`` otherwise."""
    match = _SHAPE.match(text)
    if not match or min(int(match[1]), int(match[2])) < 1:
        raise CLIError(f"{option} expects HEIGHTxWIDTH such as 30x30, got {text!r}")
    return (int(match[1]), int(match[2]))


def parse_downscale(text):
    """``"4"`` -> factor 4, ``"30x30"`` -> output shape ``(30, 30)``, ``"1"`` -> no downscale."""
    if "x" in text.lower():
        return parse_shape(text, "--downscale")
    try:
        factor = int(text)
    except ValueError:
        factor = 0
    if factor < 1:
        raise CLIError(
            f"--downscale expects an integer factor >= 1 or HEIGHTxWIDTH, got {text!r}"
        )
    return None if factor == 1 else factor


def parse_blur(text):
    """``"1.5"`` -> sigma 1.5 pixels; ``"0"`` -> no blur."""
    try:
        sigma = float(text)
    except ValueError:
        sigma = -1.0
    if not np.isfinite(sigma) or sigma < 0:
        raise CLIError(f"--blur expects a Gaussian sigma >= 0 in pixels, got {text!r}")
    return sigma or None


@dataclass(frozen=True)
class Preprocessing:
    """Downscale (factor or output shape), then blur (sigma in downscaled pixels)."""

    downscale: int | tuple | None = None
    blur: float | None = None

    @property
    def label(self):
        steps = []
        if self.downscale is not None:
            steps.append(f"downscale {_describe(self.downscale)}")
        if self.blur is not None:
            steps.append(f"blur {self.blur:g}")
        return " + ".join(steps) or "none"


def add_preprocessing_arguments(parser, images):
    """``--downscale``, ``--blur`` and ``--resize`` of a command that preprocesses one way."""
    parser.add_argument("--downscale", metavar="F|HxW",
                        help="sum pixels by an integer factor, or to HEIGHTxWIDTH")
    parser.add_argument("--blur", metavar="SIGMA", help="Gaussian blur width in pixels")
    parser.add_argument("--resize", metavar="HxW",
                        help=f"resample {images} to HEIGHTxWIDTH first (bilinear)")


def parse_preprocessing(args):
    """The ``--resize`` shape (or None) and the :class:`Preprocessing` those options ask for."""
    resize = parse_shape(args.resize, "--resize") if args.resize else None
    return resize, Preprocessing(parse_downscale(args.downscale) if args.downscale else None,
                                 parse_blur(args.blur) if args.blur else None)


def _size(value):
    return f"{value[0]}x{value[1]}" if isinstance(value, tuple) else str(value)


def _describe(value):
    return f"to {_size(value)}" if isinstance(value, tuple) else f"by {value}"


def preprocessing_grid(downscales, blurs):
    """Every combination of the ``--downscale`` and ``--blur`` lists (comma-separated)."""
    downscale = [parse_downscale(t) for text in downscales for t in text.split(",")] or [None]
    blur = [parse_blur(t) for text in blurs for t in text.split(",")] or [None]
    return [Preprocessing(d, b) for d, b in itertools.product(dict.fromkeys(downscale),
                                                               dict.fromkeys(blur))]


@dataclass
class Images:
    """Images as read: 2-D arrays of possibly different sizes, their names and labels."""

    arrays: list
    names: list
    labels: np.ndarray | None = None
    source: str = ""


def _read(read, *args):
    try:
        return read(*args)
    except ImageReadError as error:
        raise CLIError(one_line(error)) from None


def load_image(path):
    """One image file as :class:`Images`."""
    return Images([_read(read_image, path)], [str(path)], source=str(path))


def load_gallery(folder):
    """Every image file under ``folder`` (recursively)."""
    arrays, paths, _ = _read(read_image_folder, folder)
    root = Path(folder)
    return Images(arrays, [str(p.relative_to(root)) for p in paths], source=str(folder))


def load_labelled(data):
    """A labelled set: a folder of class sub-folders, or an ``.npz`` with ``X``, ``y``."""
    path = Path(data)
    if path.is_dir():
        arrays, labels, paths, _ = _read(read_labelled_folder, path)
        names = [str(p.relative_to(path)) for p in paths]
        return Images(arrays, names, labels, source=str(path))
    if path.suffix.lower() == ".npz" or path.is_file():
        X, y, image_shape = _read(read_npz, path)
        if image_shape is None:
            try:
                resolve_image_shape(X.shape[1])
            except ValueError:
                raise CLIError(
                    f"{path}: X holds {X.shape[1]} pixels per image, not a square number, and "
                    f"the file stores no image_shape; save it with np.savez(..., X=X, y=y, "
                    f"image_shape=(height, width)), or save X as an (n_images, height, width) "
                    f"stack"
                ) from None
        try:
            _, shape = check_images(X, image_shape=image_shape, distribution=False,
                                    name=f"X in {path}")
        except ValueError as error:
            raise CLIError(one_line(error)) from None
        arrays = list(X.reshape(len(X), *shape))
        return Images(arrays, [f"row {i} of X in {path}" for i in range(len(X))], y,
                      source=str(path))
    raise CLIError(f"{data}: no such file or folder (expected a folder of class sub-folders "
                   f"or an .npz file)")


def to_rows(images, preprocessing=Preprocessing(), *, resize=None):
    """Validate, resize, preprocess and stack images into rows; returns ``X, image_shape``.

    Every image must be a distribution of light (finite, non-negative, some light);
    errors name the file.  Images of different sizes need ``--resize`` or
    ``--downscale HxW``.
    """
    from ..io import resize_image

    if resize is not None:
        check_memory(3 * 8 * len(images.arrays) * resize[0] * resize[1],
                     f"--resize {resize[0]}x{resize[1]} of {len(images.arrays)} image(s)",
                     "choose a smaller size")
    if preprocessing.blur is not None:
        radius = np.floor(4 * preprocessing.blur + 0.5)
        check_memory(16 * (2 * radius + 1), f"--blur {preprocessing.blur:g}",
                     "a blur wider than the image spreads its light evenly anyway; choose a "
                     "sigma below the image size")
    arrays = []
    for array, name in zip(images.arrays, images.names, strict=True):
        try:
            check_images(array.ravel(), image_shape=array.shape, name=name, single=True)
        except ValueError as error:
            raise CLIError(one_line(error)) from None
        arrays.append(resize_image(array, resize) if resize is not None else array)
    if isinstance(preprocessing.downscale, tuple):
        arrays = _downscale_each(arrays, images.names, preprocessing.downscale)
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        first = arrays[0].shape
        other = next(i for i, a in enumerate(arrays) if a.shape != first)
        raise CLIError(
            f"images have different sizes: {images.names[0]} is {first[0]}x{first[1]} but "
            f"{images.names[other]} is {arrays[other].shape[0]}x{arrays[other].shape[1]}; "
            f"pass --resize HxW (interpolate) or --downscale HxW (sum pixels) to compare them"
        )
    stack = np.stack(arrays)
    if isinstance(preprocessing.downscale, int):
        stack = _downscale(stack, preprocessing.downscale, images.source)
    if preprocessing.blur is not None:
        stack = _blur(stack, preprocessing.blur)
    return stack.reshape(len(stack), -1), stack.shape[1:]


def downscale_rows(X, image_shape, factor):
    """Flattened images downscaled by ``factor`` (light conserved): ``X_small, shape``."""
    stack = _downscale(X.reshape(len(X), *image_shape), factor, "the images")
    return stack.reshape(len(stack), -1), stack.shape[1:]


def _downscale_each(arrays, names, target):
    """Downscale images of any sizes to ``target``, one call per distinct size."""
    result = list(arrays)
    for shape in {a.shape for a in arrays}:
        members = [i for i, a in enumerate(arrays) if a.shape == shape]
        pooled = _downscale(np.stack([arrays[i] for i in members]), target, names[members[0]])
        for i, image in zip(members, pooled, strict=True):
            result[i] = image
    return result


def _downscale(stack, target, name):
    from ..preprocessing import Downscale

    if isinstance(target, int) and target > max(stack.shape[1:]):
        raise CLIError(f"--downscale {target} on {name}: the factor exceeds the "
                       f"{stack.shape[1]}x{stack.shape[2]} image; choose at most "
                       f"{max(stack.shape[1:])}")
    option = {"output_shape": target} if isinstance(target, tuple) else {"factor": target}
    transformer = Downscale(image_shape=stack.shape[1:], **option)
    try:
        X = transformer.fit_transform(stack.reshape(len(stack), -1))
    except ValueError as error:
        raise CLIError(f"--downscale {_size(target)} on {name}: {one_line(error)}") from None
    return X.reshape(len(stack), *transformer.output_shape_)


def _blur(stack, sigma):
    from ..preprocessing import GaussianBlur

    X = GaussianBlur(sigma=sigma, image_shape=stack.shape[1:]).fit_transform(
        stack.reshape(len(stack), -1))
    return X.reshape(stack.shape)
