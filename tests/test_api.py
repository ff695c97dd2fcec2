"""The read-only JSON API: the same object as the command line's --json for the same view, the
dataset and team lists, and a 400 naming the parameter for every bad one."""
from __future__ import annotations

import dataclasses
import json
import re

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from dashboard.app import create_app
from metrics.cli import run as cli_run

from conftest import FIXTURES


@pytest.fixture
def client():
    return create_app().server.test_client()


def cli_json(*args) -> dict:
    import io
    out = io.StringIO()
    assert cli_run([*map(str, args), "--json"], out=out) == 0
    return json.loads(out.getvalue())


def test_summary_equals_cli_json_synthetic(client):
    reply = client.get("/api/v1/summary?seed=7&days=30")
    assert reply.status_code == 200 and reply.mimetype == "application/json"
    assert reply.get_json() == cli_json("--seed", 7, "--days", 30)


def test_summary_takes_any_window_the_command_line_takes(client):
    # 31 days is not in the dashboard's usual list; the API refused it before (issue 23, item 7)
    reply = client.get("/api/v1/summary?seed=7&days=31")
    assert reply.status_code == 200 and reply.get_json() == cli_json("--seed", 7, "--days", 31)
    assert reply.get_json()["window"]["days"] == 31
    refused = client.get("/api/v1/summary?seed=7&days=3651")
    assert refused.status_code == 400 and "between 1 and 3650" in refused.get_json()["error"]


def test_summary_baseline_equals_cli_baseline(client):
    reply = client.get("/api/v1/summary?seed=7&days=30&baseline=2023/technology").get_json()
    assert reply == cli_json("--seed", 7, "--days", 30, "--baseline", "2023/technology")
    assert reply["quick_check"]["baseline"] == {"key": "2023/technology", "name": "Technology", "group": "industry",
                                                "edition": "2023"}
    # the benchmark is how the dashboard judges the cards: the JSON is the same either way
    assert client.get("/api/v1/summary?seed=7&days=30&benchmark=quick-check").get_json() == cli_json("--seed", 7, "--days", 30)


def test_summary_equals_cli_json_dataset(client):
    from metrics.cli import main
    assert main(["import", "--from", "events", str(FIXTURES / "hand.csv"), "--name", "hand"]) == 0
    assert client.get("/api/v1/summary?data=hand").get_json() == cli_json("--dataset", "hand")
    first = client.get("/api/v1/datasets").get_json()["datasets"][0]
    assert first["name"] == "hand" and first["summary"] == "/api/v1/summary?data=hand"
    services = sorted({s for s in __import__("pandas").read_csv(FIXTURES / "hand.csv")["service"]
                       if s not in ("team", "platform")})
    one = services[0]
    assert client.get(f"/api/v1/summary?data=hand&service={one}").get_json() == \
        cli_json("--dataset", "hand", "--only-service", one)
    # and both against the independent oracle, which test_oracle checks by hand on these windows: all of
    # hand.csv (2023-12-31 to 2024-01-07), whole and service api alone
    import oracle
    from browser_helpers import cards_from_summary
    events, first, end = oracle.read_events(FIXTURES / "hand.csv"), pd.Timestamp("2023-12-31", tz="UTC"), \
        pd.Timestamp("2024-01-08", tz="UTC")
    assert cards_from_summary(client.get("/api/v1/summary?data=hand").get_json()) == \
        oracle.cards(oracle.summary(events, first, end))
    assert one == "api" and cards_from_summary(client.get("/api/v1/summary?data=hand&service=api").get_json()) == \
        oracle.cards(oracle.summary(events, first, end, only=("api",)))


def test_summary_carries_the_custom_metrics_as_the_command_line_does(client, monkeypatch):
    from metrics.cli import main
    assert main(["import", "--from", "events", str(FIXTURES / "hand.csv"), "--name", "hand"]) == 0
    monkeypatch.setenv("METRICS_PLUGINS", str(FIXTURES.parent.parent / "examples" / "plugins"))
    got = client.get("/api/v1/summary?data=hand").get_json()
    assert got == cli_json("--dataset", "hand") and list(got)[-1] == "custom"
    # hand.csv's whole span: 8 production deployments d0-d7 (s1 is staging), d3 failed: 7 of 8 succeed
    assert got["custom"]["deploy_success_rate"] == pytest.approx(87.5)


def test_a_failing_plug_in_is_a_sentence_not_a_500(client, monkeypatch, tmp_path):
    (tmp_path / "broken.py").write_text("from metrics.plugins import metric\n\n"
                                        "@metric(name='boom', label='Boom')\ndef boom(events):\n    return 1 / 0\n")
    monkeypatch.setenv("METRICS_PLUGINS", str(tmp_path / "broken.py"))
    reply = client.get("/api/v1/summary?seed=7&days=7")
    assert reply.status_code == 503 and "custom metric 'boom'" in reply.get_json()["error"]
    assert "ZeroDivisionError" in reply.get_json()["error"] and "Traceback" not in reply.get_data(as_text=True)


