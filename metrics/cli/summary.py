"""``python -m metrics [options]``: the console summary (or ``--json``) of a synthetic universe, of
event files or of a stored dataset; also the summary ``python app.py`` prints. The computation is
imported when the summary runs, so the parser (``python -m metrics --help``) stays light."""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING

from .. import defaults
from ..benchmarks import Baseline, BenchmarkError, baseline
from ..console import Parser, UsageError, amount_argument, date_argument, whole_argument
from ..scenarios import AUTO, SCENARIOS

if TYPE_CHECKING:
    from ..compute.pvm import Assumptions
    from ..window import Window


def add_universe_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments shared by ``python -m metrics`` and ``python app.py``: the universe and the assumptions."""
    p.add_argument("--seed", type=whole_argument("seed", 0, defaults.MAX_SEED), default=defaults.SEED,
                   help=f"delivery universe (default {defaults.SEED})")
    p.add_argument("--days", type=whole_argument("days", 1, defaults.MAX_DAYS), default=None,
                   help=f"window length in days (default {defaults.DAYS})")
    p.add_argument("--scenario", choices=(AUTO,) + SCENARIOS, default=AUTO,
                   help="scenario profile (default auto: seeds 42, 7, 99, 1, 100 run the five scenarios)")
    p.add_argument("--services", type=whole_argument("services", 1, defaults.MAX_SERVICES), default=defaults.SERVICES,
                   help=f"services in the organisation (default {defaults.SERVICES})")
    p.add_argument("--team-size", type=whole_argument("team size", 1, defaults.MAX_TEAM), default=defaults.TEAM_SIZE,
                   help=f"developers (default {defaults.TEAM_SIZE})")
    p.add_argument("--hourly-rate", type=amount_argument("hourly rate"), default=defaults.HOURLY_RATE,
                   help=f"USD per hour (default {defaults.HOURLY_RATE:g})")
    p.add_argument("--value-per-deploy", type=amount_argument("value per deploy"), default=defaults.VALUE_PER_DEPLOY,
                   help=f"USD per successful deployment (default {defaults.VALUE_PER_DEPLOY:g})")


def add_summary_assumptions(p: argparse.ArgumentParser) -> None:
    """The assumptions only the console summary takes (the dashboard uses their defaults)."""
    p.add_argument("--hours-per-day", type=amount_argument("hours per day", 0.0, 24.0), default=defaults.HOURS_PER_DAY,
                   help=f"working hours a day (default {defaults.HOURS_PER_DAY:g})")
    p.add_argument("--workweek", default=defaults.WORKWEEK, help=f"working days (default '{defaults.WORKWEEK}')")
    p.add_argument("--attribution-hours", type=amount_argument("attribution hours"), default=defaults.ATTRIBUTION_HOURS,
                   help=f"CFR: hours after a deployment an incident is attributed to it (default {defaults.ATTRIBUTION_HOURS:g})")
    p.add_argument("--large-pr-lines", type=whole_argument("large PR lines", 0, defaults.MAX_PR_LINES),
                   default=defaults.LARGE_PR_LINES,
                   help=f"PR size: a merged PR with more changed lines than this is large (default {defaults.LARGE_PR_LINES})")


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m metrics", description="DORA, SPACE and platform value metrics from raw events.")
    add_universe_arguments(p)
    add_summary_assumptions(p)
    source = p.add_mutually_exclusive_group()
    source.add_argument("--events", nargs="+", metavar="FILE", help="summarise these CSV / NDJSON / JSON event files")
    source.add_argument("--dataset", metavar="NAME", help="summarise a stored dataset (see: python -m metrics datasets)")
    p.add_argument("--strict", action="store_true", help="with --events: stop at the first bad row (exit 2)")
    p.add_argument("--start", type=date_argument, help="first day of the window (YYYY-MM-DD)")
    p.add_argument("--end", type=date_argument, help="day after the window (YYYY-MM-DD); synthetic default: today")
    p.add_argument("--only-service", action="append", metavar="NAME", default=[],
                   help="only this service's deployments, incidents and PRs (repeatable); team-level events stay")
    p.add_argument("--team", action="append", metavar="NAME", default=[],
                   help="only this team's services, as the teams file names them (repeatable; METRICS_TEAMS, "
                        "default teams.toml in the data directory)")
    p.add_argument("--attribution", metavar="FILE",
                   help="incident attribution overrides (TOML: [pin] INCIDENT = DEPLOY, not_caused = [...]); "
                        "default METRICS_ATTRIBUTION or attribution.toml in the data directory, when present")
    p.add_argument("--baseline", metavar="KEY",
                   help="the published DORA Quick Check average the scores are compared with (default "
                        f"METRICS_BASELINE or {defaults.BASELINE}: {baseline(defaults.BASELINE).title}; "
                        "python -m metrics baselines lists them)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    return p


def baseline_from(key: str | None) -> Baseline:
    """The Quick Check baseline of ``--baseline``, else ``METRICS_BASELINE``, else the default; a
    UsageError naming the choices for one that does not exist."""
    from_env = os.environ.get("METRICS_BASELINE", "").strip()
    try:
        return baseline(key if key is not None else from_env or defaults.BASELINE)
    except BenchmarkError as e:
        raise UsageError(("" if key is not None else "METRICS_BASELINE: ") + str(e)) from None


def overrides_from(args):
    """The attribution overrides of ``--attribution`` (which must exist), else of the default file."""
    from .. import store
    from ..attribution import AttributionError, attribution_path, read_overrides
    try:
        if args.attribution:
            return read_overrides(args.attribution, required=True)
        return read_overrides(attribution_path(store.data_dir()))
    except AttributionError as e:
        raise UsageError(str(e)) from None


def assumptions_from(args) -> Assumptions:
    from ..compute.pvm import Assumptions
    a = Assumptions(hourly_rate=args.hourly_rate, value_per_deploy=args.value_per_deploy, team_size=args.team_size,
                    hours_per_day=args.hours_per_day, workweek=args.workweek)
    try:
        a.check()
    except ValueError as e:
        raise UsageError(str(e)) from None
    return a


def synthetic_window(args) -> Window:
    """The window of a synthetic run from --start / --end / --days."""
    from ..schema import NS_PER_DAY
    from ..window import Window, today_ns
    days = args.days or defaults.DAYS
    if args.start is not None and args.end is not None:
        if args.end <= args.start:
            raise UsageError("--end must be after --start")
        return Window.between(args.start, args.end)
    if args.start is not None:
        return Window.between(args.start, args.start + days * NS_PER_DAY)
    return Window.ending(args.end if args.end is not None else today_ns(), days)


def events_window(args, span) -> Window:
    """The window over loaded data (its first and last event, ``span``): the span by default, --days
    keeps the last days, --start/--end set it."""
    from ..window import over_data
    try:
        return over_data(span, args.days, args.start, args.end)
    except ValueError as e:
        raise UsageError(str(e).replace("a start and an end", "--start and --end")) from None


def run(argv=None, out=None, err=None) -> int:
    """The console summary (or ``--json``) of ``python -m metrics``; ``out``/``err`` default to the
    process's streams at call time."""
    from .. import store
    from ..analysis import analyze
    from ..plugins import named
    from ..reach import facts_of, reach
    from ..selection import tables_of_services
    from ..summary import text_lines, to_json
    from ..synthetic import check_params, generate
    from ..teams import TeamsError, read_teams, tables_of_teams, teams_path
    out, err = out or sys.stdout, err or sys.stderr
    args = build_parser().parse_args(argv)
    a = assumptions_from(args)
    base = baseline_from(args.baseline)
    pins = overrides_from(args)
    facts = None
    if args.dataset and store.reads_windows() and not named():
        # PostgreSQL: the dataset's facts and the window's rows alone (the custom metrics here see every
        # event of the window of the tables, paired or not: for them the dataset is loaded whole)
        facts = stored(lambda: store.dataset_facts(args.dataset))
        window = events_window(args, facts.span)
        rows = reach(window, args.attribution_hours, pins.pins, previous=False)
        tables = stored(lambda: store.load_window(args.dataset, rows))
        header = f"Window: {window.start.date()} to {window.end.date()} ({window.days} days) | dataset {args.dataset}"
    elif args.dataset or args.events:
        tables, source = loaded_tables(args, err)
        window = events_window(args, tables.time_span())
        header = f"Window: {window.start.date()} to {window.end.date()} ({window.days} days) | {source}"
    else:
        window = synthetic_window(args)
        try:
            check_params(window.days, args.seed, args.scenario, args.services, args.team_size)
        except ValueError as e:
            raise UsageError(str(e)) from None
        universe = generate(window.days, args.seed, args.scenario, args.services, args.team_size, end=window.end_ns)
        tables = universe.tables
        header = (f"Window: {window.start.date()} to {window.end.date()} ({window.days} days) | seed {args.seed} "
                  f"({universe.profile.name}) | {args.services} services, team of {args.team_size}")
    facts = facts or facts_of(tables)
    present = facts.present               # what the data holds at all, before any filter
    if args.only_service:
        known = facts.services
        unknown = [s for s in args.only_service if s not in known]
        if unknown:
            raise UsageError(f"no service named {unknown[0]!r} (services: {', '.join(known) or 'none'})")
        tables = tables_of_services(tables, args.only_service) if not args.team else tables
        header += f" | only {', '.join(args.only_service)} (team-level events kept)"
    if args.team:
        try:
            tables = tables_of_teams(tables, read_teams(teams_path(store.data_dir())), args.team, args.only_service)
        except TeamsError as e:
            raise UsageError(str(e)) from None
        header += f" | team {', '.join(args.team)}"
    analysis = analyze(tables, window, a, args.attribution_hours, present=present, overrides=pins,
                       large_pr_lines=args.large_pr_lines)
    custom = custom_metrics(tables, window)
    if args.json:
        print(json.dumps(to_json(analysis, base, custom), indent=2), file=out)
    else:
        print("\n".join(text_lines(analysis, header, base) + custom_lines(custom)), file=out)
    return 0


