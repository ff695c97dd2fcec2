"""``python -m metrics import``: add the events of files (or a git repository) to a stored dataset."""
from __future__ import annotations

import argparse
import sys

from ..console import Parser, ProgressBar, UsageError, pair_argument


def import_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m metrics import``."""
    from ..ingest import sources as importers
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


def git_options(args) -> dict:
    """The git importer's options from ``--tag-pattern`` and ``--service-path``, checked: one
    sentence (a UsageError) for a glob that is empty, a mix of the two forms, or a service no path gives."""
    from ..ingest import sources as importers
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
    from .. import store
    from ..ingest import LoadError, StrictLoadError, load_events
    from ..ingest import sources as importers
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
