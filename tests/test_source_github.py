"""GitHub REST API exports -> events (fixtures from the API documentation)."""
import json

import pytest

from conftest import FIXTURES, run_cli
from metrics.ingest import load_events
from metrics.ingest.sources import reader_for


GITHUB = FIXTURES / "github"

@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("METRICS_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_github_pulls_reviews_and_deployment_statuses():
    frame, report = load_events([GITHUB / "pulls.json", GITHUB / "reviews.json", GITHUB / "deployments.json"],
                                reader=reader_for("github"))
    got = sorted((r.kind, r.pr_id or r.deploy_id, str(r.ts)[5:16], r.status, r.environment) for r in frame.itertuples())
    assert got == [
        ("deploy", "501", "05-01 16:00", "success", "production"),     # first final status; in_progress/inactive skipped
        ("deploy", "502", "05-03 21:00", "failed", "production"),      # failure
        ("deploy", "503", "05-03 22:00", "success", "staging"),
        ("pr_created", "#10", "05-01 09:00", "", ""), ("pr_created", "#11", "05-02 10:00", "", ""),
        ("pr_created", "#12", "05-03 08:00", "", ""),
        ("pr_merged", "#10", "05-01 15:00", "", ""), ("pr_merged", "#12", "05-03 20:00", "", ""),   # #11 never merged
        ("pr_reviewed", "#10", "05-01 11:00", "", ""), ("pr_reviewed", "#12", "05-03 12:00", "", ""),
    ]
    assert set(frame["service"]) == {"shop"}
    assert report.skipped["pending reviews (not submitted)"] == 1
    assert report.skipped["deployment statuses that are not final (in_progress)"] == 1
    assert sum(report.skipped.values()) == 4 and report.rejected_count == 0


def test_github_import_gives_dora_numbers(data_dir):
    p = run_cli("import", "--from", "github", GITHUB / "pulls.json", GITHUB / "reviews.json",
                GITHUB / "deployments.json", "--name", "gh")
    assert p.returncode == 0, p.stderr
    d = json.loads(run_cli("--dataset", "gh", "--json").stdout)
    # #10: created 05-01 09:00, first successful production deploy after its 15:00 merge is 501 at 16:00 -> 7 h;
    # #12 merged 05-03 20:00: 502 failed, 503 is staging -> not deployed
    assert d["dora"]["lead_time_hours_median"] == pytest.approx(7.0)
    assert (d["dora"]["deployments"], d["dora"]["change_failure_rate_pct"]) == (2, 50.0)
    # reviews: #10 09:00 -> 11:00 (2 h), #12 08:00 -> 12:00 (4 h)
    assert d["space"]["review_turnaround_hours_mean"] == pytest.approx(3.0)


def test_github_workflow_runs_by_name_or_file():
    frame, report = load_events([GITHUB / "workflow_runs.json"], reader=reader_for("github"))
    assert sorted(zip(frame["deploy_id"], frame["status"], frame["ts"].astype(str))) == [
        ("run-30433650", "success", "2024-05-01 15:40:00+00:00"),    # "Release" from deploy-production.yml
        ("run-30433670", "failed", "2024-05-03 21:00:00+00:00")]
    assert report.skipped == {"workflow runs not matching --deploy-workflow '*deploy*'": 1,
                              "deployment workflow runs with no outcome (cancelled)": 1}
    frame, report = load_events([GITHUB / "workflow_runs.json"], reader=reader_for("github", deploy_workflow="ci"))
    assert list(frame["deploy_id"]) == ["run-30433642"]


def test_service_option_fills_records_without_one(tmp_path, data_dir):
    runs = json.loads((GITHUB / "workflow_runs.json").read_text().split("\n}\n{")[0] + "\n}")
    for run in runs["workflow_runs"]:
        del run["repository"]                          # an export trimmed by jq: no repository
    path = tmp_path / "runs.json"
    path.write_text(json.dumps(runs))
    frame, report = load_events([path], reader=reader_for("github"))
    assert report.rejected["reason"].tolist() == ["missing required field service"]
    frame, report = load_events([path], reader=reader_for("github"), service="shop")
    assert report.rejected_count == 0 and list(frame["service"]) == ["shop"]


