"""Sign-in settings: the mode (none, basic, oidc), the session key and lifetime, the OpenID provider
and its groups, read from the environment once at start; and how many proxies to trust."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from metrics import defaults, store, users

MODES = ("none", "basic", "oidc")


class AuthConfigError(Exception):
    """Sign-in settings the server cannot start with: one sentence saying what to set."""


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
