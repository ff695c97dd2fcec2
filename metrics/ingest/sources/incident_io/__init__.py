"""incident.io incidents (``GET /v2/incidents`` JSON) -> incident events: the source's one
declaration. The reader and its rules are in ``reader``."""
from ....registry.source import Option, SourceSpec
from ..incident_options import DEFAULT_SERVICE, service_field
from .reader import (DEFAULT_RESOLVED_TIMESTAMP, DEFAULT_SERVICE_FIELD, DEFAULT_START_TIMESTAMP, NOT_INCIDENTS,
                     NOT_REAL, RESOLVED, incident_io_reader)

SOURCE = SourceSpec(
    name="incident-io",
    title="incident.io incidents (JSON)",
    describe=f"`GET /v2/incidents` pages: `incident_start` at the \"{DEFAULT_START_TIMESTAMP}\" timestamp (else "
             f"`created_at`), `incident_resolved` at \"{DEFAULT_RESOLVED_TIMESTAMP}\" when the status category is "
             f"{' or '.join(RESOLVED)}; {', '.join(NOT_INCIDENTS)} and {' or '.join(NOT_REAL)} incidents skipped; "
             f"id = reference, service = custom field `--service-field` (\"{DEFAULT_SERVICE_FIELD}\")",
    reader=incident_io_reader,
    options=(
        service_field(DEFAULT_SERVICE_FIELD, "a custom field's name (any case) or id"),
        DEFAULT_SERVICE,
        Option("start_timestamp", "when an incident starts: the incident timestamp of this name (any case), or "
                                  "created_at for an incident without it",
               default=DEFAULT_START_TIMESTAMP, metavar="NAME"),
        Option("resolved_timestamp", "the incident timestamp a resolved incident ends at, by name in any case",
               default=DEFAULT_RESOLVED_TIMESTAMP, metavar="NAME"),
    ),
)
