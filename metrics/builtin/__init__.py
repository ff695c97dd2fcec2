"""The built-in metrics, each declared once as a ``metrics.registry.metric.MetricSpec``: DORA
(``dora.py``, the cycle-time stages in ``stages.py``), PR and batch size (``size.py``), SPACE (``space.py``), platform value (``pvm.py``) and the extension patterns
(``extensions.py``). ``METRICS`` holds them in the order of the summary's JSON keys; a metric is
added by declaring it in one of these modules (its card, JSON key, console line, docs row and
``python -m metrics metrics`` entry follow from the declaration)."""
from __future__ import annotations

from . import dora, extensions, pvm, size, space, stages
from .context import Context

METRICS = tuple(dora.METRICS + stages.METRICS + size.METRICS + space.METRICS + pvm.METRICS + extensions.METRICS)
BY_KEY = {spec.key: spec for spec in METRICS}

__all__ = ["METRICS", "BY_KEY", "Context"]
