"""An independent oracle for the dashboard's cards: every headline number of METRICS.md sections 3-5
computed here with plain pandas, straight from the definitions, over a frame of events. It calls no
computation of ``metrics`` (the events it reads may come from the product's generator or from a
file: they are the input, not the answer); test_oracle.py checks it against numbers worked out by
hand, and the browser tests compare the page with it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

HOUR, MINUTE, DAY = pd.Timedelta(hours=1), pd.Timedelta(minutes=1), pd.Timedelta(days=1)
TIER_NAMES = ("elite", "high", "medium", "low")


def window_ending_today(days: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[today 00:00 UTC - days, today 00:00 UTC): the synthetic view's window (METRICS.md section 6)."""
    end = pd.Timestamp.now(tz="UTC").floor("D")
    return end - days * DAY, end


def read_events(path) -> pd.DataFrame:
    """An events CSV (METRICS.md section 1's columns) as a frame with UTC times and the defaults filled in."""
    return tidy(pd.read_csv(path, dtype=str, keep_default_na=False))


def tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Events with UTC ``ts``, text ids and the deploy defaults (success, feature, production)."""
    f = frame.copy()
    f["ts"] = pd.to_datetime(f["ts"], utc=True)
    for column in ("deploy_id", "incident_id", "pr_id", "status", "change_type", "environment", "service"):
        f[column] = f[column].fillna("").astype(str) if column in f else ""
    f["metric_value"] = pd.to_numeric(f["metric_value"], errors="coerce") if "metric_value" in f else np.nan
    f.loc[f["status"] == "", "status"] = "success"
    f.loc[f["change_type"] == "", "change_type"] = "feature"
    f.loc[f["environment"] == "", "environment"] = "production"
    return f


def tier(value, bounds, higher_is_better: bool, inclusive: bool):
    """The DORA tier of ``value`` against (elite, high, medium) bounds."""
    for name, bound in zip(TIER_NAMES, bounds):
        if higher_is_better and value >= bound:
            return name
        if not higher_is_better and (value <= bound if inclusive else value < bound):
            return name
    return "low"


def summary(events: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, hourly_rate=150.0, value_per_deploy=200.0,
            developers=8, only: tuple = ()) -> dict:
    """The cards' numbers for the window [start, end), by METRICS.md (None where a number is n/a).

    Events after the window are ignored (section 2: only a deployment before the window may still be
    the one an incident or a PR inside it is linked to). ``only``: the service filter, which keeps the
    deliveries (deployments, incidents, PRs) of those services and every organisation-level event."""
    e = events[events["ts"] < end]
    if only:
        delivery = e["kind"].str.startswith(("deploy", "incident_start", "incident_resolved", "pr_"))
        e = e[~delivery | e["service"].isin(only)]
    days = (end - start) / DAY
    inside = (e["ts"] >= start) & (e["ts"] < end)
    kind = e["kind"]
    prod = e[(kind == "deploy") & (e["environment"] == "production")]
    good_prod = prod[prod["status"] == "success"]
    deploys = prod[(prod["ts"] >= start) & (prod["ts"] < end)]
    good = deploys[deploys["status"] == "success"]

    # incidents: start and resolution by id; those of the window by their start
    starts = e[kind == "incident_start"].groupby("incident_id").agg(ts=("ts", "min"), service=("service", "first"),
                                                                    deploy_id=("deploy_id", "first"))
    resolved = e[kind == "incident_resolved"].groupby("incident_id")["ts"].min()
    incidents = starts.join(resolved.rename("resolved"))
    window_incidents = incidents[(incidents["ts"] >= start) & (incidents["ts"] < end)]

    # CFR: a deployment of the window failed by status or by an incident attributed to it
    failed = set(deploys.index[deploys["status"] == "failed"])
    for _, inc in window_incidents.iterrows():
        if inc["deploy_id"]:
            linked = prod[prod["deploy_id"] == inc["deploy_id"]]
        else:
            before = good_prod[(good_prod["service"] == inc["service"]) & (good_prod["ts"] < inc["ts"])
                               & (inc["ts"] - good_prod["ts"] <= 24 * HOUR)]
            linked = before[before["ts"] == before["ts"].max()] if len(before) else before
        failed |= set(linked.index) & set(deploys.index)
    cfr = len(failed) / len(deploys) * 100 if len(deploys) else None

    # recovery
    minutes = ((window_incidents["resolved"] - window_incidents["ts"]) / MINUTE).dropna()
    mttr = float(minutes.median()) if len(minutes) else None

    # rework: a hotfix or rollback, or a deployment of a service while one of its incidents is open
    rework = 0
    for _, d in deploys.iterrows():
        same = incidents[incidents["service"] == d["service"]]
        open_then = ((same["ts"] <= d["ts"]) & (same["resolved"].isna() | (same["resolved"] > d["ts"]))).any()
        rework += d["change_type"] in ("hotfix", "rollback") or bool(open_then)
    rework_pct = rework / len(deploys) * 100 if len(deploys) else None

    # lead time: PRs created in the window and merged, to the deployment that shipped them
    created = e[kind == "pr_created"].groupby("pr_id")["ts"].min()
    merged = e[kind == "pr_merged"].groupby("pr_id").agg(ts=("ts", "min"), service=("service", "first"),
                                                        deploy_id=("deploy_id", "first"))
    lead = []
    for pr, m in merged.iterrows():
        if pr not in created.index or not (start <= created[pr] < end):
            continue
        if m["deploy_id"]:
            shipped = prod[prod["deploy_id"] == m["deploy_id"]]["ts"]
        else:
            shipped = good_prod[(good_prod["service"] == m["service"]) & (good_prod["ts"] >= m["ts"])]["ts"]
        if len(shipped):
            lead.append((shipped.min() - created[pr]) / HOUR)
    lead_median = float(np.median(lead)) if lead else None

    rate = len(good) / days
    tiers = {
        "deployment_frequency": tier(rate, (1.0, 1 / 7, 1 / 30), True, True) if len(deploys) >= 5 or days >= 30 else None,
        "lead_time": tier(lead_median, (24.0, 7 * 24.0, 30 * 24.0), False, False) if len(lead) >= 5 else None,
        "change_failure_rate": tier(cfr, (5.0, 10.0, 15.0), False, True) if len(deploys) >= 5 else None,
        "recovery_time": tier(mttr, (60.0, 1440.0, 7 * 1440.0), False, False) if len(minutes) >= 5 else None,
    }
    known = [t for t in tiers.values() if t is not None]
    overall = max(known, key=TIER_NAMES.index) if len(known) == 4 else None

    # SPACE
    window_created = created[(created >= start) & (created < end)]
    surveys = e[inside & (kind == "satisfaction_survey")]["metric_value"]

    # PVM
    def total(k):
        return float(e[inside & (kind == k)]["metric_value"].sum())
    platform_hours, response, toil = total("platform_investment_hour"), total("incident_response"), total("toil")
    value = len(good) * value_per_deploy
    cost = (platform_hours + response / 60 + toil / 60) * hourly_rate
    half = int(days) // 2 * DAY
    first = int(((good["ts"] >= start) & (good["ts"] < start + half)).sum())
    second = int(((good["ts"] >= end - half) & (good["ts"] < end)).sum())
    working = int((pd.date_range(start, end - DAY, freq="D").day_of_week < 5).sum())
    capacity = developers * 8 * working * 60
    toil_minutes = response + toil
    return {
        "deploys_per_day": rate, "lead_time_hours_median": lead_median, "change_failure_rate_pct": cfr,
        "mttr_minutes_median": mttr, "rework_rate_pct": rework_pct, "tiers": {**tiers, "overall": overall},
        "prs_per_day": len(window_created) / days,
        "satisfaction_mean": float(surveys.mean()) if len(surveys) else None,
        "incident_rate_pct": len(window_incidents) / len(deploys) * 100 if len(deploys) else None,
        "vcr_pct": value / cost * 100 if cost else None,
        "iar_pct": (second - first) / first * 100 if first else None,
        "dtr_pct": toil_minutes / (capacity - toil_minutes) * 100 if capacity > toil_minutes else None,
        "deployments_daily": [int(((deploys["ts"] >= d) & (deploys["ts"] < d + DAY)).sum())
                              for d in pd.date_range(start, end - DAY, freq="D")],
    }


def cards(s: dict) -> dict:
    """Card id -> the text the card shows (the cards' formats, as a person reads them)."""
    def f(value, fmt, unit):
        return "n/a" if value is None else fmt.format(value) + unit

    return {
        "kpi-deploys-value": f(s["deploys_per_day"], "{:.2f}", " /day"),
        "kpi-lead-time-value": f(s["lead_time_hours_median"], "{:.1f}", " h"),
        "kpi-cfr-value": f(s["change_failure_rate_pct"], "{:.1f}", "%"),
        "kpi-mttr-value": f(s["mttr_minutes_median"], "{:.1f}", " min"),
        "kpi-rework-value": f(s["rework_rate_pct"], "{:.1f}", "%"),
        "kpi-overall-value": (s["tiers"]["overall"] or "n/a").upper(),
        "kpi-prs-value": f(s["prs_per_day"], "{:.2f}", " /day"),
        "kpi-satisfaction-value": f(s["satisfaction_mean"], "{:.2f}", " /5"),
        "kpi-incident-rate-value": f(s["incident_rate_pct"], "{:.2f}", "%"),
        "kpi-vcr-value": f(s["vcr_pct"], "{:,.0f}", "%"),
        "kpi-iar-value": f(s["iar_pct"], "{:+.1f}", "%"),
        "kpi-dtr-value": f(s["dtr_pct"], "{:.1f}", "%"),
    }
