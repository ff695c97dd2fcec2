"""Tables of rows a person can sort and filter: the drill-down under the DORA charts."""
from __future__ import annotations

import pandas as pd
from dash import dash_table

TIME_FORMAT = "%Y-%m-%d %H:%M"
COLUMN_LABELS = {"ts": "time (UTC)", "start": "start (UTC)", "resolved": "resolved (UTC)",
                 "recovery_minutes": "recovery (min)", "deploy_id": "deployment", "incident_id": "incident",
                 "caused_incident": "caused an incident", "change_type": "change type"}


def data_table(table_id: str, frame: pd.DataFrame, times: tuple = (), numbers: tuple = ()) -> dash_table.DataTable:
    """A sortable, filterable, paged table of ``frame`` as text (cells are never HTML): ``times``
    columns as "YYYY-MM-DD HH:MM", ``numbers`` rounded to one decimal, booleans as "yes" or ""."""
    shown = frame.copy()
    for c in times:
        shown[c] = shown[c].dt.strftime(TIME_FORMAT).fillna("")
    for c in numbers:
        shown[c] = shown[c].round(1)
    for c in shown.columns:
        if shown[c].dtype == bool:
            shown[c] = shown[c].map({True: "yes", False: ""})
    return dash_table.DataTable(
        id=table_id, data=shown.to_dict("records"),
        columns=[{"name": COLUMN_LABELS.get(c, c.replace("_", " ")), "id": c} for c in shown.columns],
        page_size=10, sort_action="native", filter_action="native", style_table={"overflowX": "auto"},
        style_cell={"textAlign": "left", "padding": "4px 8px", "fontFamily": "inherit"},
        style_header={"fontWeight": 600})
