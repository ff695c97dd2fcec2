"""``sync gitlab`` and ``sync opsgenie`` against APIs served on 127.0.0.1 (tests/fake_apis.py), and
the Opsgenie importer on the same objects."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from metrics import store
from metrics.ingest import load_events
from metrics.ingest.sources import reader_for
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
    assert counts == {"pr_created": 25, "pr_merged": 25, "pr_reviewed": 2, "deploy": 1}
    reviews = frame[frame["kind"] == "pr_reviewed"]
    assert set(reviews["pr_id"]) == {"!1"} and set(reviews["service"]) == {"web"}
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
    frame, report = load_events([tmp_path / "list.json", tmp_path / "one.json"], reader=reader_for("opsgenie"))
    resolved = frame[frame["kind"] == "incident_resolved"].set_index("incident_id")["ts"]
    assert sorted(resolved.index) == ["a1", "a3"]
    # recovery = updatedAt - createdAt: 75 and 5 minutes
    assert (resolved["a1"] - frame[(frame["incident_id"] == "a1") & (frame["kind"] == "incident_start")]["ts"].iloc[0]
            ).total_seconds() == 75 * 60
    assert report.skipped == {"open incidents and alerts (their start is stored; no resolution yet)": 1}
    assert set(frame["service"]) == {"checkout"}
