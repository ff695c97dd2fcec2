"""Sign-in with a user name and password (``METRICS_AUTH=basic``): the sign-in form, its CSRF
token, ``/login`` and ``/logout``; and what every sign-in page shares (the plain page, the
``next`` target, the start of a session)."""
from __future__ import annotations

import hmac
import html
import logging
import secrets
import time
from urllib.parse import urlparse

import flask

from metrics import defaults, store, users

from .settings import AuthSettings

log = logging.getLogger(__name__)
LOGIN, LOGOUT = "/login", "/logout"
NO_SESSIONS = "Sign-in is unavailable: the server cannot keep sessions (the server log says why)."


def local_path(target: str | None) -> str:
    """``target`` when it is a path on this site (no scheme, no host, no ``//``, no backslash, no
    space, control or other unprintable character: a browser drops some of them, which could make
    a tab between two slashes another site, and a header cannot hold a newline), else ``/``."""
    if (not isinstance(target, str) or not target.startswith("/") or target.startswith("//") or "\\" in target
            or not target.isprintable() or any(c.isspace() for c in target)):
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


def error_alert(message: str) -> str:
    """The sign-in page's alert saying what went wrong ("" without a message)."""
    if not message:
        return ""
    return f"<div class='alert alert-danger' role='alert' id='login-error'>{html.escape(message)}</div>"


def csrf_token() -> str:
    """This session's token for the sign-in and sign-out forms (made on first use)."""
    if "csrf" not in flask.session:
        flask.session["csrf"] = secrets.token_urlsafe(24)
    return flask.session["csrf"]


def form_is_ours() -> bool:
    """Whether a posted form carries this session's token (a session without one never matches)."""
    expected = flask.session.get("csrf")
    given = flask.request.form.get("csrf")
    return isinstance(expected, str) and isinstance(given, str) and hmac.compare_digest(expected, given)


def start_session(name: str, role: str, lifetime_s: float, stamp: str = "") -> bool:
    """A new session for the user who just signed in, kept in the store (its id in the cookie) so
    that signing out ends every copy of the cookie; False (and the reason in the log) when the
    store cannot keep it."""
    end_session()                               # a new session at sign-in (no fixation); the one it replaces ends
    try:
        session_id = store.begin_session(name, lifetime_s)
    except store.StoreError as e:
        log.error("cannot keep the session of %s: %s", name, e)
        return False
    flask.session.permanent = True
    flask.session.update(user=name, role=role, stamp=stamp, at=time.time(), sid=session_id)
    log.info("signed in: %s (%s)", name, role)
    return True


def end_session() -> str | None:
    """End this request's session (every copy of its cookie) and clear it; the user it was of."""
    name, session_id = flask.session.get("user"), flask.session.get("sid")
    flask.session.clear()
    if isinstance(session_id, str):
        try:
            store.end_session(session_id)
        except store.StoreError as e:
            log.error("cannot end the session of %s in the store: %s", name, e)
    return name if isinstance(name, str) else None


class FormSignIn:
    """The sign-in form of one app (basic mode) and the sign-out form (every mode with sign-in);
    ``lockout`` is the gate's count of failed sign-ins, which the form adds to and obeys."""

    def __init__(self, settings: AuthSettings, lockout):
        self.settings = settings
        self.lockout = lockout

    def page(self, message: str = "", status: int = 200, name: str = "") -> flask.Response:
        """The sign-in form, with ``message``."""
        next_path = local_path(flask.request.values.get("next"))
        return page_html("Sign in", f"""{error_alert(message)}
<form method='post' action='{LOGIN}' class='card card-body'>
 <input type='hidden' name='csrf' value='{html.escape(csrf_token())}'>
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
            return self.page()
        form = flask.request.form
        if not form_is_ours():
            return self.page("The sign-in form expired; please try again.", 400)
        name = str(form.get("username", ""))[:64]
        if self.lockout.too_many_failures():
            return self.page(f"Too many failed sign-ins from your address; wait {defaults.FAILURE_WINDOW_S // 60} "
                             "minutes and try again.", 429, name)
        try:
            user = users.authenticate(self.settings.users_file, name, str(form.get("password", "")))
        except users.UsersError as e:
            log.error("%s", e)
            return self.page("Sign-in is unavailable: the users file cannot be read (the server log says why).",
                             503, name)
        if user is None:
            self.lockout.count_failure(name)
            return self.page("Wrong user name or password.", 401, name)
        if not start_session(user.name, user.role, self.settings.session_hours * 3600, stamp=user.stamp):
            return self.page(NO_SESSIONS, 503, name)
        return flask.redirect(local_path(form.get("next")))

    @staticmethod
    def logout():
        """``/logout``: a posted sign-out (with this session's token) ends the session."""
        if flask.request.method == "POST":
            if not form_is_ours():
                return page_html("Sign out", "<p>This sign-out request did not come from the dashboard.</p>", 400)
            name = end_session()
            if name:
                log.info("signed out: %s", name)
            return page_html("Signed out", "<p id='signed-out'>You are signed out.</p>"
                             f"<a class='btn btn-primary' href='{LOGIN}'>Sign in again</a>")
        return page_html("Sign out", f"""<form method='post' action='{LOGOUT}'>
 <input type='hidden' name='csrf' value='{html.escape(csrf_token())}'>
 <button class='btn btn-primary' id='sign-out' type='submit'>Sign out</button></form>""")
