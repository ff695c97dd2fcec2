"""Delivery through Apprise (Slack, Microsoft Teams, email, generic JSON webhooks, ...): one
``Target`` a URL, shown only as its scheme and host, and one call that sends a message to it.

A URL's secret parts (a Slack or Teams webhook's tokens, a password, a path holding a token) never
leave this module: ``Target`` keeps the URL out of its ``repr``; ``shown`` is what every line says;
Apprise's own log records are held back while it parses and sends (they can quote a whole URL)."""
from __future__ import annotations

import hashlib
import ipaddress
import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

ENV_PREFIX = "env:"
# the loggers that can quote a notification URL whole while Apprise sends (its own, and the HTTP client's)
QUIETED = ("apprise", "urllib3.connectionpool", "urllib3.util.retry", "requests")                     # "env:NAME": the URL is the environment variable NAME's value


class NotifyError(Exception):
    """A notification URL that cannot be used: one sentence (never the URL itself)."""


@dataclass(frozen=True)
class Target:
    """Where a message goes: ``label`` (a notifier's name and the URL's scheme and host, or those
    alone) and the Apprise ``url`` (never shown, never in a repr)."""

    label: str
    url: str = field(repr=False)

    @property
    def fingerprint(self) -> str:
        """A digest of the URL: what the store keeps to know a target again (never the URL)."""
        return hashlib.sha256(self.url.encode()).hexdigest()[:16]


def looks_like_host(text: str) -> bool:
    """Whether a URL's host part is a host (a name with a dot, ``localhost``, an IP address) rather
    than a token some services put there (``slack://TOKEN_A/TOKEN_B/TOKEN_C``)."""
    try:
        ipaddress.ip_address(text.strip("[]"))
        return True
    except ValueError:
        return text == "localhost" or ("." in text and all(part for part in text.split(".")))


def shown(url: str) -> str:
    """A URL as every output says it: its scheme and host only (``json://127.0.0.1``,
    ``mailto://example.com``), ``slack://...`` where the host part is not a host."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return "(a URL that cannot be parsed)"
    scheme = parts.scheme.lower() or "?"
    return f"{scheme}://{host}" if host and looks_like_host(host) else f"{scheme}://..."


@contextmanager
def quiet_apprise():
    """Hold back the log records of Apprise and of the HTTP client inside the block (``QUIETED``:
    they can quote a URL with its secrets)."""
    drop = logging.Filter("nothing while sending")
    drop.filter = lambda record: False
    for name in QUIETED:
        logging.getLogger(name).addFilter(drop)
    try:
        yield
    finally:
        for name in QUIETED:
            logging.getLogger(name).removeFilter(drop)


def resolved(text: str, environ=None) -> str:
    """The URL ``text`` stands for: ``env:NAME`` is the environment variable's value; a NotifyError
    when that is unset or the URL is not one Apprise knows."""
    environ = os.environ if environ is None else environ
    url = text.strip()
    if url.startswith(ENV_PREFIX):
        name = url[len(ENV_PREFIX):].strip()
        url = (environ.get(name) or "").strip()
        if not url:
            raise NotifyError(f"the environment variable {name!r} it names is not set")
    if not known_url(url):
        raise NotifyError(f"{shown(url)} is not a notification URL Apprise knows (see its list of services)")
    return url


def known_url(url: str) -> bool:
    """Whether Apprise can send to ``url``."""
    import apprise
    with quiet_apprise():
        try:
            return apprise.Apprise.instantiate(url) is not None
        except Exception:
            return False


def prefers_html(url: str) -> bool:
    """Whether the service behind ``url`` takes HTML first (email does; chat webhooks take text)."""
    import apprise
    with quiet_apprise():
        plugin = apprise.Apprise.instantiate(url)
    preferred = getattr(plugin, "notify_format", None)
    preferred = preferred[0] if isinstance(preferred, tuple) and preferred else preferred
    return preferred == apprise.NotifyFormat.HTML


def send(target: Target, title: str, text: str, html: str = "", failure: bool = False) -> bool:
    """Send one message to ``target``: ``html`` (when given and the service prefers HTML: email) or
    ``text``; ``failure`` marks it as a warning where the service shows one. True when delivered."""
    import apprise
    ap = apprise.Apprise()
    with quiet_apprise():
        if not ap.add(target.url):
            return False
        use_html = bool(html) and prefers_html(target.url)
        try:
            return bool(ap.notify(body=html if use_html else text, title=title,
                                  body_format=apprise.NotifyFormat.HTML if use_html else apprise.NotifyFormat.TEXT,
                                  notify_type=apprise.NotifyType.FAILURE if failure else apprise.NotifyType.INFO))
        except Exception:
            return False
