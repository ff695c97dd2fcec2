"""``python -m metrics sync ...``: pull a team's sources into stored datasets, once or every N minutes.

    python -m metrics sync github --repo OWNER/NAME --name DATASET [--api-url URL]
    python -m metrics sync github --org ORG --name DATASET [--repo-pattern GLOB] [--teams [--replace-teams]]
    python -m metrics sync gitlab --project ID|PATH --name DATASET [--api-url URL]
    python -m metrics sync gitlab --group ID|PATH --name DATASET [--repo-pattern GLOB] [--teams]
    python -m metrics sync pagerduty --name DATASET [--service-id ID]... [--api-url URL]
    python -m metrics sync opsgenie --name DATASET [--region us|eu] [--api-url URL]
    python -m metrics sync argocd --name DATASET --api-url URL [--application NAME] [--production NS|KEY=VALUE]
    python -m metrics sync jenkins --name DATASET --api-url URL [--job FOLDER/NAME] [--deploy-workflow GLOB]
    python -m metrics sync --config FILE
Every source whose declaration has a ``SyncSpec`` is a provider; its target and options come from
it. Common options: --since DATE (first sync's backfill, default 90 days), --full (re-collect from
--since), --every 15m (keep syncing until stopped). Tokens come from the environment only.

This is the command line only: the sync itself (the configuration file, the API client, the walks,
each page stored with its state) is ``metrics.ingest.sync``, imported when the command runs.
"""
from __future__ import annotations

import argparse
import signal
import sys
import time

from ..console import Parser, ProgressBar, UsageError


# what the command line calls the keys every source takes (the configuration file's names)
FLAGS = {"dataset": "--name", "api_url": "--api-url", "service": "--service", "bots": "--bot", "since": "--since"}


def provider_options() -> list:
    """Every syncing source's target and options, one flag per name (``config.sync_options``)."""
    from ..ingest.sync.config import sync_options
    return list(sync_options().values())


def parser() -> argparse.ArgumentParser:
    """``sync``'s parser: the provider (one of the syncing sources) or ``--config FILE``, the options
    every source takes, and every source's target and options (one flag per option name)."""
    from ..ingest.sync.config import api_url_required, spoken, syncing
    from ..registry.options import add_to
    every = syncing()
    p = Parser(prog="python -m metrics sync",
               description=f"Pull events from {', '.join(every)} into a stored dataset. "
                           "Tokens come from the environment: " +
                           ", ".join(f"{' and '.join(spec.sync.credentials)} ({name})"
                                     for name, spec in every.items()) + ".")
    p.add_argument("provider", nargs="?", choices=list(every), help="the source (or --config FILE for several)")
    p.add_argument("--config", metavar="FILE", help="a TOML file naming every source (see docs/sync.md)")
    p.add_argument(FLAGS["dataset"], dest="name", metavar="DATASET", help="the dataset the events go to")
    own = spoken(name for name, spec in every.items() if api_url_required(spec.sync))
    p.add_argument(FLAGS["api_url"], dest="api_url", metavar="URL",
                   help=f"the API's base URL (GitHub Enterprise, self-managed GitLab; required for {own})")
    p.add_argument(FLAGS["service"], dest="service", metavar="NAME", help="set every synced event's service")
    p.add_argument(FLAGS["bots"], dest="bots", action="append", default=[], metavar="LOGIN",
                   help="a login to leave out besides *[bot] accounts (repeatable)")
    p.add_argument(FLAGS["since"], dest="since", metavar="DATE",
                   help="first sync: collect from this date (default 90 days back)")
    p.add_argument("--full", action="store_true", help="forget what was synced and re-collect from --since")
    p.add_argument("--every", metavar="INTERVAL", help="keep syncing every INTERVAL (15m, 1h) until stopped")
    p.set_defaults(riding=add_to(p, provider_options()))
    return p


