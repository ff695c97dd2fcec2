"""Ids unique per service (issue 22): the rule that qualifies PR and deployment ids with the event's
service (``metrics.ingest.ids.qualify_ids``, applied by ``normalize``), the links resolved when the
tables are built (``EventTables.link_keys``: incidents', merged PRs' and attribution pins'
``deploy_id``), worked out by hand, and property tests of the rule."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from helpers import analysis_of, ev
from metrics import normalize, tables_from_frame
from metrics.attribution import Overrides
from metrics.ingest import qualify_ids
from metrics.tables import NA


def frame_of(rows):
    """Rows (kind, service, pr_id, deploy_id) as the text columns ``qualify_ids`` reads."""
    kind, service, pr, deploy = zip(*rows)
    return pd.DataFrame({"kind": kind, "service": service, "pr_id": pr, "deploy_id": deploy,
                         "incident_id": ["inc-1" if k.startswith("incident") else "" for k in kind]})


def test_the_rule_by_hand():
    rows = [
        ("pr_created", "shop", "#12", ""),              # a source's local form -> shop#12
        ("pr_created", "group/proj", "!7", ""),         # GitLab's -> group/proj!7
        ("pr_reviewed", "shop", "shop#12", ""),         # already qualified: unchanged
        ("pr_merged", "shop", "shop!3", "v1.0"),        # already qualified (GitLab form); its deploy_id is a link
        ("pr_created", "checkout", "p9", ""),           # free text -> checkout#p9
        ("pr_created", "shop", "checkout#5", ""),       # another service's form is text of this one's
        ("pr_created", "shop", "shop-eu#5", ""),        # a longer service name is not this one
        ("deploy", "shop", "", "v1.0"),                 # -> shop@v1.0
        ("deploy", "shop", "", "shop@v1.0"),            # unchanged
        ("deploy", "checkout", "", "shop@v1.0"),        # another service's form -> checkout@shop@v1.0
        ("deploy", "checkout", "", ""),                 # no id: stays none
        ("incident_start", "pay", "", "run-6"),         # a link: as written
    ]
    out = qualify_ids(frame_of(rows))
    assert list(out["pr_id"]) == ["shop#12", "group/proj!7", "shop#12", "shop!3", "checkout#p9", "shop#checkout#5",
                                  "shop#shop-eu#5", "", "", "", "", ""]
    assert list(out["deploy_id"]) == ["", "", "", "v1.0", "", "", "", "shop@v1.0", "shop@v1.0", "checkout@shop@v1.0",
                                      "", "run-6"]
    assert list(out["incident_id"]) == list(frame_of(rows)["incident_id"])          # incident ids: never touched
    assert list(out["service"]) == list(frame_of(rows)["service"])


def test_normalize_applies_the_rule_after_the_text_is_cleaned():
    frame, report = normalize(pd.DataFrame([ev("2024-01-01T00:00:00Z", "PR_CREATED", " shop ", pr_id=" #12 "),
                                            ev("2024-01-01T01:00:00Z", "deploy", "shop", deploy_id=" v1.0")]))
    assert report.rejected_count == 0
    assert list(frame["pr_id"]) == ["shop#12", ""] and list(frame["deploy_id"]) == ["", "shop@v1.0"]


def test_the_same_local_ids_in_two_services_are_two_prs_and_two_deployments():
    # shop and checkout both have PR #9 and tag v1.0, with their own times: each keeps its own lead time
    rows = [ev("2024-01-01T00:00:00Z", "pr_created", "shop", pr_id="#9"),
            ev("2024-01-01T02:00:00Z", "pr_merged", "shop", pr_id="#9", deploy_id="v1.0"),
            ev("2024-01-01T04:00:00Z", "deploy", "shop", deploy_id="v1.0"),
            ev("2024-01-02T00:00:00Z", "pr_created", "checkout", pr_id="#9"),
            ev("2024-01-02T01:00:00Z", "pr_merged", "checkout", pr_id="#9", deploy_id="v1.0"),
            ev("2024-01-02T10:00:00Z", "deploy", "checkout", deploy_id="v1.0")]
    an = analysis_of(rows)
    prs = an.prs.set_index("pr_id")
    # shop#9: 00:00 -> shop@v1.0 04:00 = 4 h; checkout#9: 01-02 00:00 -> checkout@v1.0 10:00 = 10 h
    assert dict(prs["deploy_id"]) == {"shop#9": "shop@v1.0", "checkout#9": "checkout@v1.0"}
    assert dict(prs["lead_time_hours"]) == {"shop#9": 4.0, "checkout#9": 10.0}
    assert an.details["merged_prs"] == 2 and an.summary["dora"]["deployments"] == 2


def link_rows():
    """shop and checkout both deploy v1.0; checkout alone deploys run-6; incidents link by several forms."""
    return [ev("2024-01-01T10:00:00Z", "deploy", "shop", deploy_id="v1.0", status="failed"),
            ev("2024-01-01T11:00:00Z", "deploy", "checkout", deploy_id="v1.0"),
            ev("2024-01-01T12:00:00Z", "deploy", "checkout", deploy_id="run-6"),
            ev("2024-01-02T10:00:00Z", "incident_start", "shop", incident_id="i-own", deploy_id="v1.0"),
            ev("2024-01-02T10:00:00Z", "incident_start", "pay", incident_id="i-exact", deploy_id="shop@v1.0"),
            ev("2024-01-02T10:00:00Z", "incident_start", "pay", incident_id="i-unique", deploy_id="run-6"),
            ev("2024-01-02T10:00:00Z", "incident_start", "pay", incident_id="i-several", deploy_id="v1.0"),
            ev("2024-01-02T10:00:00Z", "incident_start", "pay", incident_id="i-none", deploy_id="nowhere")]


def test_an_incidents_link_names_a_deployment_exactly_then_in_its_service_then_by_a_unique_local_id():
    an = analysis_of(link_rows(), attribution_hours=0.0)                  # no inference: the links alone
    inc = an.incidents.set_index("incident_id")
    assert dict(inc["deploy_id"]) == {"i-own": "shop@v1.0", "i-exact": "shop@v1.0", "i-unique": "checkout@run-6",
                                      "i-several": "", "i-none": ""}
    assert inc.loc["i-several", "attribution"] == "unattributed" and inc.loc["i-none", "attribution"] == "unattributed"


def test_link_keys_directly():
    frame, _ = normalize(pd.DataFrame(link_rows()))
    tables = tables_from_frame(frame)
    pay, shop = (int(np.flatnonzero(tables.services == name)[0]) for name in ("pay", "shop"))
    keys = tables.link_keys(["v1.0", "v1.0", "checkout@v1.0", "run-6", "", "@v1.0", "shop@"], [shop, pay, pay, shop, shop, pay, pay])
    names = [tables.deploy_id([k])[0] if k != NA else "" for k in keys]
    assert names == ["shop@v1.0", "", "checkout@v1.0", "checkout@run-6", "", "", ""]


def test_an_attribution_pin_resolves_as_a_link():
    rows = link_rows()
    an = analysis_of(rows, attribution_hours=0.0)
    from metrics import Window, analyze
    from metrics.compute.pvm import Assumptions
    frame, _ = normalize(pd.DataFrame(rows))
    pinned = analyze(tables_from_frame(frame), Window.between("2024-01-01", "2024-01-08"), Assumptions(),
                     attribution_hours=0.0, overrides=Overrides({"i-none": "run-6", "i-several": "checkout@v1.0",
                                                                 "i-own": "v1.0"}))
    inc = pinned.incidents.set_index("incident_id")
    # i-none -> the one run-6 (checkout's); i-several -> exactly checkout@v1.0; i-own's v1.0 in its own service shop
    assert dict(inc["deploy_id"]) == {"i-own": "shop@v1.0", "i-exact": "shop@v1.0", "i-unique": "checkout@run-6",
                                      "i-several": "checkout@v1.0", "i-none": "checkout@run-6"}
    assert an.details["failed_deployments"] == 2                         # shop@v1.0 (status and links), checkout@run-6
    assert pinned.details["failed_deployments"] == 3                     # + checkout@v1.0


def test_a_merged_prs_link_to_a_deployment_of_another_service():
    # tests/fixtures/hand.csv's p4 (api) is shipped by d6, web's deployment: still 60 h (test_hand_computed)
    rows = [ev("2024-01-01T00:00:00Z", "pr_created", "api", pr_id="p4"),
            ev("2024-01-01T10:00:00Z", "pr_merged", "api", pr_id="p4", deploy_id="d6"),
            ev("2024-01-01T12:00:00Z", "deploy", "web", deploy_id="d6")]
    assert analysis_of(rows).prs.set_index("pr_id").loc["api#p4", "lead_time_hours"] == 12.0


# -- properties ---------------------------------------------------------------------------------

TEXT = st.text(alphabet=st.sampled_from("ab#!@/:- 1é"), max_size=8)
SERVICES = st.text(alphabet=st.sampled_from("ab#!@/-1"), min_size=1, max_size=5)
KINDS = st.sampled_from(["deploy", "pr_created", "pr_merged", "incident_start", "custom"])


@st.composite
def frames(draw):
    n = draw(st.integers(0, 12))
    rows = [(draw(KINDS), draw(SERVICES), draw(TEXT), draw(TEXT)) for _ in range(n)]
    return frame_of(rows) if rows else pd.DataFrame({c: pd.Series([], dtype=object) for c in
                                                     ("kind", "service", "pr_id", "deploy_id", "incident_id")})


@settings(max_examples=300, deadline=None)
@given(frames())
def test_qualifying_twice_is_qualifying_once(frame):
    once = qualify_ids(frame)
    pd.testing.assert_frame_equal(qualify_ids(once), once)


@settings(max_examples=300, deadline=None)
@given(frames())
def test_every_qualified_id_starts_with_its_service_and_keeps_its_local_id(frame):
    out = qualify_ids(frame)
    for (_, before), (_, after) in zip(frame.iterrows(), out.iterrows()):
        service = before["service"]
        if before["pr_id"] == "":
            assert after["pr_id"] == ""
        else:
            assert after["pr_id"][:len(service) + 1] in (service + "#", service + "!")
            assert after["pr_id"].endswith(before["pr_id"].lstrip("#!") if before["pr_id"][:1] in "#!" else before["pr_id"])
        if before["kind"] == "deploy" and before["deploy_id"]:
            assert after["deploy_id"].startswith(service + "@") and after["deploy_id"].endswith(before["deploy_id"])
        else:
            assert after["deploy_id"] == before["deploy_id"]
        assert (after["incident_id"], after["kind"], after["service"]) == (before["incident_id"], before["kind"], service)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(KINDS, TEXT, TEXT, TEXT), max_size=10))
def test_normalize_with_any_ids_never_raises_and_tables_build(rows):
    raw = pd.DataFrame([{"ts": "2024-01-01T00:00:00Z", "kind": k, "service": svc, "pr_id": pr, "deploy_id": dep,
                         "incident_id": "i" if k == "incident_start" else ""} for k, svc, pr, dep in rows])
    frame, report = normalize(raw if len(raw) else pd.DataFrame({"ts": [], "kind": [], "service": []}))
    tables = tables_from_frame(frame)
    assert len(frame) + report.rejected_count + report.duplicates == len(rows)
    assert (frame["pr_id"] == "").all() or frame.loc[frame["pr_id"] != "", "pr_id"].map(
        lambda p: isinstance(p, str) and ("#" in p or "!" in p)).all()
    assert len(tables.deploys) == int((frame["kind"] == "deploy").sum())


@pytest.mark.parametrize("value", [None, 12, 3.5, ["#1"], {"a": 1}])
def test_ids_that_are_not_text_are_rejected_or_read_as_text_never_a_traceback(value):
    raw = pd.DataFrame([{"ts": "2024-01-01T00:00:00Z", "kind": "pr_created", "service": "shop", "pr_id": value}])
    frame, report = normalize(raw)
    assert len(frame) + report.rejected_count == 1
    assert all(p.startswith("shop#") for p in frame["pr_id"])
