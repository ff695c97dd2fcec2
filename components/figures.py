"""Figure builders: plain frames and numbers in, ``plotly.graph_objects`` figures out.

They draw what the core computed (daily and weekly tables, marks, threshold tables passed in as
plain (value, label) pairs) and import nothing from ``metrics``. Everything is aggregated on the
server: a figure's size depends on the window's days, not on the number of events (the timeline
bins its marks by day when there are too many to draw one by one).
"""
from __future__ import annotations

from html import escape

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .colours import BADGE_HEX, band_hex, text_on, tier_hex

COLOURS = {"dora": BADGE_HEX["primary"], "space": BADGE_HEX["success"], "pvm": "#6f42c1", "bad": BADGE_HEX["danger"],
           "warn": "#fd7e14", "muted": BADGE_HEX["secondary"], "good": BADGE_HEX["success"], "goal": "#d63384",
           "note": "#6610f2"}
NS_PER_DAY = pd.Timedelta(days=1).value
NOT_YET = np.iinfo(np.int64).min        # the core's missing time (an open incident's resolution)
MAX_MARKS = 1500          # beyond this many deployments (or incidents), the timeline draws daily bins
TIMELINE_ROWS = 8         # services with most activity get a row each; the rest share one
MAX_NOTE_MARKS = 60       # annotation markers on a time chart at most: beyond, nearby ones share one
NOTES_A_MARK = 5          # the texts a marker's hover lists; the rest are counted ("and 3 more")
NOTE_AXIS = "y9"          # the hidden 0-1 axis the annotation markers stand on (the chart's own axes are y, y2)


THEMES = {
    # the few colours a theme needs; no Plotly template is embedded (they cost ~40 ms and ~7 KB a figure)
    "light": {"font": "#212529", "grid": "#e9ecef", "zero": "#ced4da"},
    "dark": {"font": "#f2f5fa", "grid": "#343a40", "zero": "#6c757d"},
}


LABEL_GAP = 0.1          # paper height between two threshold labels' middles (a label is ~15 px of ~210)


