"""``sync github --org`` and ``sync gitlab --group`` against an organisation served on 127.0.0.1
(tests/fake_apis.py: ``/orgs/ORG/repos``, teams, ``/groups/:id/projects?include_subgroups=true``):
two repositories whose pull-request numbers overlap are stored apart, archived repositories and forks
are left out, a second sync asks only the incremental questions, a repository that fails leaves the
others synced, an organisation the token cannot see is one sentence with nothing stored, the teams
file is written from the organisation's teams (a diff, not an overwrite, for hand edits)."""
from __future__ import annotations

import io
import os
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from metrics import store
from metrics.cli.sync import run_sync
from metrics.ingest.sync import http
from metrics.ingest.sync.config import read_config, source_of
from metrics.ingest.sync import codeowners
from metrics.ingest.sync.group import sync_group
from metrics.ingest.sync.mapping import events_of
from metrics.store import segments
from metrics.teams import read_teams

from fake_apis import FakeGitHubOrg, FakeGitLabGroup

NOW = datetime(2024, 3, 20, tzinfo=timezone.utc)

# a merged PR is asked for once more: the single PR (its size) and its commits (its first commit)
SHOP_FIRST = ["/repos/acme/shop/pulls",
              "/repos/acme/shop/pulls/2", "/repos/acme/shop/pulls/2/commits", "/repos/acme/shop/pulls/2/reviews",
              "/repos/acme/shop/pulls/1", "/repos/acme/shop/pulls/1/commits", "/repos/acme/shop/pulls/1/reviews",
              "/repos/acme/shop/deployments", "/repos/acme/shop/deployments/11/statuses",
              "/repos/acme/shop/actions/runs"]
WEB_FIRST = ["/repos/acme/web/pulls", "/repos/acme/web/pulls/2/reviews",
             "/repos/acme/web/pulls/1", "/repos/acme/web/pulls/1/commits", "/repos/acme/web/pulls/1/reviews",
             "/repos/acme/web/deployments", "/repos/acme/web/actions/runs"]
INCREMENTAL = ["/repos/acme/{}/pulls", "/repos/acme/{}/deployments", "/repos/acme/{}/actions/runs"]


@pytest.fixture(scope="module")
def org():
    """Organisation acme: shop and web both have PRs #1 and #2; old is archived, mirror a fork.
    shop: #1 created 03-01 09:00, reviewed 03-01 15:00, merged 03-02 10:00; #2 created 03-03 09:00,
    merged 03-05 12:00; deployment 11 succeeded 03-02 11:05. web: #1 created 03-04 08:00, merged
    03-04 20:00; #2 created 03-06 10:00, open."""
    with FakeGitHubOrg("acme") as fake:
        shop, web = fake.add_repo("shop"), fake.add_repo("web")
        old, mirror = fake.add_repo("old", archived=True), fake.add_repo("mirror", fork=True)
        shop.add_pull(1, "2024-03-01T09:00:00Z", "2024-03-02T10:00:00Z", merged="2024-03-02T10:00:00Z")
        shop.add_review(1, "2024-03-01T15:00:00Z")
        shop.add_pull(2, "2024-03-03T09:00:00Z", "2024-03-05T12:00:00Z", merged="2024-03-05T12:00:00Z")
        shop.add_deployment(11, "2024-03-02T11:00:00Z")
        shop.add_status(11, "success", "2024-03-02T11:05:00Z")
        web.add_pull(1, "2024-03-04T08:00:00Z", "2024-03-04T20:00:00Z", merged="2024-03-04T20:00:00Z")
        web.add_pull(2, "2024-03-06T10:00:00Z", "2024-03-06T10:30:00Z")
        for repo in (old, mirror):
            repo.add_pull(1, "2024-03-01T09:00:00Z", "2024-03-01T09:00:00Z")
        fake.teams = {"payments": ["acme/shop"], "web-team": ["acme/web", "acme/old"]}
        yield fake


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch, org):
    monkeypatch.setenv("METRICS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("METRICS_TEAMS", raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", org.token)
    monkeypatch.setattr(http, "BACKOFF_SECONDS", 0.0)
    org.requests.clear()
    org.fail_next.clear()
    return tmp_path / "data"


