"""Ingestion: events from files and other tools into the validated canonical frame.

- ``report``: ``LoadReport`` (what a load did), ``RawRows`` (what a reader makes of a file),
  ``LoadError`` / ``StrictLoadError``;
- ``validate``: ``normalize`` (raw rows -> the canonical frame, each rejected row with its reason)
  and ``check_pairs`` (incidents and PR events paired by id); ``ids``: ``qualify_ids`` (PR and
  deployment ids unique per service, the rule ``normalize`` and the store's migration share);
- ``files``: ``load_events`` / ``load_file`` (read files with a source's reader, validate, merge);
- ``sources``: one package per source, each declaring ``SOURCE`` (``metrics.registry.source``:
  ``sources()``, ``source(name).make_reader(**options)``); ``sync``: the live connectors' shared
  machinery (client, walks, state, configuration); ``webhooks``: what every webhook shares.
"""
from .files import MAX_FILE_BYTES, load_events, load_file
from .ids import qualify_ids
from .report import LoadError, LoadReport, RawRows, StrictLoadError
from .validate import check_pairs, normalize

__all__ = ["MAX_FILE_BYTES", "LoadError", "LoadReport", "RawRows", "StrictLoadError", "check_pairs", "load_events",
           "load_file", "normalize", "qualify_ids"]
