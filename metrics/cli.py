"""Command line of ``python -m metrics`` (and the summary ``python app.py`` prints)."""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys

from . import defaults
from .analysis import analyze, kinds_present
from .attribution import AttributionError, attribution_path, read_overrides
from .benchmarks import BASELINES, Baseline, BenchmarkError, baseline
from .catalog import run_metrics
from . import store, tokens, users
from .ingest import LoadError, StrictLoadError, load_events
from .ingest import sources as importers
from .ingest.sync.command import run_sync
from .ingest.sync.run import last_runs
from .pvm import Assumptions
from .scenarios import AUTO, SCENARIOS
from .plugins import PluginError, evaluate_all, load_plugins, window_events
from .summary import text_lines, to_json
from .synthetic import check_params, generate
from .tables import tables_from_frame
from .schema import NS_PER_DAY
from .selection import services_of, tables_of_services
from .teams import TeamsError, read_teams, tables_of_teams, teams_path
from .window import Window, over_data, to_ns, today_ns


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are a UsageError (one line, exit 2) and that never takes an
    abbreviation of an option for the option (``--team`` is not ``--team-size``)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message):
        raise UsageError(message)


def whole_argument(name: str, lo: int, hi: int):
    """An argparse type: a whole number in [lo, hi] (``defaults.whole``)."""
    def parse(text: str) -> int:
        try:
            return defaults.whole(name, text, lo, hi)
        except defaults.CheckError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    return parse


def amount_argument(name: str, lo: float = 0.0, hi: float = defaults.MAX_AMOUNT):
    """An argparse type: a finite number in [lo, hi] (``defaults.amount``)."""
    def parse(text: str) -> float:
        try:
            return defaults.amount(name, text, lo, hi)
        except defaults.CheckError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    return parse


def _date(text: str) -> int:
    try:
        return to_ns(text)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def pair_argument(what: str):
    """An argparse type: ``NAME=VALUE`` with both sides non-empty, as a (name, value) pair; ``what``
    says the form in the error."""
    def parse(text: str) -> tuple:
        name, equals, value = text.partition("=")
        if not equals or not name.strip() or not value.strip():
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return name.strip(), value.strip()
    return parse


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


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m metrics", description="DORA, SPACE and platform value metrics from raw events.")
    add_universe_arguments(p)
    add_summary_assumptions(p)
    source = p.add_mutually_exclusive_group()
    source.add_argument("--events", nargs="+", metavar="FILE", help="summarise these CSV / NDJSON / JSON event files")
    source.add_argument("--dataset", metavar="NAME", help="summarise a stored dataset (see: python -m metrics datasets)")
    p.add_argument("--strict", action="store_true", help="with --events: stop at the first bad row (exit 2)")
    p.add_argument("--start", type=_date, help="first day of the window (YYYY-MM-DD)")
    p.add_argument("--end", type=_date, help="day after the window (YYYY-MM-DD); synthetic default: today")
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


def run_baselines(argv, out=None) -> int:
    """``python -m metrics baselines``: every Quick Check baseline, its key, name and averages."""
    out = out or sys.stdout
    Parser(prog="python -m metrics baselines",
           description="The published DORA Quick Check averages the scores can be compared with (--baseline KEY, "
                       "METRICS_BASELINE).").parse_args(argv)
    print("key\tname\toverall\tlead time\tdeployment frequency\trecovery\tchange failure rate", file=out)
    for base in BASELINES.values():
        m = base.means
        print("\t".join([base.key, base.title] + [f"{m[k]:.2f}" for k in (
            "overall", "lead_time", "deployment_frequency", "failed_deployment_recovery_time", "change_failure_rate")]),
            file=out)
    return 0


def overrides_from(args):
    """The attribution overrides of ``--attribution`` (which must exist), else of the default file."""
    try:
        if args.attribution:
            return read_overrides(args.attribution, required=True)
        return read_overrides(attribution_path(store.data_dir()))
    except AttributionError as e:
        raise UsageError(str(e)) from None


