"""Validating raw events into the canonical event frame (METRICS.md section 1), one named rule per
check with its message beside it, ids qualified with their service (``ids``), and pairing incidents
and PR events by their ids."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import defaults
from .. import schema as s
from ..tables import ts_ns
from .ids import qualify_ids
from .report import LoadReport, StrictLoadError, LoadError

OFFSET_PATTERN = r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$"


def text_column(column: pd.Series, lower: bool = False) -> pd.Series:
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
    and ``environment`` are lower-cased; PR and deployment ids are qualified with the event's
    service (``ids.qualify_ids``: ``#12`` of service shop is ``shop#12``), so the service must be
    final before this (``--service``, a sync's renames). ``accepted_rows``, when given, receives
    the "line N" label of every accepted row, in order.
    """
    missing = [c for c in s.REQUIRED_COLUMNS if c not in raw.columns]
    if missing and len(raw):
        raise LoadError(f"{source}: missing required column(s): {', '.join(missing)} (columns are: {', '.join(s.COLUMNS)})")
    numbers = np.arange(1, len(raw) + 1) if numbers is None else np.asarray(numbers)
    rows_read = len(raw) + len(parse_errors)
    lower = ("kind", "status", "change_type", "environment")
    nested = np.zeros(len(raw), dtype=bool)          # a field holding an object or array (JSON), not a value
    text = {}
    for c in s.COLUMNS:
        if c not in raw.columns:
            text[c] = pd.Series([""] * len(raw), dtype=object)
            continue
        try:
            text[c] = text_column(raw[c], c in lower)
        except TypeError:                            # unhashable cells: only objects or arrays get here
            bad = raw[c].map(lambda v: isinstance(v, (dict, list, set, tuple))).to_numpy(dtype=bool)
            nested |= bad
            text[c] = text_column(raw[c].where(~bad, ""), c in lower)
    frame = qualify_ids(pd.DataFrame(text))
    dup = frame.duplicated(keep="first").to_numpy() & ~nested
    frame, numbers, nested = frame[~dup].reset_index(drop=True), numbers[~dup], nested[~dup]

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
    reject(nested, "a field holds an object or array, not a value")
    for c in s.REQUIRED_COLUMNS:
        reject(frame[c].to_numpy() == "", f"missing required field {c}")
    ts = pd.to_datetime(frame["ts"], utc=True, format="ISO8601", errors="coerce")
    reject(ts.isna().to_numpy(), "bad timestamp", "ts")
    # a time the metrics cannot use (year 9999, 0001, 1677...) is rejected, never stored
    outside = ((ts < pd.Timestamp(defaults.EARLIEST_EVENT, tz="UTC")) |
               (ts >= pd.Timestamp(defaults.LATEST_EVENT, tz="UTC"))).to_numpy(dtype=bool)
    reject(outside, f"timestamp outside {defaults.EARLIEST_EVENT[:4]}-{int(defaults.LATEST_EVENT[:4]) - 1}", "ts")
    ts = ts.where(~outside)
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
    good, pairs, kept = check_pairs(good, labels, [source] * int(ok.sum()))
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


def check_pairs(frame: pd.DataFrame, rows, sources) -> tuple[pd.DataFrame, LoadReport, np.ndarray]:
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
