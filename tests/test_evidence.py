"""Enough evidence for a tier (METRICS.md section 3): below 5 events (deployment frequency: or a
window of 30 days) a DORA key has no tier, no Quick Check score and no coloured change; the overall
tier only when all four have one. Events exactly on the edges, expected values by hand; then the
DORA cards that show it (the number greyed, no badge, the reason, the change grey)."""
import pandas as pd
import pytest

from dashboard.data import Computed
from dashboard.tabs import TAB_VIEWS
from helpers import ample_rows, analysis_of, ev
from metrics import Window, analyze, load_events, tables_from_frame
from test_components import find

DAY = "2024-01-{:02d}T{}:00Z".format


def prs(n: int) -> list:
    """``n`` PRs created 01-01 00:00, merged 01:00, shipped by the 10:00 deployment: 10 h each (elite)."""
    rows = [ev(DAY(1, "10:00"), "deploy", deploy_id="d1")]
    for i in range(n):
        rows += [ev(DAY(1, "00:00"), "pr_created", pr_id=f"p{i}"), ev(DAY(1, "01:00"), "pr_merged", pr_id=f"p{i}")]
    return rows


def incidents(resolved: int, open_: int = 0) -> list:
    """``resolved`` incidents of 30 min each (elite: < 1 h) on 01-02, one every 2 hours, and ``open_`` never resolved."""
    rows = []
    for i in range(resolved + open_):
        rows.append(ev(DAY(2, f"{2 * i:02d}:00"), "incident_start", incident_id=f"i{i}"))
        if i < resolved:
            rows.append(ev(DAY(2, f"{2 * i:02d}:30"), "incident_resolved", incident_id=f"i{i}"))
    return rows


def deployments(n: int) -> list:
    """``n`` successful feature deployments, one a day from 01-01 10:00, after a failed hotfix before the
    window (so the data has failures and change types: CFR and rework are measured, not n/a)."""
    return [ev("2023-12-20T10:00:00Z", "deploy", deploy_id="d0", status="failed", change_type="hotfix")] + \
        [ev(DAY(1 + i, "10:00"), "deploy", deploy_id=f"d{1 + i}", change_type="feature") for i in range(n)]


def tiers(an) -> dict:
    return an.summary["dora"]["tiers"]


def reasons(an) -> dict:
    return an.summary.get("evidence", {})


# ---------------------------------------------------------------------------------------------
# the edges, worked out by hand


def test_lead_time_4_timed_prs_no_tier_5_a_tier():
    four, five = analysis_of(prs(4)), analysis_of(prs(5))
    assert four.summary["dora"]["lead_time_hours_median"] == five.summary["dora"]["lead_time_hours_median"] == 10.0
    assert tiers(four)["lead_time"] is None and four.details["tier_thresholds"]["lead_time"] is None
    assert reasons(four)["lead_time_hours_median"] == "4 deployed PRs: a tier needs at least 5"
    assert four.details["quick_check"]["scores"]["lead_time"] is None
    # 10 h: elite (< 24 h); Quick Check "less than one day" (answer 5): 8
    assert tiers(five)["lead_time"] == "elite" and "lead_time_hours_median" not in reasons(five)
    assert five.details["quick_check"]["scores"]["lead_time"] == 8.0


def test_recovery_4_resolved_incidents_no_tier_5_a_tier():
    four, five = analysis_of(incidents(4)), analysis_of(incidents(5))
    assert four.summary["dora"]["mttr_minutes_median"] == five.summary["dora"]["mttr_minutes_median"] == 30.0
    assert tiers(four)["recovery_time"] is None
    assert reasons(four)["mttr_minutes_median"] == "4 resolved incidents: a tier needs at least 5"
    assert tiers(five)["recovery_time"] == "elite" and "mttr_minutes_median" not in reasons(five)
    # an open incident is counted, not timed: 4 resolved and 1 open are still 4
    assert tiers(analysis_of(incidents(4, open_=1)))["recovery_time"] is None


