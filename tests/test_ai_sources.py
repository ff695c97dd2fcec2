"""Every source that reads pull requests says which were AI-assisted (issue 29): a ``pr_ai_assisted``
verdict per PR, decided by ``metrics.ai_rules`` from the facts the source has, under the data
directory's ``ai.toml``, in ``import``, the upload, the syncs and the webhooks.

The git repository is built here with commits whose trailers, branches and dates are chosen by hand;
the GitHub and GitLab objects are shaped as their REST API documentation shows them (a pull request's
``labels`` [{name}], ``user.login``, ``head.ref``; a commit's ``commit.message``; a merge request's
``labels`` [texts], ``author.username``, ``source_branch``; a commit's ``message``; the merge request
hook's ``labels`` [{title}], ``object_attributes.source_branch`` and ``last_commit.message``)."""
from __future__ import annotations

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from fake_apis import FakeGitHub, FakeGitLab
from metrics import store
from metrics.cli import UsageError, run_import
from metrics.ingest import load_events
from metrics.ingest.ai_facts import rules_of_data, with_ai_events
from metrics.ingest.sync.config import source_of
from metrics.ingest.sync.http import SyncError
from metrics.ingest.sync.run import sync
from metrics.registry.source import source
from test_source_git import _git
from test_webhooks import GITLAB_TOKEN, REPO, client, env, github, gitlab, merge_request, pull_request  # noqa: F401

CLAUDE = "Co-authored-by: Claude <noreply@anthropic.com>"
COPILOT = "Co-authored-by: Copilot <223556219+Copilot@users.noreply.github.com>"


@pytest.fixture(autouse=True)
def no_rules_variable(monkeypatch):
    monkeypatch.delenv("METRICS_AI_RULES", raising=False)


def verdicts(dataset: str) -> dict:
    """pr_id -> (value, rule, assistant) of the dataset's pr_ai_assisted events."""
    frame = store.load(dataset)
    rows = frame[frame["kind"] == "pr_ai_assisted"]
    return {r.pr_id: (r.metric_value, r.status, r.author) for r in rows.itertuples()}


