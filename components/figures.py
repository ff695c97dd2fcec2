"""Figure builders: tables of ``metrics.analysis.Analysis`` in, ``plotly.graph_objects`` figures out.

Everything is aggregated on the server: a figure's size depends on the window's days, not on the
number of events (the timeline bins its marks by day when there are too many to draw one by one).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from metrics.series import week_start_ns
from metrics.tables import ts_ns

COLOURS = {"dora": "#0d6efd", "space": "#198754", "pvm": "#6f42c1", "bad": "#dc3545", "warn": "#fd7e14",
           "muted": "#6c757d", "good": "#198754"}
MAX_MARKS = 1500          # beyond this many deployments (or incidents), the timeline draws daily bins
TIMELINE_ROWS = 8         # services with most activity get a row each; the rest share one


def _layout(fig: go.Figure, title: str, template: str, y_title: str = "", x_title: str = "", height: int = 320) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0.01, "font": {"size": 15}}, template=template, height=height,
                      margin={"l": 55, "r": 20, "t": 60, "b": 45}, paper_bgcolor="rgba(0,0,0,0)",
                      plot_bgcolor="rgba(0,0,0,0)",
                      legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"},
                      hovermode="x unified", yaxis_title=y_title, xaxis_title=x_title)
    return fig


def _line(fig: go.Figure, y: float, text: str, colour: str) -> None:
    fig.add_hline(y=y, line={"dash": "dash", "color": colour, "width": 1.5},
                  annotation={"text": text, "font": {"color": colour, "size": 11}}, annotation_position="top left")


def _dates(ns) -> pd.DatetimeIndex:
    return pd.to_datetime(np.asarray(ns, dtype=np.int64), utc=True, unit="ns")


def weekly_sums(daily: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Sum daily columns by ISO week (Monday), one row per week that has days in the window;
    ``label`` names the week and says how many of its days the window holds."""
    week = _dates(week_start_ns(ts_ns(daily["date"])))
    out = daily[columns].groupby(week).sum().rename_axis("week").reset_index()
    days = pd.Series(week).value_counts().reindex(out["week"]).to_numpy()
    out["label"] = [f"{w:%b %d}" + ("" if n == 7 else f" ({n} d)") for w, n in zip(out["week"], days)]
    return out


# ----- DORA ---------------------------------------------------------------------------------

def deployments_per_day(daily: pd.DataFrame, template: str) -> go.Figure:
    """Deployment frequency: successful and failed production deployments per calendar day."""
    fig = go.Figure([
        go.Bar(x=daily["date"], y=daily["successful_deployments"], name="successful", marker_color=COLOURS["dora"]),
        go.Bar(x=daily["date"], y=daily["deployments"] - daily["successful_deployments"], name="failed status",
               marker_color=COLOURS["bad"]),
    ])
    fig.update_layout(barmode="stack")
    return _layout(fig, "Deployments per day", template, "deployments")


def recovery_per_incident(incidents: pd.DataFrame, template: str) -> go.Figure:
    """Recovery time of every resolved incident (by start), with the median as a line."""
    done = incidents[incidents["recovery_minutes"].notna()].sort_values("start")
    fig = go.Figure(go.Scatter(x=_dates(done["start"]), y=done["recovery_minutes"], mode="lines+markers",
                               name="recovery time", marker={"color": COLOURS["bad"]}, line={"color": COLOURS["bad"]},
                               customdata=done["service"], hovertemplate="%{y:.0f} min (%{customdata})<extra></extra>"))
    if len(done):
        _line(fig, float(done["recovery_minutes"].median()), "median", COLOURS["muted"])
    return _layout(fig, "Recovery time per incident (MTTR)", template, "minutes")


def _timeline_rows(deploys: pd.DataFrame, incidents: pd.DataFrame) -> list[str]:
    activity = pd.concat([deploys["service"], incidents["service"]]).value_counts()
    rows = list(activity.index[:TIMELINE_ROWS])
    if len(activity) > TIMELINE_ROWS:
        rows.append("other services")
    return rows


