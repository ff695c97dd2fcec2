"""CDEvents webhooks: CloudEvents over HTTP (binary, structured or batch) read by the CDEvents
reader; a bearer token (``METRICS_INGEST_TOKEN``) authenticates them."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ....registry.source import WebhookSpec
from ...report import LoadError, RawRows
from ...webhooks import (INGEST_TOKEN, Delivery, Options, WebhookError, bearer_problem, idempotency_key, parse_json,
                         validated)
from .reader import cdevents_reader


def delivery(headers, body: bytes, delivery_id: str, options: Options) -> Delivery:
    """CDEvents over the CloudEvents HTTP binding: binary mode (``ce-*`` headers, the CDEvent as the
    body), structured mode (``application/cloudevents+json``) or a batch
    (``application/cloudevents-batch+json``); read by the CDEvents importer. Its id comes from the
    CloudEvent (source and id) or the body's hash, not the headers' ``delivery_id``."""
    content_type = str(headers.get("Content-Type") or "").split(";")[0].strip().lower()
    payload = parse_json(body)
    if headers.get("ce-specversion"):
        if not isinstance(payload, dict):
            raise WebhookError(400, "a binary-mode CloudEvent's body is the CDEvent, a JSON object")
        payload = {"specversion": headers.get("ce-specversion"), "type": headers.get("ce-type", ""),
                   "id": headers.get("ce-id", ""), "source": headers.get("ce-source", ""),
                   "time": headers.get("ce-time", ""), "data": payload}
        delivery_id = f"{headers.get('ce-source', '')}/{headers.get('ce-id', '')}"
    elif content_type == "application/cloudevents-batch+json" or isinstance(payload, list):
        if not isinstance(payload, list):
            raise WebhookError(400, "a CloudEvents batch is a JSON array")
        delivery_id = "batch-" + hashlib.sha256(body).hexdigest()[:32]
    elif isinstance(payload, dict):
        delivery_id = f"{payload.get('source', '')}/{payload.get('id', '')}" if payload.get("id") else \
            "event-" + hashlib.sha256(body).hexdigest()[:32]
    else:
        raise WebhookError(400, "a CloudEvent is a JSON object")
    try:
        raw = RawRows(*cdevents_reader()(json.dumps(payload), Path("delivery.json")))
    except LoadError as e:
        raise WebhookError(400, str(e).replace("delivery.json: ", "")) from None
    frame, report = validated("cdevents", delivery_id, raw, options, {})
    return Delivery("cdevents", delivery_id, frame, report)


WEBHOOK = WebhookSpec(
    secret=INGEST_TOKEN, authentic=bearer_problem, delivery_id=idempotency_key, delivery=delivery,
    verified_by="`Authorization: Bearer`", deliveries="CloudEvents binary, structured or batch mode",
    records=(("CDEvents as CloudEvents (binary, structured, batch)", "read by the CDEvents importer"),))
