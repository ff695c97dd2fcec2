"""``python -m metrics``: the console summary of a synthetic universe or of event files."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
