"""Bitbucket Cloud REST API JSON -> events, through the source registry (`import --from bitbucket`).

The fixtures (tests/fixtures/bitbucket/) are written by hand in the shapes of the documented
responses (`/2.0`), paginated pages (`values`, `next`, `page`, `pagelen`) one after another as a
user saves them:
- pull requests: https://developer.atlassian.com/cloud/bitbucket/rest/api-group-pullrequests/#api-repositories-workspace-repo-slug-pullrequests-get
- a pull request's activity: https://developer.atlassian.com/cloud/bitbucket/rest/api-group-pullrequests/#api-repositories-workspace-repo-slug-pullrequests-pull-request-id-activity-get
- deployments: https://developer.atlassian.com/cloud/bitbucket/rest/api-group-deployments/#api-repositories-workspace-repo-slug-deployments-get
  (state `completion_date`, the `deployment_state_completed` schema of the same page)
- environments: https://developer.atlassian.com/cloud/bitbucket/rest/api-group-deployments/#api-repositories-workspace-repo-slug-environments-get
- pagination: https://developer.atlassian.com/cloud/bitbucket/rest/intro/#pagination
Every expected event below is worked out by hand from the fixtures.
"""
from __future__ import annotations

import json

from api_exports import events, loader, pages, rejections, write
from conftest import FIXTURES

BB = FIXTURES / "bitbucket"
load = loader("bitbucket")
D1, D2, D5, D6 = ("{d%d000000-0000-4000-8000-00000000000%d}" % (n, n) for n in (1, 2, 5, 6))
SHOP_AT = "shop@"                      # a deployment id qualified with its service (metrics.ingest.ids)


def test_pull_requests_and_their_activity():
    frame, report = load(BB / "pullrequests.json")
    assert events(frame) == sorted([
        # 12: merged at its activity's update to MERGED (12:00), not at updated_on (16:00, a later comment);
        # Dee requested changes at 09:30, Ben approved at 10:00, Dee approved at 11:00
        ("pr_created", "shop#12", "06-03 08:00", "", "ana"),
        ("pr_merged", "shop#12", "06-03 12:00", "", ""),
        ("pr_reviewed", "shop#12", "06-03 09:30", "", "dee"),
        ("pr_reviewed", "shop#12", "06-03 10:00", "", "ben"),
        ("pr_reviewed", "shop#12", "06-03 11:00", "", "dee"),
        # 13: its activity is not in the file: merged at updated_on
        ("pr_created", "shop#13", "06-04 09:00", "", "ben"),
        ("pr_merged", "shop#13", "06-04 10:30", "", ""),
        # 14 declined: skipped; 15 open: created only
        ("pr_created", "shop#15", "06-05 07:00", "", "dee"),
    ])
    # the service is the slug of "acme/shop", not the repository's name "Shop"
    assert set(frame["service"]) == {"shop"}
    assert report.skipped == {"declined or superseded pull requests (closed without merging)": 1,
                              "comments (approvals and change requests are the reviews)": 2,
                              "pull request updates other than the merge": 1}
    assert report.warnings == ["1 merged pull request(s) came without their activity: merged at updated_on, which a "
                               "later comment moves (save each one's activity, pullrequests/ID/activity, in the same "
                               "file for the merge's own time)"]
    assert report.rejected_count == 0


def test_activity_without_its_pull_requests(tmp_path):
    docs = pages(BB / "pullrequests.json")
    frame, report = load(write(tmp_path, "activity.json", json.dumps(docs[2]) + "\n" + json.dumps(docs[3])))
    # the reviews stand on their own (their pull request is in their links); the merge's update does not
    assert events(frame) == [("pr_reviewed", "shop#12", "06-03 09:30", "", "dee"),
                             ("pr_reviewed", "shop#12", "06-03 10:00", "", "ben"),
                             ("pr_reviewed", "shop#12", "06-03 11:00", "", "dee")]
    assert report.skipped["merge updates of pull requests not merged in this file (a pull request's own file "
                          "dates its merge)"] == 1
    # and the pull requests alone are merged at updated_on: 12 at 16:00
    frame, report = load(write(tmp_path, "activity.json", docs[0]))
    merged = frame[frame["kind"] == "pr_merged"]
    assert sorted(zip(merged["pr_id"], merged["ts"].astype(str).str[5:16])) == [("shop#12", "06-03 16:00"),
                                                                               ("shop#13", "06-04 10:30")]
    assert report.warnings[0].startswith("2 merged pull request(s) came without their activity")


