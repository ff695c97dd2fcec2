"""Goals and annotations in headless Chromium: a goal's line and an annotation's marker on the
charts, an editor adding an annotation through the drill-down's form (drawn at once, and listed in
the drill-down), no console error. One server for the module (one test)."""
import json
import time

import pandas as pd
import pytest

from metrics import store
from metrics.ingest import normalize
from metrics.store.annotations import add_annotation, annotations_of
from test_annotations import HAND
from test_browser import no_console_errors
from test_browser_data import start

pytestmark = pytest.mark.browser

GOAL = """
[[goal]]
metric = "change_failure_rate_pct"
target = 10
date = 2027-03-31
reason = "fewer rollbacks"
"""


def chart(duo, name: str) -> dict:
    """The chart ``name``'s figure as the browser holds it: its traces' names and x, its shapes."""
    return duo.driver.execute_script(f"""
        const el = document.querySelector('.chart-{name} .js-plotly-plot');
        if (!el || !el.data) return null;
        return {{traces: el.data.map(t => ({{name: t.name || '', x: (t.x || []).map(v => v === null ? null : String(v))}})),
                 shapes: (el.layout.shapes || []).map(s => ({{name: s.name || '', y0: s.y0}})),
                 labels: (el.layout.annotations || []).map(a => a.text)}};""")


def notes_on(figure) -> list:
    return sorted({x[:10] for t in figure["traces"] if t["name"] == "annotations" for x in t["x"] if x})


def press(duo, element) -> None:
    """Click ``element`` once it is scrolled into the middle of the window (a sticky bar may cover its edge)."""
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", element)


def wait_for(duo, condition, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"not shown within {timeout} s")


def test_a_goal_line_and_annotations_on_the_charts_and_in_the_drilldown(dash_duo, data_dir):
    store.save("acme", normalize(pd.DataFrame(HAND))[0])
    add_annotation("acme", "2024-01-02", "migrated CI", who="ann")
    (data_dir / "alerts.toml").write_text(GOAL)
    duo = start(dash_duo, "/?data=acme", ready="#kpi-deploys-value")

    cfr = wait_for(duo, lambda: chart(duo, "cfr"))
    assert [s["y0"] for s in cfr["shapes"] if s["name"] == "goal"] == [10]
    assert any(label.startswith("goal: Change failure rate") for label in cfr["labels"])
    # the stored note (01-02) and the incident (01-04), on the CFR chart and on the deployments chart
    assert notes_on(cfr) == ["2024-01-02", "2024-01-04"]
    assert notes_on(wait_for(duo, lambda: chart(duo, "deployments"))) == ["2024-01-02", "2024-01-04"]
    assert [s for s in chart(duo, "deployments")["shapes"] if s["name"] == "goal"] == []   # not its metric

    # the drill-down: open the annotations, add one through the editor's form
    buttons = duo.driver.find_elements("css selector", "#drilldown-accordion .accordion-button")
    opener = next(b for b in buttons if b.text == "Annotations on the time charts")
    press(duo, opener)
    duo.wait_for_contains_text("#drilldown-annotations-note", "2 annotations on the time charts", timeout=15)
    duo.wait_for_contains_text("#drilldown-annotations", "migrated CI", timeout=10)
    duo.find_element("#annotation-date").send_keys("2024-01-06")
    duo.find_element("#annotation-service").send_keys("web")
    duo.find_element("#annotation-text").send_keys("new region")
    press(duo, duo.find_element("#annotation-add"))
    duo.wait_for_contains_text("#annotation-added", "Added \u201cnew region\u201d on 2024-01-06", timeout=15)
    assert [(a.day, a.service, a.text, a.author) for a in annotations_of("acme")][-1] == (
        "2024-01-06", "web", "new region", "anonymous (no sign-in)")
    assert store.audit_log(1)[0].action == "annotate"
    wait_for(duo, lambda: notes_on(chart(duo, "deployments")) == ["2024-01-02", "2024-01-04", "2024-01-06"])
    duo.wait_for_contains_text("#drilldown-annotations", "new region", timeout=15)

    # a bad one is a sentence under the form, and nothing is stored
    duo.find_element("#annotation-date").clear()
    duo.find_element("#annotation-date").send_keys("1999-01-01")
    duo.find_element("#annotation-text").send_keys("too early")
    press(duo, duo.find_element("#annotation-add"))
    duo.wait_for_contains_text("#annotation-error", "outside the days it may have", timeout=15)
    assert len(annotations_of("acme")) == 2
    assert json.dumps(duo.driver.current_url).count("data=acme") == 1
    no_console_errors(duo)
