"""A local git repository: tags are deployments, PR merges are changes (histories built in the test)."""
import io
import json
import os
import subprocess

import pandas as pd
import pytest

from conftest import run_cli
from metrics.cli import run_import
from metrics.ingest import load_events
from metrics.ingest.sources.git.reader import git_reader
from metrics.registry.source import source
from metrics.tables import NA, tables_from_frame




def _git(repo, *args, when=None, name="Ann"):
    env = dict(os.environ, GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=f"{name.lower()}@example.com",
               GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=f"{name.lower()}@example.com")
    if when:
        env.update(GIT_AUTHOR_DATE=when[0], GIT_COMMITTER_DATE=when[1])
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def make_repo(repo):
    """A repository whose history is written out below, with every date chosen by hand.

    main:  initial (03-01 09:00, tag nightly-1)
           <- PR #1 merge commit (merged 03-02 09:00; its commits authored 03-01 10:00 by Bob and 03-01 12:00)
              annotated tag v1.0, tagged 03-02 15:00
           <- squash "Add search (#2)" (authored 03-03 08:00, committed 03-04 10:00), lightweight tag v1.1
           <- squash "Fix typo (#3)" (authored 03-05 09:00, committed 03-05 11:00), not tagged
           <- "Merge branch 'docs'" (not a pull request)
    """
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main", ".")
    commit = lambda message, author, committer, name="Ann": _git(
        repo, "commit", "-q", "--allow-empty", "-m", message, when=(author, committer), name=name)
    commit("initial", "2024-03-01T09:00:00Z", "2024-03-01T09:00:00Z")
    _git(repo, "tag", "nightly-1")
    _git(repo, "checkout", "-q", "-b", "f1")
    commit("search box", "2024-03-01T10:00:00Z", "2024-03-01T10:00:00Z", name="Bob")
    commit("tests", "2024-03-01T12:00:00Z", "2024-03-01T12:00:00Z")
    _git(repo, "checkout", "-q", "main")
    _git(repo, "merge", "-q", "--no-ff", "f1", "-m", "Merge pull request #1 from dev/f1",
         when=("2024-03-02T09:00:00Z", "2024-03-02T09:00:00Z"))
    _git(repo, "tag", "-a", "v1.0", "-m", "release 1.0", when=("2024-03-02T15:00:00Z", "2024-03-02T15:00:00Z"))
    commit("Add search (#2)", "2024-03-03T08:00:00Z", "2024-03-04T10:00:00Z")
    _git(repo, "tag", "v1.1")
    commit("Fix typo (#3)", "2024-03-05T09:00:00Z", "2024-03-05T11:00:00Z")
    _git(repo, "checkout", "-q", "-b", "docs")
    commit("docs", "2024-03-05T12:00:00Z", "2024-03-05T12:00:00Z")
    _git(repo, "checkout", "-q", "main")
    _git(repo, "merge", "-q", "--no-ff", "docs", "-m", "Merge branch 'docs'",
         when=("2024-03-05T13:00:00Z", "2024-03-05T13:00:00Z"))
    return repo


@pytest.fixture
def shop_repo(tmp_path):
    return make_repo(tmp_path / "shop")


