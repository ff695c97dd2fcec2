"""DORA metrics (METRICS.md section 3): deployment frequency, lead time for changes, change
failure rate, failed deployment recovery time and rework rate (their tiers are placed by the
registry: ``metrics.analysis.metric_values``)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..attribution import NOT_CAUSED, PINNED
from ..defaults import ATTRIBUTION_HOURS
from ..schema import NS_PER_HOUR, NS_PER_MINUTE
from ..series import TimeIndex, daily_counts, mean, median, pct, quantile
from ..tables import NA, SIZE_COLUMNS, EventTables, lookup
from ..window import Window

def production(tables: EventTables, before_ns: int | None = None) -> pd.DataFrame:
    """Deployments: deploy events with environment production (started before ``before_ns``)."""
    d = tables.deploys
    keep = d["production"].to_numpy()
    if before_ns is not None:
        keep = keep & (d["ts"].to_numpy() < before_ns)
    return d if keep.all() else d[keep]


def successful_production_times(tables: EventTables) -> np.ndarray:
    """The times of the successful production deployments of all of the tables (IAR's input)."""
    prod = production(tables)
    return prod["ts"].to_numpy()[prod["success"].to_numpy()]


def in_window(tables: EventTables, window: Window) -> pd.DataFrame:
    """The production deployments of the window (the denominator of CFR, rework and incident rate)."""
    prod = production(tables)
    return prod[window.contains(prod["ts"].to_numpy())]


def deployment_frequency(tables: EventTables, window: Window) -> dict:
    """Successful production deployments per day (daily series) and their average over the window."""
    prod = production(tables)
    ts = prod["ts"].to_numpy()
    ok = prod["success"].to_numpy()
    successful = daily_counts(ts[ok], window).astype(int)
    all_deploys = daily_counts(ts, window).astype(int)
    rate = successful.sum() / window.days
    return {"deployments": int(all_deploys.sum()), "successful_deployments": int(successful.sum()),
            "deploys_per_day": float(rate),
            "daily_deployments": all_deploys, "daily_successful": successful}


def _successful_index(prod: pd.DataFrame, from_ns: int) -> tuple[pd.DataFrame, TimeIndex]:
    """Successful deployments from ``from_ns`` on (all a search can reach), indexed by service."""
    keep = prod["success"].to_numpy() & (prod["ts"].to_numpy() >= from_ns)
    ok = prod if keep.all() else prod[keep]
    return ok, TimeIndex(ok["ts"].to_numpy(), ok["service"].to_numpy())


def successful_index(tables: EventTables, window: Window, attribution_hours: float = ATTRIBUTION_HOURS) -> tuple:
    """The successful production deployments a window's searches can reach (from ``attribution_hours``
    before its start to its end), indexed by service: what ``lead_time`` (the first at or after a
    merge) and ``attribute_incidents`` (the last before an incident) share, sorted once."""
    return _successful_index(production(tables, window.end_ns), window.start_ns - int(attribution_hours * NS_PER_HOUR))


def lead_time(tables: EventTables, window: Window, successful: tuple | None = None, per_pr: bool = True) -> dict:
    """Lead time for changes: hours from ``pr_created`` to the deployment that shipped the PR.

    PRs of the window (by creation). The shipping deployment is the PR's explicit ``deploy_id``
    when given, otherwise the first successful production deployment of the same service at or
    after the merge (before the window's end). Merged PRs without one are counted, not timed.
    ``per_pr`` False: without the per-PR table (``prs``), the p75 and p90 (None),
    the same counts and median otherwise (the Teams comparison reads no more).
    """
    prs = tables.prs
    prs = prs[window.contains(prs["created"].to_numpy())].reset_index(drop=True)
    prod = production(tables, window.end_ns)
    merged = prs["merged"].to_numpy() != NA
    explicit = merged & (prs["deploy_key"].to_numpy() != NA)
    deploy_ts = np.full(len(prs), NA, dtype=np.int64)
    deploy_key = np.full(len(prs), NA, dtype=np.int64)
    if explicit.any():
        links = prs["deploy_key"].to_numpy()[explicit]
        deploy_ts[explicit] = lookup(prod["ts"], prod["key"], links)
        deploy_key[explicit] = np.where(deploy_ts[explicit] != NA, links, NA)
    implicit = merged & ~explicit
    if implicit.any():
        # a PR of the window merges after its start: the deployments before it (``successful`` holds some) never match
        ok, index = successful or _successful_index(prod, window.start_ns)
        row = index.first_at_or_after(prs["merged"].to_numpy()[implicit], prs["service"].to_numpy()[implicit])
        found = row >= 0
        deploy_ts[np.flatnonzero(implicit)[found]] = ok["ts"].to_numpy()[row[found]]
        deploy_key[np.flatnonzero(implicit)[found]] = ok["key"].to_numpy()[row[found]]
    created = prs["created"].to_numpy()
    merged_ts = prs["merged"].to_numpy()
    deployed = (deploy_ts != NA) & (deploy_ts >= created)
    hours = np.where(deployed, (deploy_ts - created) / NS_PER_HOUR, np.nan)
    timed = hours[deployed]
    waiting = merged & ~deployed
    waited = (window.end_ns - merged_ts[waiting]) / NS_PER_HOUR
    counts = {
        "merged_prs": int(merged.sum()),
        # squash merges read from git history: created at the merge, so timed from the merge
        "timed_from_merge": int((deployed & merged & (created == merged_ts)).sum()),
        "merged_prs_not_deployed": int(waiting.sum()),
        # how long they have waited: hours from each one's merge to the window's end
        "waiting_hours_median": median(waited), "waiting_hours_max": float(waited.max()) if len(waited) else None,
        "lead_time_hours_median": median(timed),
    }
    if not per_pr:
        return {**counts, "prs": None, "lead_time_hours_p75": None, "lead_time_hours_p90": None}

    first_review = prs["first_review"].to_numpy()
    reviewed = first_review != NA
    first_commit = prs["first_commit"].to_numpy()
    # git history dates a PR by its first commit (created = first commit): no coding stage to time
    committed = (first_commit != NA) & ~prs["git"].to_numpy()

    def span(a, b, mask):
        return np.where(mask, (b - a) / NS_PER_HOUR, np.nan)

    table = pd.DataFrame({
        "pr_key": prs["key"].to_numpy(), "service": prs["service"].to_numpy(), "created": created,
        "first_review": first_review, "merged": merged_ts, "deployed": np.where(deployed, deploy_ts, NA),
        "deploy_key": np.where(deployed, deploy_key, NA),
        "lead_time_hours": hours,
        "review_wait_hours": span(created, first_review, reviewed),
        "review_to_merge_hours": span(first_review, merged_ts, reviewed & merged),
        "merge_to_deploy_hours": span(merged_ts, deploy_ts, merged & deployed),
        "merge_time_hours": span(created, merged_ts, merged),
        "author": prs["author"].to_numpy(), "first_commit": first_commit,
        # the coding stage: from the first commit to the PR's opening (0 when it was opened first; NaN for
        # PRs read from git history)
        "coding_hours": span(np.minimum(first_commit, created), created, committed),
        **{column: prs[column].to_numpy() for column in SIZE_COLUMNS},
        "size_lines": prs["lines_added"].to_numpy() + prs["lines_removed"].to_numpy(),
    })
    return {
        "prs": table, **counts, "lead_time_hours_p75": quantile(timed, 0.75),
        "lead_time_hours_p90": quantile(timed, 0.90),
    }


def incidents_in_window(tables: EventTables, window: Window) -> pd.DataFrame:
    inc = tables.incidents
    return inc[window.contains(inc["start"].to_numpy())].reset_index(drop=True)


def attribute_incidents(tables: EventTables, window: Window, attribution_hours: float = ATTRIBUTION_HOURS,
                        successful: tuple | None = None) -> pd.DataFrame:
    """The incidents of the window with the deployment each is attributed to, and how.

    ``attribution``: "pinned" or "not caused" when an overrides file says so (``metrics.attribution``;
    "pinned" to a deployment not in the data leaves it unattributed, as "pinned, not found");
    else "explicit", the incident's own ``deploy_id`` (a link to a deployment not in the data
    leaves it unattributed); else "inferred", the latest successful production deployment of the
    same service that started before the incident, at most ``attribution_hours`` earlier; else
    "unattributed".
    """
    inc = incidents_in_window(tables, window)
    prod = production(tables, window.end_ns)
    link = inc["deploy_key"].to_numpy()
    override = inc["override"].to_numpy() if "override" in inc else np.zeros(len(inc), dtype=np.int8)
    pinned, not_caused = override == PINNED, override == NOT_CAUSED
    explicit = (link != NA) | pinned
    deploy_key = np.full(len(inc), NA, dtype=np.int64)
    how = np.full(len(inc), "unattributed", dtype=object)
    if explicit.any():
        known = np.isin(link[explicit], prod["key"].to_numpy())
        deploy_key[explicit] = np.where(known, link[explicit], NA)
        how[np.flatnonzero(explicit)[known]] = "explicit"
    how[pinned] = np.where(deploy_key[pinned] != NA, "pinned", "pinned, not found")
    how[not_caused] = "not caused"
    infer = ~explicit & ~not_caused
    if infer.any():
        tolerance = int(attribution_hours * NS_PER_HOUR)
        ok, index = successful or _successful_index(prod, window.start_ns - tolerance)
        start = inc["start"].to_numpy()[infer]
        row = index.last_before(start, inc["service"].to_numpy()[infer])
        found = row >= 0
        found[found] = start[found] - ok["ts"].to_numpy()[row[found]] <= tolerance
        deploy_key[np.flatnonzero(infer)[found]] = ok["key"].to_numpy()[row[found]]
        how[np.flatnonzero(infer)[found]] = "inferred"
    resolved = inc["resolved"].to_numpy()
    is_resolved = resolved != NA
    out = inc.assign(deploy_key=deploy_key, attribution=how)
    out["recovery_minutes"] = np.where(is_resolved, (resolved - inc["start"].to_numpy()) / NS_PER_MINUTE, np.nan)
    return out


def attribution_reasons(attribution, attribution_hours: float) -> np.ndarray:
    """Why each incident counts against a deployment, or does not, in words (the drill-down's
    "reason" column): "explicit link", "same service within N hours", "pinned by override",
    or "none" with why."""
    words = {"explicit": "explicit link (deploy_id)", "inferred": f"same service within {attribution_hours:g} hours",
             "pinned": "pinned by override", "pinned, not found": "none: the pinned deployment is not in the data",
             "not caused": "none: override, not caused by a deployment", "unattributed": "none"}
    return pd.Series(np.asarray(attribution, dtype=object)).map(words).fillna("none").to_numpy(dtype=object)


def change_failure_rate(inside: pd.DataFrame, incidents: pd.DataFrame) -> dict:
    """``failed deployments / deployments x 100`` over the production deployments of the window
    (``inside``, from ``in_window``).

    A deployment failed if its status is failed or an incident is attributed to it (counted once).
    """
    caused = np.isin(inside["key"].to_numpy(), incidents["deploy_key"].to_numpy())
    failed = ~inside["success"].to_numpy() | caused
    return {"failed": failed, "caused_incident": caused, "failed_deployments": int(failed.sum()),
            "change_failure_rate_pct": pct(failed.sum(), len(inside))}


def recovery_time(incidents: pd.DataFrame) -> dict:
    """Recovery time: minutes from incident start to resolution, per resolved incident (all
    incidents); beside it the failed deployment recovery time, over the resolved incidents
    attributed to a deployment only (DORA's current definition)."""
    minutes = incidents["recovery_minutes"].dropna().to_numpy()
    attributed = incidents["deploy_key"].to_numpy() != NA
    failed = incidents["recovery_minutes"].to_numpy()[attributed]
    failed = failed[~np.isnan(failed)]
    return {"incidents": len(incidents), "open_incidents": int(incidents["recovery_minutes"].isna().sum()),
            "unattributed_incidents": int((~attributed).sum()),
            "mttr_minutes_mean": mean(minutes), "mttr_minutes_median": median(minutes),
            "mttr_minutes_p95": quantile(minutes, 0.95),
            "failed_deployment_incidents": int(attributed.sum()), "failed_deployment_recoveries": len(failed),
            "failed_deployment_recovery_minutes_mean": mean(failed),
            "failed_deployment_recovery_minutes_median": median(failed),
            "failed_deployment_recovery_minutes_p95": quantile(failed, 0.95)}


def rework(inside: pd.DataFrame, inc: pd.DataFrame) -> dict:
    """``rework deployments / deployments x 100`` over the production deployments of the window
    (``inside``): hotfixes, rollbacks, and deployments of a service while one of its incidents of
    the window (``inc``) was open."""
    index = TimeIndex(inside["ts"].to_numpy(), inside["service"].to_numpy())
    during_incident = index.inside_any(inc["start"].to_numpy(), inc["resolved"].to_numpy(), inc["service"].to_numpy())
    flagged = (inside["change_type"].to_numpy() > 0) | during_incident
    return {"rework": flagged, "rework_deployments": int(flagged.sum()),
            "rework_rate_pct": pct(flagged.sum(), len(inside))}


def daily_incidents(incidents: pd.DataFrame, window: Window) -> np.ndarray:
    return daily_counts(incidents["start"].to_numpy(), window).astype(int)

