"""Ingestion: events from files and other tools into the validated canonical frame.

- ``report``: ``LoadReport`` (what a load did), ``RawRows`` (what a reader makes of a file),
  ``LoadError`` / ``StrictLoadError``;
- ``validate``: ``normalize`` (raw rows -> the canonical frame, each rejected row with its reason)
  and ``check_pairs`` (incidents and PR events paired by id);
- ``files``: ``load_events`` / ``load_file`` (read files with a source's reader, validate, merge);
- ``sources``: one module per source (``events``, ``git``, ``github``, ``gitlab``, ``pagerduty``,
  ``cdevents``) and ``reader_for``; ``sync``: live connectors that pull from the APIs.
"""
from .files import MAX_FILE_BYTES, load_events, load_file
from .report import LoadError, LoadReport, RawRows, StrictLoadError
from .validate import check_pairs, normalize

__all__ = ["MAX_FILE_BYTES", "LoadError", "LoadReport", "RawRows", "StrictLoadError", "check_pairs", "load_events",
           "load_file", "normalize"]
