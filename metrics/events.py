"""Loading and validating events (METRICS.md section 1).

``load_events`` reads canonical CSV, NDJSON and JSON files; ``normalize`` validates any table of
raw events. Nothing crashes and nothing vanishes silently: every rejected row is reported with
its line (CSV, NDJSON) or record (JSON) number and the reason, and exact duplicates are counted.
"""
from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from typing import NamedTuple
from pathlib import Path

import numpy as np
import pandas as pd

from . import schema as s
from .tables import ts_ns

MAX_FILE_BYTES = int(float(os.environ.get("METRICS_MAX_FILE_MB", "2048")) * 1024 * 1024)
SHOWN_REJECTIONS = 20
OFFSET_PATTERN = r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$"


class RawRows(NamedTuple):
    """What a reader makes of one file: raw event rows (any dtypes), the record number of each, the
    records it could not read as (number, reason), the unit that numbers them ("line", "record",
    "incident", ...), and records that are valid but are not events, counted by reason."""

    rows: pd.DataFrame
    numbers: np.ndarray
    bad: list
    unit: str
    skipped: dict = {}


class LoadError(Exception):
    """A whole file cannot be read (missing, unreadable, wrong format, missing columns)."""


class StrictLoadError(LoadError):
    """``strict`` loading met a bad row; ``report`` holds what was read up to the stop."""

    def __init__(self, message: str, report: "LoadReport"):
        super().__init__(message)
        self.report = report


@dataclass
class LoadReport:
    """What a load did: rows read, accepted, rejected with reasons, and what the metrics will meet."""

    sources: list = field(default_factory=list)
    rows_read: int = 0
    accepted: int = 0
    duplicates: int = 0
    naive_timestamps: int = 0
    rejected: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"source": [], "row": [], "reason": []}))
    unknown_kinds: dict = field(default_factory=dict)
    open_incidents: int = 0                 # incident_start without incident_resolved
    resolved_without_start: int = 0         # incident_resolved without incident_start
    pr_events_without_created: int = 0      # pr_reviewed / pr_merged whose PR has no pr_created
    skipped: dict = field(default_factory=dict)  # reason -> records that are not events (read, not counted in rows)

    @property
    def rejected_count(self) -> int:
        return len(self.rejected)

    def merge(self, other: "LoadReport") -> "LoadReport":
        """The report of two loads together (counts add up; rejections are listed by source)."""
        kinds = dict(self.unknown_kinds)
        for k, v in other.unknown_kinds.items():
            kinds[k] = kinds.get(k, 0) + v
        return LoadReport(self.sources + other.sources, self.rows_read + other.rows_read, self.accepted + other.accepted,
                          self.duplicates + other.duplicates, self.naive_timestamps + other.naive_timestamps,
                          pd.concat([self.rejected, other.rejected], ignore_index=True), kinds,
                          self.open_incidents + other.open_incidents, self.resolved_without_start + other.resolved_without_start,
                          self.pr_events_without_created + other.pr_events_without_created,
                          {k: self.skipped.get(k, 0) + other.skipped.get(k, 0) for k in {**self.skipped, **other.skipped}})

    def to_dict(self) -> dict:
        reasons = self.rejected["reason"].str.replace(r" '.*'$", "", regex=True).value_counts().to_dict() if len(self.rejected) else {}
        return {"sources": self.sources, "rows_read": self.rows_read, "accepted": self.accepted,
                "rejected": self.rejected_count, "rejected_by_reason": {str(k): int(v) for k, v in reasons.items()},
                "rejections": self.rejected.head(SHOWN_REJECTIONS).to_dict("records"),
                "duplicates": self.duplicates, "naive_timestamps": self.naive_timestamps,
                "unknown_kinds": self.unknown_kinds, "open_incidents": self.open_incidents,
                "resolved_without_start": self.resolved_without_start,
                "pr_events_without_created": self.pr_events_without_created, "skipped": self.skipped}

    def lines(self) -> list[str]:
        """The report as text lines."""
        out = [f"Loaded {', '.join(self.sources) or '(no files)'}: {self.rows_read} rows read, {self.accepted} accepted, "
               f"{self.rejected_count} rejected, {self.duplicates} duplicates dropped"]
        if self.naive_timestamps:
            out.append(f"  {self.naive_timestamps} timestamps had no UTC offset and were read as UTC")
        if self.unknown_kinds:
            kinds = ", ".join(f"{k} ({v})" for k, v in sorted(self.unknown_kinds.items()))
            out.append(f"  kinds not used by built-in metrics (kept): {kinds}")
        if self.open_incidents:
            out.append(f"  {self.open_incidents} incidents have no incident_resolved (open: counted, not timed)")
        if self.resolved_without_start:
            out.append(f"  {self.resolved_without_start} incident_resolved events have no incident_start (not used)")
        if self.pr_events_without_created:
            out.append(f"  {self.pr_events_without_created} PR events belong to PRs with no pr_created (not timed)")
        for reason, count in sorted(self.skipped.items()):
            out.append(f"  skipped {count} (not events): {reason}")
        for row in self.rejected.head(SHOWN_REJECTIONS).itertuples():
            out.append(f"  rejected {row.source} {row.row}: {row.reason}")
        if self.rejected_count > SHOWN_REJECTIONS:
            out.append(f"  ... and {self.rejected_count - SHOWN_REJECTIONS} more rejected rows")
        return out