@contextmanager
def answering(fake, reply, when=lambda path: True):
    """The fake (a server, or one repository of it) answers ``reply`` (status, headers, body) to the
    paths ``when`` takes, for the block only."""
    original = fake.route
    fake.route = lambda path, query: reply if when(path) else original(path, query)
    try:
        yield
    finally:
        fake.route = original


@contextmanager
def own_store():
    """A store of its own for the block (each hypothesis example starts from nothing stored)."""
    before = os.environ["METRICS_DATA_DIR"]
    os.environ["METRICS_DATA_DIR"] = tempfile.mkdtemp(dir=os.path.dirname(before))
    try:
        yield
    finally:
        os.environ["METRICS_DATA_DIR"] = before


def cli(*argv) -> tuple[int, str]:
    err = io.StringIO()
    return run_sync(list(argv), err=err), err.getvalue()


def org_sync(org, *more) -> tuple[int, str]:
    return cli("github", "--org", "acme", "--name", "acme", "--api-url", org.url, "--since", "2024-02-01", *more)


def events(name="acme") -> list:
    frame = store.load(name)
    return sorted((row.service, row.kind, row.pr_id or row.deploy_id, row.ts.strftime("%m-%d %H:%M"))
                  for row in frame.itertuples())


def test_org_sync_stores_each_repository_apart_and_leaves_out_archived_and_forks(org):
    code, said = org_sync(org)
    assert code == 0, said
    assert "github:acme/* -> acme: 2 of 2 repositories synced, +12 events from 18 requests" in said
    assert "left out 1 archived and 1 forked" in said
    assert events() == sorted([
        ("shop", "pr_created", "shop#1", "03-01 09:00"), ("shop", "pr_reviewed", "shop#1", "03-01 15:00"),
        ("shop", "pr_merged", "shop#1", "03-02 10:00"), ("shop", "pr_created", "shop#2", "03-03 09:00"),
        ("shop", "pr_merged", "shop#2", "03-05 12:00"), ("shop", "deploy", "shop@11", "03-02 11:05"),
        ("web", "pr_created", "web#1", "03-04 08:00"), ("web", "pr_merged", "web#1", "03-04 20:00"),
        ("web", "pr_created", "web#2", "03-06 10:00"),
        # each merged PR's AI verdict, at its creation (web#2 is open: none yet)
        ("shop", "pr_ai_assisted", "shop#1", "03-01 09:00"), ("shop", "pr_ai_assisted", "shop#2", "03-03 09:00"),
        ("web", "pr_ai_assisted", "web#1", "03-04 08:00")])
    assert org.paths() == ["/orgs/acme/repos", *SHOP_FIRST, *WEB_FIRST]      # nothing asked of old or mirror
    # each repository keeps its own state, under the key it has when synced alone
    assert set(store.sync_state("acme", "github:acme/shop")["watermark"]) == {"pulls", "deployments", "runs"}
    assert store.sync_state("acme", "github:acme/web")["watermark"]["pulls"] == "2024-03-06T10:30:00Z"


def test_second_sync_asks_only_the_incremental_questions_and_adds_nothing(org):
    assert org_sync(org)[0] == 0
    org.requests.clear()
    writes = len(store.audit_log(1000, "acme"))
    code, said = org_sync(org)
    assert code == 0 and "+0 events from 7 requests" in said
    assert len(store.audit_log(1000, "acme")) == writes             # nothing new: nothing written
    assert org.paths() == ["/orgs/acme/repos", *[p.format("shop") for p in INCREMENTAL],
                           *[p.format("web") for p in INCREMENTAL]]
    assert len(store.load("acme")) == 12


def test_archived_and_forks_when_asked_and_a_pattern(org):
    code, said = org_sync(org, "--include-archived", "--include-forks", "--repo-pattern", "[MO]*")
    assert code == 0, said
    assert "2 of 2 repositories synced" in said and "left out 2 not matching '[MO]*'" in said
    assert {row[0] for row in events()} == {"old", "mirror"}
    code, said = org_sync(org, "--repo-pattern", "nothing-*")
    assert code == 2
    assert said.strip() == ("error: github:acme/* -> acme: organisation 'acme' has no repository to sync (of the 4 "
                            "it lists: 1 archived, 1 forked, 2 not matching 'nothing-*')")


