"""Tables of rows a person can sort and filter: the drill-down under the DORA charts."""
from __future__ import annotations

import re

import pandas as pd
from dash import dash_table

TIME_FORMAT = "%Y-%m-%d %H:%M"
COLUMN_LABELS = {"ts": "time (UTC)", "start": "start (UTC)", "resolved": "resolved (UTC)",
                 "recovery_minutes": "recovery (min)", "deploy_id": "deployment", "incident_id": "incident",
                 "caused_incident": "caused an incident", "change_type": "change type",
                 "pr_id": "PR", "size_lines": "lines changed", "lines_added": "+ added", "lines_removed": "\u2212 removed",
                 "files_changed": "files", "coding_hours": "coding (h)", "pickup_hours": "pickup (h)",
                 "review_hours": "review (h)", "deploy_hours": "deploy (h)", "lead_time_hours": "lead time (h)"}
# what Markdown could read as markup in a cell's text: every ASCII punctuation character (CommonMark
# lets a backslash escape each of them)
MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def markdown_text(text) -> str:
    """``text`` as Markdown that shows exactly it (every punctuation character escaped)."""
    return MARKDOWN_PUNCTUATION.sub(r"\\\1", str(text))


def linked(texts: pd.Series, urls: pd.Series) -> list[str]:
    """Each text as a Markdown cell: a link to its address where it has one ("" : none), else the text."""
    return [f"[{markdown_text(t)}]({u})" if u else markdown_text(t) for t, u in zip(texts, urls, strict=True)]


def data_table(table_id: str, frame: pd.DataFrame, times: tuple = (), numbers: tuple = (), links: dict | None = None,
               sort_by: tuple = ()) -> dash_table.DataTable:
    """A sortable, filterable, paged table of ``frame`` as text (cells are never HTML): ``times``
    columns as "YYYY-MM-DD HH:MM", ``numbers`` rounded to one decimal, booleans as "yes" or "".
    ``links``: column -> the column holding each row's address (not shown): the cell links to it
    where there is one (Markdown, its text escaped; opened in a new tab). ``sort_by``: (column,
    "asc" or "desc") the rows are shown sorted by at first (as they come: the table says so)."""
    links = links or {}
    shown = frame.copy()
    for c in times:
        shown[c] = shown[c].dt.strftime(TIME_FORMAT).fillna("")
    for c in numbers:
        shown[c] = shown[c].round(1)
    for c in shown.columns:
        if shown[c].dtype == bool:
            shown[c] = shown[c].map({True: "yes", False: ""})
    for c, url in links.items():
        shown[c] = linked(shown[c], shown[url])
    shown = shown.drop(columns=list(links.values()))
    columns = [{"name": COLUMN_LABELS.get(c, c.replace("_", " ")), "id": c} for c in shown.columns]
    for column in columns:
        if column["id"] in links:
            column["presentation"] = "markdown"
    return dash_table.DataTable(
        id=table_id, data=shown.to_dict("records"), columns=columns,
        page_size=10, sort_action="native", filter_action="native", style_table={"overflowX": "auto"},
        sort_by=[{"column_id": c, "direction": d} for c, d in sort_by],
        markdown_options={"link_target": "_blank", "html": False},
        style_cell={"textAlign": "left", "padding": "4px 8px", "fontFamily": "inherit"},
        style_header={"fontWeight": 600})
