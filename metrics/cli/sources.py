"""``python -m metrics sources``: every source of events, built-in and plug-in, with its options."""
from __future__ import annotations

import json
import sys

from ..console import Parser, UsageError


def run_sources(argv, out=None) -> int:
    """``python -m metrics sources [--json]``: every source (built-in and plug-in), its title, its
    options, and whether the upload menu offers it, it syncs and it takes webhooks."""
    out = out or sys.stdout
    p = Parser(prog="python -m metrics sources",
               description="Every source of events: import --from NAME, the upload menu, sync NAME, webhooks.")
    p.add_argument("--json", action="store_true", help="one JSON array, a source an object")
    args = p.parse_args(argv)
    from ..ingest.plugin_sources import load_sources
    from ..registry.source import listing, sources
    for problem in load_sources():               # METRICS_PLUGINS' sources: one that fails is one sentence
        raise UsageError(problem)
    found = [listing(spec) for spec in sources().values()]
    if args.json:
        print(json.dumps(found, indent=2), file=out)
        return 0
    print("source\ttitle\ttakes\toptions", file=out)
    for s in found:
        takes = [what for what in ("upload", "sync", "webhook") if s[what]]
        print("\t".join([s["name"], s["title"], ", ".join(takes) or "-",
                         " ".join(o["flag"] for o in s["options"]) or "-"]), file=out)
    return 0
