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
``METRICS_SECRET_KEY_FILE``), so every gunicorn worker accepts them, each carrying a session id the
store keeps (``store.begin_session``), so signing out, a new password or ``python -m metrics users
sign-out NAME`` end every copy of the cookie in every worker at once; only ``/health``, the sign-in
pages and the webhooks (which check their own secrets) answer without one. Pages redirect to the
sign-in form; everything else (layout, dependencies, callbacks, assets) answers 401. The JSON API
also takes an API token (``Authorization: Bearer``) or, in basic mode, HTTP Basic credentials.

Built on the pieces Dash itself uses: Flask's signed sessions, werkzeug's scrypt password hashes
and authlib's OpenID Connect client (discovery, state, nonce, ID-token signature and claims).
dash-auth 2.3 works with Dash 4, but its basic mode is HTTP Basic (the browser keeps the password,
so sign-out cannot work) and its OIDC mode has no role mapping or 401 for callbacks, so it is not used.

The interface: ``AuthSettings``, ``settings_from_env``, ``proxy_hops`` and ``AuthConfigError``
(``settings``); ``install`` (the gate and the sign-in routes on an app) and, inside a request,
``current_visitor`` (a ``Visitor``), ``may_write`` and ``who`` (``gate``); ``local_path`` (a safe
``next`` target, ``form``); ``role_of`` (the role a provider's claims give, ``oidc``). The modules:
``settings`` (what the environment says), ``gate`` (which requests pass: sessions, API tokens,
HTTP Basic, failed sign-ins per client, ``install``), ``form`` (the sign-in form, its CSRF token,
``/login`` and ``/logout``), ``oidc`` (``/login/oidc`` and ``/oidc/callback``).
"""
from __future__ import annotations

from .form import local_path
from .gate import Visitor, current_visitor, install, may_write, who
from .oidc import role_of
from .settings import AuthConfigError, AuthSettings, proxy_hops, settings_from_env

__all__ = ["AuthConfigError", "AuthSettings", "settings_from_env", "proxy_hops", "install", "Visitor",
           "current_visitor", "may_write", "who", "local_path", "role_of"]
