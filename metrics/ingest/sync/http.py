"""One HTTP client for every live connector: JSON GETs with tokens, pagination, rate limits, retries.

What it does for every source alike:
- Rate limits: a reply of 429, or 403 with ``Retry-After`` or ``x-ratelimit-remaining: 0`` (GitHub's
  primary and secondary limits, GitLab's ``ratelimit-*``), waits as the reply says (``Retry-After``
  seconds, or until ``x-ratelimit-reset``) and asks again; a successful reply that leaves no requests
  (``remaining`` 0) waits before the next request. Every wait is announced through ``notify``.
- Transient failures (5xx, a dropped connection, a time-out) are retried with exponential backoff,
  ``RETRIES`` times.
- 401, 403 without a rate limit, and 404 are final: ``SyncError`` with one sentence naming the URL
  path (never the token), raised at once.
The token goes in a header only; it is never part of a URL, an error or a log line.
"""
from __future__ import annotations

import json
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

RETRIES = 5                  # transient failures retried before giving up
BACKOFF_SECONDS = 1.0        # first wait after a transient failure; doubles each time
MAX_WAIT_SECONDS = 3600.0    # the longest one rate-limit wait may last
TIMEOUT_SECONDS = 30.0
MAX_BODY_BYTES = 64 * 1024 * 1024
LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?([a-z]+)"?')


class SyncError(Exception):
    """A sync that cannot go on (bad token, unknown repository, a server that keeps failing): one
    sentence; ``status`` is the HTTP status that ended it (401, 403, 404...), None for others."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass
class Reply:
    """A decoded JSON reply: its status, headers (lower-case names) and body."""

    status: int
    headers: dict
    body: object
    url: str

    def link(self, rel: str = "next") -> str | None:
        """The URL of the ``Link`` header's ``rel`` relation (GitHub, GitLab keyset), if any."""
        for url, name in LINK.findall(self.headers.get("link", "")):
            if name == rel:
                return url
        return None