# ---------------------------------------------------------------------------------------------
# reading files into raw rows


def _read_text(path: Path) -> str:
    if not path.exists():
        raise LoadError(f"{path}: no such file")
    if path.is_dir():
        raise LoadError(f"{path}: is a directory, not an event file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise LoadError(f"{path}: {size / 1e6:.0f} MB is over the {MAX_FILE_BYTES / 1e6:.0f} MB limit (METRICS_MAX_FILE_MB)")
    try:
        return path.read_bytes().decode("utf-8-sig")
    except PermissionError:
        raise LoadError(f"{path}: permission denied") from None
    except UnicodeDecodeError as e:
        raise LoadError(f"{path}: not UTF-8 text (byte {e.start})") from None
    except OSError as e:
        raise LoadError(f"{path}: cannot read ({e.strerror})") from None


def detect_format(path: Path, text: str) -> str:
    """"csv", "ndjson" or "json", by the file's suffix, else by its first character."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".ndjson", ".jsonl"):
        return "ndjson"
    if suffix == ".json":
        stripped = text.lstrip()
        if stripped.startswith("{") and "\n{" in stripped.rstrip():
            return "ndjson"
        return "json"
    head = text.lstrip()[:1]
    if head == "[":
        return "json"
    if head == "{":
        return "ndjson" if "\n{" in text.strip() else "json"
    return "csv"


def _raw_from_csv(text: str, name: str) -> tuple[pd.DataFrame, np.ndarray, list]:
    if not text.strip():
        raise LoadError(f"{name}: the file is empty")
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False, skip_blank_lines=False)
        numbers = np.arange(len(raw)) + 2
        blank = (raw == "").all(axis=1).to_numpy()
        return raw[~blank].reset_index(drop=True), numbers[~blank], []
    except pd.errors.ParserError:
        pass
    # a row with the wrong number of fields: read row by row to name each bad line
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    rows, numbers, bad = [], [], []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            bad.append((reader.line_num, f"expected {len(header)} fields, got {len(row)}"))
            continue
        rows.append(row)
        numbers.append(reader.line_num)
    return pd.DataFrame(rows, columns=header, dtype=str), np.asarray(numbers, dtype=np.int64), bad


def _raw_from_records(records: list, numbers: list, name: str) -> tuple[pd.DataFrame, np.ndarray, list]:
    good, good_numbers, bad = [], [], []
    for record, number in zip(records, numbers):
        if isinstance(record, dict):
            good.append(record)
            good_numbers.append(number)
        else:
            bad.append((number, f"not a JSON object ({type(record).__name__})"))
    raw = pd.DataFrame.from_records(good) if good else pd.DataFrame({c: [] for c in s.COLUMNS})
    return raw, np.asarray(good_numbers, dtype=np.int64), bad


def _raw_from_ndjson(text: str, name: str):
    records, numbers, bad = [], [], []
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
            numbers.append(i)
        except json.JSONDecodeError as e:
            bad.append((i, f"invalid JSON ({e.msg})"))
    raw, nums, bad2 = _raw_from_records(records, numbers, name)
    return raw, nums, bad + bad2


def _raw_from_json(text: str, name: str):
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise LoadError(f"{name}: invalid JSON at line {e.lineno} ({e.msg})") from None
    if isinstance(data, dict) and isinstance(data.get("events"), list):
        data = data["events"]
    if not isinstance(data, list):
        raise LoadError(f"{name}: expected a JSON array of events (or an object with an \"events\" array)")
    return _raw_from_records(data, list(range(1, len(data) + 1)), name)


def load_file(path, strict: bool = False) -> tuple[pd.DataFrame, LoadReport]:
    """Read and validate one event file (CSV, NDJSON or JSON); rows are numbered by line (CSV,
    NDJSON) or by record (JSON)."""
    frame, report, _ = _load_file(path, strict)
    return frame, report


def read_events_file(text: str, path: Path) -> RawRows:
    """Raw rows of a canonical event file, their line/record numbers, unreadable rows, the unit."""
    fmt = detect_format(path, text)
    reader = {"csv": _raw_from_csv, "ndjson": _raw_from_ndjson, "json": _raw_from_json}[fmt]
    raw, numbers, bad = reader(text, str(path))
    return RawRows(raw, numbers, bad, "record" if fmt == "json" else "line")


def _load_file(path, strict: bool, reader=read_events_file, service: str | None = None) -> tuple[pd.DataFrame, LoadReport, list[str]]:
    """``load_file`` (with any ``reader`` of raw rows), plus the label of every accepted row.

    A reader marked ``reads_path`` (the git importer) is given the path and no text."""
    path = Path(path)
    text = None if getattr(reader, "reads_path", False) else _read_text(path)
    got = RawRows(*reader(text, path))
    rows = got.rows.assign(service=service) if service else got.rows
    labels: list[str] = []
    frame, report = normalize(rows, got.numbers, source=path.name, unit=got.unit, parse_errors=got.bad,
                              strict=strict, accepted_rows=labels)
    report.skipped = dict(got.skipped)
    return frame, report, labels


def load_events(paths, strict: bool = False, reader=read_events_file, progress=None,
                service: str | None = None) -> tuple[pd.DataFrame, LoadReport]:
    """Read several event files into one validated frame and one report.

    Duplicates across files are dropped too; ids are shared across files (an incident may start
    in one file and be resolved in another). ``reader`` turns a file's text into raw rows (the
    canonical formats by default; ``metrics.importers`` has readers for other sources).
    ``progress(done, total, name)``, when given, is called before each file and at the end.
    ``service``, when given, is every event's service (before validation, so it fills missing ones).
    """
    frames, report, sources, rows = [], LoadReport(), [], []
    paths = list(paths)
    for i, path in enumerate(paths):
        if progress:
            progress(i, len(paths), f"reading {Path(path).name}")
        frame, rep, labels = _load_file(path, strict, reader, service)
        frames.append(frame)
        report = report.merge(rep)
        sources += [Path(path).name] * len(frame)
        rows += labels
    if progress:
        progress(len(paths), len(paths), "read")
    if len(frames) == 1:
        return frames[0], report
    raw = pd.concat(frames, ignore_index=True)
    dup = raw.duplicated(keep="first").to_numpy()
    raw = raw[~dup].reset_index(drop=True)
    report.duplicates += int(dup.sum())
    report.accepted -= int(dup.sum())
    sources, rows = np.asarray(sources, dtype=object)[~dup], np.asarray(rows, dtype=object)[~dup]
    frame, pair_report, _ = _check_pairs(raw, rows, sources)
    if strict and pair_report.rejected_count:
        first = pair_report.rejected.iloc[0]
        raise StrictLoadError(f"{first['source']} {first['row']}: {first['reason']}", report)
    report.rejected = pd.concat([report.rejected, pair_report.rejected], ignore_index=True)
    report.accepted -= pair_report.rejected_count
    report.open_incidents, report.resolved_without_start = pair_report.open_incidents, pair_report.resolved_without_start
    report.pr_events_without_created = pair_report.pr_events_without_created
    return frame, report


# ---------------------------------------------------------------------------------------------
# validation


def _text(column: pd.Series, lower: bool = False) -> pd.Series:
    """The column as stripped text ("" for missing), lower-cased when asked. The string work runs
    once per distinct value: event columns repeat a few kinds, services and statuses endlessly."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    texts = pd.Series(uniques, dtype=object).astype(str).str.strip()
    if lower:
        texts = texts.str.lower()
    texts = np.append(texts.to_numpy(dtype=object), "")          # code -1 (missing) takes the last: ""
    return pd.Series(texts[codes], index=column.index, dtype=object)


