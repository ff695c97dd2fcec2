"""``python -m metrics sync github`` against a GitHub API served on 127.0.0.1 (tests/fake_apis.py):
the events equal ``import --from github`` of the same objects, later syncs fetch only what changed,
rate limits and 5xx are waited out, a bad token stores nothing, a killed sync resumes."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from metrics import store
from metrics.ingest.sync import http
from metrics.ingest.sync.config import source_of
from metrics.cli.sync import run_sync
from metrics.ingest.sync.http import SyncError
from metrics.ingest.sync.run import last_runs, sync

from fake_apis import FakeGitHub

NOW = datetime(2024, 3, 20, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("METRICS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(http, "BACKOFF_SECONDS", 0.0)
    return tmp_path


def shop(gh: FakeGitHub) -> None:
    """Three PRs (two merged, one open), reviews, two deployments (one failed), a deploy run and a
    test run. Hand-counted events: PR created x3, merged x2, reviewed x3 (one pending review is not
    submitted), deploys: deployment 11 success, 12 failed (first final status), run 301 success."""
    gh.add_pull(1, "2024-03-01T09:00:00Z", "2024-03-02T10:00:00Z", merged="2024-03-02T10:00:00Z")
    gh.add_pull(2, "2024-03-03T09:00:00Z", "2024-03-05T12:00:00Z", merged="2024-03-05T12:00:00Z")
    gh.add_pull(3, "2024-03-10T09:00:00Z", "2024-03-10T09:30:00Z")
    gh.add_review(1, "2024-03-01T15:00:00Z")
    gh.add_review(2, "2024-03-04T08:00:00Z", state="CHANGES_REQUESTED")
    gh.add_review(2, "2024-03-05T09:00:00Z")
    gh.reviews[3] = [{"id": 99, "user": {"login": "bob"}, "state": "PENDING", "submitted_at": None,
                      "pull_request_url": f"{gh.url}/repos/acme/shop/pulls/3"}]
    gh.add_deployment(11, "2024-03-02T11:00:00Z")
    gh.add_status(11, "in_progress", "2024-03-02T11:01:00Z")
    gh.add_status(11, "success", "2024-03-02T11:05:00Z")
    gh.add_deployment(12, "2024-03-06T11:00:00Z")
    gh.add_status(12, "failure", "2024-03-06T11:04:00Z")
    gh.add_status(12, "success", "2024-03-06T11:09:00Z")
    gh.add_run(301, "Deploy", "2024-03-07T10:00:00Z", "2024-03-07T10:06:00Z")
    gh.add_run(302, "Tests", "2024-03-07T10:00:00Z", "2024-03-07T10:03:00Z")


def source(gh, **extra):
    return source_of({"type": "github", "repo": "acme/shop", "dataset": "shop", "api_url": gh.url,
                      "since": "2024-02-01", **extra}, "test")


def env(gh):
    return {"GITHUB_TOKEN": gh.token}


def kinds(frame) -> dict:
    return frame["kind"].value_counts().to_dict()


def test_first_sync_maps_objects_as_import_does(tmp_path):
    with FakeGitHub() as gh:
        shop(gh)
        outcome = sync(source(gh), environ=env(gh), now=NOW)
        synced = store.load("shop")
        # the same objects, exported as `gh api` would, through `import --from github`
        export = tmp_path / "export.json"
        objects = gh.pulls + [r for rs in gh.reviews.values() for r in rs] + \
            [s for ss in gh.statuses.values() for s in ss] + gh.runs
        export.write_text(json.dumps(objects))
    from metrics.cli import main
    assert main(["import", "--from", "github", str(export), "--name", "exported"]) == 0
    imported = store.load("exported")
    assert kinds(synced) == {"pr_created": 3, "pr_reviewed": 3, "pr_merged": 2, "deploy": 3, "pr_ai_assisted": 2}
    columns = ["ts", "kind", "service", "deploy_id", "pr_id", "status"]
    key = lambda f: f[columns].astype(str).sort_values(columns).reset_index(drop=True)  # noqa: E731
    assert key(synced).equals(key(imported))
    failed = synced[(synced["kind"] == "deploy") & (synced["deploy_id"] == "shop@12")]
    assert failed["status"].tolist() == ["failed"] and str(failed["ts"].iloc[0]) == "2024-03-06 11:04:00+00:00"
    assert outcome.added == 13                      # 11 and the merged PRs' pr_ai_assisted verdicts
    assert outcome.skipped.get("pending reviews (not submitted)") == 1


def test_second_sync_asks_only_for_changes_and_picks_them_up():
    with FakeGitHub() as gh:
        shop(gh)
        for n in range(100, 140):                   # older PRs that do not change
            gh.add_pull(n, "2024-02-10T09:00:00Z", "2024-02-11T09:00:00Z")
        first = sync(source(gh), environ=env(gh), now=NOW)
        gh.requests.clear()
        # PR 3 is merged (its updated_at moves up), a new deployment appears
        pr3 = [p for p in gh.pulls if p["number"] == 3][0]
        pr3.update(updated_at="2024-03-21T10:00:00Z", merged_at="2024-03-21T10:00:00Z", state="closed")
        gh.add_review(3, "2024-03-21T09:00:00Z")
        gh.add_deployment(13, "2024-03-21T11:00:00Z")
        gh.add_status(13, "success", "2024-03-21T11:02:00Z")
        second = sync(source(gh), environ=env(gh), now=datetime(2024, 3, 22, tzinfo=timezone.utc))
        paths = gh.paths()
    assert second.added == 4                       # PR 3 merged, its AI verdict, its review, deployment 13
    # the first: 48, and the merged PRs 1 and 2 each asked once more for the single PR and its commits;
    # the second: lists of pulls, deployments, runs + 2 details + merged PR 3's single PR and commits
    assert first.requests == 52 and second.requests == 7
    assert "/repos/acme/shop/pulls/1/reviews" not in paths      # unchanged PRs are not asked again
    assert "/repos/acme/shop/deployments/11/statuses" not in paths
    frame = store.load("shop")
    assert kinds(frame)["pr_merged"] == 3 and kinds(frame)["deploy"] == 4


def test_open_deployment_is_rechecked_until_final():
    with FakeGitHub() as gh:
        gh.add_deployment(21, "2024-03-10T10:00:00Z")
        gh.add_status(21, "queued", "2024-03-10T10:00:05Z")
        sync(source(gh), environ=env(gh), now=NOW)
        assert "deploy" not in set(store.load("shop")["kind"]) if "shop" in [d.name for d in store.list_datasets()] else True
        gh.add_status(21, "success", "2024-03-10T10:07:00Z")
        sync(source(gh), environ=env(gh), now=NOW)
    deploys = store.load("shop").query("kind == 'deploy'")
    assert deploys["deploy_id"].tolist() == ["shop@21"] and str(deploys["ts"].iloc[0]) == "2024-03-10 10:07:00+00:00"


def test_pagination_follows_link_headers():
    with FakeGitHub() as gh:
        for n in range(1, 251):
            gh.add_pull(n, f"2024-03-01T{n % 24:02d}:00:00Z", f"2024-03-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z")
        outcome = sync(source(gh), environ=env(gh), now=NOW)
        pulls_pages = [q for p, q in gh.requests if p == "/repos/acme/shop/pulls"]
    assert len(pulls_pages) == 3 and outcome.added == 250


def test_rate_limits_are_waited_out_and_said(capsys):
    waits = []
    with FakeGitHub() as gh:
        shop(gh)
        reset = int(datetime.now(timezone.utc).timestamp()) + 30
        gh.fail_next = [(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
                         {"message": "API rate limit exceeded"}),
                        (429, {"Retry-After": "7"}, {"message": "You have exceeded a secondary rate limit"}),
                        (502, {}, {"message": "Bad Gateway"})]
        messages = []
        outcome = sync(source(gh), environ=env(gh), now=NOW, sleep=waits.append,
                       progress=lambda done, total, what: messages.append(what))
    assert outcome.added == 13
    assert 29 <= waits[0] <= 32 and waits[1] == 7 and waits[2] == 0.0
    assert any("rate limit" in m and "waiting 7 s" in m for m in messages)
    assert any("server error 502" in m for m in messages)


def test_bad_token_is_one_sentence_and_stores_nothing(capsys, monkeypatch):
    with FakeGitHub() as gh:
        shop(gh)
        monkeypatch.setenv("GITHUB_TOKEN", "wrong-token-123")
        code = run_sync(["github", "--repo", "acme/shop", "--name", "shop", "--api-url", gh.url])
    err = capsys.readouterr().err
    assert code == 2
    assert "answered 401" in err and "wrong-token-123" not in err and "Traceback" not in err
    assert "shop" not in [d.name for d in store.list_datasets()]
    assert last_runs("shop")[0]["error"].startswith("http://127.0.0.1")


def test_unknown_repository_is_404_and_exit_2(capsys, monkeypatch):
    with FakeGitHub() as gh:
        monkeypatch.setenv("GITHUB_TOKEN", gh.token)
        code = run_sync(["github", "--repo", "acme/nope", "--name", "shop", "--api-url", gh.url])
    assert code == 2 and "answered 404" in capsys.readouterr().err


def test_missing_token_says_which_variable(capsys, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    assert run_sync(["github", "--repo", "acme/shop", "--name", "shop"]) == 2
    assert "set GITHUB_TOKEN in the environment" in capsys.readouterr().err


def test_persistent_5xx_gives_up_with_a_sentence():
    with FakeGitHub() as gh:
        gh.fail_next = [(503, {}, {"message": "unavailable"})] * 10
        with pytest.raises(SyncError, match="kept failing .*server error 503.* after 5 retries"):
            sync(source(gh), environ=env(gh), now=NOW)


def test_killed_sync_resumes_without_loss_or_refetch(monkeypatch):
    """Stop the sync after its second stored page; the next run finishes with every event and does
    not fetch the stored pages' reviews again."""
    with FakeGitHub() as gh:
        for n in range(1, 251):
            gh.add_pull(n, "2024-03-01T00:00:00Z", f"2024-03-{1 + n // 10:02d}T{n % 10:02d}:00:00Z",
                        merged=f"2024-03-{1 + n // 10:02d}T{n % 10:02d}:00:00Z")
            gh.add_review(n, "2024-03-01T01:00:00Z")
        calls = {"n": 0}
        real = store.append_with_state

        def dies_after_two(*args, **kwargs):
            if calls["n"] == 2:
                raise KeyboardInterrupt("killed")
            calls["n"] += 1
            return real(*args, **kwargs)
        monkeypatch.setattr(store, "append_with_state", dies_after_two)
        later = datetime(2024, 4, 1, tzinfo=timezone.utc)
        with pytest.raises(KeyboardInterrupt):
            sync(source(gh), environ=env(gh), now=later)
        stored = len(store.load("shop"))
        assert stored == 200 * 4                       # two pages of 100 PRs: created, merged, reviewed, AI verdict
        monkeypatch.setattr(store, "append_with_state", real)
        gh.requests.clear()
        sync(source(gh), environ=env(gh), now=later)
        review_fetches = [p for p in gh.paths() if p.endswith("/reviews")]
    assert len(store.load("shop")) == 250 * 4
    assert len(review_fetches) == 50                   # only the PRs not stored before the kill


