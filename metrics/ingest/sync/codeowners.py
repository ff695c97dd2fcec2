"""Teams from CODEOWNERS files (``sync --teams --teams-from codeowners``).

A CODEOWNERS line is a path pattern (gitignore-like: ``*`` within one path segment, ``**`` across
them, a leading or inner ``/`` anchors it at the root, a trailing ``/`` names a directory, ``dir/*``
its own files only, not deeper ones) and its
owners (``@org/team``, ``@user`` or an e-mail address); the last line matching a path owns it.

Each owner (a team's slug, a user's login; e-mail addresses are left out) becomes a team of the
services it owns: a repository's service when it owns the repository's root (the default owners,
``*``), or, in a monorepo (``service_paths``), each service whose paths it owns (the owner of the
directory each glob names: ``services/api/**`` -> ``services/api/``).
"""
from __future__ import annotations

import base64
import binascii
import re

from .http import SyncError

ROOT_FILE = "any-file"               # a file at the root: what the default owners (``*``) own


def first_file(fetch, paths: tuple, target: str) -> str | None:
    """The text of the first of ``paths`` that ``target`` has (``fetch(path)`` -> the API's reply body
    for a file, its ``content`` base64; a 404 means it has not that one); None when it has none.
    SyncError of one sentence for a reply that is not a file's content."""
    for path in paths:
        try:
            body = fetch(path)
        except SyncError as e:
            if e.status == 404:
                continue
            raise
        try:
            return base64.b64decode(str(body["content"])).decode("utf-8")
        except (TypeError, KeyError, ValueError, binascii.Error):
            raise SyncError(f"{target}'s {path} is not a file's content (base64 text); check the API URL") from None
    return None


def rules(text: str) -> list[tuple[str, tuple]]:
    """The (pattern, owners) lines of a CODEOWNERS file, in order (comments, blank lines and GitLab's
    ``[Section]`` headers left out)."""
    found = []
    for line in str(text).splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "[", "^[")):
            continue
        pattern, *owners = line.split()
        found.append((pattern, tuple(owners)))
    return found


def _regex(pattern: str) -> re.Pattern:
    out = ""
    for part in re.split(r"(\*\*|\*|\?)", pattern):
        out += {"**": ".*", "*": "[^/]*", "?": "[^/]"}.get(part, re.escape(part))
    return re.compile(out + r"\Z")


def matches(pattern: str, path: str) -> bool:
    """Whether a CODEOWNERS ``pattern`` owns the file ``path`` (a file matched itself, or inside a
    directory it matches)."""
    core = pattern.strip("/")
    if core in ("", "*", "**"):
        return True
    anchored = pattern.startswith("/") or "/" in core
    parts = path.strip("/").split("/")
    regex = _regex(core)
    starts = [0] if anchored else range(len(parts))
    for i in starts:
        for j in range(i + 1, len(parts) + 1):
            if pattern.endswith("/") and j == len(parts):
                continue                                          # a directory pattern never names the file itself
            if core.endswith("/*") and j < len(parts):
                continue                                          # docs/* owns docs' own files, not deeper ones
            if regex.match("/".join(parts[i:j])):
                return True
    return False


def owners_of(found: list, path: str) -> tuple:
    """The owners of ``path``: those of the last rule matching it (none: ())."""
    owners: tuple = ()
    for pattern, who in found:
        if matches(pattern, path):
            owners = who
    return owners


def team_of(owner: str) -> str:
    """An owner as a team name: ``@acme/payments`` -> ``payments``, ``@alice`` -> ``alice``; "" for
    an e-mail address."""
    if not owner.startswith("@"):
        return ""
    return owner[1:].rsplit("/", 1)[-1]


def probe(glob: str) -> str:
    """A path inside the directory a service's glob names (``services/api/**`` ->
    ``services/api/any-file``)."""
    literal = re.split(r"[*?\[]", glob, maxsplit=1)[0]
    directory = literal if literal.endswith("/") else literal.rsplit("/", 1)[0] + "/" if "/" in literal else ""
    return directory + ROOT_FILE


def teams_of(files: dict, services: dict, service_paths: dict) -> dict:
    """Team -> the services it owns, from ``files`` (target -> its CODEOWNERS text, or None when it
    has none): a target's service (``services``) by its default owners, or with ``service_paths``
    each of those services by the owners of its directories."""
    teams: dict = {}
    for target, text in files.items():
        if text is None:
            continue
        found = rules(text)
        owned = ({service: [probe(g) for g in globs] for service, globs in service_paths.items()} if service_paths
                 else {services[target]: [ROOT_FILE]})
        for service, paths in owned.items():
            for path in paths:
                for owner in owners_of(found, path):
                    if team_of(owner):
                        teams.setdefault(team_of(owner), set()).add(service)
    return {team: sorted(names) for team, names in sorted(teams.items())}