def test_frequency_0_deployments_over_29_days_no_tier_over_30_days_low():
    # one deployment before both windows: the data has deployments, the windows none
    rows = [ev("2023-12-20T10:00:00Z", "deploy", deploy_id="d0")]
    short, month = analysis_of(rows, "2024-01-02", "2024-01-31"), analysis_of(rows, "2024-01-01", "2024-01-31")
    assert (short.window.days, month.window.days) == (29, 30)
    assert short.summary["dora"]["deploys_per_day"] == month.summary["dora"]["deploys_per_day"] == 0.0
    assert tiers(short)["deployment_frequency"] is None
    assert reasons(short)["deploys_per_day"] == "0 deployments: a tier needs at least 5, or a window of 30 days or more"
    # 0 a month is below 1 a month: low; no reason given
    assert tiers(month)["deployment_frequency"] == "low" and "deploys_per_day" not in reasons(month)
    assert month.details["tier_thresholds"]["deployment_frequency"] == "< 1 deployment a month (30 days)"


def test_frequency_and_cfr_4_deployments_in_7_days_no_tier_5_a_tier():
    four, five = analysis_of(deployments(4)), analysis_of(deployments(5))
    assert tiers(four)["deployment_frequency"] is None and tiers(four)["change_failure_rate"] is None
    assert reasons(four) == {"deploys_per_day": "4 deployments: a tier needs at least 5, or a window of 30 days or more",
                             "change_failure_rate_pct": "4 deployments: a tier needs at least 5",
                             "rework_rate_pct": "4 deployments: a Quick Check score needs at least 5"}
    scores = four.details["quick_check"]["scores"]
    assert (scores["deployment_frequency"], scores["change_failure_rate"], scores["rework_rate"]) == (None, None, None)
    # 5 in 7 days: >= 1 a week, < 1 a day: high; none failed: CFR 0 % elite; Quick Check "between once per
    # day and once per week" 6, CFR and rework 0 %: 10
    assert tiers(five)["deployment_frequency"] == "high" and tiers(five)["change_failure_rate"] == "elite"
    assert reasons(five) == {}
    scores = five.details["quick_check"]["scores"]
    assert (scores["deployment_frequency"], scores["change_failure_rate"], scores["rework_rate"]) == (6.0, 10.0, 10.0)


def test_one_event_is_said_in_the_singular():
    assert reasons(analysis_of(deployments(1)))["change_failure_rate_pct"] == "1 deployment: a tier needs at least 5"
    assert reasons(analysis_of(prs(1)))["lead_time_hours_median"] == "1 deployed PR: a tier needs at least 5"


def test_overall_tier_only_with_all_four():
    # tests/helpers.py's ample_rows: all four placed (high, high, low, high): overall low
    assert tiers(analysis_of(ample_rows())) == {"deployment_frequency": "high", "lead_time": "high",
                                                "change_failure_rate": "low", "recovery_time": "high", "overall": "low"}
    # without its last incident (i5: 4 resolved) recovery has no tier, so no overall
    fewer = [r for r in ample_rows() if r.get("incident_id") != "i5"]
    t = tiers(analysis_of(fewer))
    assert t["recovery_time"] is None and t["overall"] is None and t["change_failure_rate"] == "low"


# ---------------------------------------------------------------------------------------------
# the DORA cards


@pytest.fixture(scope="module")
def hand():
    from conftest import FIXTURES
    frame, _ = load_events([FIXTURES / "hand.csv"])
    return analyze(tables_from_frame(frame), Window.between("2024-01-01", "2024-01-08"))


@pytest.fixture(scope="module")
def ample():
    return analysis_of(ample_rows())


def dora_cards(current, previous, benchmark="tiers"):
    return TAB_VIEWS["dora"](Computed(current, previous, "", "", ("api", "db", "web"), benchmark=benchmark), "light")[0]