def imported(*argv) -> tuple[int, str, str]:
    """``import ARGV``: its exit status, stdout and stderr (a UsageError is exit 2 and its sentence,
    as ``python -m metrics`` says it)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        code = run_import(list(map(str, argv)), out=out, err=err)
    except UsageError as e:
        code = 2
        err.write(f"error: {e}\n")
    return code, out.getvalue(), err.getvalue()


# -- git ------------------------------------------------------------------------------------------

def commit(repo, message, when, name="Ann"):
    _git(repo, "commit", "-q", "--allow-empty", "-m", message, when=(when, when), name=name)


def merged_branch(repo, number, branch, messages, when, owner="dev"):
    """A branch of ``messages`` (one commit each, an hour apart from ``when``'s hour) merged as
    "Merge pull request #N from OWNER/BRANCH" four hours after ``when``."""
    day, hour = when.split("T")
    _git(repo, "checkout", "-q", "-b", branch)
    for i, message in enumerate(messages):
        commit(repo, message, f"{day}T{int(hour[:2]) + i:02d}:00:00Z", name="Bob")
    _git(repo, "checkout", "-q", "main")
    merge_at = f"{day}T{int(hour[:2]) + 4:02d}:00:00Z"
    _git(repo, "merge", "-q", "--no-ff", branch, "-m", f"Merge pull request #{number} from {owner}/{branch}",
         when=(merge_at, merge_at))


def make_ai_repo(repo):
    """main: initial (03-01 08:00), then
    #1 branch ``search`` (03-01 09:00, 10:00): the second commit's trailer names Claude -> trailer, claude;
    #2 branch ``copilot/fix-login`` (03-02 09:00), no trailer -> branch, copilot;
    #3 branch ``docs`` (03-03 09:00), nothing -> none;
    squash "Add cart (#4)" (03-04 09:00) whose message carries Copilot's trailer -> trailer, copilot;
    squash "Fix typo (#5)" (03-05 09:00) -> none;
    #6 branch ``cursor/tidy`` (03-06 09:00) with Claude's trailer -> trailer (the first rule), claude."""
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main", ".")
    commit(repo, "initial", "2024-03-01T08:00:00Z")
    merged_branch(repo, 1, "search", ["start search", f"finish search\n\n{CLAUDE}"], "2024-03-01T09:00:00Z")
    merged_branch(repo, 2, "copilot/fix-login", ["fix login"], "2024-03-02T09:00:00Z")
    merged_branch(repo, 3, "docs", ["write docs"], "2024-03-03T09:00:00Z")
    commit(repo, f"Add cart (#4)\n\n* cart\n\n{COPILOT}", "2024-03-04T09:00:00Z")
    commit(repo, "Fix typo (#5)", "2024-03-05T09:00:00Z")
    merged_branch(repo, 6, "cursor/tidy", [f"tidy\n\n{CLAUDE}"], "2024-03-06T09:00:00Z")
    return repo


GIT_VERDICTS = {"shop#1": (1.0, "trailer", "claude"), "shop#2": (1.0, "branch", "copilot"),
                "shop#3": (0.0, "none", ""), "shop#4": (1.0, "trailer", "copilot"), "shop#5": (0.0, "none", ""),
                "shop#6": (1.0, "trailer", "claude")}


def test_git_import_gives_each_pr_its_verdict_from_trailers_and_branches(tmp_path):
    repo = make_ai_repo(tmp_path / "shop")
    code, out, err = imported("--from", "git", repo, "--name", "shop")
    assert code == 0, err
    assert verdicts("shop") == GIT_VERDICTS
    frame = store.load("shop")
    created = frame[frame["kind"] == "pr_created"].set_index("pr_id")["ts"]
    checked = frame[frame["kind"] == "pr_ai_assisted"].set_index("pr_id")["ts"]
    # each verdict at its PR's creation (the first commit's author time): #1 03-01 09:00, #4 03-04 09:00
    assert (checked.sort_index() == created.sort_index()).all()
    assert str(checked["shop#1"]) == "2024-03-01 09:00:00+00:00" and str(checked["shop#4"]) == "2024-03-04 09:00:00+00:00"


def test_the_merge_message_names_the_branch_and_only_a_pr_merge_does():
    from metrics.ingest.sources.git.reader import merge_branch
    assert merge_branch("Merge pull request #12 from acme/copilot/fix-x") == "copilot/fix-x"
    assert merge_branch("Merge pull request #12 from fork-owner/main") == "main"
    assert merge_branch("Merge branch 'copilot/x'") == ""
    assert merge_branch("Add cart (#4)") == ""


def test_an_ai_toml_changes_the_verdicts(tmp_path, data_dir):
    """Only the branch rule, and an assistant of the team's own whose branches are ``bot/*``: the
    trailers no longer decide (#1, #4, #6 become none), the branches do (#2 copilot, #6 cursor)."""
    repo = make_ai_repo(tmp_path / "shop")
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "ai.toml").write_text('[ai]\nrules = ["branch"]\n\n[ai.assistants.helper]\nbranches = ["docs"]\n')
    code, _, err = imported("--from", "git", repo, "--name", "ruled")
    assert code == 0, err
    assert verdicts("ruled") == {"shop#1": (0.0, "none", ""), "shop#2": (1.0, "branch", "copilot"),
                                 "shop#3": (1.0, "branch", "helper"), "shop#4": (0.0, "none", ""),
                                 "shop#5": (0.0, "none", ""), "shop#6": (1.0, "branch", "cursor")}


def test_metrics_ai_rules_names_the_file_instead(tmp_path, monkeypatch):
    repo = make_ai_repo(tmp_path / "shop")
    rules = tmp_path / "elsewhere.toml"
    rules.write_text('[ai]\nbuiltin = false\n\n[ai.assistants.claude]\nnames = ["Claude"]\n')
    monkeypatch.setenv("METRICS_AI_RULES", str(rules))
    assert imported("--from", "git", repo, "--name", "env")[0] == 0
    # without the built-in assistants, only Claude's trailer is an assistant's
    assert {k: v[0] for k, v in verdicts("env").items()} == {"shop#1": 1.0, "shop#2": 0.0, "shop#3": 0.0, "shop#4": 0.0,
                                                              "shop#5": 0.0, "shop#6": 1.0}


