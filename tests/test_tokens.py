"""Read-only API tokens: created once, stored as a hash, checked in constant time, revoked."""
from __future__ import annotations

import json
import stat

import pytest

from metrics.tokens import TokenError, check, create, names, revoke


def test_create_check_revoke(tmp_path):
    path = tmp_path / "api-tokens.json"
    token = create(path, "backstage")
    assert token.startswith("mtr_") and len(token) > 40
    assert token not in path.read_text()                          # only the hash is kept
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert check(path, token) == "backstage"
    assert check(path, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert check(path, "") is None and check(path, None) is None
    assert [n for n, _ in names(path)] == ["backstage"]
    revoke(path, "backstage")
    assert check(path, token) is None


def test_sentences(tmp_path):
    path = tmp_path / "api-tokens.json"
    create(path, "bot")
    with pytest.raises(TokenError, match="a token named 'bot' exists"):
        create(path, "bot")
    with pytest.raises(TokenError, match="token names are"):
        create(path, "bad name\n")
    with pytest.raises(TokenError, match="no token named 'x'"):
        revoke(path, "x")
    path.write_text("[1, 2]")
    with pytest.raises(TokenError, match="is not a tokens file"):
        names(path)
    assert check(path, "mtr_anything") is None                     # a broken file lets nobody in
    path.write_text(json.dumps({"a": {"sha256": 5}}))
    with pytest.raises(TokenError):
        names(path)
