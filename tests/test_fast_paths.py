"""The fast paths give what the plain ones give: ``store.load_tables`` (tables from the stored codes)
against ``tables_from_frame(store.load(...))`` and the synthetic universe's own tables."""
import json

import numpy as np
import pandas as pd
import pytest

from metrics import analyze, frame_from_tables, generate, store, tables_from_frame

END = "2026-11-22"
TABLES = ("deploys", "incidents", "prs", "reviews", "merges", "surveys", "platform", "response", "toil", "onboarding")


def summary_json(tables, window) -> str:
    return json.dumps(analyze(tables, window).summary, sort_keys=True, default=str)


def assert_same_tables(a, b):
    for attr in TABLES:
        pd.testing.assert_frame_equal(getattr(a, attr), getattr(b, attr), obj=attr)
    for attr in ("services", "deploy_names", "incident_names", "pr_names"):
        assert np.array_equal(getattr(a, attr), getattr(b, attr)), attr
    if a.other is None or b.other is None:
        assert a.other is None and b.other is None
    else:
        pd.testing.assert_frame_equal(a.other, b.other, obj="other")


def store_in_segments(name, frame, parts=3):
    for chunk in np.array_split(np.arange(len(frame)), parts):
        store.append(name, frame.iloc[chunk])


def test_load_tables_gives_the_synthetic_universes_numbers():
    u = generate(60, 7, services=4, end=END)
    store_in_segments("synthetic", frame_from_tables(u.tables))
    fast = store.load_tables("synthetic")
    assert_same_tables(fast, tables_from_frame(store.load("synthetic")))
    assert summary_json(fast, u.window) == summary_json(tables_from_frame(store.load("synthetic")), u.window)
    direct, via_store = analyze(u.tables, u.window).summary, analyze(fast, u.window).summary
    for section in ("dora", "space", "pvm"):
        for key, value in direct[section].items():
            assert via_store[section][key] == (pytest.approx(value) if isinstance(value, float) else value), key


def test_load_tables_with_other_kinds_missing_ids_and_defaults():
    u = generate(20, 42, services=2, end=END)
    frame = frame_from_tables(u.tables)
    t = frame["ts"].iloc[-1]
    extra = pd.DataFrame({
        "ts": [t + pd.Timedelta(minutes=i) for i in range(1, 6)],
        "kind": ["deploy", "deploy", "custom_kind", "deploy", "custom_kind"],
        "service": ["api", "web", "api", "new-svc", "team"],
        "deploy_id": ["", "d-x", "", "d-y", ""],
        "incident_id": "", "pr_id": "",
        "metric_value": [np.nan, np.nan, 3.5, np.nan, np.nan],
        "status": ["failed", "success", "", "success", ""],
        "change_type": ["hotfix", "rollback", "", "feature", ""],
        "environment": ["staging", "production", "", "qa", ""],
        "author": ["", "ann", "bob", "", ""],
    })
    store_in_segments("mixed", frame)
    store.append("mixed", extra)
    fast, plain = store.load_tables("mixed"), tables_from_frame(store.load("mixed"))
    assert_same_tables(fast, plain)
    assert len(fast.other) == 2 and list(fast.other["author"]) == ["bob", ""]
    assert summary_json(fast, u.window) == summary_json(plain, u.window)


def test_load_tables_of_a_missing_dataset_is_a_store_error():
    with pytest.raises(store.StoreError, match="no dataset named 'nothing'"):
        store.load_tables("nothing")


def test_tables_from_a_categorical_frame_are_the_tables_of_the_text_frame():
    frame = frame_from_tables(generate(20, 99, services=3, end=END).tables)
    categorical = frame.copy()
    for c in ("kind", "service", "deploy_id", "incident_id", "pr_id", "status", "change_type", "environment"):
        categorical[c] = categorical[c].astype("category")
    assert_same_tables(tables_from_frame(categorical), tables_from_frame(frame))
