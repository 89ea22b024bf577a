"""One distance computed in an isolated child under the time limit, its outcome as notes.

Every command runs each distance through :func:`run_distance`, so that a distance that
is too slow is skipped with advice, and one that fails (bad parameters for these images,
not enough memory, a crash of compiled code, NaN) is reported as a note while the other
distances complete; the command then exits with status 1.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import numpy as np

from ._isolate import ChildCrashed, TimeLimitExceeded, call_with_time_limit
from ._metrics import Skipped, format_seconds, one_line, timed_pairwise, warm_up
from ._plans import plan


@dataclass
class Outcome:
    """What became of one distance: its value (or None), and the notes to show."""

    value: object = None
    notes: list = field(default_factory=list)
    failed: bool = False
    timed_out: bool = False


def run_distance(compute, metric, time_limit, *, child_limit=None, progress=None):
    """``compute(notify)`` in a child process (see :mod:`._isolate`), as an :class:`Outcome`.

    ``child_limit`` (default ``time_limit``) is when the child is stopped;
    ``metric`` serves the advice of a skipped distance.
    """
    child_limit = time_limit if child_limit is None else child_limit
    tick = progress.tick if progress is not None else None
    on_message = progress.on_message if progress is not None else None
    try:
        value = call_with_time_limit(compute, child_limit, tick=tick, on_message=on_message)
    except TimeLimitExceeded:
        return Outcome(notes=[f"skipped: still running after {child_limit:g} s (the "
                              f"--time-limit is {time_limit:g} s)"], timed_out=True)
    except Skipped as reason:
        return Outcome(notes=[f"skipped: {reason}"])
    except MemoryError as error:
        return Outcome(notes=[f"failed: not enough memory ({one_line(error)}); use smaller "
                              f"images (--downscale) or other parameters"], failed=True)
    except ChildCrashed as error:
        return Outcome(notes=[f"failed: {one_line(error)}; please report it with the "
                              f"command that caused it"], failed=True)
    except Exception as error:  # any failure of the distance is reported, not raised
        return Outcome(notes=[f"failed: {one_line(error)}"], failed=True)
    return Outcome(value)


# Downscale factors tried, in order, for a distance that ran out of time; images stay at
# least SMALLEST_SIDE pixels high and wide.
DOWNSCALE_TRIES = (2, 4, 8, 16)
SMALLEST_SIDE = 8


def measured_downscale(spec, X, shape, time_limit, progress, *, n_pairs=1):
    """Advice for a distance that ran out of time: the smallest ``--downscale`` factor at
    which ``n_pairs`` distances fit in the limit, timed on the first pair of ``X``
    downscaled (each try stopped at a quarter of the limit)."""
    from ._data import Preprocessing, downscale_rows

    last = None
    for factor in DOWNSCALE_TRIES:
        if min(shape) // factor < SMALLEST_SIDE:
            break
        X_small, small_shape = downscale_rows(X[:2], shape, factor)
        metric = spec.build(small_shape, **plan(spec, small_shape)[0])

        def compute(notify, metric=metric, X_small=X_small):
            warm_up(metric)
            notify("ready")
            return timed_pairwise(metric, X_small[:1], X_small[1:])[1]

        tried = run_distance(compute, metric, time_limit / 4, progress=progress)
        if tried.value is None:
            continue
        where = (f"--downscale {factor} ({Preprocessing(factor).label} to "
                 f"{small_shape[0]}x{small_shape[1]})")
        if n_pairs == 1:
            last = f"{where}: {format_seconds(tried.value)} (measured)"
        else:
            last = (f"{where}: about {format_seconds(tried.value * n_pairs)} for {n_pairs} "
                    f"pairs ({format_seconds(tried.value)} per pair, measured)")
        if tried.value * n_pairs <= 0.8 * time_limit:
            return last
    if last is not None:
        return f"{last}, still over the limit: use fewer images or a larger --time-limit"
    return "try a stronger --downscale or a larger --time-limit"


def check_no_nan(D, label, names=None):
    """Raise ``ValueError`` naming the first NaN distance, if any (infinity is a value)."""
    bad = np.isnan(D)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        pair = (f"{names[0][i]} and {names[1][j]}" if names is not None
                else f"row {i} and column {j}")
        raise ValueError(f"{label} returned NaN for {pair}: the solver lost precision; "
                         f"try other parameters")


def report_failures(command, labels):
    """One line on stderr naming the distances that failed (their notes say why)."""
    if labels:
        print(f"skimgdist {command}: error: {len(labels)} distance"
              f"{'s' if len(labels) > 1 else ''} failed: {', '.join(labels)} (see the notes)",
              file=sys.stderr)
