"""``python -m metrics import``: add the events of files (or a git repository) to a stored dataset."""
from __future__ import annotations

import argparse
import sys

from ..console import Parser, ProgressBar, UsageError


def import_parser(problems=()) -> argparse.ArgumentParser:
    """``import``'s parser: ``--from`` any registered source, and every source's options (one flag
    per option name, its help naming the sources that take it). ``problems``: the plug-ins that
    could not be loaded, said under the help."""
    from ..registry.options import add_to, reader_options
    from ..registry.source import sources
    every = sources()
    p = Parser(prog="python -m metrics import", description="Add events to a stored dataset (creating it).",
               epilog=" ".join(f"warning: {one_line(p.sentence)}" for p in problems) or None)
    p.add_argument("--from", dest="source", metavar="SOURCE", required=True,
                   help="what the paths are: " + "; ".join(f"{name}: {spec.title}" for name, spec in every.items()) +
                        " (python -m metrics sources lists them with their options)")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="the files to read (a folder for --from git), one or several")
    p.add_argument("--name", required=True, help="the dataset")
    p.add_argument("--service", help="set the service of every imported event (so sources line up)")
    p.add_argument("--replace", action="store_true", help="replace the dataset's events instead of adding to them")
    p.add_argument("--strict", action="store_true", help="stop at the first bad row (exit 2), storing nothing")
    p.set_defaults(riding=add_to(p, reader_options()))
    return p


def one_line(text: str) -> str:
    """``text`` on one line (a plug-in's error may span several)."""
    return " ".join(str(text).split())


def import_reader(args):
    """The reader of ``--from`` with the options given: a UsageError of one sentence for a source
    there is not, another source's option, an option given with ``--service`` that replaces it, or
    what the source itself refuses (``--tag-pattern`` both plain and SERVICE=GLOB, a required option
    missing)."""
    from ..registry.options import given_to, reader_options
    from ..registry.source import sources
    spec = sources().get(args.source)
    if spec is None:
        raise UsageError(f"argument --from: invalid choice: {args.source!r} (sources: {', '.join(sources())})")
    try:
        options = given_to(args, reader_options(), spec.name, riding=args.riding)
        crossing = [o for o in spec.options if o.excludes_service and o.name in options]
        if crossing and args.service:
            raise ValueError(f"--service sets one service for every event, {crossing[0].command_flag} "
                             f"{crossing[0].excludes_service}: give one of them")
        return spec.make_reader(**options)
    except ValueError as e:
        raise UsageError(str(e)) from None


def run_import(argv, out=None, err=None) -> int:
    """``python -m metrics import --from SOURCE PATH... --name DATASET [--service S] [--replace]``.

    Several repositories (``--from git DIR...``; ``--scan`` finds every one under a folder): one
    that cannot be read is one line on stderr and the others are stored, exit 1 with "3 of 4
    repositories imported"; none read is exit 2 with nothing stored, and so is one not read with
    ``--replace`` (which would drop its events) or ``--strict``. Several files are one import: one
    that cannot be read stores nothing (exit 2)."""
    from ..ingest.plugin_sources import plugin_problems, refusal
    out, err = out or sys.stdout, err or sys.stderr
    problems = plugin_problems()                 # METRICS_PLUGINS' sources: one that fails is one sentence
    args = import_parser(problems).parse_args(argv)
    from .. import store  # the store (pandas) after the words are parsed: --help needs none of it
    from ..ingest import LoadError, StrictLoadError, load_coded
    refused = refusal(args.source, problems)    # only --from a failed plug-in's own source
    if refused:
        raise UsageError(one_line(refused))
    for problem in problems:
        print(f"warning: {one_line(problem.sentence)}", file=err)
    bar = ProgressBar(err)
    paths, failed = [], []
    try:
        try:
            store.check_name(args.name)
            reader = import_reader(args)
            rules = import_ai_rules(store.data_dir())
            paths = targets_of(args, reader, err)
            separate = hasattr(reader, "targets") and not args.strict     # one unreadable, the others stored
            events, report = load_coded(paths, strict=args.strict, reader=reader, progress=bar,   # kept in codes
                                        service=args.service, failed=failed if separate else None, ai_rules=rules)
            if failed and args.replace:
                raise UsageError(f"{imported(paths, failed, reader)} and --replace would drop the events of "
                                 f"the rest: nothing stored (dataset {args.name} is unchanged)")
            if not len(events) and not args.replace:
                bar.end()
                print("\n".join(report.lines()), file=err)
                raise UsageError(f"no event was accepted, so nothing was stored (dataset {args.name} is unchanged)")
            total, added, merge = store.save(args.name, events, replace=args.replace, progress=bar)
        finally:
            bar.end()
            for sentence in failed:                      # one line each, whatever happened next
                print(f"error: {one_line(sentence)}", file=err)
    except StrictLoadError as e:
        print("\n".join(e.report.lines()), file=err)
        print(f"error: stopped at the first bad row (--strict), nothing stored: {e}", file=err)
        return 2
    except (LoadError, store.StoreError) as e:
        raise UsageError(str(e)) from None
    *notes, summary = store.save_lines(args.name, total, added, merge)
    print("\n".join(report.lines() + notes), file=err)
    print(summary, file=out)
    if len(paths) > 1:
        print(imported(paths, failed, reader), file=out)
    return 1 if failed else 0


def import_ai_rules(data_dir):
    """The AI rules the import decides by (``ai_facts.rules_of_data``: ``ai.toml`` of the data
    directory, or ``METRICS_AI_RULES``): a UsageError of one sentence, before anything is read, for
    a file that cannot be used."""
    from ..ai_rules import AiRulesError
    from ..ingest.ai_facts import rules_of_data
    try:
        return rules_of_data(data_dir)
    except AiRulesError as e:
        raise UsageError(f"{e} (nothing imported)") from None


def targets_of(args, reader, err) -> list:
    """What the import reads for its paths (``ingest.files.read_targets``), its line said on
    ``err``: a UsageError of one sentence for what the reader refuses before reading (a path that is
    not a directory, two repositories that would be one service)."""
    from ..ingest.files import read_targets
    try:
        paths, line = read_targets(args.paths, reader, args.service)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if line:
        print(line, file=err)
    return paths


def imported(paths, failed, reader) -> str:
    """"3 of 4 repositories imported" ("files" for a file source)."""
    from ..ingest.files import item_names
    return f"{len(paths) - len(failed)} of {len(paths)} {item_names(reader)[1]} imported"
