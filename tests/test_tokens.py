"""Read-only API tokens: created once, stored as a hash, checked in constant time, revoked; in
their file on SQLite, in the database's ``api-tokens`` document on PostgreSQL (``backend``)."""
from __future__ import annotations

import json
import stat
import threading

import pytest

from helpers import stored_text
from metrics import store
from metrics.private_store import InDatabase
from metrics.tokens import TokenError, check, create, names, revoke, tokens_path


def overwrite(path, text: str) -> None:
    if isinstance(path, InDatabase):
        store.edit_document(path.name, lambda _: text)
    else:
        path.write_text(text)


def test_create_check_revoke(backend, data_dir):
    path = tokens_path(data_dir)
    assert isinstance(path, InDatabase) == (backend == "postgresql")
    token = create(path, "backstage")
    assert token.startswith("mtr_") and len(token) > 40
    assert token not in stored_text(path) and "backstage" in stored_text(path)    # only the hash is kept
    if backend == "sqlite":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    else:
        assert not (data_dir / "api-tokens.json").exists()                      # never a file of its own
    assert check(path, token) == "backstage"
    assert check(path, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert check(path, "") is None and check(path, None) is None
    assert [n for n, _ in names(path)] == ["backstage"]
    revoke(path, "backstage")
    assert check(path, token) is None


def test_sentences(backend, data_dir):
    path = tokens_path(data_dir)
    create(path, "bot")
    with pytest.raises(TokenError, match="a token named 'bot' exists"):
        create(path, "bot")
    with pytest.raises(TokenError, match="token names are"):
        create(path, "bad name\n")
    with pytest.raises(TokenError, match="no token named 'x'"):
        revoke(path, "x")
    overwrite(path, "[1, 2]")
    with pytest.raises(TokenError, match="is not a tokens file"):
        names(path)
    assert check(path, "mtr_anything") is None                     # a broken file lets nobody in
    overwrite(path, json.dumps({"a": {"sha256": 5}}))
    with pytest.raises(TokenError):
        names(path)
    overwrite(path, "{not json")
    with pytest.raises(TokenError, match="fix or remove it"):
        create(path, "other")
    assert stored_text(path) == "{not json"                        # a refused edit writes nothing


def test_a_tokens_file_setting_keeps_them_in_that_file_on_postgresql(backend, data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("METRICS_TOKENS_FILE", str(tmp_path / "elsewhere.json"))
    path = tokens_path(data_dir)
    assert path == tmp_path / "elsewhere.json"
    token = create(path, "bot")
    assert check(path, token) == "bot" and "bot" in path.read_text()


def test_two_hosts_creating_tokens_at_once_lose_neither(pg_url, data_dir, monkeypatch):
    """On PostgreSQL each create is a read-modify-write in one write transaction: eight at once
    (as on several hosts) keep all eight."""
    monkeypatch.setenv("METRICS_DATABASE_URL", pg_url)
    path = tokens_path(data_dir)
    made, start = {}, threading.Barrier(8)

    def one(i):
        start.wait()
        made[f"bot-{i}"] = create(path, f"bot-{i}")
    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(n for n, _ in names(path)) == sorted(made) and len(made) == 8
    assert all(check(path, token) == name for name, token in made.items())


def test_an_unreachable_database_refuses_tokens_in_one_sentence(data_dir, monkeypatch):
    monkeypatch.setenv("METRICS_DATABASE_URL", "postgresql://nobody:s3cret-pw@127.0.0.1:1/nothing")
    store.forget_open_files()
    path = tokens_path(data_dir)
    with pytest.raises(TokenError, match=r"cannot read the api-tokens document: cannot reach PostgreSQL database "
                                         r"'nothing' on 127\.0\.0\.1:1") as refused:
        names(path)
    assert "s3cret-pw" not in str(refused.value) and "\n" not in str(refused.value)
    assert check(path, "mtr_anything") is None
    with pytest.raises(TokenError, match="cannot write"):
        create(path, "bot")
    store.forget_open_files()
