"""``python -m metrics audit``: every write to the stored datasets, newest first."""
from __future__ import annotations

import json
import sys

from ..console import Parser, UsageError, whole_argument


def run_audit(argv, out=None) -> int:
    """``python -m metrics audit [--dataset NAME] [--limit N] [--json]``: the latest writes, newest first."""
    out = sys.stdout if out is None else out
    p = Parser(prog="python -m metrics audit",
               description="Every write to the stored datasets: who, when, which dataset, how many events.")
    p.add_argument("--dataset", metavar="NAME", help="only the writes to this dataset")
    p.add_argument("--limit", metavar="N", type=whole_argument("--limit", 1, 100_000), default=50,
                   help="the newest N writes (default 50)")
    p.add_argument("--json", action="store_true", help="one JSON array, a write an object")
    args = p.parse_args(argv)
    from .. import store  # the store (pandas) after the words are parsed: --help needs none of it
    try:
        entries = store.audit_log(args.limit, args.dataset)
    except store.StoreError as e:
        raise UsageError(str(e)) from None
    if args.json:
        print(json.dumps([{"at": e.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "who": e.who, "action": e.action,
                           "dataset": e.dataset, "events": e.events, "detail": e.detail} for e in entries],
                         indent=2), file=out)
        return 0
    if not entries:
        print("No writes recorded yet.", file=out)
    for e in entries:
        detail = f"\t{e.detail}" if e.detail else ""
        events = f"{e.events:+d} events" if e.dataset else "-"
        print(f"{e.at:%Y-%m-%d %H:%M:%S} UTC\t{e.who}\t{e.action}\t{e.dataset or '-'}\t{events}{detail}", file=out)
    return 0
