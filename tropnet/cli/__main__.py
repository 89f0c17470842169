"""``python -m tropnet.cli`` runs the command line."""

import sys

from . import main

if __name__ == "__main__":  # not on import (e.g. by pytest --doctest-modules)
    sys.exit(main())
