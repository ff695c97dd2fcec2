"""``python -m metrics db``: the store's database: ``upgrade`` (its schema to this version's, the
SQLite file or ``METRICS_DATABASE_URL``'s PostgreSQL database), ``status``, and ``copy --to URL`` /
``copy --from URL`` (the store into a PostgreSQL database, or one into the store: ``store.copy``)."""
from __future__ import annotations

import sys

from ..console import Parser, UsageError

ACTIONS = {
    "upgrade": "bring the database's schema to this version's (also done when a process first uses it)",
    "status": "which database the store uses, its schema revision and whether it answers",
    "copy": "copy everything in the store (datasets, sync state, webhook deliveries, audit trail, sessions, users, "
            "API tokens) into an empty PostgreSQL database (--to URL), or from one into the store (--from URL), "
            "counts checked",
}
COPY_URL = "postgresql://USER@HOST[:PORT]/DATABASE (the password from PGPASSWORD or ~/.pgpass, or in the URL)"


def parser() -> Parser:
    """``db``'s parser: one action of ``ACTIONS``."""
    p = Parser(prog="python -m metrics db",
               description="The store's database: the SQLite file under METRICS_DATA_DIR, or the PostgreSQL "
                           "database of METRICS_DATABASE_URL.")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, text in ACTIONS.items():
        action = actions.add_parser(name, help=text, description=text)
        if name == "copy":
            way = action.add_mutually_exclusive_group(required=True)
            way.add_argument("--to", metavar="URL", help=f"copy the store into this database: {COPY_URL}")
            way.add_argument("--from", dest="source", metavar="URL", help=f"copy this database into the store: {COPY_URL}")
    return p


def run_copy(args, out) -> int:
    """``db copy --to URL`` / ``--from URL``: everything copied, the counts printed as a table."""
    from .. import store, tokens, users
    from ..store import copy, database
    option = "--to" if args.to is not None else "--from"
    other = database.parse(args.to if args.to is not None else args.source, what=f"the URL of {option}")
    here = database.configured() or database.SQLITE
    source, target = (here, other) if args.to is not None else (other, here)
    documents = {"users": users.users_path(store.data_dir()), "api-tokens": tokens.tokens_path(store.data_dir())}
    copied = copy.copy(source, target, documents)
    width = max([len(c.what) for c in copied.counts] + [4])
    print(f"Copied {copied.source} into {copied.target}; every count checked:", file=out)
    print(f"  {'':<{width}}  {'source':>10}  {'target':>10}", file=out)
    for c in copied.counts:
        print(f"  {c.what:<{width}}  {c.source:>10,}  {c.target:>10,}", file=out)
    return 0


def run_db(argv, out=None) -> int:
    """``python -m metrics db upgrade|status|copy``."""
    out = sys.stdout if out is None else out
    args = parser().parse_args(argv)
    from .. import store
    from ..store import schema_version
    try:
        if args.action == "copy":
            return run_copy(args, out)
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