@pytest.mark.parametrize("query, parameter, words", [
    ("days=abc", "days", "whole number"),
    ("seed=-1", "seed", "Seed must be a whole number between 0"),
    ("days=30&days=7", "days", "more than once"),
    ("colour=red", "colour", "unknown parameter"),
    ("scenario=chaos", "scenario", "Unknown scenario"),
    ("data=bad%20name", "data", "not a dataset name"),
    ("data=nope", "data", "no dataset named"),
    ("data=x&from=2024-13-40", "from", "date must be a day from 1970-01-01"),
    ("baseline=2025", "baseline", "is not a Quick Check baseline: give an edition (2024, 2023)"),
    ("benchmark=stars", "benchmark", "is not a benchmark: choose tiers or quick-check"),
])
def test_bad_parameters_are_400_naming_the_parameter(client, query, parameter, words):
    reply = client.get(f"/api/v1/summary?{query}")
    body = reply.get_json()
    assert reply.status_code in (400, 404) and body["parameter"] == parameter and words in body["error"]


def test_unknown_route_is_json_404(client):
    reply = client.get("/api/v1/metrics")
    assert reply.status_code == 404 and "no such API route" in reply.get_json()["error"]


def test_teams_list(client, isolated_data_dir):
    assert client.get("/api/v1/teams").get_json() == {"teams": []}
    isolated_data_dir.mkdir(parents=True, exist_ok=True)
    (isolated_data_dir / "teams.toml").write_text('[teams.payments]\nservices = ["checkout", "pay-*"]\n')
    assert client.get("/api/v1/teams").get_json() == {"teams": [{"name": "payments", "services": ["checkout", "pay-*"]}]}
    (isolated_data_dir / "teams.toml").write_text('[teams.payments]\nservices = 3\n')
    reply = client.get("/api/v1/teams")
    assert reply.status_code == 503 and "services must be" in reply.get_json()["error"]


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["seed", "days", "data", "from", "to", "service", "scenario", "rate", "baseline",
                                        "benchmark", "x"]),
                       st.one_of(st.text(max_size=15), st.sampled_from(["2023/energy", "quick-check"])), max_size=4))
def test_fuzzed_queries_never_500(params):
    client = create_app().server.test_client()
    from urllib.parse import urlencode
    reply = client.get("/api/v1/summary?" + urlencode(params))
    assert reply.status_code in (200, 400, 404)
    assert isinstance(reply.get_json(), dict)


def test_openapi_file_names_every_route_and_parameter():
    """docs/openapi.yaml documents each route the server answers and each parameter it takes."""
    from dashboard.api import FIELDS_BY_PARAMETER
    text = (FIXTURES.parent.parent / "docs" / "openapi.yaml").read_text()
    for route in ("/api/v1/summary:", "/api/v1/datasets:", "/api/v1/teams:"):
        assert route in text
    for parameter in set(FIELDS_BY_PARAMETER) - {"tab"}:
        assert f"{{name: {parameter}, in: query" in text, parameter


def summary_parameters(text: str) -> dict:
    """docs/openapi.yaml's parameters of /api/v1/summary (one flow mapping a line): name -> what its
    line says: type, format, items' type, minimum, maximum, enum, style and explode, description."""
    block = text.split("  /api/v1/summary:", 1)[1].split("      responses:", 1)[0]
    found = {}
    for line in block.splitlines():
        match = re.match(r"\s+- \{name: ([\w-]+), in: query, (.*)\}$", line)
        if not match:
            continue
        name, rest = match.groups()
        said = lambda pattern: (re.search(pattern, rest) or [None, None])[1]  # noqa: E731
        assert name not in found, f"docs/openapi.yaml lists parameter {name!r} twice"
        found[name] = {"type": said(r"^schema: \{type: (\w+)"), "format": said(r"format: (\w+)"),
                       "items": said(r"items: \{type: (\w+)\}"), "minimum": said(r"minimum: (-?[\d.]+)"),
                       "maximum": said(r"maximum: (-?[\d.]+)"), "enum": said(r"enum: \[([^\]]*)\]"),
                       "style": said(r"style: (\w+)"), "explode": said(r"explode: (\w+)"),
                       "description": said(r"description: (.+)")}
    return found


