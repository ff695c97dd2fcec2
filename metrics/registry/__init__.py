"""The declarations the rest of the product is derived from: every metric (``metric``) and every
source of events (``source``), built-in and plug-in alike. Add a metric, a source or a control by
declaring it once; the command line, the dashboard, the JSON and the docs tables iterate over these.
``metric.py``: a metric's declaration (``MetricSpec``); the built-in ones are in ``metrics/builtin/``."""