def assumptions_from(args) -> Assumptions:
    a = Assumptions(hourly_rate=args.hourly_rate, value_per_deploy=args.value_per_deploy, team_size=args.team_size,
                    hours_per_day=args.hours_per_day, workweek=args.workweek)
    try:
        a.check()
    except ValueError as e:
        raise UsageError(str(e)) from None
    return a


def synthetic_window(args) -> Window:
    """The window of a synthetic run from --start / --end / --days."""
    days = args.days or defaults.DAYS
    if args.start is not None and args.end is not None:
        if args.end <= args.start:
            raise UsageError("--end must be after --start")
        return Window.between(args.start, args.end)
    if args.start is not None:
        return Window.between(args.start, args.start + days * NS_PER_DAY)
    return Window.ending(args.end if args.end is not None else today_ns(), days)


def events_window(args, tables) -> Window:
    """The window over loaded data: its span by default, --days keeps the last days, --start/--end set it."""
    try:
        return over_data(tables.time_span(), args.days, args.start, args.end)
    except ValueError as e:
        raise UsageError(str(e).replace("a start and an end", "--start and --end")) from None


def run(argv=None, out=None, err=None) -> int:
    """The console summary (or ``--json``) of ``python -m metrics``; ``out``/``err`` default to the
    process's streams at call time."""
    out, err = out or sys.stdout, err or sys.stderr
    args = build_parser().parse_args(argv)
    a = assumptions_from(args)
    base = baseline_from(args.baseline)
    if args.dataset or args.events:
        tables, source = loaded_tables(args, err)
        window = events_window(args, tables)
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
    present = kinds_present(tables)               # what the data holds at all, before any filter
    if args.only_service:
        known = services_of(tables)
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
    analysis = analyze(tables, window, a, args.attribution_hours, present=present, overrides=overrides_from(args))
    custom = custom_metrics(tables, window)
    if args.json:
        print(json.dumps(to_json(analysis, base, custom), indent=2), file=out)
    else:
        print("\n".join(text_lines(analysis, header, base) + custom_lines(custom)), file=out)
    return 0


def custom_metrics(tables, window) -> dict | None:
    """The custom metrics of ``METRICS_PLUGINS`` over the window's events (None when no plug-in is
    named); a plug-in that fails is a UsageError naming its file."""
    if not os.environ.get("METRICS_PLUGINS", "").strip():
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


def loaded_tables(args, err) -> tuple:
    """The tables of ``--dataset`` or ``--events`` (printing the load report), and where they came from."""
    if args.dataset:
        try:
            return store.load_tables(args.dataset), f"dataset {args.dataset}"
        except store.StoreError as e:
            raise UsageError(str(e)) from None
    try:
        frame, report = load_events(args.events, strict=args.strict)
    except StrictLoadError as e:
        print("\n".join(e.report.lines()), file=err)
        raise UsageError(f"stopped at the first bad row (--strict): {e}") from None
    except LoadError as e:
        raise UsageError(str(e)) from None
    print("\n".join(report.lines()), file=err)
    return tables_from_frame(frame), f"events from {', '.join(report.sources)}"


