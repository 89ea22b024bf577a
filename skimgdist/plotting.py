"""Pictures of image distances, for the examples, the documentation and the command line.

- :func:`plot_comparison`: two images, where their light differs, and a bar chart of
  distances between them (``skimgdist compare --plot``).
- :func:`plot_evaluation`: accuracy against time per pair of each distance, from the
  results of ``skimgdist evaluate`` (``skimgdist evaluate --plot``).
- :func:`plot_flow` and :func:`flow_field`: where the light moves in an optimal transport
  from :meth:`skimgdist.metrics.Wasserstein.transport`, as arrows over the image.
- :func:`plot_displacement`: the barycentric displacement of an entropic plan from
  :meth:`skimgdist.metrics.Sinkhorn.transport`, as arrows over the source image.

matplotlib is imported only when a function is called; install it with
``pip install "skimgdist[examples]"``.  Every function returns the matplotlib
``Figure`` it drew, for you to show or save.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ._image import check_images, to_unit_mass

__all__ = ["flow_field", "plot_comparison", "plot_displacement", "plot_evaluation", "plot_flow"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            'skimgdist.plotting needs matplotlib: install it with pip install "skimgdist[examples]"'
        ) from error
    return plt


def plot_comparison(image_a, image_b, distances, *, image_shape=None, labels=("A", "B"),
                    title=None):
    """Draw two images, the difference of their light, and the distances between them.

    Three image panels (A, B, and A - B after scaling each image to unit mass, in a
    diverging colour map centred on zero) above a horizontal bar chart with one bar per
    distance, its value written beside it.  The bar axis is logarithmic when the
    positive distances span more than two decades.

    Parameters
    ----------
    image_a, image_b : array-like of shape (height, width) or (n_pixels,)
        The two images: non-negative light with positive total mass.
    distances : mapping of str to float or None
        Distance name to value, in the order to draw; ``None`` marks a distance that
        was not computed (drawn as an empty bar labelled "skipped").
    image_shape : tuple of two int, default=None
        ``(height, width)`` of flattened images; taken from 2-D images, inferred as
        square otherwise.
    labels : tuple of two str, default=("A", "B")
        Names of the two images in the panel titles.
    title : str, default=None
        Title of the whole figure.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure drawn: three image panels with colour bars above the bar chart.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    ValueError
        If the images differ in size or are not distributions of light, or if
        ``distances`` is empty.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import sliced_wasserstein, total_variation
    >>> from skimgdist.plotting import plot_comparison
    >>> rows, columns = np.indices((32, 32))
    >>> a = np.exp(-((rows - 12) ** 2 + (columns - 10) ** 2) / 8.0)
    >>> b = np.exp(-((rows - 12) ** 2 + (columns - 20) ** 2) / 8.0)
    >>> figure = plot_comparison(a, b, {
    ...     "sliced_wasserstein": sliced_wasserstein(a.ravel(), b.ravel()),
    ...     "total_variation": total_variation(a.ravel(), b.ravel()),
    ... })
    >>> len(figure.axes)  # three images, their colour bars, the bar chart
    7
    """
    if not isinstance(distances, Mapping) or not distances:
        raise ValueError("distances must be a non-empty mapping of distance name to value, "
                         "for example {'sliced_wasserstein': 3.2}")
    a, b = np.asarray(image_a), np.asarray(image_b)
    if a.shape != b.shape:
        raise ValueError(f"the two images differ in shape: {a.shape} and {b.shape}; resize "
                         f"one of them (skimgdist.io.resize_image) first")
    if image_shape is None and a.ndim == 2:
        image_shape = a.shape
    X, shape = check_images(np.stack([a.ravel(), b.ravel()]), image_shape=image_shape,
                            name="the images")
    plt = _pyplot()

    figure = plt.figure(figsize=(10, 6.5), layout="constrained")
    top, bottom = figure.subfigures(2, 1, height_ratios=[1.1, 1])
    image_axes = top.subplots(1, 3)
    first, second = X.reshape(2, *shape)
    for ax, image, name in zip(image_axes, (first, second), labels, strict=False):
        shown = ax.imshow(image, cmap="magma")
        ax.set_title(f"{name} ({shape[0]}x{shape[1]})")
        top.colorbar(shown, ax=ax, shrink=0.8)
    difference = (to_unit_mass(X[:1]) - to_unit_mass(X[1:])).reshape(shape)
    limit = float(np.abs(difference).max()) or 1.0
    shown = image_axes[2].imshow(difference, cmap="RdBu_r", vmin=-limit, vmax=limit)
    image_axes[2].set_title(f"{labels[0]} - {labels[1]} (unit mass each)")
    top.colorbar(shown, ax=image_axes[2], shrink=0.8)
    for ax in image_axes:
        ax.set_xticks([])
        ax.set_yticks([])

    ax = bottom.subplots()
    names = list(distances)
    values = np.array([np.nan if distances[n] is None else float(distances[n]) for n in names])
    positions = np.arange(len(names))
    ax.barh(positions, np.nan_to_num(values), color="tab:blue")
    ax.set_yticks(positions, names, fontsize=8)
    ax.invert_yaxis()
    positive = values[np.isfinite(values) & (values > 0)]
    if positive.size and positive.max() > 100 * positive.min():
        ax.set_xscale("log")
    for position, value in zip(positions, values, strict=True):
        if np.isfinite(value) and value > 0:
            ax.annotate(f" {value:.4g}", (value, position), va="center", fontsize=8)
        else:  # a bar of length 0 (or none): write beside the axis instead
            ax.annotate("skipped" if np.isnan(value) else f"{value:.4g}", (0, position),
                        xycoords=("axes fraction", "data"), xytext=(3, 0),
                        textcoords="offset points", va="center", fontsize=8, color="0.3")
    ax.set_xlabel("distance (transport distances in pixels; divergences unitless)")
    ax.margins(x=0.15)
    if title:
        figure.suptitle(title)
    return figure


def plot_evaluation(results, *, title=None, ax=None):
    """Draw cross-validated kNN accuracy against time per image pair, one point a distance.

    Parameters
    ----------
    results : list of dict
        One record per distance, as in the ``"results"`` of ``skimgdist evaluate
        --json``: keys ``"metric"``, ``"accuracy"``, ``"seconds_per_pair"`` and
        optionally ``"accuracy_std"`` (an error bar) and ``"preprocessing"`` (added
        to the label unless ``"none"``).  Records whose accuracy is ``None``
        (skipped distances) are left out.
    title : str, default=None
        Title of the axes.
    ax : matplotlib.axes.Axes, default=None
        Where to draw; a new figure when ``None``.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure drawn on; time per pair is on a log scale.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    ValueError
        If no record has an accuracy and a positive time per pair.

    Examples
    --------
    >>> from skimgdist.plotting import plot_evaluation
    >>> figure = plot_evaluation([
    ...     {"metric": "sliced_wasserstein", "accuracy": 0.95, "seconds_per_pair": 2e-5},
    ...     {"metric": "total_variation", "accuracy": 0.90, "seconds_per_pair": 1e-6},
    ... ], title="digits")
    >>> figure.axes[0].get_xscale()
    'log'
    """
    done = [r for r in results
            if r.get("accuracy") is not None and (r.get("seconds_per_pair") or 0) > 0]
    if not done:
        raise ValueError("no result has both an accuracy and a positive seconds_per_pair "
                         "to draw; were all distances skipped?")
    if ax is None:
        figure, ax = _pyplot().subplots(figsize=(8, 5.5), layout="constrained")
    else:
        figure = ax.figure
    crowd = {}  # labels of points that nearly coincide are stacked, not drawn on each other
    for record in done:
        seconds, accuracy = record["seconds_per_pair"], record["accuracy"]
        ax.errorbar(seconds, accuracy, yerr=record.get("accuracy_std"), fmt="o", capsize=3)
        label = record["metric"]
        if record.get("preprocessing", "none") != "none":
            label += f"\n[{record['preprocessing']}]"
        place = (round(np.log10(seconds) * 2), round(accuracy * 40))
        stacked = crowd[place] = crowd.get(place, -1) + 1
        ax.annotate(label, (seconds, accuracy), textcoords="offset points",
                    xytext=(5, 4 - 9 * stacked), fontsize=7)
    ax.set_xscale("log")
    ax.set_xlabel("time per image pair (s, log scale)")
    ax.set_ylabel("cross-validated kNN accuracy")
    if title:
        ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    return figure


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


def plot_displacement(transport, *, ax=None, step=None, min_mass=0.01, color="tab:red"):
    """Draw the barycentric displacement of an entropic plan over its source image.

    Each arrow starts at a source pixel and ends where its light goes on average
    (:attr:`~skimgdist.metrics.SinkhornTransport.displacement`), in the pixel
    coordinates of the image drawn underneath (rows down, columns right).

    Parameters
    ----------
    transport : SinkhornTransport
        The result of :meth:`skimgdist.Sinkhorn.transport`.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure's axes when ``None``.
    step : int, default=None
        Draw one arrow every ``step`` pixels along each axis; by default about 24
        arrows along the longer side.
    min_mass : float, default=0.01
        Skip pixels holding less than this fraction of the brightest pixel's light.
    color : color, default="tab:red"
        Colour of the arrows.

    Returns
    -------
    ax : matplotlib Axes

    Raises
    ------
    ImportError
        When matplotlib (the ``examples`` extra) is not installed.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist import Sinkhorn
    >>> from skimgdist.plotting import plot_displacement
    >>> x = np.zeros((8, 8)); x[2, 2] = 1
    >>> y = np.zeros((8, 8)); y[5, 4] = 1
    >>> ax = plot_displacement(Sinkhorn(reg=0.5).transport(x.ravel(), y.ravel()))
    >>> len(ax.collections[0].get_offsets())        # one arrow: the only lit pixel
    1
    """
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots()
    mass = transport.source_marginal
    height, width = mass.shape
    if step is None:
        step = max(1, max(height, width) // 24)
    rows, columns = np.mgrid[0:height:step, 0:width:step]
    shown = mass[rows, columns] >= min_mass * mass.max()
    moves = transport.displacement[rows, columns][shown]
    ax.imshow(mass, cmap="gray_r")
    ax.quiver(columns[shown], rows[shown], moves[:, 1], moves[:, 0], color=color,
              angles="xy", scale_units="xy", scale=1, width=0.004)
    ax.set_title(f"where the light moves (transport cost {transport.value:.4g})")
    return ax
