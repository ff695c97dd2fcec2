"""GitLab REST API exports -> events (fixtures from the API documentation)."""
import json


from conftest import FIXTURES, run_cli
from metrics.ingest import load_events
from metrics.ingest.sources import reader_for


GITLAB = FIXTURES / "gitlab"



def test_gitlab_merge_requests_and_deployments(data_dir):
    frame, report = load_events([GITLAB / "merge_requests.json", GITLAB / "deployments.json"], reader=reader_for("gitlab"))
    got = sorted((r.kind, r.pr_id or r.deploy_id, str(r.ts)[5:16], r.status) for r in frame.itertuples())
    assert got == [("deploy", "41", "06-03 14:00", "success"), ("deploy", "42", "06-04 10:00", "failed"),
                   ("pr_created", "!1", "06-03 08:00", ""), ("pr_created", "!2", "06-04 09:00", ""),
                   ("pr_merged", "!1", "06-03 12:00", "")]
    assert set(frame["service"]) == {"shop"} and report.skipped == {"deployments that did not finish (running)": 1}
    run_cli("import", "--from", "gitlab", GITLAB / "merge_requests.json", GITLAB / "deployments.json", "--name", "gl")
    d = json.loads(run_cli("--dataset", "gl", "--json").stdout)["dora"]
    # !1: 06-03 08:00 -> deploy 41 at 14:00 = 6 h; one of two deploys failed
    assert (d["lead_time_hours_median"], d["change_failure_rate_pct"]) == (6.0, 50.0)


