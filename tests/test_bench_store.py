"""``python -m bench.store --database URL``: a bad URL is one sentence (never the password) and exit 2;
the 30-day view's cell says "not measured" in a version without the window-limited load."""
from bench.store import main, view_cell


def test_a_bad_database_url_is_one_sentence_and_exit_2(capsys):
    assert main(["--database", "mysql://ann:hunter2@db.example.com/metrics"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: METRICS_DATABASE_URL must start with postgresql://") and "hunter2" not in err
    assert err.count("\n") == 1


def test_the_view_cell():
    assert view_cell({"missing": "metrics.store.load_window"}) == \
        "not measured (this version has no metrics.store.load_window)"
    assert view_cell({"seconds": 0.25, "rows": 81_234, "of": 10_000_000, "window_only": True}) == \
        "0.250 s, 81,234 of 10,000,000 rows read (its window)"
    assert view_cell({"seconds": 3.5, "rows": 10_000_000, "of": 10_000_000, "window_only": False}) == \
        "3.500 s, 10,000,000 of 10,000,000 rows read (the whole dataset)"
    assert view_cell(None) == "left out (--view-events 0)"
