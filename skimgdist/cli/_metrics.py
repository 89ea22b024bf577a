"""Choosing, configuring and timing the distances the command line runs.

A metric is named on the command line as ``name`` or ``name:param=value:param=value``
(values are Python literals, or plain words such as ``cityblock``).  Without
``--metrics`` a command runs every distance the installed skimgdist provides, in
a fixed order (pixel-wise first, then location-aware), with per-command settings
that keep the default runs short.
"""

from __future__ import annotations

import ast
import contextlib
import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..metrics import available_metrics, get_metric
from ._errors import CLIError

# Display order; metrics not listed here (added later) follow in alphabetical order.
_ORDER = (
    "total_variation", "hellinger", "jensen_shannon", "kl_divergence", "chi_square",
    "blurred_l2", "intensity_emd", "rowwise_emd", "sliced_wasserstein",
    "max_sliced_wasserstein", "wasserstein", "sinkhorn", "sinkhorn_divergence",
)
# Generic constructions that duplicate named distances: only on request.
_ON_REQUEST = frozenset({"f_divergence"})


@dataclass(frozen=True)
class MetricSpec:
    """A distance as the user named it: registry name plus explicit parameters."""

    name: str
    params: dict = field(default_factory=dict)

    @property
    def label(self):
        if not self.params:
            return self.name
        return f"{self.name}({', '.join(f'{k}={v!r}' for k, v in self.params.items())})"

    def with_defaults(self, settings):
        """The same spec with ``settings`` added where the user gave no value."""
        return MetricSpec(self.name, {**settings, **self.params})

    def build(self, image_shape, **extra):
        """A configured metric for ``image_shape``, with ``extra`` parameters added."""
        return get_metric(self.name, image_shape=image_shape, **{**self.params, **extra})


def _split_top_level(text, separator):
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "([{"
        depth -= char in ")]}"
        if char == separator and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [part.strip() for part in parts]


