"""Cycle-time stages and monthly trends (issue 27, items 2 and 5), on small event sets worked out
by hand (the arithmetic in the comments), with events on the edges: a first commit before the
window and one after the PR's opening, a PR created at a Monday's 00:00 and at a month's first
instant, an incident at a month's first instant attributed to a deployment of the month before.
The monthly trends are also checked against the product's own one-month windows."""
import json

import numpy as np
import pandas as pd
import pytest

from components import figures as fg
from conftest import run_cli
from helpers import analysis_of, ev
from metrics import Window, analyze, normalize, tables_from_frame
from metrics.builtin import BY_KEY
from metrics.compute.trends import TREND_KEYS
from metrics.summary import to_json

STAGES = ["coding", "pickup", "review", "deploy"]      # transcribed: the names of FLOW.md and docs/metrics.md


def hand_rows():
    """Five PRs of service api in the week 2024-01-01 .. 01-08, each stage known (hours):

    PR  first commit      created     reviewed    merged      deployed (first deploy after the merge)
    a   01-01 00:00       01-01 02:00 01-01 03:00 01-01 07:00 d1 01-01 08:00   coding 2  pickup 1  review 4  deploy 1
    b   12-31 20:00 (*)   01-01 00:00 01-01 02:00 01-01 03:00 d2 01-01 05:00   coding 4  pickup 2  review 1  deploy 2
    c   01-02 12:00       01-03 00:00 01-03 04:00 01-03 06:00 d3 01-03 10:00   coding 12 pickup 4  review 2  deploy 4
    d   01-04 01:00 (**)  01-04 00:00 01-04 10:00 01-04 20:00 d4 01-05 02:00   coding 0  pickup 10 review 10 deploy 6
    e   -                 01-05 00:00 -           01-05 06:00 d5 01-05 14:00   coding -  pickup -  review -  deploy 8
    (*) before the window (b is created at its first instant): the PR belongs to the window by its creation;
    (**) after its opening: 0 h.
    """
    def pr(name, created, merged, first=None, reviewed=None):
        rows = [ev(created, "pr_created", pr_id=name), ev(merged, "pr_merged", pr_id=name)]
        if first:
            rows.append(ev(first, "pr_first_commit", pr_id=name))
        if reviewed:
            rows.append(ev(reviewed, "pr_reviewed", pr_id=name))
        return rows
    return (pr("a", "2024-01-01T02:00:00Z", "2024-01-01T07:00:00Z", "2024-01-01T00:00:00Z", "2024-01-01T03:00:00Z")
            + pr("b", "2024-01-01T00:00:00Z", "2024-01-01T03:00:00Z", "2023-12-31T20:00:00Z", "2024-01-01T02:00:00Z")
            + pr("c", "2024-01-03T00:00:00Z", "2024-01-03T06:00:00Z", "2024-01-02T12:00:00Z", "2024-01-03T04:00:00Z")
            + pr("d", "2024-01-04T00:00:00Z", "2024-01-04T20:00:00Z", "2024-01-04T01:00:00Z", "2024-01-04T10:00:00Z")
            + pr("e", "2024-01-05T00:00:00Z", "2024-01-05T06:00:00Z")
            + [ev(t, "deploy", deploy_id=f"d{i}") for i, t in enumerate(
                ["2024-01-01T08:00:00Z", "2024-01-01T05:00:00Z", "2024-01-03T10:00:00Z", "2024-01-05T02:00:00Z",
                 "2024-01-05T14:00:00Z"], start=1)])


@pytest.fixture(scope="module")
def hand():
    return analysis_of(hand_rows())


