"""Building small event sets in tests."""
import pandas as pd

from metrics import Window, analyze, normalize, tables_from_frame
from metrics.compute.pvm import Assumptions


def ev(ts, kind, service="api", **fields):
    return {"ts": ts, "kind": kind, "service": service, **fields}


def analysis_of(rows, start="2024-01-01", end="2024-01-08", attribution_hours=24.0, **assumptions):
    frame, report = normalize(pd.DataFrame(rows) if rows else pd.DataFrame({"ts": [], "kind": [], "service": []}))
    assert report.rejected_count == 0, report.lines()
    return analyze(tables_from_frame(frame), Window.between(start, end), Assumptions(**assumptions),
                   attribution_hours=attribution_hours)


def assert_close(a, b, path="summary"):
    """Two summaries are equal, floats to 1e-9 relative (sums depend on the order of their terms)."""
    import pytest
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for key in a:
            assert_close(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9), path
    else:
        assert a == b, path