def sources_from(args) -> list:
    """The sources the command line names: a config file's, or one from the options."""
    from ..ingest.sync.config import api_url_required, read_config, source_of, syncing
    from ..registry.options import given_to
    if args.config:
        if args.provider:
            raise UsageError("give either a provider or --config FILE, not both")
        return read_config(args.config)
    if not args.provider:
        raise UsageError(f"name a provider ({', '.join(syncing())}) or --config FILE")
    entry = {"type": args.provider, "dataset": args.name}
    try:
        entry.update({key: list(value) if isinstance(value, tuple) else value
                      for key, value in given_to(args, provider_options(), args.provider, "sync", args.riding).items()})
    except ValueError as e:
        raise UsageError(str(e)) from None
    for key, value in (("api_url", args.api_url), ("service", args.service), ("since", args.since)):
        if value is not None:
            entry[key] = value
    if args.bots:
        entry["bots"] = args.bots
    spec = syncing()[args.provider].sync
    if spec.target is not None and spec.target_required and spec.target.name not in entry and \
            not (spec.group_option and spec.group_option in entry):
        group = next((o for o in spec.options if o.name == spec.group_option), None)
        raise UsageError(f"sync {args.provider} needs {spec.target.command_flag} {spec.target.metavar or 'VALUE'}"
                         + (f" or {group.command_flag} {group.metavar}" if group else ""))
    if args.api_url is None and api_url_required(spec):
        raise UsageError(f"sync {args.provider} needs --api-url URL (every installation has its own)")
    if not args.name:
        raise UsageError("name the dataset the events go to: --name DATASET")
    called = {**FLAGS, **{option.name: option.flag for option in provider_options()}}
    return [source_of(entry, "the command line", called=called)]


def run_once(sources, full: bool, err, progress=None) -> int:
    """Sync every source once; 0 when all succeeded, 2 when any failed (each failure one line), 1
    when only some repositories of an organisation failed (each one line, the others synced)."""
    from ..ingest.sync.group import sync_group
    from ..ingest.sync.http import SyncError
    from ..ingest.sync.run import sync
    from ..store import StoreError
    failed = partly = 0
    for source in sources:
        try:
            outcome = sync_group(source, full=full, progress=progress, out=err) if source.group else \
                sync(source, full=full, progress=progress)
        except (SyncError, StoreError) as e:
            print(f"error: {source.key} -> {source.dataset}: {e}", file=err)
            failed += 1
            continue
        for target, error in getattr(outcome, "failed", {}).items():
            print(f"error: {target}: {error}", file=err)
            partly += 1
        print(outcome.line(), file=err)
        for warning in outcome.warnings:
            print(f"  warning: {warning}", file=err)
        if getattr(outcome, "teams", ""):
            print(outcome.teams, file=err)
    return 2 if failed else 1 if partly else 0


def run_sync(argv, err=None, sleep=time.sleep, rounds: int | None = None) -> int:
    """``python -m metrics sync``: exit 0, or 2 with one line per source that failed. ``rounds``
    bounds ``--every`` (tests); ``sleep`` waits between rounds."""
    from ..ingest.sync.config import ConfigError, parse_every
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
    from ..store import SyncLoopLock
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    done = 0
    lock = SyncLoopLock(source.dataset for source in sources)
    try:
        while not stop and (rounds is None or done < rounds):
            if not hold(lock, err, sleep, stop):
                break
            code = run_once(sources, args.full and done == 0, err, progress)
            bar.end()
            done += 1
            if rounds is not None and done >= rounds:
                return code
            print(f"next sync in {args.every} (Ctrl+C to stop)", file=err)
            sleep(every)
    except KeyboardInterrupt:
        print("sync stopped", file=err)
    finally:
        lock.release()
    return 0


def hold(lock, err, sleep, stop) -> bool:
    """Hold ``lock`` (the datasets' sync loop, ``store.SyncLoopLock``) before a pass: take it, or wait
    for the loop that holds it (on this host or another) to stop, saying once who holds it (and once
    each time that changes). False when stopped while waiting."""
    from .. import defaults
    from ..store import StoreError
    said = ""
    while not stop:
        try:
            problem = lock.take()
        except StoreError as e:
            problem = f"cannot take the sync lock: {e}"
        if not problem:
            if said:
                print(f"took over the sync of {', '.join(lock.names)}", file=err)
            return True
        if problem != said:
            print(problem, file=err)
            said = problem
        sleep(defaults.SYNC_LOCK_RETRY_S)
    return False
