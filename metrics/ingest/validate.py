"""Validating raw events into the canonical event frame (METRICS.md section 1), one named rule per
check with its message beside it, ids qualified with their service (``ids``), and pairing incidents
and PR events by their ids."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import defaults
from .. import schema as s
from ..tables import NA, ts_ns
from .coded import CODE, TEXT, Coded, CodedEvents, coded, concat, duplicated, plain, repeated
from .ids import qualify_coded
from .report import LoadReport, StrictLoadError, LoadError

OFFSET_PATTERN = r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$"


def normalize(raw: pd.DataFrame, numbers=None, source: str = "events", unit: str = "row", parse_errors=(),
              strict: bool = False, accepted_rows: list | None = None) -> tuple[pd.DataFrame, LoadReport]:
    """Validate raw events (any dtypes) into the canonical frame and report what was done.

    The frame has the columns of METRICS.md section 1: ``ts`` as UTC timestamps, ``metric_value``
    as float, the rest as stripped text with the defaults filled in (status ``success``,
    change_type ``feature``, environment ``production``); ``kind``, ``status``, ``change_type``
    and ``environment`` are lower-cased; PR and deployment ids are qualified with the event's
    service (``ids.qualify_ids``: ``#12`` of service shop is ``shop#12``), so the service must be
    final before this (``--service``, a sync's renames). ``accepted_rows``, when given, receives
    the "line N" label of every accepted row, in order.
    """
    events, report = validate(raw, numbers, source, unit, parse_errors, strict)
    if accepted_rows is not None:
        accepted_rows.extend(events.labels())
    return events.frame(), report


def raw_codes(raw: pd.DataFrame) -> tuple[dict, np.ndarray]:
    """Each event column of ``raw`` as stripped text in codes (``coded.coded``; a missing column is
    all ""), and which rows hold an object or array (JSON) in a field instead of a value."""
    lower = ("kind", "status", "change_type", "environment")
    nested = np.zeros(len(raw), dtype=bool)
    text = {}
    for c in s.COLUMNS:
        if c not in raw.columns:
            text[c] = Coded(np.zeros(len(raw), dtype=CODE), np.array([""], dtype=object))
            continue
        try:
            text[c] = coded(raw[c], c in lower)
        except TypeError:                            # unhashable cells: only objects or arrays get here
            bad = raw[c].map(lambda v: isinstance(v, (dict, list, set, tuple))).to_numpy(dtype=bool)
            nested |= bad
            text[c] = coded(raw[c].where(~bad, ""), c in lower)
    return text, nested


def parse_times(ts: Coded) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ``ts`` texts parsed, once per distinct text: int64 ns (``NA`` where bad or outside), and
    per text whether it is bad, outside the years the metrics use, and naive (no UTC offset)."""
    texts = pd.Series(ts.texts, dtype=object).astype(str)           # pandas' text: its string work runs in pyarrow
    parsed = pd.to_datetime(texts, utc=True, format="ISO8601", errors="coerce")
    bad = parsed.isna().to_numpy()
    # a time the metrics cannot use (year 9999, 0001, 1677...) is rejected, never stored
    outside = ((parsed < pd.Timestamp(defaults.EARLIEST_EVENT, tz="UTC")) |
               (parsed >= pd.Timestamp(defaults.LATEST_EVENT, tz="UTC"))).to_numpy(dtype=bool)
    ns = ts_ns(parsed.where(~outside).astype("datetime64[ns, UTC]"))
    # an offset ends the text: match the pattern once per distinct ending
    codes, endings = pd.factorize(texts.str[-6:])
    has_offset = pd.Series(endings, dtype=object).str.contains(OFFSET_PATTERN, regex=True).to_numpy(dtype=bool)
    dated_only = texts.str.len().to_numpy() <= len("2024-01-31")       # "2024-01-05" ends in "-05", not an offset
    return ns, bad, outside, ~(has_offset[codes] & ~dated_only)


def parse_values(value: Coded) -> np.ndarray:
    """The ``metric_value`` texts as floats, once per distinct text (NaN for "" and for non-numbers)."""
    texts = pd.Series(value.texts, dtype=object)
    return pd.to_numeric(texts.where(texts != "", None), errors="coerce").to_numpy(dtype=float)


def validate(raw: pd.DataFrame, numbers=None, source: str = "events", unit: str = "row", parse_errors=(),
             strict: bool = False) -> tuple[CodedEvents, LoadReport]:
    """``normalize``, the accepted events kept in codes (``coded.CodedEvents``) rather than a frame."""
    return finish([check_piece(raw, numbers, source, unit, parse_errors, joinable=False)], source, unit, strict)


@dataclass
class Piece:
    """Rows of one file (all of it, or a slice) checked field by field (``check_piece``), before
    the steps that need the whole file (``finish``): the ``events`` the fields accept, the rows
    ``rejected`` with their reasons, the rows read, the exact ``duplicates`` dropped, which events
    have a ``naive`` time; and what finds a later piece's exact repeat of a row: ``lost``, per
    event, the parts of its raw row its validated form does not keep (``raw_parts``), and
    ``rejected_rows``, the raw columns of each rejected row."""

    events: CodedEvents
    rejected: pd.DataFrame
    unreadable: pd.DataFrame
    rows_read: int
    duplicates: int
    naive: np.ndarray
    lost: list
    rejected_rows: list


def check_piece(raw: pd.DataFrame, numbers=None, source: str = "events", unit: str = "row", parse_errors=(),
                joinable: bool = True) -> Piece:
    """The field checks of ``validate`` on raw rows (numbered by ``numbers``): exact duplicates
    within them dropped, each row accepted or rejected with its reason (``check_fields``).
    ``joinable``: with what ``joined`` needs to find repeats across pieces (not for a whole file)."""
    missing = [c for c in s.REQUIRED_COLUMNS if c not in raw.columns]
    if missing and len(raw):
        raise LoadError(f"{source}: missing required column(s): {', '.join(missing)} (columns are: {', '.join(s.COLUMNS)})")
    numbers = np.arange(1, len(raw) + 1) if numbers is None else np.asarray(numbers)
    rows_read = len(raw) + len(parse_errors)
    text, nested = raw_codes(raw)
    text = qualify_coded(text)                          # the ids rule changes what a duplicate is: before it
    dup = duplicated([text[c] for c in s.COLUMNS]) & ~nested
    text, numbers, nested = {c: t.take(~dup) for c, t in text.items()}, numbers[~dup], nested[~dup]
    reason, ts, value, naive = check_fields(text, nested)
    ok = reason == ""
    filled = with_defaults(text)
    events = CodedEvents(ts, value, filled, numbers, np.zeros(len(numbers), dtype=np.intp), [(source, unit)])
    rejected = pd.DataFrame({"source": source, "row": events.labels(~ok), "reason": reason[~ok]})
    unreadable = pd.DataFrame({"source": source, "row": [f"{unit} {n}" for n, _ in parse_errors],
                               "reason": [r for _, r in parse_errors]})
    lost, rows = [], []
    if joinable:
        lost = raw_parts(text, filled, ts, value, ok)
        rows = [plain(text[c].take(~ok).text()) for c in s.COLUMNS]
        rows.append(plain(np.where(nested, numbers, 0)[~ok]))     # a row with an object is never a duplicate
    return Piece(events.take(ok), rejected, unreadable, rows_read, int(dup.sum()), naive[ok], lost, rows)


def raw_parts(text: dict, filled: dict, ts: np.ndarray, value: np.ndarray, ok: np.ndarray) -> list:
    """Per accepted row (``ok``), what of its raw row (``text``, coded) its validated form (its time
    ``ts``, ``value`` and ``filled`` texts) does not say, in codes: its time's text unless it is the
    time written as ``2024-01-05T10:00:00Z``, its metric_value's text unless it is the number's
    shortest form, and which of status, change_type and environment were empty (filled with the
    defaults). Two accepted rows are the same raw row exactly when these and their validated forms are."""
    def variant(raw: Coded, value: np.ndarray, written) -> Coded:
        """Per accepted row, ``raw``'s text where it is not ``written(v)`` (the text its validated
        ``value`` v is written as), else "": worked out once per distinct text."""
        used = raw.codes[ok]
        known = np.zeros(len(raw.texts), dtype=value.dtype)
        known[used] = value[ok]                          # each used text's value (a text has one)
        texts = raw.texts.astype(TEXT)
        kept, distinct = pd.factorize(np.where(texts == written(known), "", texts).astype(object))
        return Coded(kept.astype(CODE)[used], np.asarray(distinct, dtype=object))

    def time_text(t: np.ndarray) -> np.ndarray:
        """``2024-01-05T10:00:00Z`` for a whole second, else a text no time is written as."""
        seconds = np.strings.add(np.datetime_as_string(t.view("datetime64[ns]"), unit="s").astype(TEXT), "Z")
        return np.where(t % 1_000_000_000 == 0, seconds, "\x00")

    def number_text(v: np.ndarray) -> np.ndarray:
        """The number's shortest form ("" for no number)."""
        return np.where(np.isnan(v), "", v.astype(TEXT))

    empty = np.zeros(int(ok.sum()), dtype=np.int8)
    for bit, c in enumerate(("status", "change_type", "environment")):
        empty |= (text[c].is_in("") & ~filled[c].is_in(""))[ok].astype(np.int8) << bit
    return [variant(text["ts"], ts, time_text), variant(text["metric_value"], value, number_text), plain(empty)]


def finish(pieces: list, source: str, unit: str, strict: bool) -> tuple[CodedEvents, LoadReport]:
    """The whole file from its checked ``pieces`` (in the file's order): a row repeating one of an
    earlier piece dropped as a duplicate (as within a piece), incidents and PR events paired by id
    across all of them (``pair_check``), the report, and in ``strict`` mode the first bad row as a
    ``StrictLoadError``. The pieces are emptied on the way (their columns are joined, not copied)."""
    rows_read = sum(p.rows_read for p in pieces)
    unreadable = [p.unreadable for p in pieces]
    if len(pieces) == 1:
        events, rejected, dups, naive = pieces[0].events, pieces[0].rejected, pieces[0].duplicates, int(pieces[0].naive.sum())
    else:
        events, rejected, dups, naive = joined(pieces, source, unit)
    pieces.clear()
    good, pairs = pair_check(events, in_place=True)
    rejected = sort_rejected(pd.concat(unreadable + [rejected, pairs.rejected], ignore_index=True))
    unknown = good.text["kind"].take(~good.text["kind"].is_in(*s.BUILTIN_KINDS)).text()
    unknown = pd.Series(unknown, dtype=object).value_counts().to_dict()
    report = LoadReport([source], rows_read, len(good), dups, naive, rejected,
                        {str(k): int(v) for k, v in unknown.items()}, pairs.open_incidents,
                        pairs.resolved_without_start, pairs.pr_events_without_created)
    if strict and len(rejected):
        first = rejected.iloc[0]
        raise StrictLoadError(f"{first['source']} {first['row']}: {first['reason']}", report)
    return good, report


def joined(pieces: list, source: str, unit: str) -> tuple[CodedEvents, pd.DataFrame, int, int]:
    """The events of several ``pieces`` as one (emptying them), a row that repeats a row of an
    earlier piece dropped as within a piece (a rejected row is the same row again when all its raw
    columns are, an accepted one when its validated form and its ``raw_parts`` are): the events,
    the field rejections, the duplicates and the naive times counted."""
    again = duplicated([concat(list(column)) for column in zip(*(p.rejected_rows for p in pieces))])
    rejected = pd.concat([p.rejected for p in pieces], ignore_index=True)[~again].reset_index(drop=True)
    dups = sum(p.duplicates for p in pieces) + int(again.sum())
    lost = [concat(list(column)) for column in zip(*(p.lost for p in pieces))]
    naive = np.concatenate([p.naive for p in pieces])
    events = CodedEvents.concat([p.events for p in pieces], drain=True)
    events.origin, events.origins = np.zeros(len(events), dtype=np.intp), [(source, unit)]
    repeat = repeated([events.ts, events.value.view(np.int64)] + [events.text[c] for c in s.TEXT_COLUMNS] + lost)
    if repeat.any():
        events.keep(~repeat)
    return events, rejected, dups + int(repeat.sum()), int(naive[~repeat].sum())


def check_fields(text: dict, nested: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The named checks of each event's fields (``text``: coded columns; ``nested``: rows holding an
    object or array): the reason each is rejected ("" when it is not; the first rule that fails
    says it), its time (int64 ns), its metric_value (float) and whether its accepted time is naive."""
    reason = np.full(len(nested), "", dtype=object)
    ok = np.ones(len(nested), dtype=bool)                       # not rejected yet

    def reject(mask, message, quoted: str | None = None):
        """Reject the rows of ``mask`` not yet rejected, saying ``message`` (plus the column's
        quoted value when ``quoted`` names one; built for those rows alone)."""
        mask = np.asarray(mask, dtype=bool) & ok
        ok[mask] = False
        if quoted is None:
            reason[mask] = message
        elif mask.any():
            values = text[quoted].texts[text[quoted].codes[mask]]
            reason[mask] = np.asarray([f"{message} '{v}'" for v in values], dtype=object)

    kind = text["kind"]
    reject(nested, "a field holds an object or array, not a value")
    for c in s.REQUIRED_COLUMNS:
        reject(text[c].is_in(""), f"missing required field {c}")
    ts_codes = text["ts"].codes
    ns, bad, outside, naive_text = parse_times(text["ts"])
    reject(bad[ts_codes], "bad timestamp", "ts")
    reject(outside[ts_codes], f"timestamp outside {defaults.EARLIEST_EVENT[:4]}-{int(defaults.LATEST_EVENT[:4]) - 1}", "ts")
    value = parse_values(text["metric_value"])[text["metric_value"].codes]
    given = ~text["metric_value"].is_in("")
    reject(given & ~np.isfinite(value), "metric_value is not a finite number", "metric_value")
    for k, (lo, hi, lo_exclusive, message) in s.VALUE_RULES.items():
        is_k = kind.is_in(k)
        reject(is_k & ~given, f"missing metric_value (required for {k})")
        bad_value = (value <= lo) if lo_exclusive else (value < lo)
        if hi is not None:
            bad_value |= value > hi
        reject(is_k & bad_value, message)
    for k, (allowed, message) in s.VALUE_CHOICES.items():
        reject(kind.is_in(k) & ~np.isin(value, allowed), message)
    for k, (names, message) in s.STATUS_CHOICES.items():
        reject(kind.is_in(k) & ~text["status"].is_in(*names), message, "status")
    # an AI-assisted PR names the rule that matched; one checked and not assisted, none
    is_ai = kind.is_in(s.PR_AI_ASSISTED)
    reject(is_ai & (value == 1) & text["status"].is_in(s.AI_NO_RULE), "pr_ai_assisted 1 names the rule that matched, not none")
    reject(is_ai & (value == 0) & ~text["status"].is_in(s.AI_NO_RULE), "pr_ai_assisted 0 has the rule none", "status")
    reject(kind.is_in(*s.PR_SIZE_KINDS) & (value != np.floor(value)), "a PR's lines and files are whole numbers")
    reject(kind.is_in(*s.INCIDENT_KINDS) & text["incident_id"].is_in(""), "missing incident_id")
    reject(kind.is_in(*s.PR_KINDS) & text["pr_id"].is_in(""), "missing pr_id")
    is_deploy = kind.is_in(s.DEPLOY)
    reject(is_deploy & ~text["status"].is_in("", *s.STATUSES), "unknown status (success or failed)", "status")
    reject(is_deploy & ~text["change_type"].is_in("", *s.CHANGE_TYPES),
           "unknown change_type (feature, hotfix or rollback)", "change_type")
    return reason, ns[ts_codes], value, naive_text[ts_codes] & ok


def with_defaults(text: dict) -> dict:
    """The coded text columns with a deployment's empty status, change_type and environment filled
    with the defaults (success, feature, production)."""
    is_deploy = text["kind"].is_in(s.DEPLOY)
    filled = {c: text[c] for c in s.TEXT_COLUMNS}
    for c, default in (("status", s.DEFAULT_STATUS), ("change_type", s.DEFAULT_CHANGE_TYPE), ("environment", s.PRODUCTION)):
        filled[c] = text[c].fill(is_deploy & text[c].is_in(""), default)
    return filled


def sort_rejected(rejected: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows in the order of their numbers (stable)."""
    if not len(rejected):
        return rejected
    order = rejected["row"].str.extract(r"(\d+)$")[0].astype(int)
    return rejected.iloc[np.argsort(order.to_numpy(), kind="stable")].reset_index(drop=True)


def check_pairs(frame: pd.DataFrame, rows, sources) -> tuple[pd.DataFrame, LoadReport, np.ndarray]:
    """Reject what pairing by id cannot accept and count what stays unpaired (``pair_reasons``).

    ``rows`` and ``sources`` label each row of ``frame`` ("line 7", "events.csv") for the report.
    Returns the accepted rows, the report, and which rows of ``frame`` were kept.
    """
    kind, incident, pr = (plain(frame[c]) for c in ("kind", "incident_id", "pr_id"))
    report, ok = check_coded_pairs(kind, ts_ns(frame["ts"]), incident, pr, rows, sources)
    return frame[ok].reset_index(drop=True), report, ok


def check_coded_pairs(kind: Coded, t: np.ndarray, incident: Coded, pr: Coded, rows, sources) -> tuple[LoadReport, np.ndarray]:
    """``check_pairs`` of events given as their kind, time (int64 ns) and ids in codes: the report
    and which events were kept."""
    reason = pair_reasons(kind, t, incident, pr)
    ok = reason == ""
    rows = rows if isinstance(rows, np.ndarray) else np.asarray(rows, dtype=object)
    rejected = pd.DataFrame({"source": np.asarray(sources, dtype=object)[~ok] if len(sources) else [],
                             "row": rows[~ok] if len(rows) else [], "reason": reason[~ok]})
    return pair_report(rejected, kind.take(ok), incident.take(ok), pr.take(ok)), ok


def pair_check(events: CodedEvents, in_place: bool = False) -> tuple[CodedEvents, LoadReport]:
    """``check_pairs`` of coded events: the accepted events (``in_place``: ``events`` itself,
    narrowed; ``CodedEvents.keep``) and the report."""
    text = events.text
    reason = pair_reasons(text["kind"], events.ts, text["incident_id"], text["pr_id"])
    ok = reason == ""
    rejected = pd.DataFrame({"source": events.sources(~ok), "row": events.labels(~ok), "reason": reason[~ok]})
    good = events.keep(ok) if in_place else events.take(ok)
    return good, pair_report(rejected, good.text["kind"], good.text["incident_id"], good.text["pr_id"])


def pair_reasons(kind: Coded, t: np.ndarray, incident: Coded, pr: Coded) -> np.ndarray:
    """Why each event cannot be paired ("" when it can), from its kind, time (int64 ns) and ids.

    Rejected: a second ``incident_start``, ``incident_resolved``, ``pr_created`` or ``pr_merged``
    for one id (the earliest is kept), an ``incident_resolved`` before its start, a review or merge
    before its PR's creation.
    """
    reason = np.full(len(t), "", dtype=object)
    free = np.ones(len(t), dtype=bool)                          # no reason yet
    order = np.argsort(t, kind="stable")
    ids = {"incident_id": incident, "pr_id": pr}
    for k, id_col in s.PAIRING_IDS.items():
        idx = order[kind.codes[order] == kind.code(k)]
        second = pd.Index(ids[id_col].codes[idx]).duplicated(keep="first")
        reason[idx[second]] = f"second {k} for the same {id_col}"
        free[idx[second]] = False

    def start_of(first_kind, later_kinds, id_col, message):
        """Reject the ``later_kinds`` events of an id timed before its ``first_kind`` event."""
        firsts = kind.is_in(first_kind) & free
        start = np.full(len(ids[id_col].texts), NA, dtype=np.int64)
        start[ids[id_col].codes[firsts]] = t[firsts]
        later = kind.is_in(*later_kinds) & free
        found = start[ids[id_col].codes[later]]
        before = (found != NA) & (t[later] < found)
        reason[np.flatnonzero(later)[before]] = message
        free[np.flatnonzero(later)[before]] = False

    start_of(s.INCIDENT_START, [s.INCIDENT_RESOLVED], "incident_id", "incident_resolved before its incident_start")
    start_of(s.PR_CREATED, [s.PR_REVIEWED, s.PR_MERGED], "pr_id", "PR event before its pr_created")
    return reason


def pair_report(rejected: pd.DataFrame, kind: Coded, incident: Coded, pr: Coded) -> LoadReport:
    """The pairing's report of the accepted events (their kinds and ids): what it ``rejected``,
    incidents open or resolved without a start, PR events whose PR has no ``pr_created``."""
    def has(kinds, ids: Coded) -> np.ndarray:
        """Per id code, whether an event of ``kinds`` names it."""
        present = np.zeros(len(ids.texts), dtype=bool)
        present[ids.codes[kind.is_in(*kinds)]] = True
        return present

    starts, ends = has([s.INCIDENT_START], incident), has([s.INCIDENT_RESOLVED], incident)
    created = has([s.PR_CREATED], pr)
    pr_later = pr.codes[kind.is_in(s.PR_REVIEWED, s.PR_MERGED)]
    return LoadReport(rejected=rejected, open_incidents=int((starts & ~ends).sum()),
                      resolved_without_start=int((ends & ~starts).sum()),
                      pr_events_without_created=int((~created[pr_later]).sum()))