def timeline(deploys: pd.DataFrame, incidents: pd.DataFrame, window_end_ns: int, template: str) -> go.Figure:
    """Deployments as ticks and incidents as recovery bars (start to resolution) on one time axis,
    one row per service (the busiest ones; the rest share a row). Many marks are binned by day."""
    rows = _timeline_rows(deploys, incidents)
    keep = set(rows)

    def row_of(services: pd.Series) -> np.ndarray:
        return np.where(services.isin(keep), services, "other services")

    fig = go.Figure()
    if len(deploys) <= MAX_MARKS:
        fig.add_trace(go.Scatter(x=_dates(deploys["ts"]), y=row_of(deploys["service"]), mode="markers", name="deployment",
                                 marker={"symbol": "line-ns-open", "size": 14, "color": COLOURS["dora"], "line": {"width": 2}},
                                 hovertemplate="deployment %{x}<extra></extra>"))
    else:
        binned = pd.DataFrame({"day": deploys["ts"].to_numpy() // 86_400_000_000_000, "row": row_of(deploys["service"])})
        counts = binned.value_counts().reset_index(name="n")
        fig.add_trace(go.Scatter(x=_dates(counts["day"] * 86_400_000_000_000 + 43_200_000_000_000), y=counts["row"],
                                 mode="markers", name="deployments (per day)", customdata=counts["n"],
                                 marker={"symbol": "line-ns-open", "size": 14, "color": COLOURS["dora"],
                                         "line": {"width": 2}, "opacity": 0.6},
                                 hovertemplate="%{customdata} deployments<extra></extra>"))
    if len(incidents) <= MAX_MARKS:
        end = np.where(incidents["resolved"].to_numpy() == np.iinfo(np.int64).min, window_end_ns, incidents["resolved"].to_numpy())
        n = len(incidents)
        xs, ys = np.full(3 * n, None, dtype=object), np.full(3 * n, None, dtype=object)
        xs[0::3], xs[1::3] = _dates(incidents["start"]).to_numpy(), _dates(end).to_numpy()
        ys[0::3] = ys[1::3] = row_of(incidents["service"])
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name="incident (start to recovery)",
                                 line={"color": COLOURS["bad"], "width": 9}, hoverinfo="skip"))
    else:
        binned = pd.DataFrame({"day": incidents["start"].to_numpy() // 86_400_000_000_000, "row": row_of(incidents["service"])})
        counts = binned.value_counts().reset_index(name="n")
        fig.add_trace(go.Scatter(x=_dates(counts["day"] * 86_400_000_000_000 + 43_200_000_000_000), y=counts["row"],
                                 mode="markers", name="incidents (per day)", customdata=counts["n"],
                                 marker={"symbol": "square", "size": 9, "color": COLOURS["bad"]},
                                 hovertemplate="%{customdata} incidents<extra></extra>"))
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(rows)), type="category")
    fig = _layout(fig, "Timeline: deployments (ticks) and incidents (recovery bars)", template,
                  height=max(260, 90 + 34 * len(rows)))
    fig.update_layout(hovermode="closest")
    return fig


def lead_time_distribution(hours: np.ndarray, median: float | None, template: str) -> go.Figure:
    """Histogram of lead time for changes (hours from PR creation to deployment), binned on the server."""
    top = max(float(np.quantile(hours, 0.99)), 1.0)
    counts, edges = np.histogram(np.minimum(hours, top), bins=30, range=(0, top))
    fig = go.Figure(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=edges[1] - edges[0], name="PRs",
                           marker_color=COLOURS["dora"], hovertemplate="%{y} PRs around %{x:.0f} h<extra></extra>"))
    if median is not None:
        fig.add_vline(x=median, line={"dash": "dash", "color": COLOURS["muted"]}, annotation_text=f"median {median:.1f} h")
    fig.add_vline(x=24, line={"dash": "dot", "color": COLOURS["good"]}, annotation_text="elite < 24 h",
                  annotation_position="bottom right")
    fig = _layout(fig, "Lead time for changes", template, "PRs", "hours from PR creation to deployment")
    fig.update_layout(hovermode="closest")
    return fig


def change_failure_rate_weekly(daily: pd.DataFrame, template: str) -> go.Figure:
    """Change failure rate per ISO week: failed / deployments x 100, with the tier thresholds."""
    w = weekly_sums(daily, ["deployments", "failed_deployments"])
    rate = np.where(w["deployments"] > 0, 100 * w["failed_deployments"] / w["deployments"].where(w["deployments"] > 0, 1), np.nan)
    fig = go.Figure(go.Bar(x=w["label"], y=rate, name="CFR", marker_color=COLOURS["warn"],
                           customdata=np.stack([w["failed_deployments"], w["deployments"]], axis=1),
                           hovertemplate="%{y:.1f} % (%{customdata[0]} of %{customdata[1]})<extra></extra>"))
    for y, label in ((5, "elite <= 5 %"), (10, "high <= 10 %"), (15, "medium <= 15 %")):
        _line(fig, y, label, COLOURS["muted"])
    return _layout(fig, "Change failure rate per week", template, "% of deployments", "week starting")


