"""One pass over the tables of a window: every metric of METRICS.md sections 3-5, as the summary
of section 7 (exact JSON keys), details (tier thresholds, splits, trends) and tables (daily,
weekly, per incident, per PR, per deployment, per IAR period)."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from . import defaults, dora, extensions, pvm, space
from .attribution import Overrides, apply_overrides
from .benchmarks import DORA_GROUPS, Baseline, against, baseline, overall_tier, quick_check
from .pvm import Assumptions
from .schema import CHANGE_TYPES, NS_PER_DAY, NS_PER_HOUR
from .series import clean, daily_counts, rate_pct, weekly_sums
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
    weekly: pd.DataFrame     # one row per ISO week overlapping the window (PRs and surveys by week)
    weekly_delivery: pd.DataFrame   # one row per ISO week with days in the window: deployments, CFR, incident rate
    iar_periods: pd.DataFrame
    attribution_hours: float = defaults.ATTRIBUTION_HOURS
    present: frozenset = frozenset()       # the event kinds the whole data holds (see ``NEEDS``)
    _rows: dict = field(repr=False, default_factory=dict)

    @property
    def pr_times_from_git(self) -> bool:
        """Whether the data's PRs (some or all) came from git history: their "created" is the first
        commit's author time, not when the PR was opened (``schema.GIT_HISTORY``)."""
        return GIT_PRS in self.present

    def samples(self) -> dict:
        """How many events each tier and growth stands on (``defaults.MIN_SAMPLE`` marks the low
        ones): deployments (frequency, CFR), deployed PRs (lead time), resolved incidents
        (recovery time), and the earlier half's successful deployments (IAR, the base of its growth)."""
        d, p = self.summary["dora"], self.summary["pvm"]
        return {"deploys_per_day": d["deployments"], "change_failure_rate_pct": d["deployments"],
                "lead_time_hours_median": len(self.lead_time_hours()),
                "mttr_minutes_median": d["incidents"] - d["open_incidents"],
                "iar_pct": p["first_period_deploys"]}

    @property
    def tables(self) -> EventTables:
        """The window's tables (clipped as ``tables.clip`` does): what custom metrics are computed from."""
        return self._rows["tables"]

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

    def daily_recovery(self) -> pd.DataFrame:
        """Per UTC day on which resolved incidents started: ``day`` (midnight, UTC), ``incidents``,
        and the ``median`` and ``p95`` of their recovery minutes (the recovery chart at scale)."""
        inc = self._rows["incidents"]
        done = inc[inc["recovery_minutes"].notna()]
        day = done["start"].to_numpy() // NS_PER_DAY * NS_PER_DAY
        by_day = done["recovery_minutes"].groupby(day)
        return pd.DataFrame({"day": pd.to_datetime(by_day.median().index.to_numpy(dtype=np.int64), utc=True, unit="ns"),
                             "incidents": by_day.size().to_numpy(), "median": by_day.median().to_numpy(),
                             "p95": by_day.quantile(0.95).to_numpy()})

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
            "reason": dora.attribution_reasons(inc["attribution"].to_numpy(), self.attribution_hours),
        })

    def current_dora(self, base: Baseline | None = None) -> dict:
        """DORA's current definitions beside the summary (the ``--json`` extras): the metric
        groups, the failed deployment recovery time and the Quick Check scores against ``base``
        (default: ``defaults.BASELINE``)."""
        d = self.details
        return {"dora_groups": {k: list(v) for k, v in DORA_GROUPS.items()},
                "failed_deployment_recovery": d["failed_deployment_recovery"],
                "quick_check": against(d["quick_check"], base or baseline(defaults.BASELINE))}

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


# metric (section, key) -> the event kinds it needs; with none of them anywhere in the data the
# metric is n/a (absence of a source is not a perfect score). A window without them, in data that
# has them elsewhere, still counts zero.
# "a|b": either will do; "failed deploy" and "rework deploy" are deployments the data marks failed,
# or as a hotfix or rollback (a source that reports failures needs no incidents for CFR to mean something)
NEEDS = {
    ("dora", "deploys_per_day"): ("deploy",),
    ("dora", "change_failure_rate_pct"): ("deploy", "incident_start|failed deploy"),
    ("dora", "rework_rate_pct"): ("deploy", "incident_start|rework deploy"),
    ("space", "incident_rate_pct"): ("deploy", "incident_start"),
    ("dora", "lead_time_hours_median"): ("pr_created", "deploy"), ("dora", "mttr_minutes_median"): ("incident_start",),
    ("space", "satisfaction_mean"): ("satisfaction_survey",),
    ("space", "prs_per_day"): ("pr_created",), ("space", "reviews_per_day"): ("pr_reviewed",),
    ("pvm", "iar_pct"): ("deploy",), ("pvm", "dtr_pct"): ("toil|incident_response|on_call_hours",),
    ("pvm", "platform_hours"): ("platform_investment_hour",),
}
OPTIONAL_KINDS = ("on_call_hours",)   # extension kinds: they count when present, are never asked for
GIT_PRS = "git pr"              # a marker in ``present``: PR times from git history (not an event kind)
TIER_OF = {"deploys_per_day": "deployment_frequency", "change_failure_rate_pct": "change_failure_rate",
           "lead_time_hours_median": "lead_time", "mttr_minutes_median": "recovery_time"}


