"""Canonical event files (METRICS.md section 1): CSV, NDJSON or JSON with the schema's columns."""
from ....registry.source import SourceSpec
from . import webhook


def events_reader():
    """The canonical files' reader (it takes no option); its module (pandas, pyarrow) is imported
    when a file is read, not when the source is declared."""
    from .reader import read_events_file
    return read_events_file


SOURCE = SourceSpec(
    name="events", title="Canonical events (CSV, NDJSON, JSON)", reader=events_reader, order=10,
    webhook=webhook.WEBHOOK,
    reads="canonical CSV, NDJSON or JSON files (the columns above)",
    describe="every row",
)
