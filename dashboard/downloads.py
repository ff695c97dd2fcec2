"""What the download buttons deliver: the view's summary as JSON, its daily, weekly, deployment,
incident and PR (the PRs behind lead time, slowest first) tables as CSV. Pure functions of the analysis, so their content is unit-tested.

Cells that a spreadsheet would run as a formula (text starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return, as a service name ``=HYPERLINK(...)`` would) are written with a leading
``'``, so the spreadsheet shows them as text (OWASP's advice against CSV injection).
"""
from __future__ import annotations

import json

import pandas as pd
from dash import dcc

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BUTTONS = {"download-daily": "daily", "download-weekly": "weekly", "download-deployments": "deployments",
           "download-incidents": "incidents", "download-prs": "prs"}


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell that starts like a formula prefixed with ``'``."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            text = out[column]
            risky = text.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_STARTS))
            if risky.any():
                out[column] = text.where(~risky, "'" + text.astype(str))
    return out


def table_of(name: str, analysis) -> pd.DataFrame:
    """The table a CSV button downloads: ``daily``, ``weekly``, ``deployments``, ``incidents`` or ``prs``."""
    return {"daily": lambda: analysis.daily, "weekly": lambda: analysis.weekly,
            "deployments": lambda: analysis.deployments, "incidents": lambda: analysis.incidents,
            "prs": analysis.pr_rows}[name]()


def file_stem(view, analysis) -> str:
    """``metrics-<dataset or seedN>-<days>d-<end date>``."""
    source = view.dataset if view.dataset else f"seed{view.seed}"
    return f"metrics-{source}-{analysis.window.days}d-{analysis.window.end.date()}"


def download(button: str, view, analysis) -> dict:
    """The file a download button delivers (``dcc.Download``'s data)."""
    stem = file_stem(view, analysis)
    if button == "download-json":
        return dcc.send_string(json.dumps(analysis.summary, indent=2), f"{stem}-summary.json")
    name = BUTTONS[button]
    return dcc.send_data_frame(spreadsheet_safe(table_of(name, analysis)).to_csv, f"{stem}-{name}.csv", index=False)
