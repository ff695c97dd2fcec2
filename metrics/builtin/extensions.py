"""The seed documents' extension patterns (docs/metrics.md, "Extension patterns"): SLA compliance,
deployments per developer and on-call burden. They are on the dashboard and in the analysis's
details, not among the summary's keys; their computations are ``metrics.compute.extensions``'
and ``metrics.compute.pvm``'s, read through the shared ``Context``."""
from __future__ import annotations

from .. import defaults
from ..compute import extensions
from ..registry.metric import Card, Says, declarer

METRICS: list = []
declare_dora = declarer(METRICS, "dora")
declare_pvm = declarer(METRICS, "pvm")


def sla_targets_text(targets: dict) -> str:
    """The SLA targets as a footnote says them: "api 30 min, others 60 min"."""
    named = [f"{name} {minutes:g} min" for name, minutes in sorted(targets.items()) if name != "*"]
    rest = f"{targets.get('*', defaults.SLA_MINUTES):g} min"
    return ", ".join(named + [f"others {rest}"]) if named else f"{rest} every service"


def _sla_details(c) -> dict:
    targets, problem = c.sla
    found = c.compliance
    return {"sla_met": found.get("sla_met", 0), "sla_judged": found.get("sla_judged", 0),
            "sla_open_breaches": found.get("sla_open_breaches", 0), "sla_targets": targets or {}, "sla_problem": problem,
            # nobody chose the target: the card says it is the default, and where to set it
            "sla_default": c.sla_given is None and not extensions.sla_is_set()}


def _sla_footnote(an) -> str:
    d = an.details
    return (f"{d['sla_met']} of {d['sla_judged']} incidents within target"
            + (f" ({d['sla_open_breaches']} open past it)" if d["sla_open_breaches"] else "")
            + f" · target {sla_targets_text(d['sla_targets'])}"
            + (f", the default: set {defaults.SLA_SETTING}" if d["sla_default"] else ""))


declare_dora("sla_compliance_pct", compute=lambda c: c.compliance.get("sla_compliance_pct"), label="SLA compliance",
             unit="%", summary=False, needs=("incident_start",), details=_sla_details,
             definition="Incidents resolved within their service's recovery target (`METRICS_SLA_MINUTES`) / "
                        "incidents judged x 100; an open incident past its target is a breach.",
             card=Card("kpi-sla", "dora", 5, "throughput"), footnote=_sla_footnote)


def _per_developer_footnote(an) -> str:
    d = an.details
    who = (f"{d['developers']} PR authors in the window" if d["developers_from"] == "authors" else
           f"{d['developers']} developers, an assumption: the data names no PR authors (set the team size on this "
           "tab, or --team-size)")
    return f"{an.summary['dora']['successful_deployments']} successful deploys / {who}"


declare_pvm("deploys_per_developer", label="Deployments per developer", summary=False, needs=("deploy",),
            details=lambda c: c.developers,
            compute=lambda c: extensions.deploys_per_developer(c.frequency["successful_deployments"],
                                                               c.developers["developers"]),
            definition="Successful production deployments in the window / developers: the distinct authors of the "
                       "window's PRs when the data names them, else the team size (the PVM assumption, said so on the "
                       "card).",
            card=Card("kpi-per-developer", "pvm", 6), footnote=_per_developer_footnote)


declare_pvm("on_call_hours_per_developer_week", reads="toil_ratio", label="On-call burden", unit="h",
            lower_is_better=True, summary=False, needs=("on_call_hours",),
            definition="On-call hours (`on_call_hours` events) / team size / (days / 7): hours per developer a week; "
                       "they count as toil in DTR and as cost in VCR.",
            card=Card("kpi-on-call", "pvm", 7),
            footnote=Says("per developer a week · {on_call_hours:,.0f} h on call, {on_call_share_of_toil_pct:.0f|%} of "
                          "DTR's toil, {on_call_dtr_points:+.1f| pp} DTR"))
