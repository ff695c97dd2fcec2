"""What the server does to every request before and after the dashboard sees it.

- Allowed hosts: a request whose ``Host`` is not allowed gets 400, so a web page on another site
  cannot reach a dashboard on localhost by DNS rebinding. Allowed: ``METRICS_ALLOWED_HOSTS``
  (comma-separated names, ``*`` for any) when set, else ``localhost``, ``127.0.0.1`` and ``[::1]``
  plus the address ``python app.py --host`` listens on; listening on every address (``0.0.0.0``,
  ``::``), this machine's own names and addresses (``own_hosts``) instead of that address. Behind a
  proxy, or for a DNS name, set the public name.
- Security headers on every answer: a content security policy under which the page works (Dash's
  scripts are served from this server; its one inline script is allowed by its hash), no framing by
  other sites, ``nosniff`` and a same-origin referrer policy.
- Callback requests: a body that is not the shape Dash sends (``/_dash-update-component``) is a 400
  with a sentence, and so is any failure while dispatching one (logged with its cause), never a 500.
  A callback that finds a value of a type its page never sends raises ``CallbackValueError``: a
  400 whose sentence names the field (``text_value`` checks the text fields), logged without a traceback.
- A file Dash does not serve (``/_dash-component-suites/os/../../etc/passwd``, any spelling): a
  404, not logged (Dash refuses every path but its registered files).
"""
from __future__ import annotations

import ipaddress
import logging
import os
import socket
from pathlib import Path

import flask
from dash.exceptions import DependencyException
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)
LOOPBACK = ("localhost", "127.0.0.1", "[::1]", "::1")
CALLBACK_PATH = "/_dash-update-component"
EVERY_ADDRESS = ("0.0.0.0", "::", "")      # a --host that listens on every interface
ROUTE_PROBES = ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1"))   # documentation addresses


class CallbackValueError(ValueError):
    """A callback request's value is of a type the page never sends; the message is one sentence
    naming the field (answered 400, see ``protect``)."""


JSON_KINDS = ((bool, "true or false"), (int, "a number"), (float, "a number"), (str, "text"), (list, "a list"),
              (dict, "an object"))


def json_kind(value) -> str:
    """What a decoded JSON value is, in words ("a number", "a list" ...)."""
    return next((words for kind, words in JSON_KINDS if isinstance(value, kind)), "nothing")