def test_deployments_and_their_environments():
    frame, report = load(BB / "deployments.json")
    # d6 and d1 to "Production EU" (type Production): production; d5 to Staging; d2 failed; d3 stopped
    # and d4 in progress are skipped
    assert events(frame) == [("deploy", SHOP_AT + D1, "06-03 14:00", "success", ""), ("deploy", SHOP_AT + D2, "06-04 11:00", "failed", ""),
                             ("deploy", SHOP_AT + D5, "06-04 12:00", "success", ""), ("deploy", SHOP_AT + D6, "06-05 10:00", "success", "")]
    assert dict(zip(frame["deploy_id"], frame["environment"])) == {SHOP_AT + D1: "production", SHOP_AT + D2: "production", SHOP_AT + D5: "staging",
                                                                  SHOP_AT + D6: "production"}
    assert set(frame["service"]) == {"shop"}
    assert report.skipped == {"environments (they name the deployments' environments)": 3,
                              "deployments not completed (IN_PROGRESS)": 1,
                              "deployments stopped or with no outcome (STOPPED)": 1}
    # --production names the environment (by name or type): Staging is then production, Production EU is not
    frame, _ = load(BB / "deployments.json", production="STAGING")
    assert dict(zip(frame["deploy_id"], frame["environment"])) == {SHOP_AT + D1: "production eu", SHOP_AT + D2: "production eu",
                                                                  SHOP_AT + D5: "production", SHOP_AT + D6: "production eu"}


def test_a_deployment_names_its_environment_or_the_file_does(tmp_path):
    docs = pages(BB / "deployments.json")
    d1, d5 = docs[2]["values"][2], docs[1]["values"][1]
    named = dict(d1, environment=dict(d1["environment"], name="Production"))       # the schema's optional name
    # no environments list
    frame, report = load(write(tmp_path, "deployments.json", {"page": 1, "pagelen": 10, "values": [named, d5]}))
    assert events(frame) == [("deploy", SHOP_AT + D1, "06-03 14:00", "success", "")]
    assert set(frame["environment"]) == {"production"}
    assert rejections(report) == [
        ("record 2", "deployment to environment {e2000000-0000-4000-8000-000000000002}, which this file does not name "
                     "(save the environments, environments/, in the same file as the deployments)")]


def test_the_service_option_sets_every_events_service():
    frame, _ = load(BB / "lead_time.json", service="storefront")
    assert set(frame["service"]) == {"storefront"} and "storefront#shop#22" in set(frame["pr_id"])


def test_records_missing_a_field_are_rejected_with_the_reason(tmp_path):
    docs = pages(BB / "pullrequests.json")
    pr, approval = docs[0]["values"][1], docs[3]["values"][0]
    deployment = pages(BB / "deployments.json")[2]["values"][2]
    no_repository = {**pr, "destination": {"branch": {"name": "main"}}, "links": {}}
    merged_undated = {k: v for k, v in pr.items() if k != "updated_on"}
    values = [pr, {k: v for k, v in pr.items() if k != "created_on"}, no_repository, merged_undated,
              dict(pr, id=16, state="WIP"), dict(approval, pull_request={"type": "pullrequest", "id": 12}),
              {"pull_request": approval["pull_request"], "approval": "yes"},
              {k: v for k, v in deployment.items() if k != "uuid"}, {"type": "repository", "full_name": "acme/shop"}, "x"]
    frame, report = load(write(tmp_path, "mixed.json", {"pagelen": 10, "values": values}))
    assert sorted(rejections(report)) == [
        ("record 10", "not a JSON object (str)"),
        ("record 2", "pull request without created_on"),
        ("record 3", "pull request without destination.repository.full_name"),
        ("record 4", "pull request without updated_on"),
        ("record 5", "pull request in state 'WIP' (OPEN, MERGED, DECLINED or SUPERSEDED)"),
        ("record 6", "activity entry whose pull_request names no repository and id (links.self)"),
        ("record 7", "activity entry that is not an approval, change request, update or comment"),
        ("record 8", "deployment without uuid"),
        ("record 9", "not a Bitbucket Cloud pull request, pull request activity, deployment or environment"),
    ]
    assert events(frame) == [("pr_created", "shop#13", "06-04 09:00", "", "ben"),
                             ("pr_merged", "shop#13", "06-04 10:30", "", "")]


def test_other_activity_is_skipped(tmp_path):
    about = pages(BB / "pullrequests.json")[3]["values"][0]["pull_request"]
    frame, report = load(write(tmp_path, "activity.json", {"values": [{"pull_request": about,
                                                                        "task": {"id": 1, "state": "RESOLVED"}}]}))
    assert len(frame) == 0 and report.skipped == {"other activity (tasks, attachments)": 1}


def test_a_bad_time_is_rejected_by_validation(tmp_path):
    approval = pages(BB / "pullrequests.json")[3]["values"][0]
    frame, report = load(write(tmp_path, "activity.json",
                               {"values": [dict(approval, approval=dict(approval["approval"], date="soon"))]}))
    assert len(frame) == 0 and list(report.rejected["reason"]) == ["bad timestamp 'soon'"]
