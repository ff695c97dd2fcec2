"""The grid a tab is drawn in: charts in cards, cards in rows, and how to read a tab back (its
shape and figures), so charts of the same shape stay mounted and are only redrawn."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

GRAPH_CONFIG = {"displaylogo": False}


def graph(name: str, figure) -> dcc.Graph:
    """A chart; its figure is also a callback output of its own, so it can be redrawn in place."""
    return dcc.Graph(id={"type": "chart", "name": name}, figure=figure, config=GRAPH_CONFIG,
                     className=f"metric-graph chart-{name}")


def panel(child, width: int = 6) -> dbc.Col:
    """A chart (or its empty state) in a card: Col > Card > CardBody > child."""
    return dbc.Col(dbc.Card(dbc.CardBody(child), className="h-100 chart-card"), lg=width, className="mb-3")


def cards_row(cards: list) -> dbc.Row:
    """KPI cards side by side (stacked on small screens)."""
    return dbc.Row([dbc.Col(c, xs=12, sm=6, lg=True, className="mb-3") for c in cards], className="g-3 kpi-row")


def content(tab: str, charts: dbc.Row) -> html.Div:
    """A tab's charts: Div > Row of panels."""
    return html.Div(charts, id=f"content-{tab}")


def panels(charts: dbc.Row) -> list:
    """The child of every panel (a graph or an empty state), in order."""
    return [col.children.children.children for col in charts.children]


def shape(tab: str, charts: dbc.Row) -> list:
    """The tab and, per panel, its chart's name or "empty"."""
    return [tab] + [c.id["name"] if isinstance(c, dcc.Graph) else "empty" for c in panels(charts)]


def figures(charts: dbc.Row) -> dict:
    """Chart name -> figure."""
    return {c.id["name"]: c.figure for c in panels(charts) if isinstance(c, dcc.Graph)}