@pytest.mark.parametrize("text, said", [
    ("[ai]\nrules = [\"trailer\", \"magic\"]\n", "rules lists each of"),
    ("[ai]\nlabels = [\"\"]\n", "is empty"),
    ("[ai\n", "is not valid TOML"),
    ("[ai]\ncolour = 1\n", "unknown key 'colour'"),
])
def test_a_broken_ai_toml_is_one_sentence_exit_2_and_nothing_stored(tmp_path, data_dir, text, said):
    repo = make_ai_repo(tmp_path / "shop")
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "ai.toml").write_text(text)
    code, out, err = imported("--from", "git", repo, "--name", "broken")
    assert code == 2 and said in err and "(nothing imported)" in err and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1
    assert "broken" not in store.list_datasets()


def test_a_library_load_without_rules_makes_no_verdict(tmp_path):
    frame, report = load_events([make_ai_repo(tmp_path / "shop")], reader=source("git").make_reader())
    assert "pr_ai_assisted" not in set(frame["kind"])


def test_a_monorepo_pr_has_its_verdict_in_every_service(tmp_path):
    repo = tmp_path / "mono"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main", ".")
    commit(repo, "initial", "2024-03-01T08:00:00Z")
    _git(repo, "checkout", "-q", "-b", "claude/both")
    for path in ("services/api/a.py", "apps/web/b.js"):
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text("x\n")
    _git(repo, "add", ".")
    commit(repo, "both", "2024-03-02T09:00:00Z")
    _git(repo, "checkout", "-q", "main")
    _git(repo, "merge", "-q", "--no-ff", "claude/both", "-m", "Merge pull request #9 from dev/claude/both",
         when=("2024-03-02T12:00:00Z", "2024-03-02T12:00:00Z"))
    code, _, err = imported("--from", "git", repo, "--name", "mono", "--service-path", "api=services/api/**",
                            "--service-path", "web=apps/web/**")
    assert code == 0, err
    assert verdicts("mono") == {"api#9": (1.0, "branch", "claude"), "web#9": (1.0, "branch", "claude")}


# -- GitHub: import and sync ------------------------------------------------------------------------

def github_pull(number, login="alice", labels=(), branch="feature", merged=None):
    """A pull request as ``GET /repos/acme/shop/pulls`` lists it (GitHub's REST docs: ``labels`` a
    list of label objects, ``head`` the source branch)."""
    return {"url": f"https://api.github.com/repos/acme/shop/pulls/{number}", "id": 1000 + number, "number": number,
            "state": "closed" if merged else "open", "title": f"Change {number}",
            "user": {"login": login, "id": 7, "type": "Bot" if login.endswith("[bot]") or login == "Copilot" else "User"},
            "labels": [{"id": 200 + i, "name": name, "color": "ededed", "default": False} for i, name in enumerate(labels)],
            "head": {"label": f"acme:{branch}", "ref": branch, "sha": "a" * 40},
            "created_at": f"2024-03-0{number}T09:00:00Z", "updated_at": f"2024-03-0{number}T12:00:00Z",
            "closed_at": merged, "merged_at": merged,
            "base": {"ref": "main", "repo": {"id": 1, "name": "shop", "full_name": "acme/shop"}}}


def merged(number, **facts):
    return github_pull(number, merged=f"2024-03-0{number}T12:00:00Z", **facts)


# merged PRs have their verdict; #8 is open (its labels may still change): none yet, unknown
GITHUB_PULLS = [merged(1, labels=["bug", "ai-assisted"]), merged(2, login="Copilot", branch="copilot/fix-2"),
                merged(3, branch="devin/x"), merged(4, labels=["Claude"]), merged(5, labels=["bug"]),
                github_pull(8, labels=["ai-assisted"])]
GITHUB_VERDICTS = {"shop#1": (1.0, "label", ""), "shop#2": (1.0, "bot-author", "copilot"),
                   "shop#3": (1.0, "branch", "devin"), "shop#4": (1.0, "label", "claude"), "shop#5": (0.0, "none", "")}


def test_github_import_reads_labels_authors_and_branches(tmp_path):
    export = tmp_path / "pulls.json"
    export.write_text(json.dumps(GITHUB_PULLS))
    code, _, err = imported("--from", "github", export, "--name", "gh")
    assert code == 0, err
    assert verdicts("gh") == GITHUB_VERDICTS