def spread(ys, gap: float = LABEL_GAP, lo: float = 0.0, hi: float = 1.0) -> list[float]:
    """Positions (paper fractions) as near ``ys`` as they can be with at least ``gap`` between any
    two, all within [lo + gap / 2, hi - gap / 2]: where threshold labels go so none covers another.
    Returned in the order of ``ys``."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    placed = [0.0] * len(ys)
    floor = lo + gap / 2
    for i in order:                              # upwards: each at its place or just above the one below
        placed[i] = floor = max(ys[i], floor)
        floor += gap
    ceiling = hi - gap / 2
    for i in reversed(order):                    # then down from the top, when the pile went above it
        placed[i] = ceiling = min(placed[i], ceiling)
        ceiling -= gap
    return placed


def threshold_label(text: str, colour: str, **where) -> dict:
    """A threshold line's label as a small badge in the line's colour (readable over bars)."""
    return {"text": text, "showarrow": False, "font": {"color": text_on(colour), "size": 11}, "bgcolor": colour,
            "borderpad": 2, "opacity": 0.95, **where}


def _figure(traces, title: str, theme: str, y_title: str = "", x_title: str = "", height: int = 320,
            lines=(), vlines=(), hovermode: str = "x unified", subtitle: str = "", y_range=None, **layout) -> go.Figure:
    """One figure: traces, a titled layout in the theme's colours, dashed threshold lines; a
    ``subtitle`` is a sentence under the title (what the figure left out or grouped).

    ``lines`` are (y, label, colour) horizontal lines; ``vlines`` (x, label, colour) vertical ones.
    With ``y_range`` (the y axis's fixed [low, high]) the lines' labels are spread apart so that
    none covers another (``spread``); the vertical lines' labels are stacked down from the top.
    """
    c = THEMES.get(theme, THEMES["light"])
    axis = {"gridcolor": c["grid"], "zerolinecolor": c["zero"], "linecolor": c["zero"]}
    shapes, notes = [], []
    if y_range is not None:
        lo, hi = y_range
        at = spread([(y - lo) / (hi - lo) for y, _, _ in lines])
        where = [{"yref": "paper", "y": p, "yanchor": "middle"} for p in at]
    else:
        where = [{"y": y, "yanchor": "bottom"} for y, _, _ in lines]
    for (y, text, colour), place in zip(lines, where):
        shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": y, "y1": y,
                       "line": {"dash": "dash", "color": colour, "width": 1.5}})
        notes.append(threshold_label(text, colour, xref="paper", x=1, xanchor="right", **place))
    for i, (x, text, colour) in enumerate(vlines):
        shapes.append({"type": "line", "yref": "paper", "y0": 0, "y1": 1, "x0": x, "x1": x,
                       "line": {"dash": "dash", "color": colour, "width": 1.5}})
        notes.append(threshold_label(text, colour, yref="paper", y=1 - LABEL_GAP * i, x=x, xanchor="left",
                                     yanchor="top"))
    if y_range is not None:
        layout["yaxis"] = {**layout.get("yaxis", {}), "range": list(y_range)}
    base = {
        "template": "none", "title": {"text": title, "x": 0.01, "font": {"size": 15},
                                      **({"subtitle": {"text": subtitle}} if subtitle else {})}, "height": height,
        "font": {"color": c["font"], "family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12},
        "margin": {"l": 55, "r": 20, "t": 78 if subtitle else 60, "b": 45}, "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"},
        "hovermode": hovermode, "xaxis": {**axis, "title": {"text": x_title}}, "yaxis": {**axis, "title": {"text": y_title}},
        "shapes": shapes, "annotations": notes,
    }
    for key, value in layout.items():
        base[key] = {**base[key], **value} if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    # the traces were validated when built; validating the assembled figure again costs ~4 ms a
    # figure on the hot path, so it is skipped here and done in full by the component tests
    return go.Figure(data=list(traces), layout=base, _validate=False)


def as_text(names) -> list[str]:
    """Names (services, ids) as Plotly shows text: HTML-escaped, so ``<a href=...>`` in a name is
    shown as those characters, never as a live link (Plotly renders a subset of HTML in labels)."""
    return [escape(str(n), quote=False) for n in names]


def _dates(ns) -> pd.DatetimeIndex:
    return pd.to_datetime(np.asarray(ns, dtype=np.int64), utc=True, unit="ns")


def iso_times(ns) -> np.ndarray:
    """Times (ns since the epoch, UTC; ``NOT_YET``: none) as the text Plotly's JSON encoder makes of
    a UTC ``pd.Timestamp`` (its ``isoformat()``: "2024-01-01T09:30:00+00:00", a fraction only when
    there is one, of 6 or 9 digits), None where there is no time: the same figure, without a
    Timestamp object a point to copy and encode (most of a large chart's cost)."""
    ns = np.asarray(ns, dtype=np.int64)
    out = np.full(len(ns), None, dtype=object)
    known, fraction = ns != NOT_YET, ns % 1_000_000_000
    whole = known & (fraction == 0)
    micro = known & ~whole & (fraction % 1000 == 0)
    for pick, unit in ((whole, "s"), (micro, "us"), (known & ~whole & ~micro, "ns")):
        if pick.any():               # each time written in the unit that holds it exactly
            text = np.datetime_as_string(ns[pick].view("datetime64[ns]").astype(f"datetime64[{unit}]"))
            out[pick] = np.char.add(text, "+00:00")
    return out


WEEK_MS = 7 * 24 * 3600 * 1000          # a week-wide bar on a date axis


def week_centres(weekly: pd.DataFrame) -> pd.Series:
    """Each week's middle (Monday + 3.5 days): weekly bars sit on a date axis, whose ticks stay
    readable from a week to ten years (a category axis of 52 labels overlapped)."""
    return weekly["week"] + pd.Timedelta(hours=84)


DATE_AXIS = {"type": "date"}            # every chart over time: Plotly picks readable date ticks at any length
GAP_NS = 7 * NS_PER_DAY                 # marks further apart than a week are not joined by a line


def window_axis(span: tuple | None) -> dict:
    """The date axis of a chart over the window ``span`` ((start_ns, end_ns)): its range is the
    window [start, end), never the events' span (one deployment in 7 days reads as 7 days)."""
    if span is None:
        return DATE_AXIS
    return {**DATE_AXIS, "range": list(_dates(span))}


def from_start(x, span: tuple | None):
    """Times before the window's start (the Monday of a first, partial week) moved to the start, so
    that the first period's point is drawn inside the window's axis."""
    if span is None:
        return x
    return pd.Series(x).clip(lower=_dates([span[0]])[0])


def week_bars(weekly: pd.DataFrame, span: tuple | None) -> tuple:
    """(middles, widths in ms) of weekly bars: over the window ``span``, each bar covers the part of
    its week inside the window (``days`` of it), so that a partial first or last week stays on the
    axis; without a window, a week-wide bar at each week's middle."""
    if span is None:
        return week_centres(weekly), WEEK_MS * 0.8
    return period_bars(weekly["week"], weekly["days"], span)


def gapped(values) -> np.ndarray:
    """Values as an object array with None where a value is missing (NaN): Plotly breaks a line
    there (``connectgaps`` off) instead of joining the points on either side."""
    v = np.asarray(values, dtype=float)
    out = v.astype(object)
    out[np.isnan(v)] = None
    return out


def break_long_gaps(x: pd.Series | pd.DatetimeIndex, *ys, gap_ns: int = GAP_NS) -> tuple:
    """Points in time order with a (None, None) point inserted wherever two neighbours are more
    than ``gap_ns`` apart, so a line over sparse marks breaks at empty weeks: (x, *ys) as lists."""
    ns = pd.DatetimeIndex(x).as_unit("ns").asi8
    cut = np.flatnonzero(np.diff(ns) > gap_ns) + 1          # a gap goes before each of these points
    return tuple(np.insert(np.asarray(col, dtype=object), cut, None).tolist() for col in (iso_times(ns), *ys))


def band_polygons(x, lower, upper) -> tuple[list, list]:
    """A band between ``lower`` and ``upper`` as one closed shape per run of points where both are
    known, separated by None (``fill="toself"`` paints each run alone: nothing across a gap)."""
    lo, hi = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    known = ~(np.isnan(lo) | np.isnan(hi))
    xs, ys = [], []
    t = list(pd.DatetimeIndex(x))
    i = 0
    while i < len(known):
        if not known[i]:
            i += 1
            continue
        j = i
        while j < len(known) and known[j]:
            j += 1
        if xs:
            xs.append(None)
            ys.append(None)
        xs += t[i:j] + t[i:j][::-1]
        ys += hi[i:j].tolist() + lo[i:j][::-1].tolist()
        i = j
    return xs, ys


def week_labels(weekly: pd.DataFrame) -> list[str]:
    """Each week's label: its Monday, and how many of its days the window holds when not all 7."""
    return [f"{w:%b %d}" + ("" if n == 7 else f" ({n} d)") for w, n in zip(weekly["week"], weekly["days"])]


# ----- DORA ---------------------------------------------------------------------------------

def _span_hover(b: pd.DataFrame, bucket: str) -> list[str]:
    """Each bucket's name for hover: its day, or "week of Jan 01 (3 d)" when the window holds part of it."""
    if bucket == "day":
        return [f"{d:%Y-%m-%d}" for d in b["start"]]
    fmt = "week of %b %d, %Y" if bucket == "week" else "%B %Y"
    return [f"{d:{fmt}}" + ("" if full else f" ({n} d in the window)")
            for d, n, full in zip(b["start"], b["days"], _full(b, bucket))]


def _full(b: pd.DataFrame, bucket: str) -> np.ndarray:
    if bucket == "week":
        return (b["days"] == 7).to_numpy()
    return (b["days"] == b["start"].dt.days_in_month).to_numpy()


def count_axis(peak) -> dict:
    """A y axis for whole counts: from 0, ticks only on whole numbers (no 0.2 deployments). The
    tick mode is explicit: an axis overlaying another defaults to "sync", whose ticks (12.75 ...)
    a whole-number format prints as 13, 26, 38."""
    axis = {"rangemode": "tozero", "tickformat": ",d", "tickmode": "auto"}
    if peak is None or not np.isfinite(peak) or peak < 6:
        axis.update(tickmode="linear", tick0=0, dtick=1)
    return axis


def deployments_per_day(b: pd.DataFrame, theme: str, bucket: str = "day", span: tuple | None = None) -> go.Figure:
    """Deployment frequency: successful and failed production deployments per calendar day (lines),
    or summed per week or month (``b``: the daily series summed per ``bucket``, with its ``start``
    and ``days``, as ``metrics.series.bucketed`` gives it; the title says which)."""
    when, x = _span_hover(b, bucket), from_start(b["start"], span)
    return _figure([
        go.Scatter(x=x, y=b["successful_deployments"], name="successful", mode="lines+markers",
                   line={"color": COLOURS["dora"]}, marker={"size": 5}, customdata=when,
                   hovertemplate="%{customdata}: %{y}<extra>successful</extra>"),
        go.Scatter(x=x, y=b["deployments"] - b["successful_deployments"], name="failed status",
                   mode="lines", line={"color": COLOURS["bad"], "width": 1.5},
                   hovertemplate="%{y}<extra>failed status</extra>"),
    ], f"Deployments per {bucket}", theme, "deployments", "" if bucket == "day" else f"{bucket} starting",
        xaxis=window_axis(span), yaxis=count_axis(b["deployments"].max() if len(b) else None))


def recovery_per_incident(incidents: pd.DataFrame, services: np.ndarray, daily: pd.DataFrame, median: float,
                          theme: str, colour: str = COLOURS["muted"], span: tuple | None = None) -> go.Figure:
    """Recovery time of every resolved incident (by start), with the median as a line; beyond
    ``MAX_MARKS`` incidents, the ``daily`` median and 95th percentile (``day``, ``median``, ``p95``).
    Drawn in ``colour``: the recovery tier's badge colour (``colours.tier_hex``)."""
    done = incidents[incidents["recovery_minutes"].notna()].sort_values("start")
    if len(done) <= MAX_MARKS:
        x, y, names = break_long_gaps(_dates(done["start"]), done["recovery_minutes"].to_numpy(),
                                      as_text(services[done["service"].to_numpy()]))
        traces = [go.Scatter(x=x, y=y, mode="lines+markers", name="recovery time",
                             marker={"color": colour}, line={"color": colour}, customdata=names,
                             hovertemplate="%{y:.0f} min (%{customdata})<extra></extra>")]
        title = "Recovery time per incident (MTTR)"
    else:
        x, med, p95 = break_long_gaps(daily["day"], daily["median"].to_numpy(), daily["p95"].to_numpy())
        traces = [go.Scatter(x=x, y=med, name="daily median", mode="lines", line={"color": colour}),
                  go.Scatter(x=x, y=p95, name="daily 95th percentile", mode="lines",
                             line={"color": colour, "dash": "dot"})]
        title = f"Recovery time per day ({len(done):,} incidents)"
    return _figure(traces, title, theme, "minutes", lines=[(median, f"median {median:.0f} min", COLOURS["muted"])],
                   xaxis=window_axis(span))


def timeline_rows(activity: np.ndarray, limit: int = TIMELINE_ROWS) -> tuple[np.ndarray, list[int], int]:
    """The timeline's rows from each service code's ``activity`` (its deployments plus incidents):
    (row of each code, the codes with a row of their own, busiest first (ties: the lower code), how
    many active services share the last row). Up to ``limit`` + 1 active services each get a row;
    beyond that the busiest ``limit`` do and the others share one ("other (K services)"). Services
    without activity get no row (their row number is one past the last)."""
    active = np.flatnonzero(activity > 0)
    order = active[np.argsort(-activity[active], kind="stable")]
    own = order if len(order) <= limit + 1 else order[:limit]
    others = len(order) - len(own)
    row = np.full(len(activity), len(own) + (others > 0), dtype=np.int64)
    row[own] = np.arange(len(own))
    row[order[len(own):]] = len(own)
    return row, [int(s) for s in own], others


def timeline(deploys: pd.DataFrame, incidents: pd.DataFrame, services: np.ndarray, start_ns: int, end_ns: int,
             theme: str) -> go.Figure:
    """Deployments as ticks and incidents as recovery bars (start to resolution) on one time axis,
    one row per service (``timeline_rows``: the busiest ones; beyond ``TIMELINE_ROWS`` + 1 services
    the rest share an "other (K services)" row, and the subtitle says so). Beyond ``MAX_MARKS`` marks
    of each kind on average, deployments and incidents are counted per row and day and drawn as two
    heatmaps (blue, and red on top)."""
    activity = np.bincount(deploys["service"].to_numpy(), minlength=len(services)) + \
        np.bincount(incidents["service"].to_numpy(), minlength=len(services))
    row_of, busiest, others = timeline_rows(activity)
    labels = as_text(services[s] for s in busiest)
    said = ""
    if others:
        labels.append(f"other ({others:,} service{'' if others == 1 else 's'})")
        said = (f"The {len(busiest)} busiest of {len(busiest) + others:,} services (deployments and incidents) have a "
                f"row each; the other {others:,} share the last row.")
    label_of = np.array(labels + [""], dtype=object)
    traces = []
    if len(deploys) + len(incidents) > 2 * MAX_MARKS:
        days = int((end_ns - start_ns) // NS_PER_DAY)
        x = iso_times(start_ns + np.arange(days) * NS_PER_DAY + NS_PER_DAY // 2)
        for marks, ts, name, colour in ((deploys, "ts", "deployments", "rgba(13,110,253,{})"),
                                        (incidents, "start", "incidents", "rgba(220,53,69,{})")):
            day = (marks[ts].to_numpy() - start_ns) // NS_PER_DAY
            cell = row_of[marks["service"].to_numpy()] * days + day
            z = np.bincount(cell, minlength=len(labels) * days)[: len(labels) * days].reshape(len(labels), days).astype(float)
            z[z == 0] = np.nan
            traces.append(go.Heatmap(x=x, y=labels, z=z, name=f"{name} per day", showscale=False, hoverongaps=False,
                                     colorscale=[[0, colour.format(0.3)], [1, colour.format(1)]],
                                     hovertemplate="%{y}, %{x|%Y-%m-%d}: %{z} " + name + "<extra></extra>"))
        title = "Timeline: deployments (blue) and incidents (red) per service and day"
    else:
        traces.append(go.Scatter(x=iso_times(deploys["ts"]), y=label_of[row_of[deploys["service"].to_numpy()]],
                                 mode="markers", name="deployment",
                                 marker={"symbol": "line-ns-open", "size": 14, "color": COLOURS["dora"], "line": {"width": 2}},
                                 hovertemplate="deployment %{x}<extra></extra>"))
        resolved = incidents["resolved"].to_numpy()
        end = np.where(resolved == NOT_YET, end_ns, resolved)
        n = len(incidents)
        xs, ys = np.full(3 * n, None, dtype=object), np.full(3 * n, None, dtype=object)
        xs[0::3], xs[1::3] = iso_times(incidents["start"]), iso_times(end)
        ys[0::3] = ys[1::3] = label_of[row_of[incidents["service"].to_numpy()]]
        traces.append(go.Scatter(x=xs, y=ys, mode="lines", name="incident (start to recovery)",
                                 line={"color": COLOURS["bad"], "width": 9}, hoverinfo="skip"))
        title = "Timeline: deployments (ticks) and incidents (recovery bars)"
    return _figure(traces, title, theme, height=max(260, 90 + 34 * len(labels)), hovermode="closest",
                   xaxis=window_axis((start_ns, end_ns)),
                   yaxis={"type": "category", "categoryorder": "array", "categoryarray": list(reversed(labels)),
                          "automargin": True},
                   subtitle=said)


def lead_time_distribution(hours: np.ndarray, median: float | None, elite: tuple | None, theme: str,
                           since: str = "PR creation") -> go.Figure:
    """Histogram of lead time for changes (hours from ``since``, a PR's creation or its first
    commit, to deployment), binned on the server, with the elite tier's bound (``elite``: (hours,
    label)) and the median as lines."""
    top = max(float(np.quantile(hours, 0.99)), 1.0)
    counts, edges = np.histogram(np.minimum(hours, top), bins=30, range=(0, top))
    vlines = [(elite[0], elite[1], tier_hex("elite"))] if elite else []
    if median is not None:
        vlines.append((median, f"median {median:.1f} h", COLOURS["muted"]))
    return _figure([go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=edges[1] - edges[0], name="PRs",
                           marker_color=COLOURS["dora"], hovertemplate="%{y} PRs around %{x:.0f} h<extra></extra>")],
                   "Lead time for changes", theme, "PRs", f"hours from {since} to deployment", vlines=vlines,
                   hovermode="closest")


def deployment_success_rate(b: pd.DataFrame, rate, theme: str, bucket: str = "day", span: tuple | None = None) -> go.Figure:
    """Deployment success rate per day (or per week or month): ``rate`` (% of deployments, NaN
    where there were none: a gap, not 0 %) beside ``b``'s ``start``, ``days``, ``deployments`` and
    ``successful_deployments`` per ``bucket`` (``metrics.series.bucketed``); computed by the core
    (``metrics.compute.extensions.success_rate``), drawn here."""
    return _figure([go.Scatter(x=from_start(b["start"], span), y=gapped(rate), name="success rate", mode="lines+markers",
                               line={"color": COLOURS["good"]}, marker={"size": 5}, connectgaps=False,
                               customdata=np.stack([_span_hover(b, bucket), b["successful_deployments"], b["deployments"]],
                                                   axis=1),
                               hovertemplate="%{customdata[0]}: %{y:.1f} % (%{customdata[1]} of %{customdata[2]})"
                                             "<extra></extra>")],
                   f"Deployment success rate per {bucket}", theme, "% of deployments",
                   "" if bucket == "day" else f"{bucket} starting", xaxis=window_axis(span), yaxis={"range": [0, 105]})


def change_failure_rate_weekly(weekly: pd.DataFrame, tier_lines: list, theme: str, colour: str = COLOURS["muted"],
                               span: tuple | None = None) -> go.Figure:
    """Change failure rate per ISO week (``weekly``: week, days, deployments, failed_deployments,
    change_failure_rate_pct), with the tier bounds (``tier_lines``: (value, label), or (value,
    label, tier) drawn in that tier's colour) as lines; the bars in ``colour``, the colour of the
    CFR card's badge (``colours.tier_hex``). The y axis is fixed to hold every bar and line, so
    that the lines' labels are spread apart."""
    x, width = week_bars(weekly, span)
    rates = weekly["change_failure_rate_pct"].astype(float)
    lines = [(value, label, tier_hex(rest[0]) if rest else COLOURS["muted"]) for value, label, *rest in tier_lines]
    top = max([float(np.nanmax(rates)) if rates.notna().any() else 0.0] + [v for v, _, _ in lines] + [1.0]) * 1.15
    return _figure([go.Bar(x=x, y=rates, name="CFR", width=width, marker_color=colour,
                           customdata=np.stack([week_labels(weekly), weekly["failed_deployments"], weekly["deployments"]],
                                               axis=1),
                           hovertemplate="week of %{customdata[0]}: %{y:.1f} % (%{customdata[1]} of %{customdata[2]})"
                                         "<extra></extra>")],
                   "Change failure rate per week", theme, "% of deployments", "week", lines=lines,
                   xaxis=window_axis(span), yaxis={"rangemode": "tozero"}, y_range=(0.0, top))


# the cycle-time stages, in the order they stack (bottom up), each in its own colour
STAGE_COLOURS = {"coding": "#6f42c1", "pickup": "#fd7e14", "review": "#20c997", "deploy": BADGE_HEX["primary"]}


def period_bars(starts, days, span: tuple | None) -> tuple:
    """(middles, widths in ms) of bars of periods (``starts``: each period's first day, UTC; ``days``:
    how many of its days the window ``span`` holds): each bar covers its period's part of the window."""
    days = np.asarray(days, dtype=np.int64)
    start = from_start(pd.Series(pd.DatetimeIndex(starts)), span)
    return start + pd.to_timedelta(days * 12, unit="h"), days * (NS_PER_DAY // 1_000_000) * 0.8


def cycle_time_stages(periods: pd.DataFrame, stages: list, theme: str, bucket: str = "week",
                      span: tuple | None = None, subtitle: str = "") -> go.Figure:
    """The cycle-time stages' medians per period, stacked (``periods``: start, days and per stage
    ``<stage>_hours_median`` and ``<stage>_prs``; ``stages``: the stage names, bottom up). A stage no
    PR of a period has is left out of that period's bar (a gap, never 0 h)."""
    x, width = period_bars(periods["start"], periods["days"], span)
    labels = _span_hover(periods, bucket)
    traces = []
    for stage in stages:
        hours = periods[f"{stage}_hours_median"].to_numpy(dtype=float)
        traces.append(go.Bar(x=x, y=gapped(hours), width=width, name=stage, marker_color=STAGE_COLOURS.get(stage, COLOURS["muted"]),
                             customdata=np.stack([labels, periods[f"{stage}_prs"].to_numpy()], axis=1),
                             hovertemplate=f"%{{customdata[0]}}: {stage} %{{y:,.1f}} h (median of %{{customdata[1]}} PRs)"
                                           "<extra></extra>"))
    return _figure(traces, f"Cycle time by stage (medians per {bucket})", theme, "hours", bucket, barmode="stack",
                   hovermode="closest", subtitle=subtitle, xaxis=window_axis(span), yaxis={"rangemode": "tozero"})


def monthly_trends(months: pd.DataFrame, previous: pd.DataFrame | None, keys: list, theme: str,
                   span: tuple | None = None) -> go.Figure:
    """The DORA keys by calendar month, one small chart each, stacked (``keys``: (column, label,
    unit) in ``months``: start, days and the columns); beside each, the same months a year earlier
    (``previous``, its rows those of ``months``; None: the data holds no earlier year) as a second,
    lighter line on the same months. A month without a value is a gap in its line."""
    x, _ = period_bars(months["start"], months["days"], span)
    labels = _span_hover(months, "month")
    n, gap = len(keys), 0.06
    traces, layout = [], {}
    for i, (column, label, unit) in enumerate(keys):
        axis = "" if i == 0 else str(i + 1)
        top = 1 - i / n
        layout[f"yaxis{axis}"] = {"domain": [max(top - 1 / n + gap, 0), top], "title": {"text": unit, "font": {"size": 11}},
                                  "rangemode": "tozero", "gridcolor": THEMES.get(theme, THEMES["light"])["grid"]}
        shown = {"x": x, "xaxis": "x", "yaxis": f"y{axis}", "mode": "lines+markers"}
        traces.append(go.Scatter(y=gapped(months[column]), name=label, line={"color": COLOURS["dora"], "width": 2},
                                 customdata=labels, hovertemplate=f"{label}, %{{customdata}}: %{{y:,.2f}} {unit}<extra></extra>",
                                 legendgroup="this", showlegend=False, **shown))
        if previous is not None:
            before = [f"{s - pd.DateOffset(years=1):%B %Y}" for s in pd.DatetimeIndex(months["start"])]
            traces.append(go.Scatter(y=gapped(previous[column]), name=f"{label}, a year earlier", opacity=0.45,
                                     line={"color": COLOURS["dora"], "width": 1.5, "dash": "dot"}, customdata=before,
                                     hovertemplate=f"{label}, %{{customdata}}: %{{y:,.2f}} {unit}<extra></extra>",
                                     legendgroup="before", showlegend=False, **shown))
    titles = [{"text": label, "xref": "paper", "yref": "paper", "x": 0, "y": 1 - i / n, "xanchor": "left",
               "yanchor": "bottom", "showarrow": False, "font": {"size": 12}} for i, (_, label, _) in enumerate(keys)]
    subtitle = "this window (solid) and the same months a year earlier (lighter, dotted)" if previous is not None \
        else "the data holds no earlier year to compare with"
    return _figure(traces, "DORA keys by month", theme, height=130 * n + 90, subtitle=subtitle, hovermode="closest",
                   xaxis=window_axis(span), annotations=titles, **layout)


def _counted(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def lead_time_by_pr_size(bins: list, theme: str, since: str = "PR creation") -> go.Figure:
    """Do big PRs take longer? The median lead time of the deployed PRs in each size bin (``bins``:
    dicts with ``bin``, ``prs`` and ``lead_time_hours_median``, None for an empty bin), each bar
    labelled with how many PRs it stands on; an empty bin has no bar, only its "0 PRs"."""
    names = [b["bin"] for b in bins]
    hours = [np.nan if b["lead_time_hours_median"] is None else b["lead_time_hours_median"] for b in bins]
    counts = [b["prs"] for b in bins]
    return _figure([go.Bar(x=names, y=hours, marker_color=COLOURS["dora"], name="median lead time",
                           text=[_counted(n, "PR") for n in counts], textposition="outside", cliponaxis=False,
                           customdata=counts,
                           hovertemplate="%{x} lines: median %{y:,.1f} h over %{customdata:,} PRs<extra></extra>")],
                   "Lead time by PR size (medians)", theme, "hours (median)", "changed lines (added + removed)",
                   hovermode="closest", showlegend=False, subtitle=f"deployed PRs with a size; hours from {since}",
                   xaxis={"type": "category"}, yaxis={"rangemode": "tozero"})


def failure_by_batch_size(bins: list, theme: str) -> go.Figure:
    """Do big batches fail more? The change failure rate of the deployments that shipped each number
    of PRs (``bins``: dicts with ``bin``, ``deployments``, ``failed_deployments`` and
    ``change_failure_rate_pct``, None for an empty bin), each bar labelled "failed of deployments"."""
    names = [b["bin"] for b in bins]
    rates = [np.nan if b["change_failure_rate_pct"] is None else b["change_failure_rate_pct"] for b in bins]
    said = [f"{b['failed_deployments']:,} of {_counted(b['deployments'], 'deployment')}" for b in bins]
    return _figure([go.Bar(x=names, y=rates, marker_color=COLOURS["bad"], name="change failure rate",
                           text=said, textposition="outside", cliponaxis=False, customdata=said,
                           hovertemplate="%{x} PRs: %{y:.1f} % failed (%{customdata})<extra></extra>")],
                   "Change failure rate by deployment batch size", theme, "% failed", "PRs the deployment shipped",
                   hovermode="closest", showlegend=False, subtitle="production deployments that shipped at least one PR",
                   xaxis={"type": "category"}, yaxis={"rangemode": "tozero"})


# ----- AI (issue 29): plain numbers of the ``--json`` key ``ai`` --------------------------------

GROUP_COLOURS = {"ai": "#6610f2", "other": COLOURS["muted"]}
GROUP_NAMES = {"ai": "AI-assisted", "other": "other"}


def _value(x) -> float:
    return np.nan if x is None else float(x)


def whiskers(parts: list) -> dict:
    """Plotly's asymmetric error bars of medians with their [low, high] intervals (``parts``: dicts
    with ``median`` and ``median_interval``; none drawn where either is None)."""
    plus = [np.nan if p["median_interval"] is None else p["median_interval"][1] - p["median"] for p in parts]
    minus = [np.nan if p["median_interval"] is None else p["median"] - p["median_interval"][0] for p in parts]
    return {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus, "thickness": 1.5, "width": 5}


def group_medians(rows: list, theme: str, level_pct: float, unit: str = "hours",
                  title: str = "Median hours: AI-assisted vs other PRs", subtitle: str = "") -> go.Figure:
    """Each measure's median for the two groups side by side, with its bootstrap interval as a whisker
    (``rows``: (label, ai part, other part), a part a dict with ``median``, ``median_interval`` and
    ``prs``, how many PRs it stands on); a bar's hover says its interval (of ``level_pct`` %) and count."""
    labels = [label for label, _, _ in rows]
    traces = []
    for g, at in (("ai", 1), ("other", 2)):
        parts = [row[at] for row in rows]
        said = [f"{_counted(p['prs'], 'PR')}" + ("" if p["median_interval"] is None else
                f"; {level_pct:g} % interval {p['median_interval'][0]:,.1f} to {p['median_interval'][1]:,.1f}") for p in parts]
        traces.append(go.Bar(x=labels, y=[_value(p["median"]) for p in parts], name=GROUP_NAMES[g],
                             marker_color=GROUP_COLOURS[g], error_y=whiskers(parts), customdata=said,
                             hovertemplate=f"%{{x}}, {GROUP_NAMES[g]}: median %{{y:,.1f}} {unit} (%{{customdata}})"
                                           "<extra></extra>"))
    return _figure(traces, title, theme, f"{unit} (median)", hovermode="closest", barmode="group", subtitle=subtitle,
                   xaxis={"type": "category"}, yaxis={"rangemode": "tozero"})


def adoption_weekly(weeks: list, theme: str, span: tuple | None = None, usage: bool = False) -> go.Figure:
    """Per ISO week (``weeks``: dicts with ``start``, ``days``, ``judged``, ``ai_prs``, ``ai_share_pct``
    and ``active_users_mean``): the share of the week's PRs with a verdict that were AI-assisted as
    bars (labelled "AI-assisted of judged"), and with ``usage`` the assistant's mean daily active users
    as a line on a second axis."""
    start = pd.Series(pd.to_datetime([w["start"] for w in weeks], utc=True))
    days = pd.Series([w["days"] for w in weeks])
    centre, width = period_bars(start, days, span) if span is not None else \
        (start + pd.to_timedelta(days / 2, unit="D"), days * 86_400_000 * 0.8)
    said = [f"{w['ai_prs']:,} of {_counted(w['judged'], 'PR')}" for w in weeks]
    traces = [go.Bar(x=centre, y=[_value(w["ai_share_pct"]) for w in weeks], width=width, name="AI-assisted PRs %",
                     marker_color=GROUP_COLOURS["ai"], text=said, textposition="outside", cliponaxis=False,
                     customdata=said, hovertemplate="week of %{x|%Y-%m-%d}: %{y:.1f} % (%{customdata})<extra></extra>")]
    layout = {}
    if usage:
        traces.append(go.Scatter(x=centre, y=[_value(w["active_users_mean"]) for w in weeks], yaxis="y2",
                                 mode="lines+markers", name="Copilot active users (daily mean)",
                                 line={"color": COLOURS["warn"]},
                                 hovertemplate="week of %{x|%Y-%m-%d}: %{y:,.1f} active users a day<extra></extra>"))
        layout["yaxis2"] = {"overlaying": "y", "side": "right", "rangemode": "tozero", "showgrid": False,
                            "title": {"text": "active users (daily mean)"}}
    return _figure(traces, "Adoption: AI-assisted share of PRs per week", theme, "% of PRs with a verdict",
                   hovermode="closest", subtitle="PRs created in the week; a PR without a verdict is left out",
                   xaxis=window_axis(span), yaxis={"rangemode": "tozero"}, **layout)


def deployment_rates(groups: dict, theme: str) -> go.Figure:
    """Change failure rate and rework rate of deployments that shipped mostly AI-assisted PRs against
    the others (``groups``: "ai" and "other", each a dict with ``deployments``, ``failed_deployments``,
    ``rework_deployments``, ``change_failure_rate_pct`` and ``rework_rate_pct``), each bar labelled
    "failed of deployments"."""
    traces = []
    for g in ("ai", "other"):
        d = groups[g]
        said = [f"{d['failed_deployments']:,} of {_counted(d['deployments'], 'deployment')}",
                f"{d['rework_deployments']:,} of {_counted(d['deployments'], 'deployment')}"]
        traces.append(go.Bar(x=["change failure rate", "rework rate"],
                             y=[_value(d["change_failure_rate_pct"]), _value(d["rework_rate_pct"])],
                             name="mostly AI-assisted" if g == "ai" else "other", marker_color=GROUP_COLOURS[g],
                             text=said, textposition="outside", cliponaxis=False, customdata=said,
                             hovertemplate="%{x}: %{y:.1f} % (%{customdata})<extra></extra>"))
    return _figure(traces, "Deployments: mostly AI-assisted PRs vs others", theme, "% of deployments",
                   hovermode="closest", barmode="group", subtitle="production deployments that shipped a PR with a verdict",
                   xaxis={"type": "category"}, yaxis={"rangemode": "tozero"})



# ----- SPACE --------------------------------------------------------------------------------

def activity(b: pd.DataFrame, theme: str, bucket: str = "day", reviews_known: bool = True,
             span: tuple | None = None) -> go.Figure:
    """PRs created, reviews and merges per day on a date axis, or summed per week or month (``b``:
    the daily series summed per ``bucket``, ``metrics.series.bucketed``; the title says which).
    Without review data in the dataset (``reviews_known`` false) no reviews line is drawn: a line
    at zero would claim none were done."""
    x, when = from_start(b["start"], span), _span_hover(b, bucket)
    reviews = [go.Scatter(x=x, y=b["reviews"], name="reviews", mode="lines+markers", line={"color": COLOURS["dora"]},
                          hovertemplate="%{y}<extra>reviews</extra>")] if reviews_known else []
    return _figure([
        go.Scatter(x=x, y=b["prs_created"], name="PRs created", mode="lines+markers", line={"color": COLOURS["space"]},
                   customdata=when, hovertemplate="%{customdata}: %{y}<extra>PRs created</extra>"),
        *reviews,
        go.Scatter(x=x, y=b["merges"], name="merges", mode="lines", line={"color": COLOURS["muted"], "dash": "dot"},
                   hovertemplate="%{y}<extra>merges</extra>"),
    ], f"Activity: PRs{' and reviews' if reviews_known else ''} per {bucket}", theme, f"per {bucket}", "" if bucket == "day" else f"{bucket} starting",
        xaxis=window_axis(span), yaxis={"rangemode": "tozero"})


def collaboration(weekly: pd.DataFrame, theme: str, span: tuple | None = None) -> go.Figure:
    """Review turnaround (creation to first review) per creation week: mean and median."""
    x = from_start(weekly["week"], span)
    return _figure([
        go.Scatter(x=x, y=gapped(weekly["review_turnaround_hours_mean"]), name="mean", mode="lines+markers",
                   line={"color": COLOURS["space"]}, connectgaps=False),
        go.Scatter(x=x, y=gapped(weekly["review_turnaround_hours_median"]), name="median",
                   mode="lines+markers", line={"color": COLOURS["muted"], "dash": "dash"}, connectgaps=False),
    ], "Collaboration: code review turnaround", theme, "hours", "week starting", xaxis=window_axis(span))


def satisfaction(weekly: pd.DataFrame, trend_start: float | None, trend_per_30: float | None, start_ns: int,
                 end_ns: int, theme: str) -> go.Figure:
    """Weekly mean survey score on a 1-5 axis, with the least-squares trend line."""
    span = (start_ns, end_ns) if end_ns > start_ns else None
    traces = [go.Scatter(x=from_start(weekly["week"], span), y=gapped(weekly["satisfaction_mean"]), name="weekly mean",
                         mode="lines+markers", connectgaps=False, line={"color": COLOURS["space"]},
                         customdata=weekly["responses"],
                         hovertemplate="%{y:.2f} (%{customdata} responses)<extra></extra>")]
    if trend_start is not None and trend_per_30 is not None:
        days = (end_ns - start_ns) / NS_PER_DAY
        traces.append(go.Scatter(x=_dates([start_ns, end_ns]), y=[trend_start, trend_start + trend_per_30 * days / 30],
                                 name=f"trend {trend_per_30:+.2f} / 30 days", mode="lines",
                                 line={"color": COLOURS["muted"], "dash": "dash"}))
    return _figure(traces, "Satisfaction & well-being (1-5)", theme, "score", "week starting", xaxis=window_axis(span),
                   yaxis={"range": [1, 5.1], "dtick": 1})


def efficiency(weekly: pd.DataFrame, theme: str, since: str = "PR creation", span: tuple | None = None) -> go.Figure:
    """Merge time (``since``, a PR's creation or its first commit, to merge) per creation week:
    mean with a one-standard-deviation band. Weeks without merged PRs are gaps: the line breaks
    and the band is one shape per run of weeks with data (none painted across an empty month)."""
    mean = weekly["merge_time_hours_mean"].to_numpy(dtype=float)
    std = np.nan_to_num(weekly["merge_time_hours_std"].to_numpy(dtype=float))     # one PR: no spread, a band of 0
    x = from_start(weekly["week"], span)
    bx, by = band_polygons(x, np.clip(mean - std, 0, None), mean + std)
    title = "Efficiency & flow: PR merge time" + ("" if since == "PR creation" else f" (from {since})")
    return _figure([
        go.Scatter(x=bx, y=by, mode="lines", line={"width": 0}, fill="toself", fillcolor="rgba(25,135,84,0.18)",
                   name="± 1 standard deviation", hoverinfo="skip", connectgaps=False),
        go.Scatter(x=x, y=gapped(mean), name="mean", mode="lines+markers", line={"color": COLOURS["space"]},
                   connectgaps=False),
    ], title, theme, "hours", "week starting", xaxis=window_axis(span))


def performance(weekly: pd.DataFrame, theme: str, span: tuple | None = None) -> go.Figure:
    """Incident rate per week (``weekly``: week, days, incidents, deployments, incident_rate_pct)."""
    w = weekly
    x, width = week_bars(w, span)
    return _figure([go.Bar(x=x, y=w["incident_rate_pct"], name="incident rate", width=width,
                           marker_color=COLOURS["bad"],
                           customdata=np.stack([week_labels(w), w["incidents"], w["deployments"]], axis=1),
                           hovertemplate="week of %{customdata[0]}: %{y:.1f} % (%{customdata[1]} incidents, "
                                         "%{customdata[2]} deployments)<extra></extra>")],
                   "Performance: incident rate per deployment", theme, "% of deployments", "week",
                   xaxis=window_axis(span), yaxis={"rangemode": "tozero"})


# ----- PVM ----------------------------------------------------------------------------------

def _pair(title: str, unit: str, current: float | None, previous: float | None, lines, theme: str, colour: str) -> go.Figure:
    values = [previous, current]
    known = [v for v in values if v is not None]
    top = max(known + [y for y, _, _ in lines] + [1])
    return _figure([go.Bar(x=["previous period", "this period"], y=[np.nan if v is None else v for v in values],
                           marker_color=[COLOURS["muted"], colour],
                           text=["n/a" if v is None else f"{v:,.1f}{unit}" for v in values], textposition="outside",
                           hovertemplate="%{x}: %{y:,.1f}" + unit + "<extra></extra>")],
                   title, theme, unit.strip(), lines=lines, hovermode="closest", showlegend=False,
                   y_range=(min([0] + known) * 1.2, top * 1.2))


def _band_lines(band_lines: list) -> list:
    """(value, label, band) lines as (value, label, colour): the colour of the band's badge."""
    return [(value, label, band_hex(band)) for value, label, band in band_lines]


def vcr(current: float | None, previous: float | None, band_lines: list, theme: str,
        band: str | None = None) -> go.Figure:
    """Value to cost ratio, this period (in the colour of its card's ``band`` badge; grey: none) and
    the previous (grey), against its bands' bounds (``band_lines``: (value, label, band))."""
    return _pair("VCR: value to cost ratio", " %", current, previous, _band_lines(band_lines), theme, band_hex(band))


def dtr(current: float | None, previous: float | None, band_lines: list, theme: str,
        band: str | None = None) -> go.Figure:
    """Developer toil ratio, this period and the previous, against its bands' bounds (lower is
    better); this period in the colour of its card's ``band`` badge, as ``vcr``."""
    return _pair("DTR: developer toil ratio (lower is better)", " %", current, previous, _band_lines(band_lines),
                 theme, band_hex(band))


def iar(periods: pd.DataFrame, bands: list, band_lines: list, theme: str, span: tuple | None = None) -> go.Figure:
    """Growth of successful deployments per period (weeks, or 30-day months beyond 90 days), each bar
    in its band's badge colour (``bands``: one band name or None per period, grey). The y axis is
    fixed to hold every bar and line, so that the lines' labels are spread apart."""
    growth = periods["growth_pct"].astype(float).to_numpy()
    colours = [band_hex(b) for b in bands]
    lines = _band_lines(band_lines)
    known = [float(g) for g in growth if np.isfinite(g)] + [v for v, _, _ in lines] + [0.0, 1.0]
    pad = (max(known) - min(known)) * 0.1
    length = int(periods["period_days"].iloc[0]) if len(periods) else 7
    half = pd.Timedelta(days=length) / 2
    return _figure([go.Bar(x=periods["period_start"] + half, y=gapped(growth), marker_color=colours, name="growth",
                           width=length * NS_PER_DAY / 1e6 * 0.8,
                           customdata=np.stack([periods["period_start"].dt.strftime("%b %d, %Y"),
                                                periods["successful_deployments"]], axis=1),
                           hovertemplate="from %{customdata[0]}: %{y:+.1f} % (%{customdata[1]} successful deployments)"
                                         "<extra></extra>")],
                   f"IAR: adoption growth per {length}-day period", theme, "% vs the period before", "period",
                   lines=lines, xaxis=window_axis(span), y_range=(min(known) - pad, max(known) + pad))


def impact(weekly: pd.DataFrame, theme: str, span: tuple | None = None, no_hours: str | None = None) -> go.Figure:
    """Platform hours invested against successful deployments, per week (``weekly``: week, days,
    platform_hours, successful_deployments); the deployments' axis ticks whole numbers only. With
    ``no_hours`` (why the data has no platform hours: "No platform hours in this dataset") no hours
    bars are drawn (bars at 0 would claim none were invested) and the sentence is written on the chart."""
    w = weekly
    x, width = week_bars(w, span)
    peak = w["successful_deployments"].max() if len(w) else None
    hours = [] if no_hours else [go.Bar(x=x, y=w["platform_hours"], name="platform hours", marker_color=COLOURS["pvm"],
                                        width=width)]
    notes = [{"xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5, "text": no_hours, "showarrow": False,
              "font": {"size": 13}, "bgcolor": "rgba(128,128,128,0.15)", "borderpad": 6}] if no_hours else []
    return _figure([
        *hours,
        go.Scatter(x=x, y=w["successful_deployments"], name="successful deployments", yaxis="y2",
                   mode="lines+markers", line={"color": COLOURS["dora"]}),
    ], "Impact: platform hours vs deployments per week", theme, "hours", "week",
        xaxis=window_axis(span), yaxis={"rangemode": "tozero", **({"showticklabels": False} if no_hours else {})},
        yaxis2={**count_axis(peak), "overlaying": "y", "side": "right", "title": {"text": "deployments"},
                "automargin": True, "showgrid": False}, annotations=notes)


# ----- custom metrics -----------------------------------------------------------------------

SERIES_COLOURS = ("#fd7e14", "#0d6efd", "#198754", "#6f42c1", "#dc3545", "#20c997", "#6c757d")


def custom_series(frame: pd.DataFrame, title: str, unit: str, theme: str) -> go.Figure:
    """A frame-valued custom metric: every numeric column against ``period`` (a line each), on a
    date axis when the periods are dates, else as categories in their order."""
    x = frame["period"]
    dated = pd.api.types.is_datetime64_any_dtype(x)
    columns = [c for c in frame.columns if c != "period"]
    traces = [go.Scatter(x=x if dated else as_text(x), y=gapped(frame[c]), name=escape(str(c), quote=False),
                         mode="lines+markers", line={"color": SERIES_COLOURS[i % len(SERIES_COLOURS)]},
                         marker={"size": 5}, connectgaps=False)
              for i, c in enumerate(columns)]
    return _figure(traces, escape(title, quote=False), theme, escape(unit, quote=False), "period",
                   xaxis=DATE_AXIS if dated else {"type": "category"}, showlegend=len(columns) > 1)


# ----- Teams --------------------------------------------------------------------------------

def team_bars(teams: list, values: list, tiers: list, title: str, unit: str, fmt: str, theme: str) -> go.Figure:
    """One metric, one bar a team (a small multiple of the Teams view): ``values`` (None: n/a, no
    bar) in the colour of each team's tier badge (``tiers``: a tier name or None, grey)."""
    names = as_text(teams)
    colours = [tier_hex(t) for t in tiers]
    text = ["n/a" if v is None else fmt.format(v) + unit for v in values]
    shown = [t or "no tier" for t in tiers]
    return _figure([go.Bar(x=names, y=[np.nan if v is None else v for v in values], marker_color=colours, text=text,
                           textposition="auto", customdata=np.stack([text, shown], axis=1) if names else None,
                           hovertemplate="%{x}: %{customdata[0]} (%{customdata[1]})<extra></extra>", name=title)],
                   title, theme, unit.strip(), height=260, hovermode="closest", showlegend=False,
                   margin={"l": 50, "r": 10, "t": 45, "b": 40}, yaxis={"rangemode": "tozero"},
                   xaxis={"type": "category"})


# ----- goals and annotations on any chart ------------------------------------------------------

def note_marks(at_ns, texts, limit: int = MAX_NOTE_MARKS) -> tuple[list, list]:
    """Annotations (``at_ns``: times in ns; ``texts``: what each says) as at most ``limit`` markers:
    those of one day share one marker (at the day's first); when more days than ``limit`` hold some,
    wider spans of 2, 4, 8... days do. Returns (times in ns, hover texts): each hover lists up to
    ``NOTES_A_MARK`` texts (HTML-escaped, oldest first) and counts the rest."""
    at = np.asarray(at_ns, dtype=np.int64)
    order = np.argsort(at, kind="stable")
    at, texts = at[order], np.asarray(texts, dtype=object)[order]
    width = NS_PER_DAY
    while True:
        span = at // width
        starts = np.flatnonzero(np.r_[True, span[1:] != span[:-1]]) if len(at) else np.array([], dtype=np.int64)
        if len(starts) <= limit:
            break
        width *= 2
    ends = np.r_[starts[1:], len(at)]
    hover = []
    for a, b in zip(starts, ends):
        shown = as_text(texts[a:min(b, a + NOTES_A_MARK)])
        more = b - a - len(shown)
        hover.append("<br>".join(shown) + (f"<br>and {more} more" if more else ""))
    return at[starts].tolist(), hover


def marked(fig: go.Figure, goals=(), notes=None, across=()) -> go.Figure:
    """``fig`` with goal lines and annotation markers. ``goals``: (y, label) horizontal lines in the
    goal colour, labelled at the left; ``across``: (x, label) vertical ones (a chart whose x axis
    holds the metric: a histogram of lead times). ``notes``: (times in ns, texts) of annotations, drawn on a
    chart over time (a date x axis) only, as dotted vertical lines with a marker on top whose hover
    says them (``note_marks``: at most ``MAX_NOTE_MARKS``, one trace, no layout shape)."""
    goals, across = list(goals), list(across)
    shapes, labels = list(fig.layout.shapes or ()), list(fig.layout.annotations or ())
    for y, text in goals:
        shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": y, "y1": y,
                       "line": {"dash": "dashdot", "color": COLOURS["goal"], "width": 2}, "name": "goal"})
        labels.append(threshold_label(text, COLOURS["goal"], xref="paper", x=0, xanchor="left", y=y, yanchor="bottom",
                                      name="goal"))
    for x, text in across:
        shapes.append({"type": "line", "yref": "paper", "y0": 0, "y1": 1, "x0": x, "x1": x,
                       "line": {"dash": "dashdot", "color": COLOURS["goal"], "width": 2}, "name": "goal"})
        labels.append(threshold_label(text, COLOURS["goal"], yref="paper", y=0.5, x=x, xanchor="left", name="goal"))
    if goals or across:
        fig.update_layout(shapes=shapes, annotations=labels)
        fixed = fig.layout.yaxis.range
        if fixed is not None:                        # a fixed axis grows to hold the goal's line
            lo, hi = fixed
            top = max([hi] + [y * 1.1 for y, _ in goals])
            fig.update_layout(yaxis_range=[min([lo] + [y for y, _ in goals]), top])
    if notes is not None and len(notes[0]) and fig.layout.xaxis.type == "date":
        at, hover = note_marks(*notes)
        n = len(at)
        x, y = np.full(3 * n, None, dtype=object), np.full(3 * n, None, dtype=object)
        x[0::3] = x[1::3] = iso_times(at)
        y[0::3], y[1::3] = 0.0, 1.0
        text = np.full(3 * n, None, dtype=object)
        text[0::3] = text[1::3] = hover
        size = np.zeros(3 * n)
        size[1::3] = 9
        fig.add_trace(go.Scatter(x=x, y=y, yaxis=NOTE_AXIS, mode="lines+markers", name="annotations",
                                 line={"color": COLOURS["note"], "width": 1, "dash": "dot"},
                                 marker={"symbol": "triangle-down", "size": size, "color": COLOURS["note"]},
                                 hovertext=text, hoverinfo="text", showlegend=False, connectgaps=False))
        # an axis of its own over the whole plot height (not overlaying "y", whose domain may be one
        # panel of several: the monthly trends), so each marker's line crosses every panel
        fig.update_layout({f"yaxis{NOTE_AXIS[1:]}": {"anchor": "x", "domain": [0, 1], "range": [0, 1.02],
                                                      "visible": False, "fixedrange": True}})
    return fig
