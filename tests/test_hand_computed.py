"""Every metric on a small event set whose answers were worked out by hand.

The events are tests/fixtures/hand.csv; the window is the ISO week 2024-01-01 (Monday) to
2024-01-08. What the file holds, in short:

deployments (production unless said): d0 api 12-31 20:00 (before the window); d1 api 01-01 10:00;
d2 api 01-02 10:00 (status, type, environment left empty: success, feature, production);
d3 api 01-03 10:00 failed; d4 api 01-04 10:00 hotfix; d5 api 01-05 10:00; d6 web 01-05 12:00;
s1 api 01-06 10:00 staging (not a deployment); d7 api 01-06 12:00.
incidents: i1 api 01-01 02:00-03:00; i2 api 01-02 11:00-11:30; i3 api 01-04 10:30-12:30 linked to
d1; i4 api 01-05 11:00, never resolved; i5 db 01-06 09:00-09:10.
PRs: p1 created 01-01 08:00, reviewed 09:00, merged 09:30; p2 created 01-02 00:00, reviewed 06:00
and 07:00, merged 10:00; p3 created 01-02 12:00, merged 01-03 09:00 without review; p4 created
01-03 00:00, reviewed 02:00, merged 01-04 00:00 linked to d6; p5 created 01-06 00:00, reviewed
01:00, merged 01-07 12:00; p6 created 01-07 00:00, open; p7 created 12-31 12:00 (before the
window), merged 01-01 09:00.
surveys 5 (01-01 01:00), 3 (01-03 12:00), 4 (01-07 12:00); platform hours 4 + 6; incident
response 60 + 30 min; toil 120 + 30 min; onboarding 4 and 6 weeks; one custom_metric event.
"""
import numpy as np
import pytest

from metrics import Window, analyze, load_events, tables_from_frame
from metrics.builtin import METRICS
from metrics.compute.pvm import Assumptions

WINDOW = Window.between("2024-01-01", "2024-01-08")


@pytest.fixture(scope="module")
def an(request):
    from conftest import FIXTURES
    frame, report = load_events([FIXTURES / "hand.csv"])
    request.module.report = report
    return analyze(tables_from_frame(frame), WINDOW, Assumptions())


def test_load_report():
    from conftest import FIXTURES
    frame, report = load_events([FIXTURES / "hand.csv"])
    assert (report.rows_read, report.accepted, report.rejected_count, report.duplicates) == (49, 49, 0, 0)
    assert report.unknown_kinds == {"custom_metric": 1}
    assert report.open_incidents == 1          # i4
    assert report.naive_timestamps == 0


def test_deployment_frequency(an):
    d = an.summary["dora"]
    # production deployments in the window: d1..d7 (d0 is before it, s1 is staging) = 7
    assert d["deployments"] == 7
    # successful: all but d3 = 6; 6 / 7 days
    assert d["successful_deployments"] == 6
    assert d["deploys_per_day"] == pytest.approx(6 / 7)
    assert list(an.daily["successful_deployments"]) == [1, 1, 0, 1, 2, 1, 0]
    assert list(an.daily["deployments"]) == [1, 1, 1, 1, 2, 1, 0]
    # 0.857 a day is >= 1 a week but < 1 a day
    assert d["tiers"]["deployment_frequency"] == "high"
    assert an.details["tier_thresholds"]["deployment_frequency"] == ">= 1 deployment a week"


