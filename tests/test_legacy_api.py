"""The seed documents' "Testing Your Customizations" commands keep working."""
import subprocess

import pytest
import sys

from conftest import ROOT


def run_python(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_seed_document_commands():
    p = run_python("from metrics import *; events = generate_events(7, 1); df = to_dataframe(events); "
                   "print(compute_activity_metrics(df))")
    assert p.returncode == 0, p.stderr
    assert "prs_created" in p.stdout and len(p.stdout.splitlines()) == 8   # header + 7 days


# A hand-made event set: four whole UTC days, Monday 2024-01-01 to Thursday 2024-01-04, so the default
# window (METRICS.md section 2) is [2024-01-01, 2024-01-05), 4 days, 4 working days (Mon-Thu).
HAND_EVENTS = [
    # 5 production deployments, 4 successful (d2 failed); d5 is a hotfix
    ("2024-01-01T10:00:00Z", "deploy", "api", {"deploy_id": "d1"}),
    ("2024-01-02T10:00:00Z", "deploy", "api", {"deploy_id": "d2", "status": "failed"}),
    ("2024-01-03T10:00:00Z", "deploy", "api", {"deploy_id": "d3"}),
    ("2024-01-04T10:00:00Z", "deploy", "web", {"deploy_id": "d4"}),
    ("2024-01-04T12:00:00Z", "deploy", "web", {"deploy_id": "d5", "change_type": "hotfix"}),
    # 2 incidents: 30 and 90 minutes
    ("2024-01-03T11:00:00Z", "incident_start", "api", {"incident_id": "i1"}),
    ("2024-01-03T11:30:00Z", "incident_resolved", "api", {"incident_id": "i1"}),
    ("2024-01-04T13:00:00Z", "incident_start", "web", {"incident_id": "i2"}),
    ("2024-01-04T14:30:00Z", "incident_resolved", "web", {"incident_id": "i2"}),
    # 2 PRs: reviewed after 4 h and 2 h, merged after 12 h and 6 h
    ("2024-01-01T08:00:00Z", "pr_created", "api", {"pr_id": "api#1"}),
    ("2024-01-01T12:00:00Z", "pr_reviewed", "api", {"pr_id": "api#1"}),
    ("2024-01-01T20:00:00Z", "pr_merged", "api", {"pr_id": "api#1"}),
    ("2024-01-02T09:00:00Z", "pr_created", "api", {"pr_id": "api#2"}),
    ("2024-01-02T11:00:00Z", "pr_reviewed", "api", {"pr_id": "api#2"}),
    ("2024-01-02T15:00:00Z", "pr_merged", "api", {"pr_id": "api#2"}),
    # 2 survey answers (4 and 2); 10 platform hours; 60 min incident response; 30 min toil
    ("2024-01-02T16:00:00Z", "satisfaction_survey", "team", {"metric_value": 4}),
    ("2024-01-03T12:00:00Z", "satisfaction_survey", "team", {"metric_value": 2}),
    ("2024-01-01T18:00:00Z", "platform_investment_hour", "platform", {"metric_value": 10}),
    ("2024-01-03T12:00:00Z", "incident_response", "api", {"metric_value": 60}),
    ("2024-01-04T09:00:00Z", "toil", "platform", {"metric_value": 30}),
]


def test_every_documented_function_on_hand_computed_events():
    """Each seed-document function on ``HAND_EVENTS``, against numbers worked out by hand (METRICS.md)."""
    from metrics import (compute_activity_metrics, compute_collaboration_metrics, compute_deployments_per_day,
                         compute_efficiency_metrics, compute_mttr, compute_performance_metrics, compute_pvm_dtr,
                         compute_pvm_iar, compute_pvm_vcr, compute_satisfaction_metrics, to_dataframe)
    df = to_dataframe([{"ts": ts, "kind": kind, "service": service, **extra} for ts, kind, service, extra in HAND_EVENTS])
    days = ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]
    dpd = compute_deployments_per_day(df)
    assert [str(d.date()) for d in dpd["date"]] == days
    assert dpd["deployments"].tolist() == [1, 1, 1, 2] and dpd["successful_deployments"].tolist() == [1, 0, 1, 2]
    assert dpd.attrs["deploys_per_day"] == 1.0                     # 4 successful / 4 days
    mttr = compute_mttr(df)
    assert mttr["incident_id"].tolist() == ["i1", "i2"] and mttr["recovery_minutes"].tolist() == [30.0, 90.0]
    perf = compute_performance_metrics(df, mttr)
    assert perf == {"incident_rate_pct": 40.0,                    # 2 incidents / 5 deployments x 100
                    "incidents": 2, "deployments": 5,
                    "mttr_minutes_mean": 60.0,                    # (30 + 90) / 2
                    "mttr_minutes_median": 60.0,
                    "mttr_minutes_p95": 87.0}                     # linear: 30 + 0.95 x (90 - 30)
    activity = compute_activity_metrics(df)
    assert [activity[c].tolist() for c in ("prs_created", "reviews", "merges")] == [[1, 1, 0, 0]] * 3
    collaboration = compute_collaboration_metrics(df)             # one ISO week (Monday 2024-01-01)
    assert [str(w.date()) for w in collaboration["week"]] == ["2024-01-01"]
    assert collaboration.iloc[0][["review_turnaround_hours_mean", "review_turnaround_hours_median",
                                  "reviewed_prs"]].tolist() == [3.0, 3.0, 2]       # (4 h + 2 h) / 2
    satisfaction = compute_satisfaction_metrics(df)
    assert satisfaction.iloc[0][["satisfaction_mean", "responses"]].tolist() == [3.0, 2]   # (4 + 2) / 2
    efficiency = compute_efficiency_metrics(df)
    assert efficiency.iloc[0]["merge_time_hours_mean"] == 9.0     # (12 h + 6 h) / 2
    assert efficiency.iloc[0]["merge_time_hours_std"] == pytest.approx(18 ** 0.5)   # ((3^2 + 3^2) / (2 - 1)) ** 0.5
    assert efficiency.iloc[0]["merged_prs"] == 2
    # value 4 successful x 200 USD = 800; cost (10 h + 60 min + 30 min) x 150 USD/h = 11.5 x 150 = 1,725
    assert compute_pvm_vcr(df) == pytest.approx({"vcr_pct": 800 / 1725 * 100, "total_value_usd": 800.0,
                                                 "total_cost_usd": 1725.0, "platform_hours": 10.0})
    # halves of 2 days: Jan 1-2 hold 1 successful deployment, Jan 3-4 hold 3: (3 - 1) / 1 x 100
    iar = compute_pvm_iar(df)
    assert (iar["iar_pct"], iar["first_period_deploys"], iar["second_period_deploys"]) == (200.0, 1, 3)
    # the last 2 days only: Jan 3 (1) against Jan 4 (2): (2 - 1) / 1 x 100
    iar = compute_pvm_iar(df, 2)
    assert (iar["iar_pct"], iar["first_period_deploys"], iar["second_period_deploys"]) == (100.0, 1, 2)
    # the last 14 days: Dec 22-28 hold no deployment, so growth is n/a, never a number
    assert compute_pvm_iar(df, 14)["iar_pct"] is None
    # toil 60 + 30 = 90 min; capacity 8 developers x 8 h x 4 working days x 60 = 15,360; feature 15,270
    assert compute_pvm_dtr(df) == pytest.approx({"dtr_pct": 90 / 15270 * 100, "toil_minutes": 90.0,
                                                 "feature_minutes": 15270.0})


def test_to_dataframe_accepts_records_and_reports_rejections():
    import warnings

    from metrics import to_dataframe
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = to_dataframe([{"ts": "2024-01-01T00:00:00Z", "kind": "deploy", "service": "api"},
                           {"ts": "later", "kind": "deploy", "service": "api"}])
    assert len(df) == 1 and df.attrs["load_report"]["rejected"] == 1
    assert any("bad timestamp" in str(w.message) for w in caught)
