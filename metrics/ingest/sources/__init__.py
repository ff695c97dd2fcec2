"""One package per source of events, each declaring ``SOURCE = SourceSpec(...)``
(``metrics.registry.source``): its reader and options, upload label, docs lines, and its live sync
and webhook when it has them. ``metrics.registry.source.sources()`` finds them; nothing else names
a source. ``common`` holds what the readers share (JSON documents, pages of items, skip counts).
"""
