"""An uploaded file becomes (part of) a stored dataset, with the same importers and load report as
``python -m metrics import``."""
from __future__ import annotations

import base64
import binascii
import errno
import logging
import os
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from metrics import store
from metrics.ai_rules import AiRulesError, ai_settings_path
from metrics.ingest.ai_facts import rules_of_data
from metrics.ingest import LoadError, LoadReport, load_events
from metrics.ingest.plugin_sources import load_sources
from metrics.registry.source import sources

log = logging.getLogger(__name__)
MAX_UPLOAD_BYTES = int(float(os.environ.get("METRICS_MAX_UPLOAD_MB", "50")) * 1024 * 1024)
DISK_FULL = ("The server's disk is full, so nothing was stored; ask the dashboard's operator to free some space, "
             "then upload again.")
FULL_DISK_ERRORS = (errno.ENOSPC, errno.EDQUOT)      # no space left; the user's disk quota used up


def human_size(n: int) -> str:
    """Bytes as "12.5 MB" or, under a megabyte, "8 KB"."""
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{-(-n // 1024)} KB"


class UploadError(Exception):
    """The upload cannot be imported; the message says why, in a sentence."""


@dataclass
class Imported:
    dataset: str
    report: LoadReport
    total: int
    added: int
    merge: LoadReport

    def lines(self) -> list[str]:
        """The load report and what the store did, as text lines."""
        return self.report.lines() + store.save_lines(self.dataset, self.total, self.added, self.merge)


def dataset_name(name: str | None, filename: str | None) -> str:
    """The name typed, else one made from the file's name."""
    name = (name or "").strip()
    if name:
        return name
    stem = Path(filename or "").stem
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-._")[:64] or "upload"


def safe_filename(filename: str | None) -> str:
    """The uploaded file's base name, reduced to harmless characters (it names the file in the report)."""
    base = Path(str(filename or "upload")).name
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", base)[:120] or "upload"


@contextmanager
def full_disk_said(where: str):
    """Inside the block, a full disk (an OSError ENOSPC or EDQUOT) is UploadError(DISK_FULL), logged
    as one line naming ``where`` (the server's paths stay in its log, never on the page)."""
    try:
        yield
    except OSError as e:
        if e.errno not in FULL_DISK_ERRORS:
            raise
        log.warning("refused an upload: the disk is full under %s (%s)", where, e.strerror or e)
        raise UploadError(DISK_FULL) from None


def decode(contents: str, limit: int = MAX_UPLOAD_BYTES) -> bytes:
    """The bytes of a ``dcc.Upload`` data URL (``data:<type>;base64,<data>``), at most ``limit``."""
    head, _, data = str(contents or "").partition(",")
    if not head.startswith("data:") or ";base64" not in head:
        raise UploadError("The upload did not arrive as a file; try again.")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise UploadError("The upload arrived damaged; try again.") from None
    if len(raw) > limit:
        raise UploadError(f"The file is {human_size(len(raw))}, over the upload limit of {human_size(limit)} "
                          f"(METRICS_MAX_UPLOAD_MB). "
                          "Import it with .venv/bin/python -m metrics import instead.")
    return raw


def upload_ai_rules():
    """The AI rules an upload decides by (the data directory's ``ai.toml``, or ``METRICS_AI_RULES``);
    UploadError of one sentence naming the file by its name only (its path is for the log)."""
    path = ai_settings_path(store.data_dir())
    try:
        return rules_of_data(store.data_dir())
    except AiRulesError as e:
        log.warning("refused an upload: %s", e)
        raise UploadError(str(e).replace(str(path), path.name) + "; nothing was stored.") from None


def import_upload(contents: str, filename: str | None, name: str | None, source: str,
                  limit: int = MAX_UPLOAD_BYTES, service: str | None = None, who: str = "dashboard") -> Imported:
    """Read the uploaded file with the importer of ``source`` and add its events to the dataset;
    ``service``, when given, is every event's service (``import --service``); the audit trail
    records the write as ``who``'s upload."""
    load_sources()                               # plug-in sources (the menu said why one is missing)
    spec = sources().get(str(source))
    if spec is None:
        raise UploadError(f"Unknown kind of file {str(source)[:40]!r}.")
    if not spec.offered_for_upload:
        raise UploadError(f"{spec.title} cannot be uploaded here: .venv/bin/python -m metrics import --from {spec.name} PATH "
                          f"--name NAME" + "".join(f" {o.command_flag} {o.metavar or 'VALUE'}" for o in spec.options
                                                   if o.required) + ".")
    dataset = dataset_name(name, filename)
    try:
        store.check_name(dataset)
    except store.StoreError as e:
        raise UploadError(str(e)[0].upper() + str(e)[1:] + ".") from None
    reader = spec.make_reader()
    rules = upload_ai_rules()
    raw = decode(contents, limit)
    with full_disk_said(f"the temporary directory {tempfile.gettempdir()}"), \
            tempfile.TemporaryDirectory(prefix="metrics-upload-") as directory:
        path = Path(directory) / safe_filename(filename)
        path.write_bytes(raw)
        try:
            frame, report = load_events([path], reader=reader, service=(service or "").strip() or None,
                                        ai_rules=rules)
        except LoadError as e:
            # the message names the file, never the server's temporary directory, and a plug-in by its
            # file's name only (its path is for the server's log)
            message = str(e).replace(str(Path(directory)) + os.sep, "")
            if spec.plugin:
                log.warning("upload through plug-in source %r failed: %s", spec.name, message)
                message = message.replace(spec.plugin, Path(spec.plugin).name)
            raise UploadError(message) from None
    if not len(frame):
        raise UploadError("\n".join(report.lines() + ["No events were accepted, so nothing was stored."]))
    try:
        total, added, merge = store.save(dataset, frame, who=who, action="upload", detail=safe_filename(filename))
    except store.StoreFull as e:
        log.warning("refused an upload: %s", e)
        raise UploadError(DISK_FULL) from None
    except store.StoreError as e:
        raise UploadError(str(e)) from None
    return Imported(dataset, report, total, added, merge)
