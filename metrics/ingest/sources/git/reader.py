"""A local git repository: tags are deployments, merge and squash commits of PRs are changes."""
from __future__ import annotations

import fnmatch
import re
import subprocess
from pathlib import Path

from .... import schema as s
from ...ai_facts import pr_fact
from ...report import LoadError, RawRows
from ..common import count_skip, path_matches, raw_rows, service_globs
from .repositories import found_line, mapped_names, repositories, repository_name, repository_top


MERGE_SUBJECT = re.compile(r"^Merge pull request #(\d+)\b")
SQUASH_SUBJECT = re.compile(r"\(#(\d+)\)\s*$")
MERGE_BRANCH = re.compile(r"^Merge pull request #\d+ from [^/\s]+/(\S+)")


def _git(repo: Path, *args: str, stdin: str | None = None, check: bool = True) -> str:
    """The output of ``git -C repo ARGS``: a LoadError with git's own message when it fails, or
    "" when ``check`` is off."""
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, encoding="utf-8",
                              errors="replace", check=False, input=stdin)
    except FileNotFoundError:
        raise LoadError("git is not installed (the git importer runs it to read the repository)") from None
    if done.returncode and check:
        message = (done.stderr.strip().splitlines() or ["git failed"])[-1].removeprefix("fatal: ")
        raise LoadError(f"{repo}: {message}")
    return done.stdout if not done.returncode else ""


def _iso(unix_seconds) -> str:
    import pandas as pd
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


def _git_tags(repo: Path, tag_pattern: str, tag_patterns: dict, skipped: dict) -> list[tuple]:
    """(name, object type, tagger date, commit) of every tag matching ``tag_pattern`` (or, when
    ``tag_patterns`` are given, one of theirs)."""
    out = _git(repo, "for-each-ref", "refs/tags",
               "--format=%(refname:strip=2)%1f%(objecttype)%1f%(taggerdate:unix)%1f%(*objectname)%1f%(objectname)")
    globs = [g for gs in tag_patterns.values() for g in gs] or [tag_pattern]
    tags = []
    for line in out.splitlines():
        name, kind, tagger_date, target, obj = line.split("\x1f")
        if not any(fnmatch.fnmatchcase(name, g) for g in globs):
            count_skip(skipped, "tags matching no --tag-pattern SERVICE=GLOB" if tag_patterns else
                       f"tags not matching --tag-pattern {tag_pattern!r}")
            continue
        tags.append((name, kind, tagger_date, target if kind == "tag" else obj))
    return tags


def _git_commits(repo: Path, refs: list[str], names: bool = False) -> tuple[dict, dict]:
    """sha -> (parents, author time, committer time, author, subject) of every commit reachable from
    ``refs``, and with ``names`` sha -> the paths it changes (a merge: against its first parent), all
    from one ``git log``."""
    if not refs:
        return {}, {}
    # the refs go on stdin: a repository may have more tags than a command line holds
    options = ["-c", "core.quotePath=false", "log", "--format=%x1e%H%x1f%P%x1f%at%x1f%ct%x1f%an%x1f%s"]
    if names:
        options += ["--name-only", "--diff-merges=first-parent"]
    log = _git(repo, *options, "--stdin", stdin="\n".join(refs) + "\n")
    commits, paths = {}, {}
    for record in log.split("\x1e")[1:]:
        header, *files = record.split("\n")
        sha, parents, at, ct, author, subject = header.split("\x1f", 5)
        commits[sha] = (parents.split(), int(at), int(ct), author, subject)
        paths[sha] = [f for f in files if f]
    return commits, paths


def _diffstats(repo: Path, shas: list[str]) -> dict:
    """sha -> (lines added, lines removed, files changed) of each of ``shas`` (a merge: against its
    first parent, everything it brought to the mainline), from one ``git log --numstat``; a binary
    file is a file changed with no lines, a renamed one one file."""
    if not shas:
        return {}
    log = _git(repo, "-c", "core.quotePath=false", "log", "--no-walk=unsorted", "--numstat",
               "--diff-merges=first-parent", "--format=%x1e%H", "--stdin", stdin="\n".join(shas) + "\n")
    stats = {}
    for record in log.split("\x1e")[1:]:
        sha, *lines = record.split("\n")
        added = removed = files = 0
        for line in lines:
            parts = line.split("\t", 2)
            if len(parts) < 3:
                continue
            files += 1
            added += int(parts[0]) if parts[0].isdigit() else 0        # "-": a binary file
            removed += int(parts[1]) if parts[1].isdigit() else 0
        stats[sha.strip()] = (added, removed, files)
    return stats


def _messages(repo: Path, shas: list[str]) -> dict:
    """sha -> its whole commit message (subject, body and trailers), from one ``git log``."""
    if not shas:
        return {}
    log = _git(repo, "log", "--no-walk=unsorted", "--format=%x1e%H%x1f%B", "--stdin", stdin="\n".join(shas) + "\n")
    return dict(record.split("\x1f", 1) for record in log.split("\x1e")[1:] if "\x1f" in record)


