"""Look up distances by name, function or class."""

from __future__ import annotations

import inspect

from ._base import ImageMetric


def available_metrics():
    """Every public distance by name: ``{"function_name": MetricClass}``.

    Returns
    -------
    metrics : dict of str to type
        Keys are the names of the plain functions (``"sliced_wasserstein"``, ...),
        values the matching :class:`ImageMetric` subclasses.

    Examples
    --------
    >>> from skimgdist.metrics import available_metrics
    >>> isinstance(available_metrics(), dict)
    True
    """
    from skimgdist import metrics

    return {
        name: getattr(metrics, name).metric_class
        for name in sorted(metrics.__all__)
        if hasattr(getattr(metrics, name), "metric_class")
    }


def get_metric(metric, **params):
    """Return a configured :class:`ImageMetric` for a name, function, class or instance.

    Parameters
    ----------
    metric : str, callable, ImageMetric subclass or instance
        A name from :func:`available_metrics`, a skimgdist function such as
        ``skimgdist.sliced_wasserstein``, a metric class, or a configured instance.
    **params
        Parameters for the metric (for an instance, they override its own).

    Returns
    -------
    metric : ImageMetric
        A new object; an instance passed in is cloned, never modified.

    Raises
    ------
    ValueError
        If the name is unknown or ``metric`` is not a skimgdist distance.
    TypeError
        If a parameter is not one of the metric's; the message lists the valid ones.

    Examples
    --------
    >>> from skimgdist.metrics import ImageMetric, get_metric
    >>> class Zero(ImageMetric):
    ...     def __init__(self, *, image_shape=None):
    ...         self.image_shape = image_shape
    >>> get_metric(Zero, image_shape=(2, 2))
    Zero(image_shape=(2, 2))
    """
    from sklearn.base import clone

    if isinstance(metric, ImageMetric):
        return clone(metric).set_params(**params)
    if inspect.isclass(metric) and issubclass(metric, ImageMetric):
        return _construct(metric, params)
    if callable(metric) and hasattr(metric, "metric_class"):
        return _construct(metric.metric_class, params)
    if isinstance(metric, str):
        known = available_metrics()
        if metric in known:
            return _construct(known[metric], params)
        raise ValueError(
            f"Unknown skimgdist metric {metric!r}. Available: {', '.join(known) or 'none'}."
        )
    raise ValueError(
        f"{metric!r} is not a skimgdist distance: pass a name from "
        f"skimgdist.metrics.available_metrics(), a skimgdist function, or an ImageMetric."
    )


def _construct(metric_class, params):
    """``metric_class(**params)``, with unknown parameters named next to the valid ones."""
    valid = metric_class._get_param_names()
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise TypeError(
            f"{metric_class.__name__} has no parameter {', '.join(map(repr, unknown))}; "
            f"valid parameters: {', '.join(valid)}."
        )
    return metric_class(**params)
