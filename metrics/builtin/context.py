"""What the built-in metrics of one window are computed from: the window's tables and, computed once
on first use and shared by every metric that reads them, the intermediate results of the
computations in ``metrics/compute/`` (``dora``, ``space``, ``pvm`` and ``extensions``: the lead-time
table, the attributed incidents, the deployments inside the window ...)."""
from __future__ import annotations

from .. import defaults
from ..compute import dora, extensions, pvm, size, space
from ..compute.stages import stage_summary
from ..compute.pvm import Assumptions
from ..tables import EventTables
from ..window import Window


class cached_property:                  # noqa: N801 (read as the decorator it replaces)
    """A value computed by ``function(instance)`` on first use and kept in the instance. Not
    ``functools.cached_property``: before Python 3.12 that one holds one lock per attribute for every
    instance, so the two periods a view analyses on two threads would wait for each other."""

    def __init__(self, function):
        self.function = function

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.function(instance)   # later reads find it there
        return value


def lead_and_incidents(tables: EventTables, window: Window, attribution_hours: float, per_pr: bool = True) -> tuple:
    """(``dora.lead_time``, ``dora.attribute_incidents``) of the window: both search one index of its
    successful deployments (``dora.successful_index``), built for the two and dropped after them, so
    it is sorted once and never held while the other metrics are computed. ``per_pr``: as ``dora.lead_time``'s."""
    shared = dora.successful_index(tables, window, attribution_hours)
    return (dora.lead_time(tables, window, shared, per_pr),
            dora.attribute_incidents(tables, window, attribution_hours, shared))


class Context:
    """One window's tables (already clipped, ``tables.clip``), its assumptions, attribution window
    and SLA targets (None: ``METRICS_SLA_MINUTES``), and the shared intermediate results, one a line,
    each computed on first use by the function it names and then kept. ``per_pr`` False: lead time
    without its per-PR table and the figures drawn from it (``dora.lead_time``; the SPACE metrics
    that read the table cannot be computed then, nor the sizes). ``large_pr_lines``: the lines above
    which a PR is large (``defaults.LARGE_PR_LINES``)."""

    def __init__(self, tables: EventTables, window: Window, assumptions: Assumptions, attribution_hours: float,
                 sla: dict | None = None, per_pr: bool = True, large_pr_lines: int = defaults.LARGE_PR_LINES):
        self.tables, self.window, self.assumptions = tables, window, assumptions
        self.attribution_hours, self.sla_given, self.per_pr = attribution_hours, sla, per_pr
        self.large_pr_lines = large_pr_lines

    # DORA: counts, daily series and rate; the per-PR lead-time table and the window's incidents with their
    # attribution and recovery (computed together: ``lead_and_incidents``); the production deployments of the
    # window; CFR, recovery and rework over them
    frequency = cached_property(lambda c: dora.deployment_frequency(c.tables, c.window))
    linked = cached_property(lambda c: lead_and_incidents(c.tables, c.window, c.attribution_hours, c.per_pr))
    lead = cached_property(lambda c: c.linked[0])
    incidents = cached_property(lambda c: c.linked[1])
    inside = cached_property(lambda c: dora.in_window(c.tables, c.window))
    cfr = cached_property(lambda c: dora.change_failure_rate(c.inside, c.incidents))
    recovery = cached_property(lambda c: dora.recovery_time(c.incidents))
    rework = cached_property(lambda c: dora.rework(c.inside, c.incidents))
    # the cycle-time stages' medians and p75s, from lead time's per-PR table
    stages = cached_property(lambda c: stage_summary(c.lead["prs"]))
    # size: of the window's PRs (from the per-PR lead-time table) and of its deployments' batches
    sizes = cached_property(lambda c: size.pr_sizes(c.lead["prs"], c.large_pr_lines))
    batch_rows = cached_property(lambda c: size.deploy_batches(c.lead["prs"], c.inside))
    batches = cached_property(lambda c: size.batch_sizes(c.batch_rows))
    size_relation = cached_property(lambda c: {
        "lead_time_by_pr_size": size.lead_time_by_size(c.lead["prs"]),
        "change_failure_by_batch_size": size.failure_by_batch(c.batch_rows, c.cfr["failed"])})
    # SPACE
    activity = cached_property(lambda c: space.activity(c.tables, c.window))
    collaboration = cached_property(lambda c: space.collaboration(c.lead["prs"], c.window))
    satisfaction = cached_property(lambda c: space.satisfaction(c.tables, c.window, c.incidents["start"].to_numpy()))
    efficiency = cached_property(lambda c: space.efficiency(c.lead["prs"], c.window))
    performance = cached_property(lambda c: space.performance(c.recovery["incidents"], c.frequency["deployments"]))
    # PVM (IAR counts the successful production deployments of all of the tables, not the window's alone)
    value_cost = cached_property(lambda c: pvm.vcr(c.frequency["successful_deployments"], c.tables, c.window,
                                                   c.assumptions))
    adoption = cached_property(lambda c: pvm.iar(dora.successful_production_times(c.tables), c.window))
    toil_ratio = cached_property(lambda c: pvm.dtr(c.tables, c.window, c.assumptions))
    impact = cached_property(lambda c: pvm.impact(c.frequency["successful_deployments"], c.value_cost["platform_hours"],
                                                  c.tables, c.window))
    # the extensions: (service -> recovery target in minutes, None), or (None, why the setting cannot be
    # used); SLA compliance against the targets ({} without targets)
    developers = cached_property(lambda c: extensions.developers(c.tables, c.assumptions.team_size))
    sla = cached_property(lambda c: (c.sla_given, None) if c.sla_given is not None else extensions.sla_setting())
    compliance = cached_property(lambda c: extensions.sla_compliance(c.incidents, c.tables.services, c.window.end_ns,
                                                                     c.sla[0]) if c.sla[0] else {})
