"""Merging new events into a stored dataset, one merge for both backends (``keeper``): exact
duplicates (within the new events and against the stored row hashes) are dropped and counted, events
that conflict with stored pairing events are reported and not stored, the rest are added (SQLite: one
new segment, or the dataset compacted into one past ``segments.MAX_SEGMENTS``; PostgreSQL: COPY)."""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import schema as s
from ..ingest import LoadReport
from ..ingest.coded import CodedEvents
from . import audit
from .codec import TEXT_COLUMNS, checked, columns_of, labelled, row_hashes, take
from .errors import StoreError, check_name
from .keeper import events_keeper

MAX_EVENTS = int(os.environ.get("METRICS_MAX_DATASET_EVENTS", "10000000"))
LABEL = "imported event"                # a new event in reports: "imported event 3"


def _conflicts(con, at, columns: dict) -> np.ndarray:
    """The reason each new event (``codec.to_columns``' arrays) conflicts with a stored one (""
    when it does not): a second incident_start / incident_resolved / pr_created / pr_merged for a
    stored id, an incident_resolved before its stored start, a PR event before its stored creation,
    an incident_start after its stored resolution, a pr_created after its stored merge."""
    n = len(columns["ts"])
    reason = np.full(n, "", dtype=object)
    kind = columns["kind"][1][columns["kind"][0]]
    incident, pr = (columns[c][1][columns[c][0]] for c in ("incident_id", "pr_id"))
    ident = np.where(np.isin(kind, s.INCIDENT_KINDS), incident, pr)
    wanted = sorted(set(ident[np.isin(kind, s.INCIDENT_KINDS + s.PR_KINDS)]) - {""})
    if not wanted:
        return reason
    stored = events_keeper(con).stored_pairs(con, at, wanted)
    if not stored:
        return reason
    t = columns["ts"]
    for row in range(n):
        k, i = kind[row], ident[row]
        if k in s.PAIRING_IDS and (k, i) in stored:
            reason[row] = f"second {k} for the same {s.PAIRING_IDS[k]} (one is already stored)"
        elif k == s.INCIDENT_RESOLVED and t[row] < stored.get((s.INCIDENT_START, i), t[row]):
            reason[row] = "incident_resolved before its incident_start (already stored)"
        elif k in (s.PR_REVIEWED, s.PR_MERGED) and t[row] < stored.get((s.PR_CREATED, i), t[row]):
            reason[row] = "PR event before its pr_created (already stored)"
        elif k == s.INCIDENT_START and t[row] > stored.get((s.INCIDENT_RESOLVED, i), t[row]):
            reason[row] = "incident_start after its incident_resolved (already stored)"
        elif k == s.PR_CREATED and t[row] > stored.get((s.PR_MERGED, i), t[row]):
            reason[row] = "pr_created after its pr_merged (already stored)"
    return reason


@dataclass
class Incoming:
    """New events as checked before the write transaction (``prepare``)."""
    columns: dict               # ``codec.to_columns``' arrays, without exact duplicates among themselves, pairing checked
    numbers: np.ndarray         # each event's number: "imported event 3" in reports (``codec.labelled``)
    report: LoadReport          # the events the pairing check rejected
    duplicates: int             # exact duplicates within the new events, dropped

    def kinds(self) -> np.ndarray:
        """Each event's kind."""
        codes, texts = self.columns["kind"]
        return texts[codes]

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the events (and their numbers) where ``mask`` is true."""
        self.columns, self.numbers = take(self.columns, mask), self.numbers[mask]


def prepare(name: str, events: "pd.DataFrame | CodedEvents") -> Incoming:
    """What a write can check before its transaction: the name, duplicates and pairing within
    ``events`` (the validated event frame, or ``ingest.coded.CodedEvents``: kept in their codes)."""
    check_name(name)
    if isinstance(events, pd.DataFrame):
        columns = columns_of(events[list(s.COLUMNS)])
    else:
        columns = {"ts": events.ts, "metric_value": events.value,
                   **{c: (events.text[c].codes.astype(np.int32, copy=False), events.text[c].texts) for c in TEXT_COLUMNS}}
    return Incoming(*checked(columns, LABEL, name))


def write(con, name: str, incoming: Incoming, *, replace: bool = False, progress=None,
          who: str | None = None, action: str = "import", detail: str = "") -> tuple[int, int, LoadReport]:
    """Merge ``incoming`` into dataset ``name`` inside the caller's write transaction (``con``):
    drop events already stored, report and drop those in conflict with stored ones, add the rest as
    one segment (compacting past ``MAX_SEGMENTS``), or with ``replace`` make them the dataset;
    record the write in the audit trail. Returns (events stored, events added, report of the merge).
    A damaged dataset (``errors.Damaged``) takes no write but a ``replace``: what a write reads is
    checked (the segments' counts and lengths, the checksums of their events, the checksums and form
    of their hashes and pairing events; the stored events themselves when compacting)."""
    columns, numbers, report = incoming.columns, incoming.numbers, incoming.report
    row = None if replace else con.execute("SELECT events, first_ns, last_ns, segments FROM datasets WHERE name = ?",
                                            (name,)).fetchone()
    duplicates = incoming.duplicates
    keeper = events_keeper(con)
    at = None if row is None else keeper.opened(con, name)
    if at is not None and len(numbers):
        hashed = row_hashes(columns)
        stored = keeper.stored_already(con, at, hashed)
        duplicates += int(stored.sum())
        numbers, columns, hashed = numbers[~stored], take(columns, ~stored), hashed[~stored]
        reason = _conflicts(con, at, columns)
        clash = reason != ""
        if clash.any():
            report.rejected = pd.concat([report.rejected, pd.DataFrame(
                {"source": name, "row": labelled(LABEL, numbers[clash]), "reason": reason[clash]})], ignore_index=True)
            columns, hashed = take(columns, ~clash), hashed[~clash]
    report.duplicates = duplicates
    before = 0 if row is None else row[0]
    total = before + len(columns["ts"])
    if total > MAX_EVENTS:
        raise StoreError(f"dataset {name!r} would hold {total:,} events, over the limit of {MAX_EVENTS:,} "
                         f"(METRICS_MAX_DATASET_EVENTS)")
    if row is None:
        keeper.replace_all(con, name, columns, progress)
    elif len(columns["ts"]):
        keeper.add(con, name, row, columns, hashed, progress)
    audit.record(con, who, "replace" if replace else action, name, total - before, detail)
    return total, total - before, report


def save_lines(name: str, total: int, added: int, merge: LoadReport) -> list[str]:
    """What ``append`` did, as text lines: events not stored (conflicts), then the dataset's count."""
    lines = [f"  not stored ({row.row}): {row.reason}" for row in merge.rejected.itertuples()]
    return lines + [f"Dataset {name}: {total} events ({added:+d}; {merge.duplicates} already stored, "
                    f"{merge.rejected_count} in conflict with stored events)"]
