"""Goals: a target for one metric, per team or service (or the whole dataset), with a date and a reason.

They are the ``[[goal]]`` tables of the alerts file (``alerts.toml`` in the data directory;
``METRICS_ALERTS`` moves it), the file whose ``[[alert]]`` tables the alerts module reads; this
module reads the goals only::

    [[goal]]
    team = "payments"                  # or service = "checkout", or neither: the whole dataset
    dataset = "acme"                   # optional: only this dataset's views
    metric = "change_failure_rate_pct" # a key of --json (metrics.builtin: every summary key)
    target = 10
    date = 2027-03-31                  # by when (a TOML date, or "YYYY-MM-DD")
    reason = "fewer rollbacks after the payment incidents"

Which side of the target is better is never written: it is the metric's declaration
(``MetricSpec.lower_is_better``). A goal is for a team or a service, never a person: DORA's
caution against turning metrics into goals for individuals is quoted on the Teams tab and in the
README. A goal that cannot be used is ``GoalsError``, one sentence naming the entry.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from . import defaults
from .builtin import METRICS
from .settings_files import alerts_path, read_toml

# the metrics a goal may name: every key of the summary (``--json``), as the registry declares them
GOAL_METRICS = {spec.key: spec for spec in METRICS if spec.summary}
GOAL_KEYS = ("team", "service", "dataset", "metric", "target", "date", "reason")


class GoalsError(Exception):
    """A goal that cannot be used: one sentence naming the file and the entry."""


@dataclass(frozen=True)
class Goal:
    """One ``[[goal]]``: the metric's key, the target, by when and why; for ``team`` or ``service``
    ("" for neither) in ``dataset`` ("" for any); ``lower_is_better`` is the metric's declaration's;
    ``entry`` is its place in the file (1 for the first ``[[goal]]``)."""

    metric: str
    target: float
    due: date
    reason: str
    team: str = ""
    service: str = ""
    dataset: str = ""
    entry: int = 1

    @property
    def lower_is_better(self) -> bool:
        """Whether a value below the target meets it (the metric's declared direction)."""
        return GOAL_METRICS[self.metric].lower_is_better

    @property
    def label(self) -> str:
        """The goal in a few words: "goal: CFR <= 10 %" (the metric's label, the side, the target)."""
        spec = GOAL_METRICS[self.metric]
        return f"goal: {spec.label} {'≤' if self.lower_is_better else '≥'} {self.target:g}{spec.suffix}"

    @property
    def scope(self) -> str:
        """Whom the goal is for: "team payments", "service checkout" or "the whole dataset"."""
        return f"team {self.team}" if self.team else f"service {self.service}" if self.service else "the whole dataset"

    def applies(self, dataset: str, teams=(), only=()) -> bool:
        """Whether the goal is for a view of ``dataset`` narrowed to ``teams`` and ``only`` (services):
        a team's goal for that team's view alone, a service's for that service's, a goal of neither
        for the unfiltered view."""
        if self.dataset and self.dataset != dataset:
            return False
        if self.team:
            return tuple(teams) == (self.team,) and not only
        if self.service:
            return tuple(only) == (self.service,) and not teams
        return not teams and not only


@dataclass(frozen=True)
class Progress:
    """A goal against a value: ``met`` (None when the value is n/a) and the days left until its
    date (0 on the day, negative after it)."""

    value: float | None
    met: bool | None
    days_left: int


def progress(goal: Goal, value, today: date) -> Progress:
    """How ``goal`` stands with ``value`` (None: n/a) on ``today``: met when the value is on the
    target or on its better side (the metric's declared direction), and the days left until its date."""
    left = (goal.due - today).days
    if value is None or isinstance(value, float) and math.isnan(value):
        return Progress(None, None, left)
    met = value <= goal.target if goal.lower_is_better else value >= goal.target
    return Progress(float(value), bool(met), left)


def _due(value, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            if len(value) == 10:
                return date.fromisoformat(value)
        except ValueError:
            pass
    raise GoalsError(f"{where}: date must be a day, 2027-03-31 (a TOML date or \"YYYY-MM-DD\"); got {value!r}")


def _text(table: dict, key: str, where: str, required: bool = False) -> str:
    value = table.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise GoalsError(f"{where}: {key} must be {'non-empty ' if required else ''}text; got {value!r}")
    return value.strip()


def goal_of(table, entry: int, path, teams=None) -> Goal:
    """The ``entry``-th ``[[goal]]`` of the file ``path`` checked: GoalsError naming it when a key is
    unknown, a metric is not a key of --json, a team is not in ``teams`` (the teams file's names;
    None: not checked), both team and service are given, the target is not a number or the date not a day."""
    where = f"the alerts file {path}, goal {entry}"
    if not isinstance(table, dict):
        raise GoalsError(f"{where} must be a table: [[goal]] metric = ..., target = ..., date = ..., reason = ...")
    metric = table.get("metric")
    if isinstance(metric, str) and metric:
        where += f" ({metric})"
    unknown = sorted(set(table) - set(GOAL_KEYS))
    if unknown:
        raise GoalsError(f"{where} has an unknown key {unknown[0]!r} (a goal has {', '.join(GOAL_KEYS)})")
    if not isinstance(metric, str) or metric not in GOAL_METRICS:
        raise GoalsError(f"{where}: metric must be a key of --json (python -m metrics metrics lists them); "
                         f"got {metric!r}")
    target = table.get("target")
    if isinstance(target, bool) or not isinstance(target, (int, float)) or not math.isfinite(target):
        raise GoalsError(f"{where}: target must be a number; got {target!r}")
    if "date" not in table:
        raise GoalsError(f"{where}: date is missing (by when, 2027-03-31)")
    due = _due(table["date"], where)
    reason = _text(table, "reason", where, required=True)
    team, service, dataset = (_text(table, key, where) for key in ("team", "service", "dataset"))
    if team and service:
        raise GoalsError(f"{where}: a goal is for a team or a service, not both")
    if team and teams is not None and team not in teams:
        raise GoalsError(f"{where}: no team named {team!r} in the teams file")
    return Goal(metric, float(target), due, reason, team, service, dataset, entry)


def read_goals(path, teams=None) -> list[Goal]:
    """The goals of the alerts file ``path``, in its order ([] when it does not exist or has no
    ``[[goal]]``); its other tables (``[[alert]]``, ``[notifiers]``...) are the alerts module's and
    are not read here. GoalsError (one sentence) for a file that cannot be read or a bad goal."""
    path = Path(path)
    if not path.exists():
        return []
    tables = read_toml(path, "the alerts file", GoalsError).get("goal", [])
    if not isinstance(tables, list):
        raise GoalsError(f"the alerts file {path}: goals are [[goal]] tables (an array of tables)")
    return [goal_of(table, i, path, teams) for i, table in enumerate(tables, start=1)]