def services_touched(files: list, service_paths: dict) -> list[str]:
    """The services (of SERVICE -> globs) whose paths any of ``files`` is under, in the mapping's order."""
    return [svc for svc, globs in service_paths.items() if any(path_matches(f, g) for f in files for g in globs)]


def merge_branch(subject: str) -> str:
    """The source branch a merge's subject names: BRANCH of "Merge pull request #N from
    OWNER/BRANCH" (GitHub's merge message); "" for any other subject."""
    found = MERGE_BRANCH.match(subject)
    return found.group(1) if found else ""


def _first_parent_history(head: str, commits: dict) -> list[str]:
    """HEAD's first-parent chain, oldest first."""
    chain = []
    while head in commits:
        chain.append(head)
        head = commits[head][0][0] if commits[head][0] else None
    return chain[::-1]


def git_reader(tag_pattern: str = "*", service_paths: dict | None = None, tag_patterns: dict | None = None,
               scan_folders: bool = False, names: dict | None = None):
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

    Ids are the repository's own (``#N``, the tag's name): ``normalize``'s id rule qualifies them
    with the service (``shop#12``, ``shop@v1.0``), so two repositories' PR #12 are two PRs.

    A monorepo: ``service_paths`` (SERVICE -> globs) puts a PR in every service whose paths its
    merge changes (against the first parent); ``tag_patterns`` (SERVICE -> globs) makes a tag deploy
    only the services it matches (others are ignored, with a warning); without them a tag deploys
    every service (one deployment in each, ``api@v1`` and ``web@v1`` once qualified).

    Several repositories: ``read_git.targets(paths, service)`` is what an import reads for its
    paths and what to say of them (``repositories.repositories``: with ``scan_folders`` every
    repository under them, said as "found 3 repositories under org"; two that would be one service
    refused), ``names`` (repository -> service) the services ``--service-map`` gives instead of the
    directories' names; ``read_git.item`` what one is called.
    """
    service_paths, tag_patterns, names = dict(service_paths or {}), dict(tag_patterns or {}), dict(names or {})

    def read_git(text, path: Path) -> RawRows:
        repo = Path(path)
        if not repo.is_dir():
            raise LoadError(f"{repo}: not a directory (the git importer reads a repository's directory)")
        _git(repo, "rev-parse", "--git-dir")                  # git's own sentence for a folder that is not one
        service = names.get(repository_top(repo)) or repository_name(repo)
        skipped: dict = {}
        warnings = []
        tags = _git_tags(repo, tag_pattern, tag_patterns, skipped)
        ignored = skipped.get("tags matching no --tag-pattern SERVICE=GLOB", 0)
        if ignored:
            warnings.append(f"{ignored} tag(s) match no --tag-pattern SERVICE=GLOB and were ignored (not deployments)")
        head = _git(repo, "rev-parse", "--verify", "-q", "HEAD", check=False).strip()   # "" in a repository with no commits
        commits, paths = _git_commits(repo, ([head] if head else []) + [commit for *_, commit in tags],
                                      names=bool(service_paths))
        parents = {sha: c[0] for sha, c in commits.items()}

        deploys = []                                         # (deploy time, tag, commit), earliest first
        for name, kind, tagger_date, commit in tags:
            if commit not in commits:
                count_skip(skipped, "tags that do not point at a commit")
                continue
            deploys.append((int(tagger_date) if kind == "tag" and tagger_date else commits[commit][2], name, commit))
        deploys.sort()
        services = list(service_paths) or [service]
        targets = {svc: [d for d in deploys if not tag_patterns or any(fnmatch.fnmatchcase(d[1], g)
                                                                       for g in tag_patterns.get(svc, ()))]
                   for svc in services}
        deployed_by: dict = {svc: {} for svc in services}    # service -> commit -> the first tag that contains it
        rows = []
        for svc, ds in targets.items():
            for when, name, commit in ds:
                _claim(commit, parents, deployed_by[svc], name)
                rows.append({"ts": _iso(when), "kind": s.DEPLOY, "service": svc, "deploy_id": name})

        mainline = _first_parent_history(head, commits)
        if _git(repo, "rev-parse", "--is-shallow-repository", check=False).strip() == "true":
            warnings.append(f"{repo.name} is a shallow clone: its history is cut after {len(mainline)} commits of "
                            f"HEAD's first-parent line, so older PRs and the start of some are missing "
                            f"(git fetch --unshallow reads all of it)")
        pr_of: dict = {c: "mainline" for c in mainline}      # commit -> the merge that brought it in
        clamped = 0
        merged_prs = []                                      # (merge commit, its PR's rows' base, merge time)
        facts = []                                           # (row number, service, PR, created, its commits, author, branch)
        for sha in mainline:
            commit_parents, author_time, commit_time, author, subject = commits[sha]
            merge, squash = MERGE_SUBJECT.match(subject), SQUASH_SUBJECT.search(subject)
            # every merge on the mainline claims what it brings in (M^2 ^M^1, oldest merge first), PR
            # merges or not, so a PR never takes commits another merge ("Merge branch '7.x'") brought
            own = _claim(commit_parents[1], parents, pr_of, sha) if len(commit_parents) > 1 else []
            if len(commit_parents) > 1 and (merge or squash):
                first = min(own, key=lambda c: commits[c][1]) if own else sha
                pr, created, first_author = (merge or squash).group(1), commits[first][1], commits[first][3]
                first_commit = created if own else None
                shas = [sha, *own]
            elif squash:                                     # the squashed commit is the PR's only one
                pr, created, first_author, first_commit, shas = squash.group(1), author_time, author, None, [sha]
            else:
                continue
            if created > commit_time:                        # an author clock ahead of the committer's
                created, clamped = commit_time, clamped + 1
                first_commit = None if first_commit is None else commit_time
            owners = services_touched(paths.get(sha, []), service_paths) if service_paths else [service]
            if not owners:
                count_skip(skipped, "PRs changing no --service-path path")
            for svc in owners:
                base = {"service": svc, "pr_id": f"#{pr}", "environment": s.GIT_HISTORY}
                rows.append({**base, "ts": _iso(created), "kind": s.PR_CREATED, "author": first_author})
                rows.append({**base, "ts": _iso(commit_time), "kind": s.PR_MERGED,
                             "deploy_id": deployed_by[svc].get(sha, "")})
                if first_commit is not None:
                    rows.append({**base, "ts": _iso(first_commit), "kind": s.PR_FIRST_COMMIT})
                merged_prs.append((sha, base, commit_time))
                facts.append((len(rows), svc, f"#{pr}", _iso(created), shas, first_author,
                              merge_branch(subject) if len(commit_parents) > 1 else ""))
        stats = _diffstats(repo, list(dict.fromkeys(sha for sha, _, _ in merged_prs)))
        for sha, base, commit_time in merged_prs:
            for kind, number in zip(s.PR_SIZE_KINDS, stats.get(sha, (0, 0, 0)), strict=True):
                rows.append({**base, "ts": _iso(commit_time), "kind": kind, "metric_value": number})
        if clamped:
            warnings.append(f"{clamped} PR(s) had a first commit authored after their merge (the clocks differ): "
                            f"created at the merge time instead")
        messages = _messages(repo, list(dict.fromkeys(c for *_, shas, _, _ in facts for c in shas)))
        pr_facts = [pr_fact(number, created, svc, pr, [messages.get(c, "") for c in shas], author=author, branch=branch)
                    for number, svc, pr, created, shas, author, branch in facts]
        return raw_rows(rows, range(1, len(rows) + 1), [], "event", skipped, warnings, pr_facts)

    read_git.reads_path = True
    read_git.item = ("repository", "repositories")

    def targets(paths, service=None) -> tuple[list, str | None]:
        found = repositories(paths, scan_folders, names, service, monorepo=bool(service_paths))
        return found, found_line(paths, found) if scan_folders else None

    read_git.targets = targets
    return read_git


def git_import_reader(tag_pattern=(), service_path: dict | None = None, scan: bool = False,
                      service_map: dict | None = None):
    """``git_reader`` from the command line's options: ``--tag-pattern`` (one glob, or SERVICE=GLOB
    per service; a text is one use), ``--service-path`` (SERVICE -> globs), ``--scan`` (the paths
    are folders holding repositories) and ``--service-map`` (NAME -> repositories); a ValueError of
    one sentence for a glob that is empty, a mix of the two forms, a service no path gives, a
    repository mapped twice, or ``--service-map`` with ``--service-path``."""
    values = (tag_pattern,) if isinstance(tag_pattern, str) else tuple(tag_pattern)
    plain = [v for v in values if "=" not in v]
    mapped = [v.partition("=")[::2] for v in values if "=" in v]
    if plain and mapped:
        raise ValueError("--tag-pattern is either one glob or SERVICE=GLOB per service, not both")
    if len(plain) > 1 or any(not v.strip() for v in plain):
        raise ValueError(f"--tag-pattern takes one non-empty glob (or SERVICE=GLOB per service), got {plain!r}")
    service_paths = service_globs([(name, glob) for name, globs in (service_path or {}).items()
                                   for glob in ((globs,) if isinstance(globs, str) else globs)], "--service-path")
    tag_patterns = service_globs(mapped, "--tag-pattern")
    unknown = sorted(set(tag_patterns) - set(service_paths))
    if unknown:
        raise ValueError(f"--tag-pattern names service {unknown[0]!r}, which no --service-path gives "
                         f"(services: {', '.join(service_paths) or 'none'})")
    if service_map and service_paths:
        raise ValueError("--service-map names whole repositories, --service-path splits one into services: "
                         "give one of them")
    names = mapped_names({name: (folders,) if isinstance(folders, str) else tuple(folders)
                          for name, folders in (service_map or {}).items()})
    return git_reader(plain[0] if plain else "*", service_paths, tag_patterns, bool(scan), names)
