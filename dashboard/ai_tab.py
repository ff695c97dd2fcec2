"""The AI tab (issue 29): AI-assisted against other merged PRs and deployments, adoption per week, DORA's
AI capabilities beside measured facts, and what the comparison can and cannot show; all of it from
``Analysis.ai_comparison`` (docs/metrics.md "AI-assisted delivery: the comparison")."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components.ai_panels import capabilities_table, text_block
from components.figures import adoption_weekly, deployment_rates, group_medians
from components.kpi import empty_state, how_to, kpi_card
from components.panels import cards_row, graph, panel
from metrics.builtin import BY_KEY
from metrics.compute.ai import MEASURES
from metrics.compute.stages import STAGES
from metrics.defaults import BOOTSTRAP_LEVEL_PCT, MONTHLY_MIN_DAYS, MOSTLY_AI_SHARE
from metrics.units import say

from .data import Computed
from .trend_charts import trends_figure

HOURS = ("lead_time", *STAGES, "review_turnaround")          # the measures in hours, drawn together
LABELS = {"lead_time": "lead time", "review_turnaround": "review turnaround", "pr_size": "PR size"}
REVIEWED = "reviewed_before_merge_pct"          # the comparison's own fact beside the capabilities
NO_VERDICTS = [
    ("No PR of this window has an AI verdict, so nothing can be compared. Verdicts come from the sources: the git, "
     "GitHub, GitLab, Bitbucket and Azure DevOps imports, and the GitHub and GitLab syncs and webhooks, judge each "
     "merged PR by the rules of ai.toml in the data directory "
     "(assistants' Co-authored-by trailers such as Copilot or Claude, labels, assistants' bot accounts, branch "
     "names such as copilot/*), or canonical events carry them: one pr_ai_assisted row per PR, metric_value 1 "
     "(assisted) or 0 (not)."),
    "docs/metrics.md, \u201cAI-assisted delivery: the facts\u201d, lists every rule and its settings.",
]
AI_TOML = ("# ai.toml in the data directory: every key optional\n[ai]\nlabels = [\"ai-assisted\"]\n\n"
           "[ai.assistants.copilot]\nbranches = [\"copilot/*\"]\n\n"
           "# then, for example: .venv/bin/python -m metrics import --from git PATH --name NAME")


def what_it_shows(min_sample: int) -> list[str]:
    """The tab's text on what the comparison can and cannot show."""
    return [
        ("What it shows: how the merged PRs of this window that were AI-assisted differed from the others: their "
         f"counts, and the median and 75th percentile of each measure with a {BOOTSTRAP_LEVEL_PCT} % bootstrap "
         "interval (how far the number could move with other PRs of the same kind). A difference whose interval "
         "holds 0 is no evidence of a difference."),
        ("What it cannot show: that the assistant caused a difference. Who chooses an assistant, and for which work "
         "(small fixes, tests, boilerplate, a new service), differs from PR to PR, as teams, repositories and weeks "
         "do; a difference may be that selection, not the tool. It is a comparison of what happened, never a cause."),
        ("PRs without a verdict are left out of both groups and counted as unknown; a rule that misses assisted work "
         "counts it as other. A deployment is mostly AI-assisted when more than "
         f"{MOSTLY_AI_SHARE:.0%} of the PRs it shipped with a verdict were; a failure belongs to the deployment, not "
         f"to one PR. Below {min_sample} of each group the numbers are not compared."),
    ]


def fact_text(key: str, an, reviewed) -> str:
    """A measured fact beside a capability: its label and value ("PR size (median): 120 lines")."""
    if key == REVIEWED:
        return f"PRs reviewed before merge: {say(reviewed, '{:.1f}', ' %')}"
    spec = BY_KEY[key]
    unit = f" {spec.unit}" if spec.unit and spec.unit != "%" else spec.unit
    return f"{spec.label}: {say(spec.value(an), spec.fmt, unit)}"


