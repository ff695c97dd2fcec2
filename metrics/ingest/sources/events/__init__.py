"""Canonical event files (METRICS.md section 1): CSV, NDJSON or JSON with the schema's columns."""
from ....registry.source import SourceSpec, WebhookSpec
from ...webhooks import INGEST_TOKEN, bearer_problem, idempotency_key
from . import webhook
from .reader import read_events_file


def events_reader():
    """The canonical files' reader (it takes no option)."""
    return read_events_file


SOURCE = SourceSpec(
    name="events",
    title="Canonical events (CSV, NDJSON, JSON)",
    reader=events_reader,
    webhook=WebhookSpec(secret=INGEST_TOKEN, authentic=bearer_problem, delivery_id=idempotency_key,
                        delivery=webhook.delivery),
    order=10,
    reads="canonical CSV, NDJSON or JSON files (the columns above)",
    describe="every row",
)
