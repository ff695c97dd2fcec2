"""A link to a dashboard view from outside the page (alert messages, digests): the public address
(``METRICS_PUBLIC_URL``) and the view's URL query. The query names of the fields a link sets are
declared here once; the dashboard's view fields (``dashboard/fields.py``) take their names from it."""
from __future__ import annotations

import os
from urllib.parse import urlencode

from .schema import NS_PER_DAY

PUBLIC_URL_SETTING = "METRICS_PUBLIC_URL"
# the dashboard's view field -> its name in the URL query
VIEW_QUERY = {"dataset": "data", "days": "days", "tab": "tab", "only": "service", "start": "from", "end": "to",
              "teams": "team"}
ALL_DAYS = 0                            # days=0: the dataset's whole span, or the date range given


def public_url() -> str:
    """The dashboard's public address (``METRICS_PUBLIC_URL``, no trailing slash), "" when unset."""
    return os.environ.get(PUBLIC_URL_SETTING, "").strip().rstrip("/")


def view_link(dataset: str, window, team: str = "", service: str = "", tab: str = "dora") -> str:
    """The address of the dashboard's view of ``dataset`` over ``window`` (its first to its last
    day), narrowed to ``team`` or ``service``, on ``tab``; "" when ``METRICS_PUBLIC_URL`` is unset."""
    base = public_url()
    if not base:
        return ""
    from .window import Window
    last = Window(window.end_ns - NS_PER_DAY, window.end_ns).start
    params = {VIEW_QUERY["dataset"]: dataset, VIEW_QUERY["days"]: ALL_DAYS, VIEW_QUERY["tab"]: tab,
              VIEW_QUERY["start"]: str(window.start.date()), VIEW_QUERY["end"]: str(last.date())}
    if team:
        params[VIEW_QUERY["teams"]] = team
    if service:
        params[VIEW_QUERY["only"]] = service
    return f"{base}/?{urlencode(params)}"
