"""``python -m metrics metrics``: every metric, built-in and plug-in (``metrics.catalog``)."""
from __future__ import annotations


def run_metrics(argv, out=None, err=None) -> int:
    """The listing, the docs tables or the docs rewritten (``metrics.catalog.run_metrics``)."""
    from ..catalog import run_metrics as run        # the registry: imported when the command runs
    return run(argv, out, err)
