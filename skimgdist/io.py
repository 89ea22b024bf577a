"""Reading images from files: one image, a folder of images, a labelled folder tree or an ``.npz``.

Image files are decoded with Pillow, an optional dependency (``pip install
"skimgdist[io]"``); ``.npy`` files holding one 2-D array and ``.npz`` data sets are
read with NumPy alone.

Conversion rules (the same everywhere in skimgdist's command line):

- **Colour to grayscale**: ITU-R 601-2 luma, :math:`L = 0.299 R + 0.587 G + 0.114 B`,
  the rule of Pillow's ``"L"`` mode, but computed in float64 without rounding to
  8 bits.  Palette, CMYK, YCbCr, LAB and HSV images are first converted to RGB.
- **Transparency**: the alpha channel multiplies the intensity (a fully transparent
  pixel carries no light).
- **Scale**: 8-bit pixels are divided by 255 and 16-bit pixels by 65535, so both
  land in [0, 1]; 1-bit images and boolean ``.npy`` masks give 0 and 1; 32-bit
  integer (``"I"``) and floating-point (``"F"``) images, and other ``.npy`` arrays,
  are used as stored.
  Distribution metrics rescale every image to unit mass, so the scale only
  matters for the others.
- **Multi-frame files** (animated GIF, TIFF stacks): the first frame.

Pillow decodes 48-bit (16 bits per channel) colour PNGs to 8 bits per channel;
16-bit *grayscale* images keep their full precision.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np

from ._config import check_allocation, check_input_size

__all__ = [
    "ImageReadError",
    "image_files",
    "read_image",
    "read_image_folder",
    "read_labelled_folder",
    "read_npz",
    "resize_image",
]

_LUMA = np.array([0.299, 0.587, 0.114])
_NUMPY_SUFFIXES = (".npy",)
class ImageReadError(ValueError):
    """A file or folder could not be read as images; the message names it and the fix."""


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise ImageReadError(
            'reading image files needs Pillow: install it with pip install "skimgdist[io]" '
            "(or pip install pillow), or pass images as .npy arrays"
        ) from None
    return Image


def _image_suffixes():
    try:
        Image = _pillow()
    except ImageReadError:
        return set(_NUMPY_SUFFIXES)
    return {suffix.lower() for suffix in Image.registered_extensions()} | set(_NUMPY_SUFFIXES)


def read_image(path):
    """Read one image file as a 2-D float64 array of grayscale intensities.

    Parameters
    ----------
    path : str or path-like
        An image file Pillow can decode (PNG, TIFF, JPEG, BMP, ...) or a ``.npy``
        file holding one 2-D array.  See the module docstring for the colour,
        transparency and scale rules.

    Returns
    -------
    image : ndarray of shape (height, width), float64

    Raises
    ------
    ImageReadError
        If the file is missing, is not an image, or cannot be decoded; the message
        names the file.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from PIL import Image
    >>> from skimgdist.io import read_image
    >>> rgb = np.zeros((2, 3, 3), dtype=np.uint8)
    >>> rgb[0, 0] = [255, 0, 0]
    >>> path = os.path.join(tempfile.mkdtemp(), "red.png")
    >>> Image.fromarray(rgb).save(path)
    >>> image = read_image(path)
    >>> image.shape, round(float(image[0, 0]), 3)
    ((2, 3), 0.299)
    """
    path = Path(path)
    if not path.exists():
        raise ImageReadError(f"{path}: no such file")
    if path.is_dir():
        raise ImageReadError(f"{path} is a folder, not an image file")
    if path.suffix.lower() in _NUMPY_SUFFIXES:
        return _read_npy(path)
    Image = _pillow()
    try:
        with Image.open(path) as image:
            image.seek(0)
            # Image.open reads the header only: refuse a huge image before decoding it.
            width, height = image.size
            _check_size(path, (height, width), 8 * (len(image.getbands()) + 1))
            return _to_grayscale(image)
    except Image.DecompressionBombError as error:
        raise ImageReadError(f"{path} is refused as a decompression bomb ({error})") from None
    except ImageReadError:
        raise
    except (OSError, SyntaxError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ImageReadError(f"{path} is not a readable image ({reason})") from None


def _check_size(path, shape, bytes_per_element, *, collection=False):
    """Refuse, before reading, a file whose declared array would not fit.

    One image must fit the working-memory budget (each pair's work holds it whole); a
    collection of images may use up to half of the machine's memory.
    """
    check = check_input_size if collection else check_allocation
    try:
        check(math.prod(shape) * bytes_per_element,
              f"{path} declares an array of shape {tuple(shape)}, which",
              "Shrink the file first (crop or downscale it), or read a smaller one.")
    except ValueError as error:
        raise ImageReadError(str(error)) from None


def _check_npy_header(path, stream, name=None):
    """Check the shape and dtype an ``.npy`` header declares, before the data is read."""
    try:
        version = np.lib.format.read_magic(stream)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                       (2, 0): np.lib.format.read_array_header_2_0}.get(version)
        if read_header is None:
            return
        shape, _, dtype = read_header(stream)
    except ValueError:
        return  # not a valid header: np.load reports it
    where = path if name is None else f"{path} (array {name})"
    # The array and its float64 copy.
    _check_size(where, shape, dtype.itemsize + 8, collection=name is not None)


def _read_npy(path):
    try:
        with open(path, "rb") as stream:
            _check_npy_header(path, stream)
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ImageReadError(f"{path} is not a readable .npy array ({error})") from None
    if array.ndim != 2 or not _is_real(array):
        raise ImageReadError(
            f"{path} holds an array of shape {array.shape} and dtype {array.dtype}; an image "
            f"file in .npy form must be one real 2-D array (height, width)"
        )
    return array.astype(np.float64)


def _is_real(array):
    """Real numbers or booleans (masks: 0 and 1), not complex, strings or objects."""
    number = np.issubdtype(array.dtype, np.number) and not np.iscomplexobj(array)
    return number or array.dtype == np.bool_


def _to_grayscale(image):
    mode = image.mode
    if mode == "1":
        return np.asarray(image, dtype=np.float64)
    if mode.startswith("I;16"):
        return np.asarray(image, dtype=np.float64) / 65535.0
    if mode in ("I", "F"):
        return np.asarray(image, dtype=np.float64)
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif mode == "PA":
        image = image.convert("RGBA")
    elif mode not in ("L", "LA", "RGB", "RGBA"):
        image = image.convert("RGB")
    pixels = np.asarray(image, dtype=np.float64) / 255.0
    if image.mode == "L":
        return pixels
    if image.mode == "LA":
        return pixels[..., 0] * pixels[..., 1]
    gray = pixels[..., :3] @ _LUMA
    if image.mode == "RGBA":
        gray *= pixels[..., 3]
    return gray


def resize_image(image, shape):
    """Resample a 2-D image to ``shape = (height, width)`` with Pillow's bilinear filter.

    The filter is a triangle kernel widened by the shrink factor when reducing
    (antialiased, close to area averaging), so the result never has negative
    pixels.  Total intensity is not conserved; distribution metrics rescale every
    image to unit mass anyway.  For mass-exact reduction use
    :class:`skimgdist.preprocessing.Downscale`.

    Parameters
    ----------
    image : ndarray of shape (h, w)
    shape : tuple of two int
        Target ``(height, width)``.

    Returns
    -------
    resized : ndarray of shape ``shape``, float64

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist.io import resize_image
    >>> resize_image(np.ones((4, 6)), (2, 3))
    array([[1., 1., 1.],
           [1., 1., 1.]])
    """
    Image = _pillow()
    height, width = shape
    if tuple(image.shape) == (height, width):
        return np.asarray(image, dtype=np.float64)
    resized = Image.fromarray(np.asarray(image, dtype=np.float32), mode="F").resize(
        (width, height), Image.Resampling.BILINEAR
    )
    return np.asarray(resized, dtype=np.float64)


def image_files(folder, *, recursive=False):
    """Image files in a folder, sorted; hidden files and other suffixes are left out.

    Parameters
    ----------
    folder : str or path-like
    recursive : bool, default=False
        Also look into sub-folders.

    Returns
    -------
    files : list of Path
        Files whose suffix Pillow can decode (or ``.npy``).
    ignored : list of Path
        Other visible files that were left out.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from skimgdist.io import image_files
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.png").write_bytes(b""), (folder / "notes.txt").write_text("x")
    >>> files, ignored = image_files(folder)
    >>> [f.name for f in files], [f.name for f in ignored]
    (['a.png'], ['notes.txt'])
    """
    folder = Path(folder)
    if not folder.exists():
        raise ImageReadError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise ImageReadError(f"{folder} is a file, expected a folder of images")
    suffixes = _image_suffixes()
    candidates = folder.rglob("*") if recursive else folder.iterdir()
    files, ignored = [], []
    for path in sorted(candidates):
        if not path.is_file() or any(part.startswith(".") for part in
                                     path.relative_to(folder).parts):
            continue
        (files if path.suffix.lower() in suffixes else ignored).append(path)
    return files, ignored


def read_image_folder(folder, *, recursive=True):
    """Read every image file under a folder.

    Parameters
    ----------
    folder : str or path-like
    recursive : bool, default=True
        Also read images in sub-folders.

    Returns
    -------
    images : list of ndarray of shape (h, w)
        One 2-D float64 array per file (sizes may differ).
    paths : list of Path
        The files, sorted, in the order of ``images``.
    ignored : list of Path
        Visible files that are not images by their suffix.

    Raises
    ------
    ImageReadError
        If the folder is missing or holds no image file, or a file is unreadable.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from skimgdist.io import read_image_folder
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> np.save(folder / "a.npy", np.ones((2, 2)))
    >>> images, paths, ignored = read_image_folder(folder)
    >>> len(images), paths[0].name
    (1, 'a.npy')
    """
    files, ignored = image_files(folder, recursive=recursive)
    if not files:
        raise ImageReadError(f"{folder} holds no image files")
    return [read_image(path) for path in files], files, ignored


def read_labelled_folder(folder):
    """Read a labelled image set: one sub-folder per class, holding that class's images.

    Parameters
    ----------
    folder : str or path-like
        ``folder/<class name>/<image files>``; images deeper down belong to the
        class of their top-level sub-folder.

    Returns
    -------
    images : list of ndarray of shape (h, w)
    labels : ndarray of str
        The class (sub-folder name) of each image.
    paths : list of Path
    ignored : list of Path
        Visible non-image files that were left out.

    Raises
    ------
    ImageReadError
        If the folder is missing, has no class sub-folders, or a class folder holds
        no images.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from skimgdist.io import read_labelled_folder
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("cat", "dog"):
    ...     (root / name).mkdir()
    ...     np.save(root / name / "1.npy", np.ones((2, 2)))
    >>> images, labels, paths, ignored = read_labelled_folder(root)
    >>> labels.tolist()
    ['cat', 'dog']
    """
    folder = Path(folder)
    top_files, ignored = image_files(folder)
    classes = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        found = f" (it holds {len(top_files)} image files directly)" if top_files else ""
        raise ImageReadError(
            f"{folder} has no class sub-folders{found}; a labelled image set is a folder with "
            f"one sub-folder of images per class"
        )
    ignored = ignored + top_files
    images, labels, paths = [], [], []
    for class_folder in classes:
        files, class_ignored = image_files(class_folder, recursive=True)
        ignored += class_ignored
        if not files:
            raise ImageReadError(f"class folder {class_folder} holds no image files")
        images += [read_image(path) for path in files]
        labels += [class_folder.name] * len(files)
        paths += files
    return images, np.asarray(labels), paths, ignored


def read_npz(path):
    """Read a labelled image set from an ``.npz`` file with arrays ``X``, ``y`` and ``image_shape``.

    Parameters
    ----------
    path : str or path-like
        ``X``: flattened images, one per row (or a stack of shape ``(n, h, w)``);
        ``y``: one label per image; ``image_shape`` (optional): ``(height, width)``,
        inferred as square when absent.

    Returns
    -------
    X : ndarray of shape (n_images, n_pixels), float64
    y : ndarray of shape (n_images,)
    image_shape : tuple of two int or None

    Raises
    ------
    ImageReadError
        If the file is missing or unreadable, or ``X``/``y`` are missing or do not
        match.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from skimgdist.io import read_npz
    >>> path = os.path.join(tempfile.mkdtemp(), "data.npz")
    >>> np.savez(path, X=np.ones((3, 4, 4)), y=[0, 1, 1])
    >>> X, y, shape = read_npz(path)
    >>> X.shape, shape
    ((3, 16), (4, 4))
    """
    path = Path(path)
    if not path.is_file():
        raise ImageReadError(f"{path}: no such file")
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    if member.endswith(".npy"):
                        with archive.open(member) as stream:
                            _check_npy_header(path, stream, member[:-4])
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except ImageReadError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        reason = str(error).splitlines()[0]
        raise ImageReadError(f"{path} is not a readable .npz file ({reason})") from None
    missing = [name for name in ("X", "y") if name not in arrays]
    if missing:
        raise ImageReadError(
            f"{path} lacks the array(s) {', '.join(missing)}; a data set .npz holds X "
            f"(one flattened image per row), y (labels) and optionally image_shape "
            f"(found: {', '.join(sorted(arrays)) or 'nothing'})"
        )
    X, y = arrays["X"], np.ravel(arrays["y"])
    if not _is_real(X) or X.ndim not in (2, 3):
        raise ImageReadError(
            f"{path}: X must be a real numeric array of shape (n_images, n_pixels) or "
            f"(n_images, height, width), got shape {X.shape} and dtype {X.dtype}"
        )
    image_shape = tuple(int(s) for s in X.shape[1:]) if X.ndim == 3 else None
    if "image_shape" in arrays:
        stored = arrays["image_shape"]
        if (not np.issubdtype(stored.dtype, np.integer) or stored.size != 2
                or np.any(stored < 1)):
            raise ImageReadError(
                f"{path}: image_shape must hold two positive integers (height, width), got "
                f"{stored.tolist()!r}"
            )
        stored = tuple(int(s) for s in np.ravel(stored))
        if image_shape is not None and stored != image_shape:
            raise ImageReadError(
                f"{path}: image_shape {stored} disagrees with the shape of X {X.shape}"
            )
        image_shape = stored
    if len(y) != len(X):
        raise ImageReadError(f"{path}: X holds {len(X)} images but y holds {len(y)} labels")
    return X.reshape(len(X), -1).astype(np.float64), y, image_shape