def kinds_present(tables: EventTables) -> frozenset:
    """The built-in event kinds the tables hold at all (whatever the window)."""
    present = set()
    for kind, table in (("deploy", tables.deploys), ("incident_start", tables.incidents), ("pr_created", tables.prs),
                        ("pr_reviewed", tables.reviews), ("satisfaction_survey", tables.surveys),
                        ("platform_investment_hour", tables.platform), ("incident_response", tables.response),
                        ("toil", tables.toil), ("onboarding_complete", tables.onboarding),
                        ("on_call_hours", tables.on_call), ("infra_cost", tables.infra)):
        if len(table):
            present.add(kind)
    if (~tables.deploys["success"].to_numpy()).any():
        present.add("failed deploy")
    if (tables.deploys["change_type"].to_numpy() > 0).any():
        present.add("rework deploy")
    if tables.git_prs:
        present.add(GIT_PRS)
    return frozenset(present)


def missing_sources(present: frozenset) -> list[str]:
    """The event kinds some metric needs and the data has never contained, sorted."""
    absent = set()
    for needs in NEEDS.values():
        for need in needs:
            if not any(k in present for k in need.split("|")):
                absent.update(k for k in need.split("|") if " " not in k and k not in OPTIONAL_KINDS)
    return sorted(absent)


REASONS = {"deploy": "no deployments in this dataset", "incident_start": "no incident data in this dataset",
           "pr_created": "no pull requests in this dataset", "pr_reviewed": "no reviews in this dataset",
           "toil": "no toil or incident-response data in this dataset",
           "platform_investment_hour": "no platform hours in this dataset",
           "satisfaction_survey": "no survey answers in this dataset"}


def why_missing(section: str, key: str, present: frozenset) -> str | None:
    """Why a metric is n/a for lack of a source ("no incident data in this dataset"), or None."""
    for need in NEEDS.get((section, key), ()):
        options = need.split("|")
        if not any(k in present for k in options):
            return REASONS.get(options[0], f"no {options[0]} events in this dataset")
    return None


def _apply_missing(summary: dict, present: frozenset) -> None:
    """Set to n/a (None) every metric whose inputs the data has never contained, with its tier."""
    for (section, key), needs in NEEDS.items():
        if all(any(k in present for k in need.split("|")) for need in needs):
            continue
        summary[section][key] = None
        if section == "dora" and key in TIER_OF:
            summary["dora"]["tiers"][TIER_OF[key]] = None
    tiers = summary["dora"]["tiers"]
    tiers["overall"] = overall_tier({k: v for k, v in tiers.items() if k != "overall"})
    missing = missing_sources(present)
    if missing:
        summary["missing"] = missing