# ----- SPACE --------------------------------------------------------------------------------

def _day_numbers(daily: pd.DataFrame) -> np.ndarray:
    return np.arange(1, len(daily) + 1)


def activity(daily: pd.DataFrame, template: str) -> go.Figure:
    """PRs created, reviews and merges per day (days counted from the window's start)."""
    x = _day_numbers(daily)
    dates = daily["date"].dt.strftime("%Y-%m-%d")
    fig = go.Figure([
        go.Scatter(x=x, y=daily["prs_created"], name="PRs created", mode="lines+markers", line={"color": COLOURS["space"]},
                   customdata=dates, hovertemplate="%{customdata}: %{y}<extra>PRs created</extra>"),
        go.Scatter(x=x, y=daily["reviews"], name="reviews", mode="lines+markers", line={"color": COLOURS["dora"]},
                   hovertemplate="%{y}<extra>reviews</extra>"),
        go.Scatter(x=x, y=daily["merges"], name="merges", mode="lines", line={"color": COLOURS["muted"], "dash": "dot"},
                   hovertemplate="%{y}<extra>merges</extra>"),
    ])
    return _layout(fig, "Activity: PRs and reviews per day", template, "per day", "day of the window")


def collaboration(weekly: pd.DataFrame, template: str) -> go.Figure:
    """Review turnaround (creation to first review) per creation week: mean and median."""
    fig = go.Figure([
        go.Scatter(x=weekly["week"], y=weekly["review_turnaround_hours_mean"], name="mean", mode="lines+markers",
                   line={"color": COLOURS["space"]}),
        go.Scatter(x=weekly["week"], y=weekly["review_turnaround_hours_median"], name="median", mode="lines+markers",
                   line={"color": COLOURS["muted"], "dash": "dash"}),
    ])
    return _layout(fig, "Collaboration: code review turnaround", template, "hours", "week starting")


def satisfaction(weekly: pd.DataFrame, trend_start: float | None, trend_per_30: float | None, start_ns: int,
                 end_ns: int, template: str) -> go.Figure:
    """Weekly mean survey score on a 1-5 axis, with the least-squares trend line."""
    fig = go.Figure(go.Scatter(x=weekly["week"], y=weekly["satisfaction_mean"], name="weekly mean", mode="lines+markers",
                               line={"color": COLOURS["space"]}, customdata=weekly["responses"],
                               hovertemplate="%{y:.2f} (%{customdata} responses)<extra></extra>"))
    if trend_start is not None and trend_per_30 is not None:
        days = (end_ns - start_ns) / 86_400_000_000_000
        fig.add_trace(go.Scatter(x=_dates([start_ns, end_ns]), y=[trend_start, trend_start + trend_per_30 * days / 30],
                                 name=f"trend {trend_per_30:+.2f} / 30 days", mode="lines",
                                 line={"color": COLOURS["muted"], "dash": "dash"}))
    fig.update_yaxes(range=[1, 5.1], dtick=1)
    return _layout(fig, "Satisfaction & well-being (1-5)", template, "score", "week starting")