def normalize(raw: pd.DataFrame, numbers=None, source: str = "events", unit: str = "row", parse_errors=(),
              strict: bool = False, accepted_rows: list | None = None) -> tuple[pd.DataFrame, LoadReport]:
    """Validate raw events (any dtypes) into the canonical frame and report what was done.

    The frame has the columns of METRICS.md section 1: ``ts`` as UTC timestamps, ``metric_value``
    as float, the rest as stripped text with the defaults filled in (status ``success``,
    change_type ``feature``, environment ``production``); ``kind``, ``status``, ``change_type``
    and ``environment`` are lower-cased. ``accepted_rows``, when given, receives the "line N" label
    of every accepted row, in order.
    """
    missing = [c for c in s.REQUIRED_COLUMNS if c not in raw.columns]
    if missing and len(raw):
        raise LoadError(f"{source}: missing required column(s): {', '.join(missing)} (columns are: {', '.join(s.COLUMNS)})")
    numbers = np.arange(1, len(raw) + 1) if numbers is None else np.asarray(numbers)
    rows_read = len(raw) + len(parse_errors)
    lower = ("kind", "status", "change_type", "environment")
    text = {c: (_text(raw[c], c in lower) if c in raw.columns else pd.Series([""] * len(raw), dtype=object))
            for c in s.COLUMNS}
    frame = pd.DataFrame(text)
    dup = frame.duplicated(keep="first").to_numpy()
    frame, numbers = frame[~dup].reset_index(drop=True), numbers[~dup]

    reason = np.full(len(frame), "", dtype=object)

    def reject(mask, message, quoted: str | None = None):
        """Reject the rows of ``mask`` not yet rejected, saying ``message`` (plus the column's
        quoted value when ``quoted`` names one; built for those rows alone)."""
        mask = np.asarray(mask, dtype=bool) & (reason == "")
        if quoted is None:
            reason[mask] = message
        elif mask.any():
            values = frame[quoted].to_numpy(dtype=object)[mask]
            reason[mask] = np.asarray([f"{message} '{v}'" for v in values], dtype=object)

    kind = frame["kind"].to_numpy()
    for c in s.REQUIRED_COLUMNS:
        reject(frame[c].to_numpy() == "", f"missing required field {c}")
    ts = pd.to_datetime(frame["ts"], utc=True, format="ISO8601", errors="coerce")
    reject(ts.isna().to_numpy(), "bad timestamp", "ts")
    value_text = frame["metric_value"]
    value = pd.to_numeric(value_text.where(value_text != "", None), errors="coerce").to_numpy(dtype=float)
    given = value_text.to_numpy() != ""
    reject(given & ~np.isfinite(value), "metric_value is not a finite number", "metric_value")
    for k, (lo, hi, lo_exclusive, message) in s.VALUE_RULES.items():
        is_k = kind == k
        reject(is_k & ~given, f"missing metric_value (required for {k})")
        bad = (value <= lo) if lo_exclusive else (value < lo)
        if hi is not None:
            bad |= value > hi
        reject(is_k & bad, message)
    reject(np.isin(kind, s.INCIDENT_KINDS) & (frame["incident_id"].to_numpy() == ""), "missing incident_id")
    reject(np.isin(kind, s.PR_KINDS) & (frame["pr_id"].to_numpy() == ""), "missing pr_id")
    is_deploy = kind == s.DEPLOY
    status = frame["status"].to_numpy()
    reject(is_deploy & ~np.isin(status, ("",) + s.STATUSES), "unknown status (success or failed)", "status")
    change = frame["change_type"].to_numpy()
    reject(is_deploy & ~np.isin(change, ("",) + s.CHANGE_TYPES),
           "unknown change_type (feature, hotfix or rollback)", "change_type")
    # an offset ends the text: match the pattern once per distinct ending, not once per row
    codes, endings = pd.factorize(frame["ts"].str[-6:])
    has_offset = pd.Series(endings, dtype=object).str.contains(OFFSET_PATTERN, regex=True).to_numpy(dtype=bool)
    dated_only = frame["ts"].str.len().to_numpy() <= len("2024-01-31")     # "2024-01-05" ends in "-05", not an offset
    naive = ~(has_offset[codes] & ~dated_only) & (reason == "")

    frame["ts"] = ts.astype("datetime64[ns, UTC]")
    frame["metric_value"] = value
    frame.loc[is_deploy & (status == ""), "status"] = s.DEFAULT_STATUS
    frame.loc[is_deploy & (change == ""), "change_type"] = s.DEFAULT_CHANGE_TYPE
    frame.loc[is_deploy & (frame["environment"].to_numpy() == ""), "environment"] = s.PRODUCTION

    ok = reason == ""
    rejected = pd.DataFrame({"source": source, "row": [f"{unit} {n}" for n in numbers[~ok]], "reason": reason[~ok]})
    if parse_errors:
        rejected = pd.concat([pd.DataFrame({"source": source, "row": [f"{unit} {n}" for n, _ in parse_errors],
                                            "reason": [r for _, r in parse_errors]}), rejected], ignore_index=True)
    good = frame[ok].reset_index(drop=True)
    labels = np.char.add(f"{unit} ", numbers[ok].astype(str)).astype(object)
    good, pairs, kept = _check_pairs(good, labels, [source] * int(ok.sum()))
    if accepted_rows is not None:
        accepted_rows.extend(np.asarray(labels, dtype=object)[kept])
    rejected = pd.concat([rejected, pairs.rejected], ignore_index=True)
    if len(rejected):
        order = rejected["row"].str.extract(r"(\d+)$")[0].astype(int)
        rejected = rejected.iloc[np.argsort(order.to_numpy(), kind="stable")].reset_index(drop=True)
    unknown = good.loc[~good["kind"].isin(s.BUILTIN_KINDS), "kind"].value_counts().to_dict()
    report = LoadReport([source], rows_read, len(good), int(dup.sum()), int(naive.sum()), rejected,
                        {str(k): int(v) for k, v in unknown.items()}, pairs.open_incidents,
                        pairs.resolved_without_start, pairs.pr_events_without_created)
    if strict and len(rejected):
        first = rejected.iloc[0]
        raise StrictLoadError(f"{first['source']} {first['row']}: {first['reason']}", report)
    return good, report


