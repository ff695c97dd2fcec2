"""Stored datasets: imported events kept under a data directory, behind one small interface.

The interface (the names below; the modules of this package are its private parts, so a server
database can take SQLite's place behind the same calls):

- datasets: ``append`` (add events: imports, uploads, syncs, webhooks), ``save`` (append, or
  ``replace``), ``save_lines`` (what a save did, as text), ``load`` (the event frame),
  ``load_tables`` (the per-kind tables), ``load_window`` (the tables of the rows a view of one
  window needs: ``metrics.reach``; on SQLite the whole dataset), ``dataset_facts`` (its span,
  services and kinds, without loading it on PostgreSQL), ``reads_windows``, ``version`` (a token that changes with every write),
  ``list_datasets`` (``DatasetInfo`` each), ``delete``, ``check_name`` and ``NAME`` (dataset
  names), ``MAX_EVENTS`` (the size limit), ``TEXT_COLUMNS`` (the event columns kept as text);
- damage inside the file: ``check_datasets`` (every segment of every dataset, ``DatasetCheck``
  each), ``repair_datasets`` (drop the damaged segments, in one transaction), ``REPAIR`` (the
  command that does it);
- live sync: ``append_with_state`` (events and the source's state, both or neither),
  ``sync_state``, ``record_sync_run``, ``sync_runs``; ``SyncLoopLock`` (one ``sync --every`` loop
  per dataset across every host: a PostgreSQL advisory lock, or a lock file beside the SQLite file);
- alerts: ``alert_states`` (every alert's kept state), ``keep_alert_states``; ``SchedulerLock``
  (one ``python -m metrics schedule`` per store, the same pattern as ``SyncLoopLock``);
- webhooks: ``deliver`` (exactly once per delivery id), answering ``Delivered``;
- the audit trail: ``audit_log`` (``AuditEntry`` each; every write records who, when, which
  dataset and how many events, in the write's own transaction), ``record_audit`` (an entry that
  changes no dataset), ``local_user`` (who the command line is);
- sign-in sessions: ``begin_session`` (a new session's id), ``session_user`` (whose live session
  an id is), ``end_session`` (sign-out), ``end_sessions`` (sign a user out everywhere, audited),
  ``user_has_sessions``;
- the users and API tokens on PostgreSQL (their files' JSON, table ``documents``): ``read_document``,
  ``document_version`` (changes with each edit), ``edit_document`` (read-modify-write in one write
  transaction);
- which database: the SQLite file, or PostgreSQL when ``METRICS_DATABASE_URL`` is set
  (``database``: its parsing, ``use`` to choose one for a block); ``where`` (the store in words,
  never a password); ``schema_version``: Alembic revisions for both, ``upgrade_schema``, ``health``;
- where: ``data_dir`` (``METRICS_DATA_DIR``, default ``./data``), ``store_path`` (its file);
  ``forget_open_files`` (check the file again, as a new process would);
- errors: ``StoreError``, one sentence each; ``Damaged`` (a StoreError) names the damaged dataset
  and segment: reads and writes (but a ``replace``) of that dataset are refused with it;
  ``StoreFull`` (a StoreError) says the disk is full: nothing was stored; ``Refused`` (a StoreError): a
  store this version can never use as it is (a newer schema, a bad database setting): a server does
  not start on it (``at_start``).

How it is kept (the modules). ``connection``: the file ``datasets.sqlite`` in the data directory,
every SQLite failure as one sentence, the write transaction that takes the write lock before it
reads anything (``BEGIN IMMEDIATE``: concurrent imports into one dataset each add all of theirs, a
killed import leaves the previous state, every process sees the same datasets). ``migrations``:
the tables, the marks that make the file this product's, the earlier layouts moved (dated).
``columnar``: a segment's BLOBs in standard formats (its events as one Arrow IPC file with
zstd, each text column dictionary-encoded; its row hashes sorted; its pairing events as a small
second Arrow IPC file; the length and CRC-32 of those three). ``codec``: events as arrays (int32 codes plus distinct texts per text
column), a 64-bit hash per event, and the per-column BLOBs of the earlier layouts (read by the
migrations only). ``segments``: each write adds one immutable segment per dataset, so a write
costs in proportion to what it adds. ``merge``: duplicates found by a binary search in each
segment's sorted hashes, conflicts (a second ``incident_start`` for an id...) among the segments'
pairing events, neither reading the stored events; stored events always win; past
``segments.MAX_SEGMENTS`` segments a write compacts the dataset into one. ``keeper``: which module
keeps a connection's events (``segments``, or on PostgreSQL ``postgres.events``: one row per event,
duplicates by ``row_hash = ANY`` on the unique index, conflicts from the id indexes, COPY appends,
whole loads as one aggregated row, check and repair by counting), so ``merge`` is one merge for
both backends. ``datasets``, ``state`` and
``audit``: the operations above; ``sessions``: the sign-in sessions (the SHA-256 of each id);
``integrity``: checking and repairing every segment. A damaged, foreign, read-only or full
database is a ``StoreError`` naming the file, what is wrong and what to do; damage inside a
readable file (a BLOB overwritten, cut or missing, a count that disagrees) is found by each read
and write in what it reads (the segments' counts and BLOB lengths, kept with a CRC-32 of each
BLOB, and the BLOBs it decodes) and is ``Damaged``.
"""
from __future__ import annotations

from .alert_states import alert_states, keep_alert_states
from .audit import AuditEntry, audit_log, local_user, record_audit
from .codec import TEXT_COLUMNS
from .connection import data_dir, forget_open_files, store_path, where
from .schema_version import at_start, health, upgrade as upgrade_schema
from .documents import document_version, edit_document, read_document
from .datasets import DatasetInfo, append, delete, list_datasets, load, load_tables, save, version
from .errors import NAME, REPAIR, Damaged, Refused, StoreError, StoreFull, check_name
from .loop_lock import SchedulerLock, SyncLoopLock
from .integrity import DatasetCheck, check as check_datasets, repair as repair_datasets
from .merge import MAX_EVENTS, save_lines
from .sessions import begin_session, end_session, end_sessions, session_user, user_has_sessions
from .state import Delivered, append_with_state, deliver, record_sync_run, sync_runs, sync_state
from .windows import dataset_facts, load_window, reads_windows

__all__ = [
    "append", "save", "save_lines", "load", "load_tables", "load_window", "dataset_facts", "reads_windows", "version", "list_datasets", "delete", "check_name",
    "NAME", "MAX_EVENTS", "TEXT_COLUMNS", "DatasetInfo",
    "append_with_state", "sync_state", "record_sync_run", "sync_runs",
    "deliver", "Delivered", "SyncLoopLock", "SchedulerLock",
    "alert_states", "keep_alert_states",
    "audit_log", "AuditEntry", "record_audit", "local_user",
    "begin_session", "session_user", "end_session", "end_sessions", "user_has_sessions",
    "read_document", "document_version", "edit_document",
    "data_dir", "store_path", "forget_open_files", "where", "health", "at_start", "upgrade_schema",
    "check_datasets", "repair_datasets", "DatasetCheck", "REPAIR",
    "StoreError", "StoreFull", "Damaged", "Refused",
]
