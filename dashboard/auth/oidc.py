"""Sign-in at an OpenID Connect provider (``METRICS_AUTH=oidc``): the sign-in page's button,
``/login/oidc`` (off to the provider, authorization code flow with PKCE) and ``/oidc/callback``
(the provider's answer; the ID token's claims give the user and, through their groups, the role)."""
from __future__ import annotations

import html
import logging
from urllib.parse import quote, urlparse

import flask

from .form import NO_SESSIONS, error_alert, local_path, page_html, start_session
from .settings import AuthSettings

log = logging.getLogger(__name__)
OIDC_START, OIDC_CALLBACK = "/login/oidc", "/oidc/callback"


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


class OidcSignIn:
    """The OpenID Connect sign-in of one app: its sign-in page and its two routes."""

    def __init__(self, settings: AuthSettings):
        self.settings = settings
        self.oauth = None

    def page(self, message: str = "", status: int = 200) -> flask.Response:
        """The sign-in page in oidc mode: the provider's button, with ``message``."""
        next_path = local_path(flask.request.values.get("next"))
        host = urlparse(self.settings.issuer).netloc
        return page_html("Sign in", f"{error_alert(message)}<p>Sign in with your organisation's account.</p>"
                         f"<a class='btn btn-primary' id='oidc-sign-in' href='{OIDC_START}?next="
                         f"{html.escape(quote(next_path, safe='/'))}'>Sign in with {html.escape(host)}</a>", status)

    def login(self):
        """``/login`` in oidc mode: the page with the provider's button (nothing to post here)."""
        if flask.request.method == "GET":
            return self.page()
        return self.page("Sign in with the button below.", 400)

    def client(self):
        """authlib's client of the OpenID provider (its metadata is fetched on first use)."""
        if self.oauth is None:
            from authlib.integrations.flask_client import OAuth
            self.oauth = OAuth(flask.current_app)
            self.oauth.register("provider", client_id=self.settings.client_id,
                                client_secret=self.settings.client_secret,
                                server_metadata_url=self.settings.issuer + "/.well-known/openid-configuration",
                                client_kwargs={"scope": self.settings.scopes, "code_challenge_method": "S256"})
        return self.oauth.provider

    def start(self):
        """``/login/oidc``: off to the provider (authorization code flow with PKCE)."""
        if self.settings.mode != "oidc":
            return flask.Response("Not found\n", status=404, mimetype="text/plain")
        flask.session["next"] = local_path(flask.request.args.get("next"))
        redirect_uri = self.settings.redirect_uri or flask.url_for("oidc_callback", _external=True)
        try:
            return self.client().authorize_redirect(redirect_uri)
        except Exception as e:       # the provider is unreachable or its discovery document is wrong
            log.error("cannot start sign-in at %s: %s", self.settings.issuer, e)
            return self.page(f"The sign-in provider {urlparse(self.settings.issuer).netloc} cannot be reached; "
                             "try again later (the server log says why).", 502)

    def callback(self):
        """``/oidc/callback``: the provider's answer; the ID token's claims give the user and role."""
        if self.settings.mode != "oidc":
            return flask.Response("Not found\n", status=404, mimetype="text/plain")
        if flask.request.args.get("error"):
            # the provider's own words go to the log: a crafted link must not put text on this page
            log.warning("the OpenID provider refused a sign-in: %s", str(flask.request.args.get("error_description")
                                                                         or flask.request.args["error"])[:200])
            return self.page("The sign-in provider refused the sign-in; try again, or ask the dashboard's "
                             "operator.", 401)
        try:
            client = self.client()
            token = client.authorize_access_token()
            claims = dict(token.get("userinfo") or {})
            if self.settings.groups_claim not in claims and client.load_server_metadata().get("userinfo_endpoint"):
                claims.update(client.userinfo(token=token))
        except Exception as e:        # a forged or replayed callback, a bad ID token, an unreachable provider
            log.warning("OpenID sign-in failed: %s", e)
            return self.page("Sign-in did not complete (expired, replayed or refused); please try again.", 401)
        name = str(claims.get("preferred_username") or claims.get("email") or claims.get("sub") or "")[:200]
        role = role_of(claims, self.settings)
        if not name or role is None:
            log.warning("OpenID user %r is in no group allowed in", name)
            return page_html("Not allowed", "<p id='login-error'>Your account is not in a group allowed to see this "
                             "dashboard; ask its operator.</p>", 403)
        next_path = flask.session.get("next", "/")
        if not start_session(name, role, self.settings.session_hours * 3600):
            return self.page(NO_SESSIONS, 503)
        return flask.redirect(local_path(next_path))
