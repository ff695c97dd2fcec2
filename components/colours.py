"""The colours of the badges (tiers, bands) and of the charts that stand beside them, in one place.

A badge is a Bootstrap ``text-bg-<name>`` class; ``BADGE_HEX`` is what each of those names paints
in the stylesheet the app serves (Bootstrap 5.3), so a chart drawn in a tier's or band's colour
is the colour of its card's badge. Imports nothing (no Dash, no Plotly).
"""
from __future__ import annotations

TIER_COLOURS = {"elite": "success", "high": "primary", "medium": "warning", "low": "danger"}
BAND_COLOURS = {"green": "success", "amber": "warning", "red": "danger"}
NO_TIER = "secondary"                   # the "no tier" badge, and a chart of a metric without one

# Bootstrap 5.3's theme colours (--bs-success ...); a badge's text is black on warning, white otherwise
BADGE_HEX = {"success": "#198754", "primary": "#0d6efd", "warning": "#ffc107", "danger": "#dc3545",
             "secondary": "#6c757d"}
BADGE_TEXT = {name: "#000" if name == "warning" else "#fff" for name in BADGE_HEX}


def tier_hex(tier: str | None) -> str:
    """The colour of ``tier``'s badge (grey for None: no tier)."""
    return BADGE_HEX[TIER_COLOURS.get(tier, NO_TIER)]


def band_hex(band: str | None) -> str:
    """The colour of a traffic-light ``band``'s badge (grey for None)."""
    return BADGE_HEX[BAND_COLOURS.get(band, NO_TIER)]


def text_on(colour: str) -> str:
    """The text colour a badge of ``colour`` (one of ``BADGE_HEX``'s) writes in; white for others."""
    return next((BADGE_TEXT[n] for n, c in BADGE_HEX.items() if c == colour), "#fff")