def efficiency(weekly: pd.DataFrame, template: str) -> go.Figure:
    """Merge time (creation to merge) per creation week: mean with a one-standard-deviation band."""
    mean = weekly["merge_time_hours_mean"]
    std = weekly["merge_time_hours_std"].fillna(0)
    fig = go.Figure([
        go.Scatter(x=weekly["week"], y=mean + std, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"),
        go.Scatter(x=weekly["week"], y=(mean - std).clip(lower=0), mode="lines", line={"width": 0}, fill="tonexty",
                   fillcolor="rgba(25,135,84,0.18)", name="± 1 standard deviation", hoverinfo="skip"),
        go.Scatter(x=weekly["week"], y=mean, name="mean", mode="lines+markers", line={"color": COLOURS["space"]}),
    ])
    return _layout(fig, "Efficiency & flow: PR merge time", template, "hours", "week starting")


def performance(daily: pd.DataFrame, template: str) -> go.Figure:
    """Incident rate per week: incidents started / deployments x 100."""
    w = weekly_sums(daily, ["incidents", "deployments"])
    rate = np.where(w["deployments"] > 0, 100 * w["incidents"] / w["deployments"].where(w["deployments"] > 0, 1), np.nan)
    fig = go.Figure(go.Bar(x=w["label"], y=rate, name="incident rate", marker_color=COLOURS["bad"],
                           customdata=np.stack([w["incidents"], w["deployments"]], axis=1),
                           hovertemplate="%{y:.1f} % (%{customdata[0]} incidents, %{customdata[1]} deployments)<extra></extra>"))
    return _layout(fig, "Performance: incident rate per deployment", template, "% of deployments", "week starting")


# ----- PVM ----------------------------------------------------------------------------------

def _pair(title: str, unit: str, current: float | None, previous: float | None, lines, template: str,
          colour: str) -> go.Figure:
    labels, values = ["previous period", "this period"], [previous, current]
    fig = go.Figure(go.Bar(x=labels, y=[np.nan if v is None else v for v in values], marker_color=[COLOURS["muted"], colour],
                           text=["n/a" if v is None else f"{v:,.1f}{unit}" for v in values], textposition="outside",
                           hovertemplate="%{x}: %{y:,.1f}" + unit + "<extra></extra>"))
    for y, text, c in lines:
        _line(fig, y, text, c)
    top = max([v for v in values if v is not None] + [y for y, _, _ in lines] + [1])
    fig.update_yaxes(range=[min(0, *[v for v in values if v is not None], 0) * 1.2, top * 1.2])
    fig = _layout(fig, title, template, unit.strip())
    fig.update_layout(hovermode="closest", showlegend=False)
    return fig


def vcr(current: float | None, previous: float | None, template: str) -> go.Figure:
    """Value to cost ratio against the 200 % default and the 1000 % target."""
    return _pair("VCR: value to cost ratio", " %", current, previous,
                 [(200, "200 % default", COLOURS["warn"]), (1000, "1000 % target", COLOURS["good"])], template, COLOURS["pvm"])


def dtr(current: float | None, previous: float | None, template: str) -> go.Figure:
    """Developer toil ratio against 10 % (target) and 30 % (lower is better)."""
    return _pair("DTR: developer toil ratio (lower is better)", " %", current, previous,
                 [(10, "10 % target", COLOURS["good"]), (30, "30 % limit", COLOURS["bad"])], template, COLOURS["pvm"])


def iar(periods: pd.DataFrame, template: str) -> go.Figure:
    """Growth of successful deployments per period (weeks, or 30-day months beyond 90 days)."""
    growth = periods["growth_pct"].astype(float)
    colours = [COLOURS["muted"] if np.isnan(g) else COLOURS["good"] if g >= 30 else COLOURS["warn"] if g >= 10 else COLOURS["bad"]
               for g in growth]
    fig = go.Figure(go.Bar(x=periods["period_start"].dt.strftime("%b %d"), y=growth, marker_color=colours, name="growth",
                           customdata=periods["successful_deployments"],
                           hovertemplate="%{y:+.1f} % (%{customdata} successful deployments)<extra></extra>"))
    _line(fig, 10, "10 %", COLOURS["warn"])
    _line(fig, 30, "30 % target", COLOURS["good"])
    length = int(periods["period_days"].iloc[0]) if len(periods) else 7
    return _layout(fig, f"IAR: adoption growth per {length}-day period", template, "% vs the period before", "period starting")


def impact(daily: pd.DataFrame, template: str) -> go.Figure:
    """Platform hours invested against successful deployments, per week."""
    w = weekly_sums(daily, ["platform_hours", "successful_deployments"])
    fig = go.Figure([
        go.Bar(x=w["label"], y=w["platform_hours"], name="platform hours", marker_color=COLOURS["pvm"]),
        go.Scatter(x=w["label"], y=w["successful_deployments"], name="successful deployments", yaxis="y2",
                   mode="lines+markers", line={"color": COLOURS["dora"]}),
    ])
    fig.update_layout(yaxis2={"overlaying": "y", "side": "right", "title": "deployments", "rangemode": "tozero"})
    return _layout(fig, "Impact: platform hours vs deployments per week", template, "hours", "week starting")
