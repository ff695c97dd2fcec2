"""Narrowing events to some services: the dashboard's service filter and ``--only-service``.

Deployments, incidents, PRs and reviews belong to a service. Team-level events (satisfaction
surveys, platform hours, incident response, toil, onboarding) describe the whole team, not a
service, so a service filter keeps them: the SPACE satisfaction and PVM numbers stay team-wide.
Every per-kind table carries its service code, so narrowing is one boolean mask per table.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from . import schema as s
from .tables import EventTables

SERVICE_KINDS = (s.DEPLOY,) + s.INCIDENT_KINDS + s.PR_KINDS
SERVICE_TABLES = ("deploys", "incidents", "prs", "reviews", "merges", "first_commits", "sizes", "ai_checks")
# the services listed (the filter's choices) are those of these tables, i.e. of events of these kinds
LISTED_TABLES = (("deploys", s.DEPLOY), ("incidents", s.INCIDENT_START), ("prs", s.PR_CREATED),
                 ("reviews", s.PR_REVIEWED))


def services_of(tables: EventTables) -> list[str]:
    """The services that have deployments, incidents, PRs or reviews, sorted."""
    seen = np.zeros(len(tables.services), dtype=bool)
    for attr, _ in LISTED_TABLES:       # codes counted, not sorted: one pass a table
        seen |= np.bincount(getattr(tables, attr)["service"].to_numpy(), minlength=len(seen))[: len(seen)] > 0
    return sorted(str(tables.services[c]) for c in np.flatnonzero(seen))


def only_services(frame: pd.DataFrame, services) -> pd.DataFrame:
    """The events of ``services`` plus every team-level event (a value kind: survey, hours,
    response, toil, onboarding). Custom kinds count as service events."""
    keep = frame["service"].isin(list(services)) | frame["kind"].isin(s.VALUE_KINDS)
    return frame[keep.to_numpy()].reset_index(drop=True)


def tables_of_services(tables: EventTables, services) -> EventTables:
    """``tables`` narrowed to ``services`` (the same rule as ``only_services``): each service
    table masked by its service code, team-level tables kept whole; the same tables when no
    services are given."""
    if not services:
        return tables
    wanted = np.isin(tables.services, list(services))       # by service code: a lookup, not a search a row
    parts = {}
    for attr in SERVICE_TABLES:
        table = getattr(tables, attr)
        keep = wanted[table["service"].to_numpy()]
        parts[attr] = table if keep.all() else table[keep]
    return _with_service_tables(tables, services, parts)


def _with_service_tables(tables: EventTables, services, parts: dict) -> EventTables:
    """``tables`` with the narrowed service tables ``parts`` and its other rows narrowed to ``services``."""
    other = tables.other
    if other is not None and len(other):
        other = other[other["service"].isin(list(services)).to_numpy()].reset_index(drop=True)
    return replace(tables, other=other if other is None or len(other) else None, **parts)


class ServiceRows:
    """The rows of each service table grouped by service code, worked out once, so that narrowing
    the same tables to many sets of services in turn (one a team) costs the rows kept each time,
    not a pass over every table."""

    def __init__(self, tables: EventTables):
        self.tables = tables
        bins = np.arange(len(tables.services) + 1)
        self._groups = {}
        for attr in SERVICE_TABLES:
            codes = getattr(tables, attr)["service"].to_numpy()
            order = np.argsort(codes, kind="stable")           # each service's rows in their order
            self._groups[attr] = (order, np.searchsorted(codes[order], bins))

    def narrow(self, services) -> EventTables:
        """``tables_of_services(self.tables, services)``, taken from the grouped rows."""
        if not services:
            return self.tables
        wanted = np.flatnonzero(np.isin(self.tables.services, list(services)))
        parts = {}
        for attr, (order, bounds) in self._groups.items():
            table = getattr(self.tables, attr)
            rows = np.sort(np.concatenate([order[bounds[c]:bounds[c + 1]] for c in wanted] or [order[:0]]))
            parts[attr] = table if len(rows) == len(table) else table.iloc[rows]
        return _with_service_tables(self.tables, services, parts)
