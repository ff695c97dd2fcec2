"""The small settings files: TOML (teams, attribution overrides, sync configuration) read with one
wording for a file that cannot be read or is not TOML, a token that changes with a file, and the
private JSON files (users, API tokens) written atomically with mode 0600."""
from __future__ import annotations

import json
import os
import tempfile
import tomllib
from pathlib import Path


def read_toml(path, what: str, error: type[Exception]) -> dict:
    """The TOML file ``path`` as a dict; ``error`` (one sentence naming ``what``, e.g. "the teams
    file") when it cannot be read or is not valid TOML."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise error(f"cannot read {what} {path} ({e.strerror or e})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise error(f"{what} {path} is not valid TOML ({e})") from None


def read_settings(path, what: str, error: type[Exception], required: bool = False) -> dict | None:
    """``read_toml`` of a settings file that may be absent: None when ``path`` does not exist
    (``error`` saying so when it is ``required``)."""
    path = Path(path)
    if not path.exists():
        if required:
            raise error(f"{what} {path} does not exist")
        return None
    return read_toml(path, what, error)


def file_token(path) -> tuple:
    """A token that changes when the file changes (path, inode, modification time, size: a file
    replaced atomically is a new inode); caches key on it."""
    path = Path(path)
    try:
        stat = path.stat()
        return str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size
    except OSError:
        return str(path), None, None, None


def read_private_json(path, what: str, error: type[Exception]):
    """The JSON of a file holding secrets' digests (users, API tokens; the caller checks its shape);
    {} when it does not exist; ``error`` naming ``what`` when it cannot be read or is not JSON."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise error(f"cannot read {what} {path} ({e}); fix or remove it") from None
    return data


def write_private_json(path, data: dict, what: str, error: type[Exception]) -> None:
    """Write ``data`` to ``path`` atomically, readable by its owner only (mode 0600)."""
    path = Path(path)
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # a new file of its own each time (mkstemp: mode 0600, never an old file's mode, no race)
        handle, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(temporary, path)
    except OSError as e:
        if temporary and os.path.exists(temporary):
            os.unlink(temporary)
        raise error(f"cannot write {what} {path} ({e.strerror or e})") from None


def alerts_path(data_dir) -> Path:
    """The alerts file (its ``[[alert]]``, ``[[digest]]`` and ``[[goal]]`` tables): ``METRICS_ALERTS``,
    else ``defaults.ALERTS_FILE`` in the data directory."""
    from .defaults import ALERTS_FILE
    return Path(os.environ.get("METRICS_ALERTS") or Path(data_dir) / ALERTS_FILE)
