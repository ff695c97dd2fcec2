"""Edge cases: empty windows, missing kinds, all failures, open PRs and incidents, staging only."""
import pytest

from helpers import analysis_of, ev


def all_values(summary):
    for section in ("dora", "space", "pvm"):
        for key, value in summary[section].items():
            if key != "tiers":
                yield f"{section}.{key}", value


def test_empty_window_gives_zero_counts_and_na_ratios():
    an = analysis_of([ev("2023-06-01T00:00:00Z", "deploy", deploy_id="x")])
    d, s, p = an.summary["dora"], an.summary["space"], an.summary["pvm"]
    assert (d["deployments"], d["incidents"], d["deploys_per_day"]) == (0, 0, 0.0)
    for key in ("lead_time_hours_median", "change_failure_rate_pct", "mttr_minutes_mean", "mttr_minutes_p95", "rework_rate_pct"):
        assert d[key] is None, key
    for key in ("review_turnaround_hours_mean", "satisfaction_mean", "merge_time_hours_mean", "incident_rate_pct"):
        assert s[key] is None, key
    assert p["vcr_pct"] is None and p["iar_pct"] is None and p["onboarding_weeks_mean"] is None
    # no toil or incident response anywhere in the data: DTR is n/a (absence is not a perfect score)
    assert p["dtr_pct"] is None and p["feature_minutes"] == 8 * 8 * 5 * 60
    assert an.summary["missing"] == ["incident_response", "incident_start", "platform_investment_hour", "pr_created",
                                     "pr_reviewed", "satisfaction_survey", "toil"]
    # 0 deployments in 7 days cannot tell "monthly" from "never": no frequency tier (METRICS.md
    # section 3 needs 5 deployments or 30 days); the rest are n/a; no overall without all four
    assert d["tiers"] == {"deployment_frequency": None, "lead_time": None, "change_failure_rate": None,
                          "recovery_time": None, "overall": None}
    assert an.summary["evidence"] == {"deploys_per_day": "0 deployments: a tier needs at least 5, or a window of "
                                                         "30 days or more"}
    assert len(an.daily) == 7 and an.daily["deployments"].sum() == 0
    assert an.incidents.empty and an.prs.empty and an.deployments.empty


def test_no_incident_source_is_not_a_perfect_score():
    """Deployments only (a git history): CFR, rework and incident rate are n/a, with no tier, and
    there is no overall tier (it needs all four)."""
    rows = [ev(f"2024-01-0{d}T10:00:00Z", "deploy", deploy_id=f"d{d}") for d in range(1, 8)]
    an = analysis_of(rows)
    d = an.summary["dora"]
    assert d["change_failure_rate_pct"] is None and d["tiers"]["change_failure_rate"] is None
    assert d["rework_rate_pct"] is None and an.summary["space"]["incident_rate_pct"] is None
    assert d["mttr_minutes_median"] is None and d["tiers"]["recovery_time"] is None
    assert d["tiers"]["deployment_frequency"] == "elite"      # 7 deployments, 1 a day
    assert d["tiers"]["overall"] is None
    assert "incident_start" in an.summary["missing"]
    assert an.summary["space"]["satisfaction_mean"] is None


def test_zero_incidents_in_a_window_of_data_that_has_incidents_is_zero():
    rows = [ev(f"2024-01-0{d}T10:00:00Z", "deploy", deploy_id=f"d{d}") for d in range(1, 8)]
    rows += [ev("2023-12-01T10:00:00Z", "incident_start", incident_id="old")]   # before the window
    an = analysis_of(rows)
    d = an.summary["dora"]
    assert d["change_failure_rate_pct"] == 0.0 and d["tiers"]["change_failure_rate"] == "elite"
    assert an.summary["space"]["incident_rate_pct"] == 0.0 and "incident_start" not in an.summary["missing"]


def test_incidents_only_pagerduty_style():
    """Incidents only (a PagerDuty export): recovery time is computed; deployment frequency, CFR,
    rework, incident rate and IAR are n/a, not 0."""
    rows = [ev("2024-01-02T10:00:00Z", "incident_start", incident_id="i1"),
            ev("2024-01-02T10:45:00Z", "incident_resolved", incident_id="i1")]
    an = analysis_of(rows)
    d, p = an.summary["dora"], an.summary["pvm"]
    # 45 minutes from 1 resolved incident: the number, but no tier (5 needed)
    assert d["mttr_minutes_median"] == 45.0 and d["tiers"]["recovery_time"] is None
    assert d["deploys_per_day"] is None and d["tiers"]["deployment_frequency"] is None
    assert d["change_failure_rate_pct"] is None and p["iar_pct"] is None
    assert d["tiers"]["overall"] is None and "deploy" in an.summary["missing"]
    assert an.details["satisfaction_trend_per_30_days"] is None


