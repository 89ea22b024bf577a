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

Bad input (missing or unreadable files, empty folders, one class, mixed sizes,
NaN...) gives a one-line error on stderr and exit status 2.  Nothing is written
unless an option asks for a file.  See ``docs/cli.md``.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from . import _compare, _evaluate, _search
from ._errors import CLIError
from ._metrics import one_line

__all__ = ["main"]


def build_parser():
    """The argument parser of the ``skimgdist`` command."""
    parser = argparse.ArgumentParser(
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
        0 on success, 2 on bad input (the message is on stderr), 130 when interrupted.

    Examples
    --------
    >>> from skimgdist.cli import main
    >>> main(["compare", "missing-a.png", "missing-b.png"])
    2
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        args.run(args, parser)
    except (CLIError, ValueError, OSError) as error:
        print(f"skimgdist {args.command}: error: {one_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"skimgdist {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0