def test_bots_are_left_out():
    with FakeGitHub() as gh:
        gh.add_pull(1, "2024-03-01T09:00:00Z", "2024-03-02T10:00:00Z", merged="2024-03-02T10:00:00Z",
                    login="dependabot[bot]", user_type="Bot")
        gh.add_review(1, "2024-03-01T12:00:00Z")
        gh.add_pull(2, "2024-03-01T09:00:00Z", "2024-03-02T10:00:00Z", login="alice")
        gh.add_review(2, "2024-03-01T12:00:00Z", login="copilot-reviewer")
        gh.add_pull(3, "2024-03-01T09:00:00Z", "2024-03-02T10:00:00Z", login="release-robot")
        outcome = sync(source(gh, bots=["copilot-reviewer", "release-robot"]), environ=env(gh), now=NOW)
    frame = store.load("shop")
    assert frame["pr_id"].tolist() == ["shop#2"] and kinds(frame) == {"pr_created": 1}
    assert outcome.skipped["pull requests and reviews by bots"] == 4


def test_service_mapping_renames():
    with FakeGitHub() as gh:
        shop(gh)
        sync(source(gh, services={"shop": "checkout"}), environ=env(gh), now=NOW)
    assert set(store.load("shop")["service"]) == {"checkout"}


def test_last_run_is_recorded():
    with FakeGitHub() as gh:
        shop(gh)
        sync(source(gh), environ=env(gh), now=NOW)
    (run,) = last_runs("shop")
    assert run["source"] == "github:acme/shop" and run["added"] == 13 and run["error"] == ""
    assert run["at"] == "2024-03-20T00:00:00Z"