def test_git_tags_are_deploys_and_pull_requests_come_from_history(shop_repo):
    frame, report = load_events([shop_repo], reader=source("git").make_reader(tag_pattern="v*"))
    rows = {(r.kind, r.pr_id or r.deploy_id): (str(r.ts), r.deploy_id, r.author) for r in frame.itertuples()}
    assert rows == {
        # annotated tag: its tagger date; lightweight tag: its commit's committer date
        ("deploy", "shop@v1.0"): ("2024-03-02 15:00:00+00:00", "shop@v1.0", ""),
        ("deploy", "shop@v1.1"): ("2024-03-04 10:00:00+00:00", "shop@v1.1", ""),
        # merge commit: created at the earliest author date of the PR's own commits, merged at the commit
        ("pr_created", "shop#1"): ("2024-03-01 10:00:00+00:00", "", "Bob"),
        ("pr_merged", "shop#1"): ("2024-03-02 09:00:00+00:00", "v1.0", ""),
        # squash commit: created at its author date; shipped by the first tag containing it
        ("pr_created", "shop#2"): ("2024-03-03 08:00:00+00:00", "", "Ann"),
        ("pr_merged", "shop#2"): ("2024-03-04 10:00:00+00:00", "v1.1", ""),
        ("pr_created", "shop#3"): ("2024-03-05 09:00:00+00:00", "", "Ann"),
        ("pr_merged", "shop#3"): ("2024-03-05 11:00:00+00:00", "", ""),
        # the merge's first commit; a squash commit has none (its only commit is the squash)
        ("pr_first_commit", "shop#1"): ("2024-03-01 10:00:00+00:00", "", ""),
        # sizes at the merge (every commit here is empty: 0 lines, 0 files)
        **{(kind, f"shop#{n}"): (merged, "", "") for kind in ("pr_lines_added", "pr_lines_removed", "pr_files_changed")
           for n, merged in ((1, "2024-03-02 09:00:00+00:00"), (2, "2024-03-04 10:00:00+00:00"),
                             (3, "2024-03-05 11:00:00+00:00"))},
    }
    assert set(frame["service"]) == {"shop"}
    assert report.skipped == {"tags not matching --tag-pattern 'v*'": 1}
    # 8 events, PR #1's first commit, three sizes for each of the three merged PRs
    assert (report.rows_read, report.accepted, report.rejected_count) == (18, 18, 0)


def test_git_import_gives_lead_time_from_history(shop_repo, data_dir):
    p = run_cli("import", "--from", "git", shop_repo, "--name", "shop", "--tag-pattern", "v*")
    assert p.returncode == 0, p.stderr
    assert "Dataset shop: 21 events (+21" in p.stdout        # the reader's 18 and a pr_ai_assisted verdict per PR
    assert "skipped 1 (not events): tags not matching --tag-pattern 'v*'" in p.stderr
    d = json.loads(run_cli("--dataset", "shop", "--json").stdout)
    # PR #1: 03-01 10:00 -> v1.0 03-02 15:00 = 29 h; PR #2: 03-03 08:00 -> v1.1 03-04 10:00 = 26 h; #3 not deployed
    assert d["dora"]["lead_time_hours_median"] == pytest.approx(27.5)
    # window 03-01 .. 03-06 (5 days), two deploys
    assert (d["window"]["days"], d["dora"]["deployments"], d["dora"]["deploys_per_day"]) == (5, 2, 0.4)
    # all tags: nightly-1 (03-01 09:00) is a third deploy, and re-importing the rest adds nothing
    p = run_cli("import", "--from", "git", shop_repo, "--name", "shop")
    assert "Dataset shop: 22 events (+1; 21 already stored" in p.stdout


def test_git_import_errors_are_one_line(tmp_path, data_dir):
    (tmp_path / "plain").mkdir()
    p = run_cli("import", "--from", "git", tmp_path / "plain", "--name", "x")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "not a git repository" in p.stderr
    p = run_cli("import", "--from", "git", tmp_path / "missing", "--name", "x")
    assert p.returncode == 2 and "not a directory" in p.stderr


def test_git_repository_without_commits_gives_no_events(tmp_path):
    (tmp_path / "empty").mkdir()
    _git(tmp_path / "empty", "init", "-q")
    frame, report = load_events([tmp_path / "empty"], reader=source("git").make_reader())
    assert len(frame) == 0 and report.rows_read == 0


