"""Building small event sets in tests."""
import pandas as pd

from metrics import Window, analyze, normalize, tables_from_frame
from metrics.pvm import Assumptions


def ev(ts, kind, service="api", **fields):
    return {"ts": ts, "kind": kind, "service": service, **fields}


def analysis_of(rows, start="2024-01-01", end="2024-01-08", **assumptions):
    frame, report = normalize(pd.DataFrame(rows) if rows else pd.DataFrame({"ts": [], "kind": [], "service": []}))
    assert report.rejected_count == 0, report.lines()
    return analyze(tables_from_frame(frame), Window.between(start, end), Assumptions(**assumptions))