def test_a_repository_that_fails_leaves_the_others_synced_and_the_next_sync_resumes(org):
    # every request of web's answers 503: after the retries, web fails, shop is stored
    src = source_of({"type": "github", "org": "acme", "dataset": "acme", "api_url": org.url, "since": "2024-02-01"},
                    "test")
    with answering(org.repos["acme/web"], (503, {}, {"message": "unavailable"})):
        result = sync_group(src, environ={"GITHUB_TOKEN": org.token}, now=NOW, sleep=lambda s: None)
    assert [o.source.target for o in result.outcomes] == ["acme/shop"]
    assert list(result.failed) == ["acme/web"] and "kept failing (server error 503)" in result.failed["acme/web"]
    assert result.line().startswith("github:acme/* -> acme: 1 of 2 repositories synced, +8 events")
    assert {row[0] for row in events()} == {"shop"}
    org.requests.clear()
    code, said = org_sync(org)
    assert code == 0 and "+4 events" in said                 # web's three and a verdict; shop asked only what changed
    assert org.paths() == ["/orgs/acme/repos", *[p.format("shop") for p in INCREMENTAL], *WEB_FIRST]


def test_a_failing_repository_is_one_line_and_exit_1(org):
    with answering(org.repos["acme/web"], (404, {}, {"message": "Not Found"})):
        code, said = org_sync(org)
    assert code == 1
    lines = said.strip().splitlines()
    assert lines[0].startswith("error: acme/web: ") and "answered 404" in lines[0]
    assert lines[1].startswith("github:acme/* -> acme: 1 of 2 repositories synced")


def test_rate_limit_is_waited_out_once_for_the_organisation(org):
    waits = []
    reset = int(datetime.now(timezone.utc).timestamp()) + 30
    org.fail_next = [(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
                      {"message": "API rate limit exceeded"})]
    src = source_of({"type": "github", "org": "acme", "dataset": "acme", "api_url": org.url, "since": "2024-02-01"},
                    "test")
    lines = []
    result = sync_group(src, environ={"GITHUB_TOKEN": org.token}, now=NOW, sleep=waits.append,
                        progress=lambda done, total, what: lines.append((done, total, what)))
    assert len(waits) == 1 and 29 <= waits[0] <= 32 and result.waited == waits[0]
    assert len(result.outcomes) == 2 and len(store.load("acme")) == 12
    assert any("rate limit reached" in what for _, _, what in lines)
    # one line for the organisation: each step says the repository (2 of them; 0 before they are listed)
    assert {total for _, total, what in lines if "repositories" in what} == {2}
    assert any(what.startswith("github:acme/*: repositories 2 of 2, acme/web: ") for _, _, what in lines)


@pytest.mark.parametrize("status", [404, 403])
def test_an_organisation_the_token_cannot_see_is_one_sentence_and_nothing_stored(org, status):
    org.fail_next = [(status, {}, {"message": "Not Found" if status == 404 else "Resource not accessible"})]
    code, said = org_sync(org)
    assert code == 2
    assert said.strip() == (f"error: github:acme/* -> acme: organisation 'acme' is not visible to the token (the API "
                            f"answered {status}): check the name, the API URL and that the token may read it")
    assert store.list_datasets() == []


def test_options_that_need_an_organisation_are_refused_alone(org):
    code, said = cli("github", "--repo", "acme/shop", "--repo-pattern", "s*", "--name", "acme", "--api-url", org.url)
    assert code == 2 and said.strip() == "error: the command line: --repo-pattern needs --org"
    code, said = cli("github", "--org", "acme", "--repo", "acme/shop", "--name", "acme", "--api-url", org.url)
    assert code == 2 and said.strip() == "error: the command line: give --repo (one) or --org (all of them), not both"
    code, said = cli("github", "--name", "acme", "--api-url", org.url)
    assert code == 2 and said.strip() == "error: sync github needs --repo OWNER/NAME or --org ORG"
    code, said = cli("github", "--org", "a/b", "--name", "acme", "--api-url", org.url)
    assert code == 2 and "org must be the organisation's name (acme)" in said
    assert store.list_datasets() == []


