"""Reading event files: the size limit, UTF-8 text, and ``load_events``, which runs a source's
reader over each file, validates the rows and merges the reports (ids are shared across files);
``load_coded``, the same events kept in codes (``coded.CodedEvents``: ``tables()`` needs no strings)."""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .. import schema as s
from .coded import CodedEvents, duplicated, plain
from ..ai_rules import AiRules
from .ai_facts import with_ai_events
from .report import LoadError, LoadReport, RawRows, StrictLoadError
from .sources.events.reader import read_events_file
from .validate import pair_check, validate

MAX_FILE_BYTES = int(float(os.environ.get("METRICS_MAX_FILE_MB", "2048")) * 1024 * 1024)


def read_bytes(path: Path) -> bytes:
    """The bytes of an event file, or a LoadError of one sentence: missing, a directory, over the
    size limit (``METRICS_MAX_FILE_MB``), not readable."""
    if not path.exists():
        raise LoadError(f"{path}: no such file")
    if path.is_dir():
        raise LoadError(f"{path}: is a directory, not an event file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise LoadError(f"{path}: {size / 1e6:.0f} MB is over the {MAX_FILE_BYTES / 1e6:.0f} MB limit (METRICS_MAX_FILE_MB)")
    try:
        return path.read_bytes()
    except PermissionError:
        raise LoadError(f"{path}: permission denied") from None
    except OSError as e:
        raise LoadError(f"{path}: cannot read ({e.strerror})") from None


def read_text(path: Path) -> str:
    """The UTF-8 text of an event file (``read_bytes``; a LoadError when it is not UTF-8)."""
    try:
        return read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise LoadError(f"{path}: not UTF-8 text (byte {e.start})") from None


def fits(path: Path) -> bool:
    """Whether ``path`` is a file under the size limit (``read_text`` says why not, when not)."""
    try:
        return path.is_file() and path.stat().st_size <= MAX_FILE_BYTES
    except OSError:
        return False


def load_file(path, strict: bool = False) -> tuple[pd.DataFrame, LoadReport]:
    """Read and validate one event file (CSV, NDJSON or JSON); rows are numbered by line (CSV,
    NDJSON) or by record (JSON)."""
    events, report = load_one(path, strict)
    return events.frame(), report


def load_one(path, strict: bool, reader=read_events_file, service: str | None = None,
             ai_rules: AiRules | None = None) -> tuple[CodedEvents, LoadReport]:
    """``load_file`` (with any ``reader`` of raw rows), the events kept in codes; with ``ai_rules``,
    a ``pr_ai_assisted`` event per PR the reader gives facts of (``ai_facts.with_ai_events``).

    A reader marked ``reads_path`` (the git importer) is given the path and no text."""
    path = Path(path)
    if reader is read_events_file and fits(path):
        from .slices import load_in_slices
        done = load_in_slices(path, strict, service)            # a CSV a slice at a time: the same rows and report
        if done is not None:
            return done
    text = None if getattr(reader, "reads_path", False) else read_text(path)
    got = with_ai_events(RawRows(*reader(text, path)), ai_rules)
    del text                                                    # the rows hold what validation needs
    rows = got.rows.assign(service=service) if service else got.rows
    events, report = validate(rows, got.numbers, source=path.name, unit=got.unit, parse_errors=got.bad, strict=strict)
    report.skipped = dict(got.skipped)
    report.warnings = list(got.warnings)
    return events, report


def item_names(reader) -> tuple[str, str]:
    """What one path of ``reader`` is called, and several: ("file", "files"), or the reader's own
    ``item`` (the git importer's ("repository", "repositories"))."""
    return getattr(reader, "item", ("file", "files"))


def read_targets(paths, reader=read_events_file, service: str | None = None) -> tuple[list, str | None]:
    """What ``load_events`` reads for the command line's ``paths``, and a line to say of them or
    None: the reader's own ``targets`` when it has them (the git importer's repositories: every one
    under a folder with ``--scan``, "found 3 repositories under org", each once, two that would be
    one service refused with a ValueError of one sentence), else the paths as given."""
    targets = getattr(reader, "targets", None)
    return targets(list(paths), service) if targets else (list(paths), None)


def load_events(paths, strict: bool = False, reader=read_events_file, progress=None,
                service: str | None = None, failed: list | None = None,
                ai_rules: AiRules | None = None) -> tuple[pd.DataFrame, LoadReport]:
    """Read several event files into one validated frame and one report (``load_coded``'s events
    as the canonical frame)."""
    events, report = load_coded(paths, strict, reader, progress, service, failed, ai_rules)
    return events.frame(), report


def load_coded(paths, strict: bool = False, reader=read_events_file, progress=None,
               service: str | None = None, failed: list | None = None,
               ai_rules: AiRules | None = None) -> tuple[CodedEvents, LoadReport]:
    """Read several event files into one set of validated events, kept in codes
    (``CodedEvents``: ``.tables()`` builds the tables from them, ``.frame()`` the frame), and one report.

    Duplicates across files are dropped too; ids are shared across files (an incident may start
    in one file and be resolved in another). ``reader`` turns a file's text into raw rows (the
    canonical formats by default; ``metrics.registry.source.source(name).make_reader()`` gives
    any source's).
    ``progress(done, total, what)``, when given, is called before each file ("file 3 of 12: x.csv";
    one file: "reading x.csv") and at the end.
    ``service``, when given, is every event's service (before validation, so it fills missing ones).
    ``failed``, when given (a list), takes the sentence of each file that cannot be read (a
    LoadError), and the others are read; when every one fails, a LoadError (the file's own, or
    "none of the N files could be read"). Without it the first such file is the LoadError.
    ``ai_rules``, when given, decides which PRs were AI-assisted (``load_one``).
    """
    parts, report = [], LoadReport()
    paths = list(paths)
    one, several = item_names(reader)
    for i, path in enumerate(paths):
        if progress:
            progress(i, len(paths), f"{one} {i + 1} of {len(paths)}: {Path(path).name}" if len(paths) > 1
                     else f"reading {Path(path).name}")
        try:
            events, rep = load_one(path, strict, reader, service, ai_rules)
        except LoadError as e:
            if failed is None or isinstance(e, StrictLoadError) or len(paths) == 1:
                raise
            failed.append(str(e))
            continue
        parts.append(events)
        report = report.merge(rep)
    if progress:
        progress(len(paths), len(paths), "read")
    if not parts:
        raise LoadError(f"none of the {len(paths)} {several} could be read")
    if len(parts) == 1:
        return parts[0], report
    events = CodedEvents.concat(parts)
    dup = duplicated([plain(events.ts), plain(events.value)] + [events.text[c] for c in s.TEXT_COLUMNS])
    report.duplicates += int(dup.sum())
    report.accepted -= int(dup.sum())
    events, pair_report = pair_check(events.take(~dup))
    if strict and pair_report.rejected_count:
        first = pair_report.rejected.iloc[0]
        raise StrictLoadError(f"{first['source']} {first['row']}: {first['reason']}", report)
    report.rejected = pd.concat([report.rejected, pair_report.rejected], ignore_index=True)
    report.accepted -= pair_report.rejected_count
    report.open_incidents, report.resolved_without_start = pair_report.open_incidents, pair_report.resolved_without_start
    report.pr_events_without_created = pair_report.pr_events_without_created
    return events, report
