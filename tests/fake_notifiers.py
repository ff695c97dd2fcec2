"""Receivers on 127.0.0.1 for the alerts and digest tests: a webhook that answers as a Slack incoming
webhook does (POST a JSON body, "ok" with 200; a webhook that is down answers 500 or nothing at
all), reached through Apprise's generic ``json://`` URL (Slack's and Teams' URLs go through the same
Apprise call), and an SMTP server (aiosmtpd) reached through Apprise's ``mailto://``."""
from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "T0KEN-s3cret-xyz"              # the secret part of every URL: never in any output


class FakeWebhook:
    """An incoming webhook at ``/hooks/TOKEN``: keeps each JSON body posted (``messages``); while
    ``down`` it answers 500 ("internal_error", as Slack does for an outage)."""

    def __init__(self):
        self.messages: list[dict] = []
        self.down = False
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if hook.down or self.path != f"/hooks/{TOKEN}":
                    status, body = (500, b"internal_error") if hook.down else (404, b"no_service")
                else:
                    hook.messages.append(json.loads(raw))
                    status, body = 200, b"ok"
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        """The Apprise URL of this webhook (its token in the path)."""
        return f"json://127.0.0.1:{self.server.server_address[1]}/hooks/{TOKEN}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeSmtp:
    """An SMTP server on 127.0.0.1 (login with any name and the password ``TOKEN``, over plain SMTP
as a relay inside a network may allow) keeping each message received (``messages``)."""

    def __init__(self):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword
        received = self.messages = []
        self.logins: list[str] = []

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.password.decode() == TOKEN
            if ok:
                self.logins.append(auth_data.login.decode())
            return AuthResult(success=ok)

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                received.append(message_from_bytes(envelope.content, policy=policy.default))
                return "250 Message accepted for delivery"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port,
                                     authenticator=authenticator, auth_require_tls=False)
        self.controller.start()

    @property
    def url(self) -> str:
        """The Apprise URL sending to this server (the password is the secret part)."""
        return (f"mailto://digest:{TOKEN}@example.com:{self.port}?smtp=127.0.0.1&from=metrics@example.com"
                f"&to=team@example.com")

    def close(self):
        self.controller.stop()