def test_the_configuration_file_takes_an_organisation(org, tmp_path):
    config = tmp_path / "sync.toml"
    config.write_text(f'[[source]]\ntype = "github"\norg = "acme"\ndataset = "acme"\napi_url = "{org.url}"\n'
                      f'since = "2024-02-01"\nrepo_pattern = "shop"\n')
    (source,) = read_config(config)
    assert source.key == "github:acme/*" and source.group == "acme"
    code, said = cli("--config", str(config))
    assert code == 0 and "1 of 1 repositories synced, +8 events" in said
    config.write_text('[[source]]\ntype = "github"\ndataset = "acme"\ninclude_forks = true\nrepo = "acme/shop"\n')
    code, said = cli("--config", str(config))
    assert code == 2 and said.strip() == f"error: {config}, source 1: include_forks needs org"


TEAMS = ('# written by python -m metrics sync github --org acme --teams; edit freely: the command shows a diff '
         'instead of overwriting\n\n[teams."payments"]\nservices = ["shop"]\n\n[teams."web-team"]\nservices = ["web"]\n')


def test_teams_file_written_from_the_organisations_teams_and_hand_edits_kept(org, data_dir):
    code, said = org_sync(org, "--teams")
    path = data_dir / "teams.toml"
    assert code == 0 and f"the teams file {path} written (2 teams)" in said
    assert path.read_text() == TEAMS                                       # old (archived) is not synced: not web-team's
    assert {name: team.patterns for name, team in read_teams(path).items()} == {"payments": ("shop",),
                                                                                "web-team": ("web",)}
    assert "/orgs/acme/teams" in org.paths() and "/orgs/acme/teams/web-team/repos" in org.paths()
    edited = TEAMS.replace('services = ["shop"]', 'services = ["shop", "pay-*"]')
    path.write_text(edited)
    code, said = org_sync(org, "--teams")
    assert code == 0 and path.read_text() == edited
    assert '-services = ["shop", "pay-*"]\n+services = ["shop"]\n' in said
    assert f"the teams file {path} differs from the teams synced (the diff above); it was left as it is: give " \
           f"--replace-teams to replace it" in said
    code, said = org_sync(org, "--teams", "--replace-teams")
    assert code == 0 and path.read_text() == TEAMS and f"the teams file {path} replaced (2 teams)" in said
    code, said = org_sync(org, "--teams")
    assert f"the teams file {path} is up to date" in said
    code, said = org_sync(org, "--replace-teams")
    assert code == 2 and "--replace-teams needs --teams" in said


def test_teams_not_visible_stores_nothing(org):
    with answering(org, (403, {}, {"message": "Must have admin rights"}), lambda path: "/teams" in path):
        code, said = org_sync(org, "--teams")
    assert code == 2 and "organisation 'acme' is not visible to the token (the API answered 403)" in said
    assert store.list_datasets() == []


# -- GitLab: a group with a subgroup ------------------------------------------------------------

@pytest.fixture(scope="module")
def group():
    """Group acme: web (!1 created 03-01 09:00, merged 03-02 09:00; !2 open, created 03-03 09:00) and
    subgroup platform: api (!1 created 03-04 09:00, merged 03-04 18:00), old (archived)."""
    with FakeGitLabGroup("acme") as fake:
        web, api = fake.add_project("acme/web"), fake.add_project("acme/platform/api")
        fake.add_project("acme/platform/old", archived=True).add_merge_request(1, "2024-03-01T09:00:00Z",
                                                                               "2024-03-01T09:00:00Z")
        web.add_merge_request(1, "2024-03-01T09:00:00Z", "2024-03-02T09:00:00Z", merged="2024-03-02T09:00:00Z")
        web.add_merge_request(2, "2024-03-03T09:00:00Z", "2024-03-03T09:00:00Z")
        api.add_merge_request(1, "2024-03-04T09:00:00Z", "2024-03-04T18:00:00Z", merged="2024-03-04T18:00:00Z")
        yield fake


