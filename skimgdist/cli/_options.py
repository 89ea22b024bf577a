"""Options every command shares: ``--time-limit`` and ``-q``, and the memory guard that
refuses a request too large for this machine before anything is allocated."""

from __future__ import annotations

import argparse
import math

from ..io import _machine_memory_bytes as machine_memory_bytes
from ._errors import CLIError

# Largest share of the machine's memory one request may take.
_MEMORY_SHARE = 0.5


def _seconds(text):
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise argparse.ArgumentTypeError(
            f"expects a finite number of seconds > 0, got {text!r}")
    return seconds


def add_common_arguments(parser, *, time_limit, what):
    """``--time-limit SECONDS`` (default ``time_limit``) and ``-q/--quiet``."""
    parser.add_argument("--time-limit", type=_seconds, default=time_limit, metavar="SECONDS",
                        help=f"{what} (default {time_limit:g}); the one-time compilation of "
                             f"the fast kernels is not counted")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress on stderr (a bar on a terminal, else one line a "
                             "step)")


def check_memory(n_bytes, request, alternative):
    """Refuse ``request`` before allocating when it needs over half the machine's memory."""
    limit = _MEMORY_SHARE * machine_memory_bytes()
    if n_bytes > limit:
        raise CLIError(
            f"{request} needs about {format_bytes(n_bytes)} of memory, over half of this "
            f"machine's {format_bytes(machine_memory_bytes())}; {alternative}"
        )


def format_bytes(n_bytes):
    """``"1.5 GiB"``, ``"12 MiB"``..."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n_bytes >= size:
            return f"{n_bytes / size:.3g} {unit}"
    return f"{n_bytes:.0f} bytes"
