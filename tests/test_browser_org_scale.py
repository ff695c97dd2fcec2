"""An organisation of 300 services in headless Chromium: the service selector searches, the Teams
tab sorts, the timeline groups the services beyond its readable rows.

The dataset is crafted so that every expected value is worked out by hand: services svc-000 to
svc-299 over the 14 days 2024-01-01 to 2024-01-14; svc-000 to svc-007 deploy every day (14 each),
the 292 others once. Teams: alpha owns svc-000 to svc-009 (8 x 14 + 2 = 114 deployments, 8.14 a
day: elite), bravo svc-010 to svc-019 (10, 0.71 a day: high, at least one a week), charlie svc-020
only (1, 0.07 a day: no tier, too little evidence). Nothing else is in the data, so no team has an
overall tier. It is stored once for the module (browser tests are
slow)."""
import pandas as pd
import pytest

from dash.testing.wait import until

from browser_helpers import TIER_RGBA, team_cell
from helpers import ev
from test_browser import choose, no_console_errors
from test_browser_data import start

pytestmark = pytest.mark.browser
TEAMS = '[teams.alpha]\nservices = ["svc-00*"]\n[teams.bravo]\nservices = ["svc-01*"]\n' \
        '[teams.charlie]\nservices = ["svc-020"]\n'
WINDOW = "data=org&from=2024-01-01&to=2024-01-14"


def org_rows() -> list[dict]:
    day = "2024-01-{:02d}T10:00:00Z".format
    rows = [ev(day(d), "deploy", f"svc-{s:03d}", deploy_id=f"svc-{s:03d}-{d}") for s in range(8) for d in range(1, 15)]
    rows += [ev(day(1 + s % 14), "deploy", f"svc-{s:03d}", deploy_id=f"svc-{s:03d}-1") for s in range(8, 300)]
    return rows


@pytest.fixture(scope="module")
def org_dir(tmp_path_factory):
    from metrics import normalize, store
    directory = tmp_path_factory.mktemp("org") / "datasets"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("METRICS_DATA_DIR", str(directory))
        frame, report = normalize(pd.DataFrame(org_rows()))
        assert report.rejected_count == 0 and len(frame) == 8 * 14 + 292
        store.save("org", frame)
    (directory / "teams.toml").write_text(TEAMS, encoding="utf-8")
    return directory


@pytest.fixture
def org(org_dir, monkeypatch):
    """The module's dataset as this test's data directory."""
    monkeypatch.setenv("METRICS_DATA_DIR", str(org_dir))
    monkeypatch.delenv("METRICS_TEAMS", raising=False)
    return org_dir


def options(duo) -> list[str]:
    """The texts of the open dropdown's options on screen."""
    return [o.text.strip() for o in duo.find_elements("[role=option]")]


def timeline(duo, what: str):
    return duo.driver.execute_script(
        f"const g = document.querySelector('.chart-timeline .js-plotly-plot'); return g && g.layout && {what};")


def test_the_service_selector_searches_and_the_timeline_groups_300_services(dash_duo, org):
    duo = start(dash_duo, f"/?{WINDOW}")
    duo.wait_for_text_to_equal("#kpi-deploys-value", "28.86 /day", timeout=20)          # 404 deployments / 14 days
    # the timeline: the 8 services that deploy every day have a row each, the other 292 share one
    duo.wait_for_element(".chart-timeline .js-plotly-plot", timeout=20)
    rows = timeline(duo, "g.layout.yaxis.categoryarray")
    assert rows == ["other (292 services)"] + [f"svc-{s:03d}" for s in range(7, -1, -1)]
    assert timeline(duo, "g.data[0].y.filter(y => y === 'other (292 services)').length") == 292
    duo.wait_for_contains_text(".chart-timeline", "The 8 busiest of 300 services (deployments and incidents) have a "
                                                  "row each; the other 292 share the last row.", timeout=10)
    # the service selector: typing narrows its 300 choices to the ten that match
    box = duo.find_element("#service-filter")
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
    box.click()
    search = duo.wait_for_element(".dash-dropdown-search", timeout=10)
    # the menu draws only the options in view (it is virtualised): svc-290 is far below them
    until(lambda: "svc-000" in options(duo), timeout=10)
    assert "svc-290" not in options(duo)
    search.send_keys("svc-29")
    until(lambda: len(options(duo)) == 10, timeout=10)
    assert sorted(options(duo)) == [f"svc-{s}" for s in range(290, 300)]
    search.send_keys("5")
    until(lambda: options(duo) == ["svc-295"], timeout=10)
    duo.driver.execute_script("arguments[0].click()", duo.find_elements("[role=option]")[0])
    duo.wait_for_text_to_equal("#kpi-deploys-value", "0.07 /day", timeout=20)             # its one deployment
    assert "service=svc-295" in duo.driver.current_url
    no_console_errors(duo)


def test_the_teams_tab_sorts(dash_duo, org):
    duo = start(dash_duo, f"/?{WINDOW}&tab=teams", ready="#teams-table")
    # worst first by default; but no team has an overall tier (METRICS.md section 6: it needs all four, and
    # the data holds no PRs and no incidents), so the name order. Deployment frequency: alpha elite, bravo
    # high (10 deployments), charlie none (1 deployment in 14 days: too little evidence, section 3)
    rows = (("alpha", "8.14 /day", "ELITE"), ("bravo", "0.71 /day", "HIGH"), ("charlie", "0.07 /day", "no tier"))
    for i, (team, deploys, tier) in enumerate(rows):
        duo.wait_for_text_to_equal(team_cell(i, "team"), team, timeout=20)
        duo.wait_for_text_to_equal(team_cell(i, "deploys"), deploys, timeout=10)
        duo.wait_for_text_to_equal(team_cell(i, "deploys-tier"), tier, timeout=10)
        assert duo.find_element(team_cell(i, "deploys-tier")).value_of_css_property("background-color") == TIER_RGBA[tier]
        duo.wait_for_text_to_equal(team_cell(i, "overall"), "no tier", timeout=10)
    choose(duo, "teams-order", "Deployment frequency, worst first")
    duo.wait_for_text_to_equal(team_cell(0, "deploys"), "0.07 /day", timeout=20)
    assert [duo.find_element(team_cell(i, "team")).text for i in range(3)] == ["charlie", "bravo", "alpha"]
    choose(duo, "teams-order", "Name, A to Z")
    duo.wait_for_text_to_equal(team_cell(0, "deploys"), "8.14 /day", timeout=20)
    assert [duo.find_element(team_cell(i, "team")).text for i in range(3)] == ["alpha", "bravo", "charlie"]
    assert "order=name" in duo.driver.current_url
    # the order is the Teams control's: the table's headers do not sort it
    assert not duo.find_elements("#teams-table .column-header--sort")
    # the control belongs to the Teams tab
    assert duo.find_element("#teams-panel").is_displayed()
    duo.find_element("#tab-dora").click()
    until(lambda: not duo.find_element("#teams-panel").is_displayed(), timeout=10)
    no_console_errors(duo)
