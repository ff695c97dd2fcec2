"""``python -m metrics alerts check [--dry-run] | list``: the alerts of the alerts file
(``metrics.alerting``): check them now (notify on a change of state, retry what failed), or list
each alert's kept state and its last change."""
from __future__ import annotations

import sys

from ..console import Parser, UsageError


def parser() -> Parser:
    p = Parser(prog="python -m metrics alerts",
               description="The alerts of the alerts file (METRICS_ALERTS, default alerts.toml in the data "
                           "directory): check them and notify, or list their states.")
    p.add_argument("action", choices=("check", "list"),
                   help="check: evaluate every alert, notify on a change of state, retry failed deliveries; "
                        "list: each alert's state and last change")
    p.add_argument("--dry-run", action="store_true", help="check: print what would be sent; send and keep nothing")
    p.add_argument("--file", metavar="FILE", help="the alerts file (default METRICS_ALERTS or alerts.toml in the data directory)")
    return p


def run_alerts(argv, out=None) -> int:
    """``python -m metrics alerts``: exit 0; 1 when a delivery failed (retried at the next check); 2
    for a file that cannot be used (one sentence) or an alert that cannot be evaluated."""
    out = sys.stdout if out is None else out
    args = parser().parse_args(argv)
    if args.dry_run and args.action != "check":
        raise UsageError("--dry-run goes with alerts check")
    from .. import store
    from ..alerting import AlertsError, run_check, states_lines
    try:
        if args.action == "check":
            return run_check(args.file, dry_run=args.dry_run, out=out)
        for line in states_lines(args.file):
            print(line, file=out)
        return 0
    except (AlertsError, store.StoreError) as e:
        raise UsageError(str(e)) from None
