"""The ``skimgdist`` command line: choose a distance for your images, compare two images,
search a gallery.

``skimgdist evaluate [DATA]``
    Cross-validated kNN accuracy, retrieval precision@k and time per pair of every
    distance (and preprocessing choice) on a labelled image set; without DATA, on
    scikit-learn's bundled digits.
``skimgdist compare A B``
    Every distance between two images, with its time.
``skimgdist search QUERY GALLERY -k 5``
    The k gallery images nearest to a query.

Every failure is one line on stderr, never a traceback: exit status 2 for bad input
(missing or unreadable files, empty folders, one class, mixed sizes, NaN, requests
too large for memory...), 1 when a distance failed while computing (reported as a
note while the others complete), 130 when interrupted (Ctrl-C).  Nothing is written
unless an option asks for a file, and an interrupted run writes nothing.  See
``docs/cli.md``.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from . import _compare, _evaluate, _search
from ._errors import CLIError
from ._metrics import one_line

__all__ = ["main"]


class _OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr (exit status 2)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {one_line(message)}; see {self.prog} --help\n")


def build_parser():
    """The argument parser of the ``skimgdist`` command."""
    parser = _OneLineParser(
        prog="skimgdist",
        description="Image distances: choose one for your images (evaluate), compare two "
                    "images (compare), search a gallery (search).",
    )
    parser.add_argument("--version", action="version", version=f"skimgdist {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (_evaluate, _compare, _search):
        module.add_parser(subparsers)
    return parser


def main(argv=None):
    """Run the command line; returns the exit status (0 success, 2 bad input).

    Parameters
    ----------
    argv : list of str, default=None
        Arguments after the program name; ``None`` reads ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success, 1 when a distance failed while computing, 2 on bad input (the
        message is on stderr), 130 when interrupted.

    Examples
    --------
    >>> from skimgdist.cli import main
    >>> main(["compare", "missing-a.png", "missing-b.png"])
    2
    """
    parser = build_parser()
    command = "skimgdist"
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as stop:  # usage errors (one line), --help, --version
            return stop.code
        if args.command is None:
            parser.print_usage(sys.stderr)
            return 2
        command = f"skimgdist {args.command}"
        return args.run(args, parser)
    except (CLIError, ValueError, TypeError, OSError) as error:
        print(f"{command}: error: {one_line(error)}", file=sys.stderr)
        return 2
    except MemoryError as error:
        print(f"{command}: error: not enough memory ({one_line(error)}); use smaller images "
              f"(--downscale) or fewer of them", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug, still reported on one line
        print(f"{command}: internal error: {type(error).__name__}: {one_line(error)}",
              file=sys.stderr)
        return 1
