"""PagerDuty incidents -> incident events (files, the live sync and v3 webhooks)."""
from ....registry.source import Option, SourceSpec
from . import sync, webhook
from .reader import pagerduty_reader

SOURCE = SourceSpec(
    name="pagerduty", title="PagerDuty incidents (JSON)", reader=pagerduty_reader, order=50,
    options=(Option("urgency", "only incidents of this urgency", default_help="every incident", kind="choice",
                    choices=("high", "low")),),
    sync=sync.SYNC, webhook=webhook.WEBHOOK,
    reads="PagerDuty `GET /incidents` pages, one incident, or Analytics raw incidents",
    describe=("an incident from `created_at` to `resolved_at` (or `last_status_change_at` when resolved); `--urgency "
              "high` keeps only high-urgency incidents"),
    records=(
        ("incident",
         ("`incident_start` at `created_at`; when resolved, `incident_resolved` at `resolved_at` (else "
          "`last_status_change_at`); with `--urgency`, incidents of the other urgency are skipped")),
        ("one incident (`{\"incident\": {...}}`), Analytics raw incidents (`{\"data\": [...]}`)",
         "the same: a raw incident resolved when `resolved_at` is set, its service `service_name`"),
    ),
)
