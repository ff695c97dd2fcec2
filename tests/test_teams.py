"""Teams: the teams file, glob patterns, and the sentences for what cannot be shown."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from metrics.teams import Team, TeamsError, read_teams, resolve

SERVICES = ["checkout", "payments", "pay-gateway", "pay-ledger", "search-api", "indexer"]


def write(tmp_path, text):
    path = tmp_path / "teams.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_globs_pick_services(tmp_path):
    teams = read_teams(write(tmp_path, '[teams.payments]\nservices = ["checkout", "pay-*"]\n'
                                       '[teams.search]\nservices = ["search-api", "indexer", "ranker"]\n'))
    assert teams["payments"] == Team("payments", ("checkout", "pay-*"))
    assert teams["payments"].services_in(SERVICES) == ["checkout", "pay-gateway", "pay-ledger"]
    assert resolve(teams, ["search"], SERVICES) == ["indexer", "search-api"]
    assert resolve(teams, ["payments", "search"], SERVICES) == \
        ["checkout", "indexer", "pay-gateway", "pay-ledger", "search-api"]


def test_no_file_is_no_teams(tmp_path):
    assert read_teams(tmp_path / "teams.toml") == {}


def test_unknown_team_and_team_without_services(tmp_path):
    teams = read_teams(write(tmp_path, '[teams.web]\nservices = ["frontend-*"]\n'))
    with pytest.raises(TeamsError, match=r"no team named 'money' \(teams: web\)"):
        resolve(teams, ["money"], SERVICES)
    with pytest.raises(TeamsError, match=r"team 'web' has no services in this data \(its services: frontend-\*"):
        resolve(teams, ["web"], SERVICES)


@pytest.mark.parametrize("text, message", [
    ("[teams.a]\nservices = []\n", "services must be a non-empty list"),
    ("[teams.a]\nservices = \"x\"\n", "services must be a non-empty list"),
    ("[teams.a]\nowners = [\"x\"]\n", "a team has one key"),
    ("[team.a]\nservices = [\"x\"]\n", "unknown table \\[team\\]"),
    ("teams = 3\n", "'teams' must be tables"),
    ("[teams.\"a b\"]\nservices = [\"x\"]\n", "team names are"),
    ("[teams.a\nservices", "is not valid TOML"),
])
def test_malformed_file_is_one_sentence(tmp_path, text, message):
    with pytest.raises(TeamsError, match=message):
        read_teams(write(tmp_path, text))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_fuzzed_teams_files_never_crash(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("t") / "teams.toml"
    path.write_text(text, encoding="utf-8")
    try:
        teams = read_teams(path)
    except TeamsError:
        return
    for team in teams.values():
        team.services_in(SERVICES)


def test_team_narrows_like_only_service_and_keeps_its_own_team_events(tmp_path, monkeypatch):
    """--team core (api and db) gives --only-service api db's numbers; a survey answered by team
    'web' counts only for web, an organisation-wide one for everyone."""
    import json
    from conftest import FIXTURES, run_cli
    monkeypatch.setenv("METRICS_TEAMS", str(write(tmp_path, '[teams.core]\nservices = ["api", "db"]\n'
                                                           '[teams.web]\nservices = ["web"]\n')))
    hand = FIXTURES / "hand.csv"
    team = json.loads(run_cli("--events", hand, "--team", "core", "--json").stdout)
    only = json.loads(run_cli("--events", hand, "--only-service", "api", "--only-service", "db", "--json").stdout)
    assert team == only
    extra = tmp_path / "extra.csv"
    extra.write_text(hand.read_text() + "2024-01-03T10:00:00Z,satisfaction_survey,web,,,,1,,,,\n")
    core = json.loads(run_cli("--events", extra, "--team", "core", "--json").stdout)
    web = json.loads(run_cli("--events", extra, "--team", "web", "--json").stdout)
    assert core["space"]["satisfaction_responses"] == only["space"]["satisfaction_responses"]
    assert web["space"]["satisfaction_responses"] == only["space"]["satisfaction_responses"] + 1
    bad = run_cli("--events", hand, "--team", "money")
    assert bad.returncode == 2 and "no team named 'money' (teams: core, web)" in bad.stderr


def test_argument_abbreviations_are_off():
    from conftest import FIXTURES, run_cli
    p = run_cli("--events", FIXTURES / "hand.csv", "--team-s", "4")
    assert p.returncode == 2 and "unrecognized arguments: --team-s" in p.stderr
