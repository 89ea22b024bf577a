"""Options every command shares: ``--time-limit`` and ``-q``, and the memory guard that
refuses a request too large for this machine before anything is allocated."""

from __future__ import annotations

import argparse
import math

from .._config import check_input_size
from ._errors import CLIError


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
    try:
        check_input_size(n_bytes, request, alternative)
    except ValueError as error:
        raise CLIError(str(error)) from None
