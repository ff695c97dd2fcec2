"""Canonical events pushed to the webhook (a JSON array, or ``{"events": [...]}``), read record by
record as the events importer reads a JSON file; a bearer token (``METRICS_INGEST_TOKEN``)
authenticates them."""
from __future__ import annotations

from ....registry.source import WebhookSpec
from ...report import RawRows
from ...webhooks import (INGEST_TOKEN, Delivery, Options, WebhookError, bearer_problem, idempotency_key, parse_json,
                         validated)


def delivery(headers, body: bytes, delivery_id: str, options: Options) -> Delivery:
    """Canonical events (an array, or ``{"events": [...]}``) read record by record as the events
    importer reads a JSON file; the delivery's id is its ``Idempotency-Key`` or ``webhook-id``
    header, when it has one."""
    from .reader import raw_from_records        # pandas: when a delivery comes, not when the source is declared
    payload = parse_json(body)
    if isinstance(payload, dict) and isinstance(payload.get("events"), list):
        payload = payload["events"]
    if not isinstance(payload, list):
        raise WebhookError(400, 'expected a JSON array of events (or an object with an "events" array)')
    delivery_id = idempotency_key(headers)
    raw = RawRows(*raw_from_records(payload, list(range(1, len(payload) + 1)), "delivery"), "record", {})
    frame, report = validated("events", delivery_id, raw, options, {})
    return Delivery("events", delivery_id, frame, report)


WEBHOOK = WebhookSpec(
    secret=INGEST_TOKEN, authentic=bearer_problem, delivery_id=idempotency_key, delivery=delivery,
    verified_by="`Authorization: Bearer`",
    deliveries="canonical events as JSON (`Idempotency-Key` makes a batch exactly-once)",
    records=(("canonical events as JSON (an array, or `{\"events\": [...]}`)", "read by the events importer"),))
