"""Sign-in, roles and the audit trail, through the server as a browser or a script would use it:
anonymous requests to every route, basic and OpenID sign-in, each role against each write path
(including hand-made callback requests), sign-out, and the secure default."""
from __future__ import annotations

import base64
import io
import json
import re
import os
from urllib.parse import parse_qs, urlparse

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import ROOT, run_cli
from dashboard.app import create_app, main as app_main
from dashboard.auth import AuthConfigError, AuthSettings, local_path, role_of, settings_from_env
from fake_oidc import FakeProvider
from helpers import stored_text
from plotly.utils import PlotlyJSONEncoder
from metrics import store, users
from metrics.cli import main as cli_main

KEY = "k" * 40
EVENTS_CSV = (ROOT / "tests" / "fixtures" / "hand.csv").read_bytes()


def basic_settings(data_dir) -> AuthSettings:
    return AuthSettings(mode="basic", secret_key=KEY, users_file=users.users_path(data_dir))


@pytest.fixture
def people(data_dir):
    path = users.users_path(data_dir)
    users.add(path, "alice", "editor", "alice-password")
    users.add(path, "victor", "viewer", "victor-password")
    return path


@pytest.fixture
def seeded(data_dir, request):
    """A stored dataset whose name must never reach an anonymous visitor."""
    from metrics.ingest import load_events
    frame, _ = load_events([ROOT / "tests" / "fixtures" / "hand.csv"])
    store.save("secret-payments", frame)
    return "secret-payments"


@pytest.fixture
def app(data_dir, people, seeded):
    return create_app(auth_settings=basic_settings(data_dir))


def sign_in(client, name, password, next_path="/"):
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r"name='csrf' value='([^']+)'", page).group(1)
    return client.post("/login", data={"username": name, "password": password, "csrf": csrf, "next": next_path})