def test_lead_time(an):
    d = an.summary["dora"]
    # p1: 08:00 -> d1 10:00 = 2 h; p2: 00:00 -> merged 10:00, d2 at 10:00 (at the merge counts) = 10 h;
    # p3: 01-02 12:00 -> merged 01-03 09:00, d3 failed, so d4 01-04 10:00 = 46 h;
    # p4: 01-03 00:00 -> its explicit d6 01-05 12:00 = 60 h; p5 merged 01-07 12:00, no later deploy.
    # timed [2, 10, 46, 60]: median (10 + 46) / 2 = 28
    assert d["lead_time_hours_median"] == pytest.approx(28.0)
    # p90: position 0.9 * 3 = 2.7 -> 46 + 0.7 * 14 = 55.8; p75: 2.25 -> 46 + 0.25 * 14 = 49.5
    assert d["lead_time_hours_p90"] == pytest.approx(55.8)
    assert an.details["lead_time_hours_p75"] == pytest.approx(49.5)
    assert an.details["merged_prs"] == 5 and d["merged_prs_not_deployed"] == 1
    # p5 merged 01-07 12:00 waits: 12 h to the window's end (01-08 00:00)
    assert an.details["waiting_hours_median"] == an.details["waiting_hours_max"] == pytest.approx(12.0)
    # the lead time card says it as prominently as the median (its warning line)
    lead = next(spec for spec in METRICS if spec.key == "lead_time_hours_median")
    assert lead.caution(an) == "1 merged PR waits for a release: median 12.0 h since the merge, oldest 12.0 h"
    # review wait p1 1, p2 6, p4 2, p5 1 -> median 1.5; review->merge 0.5, 4, 22, 35 -> 13;
    # merge->deploy 0.5, 0, 25, 36 -> (0.5 + 25) / 2 = 12.75
    assert an.details["review_wait_hours_median"] == pytest.approx(1.5)
    assert an.details["review_to_merge_hours_median"] == pytest.approx(13.0)
    assert an.details["merge_to_deploy_hours_median"] == pytest.approx(12.75)
    # 28 h would be high, but 4 timed PRs are under the 5 a tier needs (METRICS.md section 3)
    assert d["tiers"]["lead_time"] is None and an.details["tier_thresholds"]["lead_time"] is None
    assert an.summary["evidence"]["lead_time_hours_median"] == "4 deployed PRs: a tier needs at least 5"
    assert an.details["quick_check"]["scores"]["lead_time"] is None
    p4 = an.prs.set_index("pr_id").loc["api#p4"]
    assert p4["deploy_id"] == "web@d6" and p4["lead_time_hours"] == pytest.approx(60.0)


def test_incident_attribution_and_cfr(an):
    inc = an.incidents.set_index("incident_id")
    # i1: d0 (6 h before, same service, before the window); i2: d2 (1 h before);
    # i3: its explicit d1 (not d4, 30 min before); i4: d5 (1 h before); i5: no db deployment
    assert dict(inc["deploy_id"]) == {"i1": "api@d0", "i2": "api@d2", "i3": "api@d1", "i4": "api@d5", "i5": ""}
    assert dict(inc["attribution"]) == {"i1": "inferred", "i2": "inferred", "i3": "explicit", "i4": "inferred",
                                        "i5": "unattributed"}
    d = an.summary["dora"]
    # failed: d3 (status) + d1, d2, d5 (incidents); d0 is outside the window -> 4 of 7
    assert an.details["failed_deployments"] == 4
    assert d["change_failure_rate_pct"] == pytest.approx(400 / 7)
    assert d["tiers"]["change_failure_rate"] == "low"
    assert d["unattributed_incidents"] == 1


def test_recovery_time(an):
    d = an.summary["dora"]
    # resolved: 60, 30, 120, 10 minutes; i4 open
    assert (d["incidents"], d["open_incidents"]) == (5, 1)
    assert d["mttr_minutes_mean"] == pytest.approx(55.0)
    assert d["mttr_minutes_median"] == pytest.approx(45.0)
    # p95: sorted [10, 30, 60, 120], position 0.95 * 3 = 2.85 -> 60 + 0.85 * 60 = 111
    assert d["mttr_minutes_p95"] == pytest.approx(111.0)
    # a 45-minute median would be elite, but 4 resolved incidents are under the 5 a tier needs
    assert d["tiers"]["recovery_time"] is None
    assert an.summary["evidence"]["mttr_minutes_median"] == "4 resolved incidents: a tier needs at least 5"


def test_rework_and_overall_tier(an):
    d = an.summary["dora"]
    # d4 is a hotfix; d7 deploys api while i4 is open; d6 (web) is not -> 2 of 7
    assert an.details["rework_deployments"] == 2
    assert d["rework_rate_pct"] == pytest.approx(200 / 7)
    # frequency high and CFR low (7 deployments each), lead time and recovery without a tier: no overall
    assert (d["tiers"]["deployment_frequency"], d["tiers"]["change_failure_rate"]) == ("high", "low")
    assert d["tiers"]["overall"] is None


def test_activity(an):
    s = an.summary["space"]
    # PRs created in the window: p1..p6; reviews: p1, p2 twice, p4, p5; merges: p7, p1, p2, p3, p4, p5
    assert s["prs_per_day"] == pytest.approx(6 / 7)
    assert s["reviews_per_day"] == pytest.approx(5 / 7)
    assert list(an.daily["prs_created"]) == [1, 2, 1, 0, 0, 1, 1]
    assert list(an.daily["reviews"]) == [1, 2, 1, 0, 0, 1, 0]
    assert list(an.daily["merges"]) == [2, 1, 1, 1, 0, 0, 1]


