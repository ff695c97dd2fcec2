"""Who may use the dashboard, and what they may do: sign-in, roles and sessions.

``METRICS_AUTH`` chooses the mode:

- ``none`` (the default): no sign-in; only clients on this machine (127.0.0.1, ::1) are answered,
  unless ``--allow-anonymous`` / ``METRICS_ALLOW_ANONYMOUS=1`` says otherwise; anonymous users get
  ``METRICS_ANONYMOUS_ROLE`` (default editor, as on a laptop).
- ``basic``: a sign-in form; users and their roles are in the users file (``python -m metrics users``).
- ``oidc``: sign-in at an OpenID Connect provider (``METRICS_OIDC_ISSUER``, ``METRICS_OIDC_CLIENT_ID``,
  ``METRICS_OIDC_CLIENT_SECRET``), roles from a claim (``METRICS_OIDC_GROUPS_CLAIM``, default
  ``groups``): members of ``METRICS_OIDC_EDITOR_GROUPS`` are editors; when
  ``METRICS_OIDC_VIEWER_GROUPS`` is set only its members (and editors) get in, else every
  signed-in user is a viewer.

With sign-in on, sessions are cookies signed with ``METRICS_SECRET_KEY`` (or the file
``METRICS_SECRET_KEY_FILE``), so every gunicorn worker accepts them; only ``/health``, the sign-in
pages and the webhooks (which check their own secrets) answer without one. Pages redirect to the
sign-in form; everything else (layout, dependencies, callbacks, assets) answers 401. The JSON API
also takes an API token (``Authorization: Bearer``) or, in basic mode, HTTP Basic credentials.

Built on the pieces Dash itself uses: Flask's signed sessions, werkzeug's scrypt password hashes
and authlib's OpenID Connect client (discovery, state, nonce, ID-token signature and claims).
dash-auth 2.3 works with Dash 4, but its basic mode is HTTP Basic (the browser keeps the password,
so sign-out cannot work) and its OIDC mode has no role mapping or 401 for callbacks, so it is not used.
"""
from __future__ import annotations

import hmac
import html
import logging
import os
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlparse

import flask

from metrics import defaults, store, tokens, users

from ..security import is_loopback

log = logging.getLogger(__name__)
MODES = ("none", "basic", "oidc")
FORWARDED = ("X-Forwarded-For", "Forwarded", "X-Real-IP")
LOGIN, LOGOUT, OIDC_START, OIDC_CALLBACK = "/login", "/logout", "/login/oidc", "/oidc/callback"
OPEN_PATHS = ("/health", LOGIN, LOGOUT, OIDC_START, OIDC_CALLBACK, "/vendor/bootstrap/bootstrap.min.css")
OPEN_PREFIXES = ("/webhooks/",)      # webhooks check their own signatures (machines never use a user's session)


class AuthConfigError(Exception):
    """Sign-in settings the server cannot start with: one sentence saying what to set."""


@dataclass(frozen=True)
class Visitor:
    """Who is asking: a signed-in user, an API token, or anonymous (mode none)."""
    name: str
    role: str
    via: str            # "session", "basic", "token" or "anonymous"

    @property
    def may_write(self) -> bool:
        """Whether this visitor may change stored data: editors, never a read-only API token."""
        return self.role == "editor" and self.via != "token"

    @property
    def signed_in(self) -> bool:
        """Whether this visitor proved who they are (a session, credentials or a token)."""
        return self.via != "anonymous"


@dataclass(frozen=True)
class AuthSettings:
    """Who may sign in and how (``settings_from_env`` reads them from the environment)."""
    mode: str = "none"
    secret_key: str = ""
    allow_anonymous: bool = False
    anonymous_role: str = "editor"
    users_file: Path | None = None
    issuer: str = ""
    client_id: str = ""
    client_secret: str = ""
    scopes: str = "openid email profile"
    groups_claim: str = "groups"
    editor_groups: frozenset = field(default_factory=frozenset)
    viewer_groups: frozenset = field(default_factory=frozenset)
    session_hours: int = defaults.SESSION_HOURS
    secure_cookies: bool = False
    redirect_uri: str = ""          # METRICS_OIDC_REDIRECT_URI: the callback address, when the server cannot tell it

    @property
    def on(self) -> bool:
        """Whether sign-in is on (basic or oidc)."""
        return self.mode != "none"


