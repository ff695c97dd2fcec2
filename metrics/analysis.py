"""One pass over the tables of a window: every metric of METRICS.md sections 3-5, as the summary
of section 7 (exact JSON keys), details (tier thresholds, splits, trends) and tables (daily,
weekly, per incident, per PR, per deployment, per IAR period)."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from . import defaults, dora, pvm, space
from .pvm import Assumptions
from .schema import CHANGE_TYPES, NS_PER_HOUR
from .series import clean, daily_counts
from .tables import NA, EventTables, clip
from .window import Window


@dataclass
class Analysis:
    """The metrics of one window. The per-row tables (``incidents``, ``prs``, ``deployments``)
    are built on first access: a summary of a million events does not need them."""

    window: Window
    assumptions: Assumptions
    summary: dict            # METRICS.md section 7, exactly its keys; None where n/a
    details: dict            # everything else a headline needs: tier thresholds, lead time split, trends, bands
    daily: pd.DataFrame      # one row per day of the window
    weekly: pd.DataFrame     # one row per ISO week overlapping the window
    iar_periods: pd.DataFrame
    attribution_hours: float = defaults.ATTRIBUTION_HOURS
    _rows: dict = field(repr=False, default_factory=dict)

    @property
    def services(self) -> np.ndarray:
        """Service names; the ``service`` codes of the mark tables index into it."""
        return self._rows["tables"].services

    def deployment_marks(self) -> pd.DataFrame:
        """Production deployments of the window for charts: ts (ns), service code, failed, rework (no ids)."""
        d = self._rows["deployments"]
        return pd.DataFrame({"ts": d["ts"].to_numpy(), "service": d["service"].to_numpy(),
                             "failed": self._rows["failed"], "rework": self._rows["rework"]})

    def incident_marks(self) -> pd.DataFrame:
        """Incidents of the window for charts: start and resolved (ns, NA while open), recovery
        minutes, service code, attribution (no ids)."""
        inc = self._rows["incidents"]
        return pd.DataFrame({"start": inc["start"].to_numpy(), "resolved": inc["resolved"].to_numpy(),
                             "recovery_minutes": inc["recovery_minutes"].to_numpy(),
                             "service": inc["service"].to_numpy(), "attribution": inc["attribution"].to_numpy()})

    def lead_time_hours(self) -> np.ndarray:
        """Lead time of every deployed PR of the window, in hours."""
        hours = self._rows["prs"]["lead_time_hours"].to_numpy()
        return hours[~np.isnan(hours)]

    @cached_property
    def incidents(self) -> pd.DataFrame:
        """One row per incident started in the window, with its recovery time and attribution."""
        return self.incident_rows()

    def incident_rows(self, newest: int | None = None) -> pd.DataFrame:
        """``incidents``, or only the ``newest`` by start time, newest first (ids named for those alone)."""
        t, inc = self._rows["tables"], _newest(self._rows["incidents"], "start", newest)
        return pd.DataFrame({
            "incident_id": t.incident_id(inc["key"]), "service": t.service_name(inc["service"]),
            "start": _time(inc["start"]), "resolved": _time(inc["resolved"]),
            "recovery_minutes": inc["recovery_minutes"].to_numpy(), "attribution": inc["attribution"].to_numpy(),
            "deploy_id": t.deploy_id(inc["deploy_key"]),
        })

    @cached_property
    def prs(self) -> pd.DataFrame:
        """One row per PR created in the window: its times, shipping deployment and durations (hours)."""
        t, p = self._rows["tables"], self._rows["prs"]
        out = pd.DataFrame({
            "pr_id": t.pr_id(p["pr_key"]), "service": t.service_name(p["service"]),
            "created": _time(p["created"]), "first_review": _time(p["first_review"]), "merged": _time(p["merged"]),
            "deployed": _time(p["deployed"]), "deploy_id": t.deploy_id(p["deploy_key"]),
        })
        for name in ("lead_time_hours", "review_wait_hours", "review_to_merge_hours", "merge_to_deploy_hours",
                     "merge_time_hours"):
            out[name] = p[name].to_numpy()
        return out

    @cached_property
    def deployments(self) -> pd.DataFrame:
        """One row per production deployment in the window, with its failed and rework flags."""
        return self.deployment_rows()

    def deployment_rows(self, newest: int | None = None) -> pd.DataFrame:
        """``deployments``, or only the ``newest`` by time, newest first (ids named for those alone)."""
        t = self._rows["tables"]
        d = self._rows["deployments"].assign(failed=self._rows["failed"], caused=self._rows["caused"],
                                             rework=self._rows["rework"])
        d = _newest(d, "ts", newest)
        return pd.DataFrame({
            "deploy_id": t.deploy_id(d["key"]), "service": t.service_name(d["service"]), "ts": _time(d["ts"]),
            "status": np.where(d["success"], "success", "failed"),
            "change_type": np.asarray(CHANGE_TYPES, dtype=object)[d["change_type"].to_numpy()],
            "failed": d["failed"].to_numpy(), "caused_incident": d["caused"].to_numpy(), "rework": d["rework"].to_numpy(),
        })


def _newest(rows: pd.DataFrame, column: str, n: int | None) -> pd.DataFrame:
    """All rows in their order, or the ``n`` latest by ``column``, latest first."""
    if n is None:
        return rows
    order = np.argsort(-rows[column].to_numpy(), kind="stable")[:n]
    return rows.iloc[order]


def _time(ns: np.ndarray) -> pd.Series:
    ns = np.asarray(ns, dtype=np.int64)
    return pd.Series(pd.to_datetime(np.where(ns == NA, np.datetime64("NaT"), ns.astype("datetime64[ns]")), utc=True))


def analyze(tables: EventTables, window: Window, assumptions: Assumptions | None = None,
            attribution_hours: float = defaults.ATTRIBUTION_HOURS) -> Analysis:
    """Compute every metric of the window from the tables. ``attribution_hours``: how long after a
    deployment an incident is attributed to it (change failure rate)."""
    a = assumptions or Assumptions()
    a.check()
    attribution_hours = defaults.amount("attribution hours", attribution_hours)
    tables = clip(tables, window.start_ns, window.end_ns, int(attribution_hours * NS_PER_HOUR))
    df = dora.deployment_frequency(tables, window)
    lt = dora.lead_time(tables, window)
    incidents = dora.attribute_incidents(tables, window, attribution_hours)
    inside = dora.in_window(tables, window)
    cfr = dora.change_failure_rate(inside, incidents)
    mttr = dora.recovery_time(incidents)
    rw = dora.rework(inside, incidents)
    tiers = {"deployment_frequency": df["tier"], "lead_time": lt["tier"],
             "change_failure_rate": cfr["tier"], "recovery_time": mttr["tier"]}
    tiers["overall"] = dora.overall_tier(tiers)

    act = space.activity(tables, window)
    col = space.collaboration(lt["prs"], window)
    sat = space.satisfaction(tables, window, incidents["start"].to_numpy())
    eff = space.efficiency(lt["prs"], window)
    perf = space.performance(mttr["incidents"], df["deployments"])

    prod = dora.production(tables)
    successful_ts = prod["ts"].to_numpy()[prod["success"].to_numpy()]
    v = pvm.vcr(df["successful_deployments"], tables, window, a)
    ia = pvm.iar(successful_ts, window)
    dt = pvm.dtr(tables, window, a)
    imp = pvm.impact(df["successful_deployments"], v["platform_hours"], tables, window)

    summary = {
        "window": {"start": window.start.isoformat().replace("+00:00", "Z"),
                   "end": window.end.isoformat().replace("+00:00", "Z"), "days": window.days},
        "dora": {
            "deployments": df["deployments"], "successful_deployments": df["successful_deployments"],
            "deploys_per_day": df["deploys_per_day"], "lead_time_hours_median": lt["lead_time_hours_median"],
            "lead_time_hours_p90": lt["lead_time_hours_p90"], "change_failure_rate_pct": cfr["change_failure_rate_pct"],
            "incidents": mttr["incidents"], "open_incidents": mttr["open_incidents"],
            "unattributed_incidents": mttr["unattributed_incidents"], "mttr_minutes_mean": mttr["mttr_minutes_mean"],
            "mttr_minutes_median": mttr["mttr_minutes_median"], "mttr_minutes_p95": mttr["mttr_minutes_p95"],
            "rework_rate_pct": rw["rework_rate_pct"], "tiers": tiers,
        },
        "space": {
            "prs_per_day": act["prs_per_day"], "reviews_per_day": act["reviews_per_day"],
            "review_turnaround_hours_mean": col["review_turnaround_hours_mean"],
            "satisfaction_mean": sat["satisfaction_mean"], "satisfaction_responses": sat["satisfaction_responses"],
            "merge_time_hours_mean": eff["merge_time_hours_mean"], "incident_rate_pct": perf["incident_rate_pct"],
        },
        "pvm": {
            "vcr_pct": v["vcr_pct"], "total_value_usd": v["total_value_usd"], "total_cost_usd": v["total_cost_usd"],
            "platform_hours": v["platform_hours"], "iar_pct": ia["iar_pct"],
            "first_period_deploys": ia["first_period_deploys"], "second_period_deploys": ia["second_period_deploys"],
            "dtr_pct": dt["dtr_pct"], "toil_minutes": dt["toil_minutes"], "feature_minutes": dt["feature_minutes"],
            "onboarding_weeks_mean": imp["onboarding_weeks_mean"],
        },
    }
    summary = _cleaned(summary)
    details = _cleaned({
        "tier_thresholds": {"deployment_frequency": df["tier_threshold"], "lead_time": lt["tier_threshold"],
                            "change_failure_rate": cfr["tier_threshold"], "recovery_time": mttr["tier_threshold"]},
        "failed_deployments": cfr["failed_deployments"], "rework_deployments": rw["rework_deployments"],
        "lead_time_hours_p75": lt["lead_time_hours_p75"], "merged_prs": lt["merged_prs"],
        "deployed_prs": lt["deployed_prs"], "undeployed_prs": lt["undeployed_prs"],
        "review_wait_hours_median": lt["review_wait_hours_median"],
        "review_to_merge_hours_median": lt["review_to_merge_hours_median"],
        "merge_to_deploy_hours_median": lt["merge_to_deploy_hours_median"],
        "prs_created": act["prs_created"], "reviews": act["reviews"], "merges": act["merges"],
        "satisfaction_trend_per_30_days": sat["trend_per_30_days"],
        "satisfaction_trend_start": sat["trend_start"],
        "satisfaction_after_incident_mean": sat["after_incident_mean"],
        "satisfaction_after_incident_responses": sat["after_incident_responses"],
        "satisfaction_other_mean": sat["other_mean"], "satisfaction_other_responses": sat["other_responses"],
        "vcr_band": v["vcr_band"], "iar_band": ia["iar_band"], "dtr_band": dt["dtr_band"],
        "iar_half_days": ia["half_days"], "capacity_minutes": dt["capacity_minutes"], "working_days": dt["working_days"],
        "response_minutes": v["response_minutes"], "logged_toil_minutes": v["logged_toil_minutes"],
        "deploys_per_platform_hour": imp["deploys_per_platform_hour"], "onboardings": imp["onboardings"],
    })

    inside_ts = inside["ts"].to_numpy()
    daily = pd.DataFrame({
        "date": window.dates(), "deployments": df["daily_deployments"], "successful_deployments": df["daily_successful"],
        "failed_deployments": daily_counts(inside_ts[cfr["failed"]], window).astype(int),
        "rework_deployments": daily_counts(inside_ts[rw["rework"]], window).astype(int),
        "incidents": dora.daily_incidents(incidents, window),
        "prs_created": act["daily_prs_created"], "reviews": act["daily_reviews"], "merges": act["daily_merges"],
        "platform_hours": _daily_sum(tables.platform, "hours", window),
        "incident_response_minutes": _daily_sum(tables.response, "minutes", window),
        "toil_minutes": _daily_sum(tables.toil, "minutes", window),
    })
    # the three weekly tables cover the same weeks, in the same order
    weekly = pd.concat([col["weekly"], sat["weekly"].drop(columns="week"), eff["weekly"].drop(columns="week")], axis=1)

    rows = {"tables": tables, "incidents": incidents, "prs": lt["prs"],
            "deployments": inside,
            "failed": cfr["failed"], "caused": cfr["caused_incident"], "rework": rw["rework"]}
    return Analysis(window, a, summary, details, daily, weekly, ia["periods"], attribution_hours, rows)


def _daily_sum(table: pd.DataFrame, column: str, window: Window) -> np.ndarray:
    return daily_counts(table["ts"].to_numpy(), window, table[column].to_numpy())


def _cleaned(value):
    if isinstance(value, dict):
        return {k: _cleaned(v) for k, v in value.items()}
    if isinstance(value, str) or value is None:
        return value
    return clean(value)