def test_each_stage_median_and_p75_by_hand(hand):
    d = hand.summary["dora"]
    # coding 2, 4, 12, 0 -> sorted 0 2 4 12: median (2 + 4) / 2 = 3; p75 at 0.75 x 3 = 2.25: 4 + 0.25 x (12 - 4) = 6
    assert (d["coding_hours_median"], d["coding_hours_p75"]) == (pytest.approx(3.0), pytest.approx(6.0))
    # pickup 1 2 4 10: median 3, p75 4 + 0.25 x 6 = 5.5
    assert (d["pickup_hours_median"], d["pickup_hours_p75"]) == (pytest.approx(3.0), pytest.approx(5.5))
    # review 4 1 2 10 -> 1 2 4 10: median 3, p75 5.5
    assert (d["review_hours_median"], d["review_hours_p75"]) == (pytest.approx(3.0), pytest.approx(5.5))
    # deploy 1 2 4 6 8: median 4, p75 at 0.75 x 4 = 3: 6
    assert (d["deploy_hours_median"], d["deploy_hours_p75"]) == (pytest.approx(4.0), pytest.approx(6.0))
    assert hand.stages_not_available() == {}
    # the per-PR table's coding hours: a first commit after the opening is 0 h, no first commit NaN
    prs = hand._rows["prs"]
    coding = dict(zip(hand.tables.pr_id(prs["pr_key"]), prs["coding_hours"]))
    assert coding["api#d"] == 0.0 and np.isnan(coding["api#e"]) and coding["api#b"] == 4.0


def test_the_stage_keys_are_in_the_json_summary(hand):
    body = json.loads(json.dumps(to_json(hand)))
    for stage in STAGES:
        assert f"{stage}_hours_median" in body["dora"] and f"{stage}_hours_p75" in body["dora"]
    assert body["dora"]["coding_hours_median"] == pytest.approx(3.0)
    assert body["cycle_time"]["bucket"] == "week" and body["cycle_time"]["not_available"] == {}
    assert "trends" not in body                              # a 7-day window has none


def without(kinds):
    return [r for r in hand_rows() if r["kind"] not in kinds]


def test_no_first_commit_in_the_data_makes_coding_na_with_its_reason():
    an = analysis_of(without({"pr_first_commit"}))
    assert an.summary["dora"]["coding_hours_median"] is None and an.summary["dora"]["coding_hours_p75"] is None
    assert an.stages_not_available() == {"coding": "the source gives no first commit"}
    assert "pr_first_commit" not in an.summary.get("missing", [])         # never asked for: few sources give it
    assert an.summary["dora"]["pickup_hours_median"] == pytest.approx(3.0)


def test_no_reviews_make_pickup_and_review_na():
    an = analysis_of(without({"pr_reviewed"}))
    assert an.summary["dora"]["pickup_hours_median"] is None and an.summary["dora"]["review_hours_p75"] is None
    assert an.stages_not_available() == {"pickup": "no reviews in this dataset", "review": "no reviews in this dataset"}
    assert an.summary["dora"]["coding_hours_median"] == pytest.approx(3.0)


def test_git_history_prs_have_no_coding_stage():
    rows = [dict(r, environment="git-history") if r["kind"] == "pr_created" else r for r in hand_rows()]
    an = analysis_of(rows)
    assert an.summary["dora"]["coding_hours_median"] is None
    assert an.stages_not_available() == {"coding": "git history dates a PR by its first commit: no coding stage"}


def test_a_pr_first_reviewed_after_its_merge_has_no_pickup_or_review_stage():
    # PR z created 01-06 00:00, merged 01:00, first reviewed 05:00 (after the merge): merged unreviewed; the
    # others' pickup 1 2 4 10 and review 1 2 4 10 stand (medians 3), where z would add 5 and -4
    rows = hand_rows() + [ev("2024-01-06T00:00:00Z", "pr_created", pr_id="z"),
                          ev("2024-01-06T01:00:00Z", "pr_merged", pr_id="z"),
                          ev("2024-01-06T05:00:00Z", "pr_reviewed", pr_id="z")]
    an = analysis_of(rows)
    assert an.summary["dora"]["pickup_hours_median"] == pytest.approx(3.0)
    assert an.summary["dora"]["review_hours_median"] == pytest.approx(3.0)
    assert an.stage_periods().loc[0, "review_prs"] == 4


def test_a_window_whose_prs_lack_a_stage_says_so():
    # the data holds reviews, but not in the window of 01-05 .. 01-06 (only PR e, unreviewed)
    an = analysis_of(hand_rows(), start="2024-01-05", end="2024-01-06")
    assert an.stages_not_available() == {"coding": "no PR of this window has a first commit",
                                         "pickup": "no PR of this window was reviewed",
                                         "review": "no PR of this window was reviewed and merged"}
    assert an.summary["dora"]["deploy_hours_median"] == pytest.approx(8.0)