def test_progress_bar_on_a_terminal(shop_repo, data_dir):
    class Terminal(io.StringIO):
        def isatty(self):
            return True
    out, err = io.StringIO(), Terminal()
    assert run_import(["--from", "git", str(shop_repo), "--name", "shop"], out=out, err=err) == 0
    bar = err.getvalue()
    assert "\r[------------------------------] 0/1 reading shop" in bar
    assert "\r[##############################] 3/3 stored shop" in bar          # events, hashes, pairing events
    err = io.StringIO()                                  # not a terminal: no bar
    run_import(["--from", "git", str(shop_repo), "--name", "shop"], out=out, err=err)
    assert "\r" not in err.getvalue()




def git_events(repo, **options):
    frame, report = load_events([repo], reader=git_reader(**options))
    return frame, report


def pr_times(frame) -> dict:
    """pr_id -> (created, merged) as 'MM-DD HH:MM'."""
    out = {}
    for kind, key in (("pr_created", 0), ("pr_merged", 1)):
        for r in frame[frame["kind"] == kind].itertuples():
            out.setdefault(r.pr_id, [None, None])[key] = f"{r.ts:%m-%d %H:%M}"
    return {k: tuple(v) for k, v in out.items()}


def test_a_mirror_clone_imports_like_the_repository(shop_repo, tmp_path):
    mirror = tmp_path / "shop.git"
    subprocess.run(["git", "clone", "-q", "--mirror", str(shop_repo), str(mirror)], check=True)
    frame, _ = git_events(mirror)
    original, _ = git_events(shop_repo)
    assert set(frame["service"]) == {"shop"}                         # the directory's name less ".git"
    columns = ["ts", "kind", "deploy_id", "pr_id"]
    assert frame[columns].sort_values(columns).reset_index(drop=True).equals(
        original[columns].sort_values(columns).reset_index(drop=True))


def test_title_merges_and_a_prs_own_commits(tmp_path):
    """A two-parent merge titled "Add login (#7)" is PR 7; its own commits are M^2 ^M^1, so a
    commit that reached main through "Merge branch '7.x'" (authored in 2023) is not its start."""
    repo = tmp_path / "app"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main", ".")
    commit = lambda message, when: _git(repo, "commit", "-q", "--allow-empty", "-m", message, when=(when, when))  # noqa: E731
    commit("initial", "2023-01-01T09:00:00Z")
    _git(repo, "checkout", "-q", "-b", "7.x")
    commit("old maintenance fix", "2023-06-01T09:00:00Z")
    _git(repo, "checkout", "-q", "main")
    _git(repo, "merge", "-q", "--no-ff", "7.x", "-m", "Merge branch '7.x'", when=("2024-03-01T08:00:00Z",) * 2)
    _git(repo, "checkout", "-q", "-b", "login", "7.x")              # the PR branch starts from 7.x's history
    commit("login form", "2024-03-02T10:00:00Z")
    commit("login tests", "2024-03-02T14:00:00Z")
    _git(repo, "checkout", "-q", "main")
    _git(repo, "merge", "-q", "--no-ff", "login", "-m", "Add login (#7)", when=("2024-03-03T09:00:00Z",) * 2)
    frame, report = git_events(repo)
    # created at the earliest of its own two commits (03-02 10:00), not at 2023-06-01's fix
    assert pr_times(frame) == {"app#7": ("03-02 10:00", "03-03 09:00")}
    assert report.rejected_count == 0


def test_an_author_clock_ahead_is_clamped_and_said(tmp_path):
    repo = tmp_path / "skew"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main", ".")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "initial", when=("2024-03-01T09:00:00Z",) * 2)
    # authored 2 hours "after" it was committed (a laptop clock ahead)
    _git(repo, "commit", "-q", "--allow-empty", "-m", "Quick fix (#4)", when=("2024-03-02T12:00:00Z", "2024-03-02T10:00:00Z"))
    frame, report = git_events(repo)
    assert pr_times(frame) == {"skew#4": ("03-02 10:00", "03-02 10:00")}       # kept, created at the merge
    assert report.rejected_count == 0
    assert any("1 PR(s) had a first commit authored after their merge" in w for w in report.warnings)


