"""Ingestion: events from files and other tools into the validated canonical frame.

- ``report``: ``LoadReport`` (what a load did), ``RawRows`` (what a reader makes of a file),
  ``LoadError`` / ``StrictLoadError``;
- ``validate``: ``normalize`` (raw rows -> the canonical frame, each rejected row with its reason)
  and ``check_pairs`` / ``check_coded_pairs`` (incidents and PR events paired by id); ``ids``: ``qualify_ids`` (PR and
  deployment ids unique per service, the rule ``normalize`` and the store's migration share);
- ``files``: ``load_events`` / ``load_file`` (read files with a source's reader, validate, merge),
  ``load_coded`` (the same, the events kept in codes: ``coded.CodedEvents``);
- ``sources``: one package per source, each declaring ``SOURCE`` (``metrics.registry.source``:
  ``sources()``, ``source(name).make_reader(**options)``); ``sync``: the live connectors' shared
  machinery (client, walks, state, configuration); ``webhooks``: what every webhook shares.

The names below are imported from their modules on first use (``metrics.lazy``): a source's
declaration (``metrics.ingest.sources.NAME``) is read without loading the readers' pandas.
"""
from ..lazy import names_from

_WHERE = {"files": ("MAX_FILE_BYTES", "load_coded", "load_events", "load_file"), "ids": ("qualify_ids",),
          "report": ("LoadError", "LoadReport", "RawRows", "StrictLoadError"),
          "validate": ("check_coded_pairs", "check_pairs", "normalize")}

__all__ = ["MAX_FILE_BYTES", "LoadError", "LoadReport", "RawRows", "StrictLoadError", "check_coded_pairs", "check_pairs",
           "load_coded", "load_events", "load_file", "normalize", "qualify_ids"]

__getattr__ = names_from(__name__, _WHERE)
