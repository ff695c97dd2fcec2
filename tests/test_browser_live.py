"""Live: a dashboard open on a dataset redraws within a few seconds of a webhook delivery, with no
click, and does not redraw while nothing changes."""
import hashlib
import hmac
import json
import time
import urllib.request

import pytest

from conftest import FIXTURES
from dashboard.app import create_app
from metrics import store
from metrics.ingest import load_events
from test_browser import no_console_errors

pytestmark = pytest.mark.browser
SECRET = "live-secret"


def send(url: str, payload: dict, delivery: str):
    body = json.dumps(payload).encode()
    headers = {"X-GitHub-Event": "deployment_status", "X-GitHub-Delivery": delivery, "Content-Type": "application/json",
               "X-Hub-Signature-256": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()}
    with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=30) as reply:
        return json.loads(reply.read())


def test_a_delivery_changes_the_deployment_card_without_a_click(dash_duo, data_dir, monkeypatch):
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", SECRET)
    frame, _ = load_events([FIXTURES / "hand.csv"])
    store.save("live", frame)
    dash_duo.driver.set_window_size(1366, 900)
    dash_duo.start_server(create_app(), navigate=False)
    dash_duo.driver.get(dash_duo.server.url + "/?data=live")
    dash_duo.wait_for_element("#kpi-deploys-value", timeout=20)
    before = dash_duo.find_element("#kpi-deploys-value").text
    # hand.csv, all of it (2023-12-31 to 2024-01-07, 8 days): d0..d7 in production, d3 failed: 7 / 8
    assert before == "0.88 /day"
    dash_duo.driver.execute_script(
        "window.redraws = 0; new MutationObserver(() => window.redraws++)"
        ".observe(document.getElementById('kpi-cards'), {childList: true, subtree: true, characterData: true});")
    time.sleep(7)                                  # two polls: nothing changed, so nothing is redrawn
    assert dash_duo.driver.execute_script("return window.redraws") == 0
    last = frame[frame["kind"] == "deploy"]["ts"].max()
    payload = {"action": "created", "repository": {"name": "api", "full_name": "acme/api",
                                                   "url": "https://api.github.com/repos/acme/api"},
               "deployment": {"id": 777, "environment": "production",
                              "url": "https://api.github.com/repos/acme/api/deployments/777"},
               "deployment_status": {"state": "success", "environment": "production",
                                     "created_at": (last - pd_hours(1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                     "deployment_url": "https://api.github.com/repos/acme/api/deployments/777"}}
    reply = send(dash_duo.server.url + "/webhooks/github/live", payload, "live-1")
    assert reply["added"] == 1
    sent = time.monotonic()
    after = "1.00 /day"                            # one more successful deployment, 01-06 11:00: 8 / 8 days
    dash_duo.wait_for_text_to_equal("#kpi-deploys-value", after, timeout=15)
    assert time.monotonic() - sent < 15
    no_console_errors(dash_duo)


def pd_hours(n):
    import pandas as pd
    return pd.Timedelta(hours=n)
