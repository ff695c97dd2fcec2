"""The AI tab's blocks that are not charts: DORA's AI capabilities beside measured facts, and a titled
text. Plain values in, Dash components out; nothing from ``metrics`` is imported (the tab's charts
are in ``components.figures``)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html


def capabilities_table(rows: list, element_id: str = "ai-capabilities") -> html.Div:
    """DORA's AI capabilities, each with its survey mean (``rows``: dicts with ``name``, ``mean``
    text, ``responses`` and ``facts``, texts of the measured facts related to it) as a table."""
    head = html.Thead(html.Tr([html.Th("DORA AI capability"), html.Th("Survey mean (1-5)"), html.Th("Answers"),
                               html.Th("Related measured facts")]))
    body = html.Tbody([html.Tr([html.Td(r["name"]), html.Td(r["mean"]), html.Td(f"{r['responses']:,}"),
                                html.Td("; ".join(r["facts"]) or "not measured from events")]) for r in rows])
    return html.Div([html.H6("DORA's AI Capabilities Model", className="mb-1"),
                     dbc.Table([head, body], size="sm", className="small mb-0", id=element_id)])


def text_block(title: str, paragraphs: list, element_id: str) -> html.Div:
    """A titled block of sentences (what a comparison can and cannot show)."""
    return html.Div([html.H6(title, className="mb-1"), *[html.P(p, className="small mb-2") for p in paragraphs]],
                    id=element_id)