def test_github_sync_reads_the_commits_messages_and_keeps_an_assistants_prs():
    """The sync fetches a merged PR's commits: #6's second commit carries Claude's trailer. #2 is
    opened by the Copilot coding agent (a bot account): kept, not left out as a bot, and assisted.
    ``dependabot[bot]``'s PR is still left out."""
    with FakeGitHub() as gh:
        for pull in GITHUB_PULLS:
            gh.pulls.append({**pull, "url": f"{gh.url}/repos/acme/shop/pulls/{pull['number']}"})
        gh.pulls.append({**merged(6), "url": f"{gh.url}/repos/acme/shop/pulls/6"})
        gh.pulls.append({**merged(7, login="dependabot[bot]"), "url": f"{gh.url}/repos/acme/shop/pulls/7"})
        gh.add_commit(6, "2024-03-06T08:00:00Z")
        gh.add_commit(6, "2024-03-06T08:30:00Z")
        gh.commits[6][1]["commit"]["message"] = f"second\n\n{CLAUDE}"
        src = source_of({"type": "github", "repo": "acme/shop", "dataset": "synced", "api_url": gh.url,
                         "since": "2024-02-01"}, "test")
        outcome = sync(src, environ={"GITHUB_TOKEN": gh.token})
    assert verdicts("synced") == {**GITHUB_VERDICTS, "shop#6": (1.0, "trailer", "claude")}
    assert outcome.skipped["pull requests and reviews by bots"] == 1           # dependabot's


def test_a_bot_the_configuration_names_is_left_out_even_when_an_assistant():
    with FakeGitHub() as gh:
        gh.pulls.append({**merged(2, login="Copilot"), "url": f"{gh.url}/repos/acme/shop/pulls/2"})
        src = source_of({"type": "github", "repo": "acme/shop", "dataset": "named", "api_url": gh.url,
                         "since": "2024-02-01", "bots": ["Copilot"]}, "test")
        outcome = sync(src, environ={"GITHUB_TOKEN": gh.token})
    assert outcome.added == 0 and outcome.skipped["pull requests and reviews by bots"] == 1


def test_an_assistants_review_is_left_out_as_a_bots_while_its_pr_is_kept():
    """Gemini Code Assist reviews alice's PR #1 (an automatic review: no human's pickup); Copilot opens
    PR #2 and claude[bot] reviews it: the PRs stay, both bots' reviews are left out (GitHub's shapes:
    a review's ``user`` and ``pull_request_url``)."""
    from metrics.ai_rules import AiRules, assistant_bots
    from metrics.ingest.sync.mapping import without_bots
    url = "https://api.github.com/repos/acme/shop/pulls/"
    objects = [{"number": 1, "merged_at": "2024-03-01T10:00:00Z", "user": {"login": "alice", "type": "User"}},
               {"pull_request_url": url + "1", "user": {"login": "gemini-code-assist[bot]", "type": "Bot"}},
               {"pull_request_url": url + "1", "user": {"login": "bob", "type": "User"}},
               {"number": 2, "merged_at": "2024-03-02T10:00:00Z", "user": {"login": "Copilot", "type": "Bot"}},
               {"pull_request_url": url + "2", "user": {"login": "claude[bot]", "type": "Bot"}}]
    kept, left_out = without_bots(objects, (), assistant_bots(AiRules()))
    assert [o.get("number") or o["user"]["login"] for o in kept] == [1, "bob", 2] and left_out == 2


def test_a_broken_ai_toml_stops_a_sync_before_it_stores_anything(data_dir):
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "ai.toml").write_text("[ai]\nbuiltin = \"yes\"\n")
    with FakeGitHub() as gh:
        gh.pulls.append({**merged(1), "url": f"{gh.url}/repos/acme/shop/pulls/1"})
        src = source_of({"type": "github", "repo": "acme/shop", "dataset": "stopped", "api_url": gh.url,
                         "since": "2024-02-01"}, "test")
        with pytest.raises(SyncError, match=r"builtin must be true or false \(nothing synced\)"):
            sync(src, environ={"GITHUB_TOKEN": gh.token})
        assert gh.paths() == []                                          # not one request
    assert "stopped" not in store.list_datasets() or not len(store.load("stopped"))


# -- GitLab: import and sync ------------------------------------------------------------------------

