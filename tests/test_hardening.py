"""A server that bad input cannot break: hosts, headers, callback bodies and URL state, fuzzed
(hypothesis); never a 500, never a traceback to the client, nothing stored."""
from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from dashboard.app import create_app
from dashboard.security import allowed_hosts, host_name
from dashboard.state import View, from_query
from dashboard.transitions import transition
from helpers import callback_body

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])
APP = create_app()
CLIENT = APP.server.test_client()
DEPENDENCIES = json.loads(CLIENT.get("/_dash-dependencies").get_data(as_text=True))
MAIN = next(d for d in DEPENDENCIES if "url.search" in d["output"] and "tab-content.children" in d["output"])
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                    st.text(max_size=30))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                      max_leaves=8)


def test_security_headers_on_every_answer():
    for path in ("/", "/health", "/_dash-layout"):
        headers = CLIENT.get(path).headers
        assert "script-src 'self' 'sha256-" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_other_hosts_are_refused(monkeypatch):
    reply = CLIENT.get("/_dash-layout", headers={"Host": "attacker.example"})
    assert reply.status_code == 400 and b"METRICS_ALLOWED_HOSTS" in reply.data and b"kpi" not in reply.data
    assert CLIENT.get("/health", headers={"Host": "localhost:8050"}).status_code == 200
    assert CLIENT.get("/health", headers={"Host": "[::1]:8050"}).status_code == 200
    monkeypatch.setenv("METRICS_ALLOWED_HOSTS", "metrics.example.com")
    assert allowed_hosts() == {"metrics.example.com"}
    app = create_app()
    assert app.server.test_client().get("/health", headers={"Host": "metrics.example.com"}).status_code == 200
    assert app.server.test_client().get("/health", headers={"Host": "localhost"}).status_code == 400
    monkeypatch.setenv("METRICS_ALLOWED_HOSTS", "*")
    assert allowed_hosts() is None
    monkeypatch.delenv("METRICS_ALLOWED_HOSTS")
    assert "10.1.2.3" in allowed_hosts("10.1.2.3") and "0.0.0.0" not in allowed_hosts("0.0.0.0")
    assert host_name("Example.COM:80") == "example.com" and host_name("[::1]:8050") == "[::1]"


def test_a_well_formed_callback_request_is_answered():
    reply = CLIENT.post("/_dash-update-component", json=callback_body(MAIN, {"search": "?seed=7&days=30"}))
    assert reply.status_code == 200
    answer = reply.get_json()["response"]
    assert answer["seed-input"]["value"] == "7" and answer["days-dropdown"]["value"] == 30


@FUZZ
@given(st.dictionaries(st.sampled_from(["search", "value", "n_clicks", "n_submit", "active_tab", "data", "start_date",
                                        "end_date", "options", "min_date_allowed", "max_date_allowed"]),
                       values, max_size=8))
def test_the_main_callback_never_answers_500(props):
    body = callback_body(MAIN, props)
    reply = CLIENT.post("/_dash-update-component", json=body)
    assert reply.status_code in (200, 204, 400), reply.get_data(as_text=True)[:300]
    assert b"Traceback" not in reply.data


MISTYPED = [{"a": [1]}, [1, "x"], -1, 1e308, True, None]


@pytest.mark.parametrize("prop", ["search", "data", "value", "options", "min_date_allowed", "max_date_allowed",
                                  "n_clicks", "start_date", "end_date"])
def test_a_mistyped_main_callback_value_is_answered_without_a_logged_traceback(prop, capsys):
    """Every value the bench's bad inputs put in one of the main callback's inputs or states: a 200
    (the value is ignored or read as the default) or a 400 whose sentence names the field; the log
    holds no traceback (it held 56 of them for 300 such requests: the page's address or the shape on
    screen of another type reached ``str.lstrip`` and ``shown[0]``)."""
    for value in MISTYPED:
        capsys.readouterr()
        reply = CLIENT.post("/_dash-update-component", json=callback_body(MAIN, {prop: value}))
        assert reply.status_code in (200, 204, 400), (prop, value, reply.get_data(as_text=True)[:300])
        if reply.status_code == 400:
            said = reply.get_data(as_text=True)
            assert said.count("\n") == 1 and "must be" in said and ("address" in said or "shape" in said), said
        logged = capsys.readouterr().err
        assert "Traceback" not in logged, (prop, value, logged[-1500:])


@FUZZ
@given(values)
def test_malformed_callback_bodies_are_400(body):
    reply = CLIENT.post("/_dash-update-component", json=body)
    assert reply.status_code == 400 and b"Traceback" not in reply.data


