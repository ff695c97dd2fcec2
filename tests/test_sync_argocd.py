"""The argocd source's live sync against an Argo CD API on 127.0.0.1 (tests/fake_cd_apis.py, written
from https://argo-cd.readthedocs.io/en/stable/developer-guide/api-docs/ and the API's swagger):
the first sync collects every completed sync since ``since``, as ``import --from argocd`` reads the
same list; a second adds nothing; later syncs add only the new history entries (one deployed in the
same second as the last one collected too); rate limits and a 5xx are waited out; a wrong token is
one sentence without the token."""
from __future__ import annotations

import functools
import json

import pytest

from api_exports import loader
from fake_cd_apis import FakeArgoCD, configured, event_tuples, sync_once
from metrics import store
from metrics.ingest.sync import http
from metrics.ingest.sync.http import SyncError
from metrics.registry.source import source


@pytest.fixture(autouse=True)
def known_backoff(monkeypatch):
    monkeypatch.setattr(http, "BACKOFF_SECONDS", 1.0)


def shop(argo: FakeArgoCD) -> None:
    """checkout (namespace prod) synced 03-04 10:02:11, 03-05 14:30:45, 03-07 09:15:00 (ids 0-2);
    checkout-staging (staging) 03-04 09:00:30, 03-06 16:45:10 (ids 0-1); legacy (prod) 2023-12-20
    10:00:00 (id 0, before since) and 2024-02-01 00:00:00 (id 1); guestbook never synced."""
    argo.add_app("checkout", "prod", {"team": "payments"})
    argo.add_app("checkout-staging", "staging", {"team": "payments"})
    argo.add_app("legacy", "prod")
    argo.add_app("guestbook", "default")
    argo.synced("checkout", "2024-03-04T10:01:58Z", "2024-03-04T10:02:11Z")
    argo.synced("checkout", "2024-03-05T14:30:20Z", "2024-03-05T14:30:45Z")
    argo.synced("checkout", "2024-03-07T09:14:41Z", "2024-03-07T09:15:00Z")
    argo.synced("checkout-staging", "2024-03-04T09:00:12Z", "2024-03-04T09:00:30Z")
    argo.synced("checkout-staging", "2024-03-06T16:44:59Z", "2024-03-06T16:45:10Z")
    argo.synced("legacy", "2023-12-20T09:59:00Z", "2023-12-20T10:00:00Z")
    argo.synced("legacy", "2024-01-31T23:59:00Z", "2024-02-01T00:00:00Z")


def source_of(argo, **extra):
    return configured("argocd", argo.url, "shop", **{"production": "prod", **extra})


events = functools.partial(event_tuples, columns=["deploy_id", "environment", "status"])


FIRST = [("2024-02-01T00:00:00+00:00", "legacy@1", "production", "success"),
         ("2024-03-04T09:00:30+00:00", "checkout-staging@0", "staging", "success"),
         ("2024-03-04T10:02:11+00:00", "checkout@0", "production", "success"),
         ("2024-03-05T14:30:45+00:00", "checkout@1", "production", "success"),
         ("2024-03-06T16:45:10+00:00", "checkout-staging@1", "staging", "success"),
         ("2024-03-07T09:15:00+00:00", "checkout@2", "production", "success")]


def test_first_sync_collects_every_sync_since_since_as_the_import_reads_them(tmp_path):
    with FakeArgoCD() as argo:
        shop(argo)
        run = sync_once(source_of(argo), {}, argo.environ, save=True)
        paths = argo.paths()
        export = tmp_path / "applications.json"                 # the same list, saved as a file
        export.write_text(json.dumps({"metadata": {"resourceVersion": "1"}, "items": argo.apps}))
    assert events(run.frame) == FIRST                            # legacy@0 is before since
    assert paths == ["/api/v1/applications"] and run.rejected == []
    imported, _ = loader("argocd")(export, production="prod")
    assert events(imported) == [("2023-12-20T10:00:00+00:00", "legacy@0", "production", "success")] + FIRST
    assert run.state["deployed"]["checkout"] == {"at": "2024-03-07T09:15:00+00:00", "ids": ["2"]}
    assert run.added == 6 and len(store.load("shop")) == 6


