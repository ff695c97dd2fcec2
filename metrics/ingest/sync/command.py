"""``python -m metrics sync ...``: pull a team's sources into stored datasets, once or every N minutes.

    python -m metrics sync github --repo OWNER/NAME --name DATASET [--api-url URL]
    python -m metrics sync gitlab --project ID|PATH --name DATASET [--api-url URL]
    python -m metrics sync pagerduty --name DATASET [--service-id ID]... [--api-url URL]
    python -m metrics sync opsgenie --name DATASET [--region us|eu] [--api-url URL]
    python -m metrics sync --config FILE
Common options: --since DATE (first sync's backfill, default 90 days), --full (re-collect from
--since), --every 15m (keep syncing until stopped). Tokens come from the environment only.
"""
from __future__ import annotations

import argparse
import signal
import sys
import time

from ...console import Parser, ProgressBar, UsageError
from .config import PROVIDERS, TOKENS, ConfigError, Source, parse_every, read_config, source_of
from .http import SyncError
from .run import sync


def parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m metrics sync",
               description="Pull events from GitHub, GitLab, PagerDuty or Opsgenie into a stored dataset. "
                           "Tokens come from the environment: " +
                           ", ".join(f"{v} ({k})" for k, v in TOKENS.items()) + ".")
    p.add_argument("provider", nargs="?", choices=PROVIDERS, help="the source (or --config FILE for several)")
    p.add_argument("--config", metavar="FILE", help="a TOML file naming every source (see docs/sync.md)")
    p.add_argument("--name", metavar="DATASET", help="the dataset the events go to")
    p.add_argument("--repo", metavar="OWNER/NAME", help="github: the repository")
    p.add_argument("--project", metavar="ID|PATH", help="gitlab: the project's id or path (group/name)")
    p.add_argument("--service-id", dest="service_ids", action="append", default=[], metavar="ID",
                   help="pagerduty: only incidents of this service (repeatable; default every service)")
    p.add_argument("--region", choices=("us", "eu"), help="opsgenie: the account's region (default us)")
    p.add_argument("--api-url", metavar="URL", help="the API's base URL (GitHub Enterprise, self-managed GitLab)")
    p.add_argument("--deploy-workflow", metavar="GLOB", help="github: workflow runs that are deployments "
                                                              "(default *deploy*)")
    p.add_argument("--production", metavar="ENV", help="github / gitlab: the production environment's name")
    p.add_argument("--service", metavar="NAME", help="set every synced event's service")
    p.add_argument("--bot", dest="bots", action="append", default=[], metavar="LOGIN",
                   help="a login to leave out besides *[bot] accounts (repeatable)")
    p.add_argument("--since", metavar="DATE", help="first sync: collect from this date (default 90 days back)")
    p.add_argument("--full", action="store_true", help="forget what was synced and re-collect from --since")
    p.add_argument("--every", metavar="INTERVAL", help="keep syncing every INTERVAL (15m, 1h) until stopped")
    return p


def sources_from(args) -> list[Source]:
    """The sources the command line names: a config file's, or one from the options."""
    if args.config:
        if args.provider:
            raise UsageError("give either a provider or --config FILE, not both")
        return read_config(args.config)
    if not args.provider:
        raise UsageError("name a provider (github, gitlab, pagerduty, opsgenie) or --config FILE")
    entry = {"type": args.provider, "dataset": args.name}
    for key, value in (("repo", args.repo), ("project", args.project), ("api_url", args.api_url),
                       ("region", args.region), ("deploy_workflow", args.deploy_workflow),
                       ("production", args.production), ("service", args.service), ("since", args.since)):
        if value is not None:
            entry[key] = value
    if args.service_ids:
        entry["service_ids"] = args.service_ids
    if args.bots:
        entry["bots"] = args.bots
    if args.provider == "github" and not args.repo:
        raise UsageError("sync github needs --repo OWNER/NAME")
    if args.provider == "gitlab" and not args.project:
        raise UsageError("sync gitlab needs --project ID or PATH")
    if not args.name:
        raise UsageError("name the dataset the events go to: --name DATASET")
    return [source_of(entry, "the command line")]


def run_once(sources, full: bool, err, progress=None) -> int:
    """Sync every source once; 0 when all succeeded, 2 when any failed (each failure one line)."""
    failed = 0
    for source in sources:
        try:
            outcome = sync(source, full=full, progress=progress)
        except SyncError as e:
            print(f"error: {source.key} -> {source.dataset}: {e}", file=err)
            failed += 1
            continue
        print(outcome.line(), file=err)
    return 2 if failed else 0


def run_sync(argv, err=None, sleep=time.sleep, rounds: int | None = None) -> int:
    """``python -m metrics sync``: exit 0, or 2 with one line per source that failed. ``rounds``
    bounds ``--every`` (tests); ``sleep`` waits between rounds."""
    err = sys.stderr if err is None else err
    try:
        args = parser().parse_args(argv)
        sources = sources_from(args)
        every = parse_every(args.every) if args.every else None
    except (UsageError, ConfigError) as e:
        print(f"error: {e}", file=err)
        return 2
    bar = ProgressBar(err)

    def progress(done, total, what):
        bar(done, max(total, done, 1), what)

    if every is None:
        try:
            return run_once(sources, args.full, err, progress)
        finally:
            bar.end()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    done = 0
    try:
        while not stop and (rounds is None or done < rounds):
            code = run_once(sources, args.full and done == 0, err, progress)
            bar.end()
            done += 1
            if rounds is not None and done >= rounds:
                return code
            print(f"next sync in {args.every} (Ctrl+C to stop)", file=err)
            sleep(every)
    except KeyboardInterrupt:
        print("sync stopped", file=err)
    return 0
