"""The app factory, the local CSS, /health, and ``python app.py`` argument errors."""
from conftest import run_cli

from dashboard.app import CSS_ROUTE, create_app
from dashboard.state import View


def test_each_app_gets_its_own_callbacks_and_defaults():
    a, b = create_app(), create_app(View(seed=7, days=30))
    assert a.callback_map and len(a.callback_map) == len(b.callback_map)
    assert a.server is not b.server


def test_health_and_local_bootstrap():
    client = create_app().server.test_client()
    assert client.get("/health").status_code == 200
    css = client.get(CSS_ROUTE)
    assert css.status_code == 200 and css.mimetype == "text/css" and b"Bootstrap  v5.3" in css.data
    page = client.get("/").get_data(as_text=True)
    assert CSS_ROUTE in page
    for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs", "fonts.googleapis"):
        assert cdn not in page


def test_app_arguments_are_checked():
    for args, message in ((["--seed", "x"], "seed must be a whole number"), (["--days", "4000"], "days must be a whole number between 1 and 3650, got 4000"),
                          (["--port", "70000"], "port must be a whole number between 1 and 65535"),
                          (["--dataset", "nothing"], "no dataset named 'nothing'")):
        p = run_cli("app.py", *args, module=None)
        assert p.returncode == 2 and message in p.stderr and "Traceback" not in p.stderr, p.stderr


def test_an_app_opening_on_a_dataset_can_still_go_synthetic():
    from dashboard.state import from_query, to_query
    defaults = View(dataset="shop", days=0)
    synthetic = View(seed=7, days=30)
    query = to_query(synthetic, defaults)
    assert "data=&" in query or query.endswith("data=")
    assert from_query(query, defaults) == (synthetic, [])
    assert from_query("", defaults) == (defaults, [])