def test_datasets_lists_each_sources_last_sync(capsys):
    with FakeGitHub() as gh:
        shop(gh)
        sync(source(gh), environ=env(gh), now=NOW)
        gh.fail_next = [(401, {}, {"message": "Bad credentials"})]
        with pytest.raises(SyncError):
            sync(source(gh), environ=env(gh), now=NOW)
    import io
    from metrics.cli import run_datasets
    buffer = io.StringIO()
    assert run_datasets([], out=buffer) == 0
    out = buffer.getvalue()
    assert "shop\t13 events" in out
    assert "last sync from github:acme/shop at 2024-03-20T00:00:00Z: failed: " in out and "answered 401" in out


def test_a_monorepo_sync_gives_each_service_its_prs_and_deployments(data_dir):
    """PR 1 changes services/api (created 03-01 09:00), PR 2 services/api and apps/web (03-03 09:00,
    merged 03-05 12:00), PR 3 only docs. Deployment 11 of ref api-v1 succeeds 03-02 11:00, 12 of
    web-v1 03-06 11:00, 13 of main (no pattern: left out); run 301 of tag api-v2 ends 03-07 10:00."""
    from conftest import run_cli
    with FakeGitHub() as gh:
        gh.add_pull(1, "2024-03-01T09:00:00Z", "2024-03-02T10:00:00Z", merged="2024-03-02T10:00:00Z")
        gh.add_pull(2, "2024-03-03T09:00:00Z", "2024-03-05T12:00:00Z", merged="2024-03-05T12:00:00Z")
        gh.add_pull(3, "2024-03-10T09:00:00Z", "2024-03-10T09:30:00Z")
        gh.files = {1: ["services/api/app.py"], 2: ["services/api/app.py", "apps/web/index.html"], 3: ["docs/a.md"]}
        for ident, ref, when in ((11, "api-v1", "2024-03-02T11:00:00Z"), (12, "web-v1", "2024-03-06T11:00:00Z"),
                                 (13, "main", "2024-03-06T12:00:00Z")):
            gh.add_deployment(ident, when, ref=ref)
            gh.add_status(ident, "success", when)
        gh.add_run(301, "Deploy", "2024-03-07T09:50:00Z", "2024-03-07T10:00:00Z")
        gh.runs[-1]["head_branch"] = "api-v2"
        outcome = sync(source(gh, service_paths={"api": "services/api/**", "web": ["apps/web/**"]},
                              tag_patterns={"api": "api-v*", "web": "web-v*"}), environ=env(gh), now=NOW)
    frame = store.load("shop")
    prs = frame[frame["kind"] == "pr_created"]
    assert sorted(zip(prs["pr_id"], prs["service"])) == [("api#1", "api"), ("api#2", "api"), ("web#2", "web")]
    deploys = frame[frame["kind"] == "deploy"]
    assert sorted(zip(deploys["deploy_id"], deploys["service"])) == [("api@11", "api"), ("api@run-301", "api"), ("web@12", "web")]
    assert outcome.skipped["deployments whose ref matches no tag_patterns"] == 1
    assert outcome.skipped["pull request events touching no service_paths path"] == 1
    dora = lambda svc: json.loads(run_cli("--dataset", "shop", "--json", "--only-service", svc).stdout)["dora"]  # noqa: E731
    # api: #1 03-01 09:00 -> 11 at 03-02 11:00 = 26 h; #2 03-03 09:00 -> run 301 03-07 10:00 = 97 h; median 61.5
    assert dora("api")["lead_time_hours_median"] == 61.5
    # web: #2 03-03 09:00 -> 12 at 03-06 11:00 = 74 h
    assert dora("web")["lead_time_hours_median"] == 74.0