def group_sync(group, *more):
    group.requests.clear()
    err = io.StringIO()
    code = run_sync(["gitlab", "--group", "acme", "--name", "acme", "--api-url", group.url, "--since", "2024-02-01",
                     *more], err=err)
    return code, err.getvalue()


def test_group_sync_takes_subgroups_and_is_incremental(group, monkeypatch, data_dir):
    monkeypatch.setenv("GITLAB_TOKEN", group.token)
    code, said = group_sync(group, "--teams")
    assert code == 0, said
    # a merged MR's size comes with it (these MRs change no file: 0 lines, 0 files, at the merge)
    assert "gitlab:acme/* -> acme: 2 of 2 projects synced, +13 events" in said and "left out 1 archived" in said
    assert group.requests[0] == ("/groups/acme/projects", {"include_subgroups": "true", "order_by": "path",
                                                           "sort": "asc", "per_page": "100"})
    sizes = ("pr_lines_added", "pr_lines_removed", "pr_files_changed")
    assert events() == sorted([
        ("web", "pr_created", "web!1", "03-01 09:00"), ("web", "pr_merged", "web!1", "03-02 09:00"),
        ("web", "pr_created", "web!2", "03-03 09:00"),
        ("api", "pr_created", "api!1", "03-04 09:00"), ("api", "pr_merged", "api!1", "03-04 18:00"),
        *[("web", kind, "web!1", "03-02 09:00") for kind in sizes], *[("api", kind, "api!1", "03-04 18:00") for kind in sizes],
        ("web", "pr_ai_assisted", "web!1", "03-01 09:00"), ("api", "pr_ai_assisted", "api!1", "03-04 09:00")])
    assert (data_dir / "teams.toml").read_text() == (
        "# written by python -m metrics sync gitlab --group acme --teams; edit freely: the command shows a diff "
        'instead of overwriting\n\n[teams."platform"]\nservices = ["api"]\n')
    code, said = group_sync(group)
    assert code == 0 and "+0 events from 7 requests" in said
    assert [p for p, _ in group.requests] == ["/groups/acme/projects",
                                              "/projects/acme%2Fplatform%2Fapi", "/projects/acme%2Fplatform%2Fapi/merge_requests",
                                              "/projects/acme%2Fplatform%2Fapi/deployments",
                                              "/projects/acme%2Fweb", "/projects/acme%2Fweb/merge_requests",
                                              "/projects/acme%2Fweb/deployments"]


def test_group_not_visible_is_one_sentence(group, monkeypatch):
    monkeypatch.setenv("GITLAB_TOKEN", group.token)
    group.requests.clear()
    err = io.StringIO()
    code = run_sync(["gitlab", "--group", "other", "--name", "acme", "--api-url", group.url], err=err)
    assert code == 2
    assert err.getvalue().strip() == ("error: gitlab:other/* -> acme: group 'other' is not visible to the token (the "
                                      "API answered 404): check the name, the API URL and that the token may read it")
    assert store.list_datasets() == []


# -- fuzz: whatever the organisation's listing is, a sentence and nothing stored -------------------

text = st.text(max_size=8)
wrong_repo = st.fixed_dictionaries({"full_name": st.one_of(st.none(), st.integers(), st.lists(text, max_size=2), st.just("")),
                                    "name": st.one_of(text, st.none()), "archived": st.one_of(st.booleans(), text),
                                    "fork": st.one_of(st.booleans(), st.none())})
json_value = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), text),
                          lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)),
                          max_leaves=8)