def test_a_second_sync_adds_nothing_and_later_ones_only_what_is_new():
    with FakeArgoCD() as argo:
        shop(argo)
        first = sync_once(source_of(argo), {}, argo.environ, save=True)
        second = sync_once(source_of(argo), first.state, argo.environ, save=True)
        assert (len(second.frame), second.added, second.requests) == (0, 0, 1)
        assert second.skipped == {} and second.batches == 1     # guestbook, never synced, is not news
        # checkout syncs again; checkout-staging syncs in the very second of its last collected entry
        argo.synced("checkout", "2024-03-21T07:59:30Z", "2024-03-21T08:00:00Z")
        argo.synced("checkout-staging", "2024-03-06T16:45:01Z", "2024-03-06T16:45:10Z")
        third = sync_once(source_of(argo), second.state, argo.environ, save=True)
        fourth = sync_once(source_of(argo), third.state, argo.environ, save=True)
    assert events(third.frame) == [("2024-03-06T16:45:10+00:00", "checkout-staging@2", "staging", "success"),
                                   ("2024-03-21T08:00:00+00:00", "checkout@3", "production", "success")]
    assert third.state["deployed"]["checkout-staging"] == {"at": "2024-03-06T16:45:10+00:00", "ids": ["1", "2"]}
    assert (len(fourth.frame), fourth.added) == (0, 0)
    assert len(store.load("shop")) == 8


def test_one_application_named_by_the_target():
    with FakeArgoCD() as argo:
        shop(argo)
        run = sync_once(source_of(argo, target="checkout"), {}, argo.environ)
        paths = argo.paths()
        with pytest.raises(SyncError, match=r"/api/v1/applications/nope answered 404"):
            sync_once(source_of(argo, target="nope"), {}, argo.environ)
    assert paths == ["/api/v1/applications/checkout"]
    assert [e[1] for e in events(run.frame)] == ["checkout@0", "checkout@1", "checkout@2"]


def test_without_production_every_application_counts():
    with FakeArgoCD() as argo:
        shop(argo)
        run = sync_once(source_of(argo, production=""), {}, argo.environ)
    assert set(run.frame["environment"]) == {"production"} and len(run.frame) == 6


def test_rate_limit_and_a_server_error_are_waited_out():
    with FakeArgoCD() as argo:
        shop(argo)
        argo.fail_next = [(429, {"Retry-After": "7"}, {"error": "too many requests", "code": 8}),
                          (503, {}, {"error": "upstream connect error", "code": 14})]
        run = sync_once(source_of(argo), {}, argo.environ)
        asked = len(argo.requests)
    # 7 s as Retry-After says, then the first backoff (1 s) after the 503; three requests in all
    assert run.waits == [7.0, 1.0] and asked == 3 and events(run.frame) == FIRST


def test_a_wrong_token_is_one_sentence_without_the_token():
    with FakeArgoCD() as argo:
        shop(argo)
        with pytest.raises(SyncError) as e:
            sync_once(source_of(argo), {}, {"ARGOCD_TOKEN": "stolen-or-expired-7f3a"})
    message = str(e.value)
    assert "answered 401" in message and "stolen-or-expired-7f3a" not in message and "\n" not in message
    with pytest.raises(SyncError, match="set ARGOCD_TOKEN in the environment"):
        source("argocd").sync.auth({"ARGOCD_TOKEN": "  "})
    assert source("argocd").sync.auth({"ARGOCD_TOKEN": "t0k"}) == {"Authorization": "Bearer t0k"}


def test_an_answer_that_is_not_argo_cd_is_one_sentence():
    with FakeArgoCD() as argo:
        argo.route = lambda path, query: (200, {}, {"items": "nope"})
        with pytest.raises(SyncError, match=r"/api/v1/applications did not answer with Argo CD applications$"):
            sync_once(source_of(argo), {}, argo.environ)


def test_entries_the_mapping_rejects_are_said_and_the_rest_collected():
    with FakeArgoCD() as argo:
        shop(argo)
        broken = argo.add_app("broken", "prod")
        broken["status"]["history"] = [{"id": 0, "revision": "x"}, {"id": 1, "deployedAt": "2024-03-02T00:00:00Z"}]
        run = sync_once(source_of(argo), {}, argo.environ)
    assert run.rejected == ["application 'broken' history entry 1 has no deployedAt"]
    assert "broken@1" in set(run.frame["deploy_id"]) and len(run.frame) == 7
