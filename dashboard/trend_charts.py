"""The five DORA keys by month (windows of 90 days or more), one chart drawn on the DORA tab and, beside
the adoption of AI assistants, on the AI tab."""
from __future__ import annotations

from components import figures as fg
from metrics.builtin import BY_KEY
from metrics.compute.trends import DORA_TREND_KEYS


def trends_figure(an, theme: str, span: tuple):
    """The monthly trends of analysis ``an`` (``Analysis.trends``: months and the same months a year
    earlier), a small chart per DORA key in its registry label and unit."""
    return fg.monthly_trends(an.trends["months"], an.trends["previous_year"],
                             [(key, BY_KEY[key].label, BY_KEY[key].unit) for key in DORA_TREND_KEYS], theme, span)
