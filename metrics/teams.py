"""Teams: named sets of services, read from a TOML file, so every number can be shown per team.

```toml
# teams.toml (METRICS_TEAMS, default teams.toml in the data directory)
[teams.payments]
services = ["checkout", "payments", "pay-*"]     # names or glob patterns ("pay-*")

[teams.search]
services = ["search-api", "indexer"]
```

Narrowing to a team is narrowing to its services, exactly as ``--only-service`` does, with one
addition for team-level events (satisfaction surveys, platform hours, incident response, toil,
onboarding): such an event whose ``service`` is a team's name counts only for that team; any other
team-level event (``team``, ``platform``...) belongs to the whole organisation and counts for
every team.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from pathlib import Path

import numpy as np

from .builtin import METRICS
from .settings_files import file_token, read_toml

TEAM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class TeamsError(Exception):
    """A teams file that cannot be used, or a team that cannot be shown: one sentence saying why."""


@dataclass(frozen=True)
class Team:
    """A team's name and the service names or glob patterns it owns."""

    name: str
    patterns: tuple

    def services_in(self, services) -> list[str]:
        """The services among ``services`` that this team owns, sorted."""
        return sorted(s for s in services if any(fnmatchcase(str(s), p) for p in self.patterns))


def teams_path(data_dir: Path) -> Path:
    """The teams file: ``METRICS_TEAMS``, else ``teams.toml`` in the data directory."""
    return Path(os.environ.get("METRICS_TEAMS") or Path(data_dir) / "teams.toml")


def read_teams(path) -> dict[str, Team]:
    """The teams a file names, checked; {} when the file does not exist (no teams configured)."""
    path = Path(path)
    if not path.exists():
        return {}
    data = read_toml(path, "the teams file", TeamsError)
    unknown = sorted(set(data) - {"teams"})
    if unknown:
        raise TeamsError(f"the teams file {path} has an unknown table [{unknown[0]}]: write teams as "
                         f"[teams.NAME] services = [...]")
    tables = data.get("teams", {})
    if not isinstance(tables, dict):
        raise TeamsError(f"the teams file {path}: 'teams' must be tables, [teams.NAME] services = [...]")
    teams = {}
    for name, table in tables.items():
        where = f"the teams file {path}, team {name!r}"
        if not TEAM_NAME.fullmatch(name):
            raise TeamsError(f"{where}: team names are 1-64 letters, digits, '.', '_' or '-'")
        if not isinstance(table, dict) or set(table) - {"services"}:
            raise TeamsError(f"{where}: a team has one key, services = [\"name\", \"pattern-*\", ...]")
        patterns = table.get("services")
        if not isinstance(patterns, list) or not patterns or \
                not all(isinstance(p, str) and p.strip() for p in patterns):
            raise TeamsError(f"{where}: services must be a non-empty list of service names or patterns")
        teams[name] = Team(name, tuple(p.strip() for p in patterns))
    return teams


def resolve(teams: dict[str, Team], names, services, where: str = "") -> list[str]:
    """The services of the teams ``names`` among the data's ``services`` (union, sorted); an
    unknown team, or a team none of whose services is in the data, is a TeamsError."""
    chosen: set = set()
    for name in names:
        if name not in teams:
            known = ", ".join(sorted(teams)) or f"none: add [teams.NAME] to {where or 'the teams file'}"
            raise TeamsError(f"no team named {name!r} (teams: {known})")
        found = teams[name].services_in(services)
        if not found:
            raise TeamsError(f"team {name!r} has no services in this data (its services: "
                             f"{', '.join(teams[name].patterns)}; the data's: {', '.join(sorted(services)) or 'none'})")
        chosen.update(found)
    return sorted(chosen)


def teams_file_token(path) -> tuple:
    """A token that changes when the teams file changes (caches key on it)."""
    return file_token(path)


def tables_of_teams(tables, teams: dict[str, Team], chosen, services=()):
    """``tables`` narrowed to the services of the ``chosen`` teams (and any ``services`` given),
    exactly as the service filter narrows them; team-level events whose service is the name of a
    team not chosen are left out (they count only for their own team). TeamsError for an unknown
    team or one with no services in the data."""
    from .selection import services_of, tables_of_services
    from .tables import VALUE_TABLES
    wanted = sorted(set(resolve(teams, chosen, services_of(tables))) | set(services))
    narrowed = tables_of_services(tables, wanted)
    others = [name for name in teams if name not in set(chosen)]
    codes = np.flatnonzero(np.isin(narrowed.services, others))
    if not len(codes):
        return narrowed
    parts = {}
    for attr, _, _ in VALUE_TABLES:
        table = getattr(narrowed, attr)
        keep = ~np.isin(table["service"].to_numpy(), codes)
        parts[attr] = table if keep.all() else table[keep]
    return replace(narrowed, **parts)


# the summary's keys a team comparison shows: the metrics declared ``teams=True`` (the five DORA keys)
TEAM_METRICS = tuple(spec for spec in METRICS if spec.teams)
DORA_KEYS = tuple(spec.key for spec in TEAM_METRICS)


@dataclass(frozen=True)
class TeamDora:
    """One team's DORA numbers in a period and the period before: ``current`` and ``previous`` hold
    ``DORA_KEYS``, ``tiers`` (the summary's, overall included) and ``evidence`` (the summary's: the
    keys with too little evidence for a tier or a score, and why); both None, and ``problem`` says
    why, when the team has no services in the data."""

    team: str
    services: tuple
    current: dict | None
    previous: dict | None
    problem: str = ""


def dora_of(summary: dict) -> dict:
    """The team comparison's numbers (``DORA_KEYS``) of a summary, its tiers and the reasons some of
    them have too little evidence to be judged (``evidence``, METRICS.md section 3)."""
    return {**{spec.key: summary[spec.section][spec.key] for spec in TEAM_METRICS}, "tiers": dict(summary["dora"]["tiers"]),
            "evidence": {k: why for k, why in summary.get("evidence", {}).items() if k in DORA_KEYS}}


def compare_teams(teams: dict[str, Team], current, previous, assumptions=None, names=None) -> list[TeamDora]:
    """Each team's DORA numbers, as ``--team NAME`` computes them: ``current`` and ``previous`` are
    (tables, window) of this period and the one before (the same tables for stored data). ``names``:
    the teams to compare (default every team, in the file's order)."""
    from .analysis import analyze, kinds_present
    from .selection import services_of
    present = {id(tables): kinds_present(tables) for tables, _ in (current, previous)}
    known = {id(tables): services_of(tables) for tables, _ in (current, previous)}
    rows = []
    for name in (list(teams) if names is None else names):
        try:
            services = resolve(teams, [name], known[id(current[0])])
        except TeamsError as e:
            rows.append(TeamDora(name, (), None, None, str(e)))
            continue
        numbers = []
        for tables, window in (current, previous):
            if not teams[name].services_in(known[id(tables)]):
                numbers.append(None)          # the previous period holds none of its services: nothing to compare
                continue
            narrowed = tables_of_teams(tables, teams, [name])
            numbers.append(dora_of(analyze(narrowed, window, assumptions, present=present[id(tables)]).summary))
        rows.append(TeamDora(name, tuple(services), numbers[0], numbers[1]))
    return rows
