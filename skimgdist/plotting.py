"""Pictures of distances between images (matplotlib, from the ``examples`` extra)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["plot_flow"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "skimgdist.plotting needs matplotlib. Install it with "
            "pip install 'skimgdist[examples]' (or pip install matplotlib)."
        ) from error
    return plt


def flow_field(result, step=1):
    """Net mass displacement leaving each ``step x step`` block of pixels.

    For a transport plan (``result.kind == "plan"``) this is, per block, the sum of
    ``amount * (target - source)`` over the moves that leave it; for a grid flow
    (``"flow"``) the same sum over its arcs, i.e. the flux of light through the block
    (Beckmann's vector field).  Either way, its total is the mean displacement of
    the light.

    Parameters
    ----------
    result : TransportResult
        From :meth:`skimgdist.metrics.Wasserstein.transport`.
    step : int, default=1
        Block size in pixels.

    Returns
    -------
    rows, columns : ndarray of shape (n_blocks,)
        Block centres, in pixel coordinates.
    d_rows, d_columns : ndarray of shape (n_blocks,)
        The displacement summed over each block, in pixels times mass.
    amounts : ndarray of shape (n_blocks,)
        The mass moved out of each block (for a flow: summed over its arcs).

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist.metrics import Wasserstein
    >>> from skimgdist.plotting import flow_field
    >>> x = np.zeros((4, 4)); x[0, 0] = 1.0
    >>> y = np.zeros((4, 4)); y[0, 3] = 1.0
    >>> result = Wasserstein(ground_metric="cityblock").transport(x.ravel(), y.ravel())
    >>> rows, columns, d_rows, d_columns, amounts = flow_field(result, step=2)
    >>> d_rows.tolist(), d_columns.tolist()
    ([0.0, 0.0, 0.0, 0.0], [2.0, 1.0, 0.0, 0.0])
    """
    if not isinstance(step, int | np.integer) or step < 1:
        raise ValueError(f"step must be a positive integer (pixels per block), got {step!r}.")
    height, width = result.image_shape
    source_row, source_column = np.divmod(result.sources, width)
    target_row, target_column = np.divmod(result.targets, width)
    block_shape = (math.ceil(height / step), math.ceil(width / step))
    block = (source_row // step) * block_shape[1] + source_column // step
    n_blocks = block_shape[0] * block_shape[1]
    d_rows = np.bincount(block, result.amounts * (target_row - source_row), n_blocks)
    d_columns = np.bincount(block, result.amounts * (target_column - source_column), n_blocks)
    block_rows, block_columns = np.indices(block_shape).reshape(2, -1) * step
    rows = block_rows + (np.minimum(step, height - block_rows) - 1) / 2
    columns = block_columns + (np.minimum(step, width - block_columns) - 1) / 2
    return rows, columns, d_rows, d_columns, np.bincount(block, result.amounts, n_blocks)


def plot_flow(result, image=None, *, step=None, ax=None, color="tab:red", cmap="gray"):
    """Draw where the light moves: the optimal transport as arrows over the image.

    Each arrow is the net displacement of the light leaving a ``step x step`` block
    (:func:`flow_field`).  For a dense plan it is drawn to scale: the mean displacement
    of the block's light, in pixels.  For a grid flow it is the flux of light through
    the block, scaled so that the strongest arrow spans one block.

    Parameters
    ----------
    result : TransportResult
        From :meth:`skimgdist.metrics.Wasserstein.transport`.
    image : array-like, default=None
        An image to draw underneath (flattened or 2-D, ``result.image_shape``),
        typically the source image ``x``.
    step : int, default=None
        Block size in pixels; None gives about 24 arrows along the longer side.
    ax : matplotlib.axes.Axes, default=None
        Where to draw; None uses the current axes.
    color : str, default="tab:red"
        Arrow colour.
    cmap : str, default="gray"
        Colour map of ``image``.

    Returns
    -------
    ax : matplotlib.axes.Axes

    Raises
    ------
    ImportError
        If matplotlib (the ``examples`` extra) is not installed.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skimgdist.metrics import Wasserstein
    >>> from skimgdist.plotting import plot_flow
    >>> x = np.zeros((16, 16)); x[2:6, 2:6] = 1.0
    >>> y = np.roll(x, (6, 8), axis=(0, 1))
    >>> result = Wasserstein(ground_metric="cityblock").transport(x.ravel(), y.ravel())
    >>> ax = plot_flow(result, x, step=2)
    >>> len(ax.collections)  # the arrows
    1
    """
    plt = _pyplot()
    if ax is None:
        ax = plt.gca()
    height, width = result.image_shape
    if image is not None:
        picture = np.asarray(image, dtype=float)
        if picture.size != height * width:
            raise ValueError(f"image has {picture.size} pixels; the transport result is "
                             f"for {height}x{width} images. Pass the image it was computed on.")
        ax.imshow(picture.reshape(height, width), cmap=cmap, interpolation="nearest")
    if step is None:
        step = max(1, math.ceil(max(height, width) / 24))
    rows, columns, d_rows, d_columns, amounts = flow_field(result, step)
    moving = (d_rows != 0) | (d_columns != 0)
    rows, columns, d_rows, d_columns = rows[moving], columns[moving], d_rows[moving], \
        d_columns[moving]
    if result.kind == "plan":
        length = amounts[moving]
    else:
        length = np.full(len(rows), np.hypot(d_rows, d_columns).max(initial=0.0) / step)
    ax.quiver(columns, rows, d_columns / length, d_rows / length, angles="xy",
              scale_units="xy", scale=1.0, color=color, width=0.004)
    ax.set_xlim(-0.5, width - 0.5)
    ax.set_ylim(height - 0.5, -0.5)
    ax.set_aspect("equal")
    return ax
