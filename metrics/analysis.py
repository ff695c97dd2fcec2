"""One pass over the tables of a window: every metric of METRICS.md sections 3-5, as the summary
of section 7 (exact JSON keys), details (tier thresholds, splits, trends) and tables (daily,
weekly, per incident, per PR, per deployment, per IAR period)."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from types import SimpleNamespace

import numpy as np
import pandas as pd

from . import defaults
from .attribution import Overrides, apply_overrides
from .benchmarks import DORA_GROUPS, Baseline, against, baseline, overall_tier, quick_check
from .builtin import BY_KEY, METRICS, Context
from .builtin.context import cached_property as kept
from .builtin.stages import GIT_CODING, NONE_IN_WINDOW
from .compute import ai, dora, trends
from .compute.size import deploy_batches
from .compute.stages import STAGES, median_key, stage_hours, stage_periods
from .compute.pvm import Assumptions
from .links import pr_urls
from .registry.metric import judged, missing_kinds, tiered
from .schema import CHANGE_TYPES, NS_PER_DAY, NS_PER_HOUR, PR_LINES_ADDED, PR_LINES_REMOVED, PR_SIZE_KINDS
from .series import clean, daily_counts, period_bounds, rate_pct, weekly_sums
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
    present: frozenset = frozenset()       # the event kinds the whole data holds (see ``MetricSpec.needs``)
    large_pr_lines: int = defaults.LARGE_PR_LINES     # a PR with more changed lines is large
    _rows: dict = field(repr=False, default_factory=dict)

    @cached_property
    def trends(self) -> dict | None:
        """For a window of ``defaults.MONTHLY_MIN_DAYS`` days or more (analysed ``with_trends``), the
        DORA keys and stage medians per calendar month (``months``) and the same months a year
        earlier (``previous_year``, None where the data has none): ``monthly_trends``, computed on
        first access (a summary does not need them); None otherwise."""
        source = self._rows.get("trends from")
        if source is None:
            return None
        r = self._rows
        return monthly_trends(self.window, r["prs"], r["deployments"], r["incidents"], r["caused"], r["rework"],
                              self.present, *source)

    @kept            # no lock held across analyses (``builtin.context.cached_property``): its bootstrap takes a while
    def ai_comparison(self) -> dict:
        """AI-assisted against other merged PRs and deployments, adoption per week and DORA's AI
        capabilities (``compute.ai.comparison``; docs/metrics.md "AI-assisted delivery: the
        comparison"), computed on first access (a summary does not need it)."""
        r = self._rows
        return ai.comparison(r["tables"], self.window, r["prs"], r["deployments"], r["failed"], r["rework"])

    @kept
    def ai_counts(self) -> dict:
        """The window's merged PRs AI-assisted, other and unknown, and the AI-assisted share of those
        with a verdict (``compute.ai.merged_counts``): the comparison's counts without its bootstrap."""
        prs = self._rows["prs"]
        return ai.merged_counts(prs, ai.verdicts(self._rows["tables"], prs))

    def stage_periods(self) -> pd.DataFrame:
        """The cycle-time stages' medians per ISO week (windows shorter than ``defaults.MONTHLY_MIN_DAYS``
        days) or calendar month (``compute.stages.stage_periods``; ``bucket`` says which)."""
        return stage_periods(self._rows["prs"], period_bounds(self.window, self.stage_bucket))

    @property
    def stage_bucket(self) -> str:
        """The period of ``stage_periods``: "week" or "month"."""
        return defaults.stage_bucket(self.window.days)

    def stages_not_available(self) -> dict:
        """Stage -> why its median is n/a in this window (nothing for a stage with a value): the
        source the data lacks ("the source gives no first commit"), PRs read from git history (no
        coding stage), or no PR of the window with the stage."""
        reasons = {}
        for stage in STAGES:
            spec = BY_KEY[median_key(stage)]
            if spec.value(self) is None:
                git = stage == "coding" and GIT_PRS in self.present
                reasons[stage] = spec.missing(self.present) or (GIT_CODING if git else NONE_IN_WINDOW[stage])
        return reasons

    @property
    def pr_times_from_git(self) -> bool:
        """Whether the data's PRs (some or all) came from git history: their "created" is the first
        commit's author time, not when the PR was opened (``schema.GIT_HISTORY``)."""
        return GIT_PRS in self.present

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

    def prs_per_deployment(self) -> pd.DataFrame:
        """Production deployments of the window that shipped PRs created in the window: ts (ns),
        service code and ``prs``, how many of the window's PRs (lead time's per-PR table) it shipped."""
        d = self._rows["deployments"]
        prs = deploy_batches(self._rows["prs"], d)["prs"].to_numpy()    # the batch sizes' own count
        hit = prs > 0
        return pd.DataFrame({"ts": d["ts"].to_numpy()[hit], "service": d["service"].to_numpy()[hit], "prs": prs[hit]})

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

    def pr_rows(self, slowest: int | None = None) -> pd.DataFrame:
        """The PRs behind lead time: the window's deployed PRs, slowest first (ties: earliest created
        first), or only the ``slowest`` (ids named for those alone). Per PR: its id, its address
        (``links.pr_url``; "" when none is known), service, author, size (lines added, removed, their
        sum, files changed; NaN when unknown), each stage's hours (coding, pickup, review, deploy;
        NaN when the data has no time for it), lead time and the deployment that shipped it."""
        p = self._rows["prs"]
        p = p[p["lead_time_hours"].notna().to_numpy()]
        order = np.lexsort((p["pr_key"].to_numpy(), p["created"].to_numpy(), -p["lead_time_hours"].to_numpy()))
        p = p.iloc[order[:slowest] if slowest is not None else order]
        t = self._rows["tables"]
        ids, services = t.pr_id(p["pr_key"]), t.service_name(p["service"])
        hours = stage_hours(p)              # each stage as the stages chart and summary count it
        return pd.DataFrame({
            "pr_id": ids, "url": pr_urls(services, ids), "service": services, "author": t.author_name(p["author"]),
            "lines_added": p["lines_added"].to_numpy(), "lines_removed": p["lines_removed"].to_numpy(),
            "size_lines": p["size_lines"].to_numpy(), "files_changed": p["files_changed"].to_numpy(),
            **{f"{stage}_hours": hours[stage] for stage in STAGES},
            "lead_time_hours": p["lead_time_hours"].to_numpy(), "deploy_id": t.deploy_id(p["deploy_key"]),
        })

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


# kinds that count when present and are never asked for: an extension's, a PR's first commit and its
# sizes (optional in every source's data: without them the coding stage and the sizes are n/a, said
# once in their metrics' reasons)
OPTIONAL_KINDS = ("on_call_hours", "pr_first_commit", PR_LINES_ADDED, PR_LINES_REMOVED)
GIT_PRS = "git pr"              # a marker in ``present``: PR times from git history (not an event kind)
# the event kinds ``present`` lists when the data holds any (beside the markers of ``present_of``), in
# the order of their tables in ``kinds_present``
PRESENT_KINDS = ("deploy", "incident_start", "pr_created", "pr_reviewed", "satisfaction_survey",
                 "platform_investment_hour", "incident_response", "toil", "onboarding_complete", "on_call_hours",
                 "infra_cost", "pr_first_commit", PR_LINES_ADDED, PR_LINES_REMOVED)


def kinds_present(tables: EventTables) -> frozenset:
    """The built-in event kinds the tables hold at all (whatever the window)."""
    measure = tables.sizes["measure"].to_numpy()
    held = {kind for kind, table in zip(PRESENT_KINDS, (
        tables.deploys, tables.incidents, tables.prs, tables.reviews, tables.surveys, tables.platform, tables.response,
        tables.toil, tables.onboarding, tables.on_call, tables.infra, tables.first_commits,
        np.flatnonzero(measure == PR_SIZE_KINDS.index(PR_LINES_ADDED)),
        np.flatnonzero(measure == PR_SIZE_KINDS.index(PR_LINES_REMOVED))), strict=True) if len(table)}
    return present_of(held, bool((~tables.deploys["success"].to_numpy()).any()),
                      bool((tables.deploys["change_type"].to_numpy() > 0).any()), tables.git_prs)


def present_of(kinds, failed_deploys: bool, rework_deploys: bool, git_prs: bool) -> frozenset:
    """``kinds_present`` of data holding events of ``kinds`` (other kinds are not listed), a
    deployment with status failed or not, one whose change type is a hotfix or a rollback or not,
    and PRs read from git history or not."""
    present = set(kinds) & set(PRESENT_KINDS)
    if failed_deploys:
        present.add("failed deploy")
    if rework_deploys:
        present.add("rework deploy")
    if git_prs:
        present.add(GIT_PRS)
    return frozenset(present)


def missing_sources(present: frozenset) -> list[str]:
    """The event kinds some built-in metric needs and the data has never contained, sorted."""
    return missing_kinds(METRICS, present, OPTIONAL_KINDS)


def window_tables(tables: EventTables, window: Window,
                  attribution_hours: float = defaults.ATTRIBUTION_HOURS) -> EventTables:
    """The part of ``tables`` the window's numbers use (``tables.clip``, deployments from
    ``attribution_hours`` before the window on); clipping it again changes nothing, and narrowing
    it to some services then clipping gives what clipping the narrowed tables gives."""
    return clip(tables, window.start_ns, window.end_ns, int(attribution_hours * NS_PER_HOUR))


def analyze(tables: EventTables, window: Window, assumptions: Assumptions | None = None,
            attribution_hours: float = defaults.ATTRIBUTION_HOURS, present: frozenset | None = None,
            overrides: Overrides | None = None, sla: dict[str, float] | None = None, with_trends: bool = True,
            large_pr_lines: int = defaults.LARGE_PR_LINES) -> Analysis:
    """Compute every metric of the window from the tables. ``attribution_hours``: how long after a
    deployment an incident is attributed to it (change failure rate). ``present``: the event kinds
    the whole data holds (default: those of ``tables``); a metric whose inputs it lacks is n/a
    and the summary's ``missing`` names the absent kinds. ``overrides``: incidents pinned to a
    deployment or marked not caused by one (``metrics.attribution``). ``sla``: service -> recovery
    target in minutes (``"*"`` for the others; default ``METRICS_SLA_MINUTES``, see ``defaults.sla_targets``).
    ``with_trends``: a window of ``defaults.MONTHLY_MIN_DAYS`` days or more also gets its monthly trends
    (``Analysis.trends``, ``monthly_trends``, computed when first read); False leaves them out (a previous
    period's analysis). ``large_pr_lines``: a merged PR with more changed lines is large (``large_pr_share_pct``)."""
    a = assumptions or Assumptions()
    a.check()
    attribution_hours = defaults.amount("attribution hours", attribution_hours)
    large_pr_lines = defaults.large_pr_lines(large_pr_lines)
    present = kinds_present(tables) if present is None else present
    if overrides:
        tables = apply_overrides(tables, overrides)
    whole = tables
    tables = window_tables(tables, window, attribution_hours)
    c = Context(tables, window, a, attribution_hours, sla, large_pr_lines=large_pr_lines)
    summary, details = metric_values(c, present)
    details["size_relation"] = _cleaned(c.size_relation)

    frequency, cfr, rework, activity, incidents, inside = c.frequency, c.cfr, c.rework, c.activity, c.incidents, c.inside
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
    weekly = pd.concat([c.collaboration["weekly"], c.satisfaction["weekly"].drop(columns="week"),
                        c.efficiency["weekly"].drop(columns="week")], axis=1)
    weekly_delivery = _weekly_delivery(daily)

    rows = {"tables": tables, "incidents": incidents, "prs": c.lead["prs"],
            "deployments": inside,
            "failed": cfr["failed"], "caused": cfr["caused_incident"], "rework": rework["rework"]}
    if with_trends and window.days >= defaults.MONTHLY_MIN_DAYS:
        # what the previous year's months are computed from, when the trends are read
        rows["trends from"] = (whole, a, attribution_hours, sla)
    return Analysis(window, a, summary, details, daily, weekly, weekly_delivery, c.adoption["periods"], attribution_hours,
                    present, large_pr_lines, rows)


def year_before(window: Window) -> Window:
    """The same calendar days a year earlier (29 February becomes 28 February)."""
    shift = pd.DateOffset(years=1)
    return Window.between(window.start - shift, window.end - shift)


def months_of(window: Window, prs: pd.DataFrame, inside: pd.DataFrame, incidents: pd.DataFrame, caused: np.ndarray,
              rework: np.ndarray, present: frozenset) -> pd.DataFrame:
    """The DORA keys and stage medians per calendar month of ``window`` (``trends.monthly``, from the
    window's per-PR lead-time table, production deployments with their caused and rework flags, and
    attributed incidents): ``start``, ``end``, ``days``, each of ``trends.TREND_KEYS`` (NaN where n/a;
    every month where the data, ``present``, lacks the metric's source) and the counts they stand on."""
    bounds = period_bounds(window, "month")
    months = pd.DataFrame({"start": pd.to_datetime(bounds[:-1], utc=True, unit="ns"),
                           "end": pd.to_datetime(bounds[1:], utc=True, unit="ns"),
                           **trends.monthly(bounds, prs, inside, incidents, caused, rework)})
    for key in trends.TREND_KEYS:
        if BY_KEY[key].missing(present):
            months[key] = np.nan
    return months


def monthly_trends(window: Window, prs: pd.DataFrame, inside: pd.DataFrame, incidents: pd.DataFrame,
                   caused: np.ndarray, rework: np.ndarray, present: frozenset, whole: EventTables, a: Assumptions,
                   attribution_hours: float, sla) -> dict:
    """The window's months (``months_of``) and, where the data (``whole``: the tables before the
    window was cut from them) holds events a year earlier, the same months then, computed the same
    way (``previous_year``: a row per month of ``months``, all NaN for a month before or after the
    data; None when the data holds nothing in that year)."""
    months = months_of(window, prs, inside, incidents, caused, rework, present)
    before = year_before(window)
    span = whole.time_span()
    if span is None or span[0] >= before.end_ns or span[1] < before.start_ns:
        return {"months": months, "previous_year": None}
    e = Context(window_tables(whole, before, attribution_hours), before, a, attribution_hours, sla)
    previous = months_of(before, e.lead["prs"], e.inside, e.incidents, e.cfr["caused_incident"], e.rework["rework"],
                         present)
    outside = (previous["end"].to_numpy(dtype="datetime64[ns]").view("i8") <= span[0]) | \
              (previous["start"].to_numpy(dtype="datetime64[ns]").view("i8") > span[1])
    values = [k for k in previous.columns if k not in ("start", "end", "days")]
    previous.loc[outside, values] = np.nan
    return {"months": months, "previous_year": previous}


def metric_values(c: Context, present: frozenset) -> tuple[dict, dict]:
    """(summary, details) of a window from the registry (``metrics.builtin.METRICS``): each metric's
    value where it is held (``MetricSpec.where``) and the figures its card quotes; n/a where the data
    (``present``) lacks a metric's source; then what derives from the values: the tiers and their
    thresholds, the overall tier, the bands, the Quick Check scores."""
    summary, details = spec_values(c, present, METRICS)
    computed = [spec for spec in METRICS if spec.compute is not None]
    held = place_tiers(summary, details, present, c.window.days)
    short = summary.get("evidence", {})
    missing = missing_sources(present)
    if missing:
        summary["missing"] = missing
    for spec in computed:
        if spec.bands is not None:
            details[f"{spec.bands.metric}_band"] = spec.bands.band(spec.value(held))
    scored = {spec.quick_check: None if spec.key in short else spec.value(held) for spec in computed if spec.quick_check}
    details["quick_check"] = _cleaned(quick_check(scored["lead_time"], scored["deployment_frequency"],
                                                  scored["failed_deployment_recovery_time"],
                                                  scored["change_failure_rate"], scored["rework_rate"]))
    return summary, details


def spec_values(c: Context, present: frozenset, specs) -> tuple[dict, dict]:
    """(summary, details) holding the values of ``specs`` only (and the figures their cards quote),
    each where it is held (``MetricSpec.where``); n/a where the data (``present``) lacks a source."""
    window = c.window
    summary = {"window": {"start": window.start.isoformat().replace("+00:00", "Z"),
                          "end": window.end.isoformat().replace("+00:00", "Z"), "days": window.days},
               "dora": {}, "space": {}, "pvm": {}}
    details = {}
    computed = [spec for spec in specs if spec.compute is not None]
    for spec in computed:
        if spec.details is not None:
            details.update(spec.details(c))
        _put(summary, details, spec, spec.compute(c))
    summary, details = _cleaned(summary), _cleaned(details)
    for spec in computed:                       # n/a, not a perfect score, where the data lacks a source
        if spec.missing(present):
            _put(summary, details, spec, None)
    return summary, details


def too_little(held, present: frozenset, days: int, specs) -> dict:
    """The metrics of ``specs`` judged by a tier or a Quick Check score that cannot be judged here,
    each with why (METRICS.md section 3): too few events in a window of ``days`` days
    (``Sample.shortfall``), or a measure of only part of what it names (``MetricSpec.measures_part``,
    from the kinds the data holds, ``present``). Only metrics with a value are listed."""
    short = {}
    for spec in judged(specs):
        if spec.compute is None or spec.value(held) is None:
            continue
        why = (spec.sample.shortfall(held, days, "a tier" if spec.tiers else "a Quick Check score")
               if spec.sample is not None else None) or spec.measures_part(present)
        if why:
            short[spec.key] = why
    return short


def place_tiers(summary: dict, details: dict, present: frozenset, days: int, specs=METRICS) -> SimpleNamespace:
    """Each tiered metric's tier (``summary["dora"]["tiers"]``, the overall tier included) and its
    threshold in words (``details["tier_thresholds"]``), from the values ``summary`` and ``details``
    hold; none where ``specs``' metric cannot be judged (``too_little``: ``summary["evidence"]``
    says why). Returns the two as the holder ``MetricSpec.value`` reads."""
    held = SimpleNamespace(summary=summary, details=details)       # what ``MetricSpec.value`` reads
    short = too_little(held, present, days, specs)
    tiers, details["tier_thresholds"] = {}, {}
    for spec in tiered(METRICS):
        placed = spec.tiers.tier(spec.value(held)) if spec.key not in short else (None, None)
        tiers[spec.tiers.metric], details["tier_thresholds"][spec.tiers.metric] = placed
    tiers["overall"] = overall_tier(tiers)
    summary["dora"]["tiers"] = tiers
    if short:
        summary["evidence"] = short
    return held


def summary_of(tables: EventTables, window: Window, specs, assumptions: Assumptions | None = None,
               present: frozenset | None = None, clipped: bool = False) -> dict:
    """The summary ``analyze`` computes, holding only the values of ``specs`` (which must include
    every tiered metric) and the tiers: the same numbers for those metrics, without computing the
    others, the daily and weekly tables (the Teams comparison's fast path). ``clipped``: the
    tables are already the window's part (``window_tables``, then perhaps narrowed)."""
    missing = [spec.key for spec in tiered(METRICS) if spec not in specs]
    if missing:
        raise ValueError(f"summary_of needs every tiered metric; {', '.join(missing)} is not among the specs")
    a = assumptions or Assumptions()
    a.check()
    hours = defaults.ATTRIBUTION_HOURS
    present = kinds_present(tables) if present is None else present
    if not clipped:
        tables = window_tables(tables, window, hours)
    counted = {key for spec in specs if spec.sample is not None for key in spec.sample.reads}
    needed = list(specs) + [spec for spec in METRICS if spec.key in counted and spec not in specs]
    # the tiered metrics and their counts need no per-PR lead-time table: not built (``Context.per_pr``)
    summary, details = spec_values(Context(tables, window, a, hours, per_pr=False), present, needed)
    place_tiers(summary, details, present, window.days, specs)
    return summary


def _put(summary: dict, details: dict, spec, value) -> None:
    """Store a metric's value where the analysis holds it (``MetricSpec.where``: the summary's
    section, or the details, at a path)."""
    root, *path = spec.where
    place = summary if root == "summary" else details
    for part in path[:-1]:
        place = place.setdefault(part, {})
    place[path[-1]] = value


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
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    if isinstance(value, str) or value is None:
        return value
    return clean(value)
