"""``python -m skimgdist``: the command line (see :mod:`skimgdist.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