def test_every_deployment_failed():
    rows = [ev(f"2024-01-0{d}T10:00:00Z", "deploy", deploy_id=f"d{d}", status="failed") for d in range(1, 4)]
    # no incident source, but the deployments say they failed: CFR means something and is computed
    an = analysis_of(rows)
    d, p = an.summary["dora"], an.summary["pvm"]
    assert d["change_failure_rate_pct"] == 100.0 and d["successful_deployments"] == 0
    assert d["deploys_per_day"] == 0.0
    assert p["total_value_usd"] == 0 and p["vcr_pct"] is None      # no cost logged either
    assert p["iar_pct"] is None                                    # nothing to grow from


def test_pr_never_merged_and_incident_never_resolved():
    rows = [ev("2024-01-01T00:00:00Z", "pr_created", pr_id="p1"),
            ev("2024-01-02T00:00:00Z", "pr_reviewed", pr_id="p1"),
            ev("2024-01-03T00:00:00Z", "incident_start", incident_id="i1")]
    an = analysis_of(rows)
    assert an.summary["dora"]["lead_time_hours_median"] is None and an.details["merged_prs"] == 0
    assert an.summary["space"]["review_turnaround_hours_mean"] == pytest.approx(24.0)
    assert an.summary["space"]["merge_time_hours_mean"] is None
    d = an.summary["dora"]
    assert (d["incidents"], d["open_incidents"], d["mttr_minutes_mean"]) == (1, 1, None)
    assert d["unattributed_incidents"] == 1
    # the incident counts, but there is no deployment to rate it against
    assert an.summary["space"]["incident_rate_pct"] is None


def test_staging_deployments_do_not_count():
    rows = [ev("2024-01-02T10:00:00Z", "deploy", deploy_id="s1", environment="staging"),
            ev("2024-01-02T11:00:00Z", "incident_start", incident_id="i1")]
    an = analysis_of(rows)
    d = an.summary["dora"]
    assert d["deployments"] == 0 and d["change_failure_rate_pct"] is None
    assert d["unattributed_incidents"] == 1                 # staging deploys are not blamed


def test_toil_beyond_capacity_makes_dtr_na():
    rows = [ev("2024-01-02T10:00:00Z", "toil", "team", metric_value=10_000)]
    an = analysis_of(rows, team_size=1)
    p = an.summary["pvm"]
    assert p["toil_minutes"] == 10_000 and p["feature_minutes"] == 1 * 8 * 5 * 60 - 10_000
    assert p["dtr_pct"] is None


def test_window_that_is_not_whole_weeks_keeps_every_day():
    an = analysis_of([ev("2024-01-03T10:00:00Z", "deploy", deploy_id="d")], start="2024-01-03", end="2024-01-13")
    assert len(an.daily) == 10 and an.daily["deployments"].tolist()[0] == 1
    # ISO weeks touched: Mon 01-01 and Mon 01-08
    assert [str(w.date()) for w in an.weekly["week"]] == ["2024-01-01", "2024-01-08"]
    # 10 days: halves of 5 days, windows up to 90 days chart 7-day blocks back from the end
    assert an.details["iar_half_days"] == 5 and len(an.iar_periods) == 1


def test_odd_window_leaves_the_middle_day_out_of_iar():
    rows = [ev("2024-01-01T10:00:00Z", "deploy", deploy_id="a"), ev("2024-01-02T10:00:00Z", "deploy", deploy_id="b"),
            ev("2024-01-03T10:00:00Z", "deploy", deploy_id="c")]
    an = analysis_of(rows, start="2024-01-01", end="2024-01-04")
    p = an.summary["pvm"]
    assert (p["first_period_deploys"], p["second_period_deploys"], p["iar_pct"]) == (1, 1, 0.0)


def test_every_value_is_a_number_or_none():
    an = analysis_of([])
    for name, value in all_values(an.summary):
        assert value is None or isinstance(value, (int, float)), name


def test_a_window_ending_in_a_new_week_keeps_that_week():
    # 2025-11-22 (Saturday) to 2026-11-22: the last day, 2026-11-21, is in the week of Monday 2026-11-16
    an = analysis_of([ev("2026-11-21T10:00:00Z", "pr_created", pr_id="p"), ev("2026-11-21T12:00:00Z", "pr_merged", pr_id="p")],
                     start="2025-11-22", end="2026-11-22")
    weeks = [str(w.date()) for w in an.weekly["week"]]
    assert weeks[0] == "2025-11-17" and weeks[-1] == "2026-11-16" and len(weeks) == 53
    assert an.weekly["merge_time_hours_mean"].iloc[-1] == pytest.approx(2.0)
