"""The dashboard's live-sync line: a whole component tree per case."""
import json

from plotly.utils import PlotlyJSONEncoder
from dash import html

from components.sync_status import sync_status


def test_no_sync_shows_nothing():
    assert sync_status([]) is None


def test_each_source_its_last_run_and_error():
    tree = sync_status([
        {"source": "github:acme/shop", "at": "2024-03-20T00:00:00Z", "added": 11, "error": ""},
        {"source": "pagerduty:all", "at": "2024-03-20T00:05:00Z", "added": 0, "error": "answered 401: bad token"},
    ])
    expected = html.Ul([
        html.Li([html.Strong("github:acme/shop"), " synced 2024-03-20 00:00:00 UTC (+11 events)"],
                className="text-body-secondary", **{"data-source": "github:acme/shop"}),
        html.Li([html.Strong("pagerduty:all"), " last sync 2024-03-20 00:05:00 UTC failed: answered 401: bad token"],
                className="text-danger", **{"data-source": "pagerduty:all"}),
    ], id="sync-status", className="list-unstyled small mb-1")
    as_json = lambda c: json.dumps(c, cls=PlotlyJSONEncoder, sort_keys=True)  # noqa: E731
    assert as_json(tree) == as_json(expected)