def test_a_body_that_is_not_json_is_400():
    assert CLIENT.post("/_dash-update-component", data=b"\xff\xfe", content_type="application/json").status_code == 400


@FUZZ
@given(st.dictionaries(st.sampled_from(["seed", "days", "tab", "data", "from", "to", "service", "scenario", "services",
                                        "team", "size", "rate", "value", "devs", "benchmark", "baseline", "x"]),
                       st.lists(st.one_of(st.text(max_size=25), st.sampled_from(["quick-check", "2023/technology"])),
                                min_size=1, max_size=3), max_size=6))
def test_any_link_gives_a_view_and_sentences(query):
    search = "?" + urlencode(query, doseq=True)
    view, errors = from_query(search, View())
    assert isinstance(view, View) and all(isinstance(e, str) for e in errors)
    step = transition("url", search, {}, View())
    assert step.view == view


# An independent oracle for links: each synthetic view parameter drawn as a valid text with the value
# it must give (parsed here, by the test) or as an invalid text (the field keeps its default, and one
# sentence says so). The limits are METRICS.md's and the command line's: seed 0..2^32-1, days 1..3650,
# services 1..5000, team sizes 1..10000, amounts 0..1e9; the sizes stay small enough that the view
# is far under the events limit.
def whole_param(lo, hi, bad):
    valid = st.integers(lo, hi).map(lambda n: (str(n), n))
    return st.one_of(valid, st.sampled_from(bad).map(lambda text: (text, None)))


def amount_param():
    valid = st.one_of(st.integers(0, 10**9).map(lambda n: (str(n), float(n))),
                      st.integers(0, 10**6).map(lambda n: (f"{n}.5", n + 0.5)))
    return st.one_of(valid, st.sampled_from(["-1", "nan", "inf", "1e10", "lots", ""]).map(lambda text: (text, None)))


LABELS = {"seed": "seed", "days": "days", "tab": "tab", "scenario": "scenario", "services": "services",
          "size": "team size", "rate": "hourly rate", "value": "value per deployment", "devs": "team size"}
LINK_PARAMS = {   # URL parameter -> (View field, its default, strategy of (text, value or None))
    "seed": ("seed", 42, whole_param(0, 2**32 - 1, ["abc", "-1", "4.5", "4294967296", ""])),
    "days": ("days", 14, whole_param(1, 365, ["0", "3651", "two", "-7"])),
    "tab": ("tab", "dora", st.one_of(st.sampled_from(["dora", "space", "pvm", "custom", "teams"]).map(lambda t: (t, t)),
                                     st.sampled_from(["DORA", "<script>", "home"]).map(lambda t: (t, None)))),
    "scenario": ("scenario", "auto", st.one_of(
        st.sampled_from(["auto", "balanced", "high-incidents", "efficient", "early-stage", "mature"]).map(lambda t: (t, t)),
        st.sampled_from(["Balanced", "chaos"]).map(lambda t: (t, None)))),
    "services": ("services", 3, whole_param(1, 20, ["0", "5001", "many"])),
    "size": ("team_size", 8, whole_param(1, 50, ["0", "10001", "x"])),
    "rate": ("hourly_rate", 150.0, amount_param()),
    "value": ("value_per_deploy", 200.0, amount_param()),
    "devs": ("developers", 8, whole_param(1, 50, ["0", "10001", "1.5"])),
}


@FUZZ
@given(st.fixed_dictionaries({}, optional={name: strategy for name, (_, _, strategy) in LINK_PARAMS.items()}),
       st.dictionaries(st.sampled_from(sorted(LINK_PARAMS)), st.sampled_from(["zzz", "-99"]), max_size=3))
def test_a_link_gives_the_values_it_asks_for_and_defaults_where_wrong(drawn, earlier):
    """The view a generated link names, against the values the test itself read from the link: a
    valid parameter sets its field, a wrong one leaves the default and adds one sentence, and of a
    parameter given twice the last counts (``earlier`` puts a wrong value before some)."""
    pairs = [(name, text) for name, text in earlier.items() if name in drawn] + \
        [(name, text) for name, (text, _) in drawn.items()]
    view, errors = from_query("?" + urlencode(pairs), View())
    for name, (text, value) in drawn.items():
        field_name, default, _ = LINK_PARAMS[name]
        expected = default if value is None else value
        assert getattr(view, field_name) == expected, (name, text)
    # the parameters the link does not give keep their defaults; a synthetic view has no dataset
    for name, (field_name, default, _) in LINK_PARAMS.items():
        if name not in drawn:
            assert getattr(view, field_name) == default, name
    assert (view.dataset, view.only, view.start, view.end, view.teams) == ("", (), "", "", ())
    wrong = [name for name, (_, value) in drawn.items() if value is None]
    assert len(errors) == len(wrong), (drawn, errors)
    assert all(e.startswith("In the link: ") and e.endswith(" Showing the default instead.") for e in errors)
    assert all(any(LABELS[name] in e.lower() for e in errors) for name in wrong), (wrong, errors)


