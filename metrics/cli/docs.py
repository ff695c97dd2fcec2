"""``python -m metrics docs [--check]``: every generated block of README.md and docs/metrics.md (the
source, webhook, importer, tier and metric tables), written from the declarations
(``metrics.registry.docs``)."""
from __future__ import annotations

import sys

from ..console import Parser, UsageError


def run_docs(argv, out=None, root=None) -> int:
    """Rewrite every stale block (exit 0), or with ``--check`` name each one (exit 1 when any is);
    a file without a block's markers is one line, exit 2. ``root``: the project (tests)."""
    out = out or sys.stdout
    p = Parser(prog="python -m metrics docs",
               description="Rewrite the generated tables of README.md and docs/metrics.md from the declarations of "
                           "the metrics and the sources (between their <!-- begin NAME --> and <!-- end NAME --> "
                           "lines).")
    p.add_argument("--check", action="store_true",
                   help="rewrite nothing; exit 1 naming each block that differs from the declarations")
    args = p.parse_args(argv)
    from ..registry import docs
    root = docs.ROOT if root is None else root
    try:
        if args.check:
            found = docs.stale(root)
            for name, block in found:
                print(f"{name}: the {block} differs from the declarations (python -m metrics docs rewrites it)",
                      file=out)
            return 1 if found else 0
        done = docs.write(root)
    except docs.DocsError as e:
        raise UsageError(str(e)) from None
    for name, block in done:
        print(f"{name}: rewrote the {block}", file=out)
    if not done:
        print("every generated block of the docs matches the declarations", file=out)
    return 0