def import_parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m metrics import", description="Add events to a stored dataset (creating it).")
    p.add_argument("--from", dest="source", choices=importers.SOURCES, required=True,
                   help="what the paths are: canonical CSV / NDJSON / JSON events, a local git repository, "
                        "GitHub or GitLab REST API JSON, PagerDuty or Opsgenie incidents JSON, CDEvents, "
                        "or a survey form export (CSV)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--name", required=True, help="the dataset")
    p.add_argument("--service", help="set the service of every imported event (so sources line up)")
    p.add_argument("--replace", action="store_true", help="replace the dataset's events instead of adding to them")
    p.add_argument("--strict", action="store_true", help="stop at the first bad row (exit 2), storing nothing")
    p.add_argument("--tag-pattern", action="append", default=[], metavar="GLOB|SERVICE=GLOB",
                   help="git: the tags that are deployments (a glob, default all); in a monorepo SERVICE=GLOB, "
                        "repeatable: a tag deploys only its service and tags matching none are ignored")
    p.add_argument("--service-path", action="append", default=[], metavar="SERVICE=GLOB",
                   type=pair_argument("SERVICE=GLOB (a service, '=', a non-empty path glob such as services/api/**)"),
                   help="git: in a monorepo, a PR belongs to every service whose paths it changes (repeatable)")
    p.add_argument("--deploy-workflow", default=importers.DEFAULT_DEPLOY_PATTERN,
                   help="github / cdevents: the workflows or pipelines whose runs are deployments "
                        "(a glob on the name or file, default %(default)s)")
    p.add_argument("--urgency", choices=("high", "low"),
                   help="pagerduty: only incidents of this urgency (default: every incident)")
    p.add_argument("--releases-as-deployments", action="store_true",
                   help="github: published releases are deployments (for teams that release by tag)")
    p.add_argument("--incident-label", metavar="LABEL", help="github: issues with this label are incidents")
    p.add_argument("--score-column", metavar="NAME",
                   help="survey: the column holding the 1-5 satisfaction score (a form service's CSV export)")
    p.add_argument("--time-column", metavar="NAME",
                   help="survey: the submission time column (default: Typeform's, Microsoft Forms' or Google Forms')")
    p.add_argument("--day-first", action="store_true", help="survey: dates are day first (31/12/2024)")
    p.add_argument("--repo-service", action="append", type=pair_argument("REPO=SERVICE (two names joined by '=')"), default=[],
                   metavar="REPO=SERVICE", help="cdevents: the changes of repository REPO are service SERVICE's "
                   "(repeatable; otherwise linked through the artifacts the deployments name)")
    p.add_argument("--production", default="production",
                   help="github / gitlab / cdevents: the environment that is production (default %(default)s)")
    return p


class ProgressBar:
    """A one-line progress bar on a terminal (nothing when the stream is not one)."""

    WIDTH = 30

    def __init__(self, stream):
        self.stream = stream
        self.on = hasattr(stream, "isatty") and stream.isatty()

    def __call__(self, done: int, total: int, what: str) -> None:
        if not self.on:
            return
        filled = self.WIDTH * done // total if total else self.WIDTH
        self.stream.write(f"\r[{'#' * filled}{'-' * (self.WIDTH - filled)}] {done}/{total} {what[:40]:<40}")
        self.stream.flush()

    def end(self) -> None:
        if self.on:
            self.stream.write("\n")
            self.stream.flush()


def git_options(args) -> dict:
    """The git importer's options from ``--tag-pattern`` and ``--service-path``, checked: one
    sentence (a UsageError) for a glob that is empty, a mix of the two forms, or a service no path gives."""
    plain = [v for v in args.tag_pattern if "=" not in v]
    mapped = [v.partition("=")[::2] for v in args.tag_pattern if "=" in v]
    if (args.service_path or mapped) and args.source != "git":
        raise UsageError("--service-path and --tag-pattern SERVICE=GLOB are for --from git")
    if plain and mapped:
        raise UsageError("--tag-pattern is either one glob or SERVICE=GLOB per service, not both")
    if len(plain) > 1 or any(not v.strip() for v in plain):
        raise UsageError(f"--tag-pattern takes one non-empty glob (or SERVICE=GLOB per service), got {plain!r}")
    if args.service_path and args.service:
        raise UsageError("--service sets one service for every event, --service-path one per path: give one of them")
    try:
        service_paths = importers.service_globs(args.service_path, "--service-path")
        tag_patterns = importers.service_globs(mapped, "--tag-pattern")
    except ValueError as e:
        raise UsageError(str(e)) from None
    unknown = sorted(set(tag_patterns) - set(service_paths))
    if unknown:
        raise UsageError(f"--tag-pattern names service {unknown[0]!r}, which no --service-path gives "
                         f"(services: {', '.join(service_paths) or 'none'})")
    return {"tag_pattern": plain[0] if plain else "*", "service_paths": service_paths, "tag_patterns": tag_patterns}