listing = st.one_of(
    st.binary(max_size=40),                                                        # malformed JSON, or not a list
    json_value.filter(lambda v: not isinstance(v, list)),
    st.lists(st.one_of(st.none(), st.integers(), text, st.lists(text, max_size=2)), min_size=1, max_size=3),
    st.lists(wrong_repo, max_size=3),                                              # [] too: no repository to sync
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(body=listing, where=st.sampled_from(["repos", "teams"]))
def test_fuzzed_listings_are_a_sentence_and_store_nothing(org, body, where):
    if where == "teams" and body == []:
        body = [[]]                                    # an organisation without teams is fine: a list of a list is not
    # bytes are sent as they are, anything else as JSON
    with own_store(), answering(org, (200, {}, body), lambda path: path == f"/orgs/acme/{where}"):
        code, said = org_sync(org, "--teams")
        assert code == 2, said
        lines = said.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: github:acme/* -> acme: organisation 'acme'"), said
        assert "Traceback" not in said
        assert store.list_datasets() == []


def test_compacting_a_dataset_keeps_every_sources_sync_state(monkeypatch, data_dir):
    """An organisation's many repositories write many segments: the compaction past MAX_SEGMENTS
    rewrites the events and must keep every repository's sync state (it once dropped all but the
    one being written, so the next sync walked every other repository again)."""
    monkeypatch.setattr(segments, "MAX_SEGMENTS", 2)
    for n, repo in enumerate(["acme/a", "acme/b", "acme/c", "acme/d"], start=1):
        member = source_of({"type": "github", "repo": repo, "dataset": "acme", "api_url": "http://127.0.0.1:1"}, "t")
        pr = {"number": n, "merged_at": None, "created_at": f"2024-03-0{n}T09:00:00Z", "updated_at": f"2024-03-0{n}T09:00:00Z",
              "user": {"login": "alice"}, "base": {"repo": {"name": repo.split("/")[1]}}, "url": f"x/repos/{repo}/pulls/{n}"}
        frame, _ = events_of(member, [pr])
        store.append_with_state("acme", frame, member.key, {"watermark": {"pulls": f"2024-03-0{n}T09:00:00Z"}})
        store.record_sync_run("acme", member.key, {"added": 1})
    assert [store.sync_state("acme", f"github:acme/{r}")["watermark"]["pulls"][:10] for r in "abcd"] == \
        ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"]
    assert [key for key, _ in store.sync_runs("acme")] == [f"github:acme/{r}" for r in "abcd"]
    assert len(store.load("acme")) == 4
    # the compaction did happen: writes 1 and 2 made segments 0 and 1 (2 segments, not past 2); write 3
    # would have made a third, so it compacted the 3 events into one segment; write 4 added segment 1
    import sqlite3
    with sqlite3.connect(data_dir / "datasets.sqlite") as con:
        sizes = con.execute("SELECT segment, events FROM segment_sizes WHERE dataset = 'acme' ORDER BY segment").fetchall()
    assert sizes == [(0, 3), (1, 1)]


def test_services_renamed_before_the_ids_are_qualified(org, tmp_path):
    config = tmp_path / "sync.toml"
    config.write_text(f'[[source]]\ntype = "github"\norg = "acme"\ndataset = "acme"\napi_url = "{org.url}"\n'
                      f'since = "2024-02-01"\nservices = {{ shop = "checkout" }}\n')
    code, said = cli("--config", str(config))
    assert code == 0, said
    shop = [row for row in events() if row[0] == "checkout"]
    assert [row[2] for row in shop] == ["checkout@11", "checkout#1", "checkout#2", "checkout#1", "checkout#2",
                                        "checkout#1", "checkout#2", "checkout#1"]
    assert not any(row[0] == "shop" for row in events())


def test_two_projects_of_one_name_take_their_path_under_the_group():
    from metrics.ingest.sync.providers import chosen_members
    chosen = chosen_members("group 'acme'", "projects", [
        ("acme/a/api", "api", "a/api", ""), ("acme/b/api", "api", "b/api", ""), ("acme/web", "web", "web", ""),
        ("acme/old", "old", "old", "archived")], None)
    assert chosen.services == {"acme/a/api": "a/api", "acme/b/api": "b/api", "acme/web": "web"}
    assert chosen.left_out == {"archived": 1} and chosen.listed == 4
    assert chosen.warnings == ("group 'acme': acme/a/api and acme/b/api share the name 'api'; each is the service of "
                               "its path under the group (a/api, b/api)",)


# -- teams from CODEOWNERS -------------------------------------------------------------------------

@contextmanager
def serving(files: dict):
    """Each fake repository (or project) serves its files ({fake: {path: text}}) for the block only."""
    for fake, contents in files.items():
        fake.contents = contents
    try:
        yield
    finally:
        for fake in files:
            fake.contents = {}


@pytest.mark.parametrize("pattern, path, owned", [
    ("*", "any-file", True), ("*", "services/api/app.py", True),
    ("/services/api/", "services/api/any-file", True), ("/services/api/", "services/api", False),
    ("/services/api/", "x/services/api/any-file", False), ("services/", "x/services/any-file", True),
    ("docs/*", "docs/a.md", True), ("docs/*", "docs/build/a.md", False),
    ("*.js", "apps/web/index.js", True), ("*.js", "apps/web/any-file", False),
    ("apps/**/web", "apps/a/b/web/any-file", True), ("/apps/web", "apps/web/any-file", True),
])
def test_codeowners_patterns_by_hand(pattern, path, owned):
    assert codeowners.matches(pattern, path) is owned