def text_value(value, field: str, optional: bool = True):
    """``value`` when it is text that UTF-8 can hold (or None, when ``optional``); else
    CallbackValueError naming ``field``."""
    if optional and value is None:
        return value
    if not isinstance(value, str):
        raise CallbackValueError(f"The {field} must be text; this request sent {json_kind(value)}.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise CallbackValueError(f"The {field} holds a character that is not text (a lone UTF-16 surrogate).") from None
    return value


def is_loopback(address: str) -> bool:
    """Whether a client or listening ``address`` is this machine only (127.0.0.0/8, ::1, localhost)."""
    text = (address or "").strip("[]")
    if text == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


def as_host(address: str) -> str:
    """An address as a Host header names it: IPv6 in brackets, without a zone (``%eth0``), lower-case."""
    text = address.split("%", 1)[0].strip("[]").lower()
    return f"[{text}]" if ":" in text else text


def local_ipv4(fib_trie: str) -> set[str]:
    """The local IPv4 addresses in the text of Linux's /proc/net/fib_trie (each "|-- ADDRESS"
    followed by a "/32 host LOCAL" line)."""
    found, last = set(), ""
    for line in fib_trie.splitlines():
        if "|--" in line:
            last = line.split("|--", 1)[1].strip()
        elif "/32 host LOCAL" in line and last:
            found.add(last)
    return found


def ipv6_addresses(if_inet6: str) -> set[str]:
    """The IPv6 addresses in the text of Linux's /proc/net/if_inet6 (32 hex digits, then the
    interface index, prefix length and scope), link-local ones (scope 20) left out."""
    found = set()
    for line in if_inet6.splitlines():
        fields = line.split()
        if len(fields) >= 4 and len(fields[0]) == 32 and fields[3] != "20":
            try:
                found.add(str(ipaddress.IPv6Address(bytes.fromhex(fields[0]))))
            except ValueError:
                pass
    return found


def interface_addresses() -> set[str]:
    """This machine's interface addresses as Linux lists them (``local_ipv4`` of
    /proc/net/fib_trie, ``ipv6_addresses`` of /proc/net/if_inet6); empty elsewhere."""
    found = set()
    for path, parse in ((Path("/proc/net/fib_trie"), local_ipv4), (Path("/proc/net/if_inet6"), ipv6_addresses)):
        try:
            found |= parse(path.read_text())
        except OSError:
            pass
    return found


def own_hosts() -> set[str]:
    """The names and addresses a request to this machine may carry: its host name and fully
    qualified name, what they resolve to, the addresses it reaches other machines from (its
    routes' source addresses, IPv4 and IPv6; no packet is sent) and its interfaces' addresses."""
    names = {n for n in (socket.gethostname(), socket.getfqdn()) if n}
    addresses = set(interface_addresses())
    for name in names:
        try:
            addresses |= {info[4][0] for info in socket.getaddrinfo(name, None)}
        except OSError:
            pass
    for family, probe in ROUTE_PROBES:
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as s:
                s.connect((probe, 9))             # a UDP "connect" only picks the route: nothing is sent
                addresses.add(s.getsockname()[0])
        except OSError:
            pass
    return {n.lower() for n in names} | {as_host(a) for a in addresses}


def allowed_hosts(bound_host: str | None = None) -> set[str] | None:
    """The host names requests may carry (None: any). ``bound_host`` is what app.py listens on:
    itself, or this machine's own names and addresses when it is every address (``0.0.0.0``, ``::``)."""
    setting = os.environ.get("METRICS_ALLOWED_HOSTS", "").strip()
    if setting:
        names = {h.strip().lower() for h in setting.split(",") if h.strip()}
        return None if "*" in names else names
    names = set(LOOPBACK)
    if bound_host is not None and bound_host.strip() in EVERY_ADDRESS:
        names |= own_hosts()
    elif bound_host:
        names.add(bound_host.lower())
    return names


def hosts_line(bound_host: str | None) -> str:
    """One line for the start: the hosts a server on every address answers for, and what to set for
    others; "" when ``METRICS_ALLOWED_HOSTS`` is set or ``bound_host`` is one address."""
    if os.environ.get("METRICS_ALLOWED_HOSTS", "").strip() or bound_host is None or bound_host.strip() not in EVERY_ADDRESS:
        return ""
    hosts = sorted(allowed_hosts(bound_host) - {"::1"})
    return (f"Answering for this machine's names and addresses ({', '.join(hosts)}); for any other name "
            "(a DNS name, a proxy's) set METRICS_ALLOWED_HOSTS=NAME[,NAME...]")


def host_name(host_header: str) -> str:
    """The name part of a Host header (no port), lower-cased; IPv6 literals keep their brackets."""
    host = (host_header or "").strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def content_security_policy(inline_hashes: list[str]) -> str:
    """The page's policy: everything from this server; Dash's inline renderer start by its hash;
    inline styles (Plotly and Dash components set them) allowed; plots may use ``blob:`` and
    ``data:`` images (the download-as-PNG button)."""
    scripts = " ".join(["'self'", *inline_hashes])
    return ("default-src 'self'; "
            f"script-src {scripts}; "
            "style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'")


def well_formed_callback(body) -> bool:
    """Whether a callback request body has the shape Dash's renderer sends."""
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return False
    if not isinstance(body.get("outputs"), (dict, list)) or not isinstance(body.get("inputs", []), list):
        return False
    if not isinstance(body.get("changedPropIds", []), list) or not isinstance(body.get("state", []), list):
        return False
    for item in body.get("inputs", []) + body.get("state", []):
        entries = item if isinstance(item, list) else [item]
        if not all(isinstance(e, dict) and "id" in e and isinstance(e.get("property"), str) for e in entries):
            return False
    return True


def protect(app, bound_host: str | None = None, after_host_check=None) -> None:
    """Install the host check, the security headers and the callback guard on ``app``'s server;
    ``after_host_check`` (the sign-in gate) runs between the host check and the callback guard."""
    server = app.server
    hosts = allowed_hosts(bound_host)
    policy = {"value": None}

    def refuse(status: int, sentence: str):
        return flask.Response(sentence + "\n", status=status, mimetype="text/plain")

    @server.before_request
    def check_request():
        if hosts is not None and host_name(flask.request.host) not in hosts:
            log.warning("refused a request for host %r (METRICS_ALLOWED_HOSTS)", flask.request.host[:100])
            return refuse(400, f"This dashboard does not answer for the host {flask.request.host[:100]!r}; "
                               "its operator can allow it with METRICS_ALLOWED_HOSTS.")
        if after_host_check is not None:
            refused = after_host_check()
            if refused is not None:
                return refused
        if flask.request.path == CALLBACK_PATH and flask.request.method == "POST":
            body = flask.request.get_json(silent=True)
            if not well_formed_callback(body) or body["output"] not in app.callback_map:
                return refuse(400, "Malformed callback request: this is not a request the dashboard sends.")
        return None

    @server.after_request
    def add_headers(response):
        if policy["value"] is None:
            policy["value"] = content_security_policy(app.csp_hashes())
        response.headers.setdefault("Content-Security-Policy", policy["value"])
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @server.errorhandler(Exception)
    def callback_failed(error):
        if isinstance(error, HTTPException):          # 404, 405, 413 ...: as they are
            return error
        if isinstance(error, DependencyException):    # a file Dash does not serve (../../etc/passwd): not here
            return refuse(404, "There is no such file here.")
        if isinstance(error, CallbackValueError) and flask.request.path == CALLBACK_PATH:
            log.warning("refused a callback request: %s", error)
            return refuse(400, str(error))
        log.exception("a request failed: %s %s", flask.request.method, flask.request.path)
        if flask.request.path == CALLBACK_PATH:
            return refuse(400, "This callback request could not be answered (its values are not what the page "
                               "sends); the cause is in the server log.")
        return refuse(500, "The server could not answer this request; the cause is in the server log.")