def run_import(argv, out=None, err=None) -> int:
    """``python -m metrics import --from SOURCE PATH... --name DATASET [--service S] [--replace]``."""
    out, err = out or sys.stdout, err or sys.stderr
    args = import_parser().parse_args(argv)
    bar = ProgressBar(err)
    try:
        try:
            store.check_name(args.name)
            reader = importers.reader_for(args.source, **git_options(args),
                                          deploy_workflow=args.deploy_workflow, production=args.production,
                                          urgency=args.urgency, score_column=args.score_column,
                                          time_column=args.time_column, day_first=args.day_first,
                                          releases=args.releases_as_deployments, incident_label=args.incident_label,
                                          repo_service=dict(args.repo_service))
            if args.source == "survey" and not args.score_column:
                raise UsageError("--from survey needs --score-column NAME (the 1-5 question's column)")
            frame, report = load_events(args.paths, strict=args.strict, reader=reader, progress=bar,
                                        service=args.service)
            if not len(frame) and not args.replace:
                bar.end()
                print("\n".join(report.lines()), file=err)
                raise UsageError(f"no event was accepted, so nothing was stored (dataset {args.name} is unchanged)")
            total, added, merge = store.save(args.name, frame, replace=args.replace, progress=bar)
        finally:
            bar.end()
    except StrictLoadError as e:
        print("\n".join(e.report.lines()), file=err)
        print(f"error: stopped at the first bad row (--strict), nothing stored: {e}", file=err)
        return 2
    except (LoadError, store.StoreError) as e:
        raise UsageError(str(e)) from None
    *notes, summary = store.save_lines(args.name, total, added, merge)
    print("\n".join(report.lines() + notes), file=err)
    print(summary, file=out)
    return 0


def run_datasets(argv, out=None) -> int:
    """``python -m metrics datasets [--delete NAME]``: list stored datasets, or delete one."""
    out = out or sys.stdout
    p = Parser(prog="python -m metrics datasets", description="List stored datasets, or delete one.")
    p.add_argument("--delete", metavar="NAME")
    args = p.parse_args(argv)
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


def run_tokens(argv, out=None) -> int:
    """``python -m metrics tokens create NAME | list | revoke NAME``: read-only API tokens."""
    out = sys.stdout if out is None else out
    p = Parser(prog="python -m metrics tokens", description="Read-only tokens for the JSON API (/api/v1).")
    p.add_argument("action", choices=("create", "list", "revoke"))
    p.add_argument("name", nargs="?")
    args = p.parse_args(argv)
    path = tokens.tokens_path(store.data_dir())
    try:
        if args.action == "list":
            for name, created in tokens.names(path):
                print(f"{name}\tcreated {created}", file=out)
            return 0
        if not args.name:
            raise UsageError(f"tokens {args.action} needs a NAME")
        if args.action == "create":
            token = tokens.create(path, args.name)
            print(f"Token {args.name} (shown once; keep it in a secret store):\n{token}", file=out)
            print("The API now answers only requests with a token: Authorization: Bearer TOKEN", file=out)
        else:
            tokens.revoke(path, args.name)
            print(f"Revoked token {args.name}", file=out)
    except tokens.TokenError as e:
        raise UsageError(str(e)) from None
    return 0


