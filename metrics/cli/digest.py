"""``python -m metrics digest --team T --dataset D --notify URL [--dry-run]``: a team's weekly digest
(``metrics.alerting.digest``), sent through Apprise or printed."""
from __future__ import annotations

import sys

from ..console import Parser, UsageError


def parser() -> Parser:
    p = Parser(prog="python -m metrics digest",
               description="A team's weekly digest: the five DORA keys of the last 7 days and their change, the "
                           "cycle-time stage that moved most, the alerts that fired, the three slowest PRs.")
    p.add_argument("--team", required=True, metavar="NAME", help="the team (the teams file names it)")
    p.add_argument("--dataset", metavar="NAME",
                   help="the stored dataset (default: the only one stored, or the one the alerts file's digest names)")
    p.add_argument("--notify", action="append", default=[], metavar="URL",
                   help="an Apprise URL (json://, slack://, msteams://, mailto://...), env:NAME, or a notifier "
                        "the alerts file names (repeatable)")
    p.add_argument("--dry-run", action="store_true", help="print the digest; send nothing")
    p.add_argument("--file", metavar="FILE", help="the alerts file (default METRICS_ALERTS or alerts.toml in the data directory)")
    return p


def run_digest(argv, out=None, now_ns: int | None = None, sender=None) -> int:
    """``python -m metrics digest``: 0 when sent (or printed), 1 when a delivery failed, 2 for bad
    input (one sentence)."""
    import time
    out = sys.stdout if out is None else out
    args = parser().parse_args(argv)
    if not args.notify and not args.dry_run:
        raise UsageError("say where the digest goes (--notify URL) or print it (--dry-run)")
    from .. import store
    from ..alerting.check import read_teams_here
    from ..alerting.digest import digest_of, send_digest
    from ..alerting.file import AlertsError, alerts_path, read_alerts, targets_named
    from ..teams import TeamsError
    now_ns = time.time_ns() if now_ns is None else now_ns
    try:
        teams = read_teams_here()
        if args.team not in teams:
            raise UsageError(f"no team {args.team!r} in the teams file"
                             + (f" (teams: {', '.join(sorted(teams))})" if teams else " (it names none)"))
        config = read_alerts(args.file or alerts_path(store.data_dir()), teams, required=bool(args.file))
        targets = targets_named(args.notify, config) if args.notify else ()
        dataset = args.dataset or default_dataset(config, args.team)
        digest = digest_of(config, teams, args.team, dataset, now_ns)
    except (AlertsError, TeamsError, store.StoreError) as e:
        raise UsageError(str(e)) from None
    return send_digest(digest, targets, args.dry_run, out, sender)


def default_dataset(config, team: str) -> str:
    """The dataset of the alerts file's digest of ``team``, else the only stored dataset."""
    from .. import store
    named = [d.dataset for d in config.digests if d.team == team]
    if named:
        return named[0]
    stored = [info.name for info in store.list_datasets()]
    if len(stored) == 1:
        return stored[0]
    raise UsageError(f"name the dataset: --dataset NAME (stored: {', '.join(stored) or 'none'})")