def test_the_last_matching_codeowners_line_owns_a_path():
    found = codeowners.rules("# owners\n*  @acme/platform\n\n/services/api/ @acme/payments @bob  # api\n"
                             "[Docs]\ndocs/ docs@example.com\n")
    assert found == [("*", ("@acme/platform",)), ("/services/api/", ("@acme/payments", "@bob")),
                     ("docs/", ("docs@example.com",))]
    assert codeowners.owners_of(found, "services/api/any-file") == ("@acme/payments", "@bob")
    assert codeowners.owners_of(found, "services/web/any-file") == ("@acme/platform",)
    assert [codeowners.team_of(o) for o in ("@acme/payments", "@bob", "docs@example.com")] == ["payments", "bob", ""]
    assert codeowners.probe("services/api/**") == "services/api/any-file"
    assert codeowners.probe("apps/web/*.js") == "apps/web/any-file" and codeowners.probe("*.md") == "any-file"


def test_teams_from_codeowners(org, data_dir):
    with serving({org.repos["acme/shop"]: {".github/CODEOWNERS": "* @acme/payments\n/docs/ docs@example.com\n"},
                  org.repos["acme/web"]: {"CODEOWNERS": "*.md @acme/writers\n* @acme/frontend @alice\n"}}):
        code, said = org_sync(org, "--teams", "--teams-from", "codeowners")
    assert code == 0, said
    assert (data_dir / "teams.toml").read_text() == (
        "# written by python -m metrics sync github --org acme --teams --teams-from codeowners; edit freely: the "
        "command shows a diff instead of overwriting\n\n"
        '[teams."alice"]\nservices = ["web"]\n\n[teams."frontend"]\nservices = ["web"]\n\n'
        '[teams."payments"]\nservices = ["shop"]\n')
    # GitHub's order: .github/ first, then the root, then docs/; the first found counts
    assert [p for p in org.paths() if "/contents/" in p] == [
        "/repos/acme/shop/contents/.github/CODEOWNERS",
        "/repos/acme/web/contents/.github/CODEOWNERS", "/repos/acme/web/contents/CODEOWNERS"]
    assert not any(p.startswith("/orgs/acme/teams") for p in org.paths())


def test_teams_from_a_monorepos_codeowners_by_service_path(org, data_dir, tmp_path):
    config = tmp_path / "sync.toml"
    config.write_text(f'[[source]]\ntype = "github"\norg = "acme"\ndataset = "acme"\napi_url = "{org.url}"\n'
                      f'repo_pattern = "shop"\nteams = true\nteams_from = "codeowners"\n'
                      f'service_paths = {{ api = "services/api/**", web = "apps/web/**" }}\n')
    with serving({org.repos["acme/shop"]: {"docs/CODEOWNERS": "*  @acme/platform\n/services/api/ @acme/payments\n"
                                                              "apps/web/ @acme/frontend\n"}}):
        code, said = cli("--config", str(config))
    assert code == 0, said
    assert {name: team.patterns for name, team in read_teams(data_dir / "teams.toml").items()} == {
        "frontend": ("web",), "payments": ("api",)}
    code, said = org_sync(org, "--teams-from", "codeowners")
    assert code == 2 and "--teams-from needs --teams" in said