def _literal(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_metrics(texts):
    """Parse ``--metrics`` values (each a comma-separated list) into validated specs."""
    known = available_metrics()
    specs = []
    for text in texts:
        for item in _split_top_level(text, ","):
            if not item:
                continue
            if item == "all":
                specs += [MetricSpec(name) for name in _ordered(known)]
                continue
            name, *assignments = _split_top_level(item, ":")
            if name not in known:
                raise CLIError(
                    f"unknown metric {name!r} in --metrics; available: "
                    f"{', '.join(_ordered(known)) or 'none'}"
                )
            params = {}
            for assignment in assignments:
                key, equals, value = assignment.partition("=")
                if not equals or not key.strip():
                    raise CLIError(
                        f"--metrics {item!r}: parameters are written name:param=value, "
                        f"got {assignment!r}"
                    )
                params[key.strip()] = _literal(value.strip())
            specs.append(_validated(MetricSpec(name, params)))
    if not specs:
        raise CLIError("--metrics names no metric")
    return specs


def _validated(spec):
    try:
        spec.build(None)._validate_params()
    except (TypeError, ValueError) as error:
        raise CLIError(f"--metrics {spec.label}: {one_line(error)}") from None
    return spec


def _ordered(names):
    rank = {name: i for i, name in enumerate(_ORDER)}
    return sorted(names, key=lambda name: (rank.get(name, len(rank)), name))


def default_metrics():
    """Every installed distance that works with its default parameters, in display order."""
    specs = []
    for name in _ordered(available_metrics()):
        if name in _ON_REQUEST:
            continue
        try:
            specs.append(_validated(MetricSpec(name)))
        except CLIError:
            continue
    if not specs:
        raise CLIError("this skimgdist installation provides no distances")
    return specs


def one_line(error):
    """An exception's message on one line (what the command line prints)."""
    text = " ".join(str(error).split())
    return text or type(error).__name__


class Skipped(Exception):
    """A distance was not computed; the message says why and what to do instead."""


# Compiled kernels are warmed up on two images of this shape before anything is timed.
_WARM_UP_SHAPE = (8, 8)
# Downscale factors suggested when a distance does not fit the time limit.
_FACTORS = (2, 3, 4, 6, 8, 12, 16)
# Smallest image side a suggested downscale may leave.
_SMALLEST_SIDE = 8


def warm_up(metric):
    """Run ``metric`` once on two tiny images, so that the one-time compilation (or
    loading from numba's cache) of its kernels is not counted in any timing.

    Errors are left for the real run to report.
    """
    from sklearn.base import clone

    from ..pairwise import pairwise_distances

    X = np.random.default_rng(0).uniform(0.1, 1.0, size=(2, np.prod(_WARM_UP_SHAPE)))
    try:
        tiny = clone(metric).set_params(image_shape=_WARM_UP_SHAPE)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pairwise_distances(X, metric=tiny)  # the symmetric route of evaluate
            pairwise_distances(X[:1], X[1:], metric=tiny)  # the two-batch route
    except Exception:  # the real run reports it
        return


def timed_pairwise(metric, X, Y=None):
    """``skimgdist.pairwise_distances(X, Y, metric)`` with its wall time and the warnings
    it raised.

    Only user-facing warnings (``UserWarning``, ``RuntimeWarning`` and their subclasses,
    such as a solver that did not converge) become notes; deprecations do not.
    """
    from ..pairwise import pairwise_distances

    with capture_warnings() as notes:
        start = time.perf_counter()
        D = pairwise_distances(X, Y, metric=metric)
        seconds = time.perf_counter() - start
    return np.asarray(D, dtype=np.float64), seconds, sorted(notes)


@contextlib.contextmanager
def capture_warnings():
    """Collect the user-facing warnings raised inside, as a set of one-line notes."""
    notes = set()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield notes
    notes.update(one_line(w.message) for w in caught
                 if issubclass(w.category, (UserWarning, RuntimeWarning)))


def _pairs(metric, n):
    """Distances ``pairwise_distances`` computes for ``n`` images (one triangle if symmetric)."""
    return n * (n + 1) // 2 if getattr(metric, "_is_symmetric", True) else n * n


def distance_matrix(metric, X, *, time_limit, notify=None):
    """The full distance matrix of ``X``, refused early when it would not fit ``time_limit``.

    The metric's kernels are first warmed up on two tiny images (compilation is
    not timed; ``notify("ready")`` then starts the caller's clock).  Square probes
    of growing size (2, 4, 8, ... images, until one takes half a second or a
    quarter of the time limit) estimate the time per pair; when the whole matrix
    would take longer than ``time_limit`` seconds, :class:`Skipped` says so, with
    a ``--downscale`` that would fit, before the bulk of the work.  The matrix
    itself comes from :func:`skimgdist.pairwise_distances`.  ``notify("estimate",
    seconds)`` reports the expected time of the matrix.

    Returns
    -------
    D : ndarray of shape (n, n)
    seconds_per_pair : float
        Wall time of the matrix divided by the number of distances computed.
    notes : list of str
        Warnings raised by the metric.
    """
    notify = notify or (lambda kind, value=None: None)
    warm_up(metric)
    notify("ready")
    n, m, notes = len(X), 1, []
    total_pairs = _pairs(metric, n)
    while m < n:
        m = min(n, 2 * m)
        probe, seconds, warned = timed_pairwise(metric, X[:m])
        notes += warned
        per_pair = seconds / _pairs(metric, m)
        if m == n:
            return probe, per_pair, sorted(set(notes))
        if (m > 2 and seconds > 0.5) or seconds > time_limit / 4:
            break
    estimate = per_pair * total_pairs
    if estimate > time_limit:
        raise Skipped(too_slow(metric, per_pair, total_pairs, time_limit, n_images=n))
    notify("estimate", estimate)
    D, seconds, warned = timed_pairwise(metric, X)
    return D, seconds / total_pairs, sorted(set(notes + warned))


def too_slow(metric, per_pair, pairs, limit, *, n_images=None):
    """Why a distance does not fit the time limit, and what would (with estimates)."""
    return (f"about {format_seconds(per_pair)} per pair, {format_seconds(per_pair * pairs)} "
            f"for {pairs} pairs, over the --time-limit of {limit:g} s; "
            + "; ".join(remedies(metric, per_pair * pairs, limit, n_images=n_images)))


def remedies(metric, seconds, limit, *, n_images=None):
    """Concrete ways to fit ``limit`` for a job estimated at ``seconds``, each with its
    estimate: a ``--downscale`` factor (from the metric's cost model), fewer images,
    the compiled kernels when numba is missing, a larger ``--time-limit``."""
    import importlib.util

    fixes = []
    shape = getattr(metric, "image_shape", None)
    exponent = metric.cost_exponent() if hasattr(metric, "cost_exponent") else 1.0
    if shape is not None:
        for factor in _FACTORS:
            if min(shape) // factor < _SMALLEST_SIDE:
                break
            scaled = seconds / factor ** (2 * exponent)
            if scaled <= 0.8 * limit:
                fixes.append(f"--downscale {factor}: about {format_seconds(scaled)}")
                break
    if n_images is not None and n_images > 2:
        fitting = int(n_images * np.sqrt(0.8 * limit / seconds))
        if fitting >= 10:
            fixes.append(f"--n-samples {fitting}: about "
                         f"{format_seconds(seconds * (fitting / n_images) ** 2)}")
    if importlib.util.find_spec("numba") is None:
        fixes.append("install skimgdist[fast] (numba's compiled kernels): often 10x faster")
    fixes.append(f"--time-limit {math.ceil(1.25 * seconds)}")
    return fixes


def format_seconds(seconds):
    """Human-readable duration: ``"3.2 us"``, ``"41 ms"``, ``"2.5 s"``, ``"3 min"``."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} us"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    if seconds < 120:
        return f"{seconds:.3g} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h"