def _groups(text: str) -> frozenset:
    return frozenset(g.strip() for g in (text or "").split(",") if g.strip())


def _flag(environ, name: str) -> bool:
    return environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def settings_from_env(environ=None, allow_anonymous: bool = False) -> AuthSettings:
    """The sign-in settings the environment names; AuthConfigError naming what is missing or wrong."""
    environ = os.environ if environ is None else environ
    mode = (environ.get("METRICS_AUTH") or "none").strip().lower()
    if mode not in MODES:
        raise AuthConfigError(f"METRICS_AUTH is none, basic or oidc; got {mode!r}")
    role = (environ.get("METRICS_ANONYMOUS_ROLE") or "editor").strip().lower()
    if role not in users.ROLES:
        raise AuthConfigError(f"METRICS_ANONYMOUS_ROLE is viewer or editor; got {role!r}")
    settings = dict(mode=mode, allow_anonymous=allow_anonymous or _flag(environ, "METRICS_ALLOW_ANONYMOUS"),
                    anonymous_role=role, secure_cookies=_flag(environ, "METRICS_SECURE_COOKIES"))
    if mode == "none":
        return AuthSettings(**settings)
    key = environ.get("METRICS_SECRET_KEY", "")
    key_file = environ.get("METRICS_SECRET_KEY_FILE", "")
    if not key and key_file:
        try:
            key = Path(key_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as e:
            raise AuthConfigError(f"cannot read METRICS_SECRET_KEY_FILE {key_file} ({getattr(e, 'strerror', e)})") from None
    if len(key) < defaults.MIN_SECRET_KEY:
        raise AuthConfigError(
            f"sign-in (METRICS_AUTH={mode}) needs METRICS_SECRET_KEY (or METRICS_SECRET_KEY_FILE), at least "
            f"{defaults.MIN_SECRET_KEY} characters and the same for every worker, to sign sessions; make one with: "
            "python -c 'import secrets; print(secrets.token_hex(32))'")
    hours = environ.get("METRICS_SESSION_HOURS", str(defaults.SESSION_HOURS)).strip()
    if not hours.isdigit() or not 1 <= int(hours) <= defaults.MAX_SESSION_HOURS:
        raise AuthConfigError(f"METRICS_SESSION_HOURS is a whole number of hours from 1 to "
                              f"{defaults.MAX_SESSION_HOURS}; got {hours!r}")
    settings.update(secret_key=key, session_hours=int(hours), users_file=users.users_path(store.data_dir()))
    if mode == "oidc":
        for name in ("METRICS_OIDC_ISSUER", "METRICS_OIDC_CLIENT_ID", "METRICS_OIDC_CLIENT_SECRET"):
            if not environ.get(name, "").strip():
                raise AuthConfigError(f"METRICS_AUTH=oidc needs {name} (see the README's 'Sign-in' section)")
        issuer = environ["METRICS_OIDC_ISSUER"].strip().rstrip("/")
        if urlparse(issuer).scheme not in ("https", "http") or not urlparse(issuer).netloc:
            raise AuthConfigError(f"METRICS_OIDC_ISSUER is the provider's https:// address; got {issuer!r}")
        settings.update(issuer=issuer, client_id=environ["METRICS_OIDC_CLIENT_ID"].strip(),
                        client_secret=environ["METRICS_OIDC_CLIENT_SECRET"].strip(),
                        scopes=environ.get("METRICS_OIDC_SCOPES", "").strip() or AuthSettings.scopes,
                        groups_claim=environ.get("METRICS_OIDC_GROUPS_CLAIM", "").strip() or "groups",
                        editor_groups=_groups(environ.get("METRICS_OIDC_EDITOR_GROUPS", "")),
                        viewer_groups=_groups(environ.get("METRICS_OIDC_VIEWER_GROUPS", "")),
                        redirect_uri=environ.get("METRICS_OIDC_REDIRECT_URI", "").strip())
    return AuthSettings(**settings)


def proxy_hops(environ=None) -> int:
    """How many reverse proxies in front of the server to trust for the client's address, scheme
    and host (``METRICS_PROXY_HOPS``, default 0: none); AuthConfigError when it is not 0 to 5."""
    environ = os.environ if environ is None else environ
    text = (environ.get("METRICS_PROXY_HOPS") or "0").strip()
    if not text.isdigit() or int(text) > 5:
        raise AuthConfigError(f"METRICS_PROXY_HOPS is how many proxies stand in front of the server, 0 to 5; got {text!r}")
    return int(text)


def current_visitor() -> Visitor | None:
    """Who this request is from (set by the gate before any page, callback or API route runs)."""
    return flask.g.get("visitor") if flask.has_request_context() else None


def may_write() -> bool:
    """Whether this request's visitor may change stored data (editors; not viewers or API tokens)."""
    visitor = current_visitor()
    return visitor is not None and visitor.may_write


def who() -> str:
    """The audit trail's name for this request's visitor."""
    visitor = current_visitor()
    if visitor is None:
        return "unknown"
    return "anonymous (no sign-in)" if visitor.via == "anonymous" else visitor.name


def role_of(claims: dict, settings: AuthSettings) -> str | None:
    """The role the provider's claims give (editor, viewer), or None when the user may not enter."""
    value = claims.get(settings.groups_claim)
    if isinstance(value, str):
        groups = set(value.replace(",", " ").split())
    elif isinstance(value, (list, tuple)):
        groups = {str(g) for g in value}
    else:
        groups = set()
    if groups & settings.editor_groups:
        return "editor"
    if not settings.viewer_groups or groups & settings.viewer_groups:
        return "viewer"
    return None


def local_path(target: str | None) -> str:
    """``target`` when it is a path on this site (no scheme, no host, no ``//``), else ``/``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parsed = urlparse(target)
    return "/" if parsed.scheme or parsed.netloc else target


def page_html(title: str, body: str, status: int = 200) -> flask.Response:
    """A small plain page (the sign-in form and its messages), styled by the local Bootstrap CSS."""
    return flask.Response(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><meta name='viewport' "
        "content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)} · Engineering metrics</title>"
        "<link rel='icon' href='data:,'><link rel='stylesheet' href='/vendor/bootstrap/bootstrap.min.css'></head>"
        "<body class='bg-body-tertiary'><main class='container' style='max-width:26rem;margin-top:10vh'>"
        f"<h1 class='h4 mb-3'>Engineering metrics</h1>{body}</main></body></html>",
        status=status, mimetype="text/html", headers={"Cache-Control": "no-store"})


class Gate:
    """The sign-in gate of one app: its routes, its before-request check and its failure counter."""

    def __init__(self, settings: AuthSettings, proxy_hops: int = 0):
        self.settings = settings
        self.proxy_hops = proxy_hops
        self.failures: dict[str, deque] = defaultdict(deque)
        self.oauth = None

    # -- who is asking ------------------------------------------------------------------------
    def from_session(self) -> Visitor | None:
        """The signed-in user of this request's session, or None (none, expired, or no longer valid)."""
        name = flask.session.get("user")
        if not isinstance(name, str):
            return None
        started = flask.session.get("at")
        # a session lasts METRICS_SESSION_HOURS from sign-in, however busy the page keeps it
        if not isinstance(started, (int, float)) or time.time() - started > self.settings.session_hours * 3600:
            flask.session.clear()
            return None
        if self.settings.mode == "basic":
            try:
                user = users.lookup(self.settings.users_file, name)
            except users.UsersError as e:
                log.error("%s", e)
                return None
            # removed, or the password changed since this session began: signed out
            if user is None or not hmac.compare_digest(user.stamp, str(flask.session.get("stamp", ""))):
                flask.session.clear()
                return None
            return Visitor(name, user.role, "session")
        role = flask.session.get("role")
        return Visitor(name, role, "session") if role in users.ROLES else None

    def from_basic_header(self) -> Visitor | None:
        """The user of an ``Authorization: Basic`` header (basic mode, the API only), or None."""
        auth = flask.request.authorization
        if self.settings.mode != "basic" or auth is None or auth.type != "basic":
            return None
        if self.too_many_failures():
            return None
        try:
            user = users.authenticate(self.settings.users_file, auth.username or "", auth.password or "")
        except users.UsersError as e:
            log.error("%s", e)
            return None
        if user is None:
            self.count_failure(auth.username)
            return None
        return Visitor(user.name, user.role, "basic")

    @staticmethod
    def from_token() -> Visitor | None:
        """The read-only API token of an ``Authorization: Bearer`` header, or None."""
        token = tokens.bearer_of(flask.request.headers.get("Authorization"))
        if not token:
            return None
        name = tokens.check(tokens.tokens_path(store.data_dir()), token)
        return Visitor(f"token:{name}", "viewer", "token") if name else None

    # -- failed sign-ins ----------------------------------------------------------------------
    def client(self) -> str:
        """The client's address (the proxy's, unless METRICS_PROXY_HOPS says how many to trust)."""
        return flask.request.remote_addr or "?"

    def too_many_failures(self) -> bool:
        """Whether this client failed to sign in too often lately (``FAILED_SIGN_INS`` in ``FAILURE_WINDOW_S``)."""
        address = self.client()
        recent = self.failures.get(address)
        if recent is None:
            return False
        while recent and recent[0] < time.monotonic() - defaults.FAILURE_WINDOW_S:
            recent.popleft()
        if not recent:
            del self.failures[address]              # forgotten once the window has passed
            return False
        return len(recent) >= defaults.FAILED_SIGN_INS

    def count_failure(self, name: str | None) -> None:
        """Remember a failed sign-in from this client (and log it, without the password)."""
        self.failures[self.client()].append(time.monotonic())
        log.warning("failed sign-in for %r from %s", (name or "")[:64], self.client())

    # -- the check before every request ---------------------------------------------------------
    @staticmethod
    def machine_request() -> bool:
        """A webhook delivery: it proves itself with its own secret, never a user's session."""
        return flask.request.method == "POST" and flask.request.path.startswith(OPEN_PREFIXES)

    def check(self):
        """Before every request: let it in (setting ``g.visitor``), or answer 401/403 or a redirect."""
        path = flask.request.path
        if not self.settings.on:
            remote = flask.request.remote_addr or ""
            # behind a proxy on this machine every client looks local: a forwarded request is not
            forwarded = any(h in flask.request.headers for h in FORWARDED) and not self.proxy_hops
            if (not self.settings.allow_anonymous and (forwarded or not is_loopback(remote))
                    and path != "/health" and not self.machine_request()):
                return flask.Response(
                    "This dashboard has no sign-in, so it answers only on this machine (a request through a proxy "
                    "is not from this machine). Its operator can turn sign-in on (METRICS_AUTH=basic or oidc) or "
                    "allow anonymous access (--allow-anonymous, METRICS_ALLOW_ANONYMOUS=1).\n",
                    status=403, mimetype="text/plain")
            flask.g.visitor = Visitor("anonymous", self.settings.anonymous_role, "anonymous")
            return None
        if path in OPEN_PATHS or self.machine_request():
            return None
        visitor = self.from_session()
        if visitor is None and path.startswith("/api/"):
            visitor = self.from_basic_header() or self.from_token()
            if visitor is None:
                return flask.Response('{"error": "sign-in required: Authorization: Bearer TOKEN '
                                      '(python -m metrics tokens create NAME)"}\n', status=401,
                                      mimetype="application/json",
                                      headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
        if visitor is not None:
            flask.g.visitor = visitor
            return None
        wants_page = (flask.request.method == "GET" and not path.startswith(("/_dash", "/assets", "/_reload"))
                      and "text/html" in flask.request.headers.get("Accept", ""))
        if wants_page:
            return flask.redirect(f"{LOGIN}?next={quote(flask.request.full_path.rstrip('?'), safe='/')}")
        return flask.Response("Sign in first: /login\n", status=401, mimetype="text/plain")

    # -- the sign-in pages --------------------------------------------------------------------
    def csrf_token(self) -> str:
        """This session's token for the sign-in and sign-out forms (made on first use)."""
        if "csrf" not in flask.session:
            flask.session["csrf"] = secrets.token_urlsafe(24)
        return flask.session["csrf"]

    def form_is_ours(self) -> bool:
        """Whether a posted form carries this session's token (a session without one never matches)."""
        expected = flask.session.get("csrf")
        given = flask.request.form.get("csrf")
        return isinstance(expected, str) and isinstance(given, str) and hmac.compare_digest(expected, given)

    def login_form(self, message: str = "", status: int = 200, name: str = "") -> flask.Response:
        """The sign-in page (a form in basic mode, the provider's button in oidc mode), with ``message``."""
        next_path = local_path(flask.request.values.get("next"))
        alert = f"<div class='alert alert-danger' role='alert' id='login-error'>{html.escape(message)}</div>" if message else ""
        if self.settings.mode == "oidc":
            host = urlparse(self.settings.issuer).netloc
            return page_html("Sign in", f"{alert}<p>Sign in with your organisation's account.</p>"
                             f"<a class='btn btn-primary' id='oidc-sign-in' href='{OIDC_START}?next="
                             f"{html.escape(quote(next_path, safe='/'))}'>Sign in with {html.escape(host)}</a>", status)
        return page_html("Sign in", f"""{alert}
<form method='post' action='{LOGIN}' class='card card-body'>
 <input type='hidden' name='csrf' value='{html.escape(self.csrf_token())}'>
 <input type='hidden' name='next' value='{html.escape(next_path)}'>
 <label class='form-label' for='username'>User name</label>
 <input class='form-control mb-2' id='username' name='username' autocomplete='username' required value='{html.escape(name)}'>
 <label class='form-label' for='password'>Password</label>
 <input class='form-control mb-3' id='password' name='password' type='password' autocomplete='current-password' required>
 <button class='btn btn-primary' id='sign-in' type='submit'>Sign in</button>
</form>""", status)

    def login(self):
        """``/login``: the form, or a posted sign-in checked against the users file."""
        if flask.request.method == "GET":
            return self.login_form()
        if self.settings.mode != "basic":
            return self.login_form("Sign in with the button below.", 400)
        form = flask.request.form
        if not self.form_is_ours():
            return self.login_form("The sign-in form expired; please try again.", 400)
        name = str(form.get("username", ""))[:64]
        if self.too_many_failures():
            return self.login_form(f"Too many failed sign-ins from your address; wait {defaults.FAILURE_WINDOW_S // 60} "
                                   "minutes and try again.", 429, name)
        try:
            user = users.authenticate(self.settings.users_file, name, str(form.get("password", "")))
        except users.UsersError as e:
            log.error("%s", e)
            return self.login_form("Sign-in is unavailable: the users file cannot be read (the server log says why).",
                                   503, name)
        if user is None:
            self.count_failure(name)
            return self.login_form("Wrong user name or password.", 401, name)
        self.start_session(user.name, user.role, stamp=user.stamp)
        return flask.redirect(local_path(form.get("next")))

    def start_session(self, name: str, role: str, stamp: str = "") -> None:
        """A new session for the user who just signed in."""
        flask.session.clear()                       # a new session at sign-in (no fixation)
        flask.session.permanent = True
        flask.session.update(user=name, role=role, stamp=stamp, at=time.time())
        log.info("signed in: %s (%s)", name, role)

    def logout(self):
        """``/logout``: a posted sign-out (with this session's token) ends the session."""
        if flask.request.method == "POST":
            if not self.form_is_ours():
                return page_html("Sign out", "<p>This sign-out request did not come from the dashboard.</p>", 400)
            name = flask.session.get("user")
            flask.session.clear()
            if name:
                log.info("signed out: %s", name)
            return page_html("Signed out", "<p id='signed-out'>You are signed out.</p>"
                             f"<a class='btn btn-primary' href='{LOGIN}'>Sign in again</a>")
        return page_html("Sign out", f"""<form method='post' action='{LOGOUT}'>
 <input type='hidden' name='csrf' value='{html.escape(self.csrf_token())}'>
 <button class='btn btn-primary' id='sign-out' type='submit'>Sign out</button></form>""")

    def oidc_client(self):
        """authlib's client of the OpenID provider (its metadata is fetched on first use)."""
        if self.oauth is None:
            from authlib.integrations.flask_client import OAuth
            self.oauth = OAuth(flask.current_app)
            self.oauth.register("provider", client_id=self.settings.client_id,
                                client_secret=self.settings.client_secret,
                                server_metadata_url=self.settings.issuer + "/.well-known/openid-configuration",
                                client_kwargs={"scope": self.settings.scopes, "code_challenge_method": "S256"})
        return self.oauth.provider

    def oidc_start(self):
        """``/login/oidc``: off to the provider (authorization code flow with PKCE)."""
        if self.settings.mode != "oidc":
            return flask.Response("Not found\n", status=404, mimetype="text/plain")
        flask.session["next"] = local_path(flask.request.args.get("next"))
        redirect_uri = self.settings.redirect_uri or flask.url_for("oidc_callback", _external=True)
        try:
            return self.oidc_client().authorize_redirect(redirect_uri)
        except Exception as e:       # the provider is unreachable or its discovery document is wrong
            log.error("cannot start sign-in at %s: %s", self.settings.issuer, e)
            return self.login_form(f"The sign-in provider {urlparse(self.settings.issuer).netloc} cannot be reached; "
                                   "try again later (the server log says why).", 502)

    def oidc_callback(self):
        """``/oidc/callback``: the provider's answer; the ID token's claims give the user and role."""
        if self.settings.mode != "oidc":
            return flask.Response("Not found\n", status=404, mimetype="text/plain")
        if flask.request.args.get("error"):
            # the provider's own words go to the log: a crafted link must not put text on this page
            log.warning("the OpenID provider refused a sign-in: %s", str(flask.request.args.get("error_description")
                                                                         or flask.request.args["error"])[:200])
            return self.login_form("The sign-in provider refused the sign-in; try again, or ask the dashboard's "
                                   "operator.", 401)
        try:
            client = self.oidc_client()
            token = client.authorize_access_token()
            claims = dict(token.get("userinfo") or {})
            if self.settings.groups_claim not in claims and client.load_server_metadata().get("userinfo_endpoint"):
                claims.update(client.userinfo(token=token))
        except Exception as e:        # a forged or replayed callback, a bad ID token, an unreachable provider
            log.warning("OpenID sign-in failed: %s", e)
            return self.login_form("Sign-in did not complete (expired, replayed or refused); please try again.", 401)
        name = str(claims.get("preferred_username") or claims.get("email") or claims.get("sub") or "")[:200]
        role = role_of(claims, self.settings)
        if not name or role is None:
            log.warning("OpenID user %r is in no group allowed in", name)
            return page_html("Not allowed", "<p id='login-error'>Your account is not in a group allowed to see this "
                             "dashboard; ask its operator.</p>", 403)
        next_path = flask.session.get("next", "/")
        self.start_session(name, role)
        return flask.redirect(local_path(next_path))


def install(app, settings: AuthSettings, proxy_hops: int = 0) -> Gate:
    """Add the sign-in routes to ``app``'s server and return its gate, whose ``check`` the server
    runs before every request (``security.protect`` puts it after the host check)."""
    server = app.server
    gate = Gate(settings, proxy_hops)
    if settings.on:
        server.secret_key = settings.secret_key
        server.config.update(SESSION_COOKIE_NAME="metrics_session", SESSION_COOKIE_HTTPONLY=True,
                             SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=settings.secure_cookies,
                             PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
                             SESSION_REFRESH_EACH_REQUEST=False)
        server.add_url_rule(LOGIN, "login", gate.login, methods=["GET", "POST"])
        server.add_url_rule(LOGOUT, "logout", gate.logout, methods=["GET", "POST"])
        server.add_url_rule(OIDC_START, "oidc_start", gate.oidc_start)
        server.add_url_rule(OIDC_CALLBACK, "oidc_callback", gate.oidc_callback)
    app.auth = gate
    return gate