def custom_metrics(tables, window) -> dict | None:
    """The custom metrics of ``METRICS_PLUGINS`` over the window's events (None when no plug-in is
    named); a plug-in that fails is a UsageError naming its file."""
    from ..plugins import PluginError, evaluate_all, load_plugins, named, window_events
    if not named():
        return None
    try:
        customs = load_plugins()
        return evaluate_all(customs, window_events(tables, window))
    except PluginError as e:
        raise UsageError(str(e)) from None


def custom_lines(custom: dict | None) -> list[str]:
    """The console lines of the custom metrics: each under its label, with its unit."""
    if not custom:
        return []
    lines = ["", "--- CUSTOM METRICS ---"]
    for name, result in custom.items():
        spec = result.spec
        value = "n/a" if result.headline is None else f"{result.headline:,.2f}{(' ' + spec.unit) if spec.unit else ''}"
        extra = f" (latest of {len(result.frame)} periods)" if result.frame is not None and len(result.frame) else ""
        lines.append(f"{spec.label}: {value}{extra}")
    return lines


def stored(read):
    """``read()``, a store failure as a UsageError (its sentence)."""
    from .. import store
    try:
        return read()
    except store.StoreError as e:
        raise UsageError(str(e)) from None


def loaded_tables(args, err) -> tuple:
    """The tables of ``--dataset`` or ``--events`` (printing the load report), and where they came from."""
    from .. import store
    from ..ingest import LoadError, StrictLoadError
    from ..ingest.files import load_coded
    if args.dataset:
        return stored(lambda: store.load_tables(args.dataset)), f"dataset {args.dataset}"
    try:
        events, report = load_coded(args.events, strict=args.strict)
    except StrictLoadError as e:
        print("\n".join(e.report.lines()), file=err)
        raise UsageError(f"stopped at the first bad row (--strict): {e}") from None
    except LoadError as e:
        raise UsageError(str(e)) from None
    print("\n".join(report.lines()), file=err)
    return events.tables(), f"events from {', '.join(report.sources)}"
