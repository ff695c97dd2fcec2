"""A local git repository: tags are deployments, merge and squash commits of PRs are changes."""
from __future__ import annotations

import fnmatch
import re
import subprocess
from pathlib import Path

import pandas as pd

from ... import schema as s
from ..report import LoadError, RawRows
from .common import (count_skip, raw_rows)


MERGE_SUBJECT = re.compile(r"^Merge pull request #(\d+)\b")
SQUASH_SUBJECT = re.compile(r"\(#(\d+)\)\s*$")


def _git(repo: Path, *args: str, stdin: str | None = None, check: bool = True) -> str:
    """The output of ``git -C repo ARGS``: a LoadError with git's own message when it fails, or
    "" when ``check`` is off."""
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, encoding="utf-8",
                              errors="replace", check=False, input=stdin)
    except FileNotFoundError:
        raise LoadError("git is not installed (the git importer runs it to read the repository)") from None
    if done.returncode and check:
        message = (done.stderr.strip().splitlines() or ["git failed"])[-1]
        raise LoadError(f"{repo}: {message}")
    return done.stdout if not done.returncode else ""


def _iso(unix_seconds) -> str:
    return pd.Timestamp(int(unix_seconds), unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _claim(start: str, parents: dict, owner: dict, label: str) -> list[str]:
    """Give ``label`` to every commit reachable from ``start`` that has no owner yet; return them."""
    claimed, stack = [], [start]
    while stack:
        commit = stack.pop()
        if commit in owner or commit not in parents:
            continue
        owner[commit] = label
        claimed.append(commit)
        stack.extend(parents[commit])
    return claimed


def _git_tags(repo: Path, tag_pattern: str, skipped: dict) -> list[tuple]:
    """(name, object type, tagger date, commit) of every tag matching ``tag_pattern``."""
    out = _git(repo, "for-each-ref", "refs/tags",
               "--format=%(refname:strip=2)%1f%(objecttype)%1f%(taggerdate:unix)%1f%(*objectname)%1f%(objectname)")
    tags = []
    for line in out.splitlines():
        name, kind, tagger_date, target, obj = line.split("\x1f")
        if not fnmatch.fnmatchcase(name, tag_pattern):
            count_skip(skipped, f"tags not matching --tag-pattern {tag_pattern!r}")
            continue
        tags.append((name, kind, tagger_date, target if kind == "tag" else obj))
    return tags


def _git_commits(repo: Path, refs: list[str]) -> dict:
    """sha -> (parents, author time, committer time, author, subject) of every commit reachable from ``refs``."""
    if not refs:
        return {}
    # the refs go on stdin: a repository may have more tags than a command line holds
    log = _git(repo, "log", "--format=%H%x1f%P%x1f%at%x1f%ct%x1f%an%x1f%s", "--stdin", stdin="\n".join(refs) + "\n")
    commits = {}
    for line in log.splitlines():
        sha, parents, at, ct, author, subject = line.split("\x1f", 5)
        commits[sha] = (parents.split(), int(at), int(ct), author, subject)
    return commits


def _first_parent_history(head: str, commits: dict) -> list[str]:
    """HEAD's first-parent chain, oldest first."""
    chain = []
    while head in commits:
        chain.append(head)
        head = commits[head][0][0] if commits[head][0] else None
    return chain[::-1]


def git_reader(tag_pattern: str = "*"):
    """A reader of a local git repository (the path is the repository's directory).

    Deployments: tags matching ``tag_pattern`` (a glob; all tags by default), each at its tagger
    date (annotated) or its commit's committer date (lightweight), with the tag as ``deploy_id``.
    Merged PRs: on the first-parent history of HEAD, merge commits "Merge pull request #N ...",
    two-parent merges whose subject ends "(#N)" (GitHub's "pull request title" merge message), and
    squash commits whose subject ends "(#N)". A PR is merged at the commit's committer date and
    created at the earliest author date among its own commits: those reachable from the merge's
    second parent and not from its first (``git rev-list M^2 ^M^1``; a squash commit: its own author
    date). An author date after the merge (clocks differ) is clamped to the merge and counted. Its
    ``deploy_id`` is the earliest-deployed matching tag that contains the merge, so lead time
    follows the history, not the clock. Service: the repository's directory name (a bare or mirror
    repository's, less ``.git``). PR events carry the environment ``git-history`` (``schema.GIT_HISTORY``):
    their creation is a commit time, not a PR's opening. A shallow clone is read, with a warning
    saying how deep it is.
    """
    def read_git(text, path: Path) -> RawRows:
        repo = Path(path)
        if not repo.is_dir():
            raise LoadError(f"{repo}: not a directory (the git importer reads a repository's directory)")
        bare = _git(repo, "rev-parse", "--is-bare-repository").strip() == "true"
        if bare:
            service = repo.resolve().name.removesuffix(".git")
        else:
            service = Path(_git(repo, "rev-parse", "--show-toplevel").strip()).name
        skipped: dict = {}
        warnings = []
        tags = _git_tags(repo, tag_pattern, skipped)
        head = _git(repo, "rev-parse", "--verify", "-q", "HEAD", check=False).strip()   # "" in a repository with no commits
        commits = _git_commits(repo, ([head] if head else []) + [commit for *_, commit in tags])
        parents = {sha: c[0] for sha, c in commits.items()}

        deploys = []                                         # (deploy time, tag, commit), earliest first
        for name, kind, tagger_date, commit in tags:
            if commit not in commits:
                count_skip(skipped, "tags that do not point at a commit")
                continue
            deploys.append((int(tagger_date) if kind == "tag" and tagger_date else commits[commit][2], name, commit))
        deploys.sort()
        deployed_by: dict = {}                               # commit -> the first tag that contains it
        for _, name, commit in deploys:
            _claim(commit, parents, deployed_by, name)
        rows = [{"ts": _iso(when), "kind": s.DEPLOY, "service": service, "deploy_id": name} for when, name, _ in deploys]

        mainline = _first_parent_history(head, commits)
        if _git(repo, "rev-parse", "--is-shallow-repository", check=False).strip() == "true":
            warnings.append(f"{repo.name} is a shallow clone: its history is cut after {len(mainline)} commits of "
                            f"HEAD's first-parent line, so older PRs and the start of some are missing "
                            f"(git fetch --unshallow reads all of it)")
        pr_of: dict = {c: "mainline" for c in mainline}      # commit -> the merge that brought it in
        clamped = 0
        for sha in mainline:
            commit_parents, author_time, commit_time, author, subject = commits[sha]
            merge, squash = MERGE_SUBJECT.match(subject), SQUASH_SUBJECT.search(subject)
            # every merge on the mainline claims what it brings in (M^2 ^M^1, oldest merge first), PR
            # merges or not, so a PR never takes commits another merge ("Merge branch '7.x'") brought
            own = _claim(commit_parents[1], parents, pr_of, sha) if len(commit_parents) > 1 else []
            if len(commit_parents) > 1 and (merge or squash):
                first = min(own, key=lambda c: commits[c][1]) if own else sha
                pr, created, first_author = (merge or squash).group(1), commits[first][1], commits[first][3]
            elif squash:
                pr, created, first_author = squash.group(1), author_time, author
            else:
                continue
            if created > commit_time:                        # an author clock ahead of the committer's
                created, clamped = commit_time, clamped + 1
            base = {"service": service, "pr_id": f"#{pr}", "environment": s.GIT_HISTORY}
            rows.append({**base, "ts": _iso(created), "kind": s.PR_CREATED, "author": first_author})
            rows.append({**base, "ts": _iso(commit_time), "kind": s.PR_MERGED, "deploy_id": deployed_by.get(sha, "")})
        if clamped:
            warnings.append(f"{clamped} PR(s) had a first commit authored after their merge (the clocks differ): "
                            f"created at the merge time instead")
        return raw_rows(rows, range(1, len(rows) + 1), [], "event", skipped, warnings)

    read_git.reads_path = True
    return read_git
