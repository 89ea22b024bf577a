"""Choosing, configuring and timing the distances the command line runs.

A metric is named on the command line as ``name`` or ``name:param=value:param=value``
(values are Python literals, or plain words such as ``cityblock``).  Without
``--metrics`` a command runs every distance the installed skimgdist provides, in
a fixed order (pixel-wise first, then location-aware), with per-command settings
that keep the default runs short.
"""

from __future__ import annotations

import ast
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


def timed_pairwise(metric, X, Y=None):
    """``metric.pairwise(X, Y)`` with its wall time and the warnings it raised.

    Only user-facing warnings (``UserWarning``, ``RuntimeWarning`` and their subclasses,
    such as a solver that did not converge) become notes; deprecations do not.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        D = metric.pairwise(X, Y)
        seconds = time.perf_counter() - start
    notes = sorted({one_line(w.message) for w in caught
                    if issubclass(w.category, (UserWarning, RuntimeWarning))})
    return np.asarray(D, dtype=np.float64), seconds, notes


def distance_matrix(metric, X, *, time_limit, progress=None):
    """The full distance matrix of ``X`` under a time budget, computed in row blocks.

    Square probes of growing size (2, 4, 8, ... images, until one takes half a
    second; the first also pays for caches and compilation) estimate the time per
    pair, including the per-image work a batch shares; when the whole matrix
    would take longer than ``time_limit`` seconds, :class:`Skipped` says so before
    the bulk of the work.  Symmetric metrics compute the upper triangle only.

    Returns
    -------
    D : ndarray of shape (n, n)
    seconds_per_pair : float
        Wall time of the matrix divided by the number of distances computed.
    notes : list of str
        Warnings raised by the metric.
    """
    n = len(X)
    symmetric = getattr(metric, "_is_symmetric", True)
    total_pairs = n * (n + 1) // 2 if symmetric else n * n
    m, notes = 1, []
    while True:
        m = min(n, 2 * m)
        probe, seconds, warned = timed_pairwise(metric, X[:m], X[:m])
        notes += warned
        per_pair = seconds / (m * m)
        if m == n:
            return probe, per_pair, sorted(set(notes))
        if (m > 2 and seconds > 0.5) or seconds > time_limit / 4:
            if per_pair * total_pairs > time_limit:
                raise Skipped(_too_slow(per_pair, total_pairs, time_limit))
            break

    D = np.empty((n, n))
    rows_per_block = int(np.clip(0.25 / max(per_pair * n, 1e-9), 1, max(1, n // 20)))
    elapsed, computed = 0.0, 0
    for start in range(0, n, rows_per_block):
        stop = min(n, start + rows_per_block)
        columns = slice(start, n) if symmetric else slice(0, n)
        block, seconds, block_notes = timed_pairwise(metric, X[start:stop], X[columns])
        D[start:stop, columns] = block
        if symmetric:
            D[columns, start:stop] = block.T
        elapsed += seconds
        computed += block.size
        notes += block_notes
        if elapsed > 2 * time_limit and stop < n:
            raise Skipped(
                f"stopped after {elapsed:.0f} s, {100 * stop / n:.0f}% of the matrix: over "
                f"twice the --time-limit of {time_limit:g} s"
            )
        if progress is not None:
            progress(stop / n)
    return D, elapsed / computed, sorted(set(notes))


def _too_slow(per_pair, pairs, limit):
    return (
        f"about {format_seconds(per_pair)} per pair, {format_seconds(per_pair * pairs)} "
        f"for {pairs} pairs, over the --time-limit of {limit:g} s; use --downscale, fewer "
        f"images (--n-samples) or a larger --time-limit"
    )


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