def test_gitlab_teams_from_codeowners(group, monkeypatch, data_dir):
    monkeypatch.setenv("GITLAB_TOKEN", group.token)
    with serving({group.projects["acme/web"]: {".gitlab/CODEOWNERS": "[Web]\n* @acme/frontend\n"},
                  group.projects["acme/platform/api"]: {"docs/CODEOWNERS": "* @acme/platform/payments carol@example.com\n"}}):
        code, said = group_sync(group, "--teams", "--teams-from", "codeowners")
    assert code == 0, said
    assert {name: team.patterns for name, team in read_teams(data_dir / "teams.toml").items()} == {
        "frontend": ("web",), "payments": ("api",)}
    # GitLab's order: the root, docs/, then .gitlab/; on the default branch
    assert [(p, q.get("ref")) for p, q in group.requests if "/repository/files/" in p] == [
        ("/projects/acme%2Fplatform%2Fapi/repository/files/CODEOWNERS", "main"),
        ("/projects/acme%2Fplatform%2Fapi/repository/files/docs%2FCODEOWNERS", "main"),
        ("/projects/acme%2Fweb/repository/files/CODEOWNERS", "main"),
        ("/projects/acme%2Fweb/repository/files/docs%2FCODEOWNERS", "main"),
        ("/projects/acme%2Fweb/repository/files/.gitlab%2FCODEOWNERS", "main")]
    code, said = group_sync(group, "--teams", "--teams-from", "teams")
    assert code == 2 and said.strip() == "error: the command line: --teams-from must be subgroups or codeowners, got 'teams'"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(body=listing.filter(lambda b: b not in (b"", [], None, b"null", b"[]")), where=st.sampled_from(["pulls", "deployments"]))
def test_a_fuzzed_page_of_one_repository_is_a_sentence_naming_it_and_the_others_are_stored(org, body, where):
    with own_store(), answering(org.repos["acme/web"], (200, {}, body), lambda path: path == f"/repos/acme/web/{where}"):
        code, said = org_sync(org)
        assert code == 1, said
        lines = said.strip().splitlines()
        assert lines[0].startswith("error: acme/web: ") and "Traceback" not in said, said
        assert lines[1].startswith("github:acme/* -> acme: 1 of 2 repositories synced")
        # web: nothing of the page that failed; its pages stored before it stay (the next sync resumes after them)
        stored = events()
        assert len([row for row in stored if row[0] == "shop"]) == 8
        assert len([row for row in stored if row[0] == "web"]) == (0 if where == "pulls" else 4)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(body=listing)
def test_a_fuzzed_group_listing_is_a_sentence_and_stores_nothing(group, monkeypatch, body):
    monkeypatch.setenv("GITLAB_TOKEN", group.token)
    with own_store(), answering(group, (200, {"X-Next-Page": ""}, body), lambda path: path.startswith("/groups/")):
        code, said = group_sync(group)
        assert code == 2, said
        lines = said.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: gitlab:acme/* -> acme: group 'acme'"), said
        assert store.list_datasets() == []


def test_a_token_refused_by_one_repository_stops_the_organisations_sync(org):
    with answering(org.repos["acme/shop"], (401, {}, {"message": "Bad credentials"})):
        code, said = org_sync(org)
    assert code == 1
    assert said.splitlines()[0].startswith("error: acme/shop: ") and "answered 401" in said
    assert "0 of 2 repositories synced" in said and not any("/repos/acme/web/" in p for p in org.paths())


def test_the_configuration_file_takes_a_group(group, monkeypatch, tmp_path):
    monkeypatch.setenv("GITLAB_TOKEN", group.token)
    config = tmp_path / "sync.toml"
    config.write_text(f'[[source]]\ntype = "gitlab"\ngroup = "acme"\ndataset = "acme"\napi_url = "{group.url}"\n'
                      f'since = "2024-02-01"\nrepo_pattern = "platform/*"\ninclude_archived = true\n')
    code, said = cli("--config", str(config))
    assert code == 0, said
    assert "gitlab:acme/* -> acme: 2 of 2 projects synced, +7 events" in said and "left out 1 not matching" in said   # api!1's 3, its size, its verdict
    assert {row[0] for row in events()} == {"api", "old"}