def test_a_shallow_clone_warns_how_deep_it_is(shop_repo, tmp_path):
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{shop_repo}", str(shallow)], check=True)
    frame, report = git_events(shallow)
    (warning,) = [w for w in report.warnings if "shallow clone" in w]
    assert "cut after 2 commits" in warning and "git fetch --unshallow" in warning
    assert "warning: shallow is a shallow clone" in "\n".join(report.lines())


def make_monorepo(repo):
    """Two services in one repository, every date chosen by hand:

    main:  initial (03-01 09:00, README)
           <- PR #1 merge (services/api/app.py authored 03-01 10:00; merged 03-02 09:00); annotated api-v1 03-02 12:00
           <- squash "Web page (#2)" (apps/web/index.html; authored 03-02 13:00, committed 03-03 08:00); lightweight web-v1
           <- PR #3 merge (services/api/app.py and apps/web/index.html authored 03-03 10:00; merged 03-04 09:00);
              annotated web-v2 03-04 11:00, annotated api-v2 03-05 09:00
           <- squash "Docs (#4)" (docs/guide.md only; 03-05 10:00 / 11:00); lightweight nightly-5
    """
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main", ".")

    def commit(message, files, author, committer=None):
        for name in files:
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text(f"{message}\n", encoding="utf-8")
            _git(repo, "add", name)
        _git(repo, "commit", "-q", "-m", message, when=(author, committer or author))

    def merge(branch, message, when):
        _git(repo, "checkout", "-q", "main")
        _git(repo, "merge", "-q", "--no-ff", branch, "-m", message, when=(when, when))

    def tag(name, when=None):
        _git(repo, *(["tag", "-a", name, "-m", name] if when else ["tag", name]), when=(when, when) if when else None)

    commit("initial", ["README.md"], "2024-03-01T09:00:00Z")
    _git(repo, "checkout", "-q", "-b", "api-login")
    commit("login endpoint", ["services/api/app.py"], "2024-03-01T10:00:00Z")
    merge("api-login", "Merge pull request #1 from dev/api-login", "2024-03-02T09:00:00Z")
    tag("api-v1", "2024-03-02T12:00:00Z")
    commit("Web page (#2)", ["apps/web/index.html"], "2024-03-02T13:00:00Z", "2024-03-03T08:00:00Z")
    tag("web-v1")
    _git(repo, "checkout", "-q", "-b", "both")
    commit("login page and endpoint", ["services/api/app.py", "apps/web/index.html"], "2024-03-03T10:00:00Z")
    merge("both", "Merge pull request #3 from dev/both", "2024-03-04T09:00:00Z")
    tag("web-v2", "2024-03-04T11:00:00Z")
    tag("api-v2", "2024-03-05T09:00:00Z")
    commit("Docs (#4)", ["docs/guide.md"], "2024-03-05T10:00:00Z", "2024-03-05T11:00:00Z")
    tag("nightly-5")
    return repo


MONOREPO_OPTIONS = ["--service-path", "api=services/api/**", "--service-path", "web=apps/web",
                    "--tag-pattern", "api=api-v*", "--tag-pattern", "web=web-v*"]


