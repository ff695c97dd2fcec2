"""``python -m metrics tokens``: the read-only tokens of the JSON API (/api/v1)."""
from __future__ import annotations

import sys

from ..console import Parser, UsageError


def run_tokens(argv, out=None) -> int:
    """``python -m metrics tokens create NAME | list | revoke NAME``: read-only API tokens."""
    from .. import tokens
    out = sys.stdout if out is None else out
    p = Parser(prog="python -m metrics tokens", description="Read-only tokens for the JSON API (/api/v1).")
    p.add_argument("action", choices=("create", "list", "revoke"),
                   help="create a token (shown once), list the tokens, or revoke one")
    p.add_argument("name", nargs="?", help="the token's name (create, revoke)")
    p.add_argument("--role", choices=tokens.ROLES, default="viewer",
                   help="create: viewer (reads the API) or editor (also adds annotations: POST /api/v1/annotations)")
    args = p.parse_args(argv)
    from .. import store  # the store (pandas) after the words are parsed: --help needs none of it
    path = tokens.tokens_path(store.data_dir())
    try:
        if args.action == "list":
            for name, created in tokens.names(path):
                print(f"{name}\tcreated {created}", file=out)
            return 0
        if not args.name:
            raise UsageError(f"tokens {args.action} needs a NAME")
        if args.action == "create":
            token = tokens.create(path, args.name, args.role)
            print(f"Token {args.name} (shown once; keep it in a secret store):\n{token}", file=out)
            print("The API now answers only requests with a token: Authorization: Bearer TOKEN", file=out)
        else:
            tokens.revoke(path, args.name)
            print(f"Revoked token {args.name}", file=out)
    except tokens.TokenError as e:
        raise UsageError(str(e)) from None
    return 0