def openapi_problems(documented: dict, fields: dict) -> list[str]:
    """What docs/openapi.yaml's summary parameters (``documented``) get wrong about the view fields
    (``dashboard.fields.FIELDS``): a sentence each, naming the parameter."""
    from dashboard.parsers import Amount, Checked, Day, Days, OneOf, Whole
    by_url = {f.url: f for f in fields.values() if f.url}
    problems = [f"{url}: a field's parameter missing from docs/openapi.yaml" for url in by_url if url not in documented]
    problems += [f"{url}: in docs/openapi.yaml, but no field declares it" for url in documented if url not in by_url]
    for url, f in ((u, f) for u, f in by_url.items() if u in documented):
        said, parse = documented[url], f.parse
        if not said["description"]:
            problems.append(f"{url}: no description")
        if f.repeats:
            if (said["type"], said["items"], said["style"], said["explode"]) != ("array", "string", "form", "true"):
                problems.append(f"{url}: repeats, so an array of strings, style form, explode true")
            continue
        kind = "integer" if isinstance(parse, (Whole, Days)) else "number" if isinstance(parse, Amount) else "string"
        if said["type"] != kind or said["format"] != ("date" if isinstance(parse, Day) else None):
            problems.append(f"{url}: its type is {kind}" + (", format date" if isinstance(parse, Day) else ""))
        if isinstance(parse, (Whole, Amount)):
            bounds = tuple(None if v is None else float(v) for v in (said["minimum"], said["maximum"]))
            if bounds != (parse.lo, parse.hi):
                problems.append(f"{url}: minimum {parse.lo:g}, maximum {parse.hi:g}")
        if isinstance(parse, OneOf) or (isinstance(parse, Checked) and said["enum"] is not None):
            if [c.strip() for c in (said["enum"] or "").split(",")] != list(parse.choices):
                problems.append(f"{url}: enum [{', '.join(parse.choices)}]")
    return problems


OPENAPI = FIXTURES.parent.parent / "docs" / "openapi.yaml"


def test_openapi_parameters_are_the_view_fields():
    """Each field with a URL parameter (``dashboard.fields``) is a parameter of /api/v1/summary in
    docs/openapi.yaml, described, with its type, range and choices as the field's parser reads it;
    none other is."""
    from dashboard.fields import FIELDS
    assert openapi_problems(summary_parameters(OPENAPI.read_text()), FIELDS) == []


def test_a_new_field_missing_from_openapi_fails_naming_it():
    from dashboard.fields import FIELDS, ViewField
    from dashboard.parsers import Matching, OneOf, Whole
    documented = summary_parameters(OPENAPI.read_text())
    branch = ViewField(url="branch", parse=Matching(re.compile(".+"), "a branch"), computes=True, name="branch")
    assert openapi_problems(documented, {**FIELDS, "branch": branch}) == [
        "branch: a field's parameter missing from docs/openapi.yaml"]
    # and a changed bound, a new choice, a parameter no field declares
    changed = {**FIELDS, "services": dataclasses.replace(FIELDS["services"], parse=Whole("services", 1, 9000)),
               "tab": dataclasses.replace(FIELDS["tab"], parse=OneOf("tab", ("dora", "flow")))}
    del changed["team_size"]
    assert openapi_problems(documented, changed) == ["size: in docs/openapi.yaml, but no field declares it",
                                                     "tab: enum [dora, flow]", "services: minimum 1, maximum 9000"]


def test_once_a_token_exists_the_api_needs_it(client):
    from metrics.cli import run_tokens
    import io
    out = io.StringIO()
    assert run_tokens(["create", "backstage"], out=out) == 0
    token = out.getvalue().splitlines()[1]
    refused = client.get("/api/v1/datasets")
    assert refused.status_code == 401 and "Bearer" in refused.headers["WWW-Authenticate"]
    assert client.get("/api/v1/datasets", headers={"Authorization": "Bearer mtr_wrong"}).status_code == 401
    assert client.get("/api/v1/datasets", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert run_tokens(["revoke", "backstage"], out=io.StringIO()) == 0
    assert client.get("/api/v1/datasets").status_code == 200


def test_team_parameter_equals_cli_team(client, isolated_data_dir):
    from metrics.cli import main
    assert main(["import", "--from", "events", str(FIXTURES / "hand.csv"), "--name", "hand"]) == 0
    (isolated_data_dir / "teams.toml").write_text('[teams.core]\nservices = ["api", "d*"]\n')
    got = client.get("/api/v1/summary?data=hand&team=core").get_json()
    assert got == cli_json("--dataset", "hand", "--team", "core")
    assert got["dora"]["deployments"] < cli_json("--dataset", "hand")["dora"]["deployments"]
    bad = client.get("/api/v1/summary?data=hand&team=money")
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "team"
    assert "No team named 'money' (teams: core)." == bad.get_json()["error"]
