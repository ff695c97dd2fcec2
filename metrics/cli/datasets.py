"""``python -m metrics datasets``: the stored datasets (with their last syncs and webhook deliveries),
deleting one, or checking every segment of every dataset (and repairing the damaged ones)."""
from __future__ import annotations

import sys

from ..console import Parser, UsageError


def run_datasets(argv, out=None) -> int:
    """``python -m metrics datasets [--delete NAME | --check [--repair]]``: list stored datasets,
    delete one, or check every segment of every dataset (exit 1 when one is damaged)."""
    out = out or sys.stdout
    p = Parser(prog="python -m metrics datasets", description="List stored datasets, delete one, or check them.")
    one = p.add_mutually_exclusive_group()
    one.add_argument("--delete", metavar="NAME",
                     help="delete the dataset NAME: its events, sync state and last syncs (the audit trail keeps the "
                          "deletion)")
    one.add_argument("--check", action="store_true",
                     help="read every segment of every dataset (its events, row hashes and pairing events, their "
                          "counts and checksums) and say 'ok' or what is damaged; exit 1 when something is")
    p.add_argument("--repair", action="store_true",
                   help="with --check: drop the damaged segments, saying how many events each held, and set the "
                        "datasets' counts to what is kept, in one transaction (the audit trail keeps the repair); "
                        "exit 1 when something was damaged, as with --check (the repair is said line by line), "
                        "so a script sees that events may be lost")
    args = p.parse_args(argv)
    if args.repair and not args.check:
        raise UsageError("--repair goes with --check")
    from .. import store  # the store (pandas) after the words are parsed: --help needs none of it
    from ..ingest.sync.run import last_runs
    try:
        if args.delete:
            print(f"Deleted dataset {args.delete} ({store.delete(args.delete)} events)", file=out)
            return 0
        if args.check:
            return checked(store, args.repair, out)
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


def checked(store, repair: bool, out) -> int:
    """``--check [--repair]``: a line per dataset (or per damaged segment); 1 when one is damaged."""
    found = store.repair_datasets() if repair else store.check_datasets()
    if not found:
        print(f"No datasets in {store.data_dir()}", file=out)
    for dataset in found:
        print("\n".join(dataset.repaired_lines() if repair else dataset.lines()), file=out)
    damaged = [d for d in found if not d.ok]
    if damaged and not repair:
        print(f"{store.REPAIR} drops the damaged segments (their events are lost unless you import them again)", file=out)
    return 1 if damaged else 0
