"""What the built-in metrics of one window are computed from: the window's tables and, computed once
on first use and shared by every metric that reads them, the intermediate results of
``metrics.dora``, ``metrics.space``, ``metrics.pvm`` and ``metrics.extensions`` (the lead-time
table, the attributed incidents, the deployments inside the window ...)."""
from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from .. import dora, extensions, pvm, space
from ..pvm import Assumptions
from ..tables import EventTables
from ..window import Window


class Context:
    """One window's tables (already clipped, ``tables.clip``), its assumptions, attribution window
    and SLA targets (None: ``METRICS_SLA_MINUTES``), and the shared intermediate results."""

    def __init__(self, tables: EventTables, window: Window, assumptions: Assumptions, attribution_hours: float,
                 sla: dict | None = None):
        self.tables, self.window, self.assumptions = tables, window, assumptions
        self.attribution_hours, self.sla_given = attribution_hours, sla

    @cached_property
    def frequency(self) -> dict:
        """``dora.deployment_frequency``: counts, the daily series and the rate."""
        return dora.deployment_frequency(self.tables, self.window)

    @cached_property
    def lead(self) -> dict:
        """``dora.lead_time``: the per-PR table and its statistics."""
        return dora.lead_time(self.tables, self.window)

    @cached_property
    def incidents(self) -> pd.DataFrame:
        """``dora.attribute_incidents``: the window's incidents with their attribution and recovery."""
        return dora.attribute_incidents(self.tables, self.window, self.attribution_hours)

    @cached_property
    def inside(self) -> pd.DataFrame:
        """``dora.in_window``: the production deployments of the window."""
        return dora.in_window(self.tables, self.window)

    @cached_property
    def cfr(self) -> dict:
        return dora.change_failure_rate(self.inside, self.incidents)

    @cached_property
    def recovery(self) -> dict:
        return dora.recovery_time(self.incidents)

    @cached_property
    def rework(self) -> dict:
        return dora.rework(self.inside, self.incidents)

    @cached_property
    def activity(self) -> dict:
        return space.activity(self.tables, self.window)

    @cached_property
    def collaboration(self) -> dict:
        return space.collaboration(self.lead["prs"], self.window)

    @cached_property
    def satisfaction(self) -> dict:
        return space.satisfaction(self.tables, self.window, self.incidents["start"].to_numpy())

    @cached_property
    def efficiency(self) -> dict:
        return space.efficiency(self.lead["prs"], self.window)

    @cached_property
    def performance(self) -> dict:
        return space.performance(self.recovery["incidents"], self.frequency["deployments"])

    @cached_property
    def successful_ts(self) -> np.ndarray:
        """Times of the successful production deployments (all of the tables, IAR's input)."""
        prod = dora.production(self.tables)
        return prod["ts"].to_numpy()[prod["success"].to_numpy()]

    @cached_property
    def value_cost(self) -> dict:
        return pvm.vcr(self.frequency["successful_deployments"], self.tables, self.window, self.assumptions)

    @cached_property
    def adoption(self) -> dict:
        return pvm.iar(self.successful_ts, self.window)

    @cached_property
    def toil_ratio(self) -> dict:
        return pvm.dtr(self.tables, self.window, self.assumptions)

    @cached_property
    def impact(self) -> dict:
        return pvm.impact(self.frequency["successful_deployments"], self.value_cost["platform_hours"], self.tables,
                          self.window)

    @cached_property
    def sla(self) -> tuple[dict | None, str | None]:
        """(service -> recovery target in minutes, None), or (None, why the setting cannot be used)."""
        return (self.sla_given, None) if self.sla_given is not None else extensions.sla_setting()

    @cached_property
    def compliance(self) -> dict:
        """``extensions.sla_compliance`` against the targets ({} without targets)."""
        targets = self.sla[0]
        if not targets:
            return {}
        return extensions.sla_compliance(self.incidents, self.tables.services, self.window.end_ns, targets)
