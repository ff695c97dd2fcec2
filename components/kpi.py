"""KPI cards: data in, a ``dbc.Card`` out (after Vizro's ``figures/_kpi_cards.py``)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from .colours import BAND_COLOURS, NO_TIER, TIER_COLOURS


def change(current: float | None, previous: float | None, unit: str) -> tuple[str, float | None]:
    """Text and signed size of the change from ``previous`` to ``current``.

    Percentages (``unit == "%"``) change by percentage points; other values by a relative %,
    relative to the size of ``previous`` (so its sign is the direction even from a negative value).
    From 0 the change is "new", its size +1 or -1 as ``current`` rose or fell.
    Returns ("no previous value", None) when there is nothing to compare with.
    """
    if current is None or previous is None:
        return "no previous value", None
    if unit == "%":
        diff = current - previous
        return f"{diff:+.1f} pp", diff
    if previous == 0:      # no relative change from 0: "new", signed by the direction it moved
        return ("no change", 0.0) if current == 0 else ("new", 1.0 if current > 0 else -1.0)
    rel = (current - previous) / abs(previous) * 100      # abs: from -10 to -5 is a rise, +50 %
    return f"{rel:+.0f} %", rel


def delta_line(current: float | None, previous: float | None, unit: str, reverse_color: bool = False,
               coloured: bool = True) -> tuple[str, str]:
    """The change from ``previous`` to ``current`` as shown ("▲ +12 %") and its colour class: green
    when better, red when worse (``reverse_color``: lower is better), grey when none or when not
    ``coloured`` (a period holds too little evidence to call the change better or worse)."""
    text, delta = change(current, previous, unit)
    if delta is None or delta == 0:
        return text, "text-body-secondary"
    shown = ("▲ " if delta > 0 else "▼ ") + text
    if not coloured:
        return shown, "text-body-secondary"
    good = (delta > 0) != reverse_color
    return shown, "text-success" if good else "text-danger"


def tier_badge(tier: str | None, threshold: str | None, badge_id: str | None = None):
    """A badge naming a DORA tier; hovering it shows the threshold that placed the value there."""
    if tier is None:
        return html.Span("no tier", className=f"badge text-bg-{NO_TIER}", title="not enough data for a tier",
                         **({"id": badge_id} if badge_id else {}))
    return html.Span(tier.upper(), className=f"badge text-bg-{TIER_COLOURS[tier]}", title=f"{tier}: {threshold}",
                     **({"id": badge_id} if badge_id else {}))


def kpi_card(card_id: str, title: str, value: float | None, fmt: str = "{:.1f}", unit: str = "",
             previous: float | None = None, previous_label: str = "previous period", reverse_color: bool = False,
             tier: str | None = None, tier_threshold: str | None = None, show_tier: bool = False,
             band: str | None = None, footnote: str | None = None, caution: str | None = None,
             score: str | None = None, score_hint: str | None = None, score_band: str | None = None,
             muted: bool = False, coloured_change: bool = True) -> dbc.Card:
    """One headline number with its change against the previous period.

    Args:
        card_id: prefix of the element ids (``{card_id}-value``, ``{card_id}-delta``, ``{card_id}-tier``).
        title: what the number is, in the terms of METRICS.md.
        value: the number, or None for "n/a".
        fmt: format string for the number.
        unit: shown after the number ("%", " h", " /day" ...); "%" makes the change percentage points.
        previous: the same metric over the previous period of equal length (None: not available).
        previous_label: how the previous period is named in the change line.
        reverse_color: True where lower is better (recovery time, CFR, DTR): a fall is then green.
        tier / tier_threshold / show_tier: the DORA tier badge and the threshold shown on hover.
        band: a traffic-light band ("green", "amber", "red") shown as a coloured badge.
        footnote: a small line under the number (for example the p95 or the counts behind a ratio).
        caution: a visible warning line under it ("low sample: n=6 ..."), id ``{card_id}-caution``.
        score / score_hint: a second badge beside the tier ("QC 6.0/10", id ``{card_id}-score``) and its hover text.
        score_band: that badge's traffic-light colour ("green", "amber", "red"); None: a neutral badge.
        muted: the number greyed (``text-body-secondary``): too little evidence to judge it (no tier,
            no score; the caution says why).
        coloured_change: False shows the change grey, neither better nor worse (a period holds too
            little evidence to judge).
    """
    text = "n/a" if value is None else fmt.format(value) + unit
    delta_text, colour = delta_line(value, previous, unit, reverse_color, coloured_change)
    header = [html.Span(title, className="kpi-title")]
    if show_tier:
        header.append(tier_badge(tier, tier_threshold, f"{card_id}-tier"))
    if score:
        look = f"text-bg-{BAND_COLOURS[score_band]}" if score_band else "text-bg-light border"
        header.append(html.Span(score, className=f"badge {look}", id=f"{card_id}-score", title=score_hint))
    if band:
        header.append(html.Span(band.upper(), className=f"badge text-bg-{BAND_COLOURS[band]}", id=f"{card_id}-band",
                                title="green: target reached; amber: acceptable; red: below the default"))
    body = [
        html.Div(header, className="d-flex justify-content-between align-items-start gap-2 flex-wrap"),
        html.Div(text, id=f"{card_id}-value", className="kpi-value text-body-secondary" if muted else "kpi-value"),
        html.Div(f"{delta_text} vs {previous_label}", id=f"{card_id}-delta", className=f"kpi-delta {colour}"),
    ]
    if footnote:
        body.append(html.Div(footnote, className="kpi-footnote text-body-secondary"))
    if caution:
        body.append(caution_line(caution, f"{card_id}-caution"))
    return dbc.Card(dbc.CardBody(body), className="kpi-card h-100", id=card_id)


def caution_line(text: str, element_id: str) -> html.Div:
    """A card's warning: the number stands on too little data, or means something else than its title says."""
    return html.Div(["⚠ ", text], id=element_id, className="kpi-caution")