def cards(c: Computed, compared: dict) -> list:
    """Share of AI-assisted merged PRs, their count (each with its change, never coloured better or worse:
    more or less use of an assistant is neither), and the lead time difference with its interval."""
    prs, before = compared["prs"], c.previous.ai_counts
    n = prs["merged_prs"]
    prev = f"previous {c.current.window.days} days"
    lead = (prs["measures"] or {}).get("lead_time")
    diff = lead["difference"] if lead else None
    lo_hi = diff["median_interval"] if diff else None
    return [
        kpi_card("kpi-ai-share", "AI-assisted share of merged PRs", prs["ai_share_pct"], "{:.1f}", "%",
                 before["ai_share_pct"], prev, coloured_change=False, footnote=f"{n['ai']:,} of {n['ai'] + n['other']:,} merged PRs with a "
                 f"verdict; {n['unknown']:,} unknown"),
        kpi_card("kpi-ai-prs", "AI-assisted merged PRs", n["ai"], "{:,.0f}", "", before["ai"], prev,
                 coloured_change=False, footnote=f"other merged PRs: {n['other']:,}"),
        kpi_card("kpi-ai-lead-diff", "Lead time, AI-assisted minus other (median)", diff["median"] if diff else None,
                 "{:+,.1f}", " h", None, prev, muted=diff is None or diff["median"] is None,
                 footnote=(f"{BOOTSTRAP_LEVEL_PCT} % interval {lo_hi[0]:+,.1f} to {lo_hi[1]:+,.1f} h; "
                           f"{lead['ai']['prs']:,} and {lead['other']['prs']:,} deployed PRs") if lo_hi else None,
                 caution=prs["not_comparable"]),
    ]


def hour_rows(measures: dict) -> list:
    """The hour measures' (label, AI-assisted part, other part), in the chart's order."""
    return [(LABELS.get(key, key), measures[key]["ai"], measures[key]["other"]) for key in HOURS]


def ai(c: Computed, theme: str) -> tuple:
    """AI: the cards, the groups' medians with their intervals, adoption per week, the deployment
    comparison, DORA's AI capabilities beside measured facts and what it all can and cannot show."""
    an = c.current
    compared = an.ai_comparison
    prs, deploys = compared["prs"], compared["deployments"]
    span = (an.window.start_ns, an.window.end_ns)
    measures = prs["measures"]
    units = {key: unit for key, unit, _ in MEASURES}
    judged = compared["prs_with_verdict"]
    sized = measures and measures["pr_size"]["ai"]["prs"] and measures["pr_size"]["other"]["prs"]
    stages = (graph("ai-stages", group_medians(hour_rows(measures), theme, BOOTSTRAP_LEVEL_PCT, subtitle=(
        f"merged PRs of the window; whiskers: {BOOTSTRAP_LEVEL_PCT} % bootstrap intervals"))) if measures
        else empty_state(prs["not_comparable"] if judged else "No PR of this window has an AI verdict: no comparison.",
                         "ai-not-comparable"))
    size = (graph("ai-size", group_medians([(LABELS["pr_size"], measures["pr_size"]["ai"], measures["pr_size"]["other"])],
                                           theme, BOOTSTRAP_LEVEL_PCT, units["pr_size"], "Median PR size: AI-assisted vs other")) if sized
            else empty_state("No PR sizes to compare in this window (too few PRs in a group, or no size events).",
                             "empty-ai-size"))
    adoption = (graph("ai-adoption", adoption_weekly(compared["adoption"], theme, span, compared["usage"]))
                if judged or compared["usage"]
                else empty_state("No AI verdicts and no assistant usage report in this window: no adoption to show.",
                                 "empty-ai-adoption"))
    rates = (graph("ai-deployments", deployment_rates({"ai": deploys["mostly_ai"], "other": deploys["other"]}, theme))
             if not deploys["not_comparable"] else empty_state(deploys["not_comparable"], "ai-deployments-not-comparable"))
    # the five keys' trends beside the adoption, as the DORA tab draws them (windows of 90 days or more)
    trends = (graph("ai-trends", trends_figure(an, theme, span)) if an.trends is not None
              else empty_state(f"The five DORA keys by month are drawn beside the adoption for windows of "
                               f"{MONTHLY_MIN_DAYS} days or more: choose a longer window to read them together.",
                               "empty-ai-trends"))
    charts = [panel(stages), panel(size), panel(adoption), panel(trends), panel(rates),
              panel(capabilities_table(capability_rows(an, compared))),
              panel(text_block("What this comparison can and cannot show", what_it_shows(prs["min_sample"]), "ai-caveats"))]
    top = cards_row(cards(c, compared))
    if not judged:
        top = html.Div([how_to("No AI verdicts in this data", NO_VERDICTS, AI_TOML, "ai-howto"), top])
    return top, dbc.Row(charts)


def capability_rows(an, compared: dict) -> list:
    """Each DORA AI capability's table row: its name, survey mean, answers and related facts."""
    reviewed = compared["prs"]["reviewed_before_merge_pct"]["all"]
    return [{"name": r["name"], "mean": say(r["mean"], "{:.2f}"), "responses": r["responses"],
             "facts": [fact_text(key, an, reviewed) for key in r["facts"]]} for r in compared["capabilities"]]
