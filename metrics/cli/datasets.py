"""``python -m metrics datasets``: the stored datasets (with their last syncs and webhook deliveries), or
deleting one."""
from __future__ import annotations

import sys

from ..console import Parser, UsageError


def run_datasets(argv, out=None) -> int:
    """``python -m metrics datasets [--delete NAME]``: list stored datasets, or delete one."""
    out = out or sys.stdout
    p = Parser(prog="python -m metrics datasets", description="List stored datasets, or delete one.")
    p.add_argument("--delete", metavar="NAME",
                   help="delete the dataset NAME: its events, sync state and last syncs (the audit trail keeps the "
                        "deletion)")
    args = p.parse_args(argv)
    from .. import store  # the store (pandas) after the words are parsed: --help needs none of it
    from ..ingest.sync.run import last_runs
    try:
        if args.delete:
            print(f"Deleted dataset {args.delete} ({store.delete(args.delete)} events)", file=out)
            return 0
        found = store.list_datasets()
    except store.StoreError as e:
        raise UsageError(str(e)) from None
    if not found:
        print(f"No datasets in {store.data_dir()} (add one: python -m metrics import --from events FILE --name NAME)", file=out)
    for d in found:
        span = f"{d.first:%Y-%m-%d %H:%M} to {d.last:%Y-%m-%d %H:%M} UTC" if d.events else "no events"
        print(f"{d.name}\t{d.events} events\t{span}", file=out)
        for run in last_runs(d.name):
            if run["source"].startswith("webhook:"):
                skipped = sum(run.get("skipped", {}).values())
                print(f"  webhooks from {run['source'][8:]}: {run.get('deliveries', 0)} deliveries, "
                      f"{run.get('added', 0):+d} events, {skipped} skipped, {run.get('rejected', 0)} rejected; "
                      f"last at {run.get('at', '?')}", file=out)
                for reason, count in sorted(run.get("skipped", {}).items()):
                    print(f"    skipped {count}: {reason}", file=out)
                continue
            state = f"failed: {run['error']}" if run.get("error") else f"{run.get('added', 0):+d} events"
            print(f"  last sync from {run['source']} at {run.get('at', '?')}: {state}", file=out)
    return 0
