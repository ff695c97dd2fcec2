"""A small OpenID Connect provider on 127.0.0.1 for the sign-in tests, built from the OpenID Connect
Core and Discovery specifications: a discovery document, JWKS, an authorization endpoint whose page
asks for a user name (the "approve" form a browser fills), the authorization-code grant with client
authentication and PKCE (S256), ID tokens signed with RS256 (iss, sub, aud, exp, iat, nonce and a
``groups`` claim) and a userinfo endpoint."""
from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import RSAKey


class FakeProvider:
    """``with FakeProvider(client_id, client_secret, users) as p:`` serves at ``p.issuer``; ``users``
    maps user names to their groups."""

    def __init__(self, client_id: str, client_secret: str, users: dict[str, list[str]], put_groups_in_id_token=True):
        self.client_id, self.client_secret, self.users = client_id, client_secret, users
        self.put_groups_in_id_token = put_groups_in_id_token
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})
        self.codes: dict[str, dict] = {}
        self.access: dict[str, str] = {}
        self.requests: list[str] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                provider.requests.append("GET " + self.path)
                provider.handle(self, "GET")

            def do_POST(self):
                provider.requests.append("POST " + self.path)
                provider.handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # -- replies ----------------------------------------------------------------------------------
    @staticmethod
    def send(handler, status: int, body, content_type="application/json", headers=None):
        data = body if isinstance(body, bytes) else (json.dumps(body) if content_type == "application/json"
                                                     else body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Cache-Control", "no-store")
        for k, v in (headers or {}).items():
            handler.send_header(k, v)
        handler.end_headers()
        handler.wfile.write(data)

    def claims_of(self, user: str) -> dict:
        return {"sub": f"user-{user}", "preferred_username": user, "email": f"{user}@example.test",
                "groups": self.users.get(user, [])}

    def handle(self, handler, method: str):
        url = urlparse(handler.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(handler.rfile.read(length).decode()).items()} if method == "POST" else {}
        if url.path == "/.well-known/openid-configuration":
            return self.send(handler, 200, {
                "issuer": self.issuer, "authorization_endpoint": self.issuer + "/authorize",
                "token_endpoint": self.issuer + "/token", "userinfo_endpoint": self.issuer + "/userinfo",
                "jwks_uri": self.issuer + "/jwks", "response_types_supported": ["code"],
                "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile"], "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"]})
        if url.path == "/jwks":
            return self.send(handler, 200, {"keys": [self.key.as_dict(private=False)]})
        if url.path == "/authorize" and method == "GET":
            if query.get("client_id") != self.client_id or query.get("response_type") != "code":
                return self.send(handler, 400, "unknown client", "text/plain")
            hidden = "".join(f"<input type='hidden' name='{html.escape(k)}' value='{html.escape(v)}'>"
                             for k, v in query.items())
            return self.send(handler, 200, f"<!doctype html><html><head><link rel='icon' href='data:,'></head><body><form method='post' action='/authorize'>"
                                           f"{hidden}<input id='provider-user' name='user'>"
                                           f"<button id='provider-approve' type='submit'>Approve</button>"
                                           f"</form></body></html>", "text/html")
        if url.path == "/authorize" and method == "POST":
            code = secrets.token_urlsafe(16)
            self.codes[code] = dict(form)
            target = form["redirect_uri"] + "?" + urlencode({"code": code, "state": form.get("state", "")})
            return self.send(handler, 302, b"", "text/plain", {"Location": target})
        if url.path == "/token" and method == "POST":
            return self.token(handler, form)
        if url.path == "/userinfo":
            token = handler.headers.get("Authorization", "")[7:]
            user = self.access.get(token)
            if user is None:
                return self.send(handler, 401, {"error": "invalid_token"})
            return self.send(handler, 200, self.claims_of(user))
        return self.send(handler, 404, {"error": "not found"})

    def token(self, handler, form: dict):
        basic = handler.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if client_id != self.client_id or secret != self.client_secret:
            return self.send(handler, 401, {"error": "invalid_client"})
        grant = self.codes.pop(form.get("code", ""), None)     # a code works once
        if form.get("grant_type") != "authorization_code" or grant is None or \
                grant.get("redirect_uri") != form.get("redirect_uri"):
            return self.send(handler, 400, {"error": "invalid_grant"})
        if grant.get("code_challenge"):
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if challenge != grant["code_challenge"]:
                return self.send(handler, 400, {"error": "invalid_grant", "error_description": "PKCE"})
        user = grant.get("user", "")
        now = int(time.time())
        claims = {**self.claims_of(user), "iss": self.issuer, "aud": self.client_id, "iat": now, "exp": now + 300}
        if not self.put_groups_in_id_token:
            claims.pop("groups")
        if grant.get("nonce"):
            claims["nonce"] = grant["nonce"]
        access = secrets.token_urlsafe(16)
        self.access[access] = user
        id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.key)
        return self.send(handler, 200, {"access_token": access, "token_type": "Bearer", "expires_in": 300,
                                        "id_token": id_token})