def analyze(tables: EventTables, window: Window, assumptions: Assumptions | None = None,
            attribution_hours: float = defaults.ATTRIBUTION_HOURS, present: frozenset | None = None,
            overrides: Overrides | None = None, sla: dict[str, float] | None = None) -> Analysis:
    """Compute every metric of the window from the tables. ``attribution_hours``: how long after a
    deployment an incident is attributed to it (change failure rate). ``present``: the event kinds
    the whole data holds (default: those of ``tables``); a metric whose inputs it lacks is n/a
    and the summary's ``missing`` names the absent kinds. ``overrides``: incidents pinned to a
    deployment or marked not caused by one (``metrics.attribution``). ``sla``: service -> recovery
    target in minutes (``"*"`` for the others; default ``METRICS_SLA_MINUTES``, see ``defaults.sla_targets``)."""
    a = assumptions or Assumptions()
    a.check()
    attribution_hours = defaults.amount("attribution hours", attribution_hours)
    present = kinds_present(tables) if present is None else present
    if overrides:
        tables = apply_overrides(tables, overrides)
    tables = clip(tables, window.start_ns, window.end_ns, int(attribution_hours * NS_PER_HOUR))
    frequency = dora.deployment_frequency(tables, window)
    lead = dora.lead_time(tables, window)
    incidents = dora.attribute_incidents(tables, window, attribution_hours)
    inside = dora.in_window(tables, window)
    cfr = dora.change_failure_rate(inside, incidents)
    recovery = dora.recovery_time(incidents)
    rework = dora.rework(inside, incidents)
    tiers = {"deployment_frequency": frequency["tier"], "lead_time": lead["tier"],
             "change_failure_rate": cfr["tier"], "recovery_time": recovery["tier"]}
    tiers["overall"] = overall_tier(tiers)

    activity = space.activity(tables, window)
    collab = space.collaboration(lead["prs"], window)
    satisfaction = space.satisfaction(tables, window, incidents["start"].to_numpy())
    efficiency = space.efficiency(lead["prs"], window)
    performance = space.performance(recovery["incidents"], frequency["deployments"])

    prod = dora.production(tables)
    successful_ts = prod["ts"].to_numpy()[prod["success"].to_numpy()]
    value_cost = pvm.vcr(frequency["successful_deployments"], tables, window, a)
    adoption = pvm.iar(successful_ts, window)
    toil_ratio = pvm.dtr(tables, window, a)
    impact = pvm.impact(frequency["successful_deployments"], value_cost["platform_hours"], tables, window)
    sla, sla_problem = (sla, None) if sla is not None else extensions.sla_setting()
    compliance = extensions.sla_compliance(incidents, tables.services, window.end_ns, sla) if sla else {}

    summary = {
        "window": {"start": window.start.isoformat().replace("+00:00", "Z"),
                   "end": window.end.isoformat().replace("+00:00", "Z"), "days": window.days},
        "dora": {
            "deployments": frequency["deployments"], "successful_deployments": frequency["successful_deployments"],
            "deploys_per_day": frequency["deploys_per_day"], "lead_time_hours_median": lead["lead_time_hours_median"],
            "lead_time_hours_p90": lead["lead_time_hours_p90"], "change_failure_rate_pct": cfr["change_failure_rate_pct"],
            "incidents": recovery["incidents"], "open_incidents": recovery["open_incidents"],
            "unattributed_incidents": recovery["unattributed_incidents"], "mttr_minutes_mean": recovery["mttr_minutes_mean"],
            "mttr_minutes_median": recovery["mttr_minutes_median"], "mttr_minutes_p95": recovery["mttr_minutes_p95"],
            "rework_rate_pct": rework["rework_rate_pct"], "tiers": tiers,
        },
        "space": {
            "prs_per_day": activity["prs_per_day"], "reviews_per_day": activity["reviews_per_day"],
            "review_turnaround_hours_mean": collab["review_turnaround_hours_mean"],
            "satisfaction_mean": satisfaction["satisfaction_mean"], "satisfaction_responses": satisfaction["satisfaction_responses"],
            "merge_time_hours_mean": efficiency["merge_time_hours_mean"], "incident_rate_pct": performance["incident_rate_pct"],
        },
        "pvm": {
            "vcr_pct": value_cost["vcr_pct"], "total_value_usd": value_cost["total_value_usd"], "total_cost_usd": value_cost["total_cost_usd"],
            "platform_hours": value_cost["platform_hours"], "iar_pct": adoption["iar_pct"],
            "first_period_deploys": adoption["first_period_deploys"], "second_period_deploys": adoption["second_period_deploys"],
            "dtr_pct": toil_ratio["dtr_pct"], "toil_minutes": toil_ratio["toil_minutes"], "feature_minutes": toil_ratio["feature_minutes"],
            "onboarding_weeks_mean": impact["onboarding_weeks_mean"],
        },
    }
    summary = _cleaned(summary)
    _apply_missing(summary, present)
    details = _cleaned({
        "tier_thresholds": {"deployment_frequency": frequency["tier_threshold"], "lead_time": lead["tier_threshold"],
                            "change_failure_rate": cfr["tier_threshold"], "recovery_time": recovery["tier_threshold"]},
        "failed_deployments": cfr["failed_deployments"], "rework_deployments": rework["rework_deployments"],
        "lead_time_hours_p75": lead["lead_time_hours_p75"], "merged_prs": lead["merged_prs"],
        "undeployed_prs": lead["undeployed_prs"],
        "review_wait_hours_median": lead["review_wait_hours_median"],
        "review_to_merge_hours_median": lead["review_to_merge_hours_median"],
        "merge_to_deploy_hours_median": lead["merge_to_deploy_hours_median"],
        "prs_created": activity["prs_created"], "reviews": activity["reviews"], "merges": activity["merges"],
        "satisfaction_trend_per_30_days": satisfaction["trend_per_30_days"],
        "satisfaction_trend_start": satisfaction["trend_start"],
        "satisfaction_after_incident_mean": satisfaction["after_incident_mean"],
        "satisfaction_other_mean": satisfaction["other_mean"],
        "vcr_band": value_cost["vcr_band"], "iar_band": adoption["iar_band"], "dtr_band": toil_ratio["dtr_band"],
        "iar_half_days": adoption["half_days"], "capacity_minutes": toil_ratio["capacity_minutes"],
        "deploys_per_platform_hour": impact["deploys_per_platform_hour"], "onboardings": impact["onboardings"],
        "failed_deployment_recovery": {k: recovery["failed_deployment_" + k] for k in (
            "incidents", "recoveries", "recovery_minutes_mean", "recovery_minutes_median", "recovery_minutes_p95")},
        # the extension patterns (docs/metrics.md)
        "deploys_per_developer": extensions.deploys_per_developer(frequency["successful_deployments"], a.team_size),
        "sla_compliance_pct": compliance.get("sla_compliance_pct"), "sla_met": compliance.get("sla_met", 0),
        "sla_judged": compliance.get("sla_judged", 0), "sla_open_breaches": compliance.get("sla_open_breaches", 0),
        "sla_targets": sla or {}, "sla_problem": sla_problem,
        "on_call_hours": toil_ratio["on_call_hours"],
        "on_call_hours_per_developer_week": toil_ratio["on_call_hours_per_developer_week"],
        "on_call_share_of_toil_pct": toil_ratio["on_call_share_of_toil_pct"],
        "on_call_dtr_points": toil_ratio["on_call_dtr_points"], "infra_cost_usd": value_cost["infra_cost_usd"],
    })
    s_dora = summary["dora"]
    fdrt = details["failed_deployment_recovery"]["recovery_minutes_median"]
    if s_dora["mttr_minutes_median"] is None:          # no incident data at all: n/a, not a perfect score
        fdrt = details["failed_deployment_recovery"]["recovery_minutes_median"] = None
    details["quick_check"] = _cleaned(quick_check(s_dora["lead_time_hours_median"], s_dora["deploys_per_day"], fdrt,
                                                  s_dora["change_failure_rate_pct"], s_dora["rework_rate_pct"]))
    for metric in ("vcr", "iar", "dtr"):                  # a metric n/a for want of its source has no band
        if summary["pvm"][f"{metric}_pct"] is None:
            details[f"{metric}_band"] = None

    inside_ts = inside["ts"].to_numpy()
    daily = pd.DataFrame({
        "date": window.dates(), "deployments": frequency["daily_deployments"], "successful_deployments": frequency["daily_successful"],
        "failed_deployments": daily_counts(inside_ts[cfr["failed"]], window).astype(int),
        "rework_deployments": daily_counts(inside_ts[rework["rework"]], window).astype(int),
        "incidents": dora.daily_incidents(incidents, window),
        "prs_created": activity["daily_prs_created"], "reviews": activity["daily_reviews"], "merges": activity["daily_merges"],
        "platform_hours": _daily_sum(tables.platform, "hours", window),
        "incident_response_minutes": _daily_sum(tables.response, "minutes", window),
        "toil_minutes": _daily_sum(tables.toil, "minutes", window),
        "on_call_hours": _daily_sum(tables.on_call, "hours", window),
        "infra_cost_usd": _daily_sum(tables.infra, "usd", window),
    })
    # the three weekly tables cover the same weeks, in the same order
    weekly = pd.concat([collab["weekly"], satisfaction["weekly"].drop(columns="week"), efficiency["weekly"].drop(columns="week")], axis=1)
    weekly_delivery = _weekly_delivery(daily)

    rows = {"tables": tables, "incidents": incidents, "prs": lead["prs"],
            "deployments": inside,
            "failed": cfr["failed"], "caused": cfr["caused_incident"], "rework": rework["rework"]}
    return Analysis(window, a, summary, details, daily, weekly, weekly_delivery, adoption["periods"], attribution_hours,
                    present, rows)


def _weekly_delivery(daily: pd.DataFrame) -> pd.DataFrame:
    """Per ISO week with days in the window (``week`` Monday, ``days`` in the window): deployments,
    successful and failed ones, incidents started, platform hours, and the week's change failure
    rate (failed / deployments x 100) and incident rate (incidents / deployments x 100); rates
    are NaN in a week without deployments."""
    w = weekly_sums(daily, ["deployments", "successful_deployments", "failed_deployments", "incidents", "platform_hours"])
    w["change_failure_rate_pct"] = rate_pct(w["failed_deployments"], w["deployments"])
    w["incident_rate_pct"] = rate_pct(w["incidents"], w["deployments"])
    return w


def _daily_sum(table: pd.DataFrame, column: str, window: Window) -> np.ndarray:
    return daily_counts(table["ts"].to_numpy(), window, table[column].to_numpy())


def _cleaned(value):
    if isinstance(value, dict):
        return {k: _cleaned(v) for k, v in value.items()}
    if isinstance(value, str) or value is None:
        return value
    return clean(value)
