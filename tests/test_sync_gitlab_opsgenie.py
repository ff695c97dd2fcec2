"""``sync gitlab`` and ``sync opsgenie`` against APIs served on 127.0.0.1 (tests/fake_apis.py), and
the Opsgenie importer on the same objects."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from metrics import store
from metrics.ingest import load_events
from metrics.registry.source import source as registered
from metrics.ingest.sync import http
from metrics.ingest.sync.config import source_of
from metrics.ingest.sync.run import sync

from fake_apis import FakeGitLab, FakeOpsgenie

NOW = datetime(2024, 3, 20, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr(http, "BACKOFF_SECONDS", 0.0)


def note(iid, created, username, body="Looks good", system=False):
    return {"id": hash((iid, created)) % 10**6, "body": body, "author": {"username": username}, "created_at": created,
            "system": system, "noteable_type": "MergeRequest", "noteable_iid": iid}


def test_gitlab_merge_requests_notes_and_deployments_with_x_next_page():
    with FakeGitLab() as gl:
        for iid in range(1, 26):                       # 25 MRs: two pages of 20 (the API's default) ... of 100
            gl.add_merge_request(iid, f"2024-03-{iid % 20 + 1:02d}T09:00:00Z", f"2024-03-{iid % 20 + 1:02d}T12:00:00Z",
                                 merged=f"2024-03-{iid % 20 + 1:02d}T12:00:00Z")
        gl.notes[1] = [note(1, "2024-03-02T10:00:00Z", "dave"),
                       note(1, "2024-03-02T11:00:00Z", "dave", "approved this merge request", system=True),
                       note(1, "2024-03-02T11:30:00Z", "gitlab", "added 1 commit", system=True)]
        gl.add_deployment(7, "2024-03-05T10:00:00Z", "2024-03-05T10:06:00Z")
        gl.add_deployment(8, "2024-03-06T10:00:00Z", "2024-03-06T10:01:00Z", status="running")
        source = source_of({"type": "gitlab", "project": "acme/web", "dataset": "web", "api_url": gl.url,
                            "since": "2024-02-01"}, "t")
        outcome = sync(source, environ={"GITLAB_TOKEN": gl.token}, now=NOW)
        mr_pages = [q for p, q in gl.requests if p.endswith("/merge_requests")]
    frame = store.load("web")
    counts = frame["kind"].value_counts().to_dict()
    # each merged MR's size (these change no file: 0 lines and files)
    assert counts == {"pr_created": 25, "pr_merged": 25, "pr_reviewed": 2, "deploy": 1, "pr_lines_added": 25,
                      "pr_lines_removed": 25, "pr_files_changed": 25, "pr_ai_assisted": 25}
    reviews = frame[frame["kind"] == "pr_reviewed"]
    assert set(reviews["pr_id"]) == {"web!1"} and set(reviews["service"]) == {"web"}
    assert str(frame[frame["kind"] == "deploy"]["ts"].iloc[0]) == "2024-03-05 10:06:00+00:00"
    assert outcome.rejected == 0 and outcome.skipped["system notes other than approvals"] == 1
    assert len(mr_pages) == 1 and mr_pages[0]["order_by"] == "updated_at"


def test_gitlab_second_sync_asks_for_what_was_updated_after_the_last():
    with FakeGitLab() as gl:
        gl.add_merge_request(1, "2024-03-01T09:00:00Z", "2024-03-01T12:00:00Z", merged="2024-03-01T12:00:00Z")
        source = source_of({"type": "gitlab", "project": "acme/web", "dataset": "web", "api_url": gl.url,
                            "since": "2024-02-01"}, "t")
        sync(source, environ={"GITLAB_TOKEN": gl.token}, now=NOW)
        gl.requests.clear()
        sync(source, environ={"GITLAB_TOKEN": gl.token}, now=NOW)
        asked = [q.get("updated_after") for p, q in gl.requests if p.endswith("/merge_requests")]
        notes = [p for p, _ in gl.requests if p.endswith("/notes")]
    assert asked == ["2024-03-01T12:00:00Z"] and notes == []


MONOREPO = {"service_paths": {"api": "services/api/**", "web": ["apps/web/**", "libs/ui"]},
            "tag_patterns": {"api": "api-v*", "web": "web-v*"}}


def platform(gl: FakeGitLab) -> None:
    """A monorepo: !1 changes services/api (created 03-01 09:00, merged 03-02 10:00); !2 (03-03 09:00,
    merged 03-05 12:00) services/api on its first page of diffs and libs/ui on its second; !3 only
    docs; !4 is open; !5 (03-06 08:00, merged 09:00) moves apps/web/legacy.js out of apps/web.
    Deployments: 11 of api-v1 ends 03-02 11:00, 12 of web-v1 03-06 11:00, 13 of main 03-06 12:00,
    14 of api-v2 03-06 15:00."""
    for iid, created, merged in ((1, "2024-03-01T09:00:00Z", "2024-03-02T10:00:00Z"),
                                 (2, "2024-03-03T09:00:00Z", "2024-03-05T12:00:00Z"),
                                 (3, "2024-03-04T09:00:00Z", "2024-03-04T15:00:00Z"),
                                 (4, "2024-03-10T09:00:00Z", None),
                                 (5, "2024-03-06T08:00:00Z", "2024-03-06T09:00:00Z")):
        gl.add_merge_request(iid, created, merged or "2024-03-10T09:30:00Z", merged=merged)
    gl.diffs = {1: ["services/api/app.py"],
                2: ["services/api/app.py"] + [f"docs/page{n}.md" for n in range(20)] + ["libs/ui/button.js"],
                3: ["docs/readme.md"], 4: ["apps/web/new.js"], 5: [("apps/web/legacy.js", "archive/legacy.js")]}
    gl.notes = {2: [note(2, "2024-03-04T10:00:00Z", "dave")], 3: [note(3, "2024-03-04T12:00:00Z", "dave")]}
    for ident, ref, finished in ((11, "api-v1", "2024-03-02T11:00:00Z"), (12, "web-v1", "2024-03-06T11:00:00Z"),
                                 (13, "main", "2024-03-06T12:00:00Z"), (14, "api-v2", "2024-03-06T15:00:00Z")):
        gl.add_deployment(ident, finished, finished, ref=ref)


def test_gitlab_monorepo_gives_each_service_its_merge_requests_and_deployments(data_dir):
    from conftest import run_cli
    with FakeGitLab("acme/platform") as gl:
        platform(gl)
        source = source_of({"type": "gitlab", "project": "acme/platform", "dataset": "platform", "api_url": gl.url,
                            "since": "2024-02-01", **MONOREPO}, "t")
        outcome = sync(source, environ={"GITLAB_TOKEN": gl.token}, now=NOW)
        diffs = [(p.split("/")[-2], q.get("page", "1"), q.get("per_page")) for p, q in gl.requests if p.endswith("/diffs")]
    # merged MRs only, every page (20 files a page: !2's libs/ui is on page 2), no per_page asked
    assert sorted(diffs) == [("1", "1", None), ("2", "1", None), ("2", "2", None), ("3", "1", None), ("5", "1", None)]
    frame = store.load("platform")

    def pairs(kind, column):
        rows = frame[frame["kind"] == kind]
        return sorted(zip(rows[column], rows["service"]))

    assert pairs("pr_created", "pr_id") == [("api!1", "api"), ("api!2", "api"), ("web!2", "web"), ("web!5", "web")]
    assert pairs("pr_merged", "pr_id") == pairs("pr_created", "pr_id")
    assert pairs("pr_reviewed", "pr_id") == [("api!2", "api"), ("web!2", "web")]
    assert pairs("deploy", "deploy_id") == [("api@11", "api"), ("api@14", "api"), ("web@12", "web")]
    assert {k: n for k, n in outcome.skipped.items() if not k.startswith("approval lists")} == {
        "merge request events touching no service_paths path": 7,     # !3: created, merged, note, 3 sizes, AI verdict
        "events of merge requests not merged yet (placed when they merge, by the paths they change)": 1,  # !4 created
        "deployments whose ref matches no tag_patterns": 1}                                      # 13 (main)
    assert outcome.rejected == 0

    def dora(svc):
        return json.loads(run_cli("--dataset", "platform", "--json", "--only-service", svc).stdout)["dora"]

    # api: !1 03-01 09:00 -> 11 at 03-02 11:00 = 26 h; !2 03-03 09:00 -> 14 at 03-06 15:00 = 78 h; median 52
    assert dora("api")["lead_time_hours_median"] == 52.0
    # web: !2 03-03 09:00 -> 12 at 03-06 11:00 = 74 h; !5 03-06 08:00 -> 12 at 03-06 11:00 = 3 h; median 38.5
    assert dora("web")["lead_time_hours_median"] == 38.5


def test_gitlab_monorepo_mr_is_placed_when_it_merges(data_dir):
    with FakeGitLab("acme/platform") as gl:
        platform(gl)
        source = source_of({"type": "gitlab", "project": "acme/platform", "dataset": "platform", "api_url": gl.url,
                            "since": "2024-02-01", **MONOREPO}, "t")
        sync(source, environ={"GITLAB_TOKEN": gl.token}, now=NOW)
        mr = gl.merge_requests[3]
        mr.update(state="merged", merged_at="2024-03-11T09:00:00Z", updated_at="2024-03-11T09:00:00Z")
        gl.requests.clear()
        outcome = sync(source, environ={"GITLAB_TOKEN": gl.token}, now=NOW)
        diffs = [p.split("/")[-2] for p, _ in gl.requests if p.endswith("/diffs")]
    frame = store.load("platform")
    assert diffs == ["4"]
    assert set(outcome.skipped) == {"approval lists (they carry no time; the approval's system note does)"}
    # with its size: apps/web/new.js, one line replaced (1 added, 1 removed, 1 file)
    placed = frame[frame["pr_id"] == "web!4"]
    assert sorted(zip(placed["kind"], placed["metric_value"].fillna(-1))) == [
        ("pr_ai_assisted", 0), ("pr_created", -1), ("pr_files_changed", 1), ("pr_lines_added", 1), ("pr_lines_removed", 1), ("pr_merged", -1)]


def incident(ident, created, status="resolved", updated=None):
    return {"id": ident, "tinyId": ident[-2:], "message": "Checkout down", "status": status, "createdAt": created,
            "updatedAt": updated or created, "impactedServices": ["checkout"], "priority": "P2"}


def test_opsgenie_pages_by_paging_next_and_rechecks_open_incidents():
    with FakeOpsgenie() as og:
        for n in range(230):
            og.incidents.append(incident(f"inc-{n:03d}", f"2024-03-{1 + n % 15:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
                                         updated=f"2024-03-{1 + n % 15:02d}T{n % 24:02d}:{n % 60:02d}:30Z"))
        og.incidents.append(incident("inc-open", "2024-03-18T08:00:00Z", status="open"))
        source = source_of({"type": "opsgenie", "dataset": "ops", "api_url": og.url, "since": "2024-02-01"}, "t")
        first = sync(source, environ={"OPSGENIE_API_KEY": og.token}, now=NOW)
        pages = [q for p, q in og.requests if p == "/v1/incidents"]
        og.incidents[-1].update(status="closed", updatedAt="2024-03-19T09:30:00Z")
        og.requests.clear()
        second = sync(source, environ={"OPSGENIE_API_KEY": og.token}, now=NOW)
        asked = og.paths()
    assert [int(q["offset"]) for q in pages] == [0, 100, 200]          # paging.next, 100 a page
    assert first.added == 230 * 2 + 1 and second.added == 1
    assert asked[0] == "/v1/incidents/inc-open"
    frame = store.load("ops")
    done = frame[(frame["incident_id"] == "inc-open") & (frame["kind"] == "incident_resolved")]
    assert str(done["ts"].iloc[0]) == "2024-03-19 09:30:00+00:00"


def test_opsgenie_import_of_list_and_single_exports(tmp_path):
    page = {"data": [incident("a1", "2024-03-01T10:00:00Z", updated="2024-03-01T11:15:00Z"),
                     incident("a2", "2024-03-02T10:00:00Z", status="open")],
            "paging": {"first": "https://api.opsgenie.com/v1/incidents?offset=0"}, "took": 0.1, "requestId": "x"}
    single = {"data": incident("a3", "2024-03-03T10:00:00Z", status="closed", updated="2024-03-03T10:05:00Z")}
    (tmp_path / "list.json").write_text(json.dumps(page))
    (tmp_path / "one.json").write_text(json.dumps(single))
    frame, report = load_events([tmp_path / "list.json", tmp_path / "one.json"], reader=registered("opsgenie").make_reader())
    resolved = frame[frame["kind"] == "incident_resolved"].set_index("incident_id")["ts"]
    assert sorted(resolved.index) == ["a1", "a3"]
    # recovery = updatedAt - createdAt: 75 and 5 minutes
    assert (resolved["a1"] - frame[(frame["incident_id"] == "a1") & (frame["kind"] == "incident_start")]["ts"].iloc[0]
            ).total_seconds() == 75 * 60
    assert report.skipped == {"open incidents and alerts (their start is stored; no resolution yet)": 1}
    assert set(frame["service"]) == {"checkout"}


def test_a_merged_merge_requests_size_and_first_commit():
    """!1 (merged 03-02 10:00): app.py 3 lines added and 1 removed, logo.png binary (no diff text: a
    file, 0 lines), a rename with no change; 25 files more on two pages (1 line added each); its
    commits listed newest first, the earliest authored 02-28 16:00. !2 is open: nothing asked."""
    with FakeGitLab() as gl:
        gl.add_merge_request(1, "2024-03-01T09:00:00Z", "2024-03-02T10:00:00Z", merged="2024-03-02T10:00:00Z")
        gl.add_merge_request(2, "2024-03-03T09:00:00Z", "2024-03-03T09:00:00Z")
        gl.diffs[1] = [("app.py", "app.py", "@@ -1,2 +1,4 @@\n-old\n+new\n+more\n+and more\n keep\n"),
                       ("logo.png", "logo.png", ""), ("a.txt", "b.txt", ""),
                       *[(f"f{n}.txt", f"f{n}.txt", "@@ -0,0 +1 @@\n+x\n") for n in range(25)]]
        gl.add_commit(1, "2024-02-28T16:00:00Z")
        gl.add_commit(1, "2024-03-01T08:00:00Z")
        gl.add_commit(2, "2024-03-03T08:00:00Z")
        source = source_of({"type": "gitlab", "project": "acme/web", "dataset": "web", "api_url": gl.url,
                            "since": "2024-02-01"}, "t")
        outcome = sync(source, environ={"GITLAB_TOKEN": gl.token}, now=NOW)
        paths = gl.paths()
    frame = store.load("web")
    facts = {r.kind: (f"{r.ts:%m-%d %H:%M}", r.metric_value) for r in frame.itertuples() if r.pr_id == "web!1"}
    assert facts["pr_first_commit"][0] == "02-28 16:00"
    assert {k: v for k, v in facts.items() if k.startswith(("pr_lines", "pr_files"))} == {
        "pr_lines_added": ("03-02 10:00", 28.0), "pr_lines_removed": ("03-02 10:00", 1.0),
        "pr_files_changed": ("03-02 10:00", 28.0)}
    assert set(frame[frame["pr_id"] == "web!2"]["kind"]) == {"pr_created"}
    assert not any("/merge_requests/2/" in p and p.endswith(("/diffs", "/commits")) for p in paths)
    assert outcome.rejected == 0