def test_a_monorepo_gives_each_service_its_prs_and_deployments(tmp_path):
    repo = make_monorepo(tmp_path / "mono")
    frame, report = git_events(repo, service_paths={"api": ("services/api/**",), "web": ("apps/web",)},
                               tag_patterns={"api": ("api-v*",), "web": ("web-v*",)})
    deploys = frame[frame["kind"] == "deploy"]
    assert sorted(zip(deploys["service"], deploys["deploy_id"], deploys["ts"].dt.strftime("%m-%d %H:%M"))) == [
        ("api", "api@api-v1", "03-02 12:00"), ("api", "api@api-v2", "03-05 09:00"),
        ("web", "web@web-v1", "03-03 08:00"), ("web", "web@web-v2", "03-04 11:00")]
    merged = frame[frame["kind"] == "pr_merged"]
    # PR #3 changes both services: one PR in each, each shipped by its own service's first tag
    assert dict(zip(merged["pr_id"], zip(merged["service"], merged["deploy_id"]))) == {
        "api#1": ("api", "api-v1"), "web#2": ("web", "web-v1"), "api#3": ("api", "api-v2"), "web#3": ("web", "web-v2")}
    assert pr_times(frame) == {"api#1": ("03-01 10:00", "03-02 09:00"), "web#2": ("03-02 13:00", "03-03 08:00"),
                               "api#3": ("03-03 10:00", "03-04 09:00"), "web#3": ("03-03 10:00", "03-04 09:00")}
    assert report.skipped == {"tags matching no --tag-pattern SERVICE=GLOB": 1, "PRs changing no --service-path path": 1}
    assert report.warnings == ["1 tag(s) match no --tag-pattern SERVICE=GLOB and were ignored (not deployments)"]
    assert report.rejected_count == 0


def test_monorepo_lead_time_and_deployments_per_service(tmp_path, data_dir):
    repo = make_monorepo(tmp_path / "mono")
    p = run_cli("import", "--from", "git", repo, "--name", "mono", *MONOREPO_OPTIONS)
    assert p.returncode == 0, p.stderr
    assert "warning: 1 tag(s) match no --tag-pattern SERVICE=GLOB and were ignored" in p.stderr
    dora = lambda *only: json.loads(run_cli("--dataset", "mono", "--json", *only).stdout)["dora"]  # noqa: E731
    # api: #1 03-01 10:00 -> api-v1 03-02 12:00 = 26 h; #3 03-03 10:00 -> api-v2 03-05 09:00 = 47 h; median 36.5
    api = dora("--only-service", "api")
    assert (api["lead_time_hours_median"], api["deployments"]) == (36.5, 2)
    # web: #2 03-02 13:00 -> web-v1 03-03 08:00 = 19 h; #3 03-03 10:00 -> web-v2 03-04 11:00 = 25 h; median 22
    web = dora("--only-service", "web")
    assert (web["lead_time_hours_median"], web["deployments"]) == (22.0, 2)
    both = dora()                                                    # 19, 25, 26, 47 h
    assert (both["lead_time_hours_median"], both["deployments"]) == (25.5, 4)


def test_without_tag_patterns_a_tag_deploys_every_service(tmp_path, data_dir):
    repo = make_monorepo(tmp_path / "mono")
    frame, report = git_events(repo, tag_pattern="*-v*", service_paths={"api": ("services/api",), "web": ("apps/web/*",)})
    deploys = frame[frame["kind"] == "deploy"]
    # the reader gives the tag's own name in each service; the id rule makes them two deployments
    assert len(deploys) == 8 and {"api@web-v1", "web@web-v1", "api@api-v1", "web@api-v1"} <= set(deploys["deploy_id"])
    merged = frame[frame["kind"] == "pr_merged"]
    # every tag deploys both: web#2 is shipped by web-v1, api#1 by api-v1, both halves of #3 by web-v2 (03-04 11:00)
    assert dict(zip(merged["pr_id"], merged["deploy_id"])) == {
        "api#1": "api-v1", "web#2": "web-v1", "api#3": "web-v2", "web#3": "web-v2"}
    assert report.warnings == []
    out = io.StringIO()
    assert run_import(["--from", "git", str(repo), "--name", "mono", "--tag-pattern", "*-v*", "--service-path",
                       "api=services/api", "--service-path", "web=apps/web/*"], out=out, err=io.StringIO()) == 0
    dora = lambda service: json.loads(run_cli("--dataset", "mono", "--json", "--only-service", service).stdout)["dora"]  # noqa: E731
    # each half is timed to its own service's deployment: api #1 03-01 10:00 -> api-v1 03-02 12:00 = 26 h,
    # #3 03-03 10:00 -> web-v2 03-04 11:00 = 25 h (median 25.5); web #2 03-02 13:00 -> web-v1 03-03 08:00
    # = 19 h, #3 25 h (median 22); each service deployed by all four tags
    assert [(d["lead_time_hours_median"], d["deployments"]) for d in map(dora, ("api", "web"))] == [(25.5, 4), (22.0, 4)]