def gitlab_mr(iid, username="carol", labels=(), branch="feature", merged=None):
    """A merge request as ``GET /projects/:id/merge_requests`` lists it (GitLab's docs: ``labels`` a
    list of names, ``source_branch``, ``author.username``)."""
    return {"id": 500 + iid, "iid": iid, "project_id": 42, "title": f"MR {iid}", "state": "merged" if merged else "opened",
            "created_at": f"2024-03-0{iid}T09:00:00Z", "updated_at": f"2024-03-0{iid}T12:00:00Z", "merged_at": merged,
            "author": {"id": 3, "username": username, "bot": False}, "labels": list(labels),
            "source_branch": branch, "target_branch": "main",
            "web_url": f"https://gitlab.example.com/acme/web/-/merge_requests/{iid}"}


def merged_mr(iid, **facts):
    return gitlab_mr(iid, merged=f"2024-03-0{iid}T12:00:00Z", **facts)


GITLAB_MRS = [merged_mr(1, labels=["ai-generated"]), merged_mr(2, branch="claude/refactor"),
              merged_mr(3, labels=["backend"]), gitlab_mr(5, labels=["ai-generated"])]          # !5 open: no verdict yet
GITLAB_VERDICTS = {"web!1": (1.0, "label", ""), "web!2": (1.0, "branch", "claude"), "web!3": (0.0, "none", "")}


def test_gitlab_import_reads_labels_and_branches(tmp_path):
    export = tmp_path / "mrs.json"
    export.write_text(json.dumps(GITLAB_MRS))
    code, _, err = imported("--from", "gitlab", export, "--name", "gl")
    assert code == 0, err
    assert verdicts("gl") == GITLAB_VERDICTS


def test_gitlab_sync_reads_the_commits_messages():
    with FakeGitLab() as gl:
        gl.merge_requests.extend(GITLAB_MRS)
        gl.merge_requests.append(merged_mr(4))
        gl.add_commit(4, "2024-03-04T08:00:00Z")
        gl.add_commit(4, "2024-03-04T08:30:00Z")
        gl.commits[4][0]["message"] = "second\n\nCo-authored-by: Cursor Agent <cursoragent@cursor.com>"
        src = source_of({"type": "gitlab", "project": "acme/web", "dataset": "glsync", "api_url": gl.url,
                         "since": "2024-02-01"}, "t")
        sync(src, environ={"GITLAB_TOKEN": gl.token})
    assert verdicts("glsync") == {**GITLAB_VERDICTS, "web!4": (1.0, "trailer", "cursor")}


# -- Bitbucket and Azure DevOps ---------------------------------------------------------------------

def test_bitbucket_reads_the_author_and_source_branch(tmp_path):
    """Bitbucket Cloud's ``GET /repositories/{workspace}/{repo_slug}/pullrequests``: ``source.branch.name``,
    ``author.nickname`` (no labels, no commit messages in the list)."""
    def pull(ident, branch, state="MERGED"):
        return {"type": "pullrequest", "id": ident, "title": "t", "state": state,
                "created_on": f"2024-03-0{ident}T09:00:00.000000+00:00", "updated_on": f"2024-03-0{ident}T10:00:00.000000+00:00",
                "author": {"type": "user", "display_name": "Ann", "nickname": "ann"},
                "source": {"branch": {"name": branch}, "repository": {"full_name": "acme/shop"}},
                "destination": {"branch": {"name": "main"}, "repository": {"full_name": "acme/shop", "name": "shop"}},
                "links": {"self": {"href": f"https://api.bitbucket.org/2.0/repositories/acme/shop/pullrequests/{ident}"}}}
    export = tmp_path / "prs.json"
    export.write_text(json.dumps({"pagelen": 10, "page": 1, "values": [pull(1, "codex/speed"), pull(2, "feature"),
                                                                        pull(3, "codex/open", "OPEN")]}))
    code, _, err = imported("--from", "bitbucket", export, "--name", "bb")
    assert code == 0, err
    assert verdicts("bb") == {"shop#1": (1.0, "branch", "codex"), "shop#2": (0.0, "none", "")}


