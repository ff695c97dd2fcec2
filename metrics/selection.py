"""Narrowing events to some services: the dashboard's service filter and ``--only-service``.

Deployments, incidents, PRs and reviews belong to a service. Team-level events (satisfaction
surveys, platform hours, incident response, toil, onboarding) describe the whole team, not a
service, so a service filter keeps them: the SPACE satisfaction and PVM numbers stay team-wide.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import schema as s
from .tables import EventTables, frame_from_tables, tables_from_frame

SERVICE_KINDS = (s.DEPLOY,) + s.INCIDENT_KINDS + s.PR_KINDS


def services_of(tables: EventTables) -> list[str]:
    """The services that have deployments, incidents, PRs or reviews, sorted."""
    codes = [tables.deploys["service"], tables.incidents["service"], tables.prs["service"], tables.reviews["service"]]
    used = np.unique(np.concatenate([c.to_numpy() for c in codes])) if any(len(c) for c in codes) else []
    return sorted(str(tables.services[c]) for c in used)


def only_services(frame: pd.DataFrame, services) -> pd.DataFrame:
    """The events of ``services`` plus every team-level event (a value kind: survey, hours,
    response, toil, onboarding). Custom kinds count as service events."""
    keep = frame["service"].isin(list(services)) | frame["kind"].isin(s.VALUE_KINDS)
    return frame[keep.to_numpy()].reset_index(drop=True)


def tables_of_services(tables: EventTables, services) -> EventTables:
    """``tables`` narrowed to ``services`` (see ``only_services``); the same tables when none are given."""
    if not services:
        return tables
    return tables_from_frame(only_services(frame_from_tables(tables), services))
