"""The gate: which requests pass. Before every request it finds who is asking (a session, an API
token, or in basic mode HTTP Basic credentials, with failed sign-ins counted per client) and lets
the request in, redirects a page to the sign-in form, or answers 401 or 403; ``install`` adds the
gate and the sign-in routes to an app."""
from __future__ import annotations

import hmac
import logging
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

import flask

from metrics import defaults, store, tokens, users

from ..security import is_loopback
from .form import LOGIN, LOGOUT, FormSignIn, csrf_token
from .oidc import OIDC_CALLBACK, OIDC_START, OidcSignIn
from .settings import AuthSettings

log = logging.getLogger(__name__)
FORWARDED = ("X-Forwarded-For", "Forwarded", "X-Real-IP")
OPEN_PATHS = ("/health", LOGIN, LOGOUT, OIDC_START, OIDC_CALLBACK, "/vendor/bootstrap/bootstrap.min.css")
OPEN_PREFIXES = ("/webhooks/",)      # webhooks check their own signatures (machines never use a user's session)


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


class Lockout:
    """Failed sign-ins (the form's and the API's Basic header's), counted per client address."""

    def __init__(self):
        self.failures: dict[str, deque] = defaultdict(deque)

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


class Gate:
    """The sign-in gate of one app: its before-request check, its failure counter and its sign-in pages."""

    def __init__(self, settings: AuthSettings, proxy_hops: int = 0):
        self.settings = settings
        self.proxy_hops = proxy_hops
        self.lockout = Lockout()
        self.form = FormSignIn(settings, self.lockout)
        self.oidc = OidcSignIn(settings)

    # -- who is asking ------------------------------------------------------------------------
    def from_session(self) -> Visitor | None:
        """The signed-in user of this request's session, or None (none, expired, or no longer valid)."""
        name = flask.session.get("user")
        if not isinstance(name, str):
            return None
        if not self.live_session(name):
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

    def live_session(self, name: str) -> bool:
        """Whether this request's session of ``name`` is still on: it began at most
        METRICS_SESSION_HOURS ago however busy the page keeps it, and not in the future (beyond
        ``SESSION_CLOCK_SKEW_S``), and the store still keeps it for ``name`` (signing out, a new
        password or ``users sign-out`` end it for every copy of the cookie, in every worker)."""
        started, session_id = flask.session.get("at"), flask.session.get("sid")
        if isinstance(started, bool) or not isinstance(started, (int, float)) or not isinstance(session_id, str):
            return False
        now = time.time()
        if not now - self.settings.session_hours * 3600 <= started <= now + defaults.SESSION_CLOCK_SKEW_S:
            return False
        try:
            owner = store.session_user(session_id)
        except store.StoreError as e:
            log.error("cannot check a session of %s: %s", name, e)
            return False
        return owner == name            # (the id is looked up by its hash; the name is no secret)

    def from_basic_header(self) -> Visitor | None:
        """The user of an ``Authorization: Basic`` header (basic mode, the API only), or None."""
        auth = flask.request.authorization
        if self.settings.mode != "basic" or auth is None or auth.type != "basic":
            return None
        if self.lockout.too_many_failures():
            return None
        try:
            user = users.authenticate(self.settings.users_file, auth.username or "", auth.password or "")
        except users.UsersError as e:
            log.error("%s", e)
            return None
        if user is None:
            self.lockout.count_failure(auth.username)
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
                                      '(.venv/bin/python -m metrics tokens create NAME)"}\n', status=401,
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

    @staticmethod
    def csrf_token() -> str:
        """This session's token for the sign-out form the page carries."""
        return csrf_token()


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
        sign_in = gate.oidc if settings.mode == "oidc" else gate.form       # whose page /login is
        server.add_url_rule(LOGIN, "login", sign_in.login, methods=["GET", "POST"])
        server.add_url_rule(LOGOUT, "logout", gate.form.logout, methods=["GET", "POST"])
        server.add_url_rule(OIDC_START, "oidc_start", gate.oidc.start)
        server.add_url_rule(OIDC_CALLBACK, "oidc_callback", gate.oidc.callback)
    app.auth = gate
    return gate