def test_a_card_without_the_evidence_is_grey_without_badges_and_says_why(hand, ample):
    # hand.csv now, ample_rows before: recovery 45 min (4 resolved incidents) against 90 min
    cards = dora_cards(hand, ample)
    assert find(cards, "kpi-mttr-value").children == "45.0 min"
    assert find(cards, "kpi-mttr-value").className == "kpi-value text-body-secondary"
    assert find(cards, "kpi-mttr-tier") is None
    assert find(cards, "kpi-mttr-caution").children[1] == "no tier: 4 resolved incidents: a tier needs at least 5"
    # -50 % would be better (green): too little evidence now, so grey
    assert find(cards, "kpi-mttr-delta").children == "▼ -50 % vs previous 7 days"
    assert find(cards, "kpi-mttr-delta").className == "kpi-delta text-body-secondary"
    # lead time (4 deployed PRs): no tier badge, no Quick Check badge
    assert find(cards, "kpi-lead-time-tier") is None and find(cards, "kpi-lead-time-score") is None
    # then what the median leaves out: hand.csv's p5, merged 01-07 12:00, waits 12 h to the window's end
    assert find(cards, "kpi-lead-time-caution").children[1] == ("no tier: 4 deployed PRs: a tier needs at least 5"
                                                                "; 1 merged PR waits for a release: median 12.0 h since the merge, oldest 12.0 h")
    # failed deployment recovery (3 attributed): no Quick Check badge, the reason
    assert find(cards, "kpi-fdrt-score") is None and "text-body-secondary" in find(cards, "kpi-fdrt-value").className
    assert find(cards, "kpi-fdrt-caution").children[1] == \
        "no Quick Check score: 3 resolved incidents attributed to a deployment: a Quick Check score needs at least 5"
    # deployment frequency (7 deployments): placed, its number not greyed, a low-sample mark (under 20)
    assert find(cards, "kpi-deploys-tier").children == "HIGH" and find(cards, "kpi-deploys-score") is not None
    assert find(cards, "kpi-deploys-value").className == "kpi-value"
    assert find(cards, "kpi-deploys-caution").children[1] == "low sample: n=7 deployments (minimum 20)"
    # no overall tier: it says which tiers lack the evidence (and which stand on low samples)
    assert find(cards, "kpi-overall-value").children == "N/A"
    assert find(cards, "kpi-overall-caution").children[1] == (
        "no overall tier: too little evidence for the lead time, recovery time tiers; "
        "low sample: deployment frequency, change failure rate tiers from under 20 events")


def test_judged_by_the_quick_check_a_card_without_the_evidence_has_no_score(hand, ample):
    cards = dora_cards(hand, ample, "quick-check")
    assert find(cards, "kpi-lead-time-score") is None
    assert find(cards, "kpi-lead-time-caution").children[1] == (
        "no Quick Check score: 4 deployed PRs: a Quick Check score needs at least 5"
        "; 1 merged PR waits for a release: median 12.0 h since the merge, oldest 12.0 h")
    assert find(cards, "kpi-deploys-score").children == "QC 6.0/10"
    assert find(cards, "kpi-qc-overall-value").children == "n/a"
    assert find(cards, "kpi-qc-overall-caution").children[1].startswith(
        "no overall score: too little evidence for the lead time (median), failed deployment recovery (median) scores")


def test_a_change_is_coloured_only_when_both_periods_have_the_evidence(ample):
    # the week before: d1..d4 only (4 deployments, 3 successful, d3 failed): 3/7 a day, CFR 25 %
    before = [dict(r, ts=(pd.Timestamp(r["ts"]) - pd.Timedelta(days=7)).isoformat()) for r in ample_rows()
              if r["kind"] == "deploy" and r["deploy_id"] in ("d1", "d2", "d3", "d4")]
    previous = analysis_of(before, "2023-12-25", "2024-01-01")
    assert previous.summary["dora"]["deploys_per_day"] == pytest.approx(3 / 7)
    cards = dora_cards(ample, previous)
    # 6/7 against 3/7 a day: +100 %, better, but the week before had 4 deployments: grey
    assert find(cards, "kpi-deploys-delta").children == "▲ +100 % vs previous 7 days"
    assert find(cards, "kpi-deploys-delta").className == "kpi-delta text-body-secondary"
    # CFR 57.1 % against 25 %: +32.1 pp, worse, grey for the same reason
    assert find(cards, "kpi-cfr-delta").children == "▲ +32.1 pp vs previous 7 days"
    assert find(cards, "kpi-cfr-delta").className == "kpi-delta text-body-secondary"
    # this week has the evidence: its numbers are not greyed and keep their tiers
    assert find(cards, "kpi-deploys-value").className == "kpi-value" and find(cards, "kpi-cfr-tier").children == "LOW"
    # both weeks with the evidence: ample_rows against itself shifted a week back with d7 dropped (6 deployments,
    # 5 successful): 6/7 against 5/7 a day, +20 %, green
    week_before = [dict(r, ts=(pd.Timestamp(r["ts"]) - pd.Timedelta(days=7)).isoformat()) for r in ample_rows()
                   if r.get("deploy_id") != "d7"]
    cards = dora_cards(ample, analysis_of(week_before, "2023-12-25", "2024-01-01"))
    assert find(cards, "kpi-deploys-delta").children == "▲ +20 % vs previous 7 days"
    assert find(cards, "kpi-deploys-delta").className == "kpi-delta text-success"
