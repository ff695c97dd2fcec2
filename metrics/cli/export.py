"""``python -m metrics export``: a stored dataset's events written as one Parquet file (for backups
and for other engines), which ``import --from parquet`` reads back."""
from __future__ import annotations

import sys

from ..console import Parser, UsageError


def run_export(argv, out=None) -> int:
    """``python -m metrics export DATASET --parquet FILE [--force]``: the dataset's events as one
    Parquet file (``metrics.parquet_file``), one line saying how many and where; an unknown dataset,
    an existing FILE without ``--force`` or a FILE that cannot be written is one sentence, exit 2."""
    out = out or sys.stdout
    p = Parser(prog="python -m metrics export",
               description="Write a stored dataset's events as one Parquet file (zstd): a backup, or a file DuckDB, "
                           "Spark or pandas read; python -m metrics import --from parquet FILE --name NAME reads "
                           "it back.")
    p.add_argument("dataset", metavar="DATASET", help="the stored dataset (python -m metrics datasets lists them)")
    p.add_argument("--parquet", metavar="FILE", required=True,
                   help="the file to write (written under a temporary name beside it, then renamed: a file there "
                        "is always whole)")
    p.add_argument("--force", action="store_true", help="replace FILE when it exists")
    args = p.parse_args(argv)
    from .. import store  # the store (pandas) after the words are parsed: --help needs none of it
    from ..parquet_file import ParquetError, write_events
    try:
        frame = store.load(args.dataset)
        path = write_events(frame, args.dataset, args.parquet, force=args.force)
    except (store.StoreError, ParquetError) as e:
        raise UsageError(str(e)) from None
    print(f"Exported {len(frame)} events of dataset {args.dataset} to {path}", file=out)
    return 0
