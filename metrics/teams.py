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
from concurrent.futures import ThreadPoolExecutor
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


def team_name(text: str) -> str:
    """``text`` as a team name: characters a name may not hold become '-', at most 64."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", str(text)).lstrip("_.-")[:64]
    return name or "team"


def teams_text(teams: dict, written_by: str) -> str:
    """A teams file naming ``teams`` (name -> its services), sorted, with a first comment saying
    which command wrote it."""
    lines = [f"# written by {written_by}; edit freely: the command shows a diff instead of overwriting"]
    for name in sorted(teams):
        services = ", ".join(f'"{s}"' for s in sorted(teams[name]))
        lines += ["", f'[teams."{team_name(name)}"]', f"services = [{services}]"]
    return "\n".join(lines) + "\n"


def write_teams(path, text: str, replace: bool, out=None) -> str:
    """Write the teams file ``text`` at ``path``: one sentence saying what was done. A file that
    exists and differs (hand edits, other teams) is kept, its diff against ``text`` written to
    ``out``, unless ``replace``. The file is replaced atomically."""
    import difflib
    path = Path(path)
    try:
        old = path.read_text(encoding="utf-8") if path.exists() else None
    except (OSError, UnicodeDecodeError) as e:
        return f"the teams file {path} cannot be read ({e}); it was left as it is"
    if old == text:
        return f"the teams file {path} is up to date"
    if old is not None and not replace:
        if out is not None:
            out.writelines(difflib.unified_diff(old.splitlines(keepends=True), text.splitlines(keepends=True),
                                                f"{path} (as it is)", f"{path} (from the teams synced)"))
        return (f"the teams file {path} differs from the teams synced (the diff above); it was left as it is: "
                f"give --replace-teams to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
    return f"the teams file {path} {'replaced' if old is not None else 'written'} ({text.count('[teams.')} teams)"


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


def tables_of_teams(tables, teams: dict[str, Team], chosen, services=(), known=None, rows=None):
    """``tables`` narrowed to the services of the ``chosen`` teams (and any ``services`` given),
    exactly as the service filter narrows them; team-level events whose service is the name of a
    team not chosen are left out (they count only for their own team). ``known``: the tables'
    services (``selection.services_of``) when the caller has them; ``rows``: their
    ``selection.ServiceRows``, when the caller narrows the same tables many times. TeamsError for
    an unknown team or one with no services in the data."""
    from .selection import services_of, tables_of_services
    from .tables import TEAM_TABLES
    known = services_of(tables) if known is None else known
    wanted = sorted(set(resolve(teams, chosen, known)) | set(services))
    narrowed = tables_of_services(tables, wanted) if rows is None else rows.narrow(wanted)
    others = [name for name in teams if name not in set(chosen)]
    codes = np.flatnonzero(np.isin(narrowed.services, others))
    if not len(codes):
        return narrowed
    parts = {}
    for attr in TEAM_TABLES:
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
    from .analysis import kinds_present, summary_of, window_tables
    from .selection import ServiceRows, services_of
    present = {id(tables): kinds_present(tables) for tables, _ in (current, previous)}
    known = {id(tables): services_of(tables) for tables, _ in (current, previous)}
    # once a period, not once a team: the window's part of the tables, grouped by service
    grouped = {(id(tables), window): ServiceRows(window_tables(tables, window)) for tables, window in (current, previous)}

    def numbers(name, tables, window):
        if not teams[name].services_in(known[id(tables)]):
            return None                       # the period holds none of its services: nothing to compare
        rows = grouped[id(tables), window]
        narrowed = tables_of_teams(rows.tables, teams, [name], known=known[id(tables)], rows=rows)
        return dora_of(summary_of(narrowed, window, TEAM_METRICS, assumptions, present[id(tables)], clipped=True))

    rows, work = [], []
    for name in (list(teams) if names is None else names):
        try:
            rows.append((name, tuple(resolve(teams, [name], known[id(current[0])])), ""))
        except TeamsError as e:
            rows.append((name, (), str(e)))
            continue
        work += [(name, *current), (name, *previous)]
    # two threads: much of narrowing and summarising runs in numpy, outside the GIL
    with ThreadPoolExecutor(2) as pool:
        done = iter(pool.map(lambda job: numbers(*job), work))
    result = []
    for name, services, problem in rows:
        if problem:
            result.append(TeamDora(name, (), None, None, problem))
        else:
            result.append(TeamDora(name, services, next(done), next(done)))
    return result


# the orders the Teams comparison can be sorted in (value -> what the control says): the overall
# tier worst first (the default: the teams that need help come first), the name, and each compared
# metric worst first; a team without the number (n/a, or no services in the data) comes last
TEAM_ORDERS = {"worst": "Overall tier, worst first", "name": "Name, A to Z",
               **{spec.key: f"{spec.label}, worst first" for spec in TEAM_METRICS}}
DEFAULT_TEAM_ORDER = "worst"


def sort_teams(rows, order: str = DEFAULT_TEAM_ORDER) -> list[TeamDora]:
    """``rows`` (``TeamDora``) in the ``order`` ``TEAM_ORDERS`` names: by name; by the overall
    tier, worst (low) first; or by one of ``DORA_KEYS``, worst first (the highest value of a metric
    where lower is better, the lowest otherwise). Teams without the value come last; ties keep the
    name order."""
    from .benchmarks import TIERS
    if order not in TEAM_ORDERS:
        raise ValueError(f"unknown team order {order!r} (orders: {', '.join(TEAM_ORDERS)})")
    by_name = sorted(rows, key=lambda r: r.team)
    if order == "name":
        return by_name
    if order == "worst":
        def rank(row):
            tier = row.current and row.current["tiers"]["overall"]
            return (0, -TIERS.index(tier)) if tier else (1, 0)
    else:
        sign = -1 if next(s for s in TEAM_METRICS if s.key == order).lower_is_better else 1

        def rank(row):
            value = row.current and row.current[order]
            return (0, sign * value) if value is not None else (1, 0)
    return sorted(by_name, key=rank)
