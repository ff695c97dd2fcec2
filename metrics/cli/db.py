"""``python -m metrics db``: the store's database: ``upgrade`` (its schema to this version's, the
SQLite file or ``METRICS_DATABASE_URL``'s PostgreSQL database) and ``status``."""
from __future__ import annotations

import sys

from ..console import Parser, UsageError

ACTIONS = {
    "upgrade": "bring the database's schema to this version's (also done when a process first uses it)",
    "status": "which database the store uses, its schema revision and whether it answers",
}


def parser() -> Parser:
    """``db``'s parser: one action of ``ACTIONS``."""
    p = Parser(prog="python -m metrics db",
               description="The store's database: the SQLite file under METRICS_DATA_DIR, or the PostgreSQL "
                           "database of METRICS_DATABASE_URL.")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, text in ACTIONS.items():
        actions.add_parser(name, help=text, description=text)
    return p


def run_db(argv, out=None) -> int:
    """``python -m metrics db upgrade|status``."""
    out = sys.stdout if out is None else out
    args = parser().parse_args(argv)
    from .. import store
    from ..store import schema_version
    try:
        if args.action == "upgrade":
            where, revision = schema_version.upgrade()
            print(f"{where}: schema at revision {revision} (this version's)", file=out)
            return 0
        problem = schema_version.health()
        if problem:
            raise UsageError(problem)
        print(f"{store.where()}: answers; schema at revision {schema_version.HEAD}", file=out)
        return 0
    except store.StoreError as e:
        raise UsageError(str(e)) from None