def _check_pairs(frame: pd.DataFrame, rows, sources) -> tuple[pd.DataFrame, LoadReport, np.ndarray]:
    """Reject what pairing by id cannot accept and count what stays unpaired.

    ``rows`` and ``sources`` label each row of ``frame`` ("line 7", "events.csv") for the report.
    Returns the accepted rows, the report, and which rows of ``frame`` were kept.

    Rejected: a second ``incident_start``, ``incident_resolved``, ``pr_created`` or ``pr_merged``
    for one id (the earliest is kept), an ``incident_resolved`` before its start, a review or merge
    before its PR's creation.
    """
    kind = frame["kind"].to_numpy()
    ts = frame["ts"]
    reason = np.full(len(frame), "", dtype=object)
    order = np.argsort(ts_ns(ts), kind="stable")
    for k, id_col in ((s.INCIDENT_START, "incident_id"), (s.INCIDENT_RESOLVED, "incident_id"),
                      (s.PR_CREATED, "pr_id"), (s.PR_MERGED, "pr_id")):
        idx = order[kind[order] == k]
        again = frame[id_col].to_numpy()[idx]
        second = pd.Series(again).duplicated(keep="first").to_numpy()
        reason[idx[second]] = f"second {k} for the same {id_col}"

    t = ts_ns(ts)
    none = np.iinfo(np.int64).min

    def start_of(first_kind, later_kinds, id_col, message):
        firsts = (kind == first_kind) & (reason == "")
        start = pd.Series(t[firsts], index=frame[id_col].to_numpy()[firsts])
        later = np.isin(kind, later_kinds) & (reason == "")
        found = start.reindex(frame[id_col].to_numpy()[later], fill_value=none).to_numpy()
        before = (found != none) & (t[later] < found)
        reason[np.flatnonzero(later)[before]] = message

    start_of(s.INCIDENT_START, [s.INCIDENT_RESOLVED], "incident_id", "incident_resolved before its incident_start")
    start_of(s.PR_CREATED, [s.PR_REVIEWED, s.PR_MERGED], "pr_id", "PR event before its pr_created")
    ok = reason == ""
    rows = np.asarray(rows, dtype=object)
    rejected = pd.DataFrame({"source": np.asarray(sources, dtype=object)[~ok] if len(sources) else [],
                             "row": rows[~ok] if len(rows) else [], "reason": reason[~ok]})
    good = frame[ok].reset_index(drop=True)
    gk = good["kind"].to_numpy()
    starts = set(good.loc[gk == s.INCIDENT_START, "incident_id"])
    ends = set(good.loc[gk == s.INCIDENT_RESOLVED, "incident_id"])
    created = set(good.loc[gk == s.PR_CREATED, "pr_id"])
    pr_later = good.loc[np.isin(gk, (s.PR_REVIEWED, s.PR_MERGED)), "pr_id"]
    report = LoadReport(rejected=rejected, open_incidents=len(starts - ends), resolved_without_start=len(ends - starts),
                        pr_events_without_created=int((~pr_later.isin(created)).sum()))
    return good, report, ok
