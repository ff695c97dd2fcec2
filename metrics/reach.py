"""What a view of a stored dataset reads: the rule that lets a server database load only the rows
a window and its previous period need, never the whole dataset (issue 25), and the few facts of
the whole dataset a view shows beside its numbers.

A view of the window ``W = [start, end)`` of ``days`` days analyses ``W`` and the period before it,
``P = [start - days, start)`` (METRICS.md section 2; ``Window.previous``). ``analyze`` clips the
tables to each period (``tables.clip``) and computes every number from what is left, so the events
a view needs are exactly those that survive the two clips, and the events that decide how those
are paired and linked:

1. every event in ``[start - days - attribution, end)`` (``Reach.start_ns``, ``Reach.end_ns``):
   the events of ``P`` and ``W``, and the deployments up to the attribution window before ``P``
   (for a window of ``defaults.MONTHLY_MIN_DAYS`` days or more, from the same days a year earlier
   when that is earlier: its monthly trends compare each month with the year before,
   ``analysis.year_before``)
   (METRICS.md section 3, change failure rate: an incident is attributed to the latest successful
   deployment of its service at most ``attribution_hours`` before it, limit included; lead time
   looks for the first deployment at or after a merge, never before the period's start, and
   deployments after ``end`` are never used: ``dora.production(tables, window.end_ns)``);
2. an incident or a PR belongs to a period by its start / creation (METRICS.md section 2), and its
   later events come along whenever they happened: the ``incident_resolved`` of an ``incident_start``
   of the range (recovery time, open incidents, rework), the reviews and the merge of a
   ``pr_created`` of the range (review wait and turnaround: its first review; merge time, lead time,
   the shipping deployment), and a PR's first commit, size and AI verdict (``pr_first_commit``,
   before its creation: the coding stage; ``pr_lines_added`` ... at its merge; ``pr_ai_assisted``).
   The store holds one ``incident_resolved``, one ``pr_merged`` and one of each PR fact an id, so
   only an incident whose resolution lies outside the range, a PR whose merge or every review does,
   and, in a dataset that holds first commits, sizes or verdicts at all, a PR whose fact does (a
   first commit often before the range) have events to fetch: those of its id, on both sides of the
   range (a validated file refuses a resolution, review or merge before its start, but one stored
   before the start or creation that came later is kept: the whole dataset uses it, so the window
   must), and not past the data's first or last event (a dataset without the facts leaves its PRs as
   complete as before);
3. a deployment before the window may still be the one an incident or a PR inside it is linked to
   (METRICS.md section 2): every deployment a link of rule 1 or 2 may name (the ``deploy_id`` of an
   ``incident_start`` or a ``pr_merged``, and the deployment an attribution override pins one of
   those incidents to), as ``EventTables.link_keys`` resolves a link: the deployment whose id the
   link is; the one whose id is ``SERVICE@LINK`` with the linking event's service; and every one
   whose local id (its id less its own ``SERVICE@``) the link is, so that a local id several
   services share stays ambiguous exactly as in the whole dataset.

Events outside these are dropped by both clips whatever they hold, so the numbers of both periods
are those of the whole dataset (``tests/test_window_reads.py`` checks it on many windows).

The facts of the whole dataset a view shows (``DatasetFacts``) are not numbers of a period: its
time span (the default window, the date range), its services (the filter's choices) and the kinds
it holds at all (a metric whose source the data never held is n/a, not perfect).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import defaults
from .analysis import kinds_present, year_before
from .schema import NS_PER_HOUR
from .selection import services_of
from .tables import EventTables
from .window import Window

@dataclass(frozen=True)
class Reach:
    """The rows a view reads (see the module's docstring): every event in ``[start_ns, end_ns)``;
    the later events of its incidents and PRs (rule 2); the deployments the ``deploy_id`` of an
    ``incident_start`` or ``pr_merged`` among those may name, or that ``pins`` ((incident id,
    deployment id) pairs: attribution overrides) pin an incident of the range to."""

    start_ns: int
    end_ns: int
    pins: tuple = ()


def reach(window: Window, attribution_hours: float = defaults.ATTRIBUTION_HOURS, pins=(), previous: bool = True) -> Reach:
    """The rows a view of ``window`` and its previous period reads (the module's rules 1-3), with
    incidents attributed to deployments up to ``attribution_hours`` before them and the attribution
    overrides' ``pins`` (incident id -> deployment id, ``metrics.attribution.Overrides.pins``);
    ``previous`` False: of ``window`` alone (the command line's summary)."""
    lookback = int(attribution_hours * NS_PER_HOUR)         # as ``analysis.window_tables`` clips
    first = window.previous().start_ns if previous else window.start_ns
    if window.days >= defaults.MONTHLY_MIN_DAYS:           # the monthly trends' same months a year earlier
        first = min(first, year_before(window).start_ns)
    return Reach(first - lookback, window.end_ns, tuple(sorted(dict(pins).items())))


@dataclass(frozen=True)
class DatasetFacts:
    """What a view shows of the whole dataset: the first and last event time (ns; None when it
    holds none), the services with deployments, incidents, PRs or reviews (sorted: the filter's
    choices) and the kinds it holds (``analysis.kinds_present``)."""

    span: tuple | None
    services: tuple
    present: frozenset

    @property
    def days(self) -> tuple:
        """The first and last day with events (YYYY-MM-DD, UTC)."""
        return days_of_span(self.span)


def days_of_span(span: tuple | None) -> tuple:
    """The days (YYYY-MM-DD, UTC) of a (first, last) time span in ns; () for None."""
    return tuple(pd.Timestamp(t, tz="UTC").strftime("%Y-%m-%d") for t in span) if span else ()


def facts_of(tables: EventTables) -> DatasetFacts:
    """The facts of a dataset loaded whole."""
    return DatasetFacts(tables.time_span(), tuple(services_of(tables)), kinds_present(tables))