def test_azure_devops_reads_labels_branch_and_commits(tmp_path):
    """Azure DevOps' ``GET .../pullrequests``: ``sourceRefName`` (refs/heads/...), ``labels`` [{name}],
    ``createdBy.uniqueName``, and ``commits`` [{comment}] when the PR carries them."""
    def pull(ident, status="completed", **more):
        return {"pullRequestId": ident, "status": status, "creationDate": f"2024-03-0{ident}T09:00:00Z",
                "closedDate": f"2024-03-0{ident}T12:00:00Z",
                "createdBy": {"displayName": "Ann", "uniqueName": "ann@acme.example"},
                "repository": {"id": "r1", "name": "shop", "project": {"name": "acme"}},
                "sourceRefName": "refs/heads/feature", "targetRefName": "refs/heads/main", "reviewers": [], **more}
    export = tmp_path / "prs.json"
    export.write_text(json.dumps({"count": 4, "value": [
        pull(1, sourceRefName="refs/heads/copilot/issue-1"), pull(2, labels=[{"id": "x", "name": "AI-Assisted", "active": True}]),
        pull(3, commits=[{"commitId": "c" * 40, "comment": f"work\n\n{CLAUDE}"}]), pull(4),
        pull(5, "active", sourceRefName="refs/heads/copilot/open")]}))
    code, _, err = imported("--from", "azure-devops", export, "--name", "ado")
    assert code == 0, err
    assert verdicts("ado") == {"shop#1": (1.0, "branch", "copilot"), "shop#2": (1.0, "label", ""),
                               "shop#3": (1.0, "trailer", "claude"), "shop#4": (0.0, "none", "")}


# -- webhooks -------------------------------------------------------------------------------------

def labelled(action, labels=(), login="ada", branch="feature"):
    payload = pull_request(action, "2024-03-04T10:30:00Z" if action == "closed" else None)
    payload["pull_request"].update(labels=[{"id": 1, "name": n} for n in labels], user={"login": login},
                                   head={"ref": branch, "label": f"acme:{branch}"})
    return payload


def test_a_github_pull_request_delivery_carries_its_verdict_when_merged(client):
    """Opened (labels may still change): no verdict; closed and merged with the label added during
    review: the verdict, at the PR's creation (the payload carries no commits: no trailers)."""
    assert github(client, "pull_request", labelled("opened"), "a1").get_json()["added"] == 1
    assert verdicts("live") == {}
    assert github(client, "pull_request", labelled("closed", labels=["codex"]), "a2").get_json()["added"] == 2
    assert verdicts("live") == {"checkout#7": (1.0, "label", "codex")}
    checked = store.load("live").query("kind == 'pr_ai_assisted'")
    assert str(checked["ts"].iloc[0]) == "2024-03-04 09:00:00+00:00"
    other = labelled("closed", login="gemini-code-assist[bot]")
    other["pull_request"].update(number=8, url=other["pull_request"]["url"].replace("/7", "/8"))
    assert github(client, "pull_request", other, "a3").get_json()["added"] == 3
    assert verdicts("live")["checkout#8"] == (1.0, "bot-author", "gemini")


def test_a_second_verdict_of_a_pr_is_not_stored_the_first_stands(client, tmp_path):
    """The store keeps one verdict per PR (a pairing event): an import after the webhook that
    would decide otherwise is reported as a conflict, not stored."""
    github(client, "pull_request", labelled("closed"), "b1")
    export = tmp_path / "pulls.json"
    export.write_text(json.dumps([labelled("closed", labels=["ai-assisted"])["pull_request"]]))
    code, out, err = imported("--from", "github", export, "--name", "live")
    assert code == 0 and "1 in conflict" in out, out
    assert verdicts("live") == {"checkout#7": (0.0, "none", "")}


def gitlab_hook(action, labels=(), branch="feature", message="work"):
    """GitLab's merge request hook: ``labels`` [{title}], ``object_attributes.source_branch`` and
    ``object_attributes.last_commit.message``; ``user`` who acted (the author when opening)."""
    payload = merge_request(action, "2024-03-04T10:00:00Z")
    payload["labels"] = [{"id": 206, "title": t, "color": "#dc143c", "type": "ProjectLabel"} for t in labels]
    payload["object_attributes"].update(source_branch=branch, target_branch="main",
                                        last_commit={"id": "d" * 40, "message": message, "title": message.split("\n")[0]})
    return payload


