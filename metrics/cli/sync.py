"""``python -m metrics sync``: pull a team's sources into stored datasets. The command lives with the
sync engine (``metrics.ingest.sync.command``) and is imported only when it runs."""
from __future__ import annotations


def run_sync(argv) -> int:
    """``python -m metrics sync ...`` (``metrics.ingest.sync.command.run_sync``): exit 0, or 2 with one
    line per source that failed."""
    from ..ingest.sync import command
    return command.run_sync(argv)