@dataclass
class Client:
    """GETs JSON from one API with fixed headers (the token among them)."""

    base_url: str
    headers: dict
    notify: object = None                      # notify(message): rate-limit waits and retries
    sleep: object = time.sleep
    clock: object = time.time
    credentials: tuple = ()                     # the environment variables the headers came from, for 401s
    requests: int = 0                           # requests sent (retries included)
    waited: float = 0.0                         # seconds spent waiting on rate limits and backoff
    _pause_until: float = field(default=0.0, repr=False)

    def url(self, path: str, params: dict | None = None) -> str:
        """An absolute URL for ``path`` (or ``path`` itself when it is already absolute)."""
        url = path if re.match(r"^https?://", path) else self.base_url.rstrip("/") + "/" + path.lstrip("/")
        if params:
            query = urllib.parse.urlencode([(k, v) for k, v in params.items() if v is not None], doseq=True)
            url += ("&" if "?" in url else "?") + query
        return url

    def get(self, path: str, params: dict | None = None) -> Reply:
        """GET ``path`` as JSON, waiting out rate limits and retrying transient failures."""
        url = self.url(path, params)
        failures = 0
        while True:
            self._wait_for_pause()
            self.requests += 1
            try:
                status, headers, raw = self._send(url)
            except (urllib.error.URLError, socket.timeout, ConnectionError, TimeoutError) as e:
                failures += 1
                reason = getattr(e, "reason", e)
                self._backoff(failures, url, f"no answer ({reason})")
                continue
            if status == 429 or (status == 403 and self._rate_limited(headers)):
                self._wait(self._limit_wait(headers), f"rate limit reached at {self._where(url)}")
                continue
            if status >= 500:
                failures += 1
                self._backoff(failures, url, f"server error {status}")
                continue
            if status in (401, 403):
                check = (f"check {' and '.join(self.credentials)} and what the token may read" if self.credentials
                         else "check the token's environment variable and its scopes")
                raise SyncError(f"{self._where(url)} answered {status}: the token is missing, wrong, expired "
                                f"or lacks access; {check}", status)
            if status == 404:
                raise SyncError(f"{self._where(url)} answered 404: no such repository, project, service, job or "
                                f"application, or the token cannot see it; check the name and the API URL", 404)
            if status >= 400:
                raise SyncError(f"{self._where(url)} answered {status}: {self._message(raw)}", status)
            try:
                body = json.loads(raw.decode("utf-8")) if raw.strip() else None
            except (ValueError, RecursionError):
                raise SyncError(f"{self._where(url)} did not answer with JSON") from None
            if self._remaining(headers) == 0:
                self._pause_until = self.clock() + self._limit_wait(headers)
            return Reply(status, headers, body, url)

    # -- internals ------------------------------------------------------------------------------

    def _send(self, url: str) -> tuple[int, dict, bytes]:
        request = urllib.request.Request(url, headers={"Accept": "application/json", **self.headers})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as reply:
                return reply.status, _lower(reply.headers), reply.read(MAX_BODY_BYTES + 1)
        except urllib.error.HTTPError as e:
            with e:
                return e.code, _lower(e.headers), e.read(MAX_BODY_BYTES + 1)

    @staticmethod
    def _where(url: str) -> str:
        """The URL without its query (a query may carry nothing secret, but keeps messages short)."""
        parts = urllib.parse.urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}{parts.path}"

    @staticmethod
    def _message(raw: bytes) -> str:
        try:
            body = json.loads(raw.decode("utf-8"))
            text = body.get("message") or body.get("error") if isinstance(body, dict) else None
            if isinstance(text, dict):
                text = text.get("message")
        except (ValueError, UnicodeDecodeError, RecursionError, AttributeError):
            text = None
        return str(text or raw[:200].decode("utf-8", "replace")).strip()[:200]

    @staticmethod
    def _remaining(headers: dict) -> int | None:
        value = headers.get("x-ratelimit-remaining", headers.get("ratelimit-remaining"))
        try:
            return int(value) if value is not None else None
        except ValueError:
            return None

    def _rate_limited(self, headers: dict) -> bool:
        return "retry-after" in headers or self._remaining(headers) == 0

    def _limit_wait(self, headers: dict) -> float:
        """Seconds to wait: ``Retry-After``, else until the reset time, else a minute (GitHub's advice
        for secondary limits without either)."""
        try:
            if "retry-after" in headers:
                return min(max(float(headers["retry-after"]), 0.0), MAX_WAIT_SECONDS)
            reset = headers.get("x-ratelimit-reset", headers.get("ratelimit-reset"))
            if reset is not None:
                return min(max(float(reset) - self.clock(), 0.0) + 1.0, MAX_WAIT_SECONDS)
        except ValueError:
            pass
        return 60.0

    def _wait(self, seconds: float, why: str) -> None:
        if self.notify:
            self.notify(f"{why}: waiting {seconds:.0f} s")
        self.waited += seconds
        self.sleep(seconds)

    def _wait_for_pause(self) -> None:
        if self._pause_until:
            left = self._pause_until - self.clock()
            self._pause_until = 0.0
            if left > 0:
                self._wait(left, "rate limit used up")

    def _backoff(self, failures: int, url: str, what: str) -> None:
        if failures > RETRIES:
            raise SyncError(f"{self._where(url)} kept failing ({what}) after {RETRIES} retries; try again later")
        self._wait(BACKOFF_SECONDS * 2 ** (failures - 1), f"{what} at {self._where(url)}, retry {failures} of {RETRIES}")


def _lower(headers) -> dict:
    return {k.lower(): v for k, v in (headers.items() if headers else [])}


def token_from(environ, name: str, source: str) -> str:
    """The token in the environment variable ``name``, or SyncError saying to set it to sync from
    ``source`` (tokens are never taken on the command line)."""
    token = str(environ.get(name, "")).strip()
    if not token:
        raise SyncError(f"set {name} in the environment to sync from {source} (tokens are never taken on the command line)")
    return token