def test_a_merged_pulls_size_and_first_commit_are_asked_once():
    """PR 1 merged: the single PR gives its size, its commits its first commit (the earliest authored,
    02-27 11:00, though GitHub lists it second); PR 3 is open: neither is asked."""
    with FakeGitHub() as gh:
        shop(gh)
        gh.sizes[1] = (120, 30, 4)
        gh.add_commit(1, "2024-02-28T16:00:00Z")
        gh.add_commit(1, "2024-02-27T11:00:00Z", committed="2024-02-29T08:00:00Z")   # rebased: authored earlier
        gh.add_commit(3, "2024-03-10T08:00:00Z")
        for n in range(1, 121):                                                     # 120 commits: two pages
            gh.add_commit(2, f"2024-03-02T{n // 60 + 10:02d}:{n % 60:02d}:00Z")
        sync(source(gh), environ=env(gh), now=NOW)
        paths = gh.paths()
        frame = store.load("shop")
    facts = {(r.kind, r.pr_id): (f"{r.ts:%m-%d %H:%M}", r.metric_value) for r in frame.itertuples()
             if r.kind in ("pr_first_commit", "pr_lines_added", "pr_lines_removed", "pr_files_changed")}
    assert {k: (t, None if v != v else v) for k, (t, v) in facts.items()} == {
        ("pr_first_commit", "shop#1"): ("02-27 11:00", None),
        ("pr_lines_added", "shop#1"): ("03-02 10:00", 120.0), ("pr_lines_removed", "shop#1"): ("03-02 10:00", 30.0),
        ("pr_files_changed", "shop#1"): ("03-02 10:00", 4.0),
        # PR 2: no size given by this server; its first commit read across both pages (10:01 the earliest)
        ("pr_first_commit", "shop#2"): ("03-02 10:01", None),
    }
    assert "/repos/acme/shop/pulls/3" not in paths and "/repos/acme/shop/pulls/3/commits" not in paths
    assert paths.count("/repos/acme/shop/pulls/1") == 1 and paths.count("/repos/acme/shop/pulls/2/commits") == 2


def test_a_rate_limit_on_the_commits_is_waited_out(capsys):
    with FakeGitHub() as gh:
        gh.add_pull(1, "2024-03-01T09:00:00Z", "2024-03-02T10:00:00Z", merged="2024-03-02T10:00:00Z")
        gh.add_commit(1, "2024-02-28T16:00:00Z")
        answer = gh.route

        def limited_once(path, query, hit=[]):
            if path.endswith("/pulls/1/commits") and not hit:
                hit.append(1)
                return 429, {"Retry-After": "0"}, {"message": "API rate limit exceeded"}
            return answer(path, query)
        gh.route = limited_once
        sync(source(gh), environ=env(gh), now=NOW)
        frame = store.load("shop")
    assert frame[frame["kind"] == "pr_first_commit"]["ts"].astype(str).tolist() == ["2024-02-28 16:00:00+00:00"]