def two_weeks():
    """PR x created Sunday 01-07 20:00, deployed Monday 01-08 02:00 (after its week's end): no deploy
    stage in week 1 (01-01), though the 14-day window times it; PR y created exactly at Monday
    01-08 00:00 (week 2), merged 01:00 and shipped by d6 at 02:00."""
    return hand_rows() + [
        ev("2024-01-07T20:00:00Z", "pr_created", pr_id="x"), ev("2024-01-07T21:00:00Z", "pr_reviewed", pr_id="x"),
        ev("2024-01-07T23:00:00Z", "pr_merged", pr_id="x"), ev("2024-01-08T02:00:00Z", "deploy", deploy_id="d6"),
        ev("2024-01-08T00:00:00Z", "pr_created", pr_id="y"), ev("2024-01-08T00:30:00Z", "pr_reviewed", pr_id="y"),
        ev("2024-01-08T01:00:00Z", "pr_merged", pr_id="y"), ev("2024-01-08T04:00:00Z", "deploy", deploy_id="d7")]


def test_stage_medians_per_week_with_a_pr_on_the_monday_and_a_deploy_after_its_week():
    an = analysis_of(two_weeks(), start="2024-01-01", end="2024-01-15")
    p = an.stage_periods()
    assert list(p["start"]) == [pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-01-08", tz="UTC")]
    assert list(p["days"]) == [7, 7] and list(p["prs"]) == [6, 1]
    # week 1: pickup 1 2 4 10 1 (x: 1 h) -> median 2; review 4 1 2 10 2 (x) -> 2; deploy 1 2 4 6 8 (x not: after
    # 01-08) -> 4; coding 0 2 4 12 -> 3
    assert p.loc[0, ["coding_hours_median", "pickup_hours_median", "review_hours_median", "deploy_hours_median"]].tolist() \
        == [3.0, 2.0, 2.0, 4.0]
    assert p.loc[0, "deploy_prs"] == 5 and p.loc[0, "pickup_prs"] == 5
    # week 2: y alone: pickup 0.5, review 0.5, deploy 1 (d6 at 02:00, the first deploy after its 01:00 merge), no coding
    assert np.isnan(p.loc[1, "coding_hours_median"])
    assert p.loc[1, ["pickup_hours_median", "review_hours_median", "deploy_hours_median"]].tolist() == [0.5, 0.5, 1.0]
    # the window as a whole times x's deploy: 1 1 2 3 4 6 8 (x: merged 23:00 -> d6 02:00 = 3 h; y 1 h) -> median 3
    assert an.summary["dora"]["deploy_hours_median"] == pytest.approx(3.0)


def test_the_stacked_chart_draws_the_period_medians():
    an = analysis_of(two_weeks(), start="2024-01-01", end="2024-01-15")
    fig = fg.cycle_time_stages(an.stage_periods(), STAGES, "light", "week", (an.window.start_ns, an.window.end_ns))
    assert fig.layout.barmode == "stack" and [t.name for t in fig.data] == STAGES
    ys = {t.name: list(t.y) for t in fig.data}
    assert ys == {"coding": [3.0, None], "pickup": [2.0, 0.5], "review": [2.0, 0.5], "deploy": [4.0, 1.0]}
    assert "Cycle time by stage (medians per week)" in fig.layout.title.text


def test_the_dora_tab_draws_the_stacked_chart_and_names_a_missing_stage():
    from dashboard.data import Computed
    from dashboard.tabs import dora
    from test_components import find, texts
    an = analysis_of(without({"pr_first_commit"}))
    _, charts = dora(Computed(an, an, "", "", ()), "light")
    graph = find(charts, {"type": "chart", "name": "lead-stages"})
    assert [t.name for t in graph.figure.data] == STAGES
    assert "coding n/a: the source gives no first commit" in graph.figure.layout.title.subtitle.text
    none = analysis_of([ev("2024-01-02T00:00:00Z", "deploy", deploy_id="z")])
    _, charts = dora(Computed(none, none, "", "", ()), "light")
    assert any(t.startswith("No cycle-time stage in this window: no pull requests in this dataset") for t in texts(charts))


# ----- monthly trends ------------------------------------------------------------------------

def trend_rows():
    """2024-01-01 .. 04-01 (91 days: January, February, March), service api, and a year earlier.

    January: deploys 01-10 ok, 01-20 failed, X 01-31 22:00 ok -> 3, 2 successful: 2/31 a day; failed only
      01-20 (the incident attributed to X starts in February) -> CFR 1/3 = 33.3 %; rework 0 of 3.
      PR p1 created 01-31 20:00, merged 21:00, shipped by X at 22:00: 2 h. PR p2 created 01-31 23:00, merged
      23:30, shipped 02-01 00:30 (after January's end): not deployed in January -> lead median 2 h.
    February: incident 02-01 00:00 (the month's first instant) .. 01:00, inferred to X (2 h before):
      attributed in February (X came before its end) -> recovery median 60 min; deploys 02-01 00:30 (during
      the incident: rework) and 02-15 hotfix, both ok: 2/29 a day, CFR 0 %, rework 2/2 = 100 %.
    March: no deployment: 0 a day, CFR and rework n/a; PR p3 created 03-01 00:00 exactly, reviewed 00:30,
      merged 01:00, never deployed: lead n/a, pickup 0.5, review 0.5.
    A year earlier: the data starts 2023-02-10 (a deploy): January 2023 is before it (all n/a); February
      2023: 1/28 a day, CFR 0 %; March 2023: 0 a day.
    """
    return [ev("2023-02-10T10:00:00Z", "deploy", deploy_id="old"),
            ev("2024-01-10T10:00:00Z", "deploy", deploy_id="j1"),
            ev("2024-01-20T10:00:00Z", "deploy", deploy_id="j2", status="failed"),
            ev("2024-01-31T22:00:00Z", "deploy", deploy_id="x"),
            ev("2024-01-31T20:00:00Z", "pr_created", pr_id="p1"), ev("2024-01-31T21:00:00Z", "pr_merged", pr_id="p1"),
            ev("2024-01-31T23:00:00Z", "pr_created", pr_id="p2"), ev("2024-01-31T23:30:00Z", "pr_merged", pr_id="p2"),
            ev("2024-02-01T00:00:00Z", "incident_start", incident_id="i"),
            ev("2024-02-01T01:00:00Z", "incident_resolved", incident_id="i"),
            ev("2024-02-01T00:30:00Z", "deploy", deploy_id="f1"),
            ev("2024-02-15T10:00:00Z", "deploy", deploy_id="f2", change_type="hotfix"),
            ev("2024-03-01T00:00:00Z", "pr_created", pr_id="p3"), ev("2024-03-01T00:30:00Z", "pr_reviewed", pr_id="p3"),
            ev("2024-03-01T01:00:00Z", "pr_merged", pr_id="p3")]


def trend_tables():
    frame, report = normalize(pd.DataFrame(trend_rows()))
    assert report.rejected_count == 0
    return tables_from_frame(frame)


@pytest.fixture(scope="module")
def year():
    return analyze(trend_tables(), Window.between("2024-01-01", "2024-04-01"))


def test_monthly_trends_by_hand(year):
    m = year.trends["months"]
    assert list(m["start"].dt.strftime("%Y-%m-%d")) == ["2024-01-01", "2024-02-01", "2024-03-01"]
    assert list(m["days"]) == [31, 29, 31]
    assert m["deploys_per_day"].tolist() == pytest.approx([2 / 31, 2 / 29, 0.0])
    assert m["change_failure_rate_pct"].tolist()[:2] == pytest.approx([100 / 3, 0.0])
    assert m["rework_rate_pct"].tolist()[:2] == pytest.approx([0.0, 100.0])
    assert np.isnan(m["change_failure_rate_pct"][2]) and np.isnan(m["rework_rate_pct"][2])
    assert np.isnan(m["failed_deployment_recovery_minutes_median"][0])
    assert m["failed_deployment_recovery_minutes_median"][1] == pytest.approx(60.0)
    assert m["lead_time_hours_median"][0] == pytest.approx(2.0) and np.isnan(m["lead_time_hours_median"][2])
    assert m["pickup_hours_median"][2] == pytest.approx(0.5) and m["review_hours_median"][2] == pytest.approx(0.5)
    # the window as a whole: X failed (the February incident is the window's), p2 shipped (1.5 h)
    assert year.summary["dora"]["change_failure_rate_pct"] == pytest.approx(200 / 5)
    assert year.summary["dora"]["lead_time_hours_median"] == pytest.approx((2 + 1.5) / 2)


def test_the_previous_years_months(year):
    p = year.trends["previous_year"]
    assert list(p["start"].dt.strftime("%Y-%m-%d")) == ["2023-01-01", "2023-02-01", "2023-03-01"]
    assert p.loc[0, list(TREND_KEYS)].isna().all()           # before the data's first event
    assert p["deploys_per_day"].tolist()[1:] == pytest.approx([1 / 28, 0.0])
    assert p.loc[1, "change_failure_rate_pct"] == 0.0


def test_each_month_equals_the_products_one_month_window(year):
    tables = trend_tables()
    for _, row in year.trends["months"].iterrows():
        one = analyze(tables, Window(row["start"].value, row["end"].value), with_trends=False)
        for key in TREND_KEYS:
            value = BY_KEY[key].value(one)
            assert (np.isnan(row[key]) if value is None else row[key] == pytest.approx(value)), (row["start"], key)


def test_each_month_of_a_synthetic_year_equals_its_one_month_window():
    from metrics import generate
    u = generate(150, 7, services=4, end="2024-06-20")
    an = analyze(u.tables, u.window)
    months = an.trends["months"]
    assert len(months) == 6 and months["days"].iloc[0] < 31            # a partial first month: the window's part
    for _, row in months.iterrows():
        one = analyze(u.tables, Window(row["start"].value, row["end"].value), with_trends=False)
        for key in TREND_KEYS:
            value = BY_KEY[key].value(one)
            assert (np.isnan(row[key]) if value is None else row[key] == pytest.approx(value)), (row["start"], key)


def test_no_trends_below_90_days_and_without_asking():
    tables = trend_tables()
    assert analyze(tables, Window.between("2024-01-01", "2024-03-30")).trends is None       # 89 days (2024 is a leap year)
    assert analyze(tables, Window.between("2024-01-01", "2024-03-30"), with_trends=False).trends is None
    assert analyze(tables, Window.between("2024-01-01", "2024-03-30")).stage_bucket == "week"
    exactly = analyze(tables, Window.between("2024-01-01", "2024-03-31"))                     # 90 days: trends
    assert exactly.window.days == 90 and exactly.trends is not None and exactly.stage_bucket == "month"
    assert analyze(tables, Window.between("2024-01-01", "2024-04-01")).stage_bucket == "month"


def test_a_metric_without_its_source_is_na_every_month():
    frame, _ = normalize(pd.DataFrame([r for r in trend_rows() if not r["kind"].startswith("incident")]))
    an = analyze(tables_from_frame(frame), Window.between("2024-01-01", "2024-04-01"))
    assert an.trends["months"]["failed_deployment_recovery_minutes_median"].isna().all()


def test_trends_in_the_command_lines_json(tmp_path):
    path = tmp_path / "trend.csv"
    pd.DataFrame(trend_rows()).to_csv(path, index=False)
    p = run_cli("--events", path, "--start", "2024-01-01", "--end", "2024-04-01", "--json")
    assert p.returncode == 0, p.stderr
    body = json.loads(p.stdout)
    assert [m["month"] for m in body["trends"]] == ["2024-01", "2024-02", "2024-03"]
    first = body["trends"][0]
    assert first["start"] == "2024-01-01T00:00:00Z" and first["end"] == "2024-02-01T00:00:00Z" and first["days"] == 31
    assert set(TREND_KEYS) <= set(first) and first["change_failure_rate_pct"] == pytest.approx(100 / 3)
    assert body["trends"][2]["change_failure_rate_pct"] is None
    assert body["trends"][0]["previous_year"]["deploys_per_day"] is None
    assert body["trends"][1]["previous_year"]["deploys_per_day"] == pytest.approx(1 / 28)
    assert body["cycle_time"]["bucket"] == "month" and len(body["cycle_time"]["periods"]) == 3
    short = json.loads(run_cli("--events", path, "--start", "2024-01-01", "--end", "2024-03-30", "--json").stdout)
    assert "trends" not in short and short["cycle_time"]["bucket"] == "week"


def test_the_trends_chart_draws_this_year_and_a_lighter_previous_year(year):
    keys = [("deploys_per_day", "Deployment frequency", "/day"), ("change_failure_rate_pct", "Change failure rate", "%")]
    fig = fg.monthly_trends(year.trends["months"], year.trends["previous_year"], keys, "light",
                            (year.window.start_ns, year.window.end_ns))
    assert len(fig.data) == 4
    now, before = fig.data[0], fig.data[1]
    assert list(now.y) == pytest.approx([2 / 31, 2 / 29, 0.0]) and list(before.y[1:]) == pytest.approx([1 / 28, 0.0])
    assert before.y[0] is None and before.opacity < 1 and (now.opacity is None or now.opacity == 1)
    assert list(fig.data[2].y[:2]) == pytest.approx([100 / 3, 0.0]) and fig.data[2].y[2] is None
    assert fig.data[2].yaxis == "y2" and fig.layout.yaxis2.domain[1] <= fig.layout.yaxis.domain[0]
    alone = fg.monthly_trends(year.trends["months"], None, keys, "light")
    assert len(alone.data) == 2 and "no earlier year" in alone.layout.title.subtitle.text


def test_out_of_order_prs_have_no_negative_stage_in_the_summary_or_the_drilldown():
    """PR x: created 10:00, merged 14:00 naming deployment d1 made at 11:00 (before the merge): its lead
    time runs to d1 (1 h, as METRICS.md defines it) but it has no deploy stage. PR y: created 10:00,
    merged 12:00, first reviewed 15:00 (after the merge): merged unreviewed, no pickup or review stage;
    shipped by d2 at 18:00 (deploy 6 h). The drill-down shows the stages as the summary counts them."""
    rows = [ev("2024-01-02T10:00:00Z", "pr_created", pr_id="x"),
            ev("2024-01-02T14:00:00Z", "pr_merged", pr_id="x", deploy_id="d1"),
            ev("2024-01-02T11:00:00Z", "deploy", deploy_id="d1"),
            ev("2024-01-03T10:00:00Z", "pr_created", pr_id="y"),
            ev("2024-01-03T12:00:00Z", "pr_merged", pr_id="y"),
            ev("2024-01-03T15:00:00Z", "pr_reviewed", pr_id="y"),
            ev("2024-01-03T18:00:00Z", "deploy", deploy_id="d2")]
    an = analysis_of(rows)
    d = an.summary["dora"]
    assert d["deploy_hours_median"] == pytest.approx(6.0)            # y alone: 12:00 -> 18:00
    assert d["pickup_hours_median"] is None and d["review_hours_median"] is None
    rows = an.pr_rows().set_index("pr_id")
    assert rows.loc["api#x", "lead_time_hours"] == pytest.approx(1.0) and np.isnan(rows.loc["api#x", "deploy_hours"])
    assert np.isnan(rows.loc["api#y", "pickup_hours"]) and np.isnan(rows.loc["api#y", "review_hours"])
    assert rows.loc["api#y", "deploy_hours"] == pytest.approx(6.0)


def test_a_git_history_pr_has_no_coding_stage_but_a_synced_pr_of_the_same_dataset_has_one():
    """git PR g (created at its first commit, environment git-history) and GitHub PR h (first commit
    01-02 06:00, opened 10:00: coding 4 h) in one dataset: coding counts h alone."""
    rows = [ev("2024-01-02T08:00:00Z", "pr_created", pr_id="g", environment="git-history"),
            ev("2024-01-02T08:00:00Z", "pr_first_commit", pr_id="g"),
            ev("2024-01-02T09:00:00Z", "pr_merged", pr_id="g"),
            ev("2024-01-02T06:00:00Z", "pr_first_commit", pr_id="h"),
            ev("2024-01-02T10:00:00Z", "pr_created", pr_id="h"),
            ev("2024-01-02T12:00:00Z", "pr_merged", pr_id="h"),
            ev("2024-01-02T13:00:00Z", "deploy", deploy_id="d1")]
    an = analysis_of(rows)
    assert an.summary["dora"]["coding_hours_median"] == pytest.approx(4.0)     # 0 h for g would make it 2
    back = tables_from_frame(normalize(pd.DataFrame(rows))[0])
    assert dict(zip(back.pr_id(back.prs["key"]), back.prs["git"])) == {"api#g": True, "api#h": False}