def run_users(argv, out=None, stdin=None) -> int:
    """``python -m metrics users add NAME --role viewer|editor [--password-stdin] | list | remove NAME |
    set-role NAME ROLE | set-password NAME [--password-stdin]``: the dashboard's users for
    ``METRICS_AUTH=basic``; each change is recorded in the audit trail."""
    out = sys.stdout if out is None else out
    stdin = sys.stdin if stdin is None else stdin
    p = Parser(prog="python -m metrics users",
               description="Dashboard users and roles (METRICS_AUTH=basic): add, list, remove, set-role, set-password.")
    p.add_argument("action", choices=("add", "list", "remove", "set-role", "set-password"))
    p.add_argument("name", nargs="?")
    p.add_argument("role_value", nargs="?", metavar="ROLE", help="for set-role: viewer or editor")
    p.add_argument("--role", choices=users.ROLES, help="for add: viewer (reads) or editor (also writes)")
    p.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    args = p.parse_args(argv)
    path = users.users_path(store.data_dir())
    try:
        if args.action == "list":
            found = users.listing(path)
            if not found:
                print(f"No users in {path} (add one: python -m metrics users add NAME --role editor)", file=out)
            for name, role, created in found:
                print(f"{name}\t{role}\tcreated {created}", file=out)
            return 0
        if not args.name:
            raise UsageError(f"users {args.action} needs a NAME")
        if args.action == "add":
            if not args.role:
                raise UsageError("users add needs --role viewer or --role editor")
            users.check_user_name(args.name)
            users.add(path, args.name, args.role, read_password(args.password_stdin, stdin))
            print(f"Added user {args.name} ({args.role}) to {path}", file=out)
            audited("user add", f"{args.name} ({args.role})")
        elif args.action == "remove":
            users.remove(path, args.name)
            print(f"Removed user {args.name}; their sessions end at their next request", file=out)
            audited("user remove", args.name)
        elif args.action == "set-password":
            if users.lookup(path, args.name) is None:
                raise UsageError(f"no user named {args.name!r}")
            users.set_password(path, args.name, read_password(args.password_stdin, stdin))
            print(f"New password for {args.name}; their sessions from before end at their next request", file=out)
            audited("user set-password", args.name)
        else:
            if not args.role_value:
                raise UsageError("users set-role needs NAME and ROLE (viewer or editor)")
            users.set_role(path, args.name, args.role_value)
            print(f"User {args.name} is now {args.role_value}", file=out)
            audited("user set-role", f"{args.name} ({args.role_value})")
    except users.UsersError as e:
        raise UsageError(str(e)) from None
    return 0


def audited(action: str, detail: str) -> None:
    """Record a users change in the audit trail; a store that cannot take it is said, not fatal
    (the change itself is made)."""
    try:
        store.record_audit(action, detail)
    except store.StoreError as e:
        print(f"warning: the audit trail did not record this ({e})", file=sys.stderr)


def read_password(from_stdin: bool, stdin) -> str:
    """A new password: the first line of ``stdin`` (``--password-stdin``), else typed twice at a prompt."""
    if from_stdin:
        return users.check_password(stdin.readline().rstrip("\r\n"))
    if not stdin.isatty():
        raise UsageError("no terminal to ask for the password on; pipe it in with --password-stdin")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise UsageError("the two passwords differ; nothing was changed")
    return users.check_password(first)


def run_audit(argv, out=None) -> int:
    """``python -m metrics audit [--dataset NAME] [--limit N] [--json]``: the latest writes, newest first."""
    out = sys.stdout if out is None else out
    p = Parser(prog="python -m metrics audit",
               description="Every write to the stored datasets: who, when, which dataset, how many events.")
    p.add_argument("--dataset", metavar="NAME")
    p.add_argument("--limit", type=whole_argument("--limit", 1, 100_000), default=50)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
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


def main(argv=None) -> int:
    """Entry point: exit code 0, or 2 with a one-line message for bad input."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if argv[:1] == ["import"]:
            return run_import(argv[1:])
        if argv[:1] == ["datasets"]:
            return run_datasets(argv[1:])
        if argv[:1] == ["sync"]:
            return run_sync(argv[1:])
        if argv[:1] == ["tokens"]:
            return run_tokens(argv[1:])
        if argv[:1] == ["users"]:
            return run_users(argv[1:])
        if argv[:1] == ["audit"]:
            return run_audit(argv[1:])
        if argv[:1] == ["baselines"]:
            return run_baselines(argv[1:])
        if argv[:1] == ["metrics"]:
            return run_metrics(argv[1:])
        return run(argv)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
