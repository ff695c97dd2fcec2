"""A chart wears the colour of its tier or band, as the server sends it: the main callback's answer
(the JSON the browser receives) for a stored hand-made dataset, and the figure builders' threshold
lines. The expected tier or band is worked out by hand from METRICS.md's thresholds; the colours
are Bootstrap 5.3's, read off its stylesheet (never from the product's colour table)."""
import json

import pandas as pd
import pytest

from components import figures as fg
from dashboard.app import create_app
from helpers import callback_body
from metrics import normalize, store

# by hand, from Bootstrap's own stylesheet (--bs-success ... in bootstrap.min.css 5.3): a tier's badge
# elite success, high primary, medium warning, low danger; a band's green success, amber warning, red danger
GREEN, BLUE, YELLOW, RED, GREY = "#198754", "#0d6efd", "#ffc107", "#dc3545", "#6c757d"


def stored(name: str, rows: list) -> None:
    frame, report = normalize(pd.DataFrame(rows))
    assert report.rejected_count == 0
    store.append(name, frame)


def served(search: str) -> dict:
    """The main callback's answer for the link ``search``, as JSON (what the browser receives)."""
    client = create_app().server.test_client()
    dependencies = json.loads(client.get("/_dash-dependencies").get_data(as_text=True))
    main = next(d for d in dependencies if "url.search" in d["output"] and "tab-content.children" in d["output"])
    reply = client.post("/_dash-update-component", json=callback_body(main, {"search": search}))
    assert reply.status_code == 200
    return json.loads(reply.get_data(as_text=True))["response"]


def components(tree, out=None) -> list:
    """Every component (type and props) in a served tree."""
    out = [] if out is None else out
    if isinstance(tree, dict):
        if "type" in tree and isinstance(tree.get("props"), dict):
            out.append(tree)
        for value in tree.values():
            components(value, out)
    elif isinstance(tree, list):
        for value in tree:
            components(value, out)
    return out


def served_figures(answer: dict) -> dict:
    """Chart name -> its served figure (plain JSON)."""
    return {c["props"]["id"]["name"]: c["props"]["figure"] for c in components(answer)
            if c["type"] == "Graph" and isinstance(c["props"].get("id"), dict)}


def served_class(answer: dict, element_id: str) -> str:
    (found,) = [c["props"].get("className", "") for c in components(answer) if c["props"].get("id") == element_id]
    return found


def line_colours(figure: dict) -> list:
    return [shape["line"]["color"] for shape in figure["layout"].get("shapes", [])]


def deployments(failed: int, total: int = 20) -> list:
    """``total`` production deployments on Mon 2024-01-01 to Sun 2024-01-07, the first ``failed`` failed."""
    return [{"ts": f"2024-01-0{1 + i % 7}T{10 + i // 7:02d}:00:00Z", "kind": "deploy", "service": "api",
             "deploy_id": f"d{i}", "status": "failed" if i < failed else "success"} for i in range(total)]


# CFR = failed / deployments x 100 over the 7 days (all data); tiers: elite <= 5 %, high <= 10 %,
# medium <= 15 %, low above (METRICS.md section 3); 20 deployments: enough evidence for a tier
@pytest.mark.parametrize("failed, badge, colour", [(1, "text-bg-success", GREEN),     # 5 %: elite (on its edge)
                                                   (3, "text-bg-warning", YELLOW),    # 15 %: medium (on its edge)
                                                   (4, "text-bg-danger", RED)])       # 20 %: low
def test_served_cfr_bars_wear_the_cfr_tiers_colour(failed, badge, colour):
    stored("cfr", deployments(failed))
    answer = served("?data=cfr&days=0")
    assert badge in served_class(answer, "kpi-cfr-tier").split()
    cfr = served_figures(answer)["cfr"]
    assert cfr["data"][0]["marker"]["color"] == colour
    # the dashed lines at 5, 10 and 15 % wear the colour of the tier each bound closes: elite, high, medium
    assert [shape["y0"] for shape in cfr["layout"]["shapes"]] == [5.0, 10.0, 15.0]
    assert line_colours(cfr) == [GREEN, BLUE, YELLOW]


def test_served_pvm_bars_wear_their_bands_colour():
    """Three weeks from Mon 2024-01-01 (all data: 21 days, 15 working days), successful deployments
    10, 12 and 18 a week; 1 platform hour and 9,000 toil minutes.

    VCR: value 40 x 200 = 8,000 USD; cost (1 h + 9,000 / 60 h) x 150 = 151 x 150 = 22,650 USD;
    8,000 / 22,650 = 35.3 %: under 200 %, red.
    DTR: capacity 8 x 8 h x 15 days x 60 = 57,600 min; feature 57,600 - 9,000 = 48,600;
    9,000 / 48,600 = 18.5 %: over 10 % and at most 30 %, amber.
    IAR per week: the first has no week before it (grey); 10 -> 12 is +20 % (amber: 10-30 %);
    12 -> 18 is +50 % (green: >= 30 %)."""
    rows = []
    for week, count in enumerate((10, 12, 18)):
        rows += [{"ts": f"2024-01-{1 + 7 * week + i % 7:02d}T{8 + i // 7:02d}:00:00Z", "kind": "deploy",
                  "service": "api", "deploy_id": f"w{week}-{i}"} for i in range(count)]
    rows += [{"ts": "2024-01-02T09:00:00Z", "kind": "platform_investment_hour", "service": "platform", "metric_value": 1},
             {"ts": "2024-01-03T09:00:00Z", "kind": "toil", "service": "platform", "metric_value": 9000}]
    stored("pvm", rows)
    answer = served("?data=pvm&days=0&tab=pvm")
    assert "text-bg-danger" in served_class(answer, "kpi-vcr-band").split()
    assert "text-bg-warning" in served_class(answer, "kpi-dtr-band").split()
    charts = served_figures(answer)
    assert charts["vcr"]["data"][0]["marker"]["color"] == [GREY, RED]        # the previous period, this one
    assert charts["dtr"]["data"][0]["marker"]["color"] == [GREY, YELLOW]
    assert charts["iar"]["data"][0]["marker"]["color"] == [GREY, YELLOW, GREEN]
    # the bands' bounds: VCR 200 % (amber begins) and 1000 % (green); DTR 10 % (green ends), 30 % (red beyond);
    # IAR 10 % (amber) and 30 % (green)
    assert line_colours(charts["vcr"]) == [YELLOW, GREEN]
    assert line_colours(charts["dtr"]) == [GREEN, RED]
    assert line_colours(charts["iar"]) == [YELLOW, GREEN]


def test_threshold_lines_wear_their_tiers_colour():
    weekly = pd.DataFrame({"week": pd.to_datetime(["2024-01-01"], utc=True), "days": [7], "deployments": [10],
                           "failed_deployments": [2], "change_failure_rate_pct": [20.0]})
    fig = fg.change_failure_rate_weekly(weekly, [(5.0, "elite", "elite"), (10.0, "high", "high"),
                                                 (15.0, "medium", "medium"), (12.0, "no tier")], "light", RED)
    assert fig.data[0].marker.color == RED
    assert [s["line"]["color"] for s in fig.layout.shapes] == [GREEN, BLUE, YELLOW, GREY]   # a line without a tier: grey
    lead = fg.lead_time_distribution(pd.Series([1.0, 30.0, 200.0]).to_numpy(), 30.0, (24.0, "elite < 24 h"), "light")
    assert [s["line"]["color"] for s in lead.layout.shapes] == [GREEN, GREY]               # the elite bound, the median