@pytest.mark.parametrize("options, message", [
    (["--service-path", "api"], "argument --service-path: expected SERVICE=GLOB"),
    (["--service-path", "api="], "argument --service-path: expected SERVICE=GLOB"),
    (["--service-path", "=services/api"], "argument --service-path: expected SERVICE=GLOB"),
    (["--service-path", "api=x", "--tag-pattern", "api="], "--tag-pattern needs SERVICE=GLOB with a service name and a non-empty glob"),
    (["--service-path", "api=x", "--tag-pattern", "web=web-v*"], "--tag-pattern names service 'web', which no --service-path gives"),
    (["--service-path", "api=x", "--tag-pattern", "api=a*", "--tag-pattern", "v*"], "--tag-pattern is either one glob or SERVICE=GLOB"),
    (["--tag-pattern", ""], "--tag-pattern takes one non-empty glob"),
    (["--service-path", "api=x", "--service", "api"], "--service sets one service for every event"),
])
def test_bad_monorepo_options_are_one_sentence(options, message, shop_repo, data_dir):
    p = run_cli("import", "--from", "git", shop_repo, "--name", "x", *options)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    (line,) = p.stderr.strip().splitlines()
    assert line.startswith(f"error: {message}"), line


def test_service_paths_are_for_the_git_importer(data_dir):
    # the registry's sentence for another source's option (it was "--service-path and --tag-pattern
    # SERVICE=GLOB are for --from git", written for these two alone)
    p = run_cli("import", "--from", "events", "x.csv", "--name", "x", "--service-path", "api=services/api/**")
    assert p.returncode == 2 and p.stderr.strip() == "error: --service-path is for --from git, not for --from events"
    p = run_cli("import", "--from", "events", "x.csv", "--name", "x", "--tag-pattern", "api=api-v*")
    assert p.returncode == 2 and p.stderr.strip() == "error: --tag-pattern is for --from git, not for --from events"


def _write(repo, name, lines=None, data=None):
    path = repo / name
    if data is not None:
        path.write_bytes(data)
    else:
        path.write_text("".join(f"{line}\n" for line in lines))