def upload_body(app, name="uploaded", contents=None):
    """The upload callback's request, as the renderer sends it."""
    dependency = next(d for d in app.callback_map if "upload-report.children" in d)
    contents = contents or "data:text/csv;base64," + base64.b64encode(EVENTS_CSV).decode()
    by_id = {"upload-payload": {"contents": contents, "filename": "events.csv"}, "upload-name": name,
             "upload-source": "events", "upload-service": None, "url": ""}
    spec = app.callback_map[dependency]
    def entry(item):
        prop = item["property"]
        value = by_id[item["id"]] if item["id"] != "url" else "?seed=7"
        return {"id": item["id"], "property": prop, "value": value}
    outputs = [{"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]} for o in dependency.strip(".").split("...")]
    return {"output": dependency, "outputs": outputs, "inputs": [entry(i) for i in spec["inputs"]],
            "state": [entry(s) for s in spec["state"]], "changedPropIds": ["upload-payload.data"]}


UPLOAD_PARTS = {"upload", "upload-toggle", "upload-panel", "upload-payload", "upload-limit", "upload-name",
                "upload-source", "upload-service", "upload-report", "upload-message"}


def components_in(tree) -> set:
    """Every component in a served layout (the JSON of /_dash-layout), as (type, id) pairs."""
    if isinstance(tree, dict):
        props = tree.get("props") if isinstance(tree.get("props"), dict) else {}
        own = {(tree["type"], props.get("id"))} if "type" in tree and "namespace" in tree else set()
        return own.union(*map(components_in, tree.values()))
    if isinstance(tree, list):
        return set().union(*map(components_in, tree))
    return set()


def ids_in(tree) -> set:
    """Every component id (text ids only) in a served layout."""
    return {i for _, i in components_in(tree) if isinstance(i, str)}


def layout_csrf(tree) -> str:
    """The sign-out form's token in a layout (the hidden input named csrf)."""
    if isinstance(tree, dict):
        props = tree.get("props", {})
        if props.get("name") == "csrf":
            return props["value"]
        return next((v for v in map(layout_csrf, tree.values()) if v), "")
    if isinstance(tree, list):
        return next((v for v in map(layout_csrf, tree) if v), "")
    return ""


# -- settings -------------------------------------------------------------------------------------

@pytest.mark.parametrize("environ, says", [
    ({"METRICS_AUTH": "ldap"}, "METRICS_AUTH is none, basic or oidc"),
    ({"METRICS_AUTH": "basic"}, "needs METRICS_SECRET_KEY"),
    ({"METRICS_AUTH": "basic", "METRICS_SECRET_KEY": "short"}, "at least 32 characters"),
    ({"METRICS_AUTH": "basic", "METRICS_SECRET_KEY_FILE": "/nonexistent/key"}, "cannot read METRICS_SECRET_KEY_FILE"),
    ({"METRICS_AUTH": "oidc", "METRICS_SECRET_KEY": KEY}, "needs METRICS_OIDC_ISSUER"),
    ({"METRICS_AUTH": "oidc", "METRICS_SECRET_KEY": KEY, "METRICS_OIDC_ISSUER": "x", "METRICS_OIDC_CLIENT_ID": "c",
      "METRICS_OIDC_CLIENT_SECRET": "s"}, "the provider's https:// address"),
    ({"METRICS_AUTH": "basic", "METRICS_SECRET_KEY": KEY, "METRICS_SESSION_HOURS": "0"}, "METRICS_SESSION_HOURS"),
    ({"METRICS_ANONYMOUS_ROLE": "admin"}, "METRICS_ANONYMOUS_ROLE"),
])
def test_wrong_settings_are_one_sentence(environ, says):
    with pytest.raises(AuthConfigError, match=re.escape(says)):
        settings_from_env(environ)


def test_a_secret_key_may_come_from_a_file(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    settings = settings_from_env({"METRICS_AUTH": "basic", "METRICS_SECRET_KEY_FILE": str(key_file)})
    assert settings.on and settings.secret_key == KEY


def test_roles_from_groups():
    settings = AuthSettings(mode="oidc", groups_claim="groups", editor_groups=frozenset({"platform"}))
    assert role_of({"groups": ["eng", "platform"]}, settings) == "editor"
    assert role_of({"groups": ["eng"]}, settings) == "viewer"
    assert role_of({}, settings) == "viewer"
    assert role_of({"groups": "eng platform"}, settings) == "editor"
    strict = AuthSettings(mode="oidc", editor_groups=frozenset({"platform"}), viewer_groups=frozenset({"eng"}))
    assert role_of({"groups": ["eng"]}, strict) == "viewer"
    assert role_of({"groups": ["sales"]}, strict) is None
    assert role_of({"groups": ["platform"]}, strict) == "editor"


@pytest.mark.parametrize("target, safe", [("/?seed=7", "/?seed=7"), ("//evil.example/x", "/"),
                                          ("https://evil.example", "/"), ("/\\evil.example", "/"), ("", "/"),
                                          (None, "/"), ("javascript:alert(1)", "/")])
def test_after_sign_in_only_local_paths(target, safe):
    assert local_path(target) == safe


# -- anonymous ------------------------------------------------------------------------------------

ROUTES = ["/", "/?data=secret-payments", "/_dash-layout", "/_dash-dependencies", "/assets/dashboard.js",
          "/_dash-component-suites/dash/dcc/dash_core_components.js", "/api/v1/summary", "/api/v1/datasets",
          "/api/v1/teams", "/vendor/../_dash-layout", "/anything"]


@pytest.mark.parametrize("path", ROUTES)
def test_without_credentials_only_health_answers(app, path):
    client = app.server.test_client()
    reply = client.get(path, headers={"Accept": "text/html"})
    assert reply.status_code in (302, 401), (path, reply.status_code)
    if reply.status_code == 302:
        assert urlparse(reply.headers["Location"]).path == "/login"
    if "secret-payments" not in path:      # (a redirect may echo the visitor's own link back)
        assert b"secret-payments" not in reply.data
    assert client.get("/health").status_code == 200


def test_an_anonymous_callback_is_refused_and_stores_nothing(app):
    client = app.server.test_client()
    reply = client.post("/_dash-update-component", json=upload_body(app))
    assert reply.status_code == 401 and b"secret-payments" not in reply.data
    assert [d.name for d in store.list_datasets()] == ["secret-payments"]


# -- basic sign-in --------------------------------------------------------------------------------

def test_wrong_password_then_right_one(app):
    client = app.server.test_client()
    wrong = sign_in(client, "alice", "not-her-password")
    assert wrong.status_code == 401 and "Wrong user name or password." in wrong.get_data(as_text=True)
    unknown = sign_in(client, "nobody", "whatever-password")
    assert unknown.status_code == 401
    right = sign_in(client, "alice", "alice-password", "/?data=secret-payments")
    assert right.status_code == 302 and right.headers["Location"].endswith("/?data=secret-payments")
    cookie = right.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "alice-password" not in cookie
    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert "secret-payments" in layout and "alice" in layout and "Sign out" in layout


def test_a_form_without_its_token_is_refused(app):
    client = app.server.test_client()
    reply = client.post("/login", data={"username": "alice", "password": "alice-password"})
    assert reply.status_code == 400 and client.get("/_dash-layout").status_code == 401
    # a session without a token never matches, whatever the form says (no sign-in from another site)
    for guess in ("-", "", "None"):
        fresh = app.server.test_client()
        forged = fresh.post("/login", data={"username": "alice", "password": "alice-password", "csrf": guess})
        assert forged.status_code == 400 and fresh.get("/_dash-layout").status_code == 401
    signed_in = app.server.test_client()
    sign_in(signed_in, "alice", "alice-password")
    fresh_csrf_free = app.server.test_client()
    assert fresh_csrf_free.post("/logout", data={"csrf": "-"}).status_code == 400


def test_a_session_ends_its_hours_after_sign_in_however_busy(data_dir, people, seeded, monkeypatch):
    app = create_app(auth_settings=AuthSettings(mode="basic", secret_key=KEY, users_file=users.users_path(data_dir),
                                                session_hours=1))
    client = app.server.test_client()
    signed = sign_in(client, "alice", "alice-password")
    assert signed.status_code == 302
    client.get("/_dash-layout")                              # (the first layout adds the sign-out form's token)
    reply = client.get("/_dash-layout")
    assert reply.status_code == 200 and "Set-Cookie" not in reply.headers      # requests do not extend it
    # the cookie itself is still valid (a browser keeps it): the server ends the session by its start
    import time
    with client.session_transaction() as session:
        session["at"] = time.time() - 3601
    assert client.get("/_dash-layout").status_code == 401


def test_too_many_failures_slow_an_attacker_down(app):
    client = app.server.test_client()
    for _ in range(10):
        assert sign_in(client, "alice", "guess-guess").status_code == 401
    locked = sign_in(client, "alice", "alice-password")
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.get_data(as_text=True)


def test_sign_out_ends_the_session(app):
    client = app.server.test_client()
    sign_in(client, "alice", "alice-password")
    assert client.get("/_dash-layout").status_code == 200
    forged = client.post("/logout", data={"csrf": "guess"})
    assert forged.status_code == 400 and client.get("/_dash-layout").status_code == 200
    token = layout_csrf(client.get("/_dash-layout").get_json())
    out = client.post("/logout", data={"csrf": token})
    assert out.status_code == 200 and "You are signed out." in out.get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 401


def test_a_new_password_or_removal_signs_a_session_out(app, people):
    client = app.server.test_client()
    sign_in(client, "victor", "victor-password")
    assert client.get("/_dash-layout").status_code == 200
    users.set_password(people, "victor", "a-new-password")         # the session's cookie is kept as it was
    assert client.get("/_dash-layout").status_code == 401
    other = app.server.test_client()
    sign_in(other, "victor", "a-new-password")
    assert other.get("/_dash-layout").status_code == 200
    users.remove(people, "victor")
    assert other.get("/_dash-layout").status_code == 401


def test_a_role_change_applies_at_the_next_request(app, people):
    client = app.server.test_client()
    sign_in(client, "victor", "victor-password")
    assert client.post("/_dash-update-component", json=upload_body(app)).get_json()["response"]["upload-report"][
        "children"]["props"]["id"] == "upload-error"
    users.set_role(people, "victor", "editor")
    reply = client.post("/_dash-update-component", json=upload_body(app, "victor-upload"))
    assert "victor-upload" in [d.name for d in store.list_datasets()], reply.get_data(as_text=True)[:500]


# -- roles against each write path ----------------------------------------------------------------

def test_a_viewer_sees_no_upload_and_a_crafted_upload_stores_nothing(app, capsys):
    client = app.server.test_client()
    sign_in(client, "victor", "victor-password")
    layout = client.get("/_dash-layout").get_json()
    text = json.dumps(layout)
    assert "victor" in text and "Recent writes" not in text
    assert not UPLOAD_PARTS & ids_in(layout) and "Upload events" not in text and '"Upload"' not in text
    before = store.version("secret-payments")
    reply = client.post("/_dash-update-component", json=upload_body(app, "viewer-upload"))
    assert reply.status_code == 200
    report = reply.get_json()["response"]["upload-report"]["children"]
    assert "Only editors can upload" in json.dumps(report)
    assert [d.name for d in store.list_datasets()] == ["secret-payments"]
    assert store.version("secret-payments") == before
    assert "refused an upload from victor" in capsys.readouterr().err
    assert all(e.who != "victor" for e in store.audit_log())


def test_only_a_page_that_may_upload_holds_the_upload(app, data_dir, monkeypatch):
    """The served layout: an editor's holds every part of the upload (the drop zone too), a viewer's
    and a read-only anonymous visitor's none (no button, no drop zone, no stores)."""
    editor, viewer = app.server.test_client(), app.server.test_client()
    sign_in(editor, "alice", "alice-password")
    sign_in(viewer, "victor", "victor-password")
    assert UPLOAD_PARTS <= ids_in(editor.get("/_dash-layout").get_json())
    shown = viewer.get("/_dash-layout").get_json()
    assert "signed-in-user" in ids_in(shown) and not UPLOAD_PARTS & ids_in(shown)
    assert "Upload" not in {kind for kind, _ in components_in(shown)}          # no drop zone, whatever its id
    read_only = create_app(auth_settings=AuthSettings(allow_anonymous=True, anonymous_role="viewer"))
    assert not UPLOAD_PARTS & ids_in(read_only.server.test_client().get("/_dash-layout").get_json())
    anyone = create_app(auth_settings=AuthSettings(allow_anonymous=True))          # anonymous editors upload
    assert UPLOAD_PARTS <= ids_in(anyone.server.test_client().get("/_dash-layout").get_json())
    # the callbacks are checked against a page that holds every component they name
    named = {i["id"] for spec in app.callback_map.values() for i in spec["inputs"] + spec["state"]
             if isinstance(i["id"], str)}
    assert UPLOAD_PARTS & named and named <= ids_in(json.loads(json.dumps(app.validation_layout.to_plotly_json(),
                                                                            cls=PlotlyJSONEncoder)))


def test_an_editor_uploads_and_the_audit_trail_names_them(app):
    client = app.server.test_client()
    sign_in(client, "alice", "alice-password")
    reply = client.post("/_dash-update-component", json=upload_body(app, "alice-upload"))
    assert "Stored in dataset alice-upload" in reply.get_data(as_text=True)
    newest = store.audit_log(1)[0]
    assert (newest.who, newest.action, newest.dataset, newest.events, newest.detail) == (
        "alice", "upload", "alice-upload", 49, "events.csv")
    layout = json.dumps(client.get("/_dash-layout").get_json())
    assert "Recent writes" in layout and "alice-upload" in layout


def test_the_api_takes_a_session_basic_credentials_or_a_token_never_nothing(app, data_dir):
    client = app.server.test_client()
    assert client.get("/api/v1/datasets").status_code == 401
    basic = "Basic " + base64.b64encode(b"victor:victor-password").decode()
    reply = client.get("/api/v1/datasets", headers={"Authorization": basic})
    assert reply.status_code == 200 and reply.get_json()["datasets"][0]["name"] == "secret-payments"
    wrong = "Basic " + base64.b64encode(b"victor:nope-nope-nope").decode()
    assert client.get("/api/v1/datasets", headers={"Authorization": wrong}).status_code == 401
    out = io.StringIO()
    from metrics.cli import run_tokens
    run_tokens(["create", "backstage"], out=out)
    token = out.getvalue().splitlines()[1]
    assert client.get("/api/v1/datasets", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/api/v1/datasets", headers={"Authorization": "Bearer mtr_forged"}).status_code == 401
    # a token reads the API only: the dashboard's pages and callbacks need a person
    assert client.get("/_dash-layout", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    sign_in(client, "victor", "victor-password")
    assert client.get("/api/v1/summary?data=secret-payments").status_code == 200


# -- no sign-in: only this machine, unless the operator says otherwise ----------------------------

def test_without_sign_in_other_machines_are_refused(data_dir, seeded, monkeypatch):
    client = create_app(auth_settings=AuthSettings()).server.test_client()
    # through a proxy on this machine: the address is local, the request is not
    proxied = client.get("/_dash-layout", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 403 and b"secret-payments" not in proxied.data
    monkeypatch.setenv("METRICS_PROXY_HOPS", "1")              # one trusted proxy: its header names the client
    behind = create_app(auth_settings=AuthSettings()).server.test_client()
    assert behind.get("/_dash-layout", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    assert behind.get("/_dash-layout", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200
    monkeypatch.setenv("METRICS_PROXY_HOPS", "lots")
    with pytest.raises(AuthConfigError, match="METRICS_PROXY_HOPS"):
        create_app(auth_settings=AuthSettings())
    monkeypatch.delenv("METRICS_PROXY_HOPS")
    remote = {"REMOTE_ADDR": "10.0.0.9"}
    reply = client.get("/_dash-layout", environ_overrides=remote)
    assert reply.status_code == 403 and b"METRICS_AUTH" in reply.data and b"secret-payments" not in reply.data
    assert client.get("/health", environ_overrides=remote).status_code == 200
    assert client.get("/_dash-layout").status_code == 200           # from this machine
    open_client = create_app(auth_settings=AuthSettings(allow_anonymous=True)).server.test_client()
    assert open_client.get("/_dash-layout", environ_overrides=remote).status_code == 200
    read_only = create_app(auth_settings=AuthSettings(allow_anonymous=True, anonymous_role="viewer"))
    reply = read_only.server.test_client().post("/_dash-update-component", json=upload_body(read_only, "anon"),
                                                environ_overrides=remote)
    assert "Only editors can upload" in reply.get_data(as_text=True)
    assert "anon" not in [d.name for d in store.list_datasets()]


def test_listening_on_the_network_without_sign_in_refuses_to_start(capsys, monkeypatch):
    monkeypatch.delenv("METRICS_AUTH", raising=False)
    assert app_main(["--host", "0.0.0.0", "--port", "8999"]) == 2
    err = capsys.readouterr().err
    assert "would let anyone on the network read and change the data" in err and "--allow-anonymous" in err
    served = []
    monkeypatch.setattr("dash.Dash.run", lambda self, **kw: served.append(kw))
    assert app_main(["--host", "0.0.0.0", "--port", "8999", "--allow-anonymous"]) == 0
    assert served and served[0]["host"] == "0.0.0.0" and served[0]["debug"] is False


def test_gunicorn_with_sign_in_but_no_key_says_so_without_a_traceback(data_dir):
    import os
    import subprocess
    import sys
    env = dict(os.environ, PYTHONPATH=str(ROOT), METRICS_AUTH="basic")
    env.pop("METRICS_SECRET_KEY", None)
    done = subprocess.run([sys.executable, "-c", "import app"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "needs METRICS_SECRET_KEY" in done.stderr and "Traceback" not in done.stderr


# -- OpenID Connect -------------------------------------------------------------------------------

def oidc_settings(provider, data_dir, **extra) -> AuthSettings:
    return AuthSettings(mode="oidc", secret_key=KEY, issuer=provider.issuer, client_id="metrics",
                        client_secret="client-secret", editor_groups=frozenset({"platform"}),
                        users_file=users.users_path(data_dir), **extra)


def oidc_sign_in(client, provider, user):
    """Follow the code flow as a browser would: our redirect, the provider's form, its redirect back."""
    import urllib.request
    start = client.get("/login/oidc?next=/%3Fseed%3D3")
    assert start.status_code == 302
    authorize = start.headers["Location"]
    query = {k: v[0] for k, v in parse_qs(urlparse(authorize).query).items()}
    assert query["code_challenge_method"] == "S256" and "nonce" in query and "state" in query
    form = dict(query, user=user)
    request = urllib.request.Request(provider.issuer + "/authorize", data=urllib.parse.urlencode(form).encode())

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(request)
    except urllib.error.HTTPError as e:
        back = e.headers["Location"]
    parsed = urlparse(back)
    return client.get(parsed.path + "?" + parsed.query)


@pytest.mark.parametrize("groups_in_id_token", [True, False])
def test_oidc_code_flow_gives_roles_from_groups(data_dir, seeded, groups_in_id_token):
    import urllib.parse  # noqa: F401  (used by oidc_sign_in)
    people = {"erin": ["eng", "platform"], "vic": ["eng"]}
    with FakeProvider("metrics", "client-secret", people, put_groups_in_id_token=groups_in_id_token) as provider:
        app = create_app(auth_settings=oidc_settings(provider, data_dir))
        client = app.server.test_client()
        assert "Sign in with 127.0.0.1" in client.get("/login").get_data(as_text=True)
        done = oidc_sign_in(client, provider, "erin")
        assert done.status_code == 302 and done.headers["Location"].endswith("/?seed=3")
        layout = json.dumps(client.get("/_dash-layout").get_json())
        assert "erin" in layout and "(editor)" in layout
        viewer = app.server.test_client()
        oidc_sign_in(viewer, provider, "vic")
        assert "(viewer)" in json.dumps(viewer.get("/_dash-layout").get_json())
        reply = viewer.post("/_dash-update-component", json=upload_body(app, "vic-upload"))
        assert "Only editors can upload" in reply.get_data(as_text=True)


def test_oidc_refusals(data_dir, seeded):
    with FakeProvider("metrics", "client-secret", {"sam": ["sales"]}) as provider:
        app = create_app(auth_settings=oidc_settings(provider, data_dir, viewer_groups=frozenset({"eng"})))
        client = app.server.test_client()
        refused = oidc_sign_in(client, provider, "sam")
        assert refused.status_code == 403 and "not in a group allowed" in refused.get_data(as_text=True)
        assert client.get("/_dash-layout").status_code == 401
        forged = client.get("/oidc/callback?code=forged&state=forged")
        assert forged.status_code == 401 and "did not complete" in forged.get_data(as_text=True)
        denied = client.get("/oidc/callback?error=access_denied&error_description=Call+IT+at+555-0100")
        assert denied.status_code == 401 and "refused the sign-in" in denied.get_data(as_text=True)
        assert "555-0100" not in denied.get_data(as_text=True)          # a crafted link puts no text on the page
    gone = create_app(auth_settings=AuthSettings(mode="oidc", secret_key=KEY, issuer="http://127.0.0.1:9",
                                                 client_id="c", client_secret="s"))
    reply = gone.server.test_client().get("/login/oidc")
    assert reply.status_code == 502 and "cannot be reached" in reply.get_data(as_text=True)
    assert "client-secret" not in reply.get_data(as_text=True)


def test_each_mode_answers_only_its_own_sign_in(data_dir, people, seeded):
    """In oidc mode /login is the provider's button and takes no password; in basic mode the
    OpenID routes do not exist."""
    oidc = create_app(auth_settings=AuthSettings(mode="oidc", secret_key=KEY, issuer="http://127.0.0.1:9",
                                                 client_id="c", client_secret="s")).server.test_client()
    page = oidc.get("/login?next=/teams").get_data(as_text=True)
    assert "id='oidc-sign-in' href='/login/oidc?next=/teams'" in page and "password" not in page
    posted = oidc.post("/login", data={"username": "alice", "password": "alice-password"})
    assert posted.status_code == 400 and "Sign in with the button below." in posted.get_data(as_text=True)
    assert "password" not in posted.get_data(as_text=True) and oidc.get("/_dash-layout").status_code == 401
    basic = create_app(auth_settings=basic_settings(data_dir)).server.test_client()
    for path in ("/login/oidc", "/oidc/callback?code=x&state=y"):
        reply = basic.get(path)
        assert (reply.status_code, reply.get_data(as_text=True)) == (404, "Not found\n")
    assert "type='password'" in basic.get("/login").get_data(as_text=True)


# -- the command line ------------------------------------------------------------------------------

def test_users_command(backend, data_dir, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert cli_main(["users", "add", "dana", "--role", "viewer", "--password-stdin"]) == 0
    assert cli_main(["users", "set-role", "dana", "editor"]) == 0
    assert cli_main(["users", "list"]) == 0
    out = capsys.readouterr().out
    assert "dana\teditor" in out and "a-long-password" not in out
    stored = stored_text(users.users_path(data_dir))
    assert "a-long-password" not in stored and "scrypt:" in stored and "dana" in stored
    if backend == "sqlite":
        assert oct(users.users_path(data_dir).stat().st_mode & 0o777) == "0o600"
    else:
        assert not (data_dir / "users.json").exists()               # the database's, for every host
    monkeypatch.setattr("sys.stdin", io.StringIO("another-password\n"))
    assert cli_main(["users", "set-password", "dana", "--password-stdin"]) == 0
    assert users.authenticate(users.users_path(data_dir), "dana", "another-password") is not None
    actions = [(e.action, e.detail) for e in store.audit_log(10)]
    assert ("user add", "dana (viewer)") in actions and ("user set-role", "dana (editor)") in actions
    assert ("user set-password", "dana") in actions
    for argv, says in ((["users", "add", "dana", "--role", "viewer", "--password-stdin"], "exists"),
                       (["users", "set-role", "dana", "root"], "a role is viewer or editor"),
                       (["users", "remove", "nobody"], "no user named 'nobody'"),
                       (["users", "add", "bad name!", "--role", "viewer", "--password-stdin"], "user names are"),
                       (["users", "add", "eve", "--password-stdin"], "needs --role")):
        monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
        assert cli_main(argv) == 2
        assert says in capsys.readouterr().err
    assert cli_main(["users", "remove", "dana"]) == 0


def test_audit_command_lists_every_kind_of_write(data_dir, fixtures):
    hand = fixtures / "hand.csv"
    assert run_cli("import", "--from", "events", hand, "--name", "demo").returncode == 0
    assert run_cli("datasets", "--delete", "demo").returncode == 0
    done = run_cli("audit")
    lines = done.stdout.splitlines()
    assert done.returncode == 0 and len(lines) == 2
    assert "\tdelete\tdemo\t+49 events" in lines[0] and "\timport\tdemo\t+49 events" in lines[1]
    assert lines[0].split("\t")[1].startswith("cli:")
    as_json = json.loads(run_cli("audit", "--json", "--dataset", "demo").stdout)
    assert [e["action"] for e in as_json] == ["delete", "import"]
    assert run_cli("audit", "--dataset", "bad name").returncode == 2


# -- sessions the server can end (issue 26) ---------------------------------------------------------

COOKIE = "metrics_session"


def copy_of(client, app):
    """A second browser on ``app`` holding a copy of ``client``'s session cookie (as a thief would)."""
    thief = app.server.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return thief


def sign_out(client) -> None:
    token = layout_csrf(client.get("/_dash-layout").get_json())
    assert client.post("/logout", data={"csrf": token}).status_code == 200


def test_sign_out_ends_every_copy_of_the_session_on_every_worker(backend, data_dir, people, seeded):
    """Two apps on one data directory are two gunicorn workers: a copy of a signed-out session is
    refused by both, while another session of the same user goes on."""
    first, second = (create_app(auth_settings=basic_settings(data_dir)) for _ in range(2))
    client = first.server.test_client()
    sign_in(client, "alice", "alice-password")
    other_device = second.server.test_client()
    sign_in(other_device, "alice", "alice-password")
    copies = [copy_of(client, first), copy_of(client, second)]
    assert [c.get("/_dash-layout").status_code for c in copies] == [200, 200]
    sign_out(client)
    assert [c.get("/_dash-layout").status_code for c in copies] == [401, 401]
    assert copies[1].get("/api/v1/datasets").status_code == 401
    assert other_device.get("/_dash-layout").status_code == 200        # sign-out ends this session only


def test_signing_in_again_ends_the_session_it_replaces(data_dir, people, seeded):
    """A browser that signs in again (the form answers while signed in) gets a new session; the one
    it replaces ends with it, so a copy of the old cookie does not outlive the sign-out that follows."""
    app = create_app(auth_settings=basic_settings(data_dir))
    client = app.server.test_client()
    sign_in(client, "alice", "alice-password")
    old_copy = copy_of(client, app)
    assert old_copy.get("/_dash-layout").status_code == 200
    sign_in(client, "alice", "alice-password")
    assert old_copy.get("/_dash-layout").status_code == 401            # replaced: ended at once
    new_copy = copy_of(client, app)
    assert client.get("/_dash-layout").status_code == new_copy.get("/_dash-layout").status_code == 200
    sign_out(client)
    assert [c.get("/_dash-layout").status_code for c in (old_copy, new_copy)] == [401, 401]


def test_a_datasets_file_replaced_under_a_running_server_is_the_one_sessions_are_read_from(data_dir, people, seeded):
    """Restoring the datasets file from a copy (a backup) while the server runs: sessions begun and
    ended afterwards are those of the new file, not of a connection kept to the old one."""
    import shutil
    app = create_app(auth_settings=basic_settings(data_dir))
    client = app.server.test_client()
    sign_in(client, "alice", "alice-password")
    assert client.get("/_dash-layout").status_code == 200           # the kept connection is open now
    path = store.store_path()
    shutil.copy(path, data_dir / "restored.sqlite")
    os.replace(data_dir / "restored.sqlite", path)
    fresh = app.server.test_client()
    sign_in(fresh, "alice", "alice-password")
    assert fresh.get("/_dash-layout").status_code == 200            # begun in the new file, read from it
    copy = copy_of(fresh, app)
    assert cli_main(["users", "sign-out", "alice"]) == 0
    assert [c.get("/_dash-layout").status_code for c in (fresh, copy, client)] == [401, 401, 401]


def test_oidc_sign_out_ends_every_copy(data_dir, seeded):
    with FakeProvider("metrics", "client-secret", {"erin": ["platform"]}) as provider:
        app = create_app(auth_settings=oidc_settings(provider, data_dir))
        client = app.server.test_client()
        oidc_sign_in(client, provider, "erin")
        copy = copy_of(client, app)
        assert copy.get("/_dash-layout").status_code == 200
        sign_out(client)
        assert copy.get("/_dash-layout").status_code == 401
        # an OpenID user is in no users file: ``users sign-out`` knows them by their sessions
        oidc_sign_in(client, provider, "erin")
        copy = copy_of(client, app)
        assert cli_main(["users", "sign-out", "erin"]) == 0
        assert [c.get("/_dash-layout").status_code for c in (client, copy)] == [401, 401]
        assert cli_main(["users", "sign-out", "erin"]) == 2            # no account and no session left


def test_a_new_password_ends_every_copy_on_every_worker(backend, data_dir, people, seeded, monkeypatch):
    first, second = (create_app(auth_settings=basic_settings(data_dir)) for _ in range(2))
    client = first.server.test_client()
    sign_in(client, "alice", "alice-password")
    copies = [copy_of(client, first), copy_of(client, second)]
    assert [c.get("/_dash-layout").status_code for c in copies] == [200, 200]
    monkeypatch.setattr("sys.stdin", io.StringIO("a-new-password\n"))
    assert cli_main(["users", "set-password", "alice", "--password-stdin"]) == 0
    assert [c.get("/_dash-layout").status_code for c in [client, *copies]] == [401, 401, 401]


def test_users_sign_out_ends_every_session_of_that_user_in_every_process(backend, data_dir, people, seeded):
    """``python -m metrics users sign-out NAME``, run in its own process, ends the user's sessions
    in both apps (workers) at once; other users stay signed in; it is in the audit trail."""
    first, second = (create_app(auth_settings=basic_settings(data_dir)) for _ in range(2))
    laptop, phone, victor = first.server.test_client(), second.server.test_client(), second.server.test_client()
    sign_in(laptop, "alice", "alice-password")
    sign_in(phone, "alice", "alice-password")
    sign_in(victor, "victor", "victor-password")
    copy = copy_of(laptop, second)
    assert [c.get("/_dash-layout").status_code for c in (laptop, phone, copy, victor)] == [200] * 4
    done = run_cli("users", "sign-out", "alice")
    assert done.returncode == 0 and "alice" in done.stdout and "2 sessions" in done.stdout
    assert [c.get("/_dash-layout").status_code for c in (laptop, phone, copy, victor)] == [401, 401, 401, 200]
    entries = [(e.action, e.detail) for e in store.audit_log(5)]
    assert ("user sign-out", "alice (2 sessions ended)") in entries
    again = first.server.test_client()
    sign_in(again, "alice", "alice-password")
    assert again.get("/_dash-layout").status_code == 200              # a new sign-in works


@pytest.mark.parametrize("argv, says", [(["users", "sign-out", "nobody"], "no user named 'nobody'"),
                                        (["users", "sign-out"], "users sign-out needs a NAME")])
def test_users_sign_out_of_an_unknown_user_is_one_sentence(data_dir, people, argv, says):
    done = run_cli(*argv)
    assert done.returncode == 2 and done.stderr.strip().count("\n") == 0
    assert says in done.stderr and "Traceback" not in done.stderr


NOW = 1_800_000_000.0           # the server's clock in the tests below (an exact binary fraction)


class FrozenClock:
    """The gate's view of time, stopped at ``NOW``."""
    @staticmethod
    def time():
        return NOW

    monotonic = staticmethod(__import__("time").monotonic)


@pytest.mark.parametrize("started, status", [
    (NOW, 200),
    (NOW + 5, 200),                 # at most 5 s ahead (another worker's clock): allowed
    (NOW + 5.5, 401), (NOW + 6, 401), (NOW + 86400 * 365, 401),       # from the future: never expires, refused
    (NOW - 3600, 200),              # exactly its hour ago: the last instant it is valid
    (NOW - 3600.5, 401), (NOW - 3601, 401),
    ("missing", 401), (None, 401), ("1800000000", 401), (True, 401),
])
def test_a_session_started_in_the_future_or_without_its_start_is_refused(data_dir, people, seeded, monkeypatch,
                                                                         started, status):
    app = create_app(auth_settings=AuthSettings(mode="basic", secret_key=KEY, users_file=users.users_path(data_dir),
                                                session_hours=1))
    client = app.server.test_client()
    sign_in(client, "alice", "alice-password")
    with client.session_transaction() as session:
        if started == "missing":
            del session["at"]
        else:
            session["at"] = started
    import dashboard.auth.gate
    monkeypatch.setattr(dashboard.auth.gate, "time", FrozenClock)
    assert client.get("/_dash-layout").status_code == status


def test_a_session_the_store_does_not_know_is_refused(app):
    """A cookie signed with the key but not started by this server (or from before sessions were
    kept on the server) is refused."""
    client = app.server.test_client()
    sign_in(client, "alice", "alice-password")
    with client.session_transaction() as session:
        session.pop("sid")
    assert client.get("/_dash-layout").status_code == 401
    sign_in(client, "alice", "alice-password")
    with client.session_transaction() as session:
        session["sid"] = "x" * 43
    assert client.get("/_dash-layout").status_code == 401


def test_another_users_session_id_is_refused(app):
    """A session id is valid only for the user it was started for."""
    alice, victor = app.server.test_client(), app.server.test_client()
    sign_in(alice, "alice", "alice-password")
    sign_in(victor, "victor", "victor-password")
    with victor.session_transaction() as session:
        victors = session["sid"]
    with alice.session_transaction() as session:
        session["sid"] = victors
    assert alice.get("/_dash-layout").status_code == 401


@pytest.mark.parametrize("target", ["/\r\nSet-Cookie:x=y", "/\nSet-Cookie:x=y", "/\rx", "/x\x00", "/\t/evil.example",
                                    " /x", "/x ", "/\x0b/evil.example", "/\u2028x", "/\u202e", "/\x7f",
                                    "\r\n/x", "/ /evil.example"])
def test_a_next_target_with_control_characters_or_spaces_is_home(target):
    assert local_path(target) == "/"


def test_sign_in_with_a_newline_in_next_goes_home_not_to_a_500(app):
    client = app.server.test_client()
    reply = sign_in(client, "alice", "alice-password", next_path="/\r\nSet-Cookie:x=y")
    assert reply.status_code in (302, 303) and reply.headers["Location"] == "/"
    assert "x=y" not in str(reply.headers)


LOCATION_SAFE = re.compile(r"/(?![/\\])[\x21-\x7e]*|/")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(target=st.one_of(
    st.text(max_size=40),
    st.builds(lambda a, b: "/" + a + b, st.text(max_size=10),
              st.sampled_from(["\r\n", "\n", "\r", "\t", "\x00", " ", "\x0c", "\x85", "\u2028", "//", "\\", ""])),
    st.sampled_from(["/%0D%0ASet-Cookie:x=y", "/\r\nSet-Cookie:x=y", "//evil.example", "/\\evil.example",
                     "https://evil.example", "/\t/evil.example", "\x00/", "/?seed=7", "/teams?x=1#y"])))
def test_fuzzed_next_after_sign_in_is_always_a_local_redirect(app, target):
    client = app.server.test_client()
    reply = sign_in(client, "alice", "alice-password", next_path=target)
    assert reply.status_code in (302, 303)
    location = reply.headers["Location"]
    assert LOCATION_SAFE.fullmatch(location), location
    parsed = urlparse(location)
    assert not parsed.scheme and not parsed.netloc
    page = client.get("/login", query_string={"next": target})
    assert page.status_code == 200


def test_a_datasets_file_from_before_sessions_gets_their_table_on_first_open(data_dir, people, seeded):
    """A file without the ``sessions`` table (as the versions before it wrote) gets the table when a
    process first opens it; its events and its format mark stay as they were."""
    import sqlite3
    from contextlib import closing
    with closing(sqlite3.connect(store.store_path())) as con:
        con.execute("DROP TABLE sessions")
        mark = con.execute("PRAGMA user_version").fetchone()[0]
    store.forget_open_files()
    client = create_app(auth_settings=basic_settings(data_dir)).server.test_client()
    sign_in(client, "alice", "alice-password")
    assert client.get("/_dash-layout").status_code == 200
    with closing(sqlite3.connect(store.store_path())) as con:
        assert con.execute("SELECT user FROM sessions").fetchall() == [("alice",)]
        assert con.execute("PRAGMA user_version").fetchone()[0] == mark
    assert store.list_datasets()[0].events == 49


def test_a_store_that_cannot_keep_or_check_sessions_signs_no_one_in(app, monkeypatch, caplog):
    def broken(*args):
        raise store.StoreError("the disk holding data/datasets.sqlite is full")
    client = app.server.test_client()
    sign_in(client, "alice", "alice-password")
    monkeypatch.setattr(store, "session_user", broken)
    assert client.get("/_dash-layout").status_code == 401           # cannot tell: refused, never let in
    monkeypatch.setattr(store, "begin_session", broken)
    other = app.server.test_client()
    reply = sign_in(other, "alice", "alice-password")
    assert reply.status_code == 503 and "cannot keep sessions" in reply.get_data(as_text=True)
    with other.session_transaction() as session:
        assert "user" not in session and "sid" not in session


def test_sessions_past_their_lifetime_are_forgotten_at_the_next_sign_in(backend, data_dir, monkeypatch):
    """The sessions table stays as small as the live sessions: a sign-in forgets those begun more
    than a lifetime ago (a session begun exactly a lifetime ago is still kept)."""
    from types import SimpleNamespace
    import metrics.store.sessions as kept
    clock = {"ns": 10**18}
    monkeypatch.setattr(kept, "time", SimpleNamespace(time_ns=lambda: clock["ns"]))
    old = kept.begin_session("alice", 3600)
    clock["ns"] += 10**9
    edge = kept.begin_session("victor", 3600)
    clock["ns"] += 3600 * 10**9                       # one hour after victor's sign-in, an hour and a second after alice's
    kept.begin_session("victor", 3600)
    with store.connection.reading() as con:
        assert [tuple(r) for r in con.execute('SELECT "user", started_ns FROM sessions ORDER BY started_ns').fetchall()] == [
            ("victor", 10**18 + 10**9), ("victor", 10**18 + 10**9 + 3600 * 10**9)]
    assert store.session_user(old) is None and store.session_user(edge) == "victor"


def test_a_user_added_or_removed_is_seen_by_two_workers_on_either_store(backend, data_dir, people):
    """Two apps on one store are two workers (on PostgreSQL: two hosts): a user added after they
    started signs in on either, and is signed out on both at their next request once removed."""
    first, second = (create_app(auth_settings=basic_settings(data_dir)) for _ in range(2))
    for app in (first, second):                                   # each has read the users once
        assert sign_in(app.server.test_client(), "alice", "alice-password").status_code == 302
    users.add(users.users_path(data_dir), "erin", "viewer", "erin-password")
    on_first, on_second = first.server.test_client(), second.server.test_client()
    assert [sign_in(c, "erin", "erin-password").status_code for c in (on_first, on_second)] == [302, 302]
    assert [c.get("/_dash-layout").status_code for c in (on_first, on_second)] == [200, 200]
    users.remove(users.users_path(data_dir), "erin")
    assert [c.get("/_dash-layout").status_code for c in (on_first, on_second)] == [401, 401]