@pytest.mark.parametrize("link", ["/?from=-1", "/?data=x&from=-1", "/?seed=12&days=365&services=5000&size=10000",
                                  "/?days=1e400", "/?tab=%3Cscript%3E"])
def test_bad_links_load_a_page(link):
    assert CLIENT.get(link).status_code == 200
    view, errors = from_query(link[1:], View())
    assert errors and view.services <= 500


def test_one_link_cannot_ask_for_millions_of_events():
    view, errors = from_query("?seed=12&days=365&services=5000&size=10000", View())
    assert view == View(seed=12, days=365)
    assert "over this dashboard's limit of 6,000,000 a view (METRICS_MAX_VIEW_EVENTS)" in errors[0]


# -- paths that climb out of Dash's files (issue 26) --------------------------------------------------

TRAVERSALS = ["/_dash-component-suites/os/../../etc/passwd", "/_dash-component-suites/os/%2e%2e/%2e%2e/etc/passwd",
              "/_dash-component-suites/os/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "/_dash-component-suites/dash/..%2f..%2fetc%2fpasswd",
              "/_dash-component-suites/dash/..\\..\\etc\\passwd", "/_dash-component-suites/dash/..%5c..%5cetc%5cpasswd",
              "/_dash-component-suites/dash/deps/../../../etc/passwd", "/_dash-component-suites/dash/__init__.py",
              "/_dash-component-suites/nosuch/x.js", "/_dash-component-suites/%2e%2e/x",
              "/assets/../../etc/passwd", "/assets/%2e%2e/%2e%2e/etc/passwd"]
SUITE_FILES = "/_dash-component-suites/dash/deps/react@18.3.1.min.js"


def signed_in_client(data_dir):
    from metrics import users
    from test_auth import basic_settings, sign_in
    users.add(users.users_path(data_dir), "alice", "editor", "alice-password")
    client = create_app(auth_settings=basic_settings(data_dir)).server.test_client()
    assert sign_in(client, "alice", "alice-password").status_code == 302
    return client


@pytest.mark.parametrize("sign_in_on", [False, True])
def test_a_path_out_of_dashs_files_is_404_without_a_traceback(data_dir, capsys, sign_in_on):
    client = signed_in_client(data_dir) if sign_in_on else CLIENT
    capsys.readouterr()
    for path in TRAVERSALS:
        reply = client.get(path)
        assert reply.status_code == 404, (path, reply.status_code)
        assert b"root:" not in reply.data and b"Traceback" not in reply.data
    logged = capsys.readouterr().err
    assert "Traceback" not in logged and "DependencyException" not in logged, logged[:2000]
    served = client.get(SUITE_FILES)                      # Dash's own files are still served
    assert served.status_code == 200 and b"React" in served.data


def test_without_a_session_such_paths_ask_for_sign_in(data_dir, capsys):
    from test_auth import basic_settings
    client = create_app(auth_settings=basic_settings(data_dir)).server.test_client()
    for path in TRAVERSALS:
        assert client.get(path).status_code == 401, path
    assert "Traceback" not in capsys.readouterr().err


segments = st.one_of(st.sampled_from(["..", ".", "%2e%2e", "%2E%2e", "..%2f", "..%2F", "..%5c", "..\\", "%2f", "%5c",
                                      "%00", "etc", "passwd", "os", "dash", "deps", "plotly", "package_data", "",
                                      "react@18.3.1.min.js", "~", "%252e%252e", "\u2025"]),
                     st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FFF, blacklist_characters="?#"),
                             max_size=12))


@FUZZ
@given(prefix=st.sampled_from(["/_dash-component-suites/", "/assets/", "/_dash-component-suites/dash/", "/"]),
       parts=st.lists(segments, max_size=6), separator=st.sampled_from(["/", "\\", "%2f", "//"]))
def test_no_climbing_path_is_a_5xx(capsys, prefix, parts, separator):
    from urllib.parse import unquote_to_bytes
    path = (prefix + separator.join(parts)).encode("utf-8")
    # PATH_INFO as a WSGI server hands it over (percent-decoded, bytes as latin-1), "//" and all
    reply = CLIENT.get("/", environ_overrides={"PATH_INFO": unquote_to_bytes(path).decode("latin-1")})
    assert reply.status_code < 500, (path, reply.status_code)
    assert "Traceback" not in capsys.readouterr().err