def make_sized_repo(repo):
    """A history with real changes, each date and line chosen by hand:

    main:  initial 04-01 08:00: a.txt (10 lines), logo.bin (binary), c.txt (1 line)
           feat (from initial): 04-02 09:00 a.txt lines 3, 4 rewritten, b.txt added (5 lines)
                                04-03 14:00 logo.bin changed (binary), b.txt's last line removed
           main: 04-02 12:00 c.txt +3 lines (main's own change: not the PR's)
           <- "Merge pull request #5 from dev/feat" 04-04 10:00: against its first parent a.txt +2 -2,
              b.txt +4 (5 added, 1 removed, in one diff), logo.bin binary: 6 added, 2 removed, 3 files
           <- squash "Trim a (#6)" authored 04-05 09:00, committed 04-05 11:00: a.txt -3 lines, d.txt +1
              line, b.txt renamed to e.txt unchanged: 1 added, 3 removed, 3 files (a rename is one file)
    """
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main", ".")
    commit = lambda message, author, committer: (_git(repo, "add", "-A"),  # noqa: E731
                                                 _git(repo, "commit", "-q", "-m", message, when=(author, committer)))
    a = [f"line {n}" for n in range(1, 11)]
    _write(repo, "a.txt", a)
    _write(repo, "logo.bin", data=bytes(range(256)) * 4)
    _write(repo, "c.txt", ["c"])
    commit("initial", "2024-04-01T08:00:00Z", "2024-04-01T08:00:00Z")
    _git(repo, "checkout", "-q", "-b", "feat")
    _write(repo, "a.txt", a[:2] + ["line three", "line four"] + a[4:])
    _write(repo, "b.txt", ["b1", "b2", "b3", "b4", "b5"])
    commit("rewrite a, add b", "2024-04-02T09:00:00Z", "2024-04-02T09:30:00Z")
    _write(repo, "logo.bin", data=bytes(reversed(range(256))) * 4)
    _write(repo, "b.txt", ["b1", "b2", "b3", "b4"])
    commit("new logo", "2024-04-03T14:00:00Z", "2024-04-03T14:00:00Z")
    _git(repo, "checkout", "-q", "main")
    _write(repo, "c.txt", ["c", "c2", "c3", "c4"])
    commit("main's own change", "2024-04-02T12:00:00Z", "2024-04-02T12:00:00Z")
    _git(repo, "merge", "-q", "--no-ff", "feat", "-m", "Merge pull request #5 from dev/feat",
         when=("2024-04-04T10:00:00Z", "2024-04-04T10:00:00Z"))
    _git(repo, "mv", "b.txt", "e.txt")
    _write(repo, "a.txt", a[:2] + ["line three", "line four"] + a[4:7])
    _write(repo, "d.txt", ["d"])
    commit("Trim a (#6)", "2024-04-05T09:00:00Z", "2024-04-05T11:00:00Z")
    return repo


def test_first_commits_and_sizes_come_from_the_history(tmp_path):
    frame, report = git_events(make_sized_repo(tmp_path / "sized"))
    assert report.rejected_count == 0
    facts = {(r.kind, r.pr_id): (f"{r.ts:%m-%d %H:%M}", r.metric_value) for r in frame.itertuples()
             if r.kind in ("pr_first_commit", "pr_lines_added", "pr_lines_removed", "pr_files_changed")}
    value = lambda v: v if v == v else None  # noqa: E731
    assert {k: (t, value(v)) for k, (t, v) in facts.items()} == {
        # the merge: its first commit authored 04-02 09:00 (not the 09:30 commit time), sizes at the merge
        ("pr_first_commit", "sized#5"): ("04-02 09:00", None),
        ("pr_lines_added", "sized#5"): ("04-04 10:00", 6.0),
        ("pr_lines_removed", "sized#5"): ("04-04 10:00", 2.0),
        ("pr_files_changed", "sized#5"): ("04-04 10:00", 3.0),
        # the squash: no first commit of its own (the squash is the only commit), sizes at its commit time
        ("pr_lines_added", "sized#6"): ("04-05 11:00", 1.0),
        ("pr_lines_removed", "sized#6"): ("04-05 11:00", 3.0),
        ("pr_files_changed", "sized#6"): ("04-05 11:00", 3.0),
    }


def test_the_pr_table_carries_first_commit_and_size(tmp_path, data_dir):
    repo = make_sized_repo(tmp_path / "sized")
    p = run_cli("import", "--from", "git", repo, "--name", "sized")
    assert p.returncode == 0, p.stderr
    # 4 PR events, 1 first commit, 6 sizes, 2 pr_ai_assisted verdicts (no tags)
    assert "Dataset sized: 13 events (+13" in p.stdout
    from metrics.store.datasets import load
    prs = tables_from_frame(load("sized")).prs.sort_values("created")
    assert prs[["lines_added", "lines_removed", "files_changed"]].to_numpy().tolist() == [[6, 2, 3], [1, 3, 3]]
    assert prs["first_commit"].tolist() == [pd.Timestamp("2024-04-02T09:00:00Z").value, NA]
