"""PagerDuty v3 webhooks: the signature check and an incident event as incident events (mapped as
``import --from pagerduty`` maps incidents)."""
from __future__ import annotations

import hashlib
import hmac

from ....registry.source import WebhookSpec
from ...report import RawRows
from ...webhooks import Delivery, Options, WebhookError, idempotency_key, parse_json, validated
from ..common import count_skip
from .reader import events_from_pagerduty

SECRET = "PAGERDUTY_WEBHOOK_SECRET"


def pagerduty_signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """Whether any ``v1=HEX`` signature in ``header`` is the HMAC-SHA256 of ``body`` with ``secret``."""
    if not header:
        return False
    expected = ("v1=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()).encode()
    found = False
    for signature in header.split(","):
        found |= hmac.compare_digest(expected, signature.strip().lower().encode("utf-8", "replace"))
    return found


def authentic(secret: str, body: bytes, headers, environ=None) -> str | None:
    """Why the delivery is not from PagerDuty (``X-PagerDuty-Signature``), or None."""
    return None if pagerduty_signature_valid(secret, body, headers.get("X-PagerDuty-Signature")) else \
        "wrong or missing X-PagerDuty-Signature"


PAGERDUTY_NUMBERED = ("incident.triggered", "incident.resolved")     # the types that change a number


def delivery(headers, body: bytes, delivery_id: str, options: Options) -> Delivery:
    """A PagerDuty v3 webhook as incident events: ``incident.triggered`` starts the incident (at its
    ``created_at``), ``incident.resolved`` resolves it (at the event's ``occurred_at``);
    ``incident.acknowledged`` changes no number and is counted as skipped, like other types. Its
    id is the event's (in the body), not the headers' ``delivery_id``."""
    payload = parse_json(body)
    event = payload.get("event") if isinstance(payload, dict) else None
    if not isinstance(event, dict):
        raise WebhookError(400, "a PagerDuty v3 delivery is a JSON object with an 'event' object")
    delivery_id = str(event.get("id") or "")
    event_type = str(event.get("event_type") or "")
    skipped: dict = {}
    incidents = []
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    if event_type not in PAGERDUTY_NUMBERED:
        count_skip(skipped, f"PagerDuty {event_type or 'unnamed'} events (no number changes)")
    else:
        resolved = event_type == "incident.resolved"
        incidents.append({"id": data.get("id"), "created_at": data.get("created_at") or event.get("occurred_at"),
                          "service": data.get("service"), "urgency": data.get("urgency"),
                          "status": "resolved" if resolved else "triggered",
                          "resolved_at": event.get("occurred_at") if resolved else None})
    raw = RawRows(*events_from_pagerduty(incidents))
    frame, report = validated("pagerduty", delivery_id, raw, options, skipped)
    return Delivery("pagerduty", delivery_id, frame, report)


NUMBERED = [f"`{kind}`" for kind in PAGERDUTY_NUMBERED]
WEBHOOK = WebhookSpec(
    secret=SECRET, authentic=authentic, delivery_id=idempotency_key, delivery=delivery,
    verified_by="`X-PagerDuty-Signature` (any `v1=` signature matching)",
    deliveries=f"v3 {', '.join(NUMBERED)}; `incident.acknowledged` is acknowledged and counted as skipped (it changes "
               f"no number)",
    records=((f"v3 {' / '.join(NUMBERED)}", "`incident_start` at the incident's `created_at`; resolved also "
              "`incident_resolved` at the event's `occurred_at`; `incident.acknowledged` and other types change no "
              "number (skipped, counted)"),))
