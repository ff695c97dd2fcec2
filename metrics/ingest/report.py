"""What a load did: the raw rows a reader makes of a file, the load report, and load errors.

Nothing crashes and nothing vanishes silently: every rejected row is reported with its line (CSV,
NDJSON) or record (JSON) number and the reason, and exact duplicates are counted.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd                 # imported where a frame is made: a source's declaration needs no pandas

SHOWN_REJECTIONS = 20
SHOWN_SOURCES = 5            # the files or repositories the report's first line names (then "and N more")


class RawRows(NamedTuple):
    """What a reader makes of one file: raw event rows (any dtypes), the record number of each, the
    records it could not read as (number, reason), the unit that numbers them ("line", "record",
    "incident", ...), records that are valid but are not events, counted by reason, and warnings
    about the source as a whole (a shallow clone's cut history), and ``facts``: per pull request the
    facts that say whether it was AI-assisted (``metrics.ingest.ai_facts.fact_columns``: its record's
    number, creation time, service, id, commit messages, labels, author, source branch), or None for
    a source that reads no PRs; ``ai_facts.with_ai_events`` turns them into ``pr_ai_assisted`` rows
    under the data directory's rules."""

    rows: pd.DataFrame
    numbers: np.ndarray
    bad: list
    unit: str
    skipped: dict = {}
    warnings: tuple = ()
    facts: pd.DataFrame | None = None


class LoadError(Exception):
    """A whole file cannot be read (missing, unreadable, wrong format, missing columns)."""


class StrictLoadError(LoadError):
    """``strict`` loading met a bad row; ``report`` holds what was read up to the stop."""

    def __init__(self, message: str, report: "LoadReport"):
        super().__init__(message)
        self.report = report


def no_rejections() -> pd.DataFrame:
    """The rejections of a load that rejected nothing: an empty frame of source, row and reason."""
    import pandas as pd
    return pd.DataFrame({"source": [], "row": [], "reason": []})


@dataclass
class LoadReport:
    """What a load did: rows read, accepted, rejected with reasons, and what the metrics will meet."""

    sources: list = field(default_factory=list)
    rows_read: int = 0
    accepted: int = 0
    duplicates: int = 0
    naive_timestamps: int = 0
    rejected: pd.DataFrame = field(default_factory=no_rejections)
    unknown_kinds: dict = field(default_factory=dict)
    open_incidents: int = 0                 # incident_start without incident_resolved
    resolved_without_start: int = 0         # incident_resolved without incident_start
    pr_events_without_created: int = 0      # pr_reviewed / pr_merged whose PR has no pr_created
    skipped: dict = field(default_factory=dict)  # reason -> records that are not events (read, not counted in rows)
    warnings: list = field(default_factory=list)  # about a source as a whole (a shallow clone), said before the rest

    @property
    def rejected_count(self) -> int:
        return len(self.rejected)

    def merge(self, other: "LoadReport") -> "LoadReport":
        """The report of two loads together (counts add up; rejections are listed by source)."""
        import pandas as pd
        kinds = dict(self.unknown_kinds)
        for k, v in other.unknown_kinds.items():
            kinds[k] = kinds.get(k, 0) + v
        return LoadReport(self.sources + other.sources, self.rows_read + other.rows_read, self.accepted + other.accepted,
                          self.duplicates + other.duplicates, self.naive_timestamps + other.naive_timestamps,
                          pd.concat([self.rejected, other.rejected], ignore_index=True), kinds,
                          self.open_incidents + other.open_incidents, self.resolved_without_start + other.resolved_without_start,
                          self.pr_events_without_created + other.pr_events_without_created,
                          {k: self.skipped.get(k, 0) + other.skipped.get(k, 0) for k in {**self.skipped, **other.skipped}},
                          self.warnings + other.warnings)

    def to_dict(self) -> dict:
        reasons = self.rejected["reason"].str.replace(r" '.*'$", "", regex=True).value_counts().to_dict() if len(self.rejected) else {}
        return {"sources": self.sources, "rows_read": self.rows_read, "accepted": self.accepted,
                "rejected": self.rejected_count, "rejected_by_reason": {str(k): int(v) for k, v in reasons.items()},
                "rejections": self.rejected.head(SHOWN_REJECTIONS).to_dict("records"),
                "duplicates": self.duplicates, "naive_timestamps": self.naive_timestamps,
                "unknown_kinds": self.unknown_kinds, "open_incidents": self.open_incidents,
                "resolved_without_start": self.resolved_without_start,
                "pr_events_without_created": self.pr_events_without_created, "skipped": self.skipped,
                "warnings": self.warnings}

    def lines(self) -> list[str]:
        """The report as text lines."""
        names, more = list(self.sources), ""
        if len(names) > SHOWN_SOURCES:                   # a --scan of an organisation: hundreds of them
            names, more = names[:SHOWN_SOURCES - 1], f" and {len(names) - SHOWN_SOURCES + 1} more"
        out = [f"Loaded {', '.join(names) or '(no files)'}{more}: {self.rows_read} rows read, {self.accepted} accepted, "
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
        for warning in self.warnings:
            out.append(f"  warning: {warning}")
        for reason, count in sorted(self.skipped.items()):
            out.append(f"  skipped {count} (not events): {reason}")
        for row in self.rejected.head(SHOWN_REJECTIONS).itertuples():
            out.append(f"  rejected {row.source} {row.row}: {row.reason}")
        if self.rejected_count > SHOWN_REJECTIONS:
            out.append(f"  ... and {self.rejected_count - SHOWN_REJECTIONS} more rejected rows")
        return out