def test_gitlab_merge_request_hooks_carry_the_verdict_at_the_merge(client):
    assert gitlab(client, gitlab_hook("open", branch="aider/x"), {"Idempotency-Key": "h1"}).get_json()["added"] == 1
    assert verdicts("live") == {}
    merge = gitlab_hook("merge", labels=["Copilot"], message=f"last\n\n{COPILOT}")
    assert gitlab(client, merge, {"Idempotency-Key": "h2"}).get_json()["added"] == 2    # the merge, the verdict
    assert verdicts("live") == {"web-shop!3": (1.0, "trailer", "copilot")}
    checked = store.load("live").query("kind == 'pr_ai_assisted'")
    assert str(checked["ts"].iloc[0]) == "2024-03-04 08:00:00+00:00"                  # the MR's creation


@pytest.mark.parametrize("facts, verdict", [
    ({"labels": ["ai-generated"]}, (1.0, "label", "")),
    ({"branch": "gemini/x"}, (1.0, "branch", "gemini")),
    ({"branch": "aider/x"}, (0.0, "none", "")),                                # aider has no branch glob built in
])
def test_a_gitlab_merge_hooks_labels_and_branch_decide(client, facts, verdict):
    assert gitlab(client, gitlab_hook("merge", **facts), {"Idempotency-Key": "m1"}).get_json()["added"] == 2
    assert verdicts("live") == {"web-shop!3": verdict}


def test_a_broken_ai_toml_is_a_503_naming_no_path_and_nothing_is_stored(client, data_dir):
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "ai.toml").write_text("[ai]\nrules = 3\n")
    reply = github(client, "pull_request", labelled("closed"), "c1")
    assert reply.status_code == 503
    error = reply.get_json()["error"]
    assert "AI rules file" in error and "sent again" in error and str(data_dir) not in error
    assert "live" not in store.list_datasets()


def test_an_upload_decides_by_the_same_rules(tmp_path, data_dir):
    from dashboard.upload import UploadError, import_upload
    import base64
    contents = "data:application/json;base64," + base64.b64encode(json.dumps(GITHUB_PULLS).encode()).decode()
    import_upload(contents, "pulls.json", "up", "github")
    assert verdicts("up") == GITHUB_VERDICTS
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "ai.toml").write_text("[ai\n")
    with pytest.raises(UploadError) as refused:
        import_upload(contents, "pulls.json", "up2", "github")
    assert "ai.toml is not valid TOML" in str(refused.value) and str(data_dir) not in str(refused.value)
    assert "up2" not in store.list_datasets()


# -- fuzz: the facts a reader takes from any JSON, and any ai.toml ---------------------------------

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                    max_leaves=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(labels=JSON, user=JSON, head=JSON, messages=JSON, first=JSON, which=st.sampled_from(["github", "gitlab"]))
def test_fuzzed_pr_facts_never_crash_and_every_verdict_is_valid(labels, user, head, messages, first, which):
    from metrics.ai_rules import AiRules
    from metrics.ingest.sources.github.reader import events_from_github
    from metrics.ingest.sources.gitlab.reader import events_from_gitlab
    from metrics.ingest.validate import normalize
    if which == "github":
        record = {**merged(1), "labels": labels, "user": user, "head": head, "commit_messages": messages,
                  "first_commit": first}
        raw = events_from_github([record])
    else:
        record = {**merged_mr(1), "labels": labels, "author": user, "source_branch": head, "commit_messages": messages,
                  "first_commit": first}
        raw = events_from_gitlab([record])
    raw = with_ai_events(raw, AiRules())
    frame, report = normalize(raw.rows, raw.numbers, source="fuzz", unit=raw.unit, parse_errors=raw.bad)
    checks = frame[frame["kind"] == "pr_ai_assisted"]
    assert len(checks) <= 1 and set(checks["metric_value"]) <= {0.0, 1.0}              # none when no fact is known
    assert report.rejected_count == 0, report.rejected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=80) | st.builds(lambda key, value: f"[ai]\n{key} = {value}\n",
                                              st.sampled_from(["rules", "labels", "builtin", "trailer_keys", "odd"]),
                                              st.sampled_from(['["branch"]', "1", '""', "true", '[""]', '["x"]', "[1]"])))
def test_fuzzed_ai_toml_is_rules_or_one_sentence(tmp_path_factory, text):
    from metrics.ai_rules import AiRules, AiRulesError
    folder = tmp_path_factory.mktemp("rules")
    (folder / "ai.toml").write_text(text, encoding="utf-8")
    try:
        assert isinstance(rules_of_data(folder), AiRules)
    except AiRulesError as e:
        assert "\n" not in str(e).strip() and str(e)


