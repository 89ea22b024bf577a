"""Pictures of where the light moves (optional: matplotlib, from the ``examples`` extra)."""

from __future__ import annotations

import numpy as np

__all__ = ["plot_displacement"]


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
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "plot_displacement needs matplotlib: pip install 'skimgdist[examples]'."
        ) from error
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
