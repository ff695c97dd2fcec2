"""The live-sync line under a stored dataset's window line: when each source last synced, what it
added, and the error of its last run. Plain data in, one component out."""
from __future__ import annotations

from dash import html


def sync_status(runs: list[dict]):
    """One line per source that syncs or pushes (webhooks) into the dataset (``[]``: nothing, the
    dataset is imported by hand). Each run is a dict with ``source``, ``at`` (ISO UTC), ``added`` and
    ``error`` (webhook sources, ``webhook:PROVIDER``, also ``deliveries`` and ``skipped`` by reason).
    A failed last run is shown in red with its error."""
    if not runs:
        return None
    items = []
    for run in runs:
        when = str(run.get("at", "")).replace("T", " ").replace("Z", " UTC")
        if str(run.get("source", "")).startswith("webhook:"):
            skipped = sum(run.get("skipped", {}).values()) if isinstance(run.get("skipped"), dict) else 0
            items.append(html.Li([html.Strong(run["source"]), f" last delivery {when} "
                                  f"({int(run.get('deliveries', 0))} deliveries, {int(run.get('added', 0)):+d} events, "
                                  f"{skipped} skipped)"],
                                 className="text-body-secondary", **{"data-source": run["source"]}))
        elif run.get("error"):
            items.append(html.Li([html.Strong(run["source"]), f" last sync {when} failed: {run['error']}"],
                                 className="text-danger", **{"data-source": run["source"]}))
        else:
            items.append(html.Li([html.Strong(run["source"]), f" synced {when} ({int(run.get('added', 0)):+d} events)"],
                                 className="text-body-secondary", **{"data-source": run["source"]}))
    return html.Ul(items, id="sync-status", className="list-unstyled small mb-1")
