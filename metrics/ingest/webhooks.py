"""What every webhook shares (no web framework here): the delivery's options and result, refusals,
constant-time token checks, the Standard Webhooks signature, reading a secret, and validation.

Each source's own deliveries and signature checks live in its package (``sources/<name>/webhook.py``)
and are declared by its ``WebhookSpec`` (its ``verified_by`` says how it checks; the README's
"Webhooks" table lists them); ``dashboard/webhooks.py`` routes ``POST /webhooks/NAME/DATASET`` to
them. Secrets and signatures are compared in constant time. Here: the bearer token of CDEvents and
canonical events, and the Standard Webhooks scheme GitLab's signing token uses (``webhook-id``,
``webhook-timestamp``, ``webhook-signature: v1,BASE64 ...``, HMAC-SHA256 of ``ID.TIMESTAMP.BODY``
with the base64 key after ``whsec_``; ``defaults.WEBHOOK_TOLERANCE_S`` of tolerance).

The objects inside a delivery are mapped by the same functions as ``import --from SOURCE``
(``events_from_github``, ``events_from_pagerduty``, the CDEvents and events readers), then validated
by ``normalize``. What a delivery cannot place (an action the metrics do not use, a deployment
outside production, a status that is not final) is counted as skipped, not refused.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import defaults, schema as s
from ..tokens import bearer_of
from .ai_facts import with_ai_events
from .report import LoadError, LoadReport, RawRows
from .sources.common import DEFAULT_DEPLOY_PATTERN

if TYPE_CHECKING:
    import pandas as pd

    from ..ai_rules import AiRules

log = logging.getLogger(__name__)
INGEST_TOKEN = "METRICS_INGEST_TOKEN"          # the bearer token of pushed canonical events and CDEvents


class WebhookError(Exception):
    """A delivery the server refuses: its HTTP status and one sentence."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class Options:
    """How deliveries to one URL are read: ``?service=`` (every event's service), ``?production=``,
    ``?deploy_workflow=`` (a glob) and ``?releases=true`` (GitHub releases are deployments); and,
    from the server's data directory, not the URL, the AI rules that decide which PRs were
    AI-assisted (``ai_facts.with_ai_events``; None: no such events)."""
    service: str = ""
    production: str = s.PRODUCTION
    deploy_workflow: str = DEFAULT_DEPLOY_PATTERN
    releases: bool = False
    ai_rules: AiRules | None = None          # the data directory's AI rules: a pr_ai_assisted event per PR


@dataclass
class Delivery:
    """A verified delivery as events: its provider, its id (for exactly-once), the validated
    events, the report (skipped and rejected), and ``once``: a key whose first delivery alone
    counts (a deployment's first final status), or ""."""
    provider: str
    delivery_id: str
    frame: pd.DataFrame
    report: LoadReport
    once: str = ""
    pong: bool = False


# -- secrets and signatures ---------------------------------------------------------------------

def secret(name: str, environ=None) -> str:
    """The secret in ``name``, or in the file ``name``_FILE names; "" when neither is set."""
    environ = os.environ if environ is None else environ
    value = environ.get(name, "").strip()
    if not value and environ.get(name + "_FILE"):
        try:
            value = Path(environ[name + "_FILE"]).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as e:
            log.error("cannot read %s_FILE (%s)", name, getattr(e, "strerror", None) or type(e).__name__)
    return value


def token_valid(expected: str, given: str | None) -> bool:
    """Whether ``given`` equals ``expected`` (constant time)."""
    return given is not None and hmac.compare_digest(expected.encode("utf-8"), given.strip().encode("utf-8", "replace"))


def bearer_valid(expected: str, authorization: str | None) -> bool:
    """Whether an ``Authorization: Bearer TOKEN`` header carries ``expected``."""
    token = bearer_of(authorization)
    return bool(token) and token_valid(expected, token)


def standard_signature_problem(secret: str, body: bytes, msg_id: str | None, timestamp: str | None,
                               signature: str | None, now: float) -> str | None:
    """Why a Standard Webhooks delivery is not authentic (missing headers, a timestamp more than
    ``defaults.WEBHOOK_TOLERANCE_S`` before or after ``now``: exactly that far is accepted, no
    matching ``v1,`` signature among those listed, any one may match: key rotation), or None when it is."""
    if not msg_id or not timestamp or not signature:
        return "missing webhook-id, webhook-timestamp or webhook-signature"
    try:
        sent = int(timestamp)
    except ValueError:
        return "webhook-timestamp is not a Unix time"
    if abs(now - sent) > defaults.WEBHOOK_TOLERANCE_S:
        return (f"webhook-timestamp is more than {defaults.WEBHOOK_TOLERANCE_S // 60} minutes away "
                "(a replay, or a clock far off)")
    try:
        key = base64.b64decode(secret[len("whsec_"):] if secret.startswith("whsec_") else secret, validate=True)
    except (binascii.Error, ValueError):
        key = secret.encode("utf-8")
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest())
    found = False
    for entry in signature.split():
        version, _, value = entry.partition(",")
        found |= version == "v1" and hmac.compare_digest(expected, value.encode("utf-8", "replace"))
    return None if found else "no webhook-signature matches"


def bearer_problem(secret: str, body: bytes, headers, environ=None) -> str | None:
    """A ``WebhookSpec.authentic`` for a bearer token (CDEvents, canonical events): why the delivery
    is not authentic, or None."""
    ok = bearer_valid(secret, headers.get("Authorization"))
    return None if ok else "wrong or missing Authorization: Bearer token"


# -- deliveries -> events ---------------------------------------------------------------------------

def parse_json(body: bytes):
    """The delivery's JSON, or WebhookError 400."""
    try:
        return json.loads(body.decode("utf-8"))
    except RecursionError:
        raise WebhookError(400, "the delivery's JSON is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as e:
        raise WebhookError(400, f"the delivery is not JSON ({str(e)[:120]})") from None


def validated(provider: str, delivery_id: str, raw: RawRows, options: Options, skipped: dict) -> tuple:
    """A delivery's raw rows validated as an import's are (``?service=`` applied first; with the
    options' AI rules, a ``pr_ai_assisted`` row per PR the mapping gave facts of), with what the
    mapping skipped; deployments outside ``?production=`` are skipped and counted; WebhookError 400
    for a delivery that cannot be read at all."""
    from .validate import normalize
    raw = with_ai_events(raw, options.ai_rules)
    rows = raw.rows
    if options.service and len(rows):
        rows = rows.assign(service=options.service)
    try:
        frame, report = normalize(rows, raw.numbers, source=f"{provider} delivery {delivery_id or ''}".strip(),
                                  unit=raw.unit, parse_errors=raw.bad)
    except LoadError as e:
        raise WebhookError(400, str(e)) from None
    report.skipped = {**raw.skipped, **skipped}
    outside = (frame["kind"] == s.DEPLOY) & (frame["environment"] != options.production.lower())
    if outside.any():
        for environment, count in frame.loc[outside, "environment"].value_counts().items():
            report.skipped[f"deployments outside production ({environment})"] = int(count)
        frame = frame[~outside].reset_index(drop=True)
        report.accepted = len(frame)
    return frame, report


def idempotency_key(headers) -> str:
    """A delivery's own id when its sender gives one: ``Idempotency-Key``, else ``webhook-id``."""
    return str(headers.get("Idempotency-Key") or headers.get("webhook-id") or "")
