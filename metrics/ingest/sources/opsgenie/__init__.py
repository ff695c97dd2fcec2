"""Opsgenie incidents and alerts -> incident events (files and the live sync)."""
from ....registry.source import SourceSpec
from . import sync
from .reader import opsgenie_reader

SOURCE = SourceSpec(
    name="opsgenie", title="Opsgenie incidents or alerts (JSON)", reader=opsgenie_reader, order=60,
    sync=sync.SYNC,
    reads="Opsgenie `GET /v1/incidents` or `/v2/alerts` pages, or one incident",
    describe="an incident or alert from `createdAt`, resolved at `updatedAt` once closed or resolved",
    records=(
        ("incident or alert",
         ("`incident_start` at `createdAt`; when its status is `resolved` or `closed`, `incident_resolved` at "
          "`updatedAt` (its last change: the closing). The alert report's durations are not used (their unit is not "
          "documented). Service: the first impacted service, else the alert's `entity`, else its `source`")),
    ),
)