def empty_state(message: str, element_id: str | None = None) -> html.Div:
    """What a chart shows when it has nothing to draw: a sentence, never an empty axis."""
    return html.Div(message, className="empty-state text-body-secondary", role="status",
                    **({"id": element_id} if element_id else {}))


def overall_card(card_id: str, title: str, tier: str | None, previous: str | None, moved: str | None,
                 caution: str | None = None) -> dbc.Card:
    """The overall DORA tier (the worst of the four), and how it moved since the previous period
    (``moved``: "better than", "worse than", "same as" or None when either tier is missing);
    ``caution``: a warning line (tiers placed from low samples). Element ids as ``kpi_card``'s."""
    if moved is None:
        delta = "worst of the four tiers"
    elif moved == "same as":
        delta = "same as before"
    else:
        delta = f"{moved} the previous period ({previous})"
    return dbc.Card(dbc.CardBody([
        html.Div(html.Span(title, className="kpi-title")),
        html.Div((tier or "n/a").upper(), id=f"{card_id}-value", className="kpi-value"),
        html.Div(tier_badge(tier, "the worst of the four tiers"), className="mb-1"),
        html.Div(delta, id=f"{card_id}-delta", className="kpi-delta text-body-secondary"),
    ] + ([caution_line(caution, f"{card_id}-caution")] if caution else [])), className="kpi-card h-100", id=card_id)


def card_group(title: str, row, element_id: str, note: str | None = None) -> html.Div:
    """A titled group of cards (DORA's throughput and instability), with an optional line under the title."""
    head = [html.H6(title, className="kpi-group-title mb-1")]
    if note:
        head.append(html.Div(note, className="small text-body-secondary mb-2", id=f"{element_id}-note"))
    return html.Div(head + [row], id=element_id, className="kpi-group mb-2")


def problem_line(text: str, element_id: str) -> html.Div:
    """One sentence saying what could not be shown and why (a plug-in that failed): never a traceback."""
    return html.Div(["⚠ ", text], id=element_id, className="alert alert-warning py-2 px-3 mb-2 small", role="alert")


def how_to(title: str, lines: list[str], code: str, element_id: str) -> html.Div:
    """A short how-to in place of an empty tab: a title, a few sentences and a code sample."""
    return html.Div([html.H5(title), *[html.P(line, className="mb-2") for line in lines],
                     html.Pre(code, className="p-3 border rounded small")], id=element_id, className="mb-3")


def headline_box(sentences: list[str], element_id: str = "headline") -> html.Div:
    """The page's headline: one sentence per framework, its name in bold (what changed most, what
    is good, what needs attention)."""
    lines = []
    for i, text in enumerate(sentences):
        name, _, rest = text.partition(": ")
        lines.append(html.Div([html.Strong(name + ": "), rest], id=f"{element_id}-{i}", className="headline-line"))
    return html.Div(lines, className="headline")