def test_collaboration(an):
    # first-review turnaround: p1 1, p2 6, p4 2, p5 1 -> mean 2.5, median 1.5, all in the week of 01-01
    assert an.summary["space"]["review_turnaround_hours_mean"] == pytest.approx(2.5)
    week = an.weekly.iloc[0]
    assert len(an.weekly) == 1 and str(week["week"].date()) == "2024-01-01"
    assert week["review_turnaround_hours_mean"] == pytest.approx(2.5)
    assert week["review_turnaround_hours_median"] == pytest.approx(1.5)


def test_satisfaction(an):
    s = an.summary["space"]
    assert s["satisfaction_mean"] == pytest.approx(4.0) and s["satisfaction_responses"] == 3
    # 01-01 01:00 (5) comes before every incident; 01-03 (3) is 25 h after i2; 01-07 (4) is 27 h after i5
    assert an.details["satisfaction_after_incident_mean"] == pytest.approx(3.5)
    assert an.details["satisfaction_other_mean"] == pytest.approx(5.0)
    # slope of (1/24, 5), (2.5, 3), (6.5, 4): Sxy = -2.458333, Sxx = 21.251157 -> -0.115681 a day
    assert an.details["satisfaction_trend_per_30_days"] == pytest.approx(-3.4704, abs=1e-3)


def test_efficiency(an):
    # merge time p1 1.5, p2 10, p3 21, p4 24, p5 36 -> mean 18.5; squares of deviations sum to 704
    assert an.summary["space"]["merge_time_hours_mean"] == pytest.approx(18.5)
    assert an.weekly.iloc[0]["merge_time_hours_std"] == pytest.approx(np.sqrt(704 / 4))


def test_performance(an):
    # 5 incidents / 7 deployments
    assert an.summary["space"]["incident_rate_pct"] == pytest.approx(500 / 7)


def test_vcr(an):
    p = an.summary["pvm"]
    # value 6 x 200 = 1200; cost (10 h + 90 min + 150 min) x 150 = 14 h x 150 = 2100
    assert (p["total_value_usd"], p["total_cost_usd"], p["platform_hours"]) == (1200, 2100, 10)
    assert p["vcr_pct"] == pytest.approx(1200 / 2100 * 100)
    assert an.details["vcr_band"] == "red"


def test_iar(an):
    p = an.summary["pvm"]
    # halves of 3 days: 01-01..01-03 d1, d2 (d3 failed) = 2; 01-05..01-07 d5, d6, d7 = 3 -> +50 %
    assert (p["first_period_deploys"], p["second_period_deploys"]) == (2, 3)
    assert p["iar_pct"] == pytest.approx(50.0)
    assert an.details["iar_band"] == "green"
    # one complete 7-day block: no growth to show
    assert list(an.iar_periods["successful_deployments"]) == [6]
    assert an.iar_periods["growth_pct"].tolist() == [None]


def test_dtr(an):
    p = an.summary["pvm"]
    # toil 60 + 30 (response) + 120 + 30 = 240; capacity 8 x 8 h x 5 working days x 60 = 19200
    assert p["toil_minutes"] == 240 and p["feature_minutes"] == 19200 - 240
    assert p["dtr_pct"] == pytest.approx(240 / 18960 * 100)
    assert an.details["dtr_band"] == "green"


def test_impact(an):
    assert an.summary["pvm"]["onboarding_weeks_mean"] == pytest.approx(5.0)
    assert an.details["deploys_per_platform_hour"] == pytest.approx(0.6)


def test_assumptions_change_pvm():
    from conftest import FIXTURES
    frame, _ = load_events([FIXTURES / "hand.csv"])
    a = Assumptions(hourly_rate=100, value_per_deploy=500, team_size=2, hours_per_day=6)
    an = analyze(tables_from_frame(frame), WINDOW, a, attribution_hours=1)
    p = an.summary["pvm"]
    # value 6 x 500 = 3000; cost 14 h x 100 = 1400
    assert p["vcr_pct"] == pytest.approx(3000 / 1400 * 100)
    # capacity 2 x 6 x 5 x 60 = 3600
    assert p["feature_minutes"] == 3600 - 240
    # with a 1-hour attribution window i1 (6 h after d0) is unattributed; i2, i4 (1 h) are exactly at
    # the bound, which still counts
    assert an.summary["dora"]["unattributed_incidents"] == 2