def test_every_source_that_reads_prs_says_which_facts_its_verdicts_read():
    from metrics.registry.docs import stale
    from metrics.registry.source_docs import ai_facts_table, builtins
    said = {spec.name for spec in builtins() if spec.ai_facts}
    assert said == {"git", "github", "gitlab", "bitbucket", "azure-devops"}
    assert all(f"| {name} |" in ai_facts_table(builtins()) for name in said)
    assert not [block for block in stale() if block[1] == "ai facts table"]


def test_a_broken_ai_toml_stops_an_organisations_sync_before_it_lists_the_repositories(data_dir):
    from fake_apis import FakeGitHubOrg
    from metrics.ingest.sync.group import sync_group
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "ai.toml").write_text("[ai]\nrules = [\"branch\", \"branch\"]\n")
    with FakeGitHubOrg() as org:
        org.add_repo("shop")
        src = source_of({"type": "github", "org": "acme", "dataset": "acme", "api_url": org.url,
                         "since": "2024-02-01"}, "test")
        with pytest.raises(SyncError, match=r"at most once.*\(nothing synced\)"):
            sync_group(src, environ={"GITHUB_TOKEN": org.token})
        assert org.paths() == []


def test_a_git_history_gives_the_comparison_worked_by_hand(tmp_path, data_dir):
    """From a git history to ``--json``'s ``ai``: 40 PRs, one a day from 2024-01-02, each one commit at
    09:00 merged h hours later and tagged at its merge (a lightweight tag: deployed at the merge).
    PRs 1-20 carry Claude's trailer, h = 1..20; PRs 21-40 none, h = 2, 4, .., 40. Lead time (first
    commit to deployment) is h: AI median 10.5 h and p75 15.25 h, other 21 h and 30.5 h (linear
    interpolation); 20 and 20 merged PRs, a share of 50 %; the intervals are those of an independent
    bootstrap with the same seed (the AI group the seed, the other the seed + 1)."""
    import datetime as dt

    import numpy as np

    from metrics import defaults
    from test_ai_comparison import boot, percentile_interval
    repo = tmp_path / "shop"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main", ".")
    commit(repo, "initial", "2024-01-01T08:00:00Z")
    hours = list(range(1, 21)) + list(range(2, 41, 2))
    for k, h in enumerate(hours, start=1):
        start = dt.datetime(2024, 1, 1, 9, tzinfo=dt.timezone.utc) + dt.timedelta(days=k)
        merge = (start + dt.timedelta(hours=h)).isoformat()
        _git(repo, "checkout", "-q", "-b", f"b{k}")
        commit(repo, f"work {k}" + (f"\n\n{CLAUDE}" if k <= 20 else ""), start.isoformat(), name="Bob")
        _git(repo, "checkout", "-q", "main")
        _git(repo, "merge", "-q", "--no-ff", f"b{k}", "-m", f"Merge pull request #{k} from dev/b{k}", when=(merge, merge))
        _git(repo, "tag", f"v{k}")
    code, out, err = imported("--from", "git", repo, "--name", "hist")
    assert code == 0, err
    from conftest import run_cli
    done = run_cli("--dataset", "hist", "--start", "2024-01-01", "--end", "2024-02-15", "--json")
    assert done.returncode == 0, done.stderr
    prs = json.loads(done.stdout)["ai"]["prs"]
    assert prs["merged_prs"] == {"ai": 20, "other": 20, "unknown": 0} and prs["ai_share_pct"] == 50.0
    lead = prs["measures"]["lead_time"]
    assert (lead["ai"]["median"], lead["ai"]["p75"], lead["other"]["median"], lead["other"]["p75"]) == \
        (10.5, 15.25, 21.0, 30.5)
    ai_stats = boot(np.arange(1, 21), defaults.BOOTSTRAP_SEED)
    other_stats = boot(np.arange(2, 41, 2), defaults.BOOTSTRAP_SEED + 1)
    assert lead["ai"]["median_interval"] == pytest.approx(percentile_interval(ai_stats[:, 0]))
    assert lead["other"]["p75_interval"] == pytest.approx(percentile_interval(other_stats[:, 1]))
