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


def test_every_documented_function():
    from metrics import (compute_activity_metrics, compute_collaboration_metrics, compute_deployments_per_day,
                         compute_efficiency_metrics, compute_mttr, compute_performance_metrics, compute_pvm_dtr,
                         compute_pvm_iar, compute_pvm_vcr, compute_satisfaction_metrics, generate_events, to_dataframe)
    from metrics import analyze, generate
    df = to_dataframe(generate_events(14, 42, end="2026-11-22"))
    u = generate(14, 42, end="2026-11-22")
    s = analyze(u.tables, u.window).summary
    dpd = compute_deployments_per_day(df)
    assert len(dpd) == 14 and dpd.attrs["deploys_per_day"] == s["dora"]["deploys_per_day"]
    mttr = compute_mttr(df)
    assert len(mttr) == s["dora"]["incidents"]
    perf = compute_performance_metrics(df, mttr)
    assert perf["incident_rate_pct"] == s["space"]["incident_rate_pct"]
    assert perf["mttr_minutes_mean"] == pytest.approx(s["dora"]["mttr_minutes_mean"])
    assert compute_activity_metrics(df)["prs_created"].sum() / 14 == s["space"]["prs_per_day"]
    assert "review_turnaround_hours_mean" in compute_collaboration_metrics(df)
    assert compute_satisfaction_metrics(df)["responses"].sum() == s["space"]["satisfaction_responses"]
    assert "merge_time_hours_std" in compute_efficiency_metrics(df)
    assert compute_pvm_vcr(df)["vcr_pct"] == pytest.approx(s["pvm"]["vcr_pct"])
    assert compute_pvm_iar(df, 14)["iar_pct"] == pytest.approx(s["pvm"]["iar_pct"])
    assert compute_pvm_dtr(df)["dtr_pct"] == pytest.approx(s["pvm"]["dtr_pct"])


def test_to_dataframe_accepts_records_and_reports_rejections():
    import warnings

    from metrics import to_dataframe
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = to_dataframe([{"ts": "2024-01-01T00:00:00Z", "kind": "deploy", "service": "api"},
                           {"ts": "later", "kind": "deploy", "service": "api"}])
    assert len(df) == 1 and df.attrs["load_report"]["rejected"] == 1
    assert any("bad timestamp" in str(w.message) for w in caught)
