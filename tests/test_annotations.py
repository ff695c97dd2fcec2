"""Annotations (issue 28, item 5): the automatic ones computed from the data by hand-built cases
(incidents, a deployment after a gap, a deployment of many PRs, on their edges), the stored ones on
both backends with their author in the audit trail, the API (201, 400, 401, 403, 404) with a fuzz
test of its body, and the markers on every time chart, bounded in number."""
from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from helpers import analysis_of, ev
from metrics import defaults, store, tokens
from metrics.annotations import automatic_annotations, gap_deployments
from metrics.ingest import normalize
from metrics.store.annotations import AnnotationError, add_annotation, annotation_day, annotations_of

DAY = 86_400 * 10**9


def ns(text: str) -> int:
    return pd.Timestamp(text).value


# ----- automatic ------------------------------------------------------------------------------

def test_a_gap_of_exactly_the_declared_days_counts_one_nanosecond_less_does_not():
    start = ns("2024-01-01")
    gap = defaults.ANNOTATION_GAP_DAYS
    ts = np.array([start, start + gap * DAY, start + gap * DAY + (gap * DAY - 1)])
    after, days = gap_deployments(ts, [])
    assert after.tolist() == [False, True, False]        # the first has none before it
    assert days[1] == gap


def test_the_previous_periods_deployments_are_the_ones_before():
    start = ns("2024-02-01")
    after, _ = gap_deployments([start], [start - 20 * DAY])
    assert after.tolist() == [True]
    after, _ = gap_deployments([start], [start - 20 * DAY, start - DAY])
    assert after.tolist() == [False]
    after, _ = gap_deployments([start, start], [])      # two at the same moment: neither after a gap
    assert after.tolist() == [False, False]


def many_prs(n: int, deploy: str, service: str = "api"):
    """``n`` PRs created and merged on 2024-01-02, shipped by the deployment ``deploy`` (its id)."""
    rows = []
    for i in range(n):
        rows += [ev("2024-01-02T08:00:00Z", "pr_created", service, pr_id=f"{deploy}-{i}"),
                 ev("2024-01-02T09:00:00Z", "pr_merged", service, pr_id=f"{deploy}-{i}", deploy_id=deploy)]
    return rows


def test_automatic_annotations_of_a_hand_built_window():
    many = defaults.ANNOTATION_MANY_PRS
    rows = [ev("2024-01-01T00:00:00Z", "deploy", deploy_id="d0", status="success"),
            ev("2024-01-03T10:00:00Z", "deploy", deploy_id="d1", status="success"),     # ships ``many`` PRs
            ev("2024-01-04T10:00:00Z", "deploy", "web", deploy_id="d2", status="success"),  # ships ``many - 1``
            ev("2024-01-20T10:00:00Z", "deploy", "web", deploy_id="d3", status="success"),  # 16 days after d2
            ev("2024-01-05T11:00:00Z", "incident_start", incident_id="i1"),
            ev("2024-01-05T12:00:00Z", "incident_resolved", incident_id="i1"),
            *many_prs(many, "d1"), *many_prs(many - 1, "d2", "web")]
    an = analysis_of(rows, start="2024-01-01", end="2024-01-31")
    found = automatic_annotations(an)
    assert list(zip(found["at_ns"], found["kind"], found["service"], found["text"])) == [
        (ns("2024-01-03T10:00:00Z"), "batch", "api", f"deployment of {many} PRs (api)"),
        (ns("2024-01-05T11:00:00Z"), "incident", "api", "incident started (api)"),
        (ns("2024-01-20T10:00:00Z"), "gap", "web", "first deployment after 16 days without one (web)")]
    assert set(found["author"]) == {""}


def test_no_events_no_annotations():
    assert len(automatic_annotations(analysis_of([]))) == 0


# ----- stored, on both backends ---------------------------------------------------------------

def one_dataset():
    store.save("acme", normalize(pd.DataFrame([ev("2024-01-01T10:00:00Z", "deploy", deploy_id="d1",
                                                  status="success")]))[0])


def test_an_annotation_is_stored_with_its_author_in_the_audit_trail(backend):
    one_dataset()
    added = add_annotation("acme", "2024-01-02", "  migrated CI  ", "api", who="token:bot")
    assert (added.dataset, added.day, added.service, added.text, added.author) == (
        "acme", "2024-01-02", "api", "migrated CI", "token:bot")
    assert annotations_of("acme") == [added]
    assert annotations_of("acme", ns("2024-01-03"), None) == [] and annotations_of("acme", None, ns("2024-01-03")) == [added]
    entry = store.audit_log(1)[0]
    assert (entry.who, entry.action, entry.dataset, entry.events, entry.detail) == (
        "token:bot", "annotate", "acme", 0, "2024-01-02 api: migrated CI")


@pytest.mark.parametrize("day, text, service, said", [
    ("2024-01-02", "", None, "text is empty"),
    ("2024-01-02", "   ", None, "text is empty"),
    ("2024-01-02", "x" * (defaults.ANNOTATION_TEXT_MAX + 1), None, f"at most {defaults.ANNOTATION_TEXT_MAX} are kept"),
    ("2024-01-02", "two\nlines", None, "control character"),
    ("2024-01-02", "ok", 7, "service must be text"),
    ("2024-01-02", 7, None, "text must be text"),
    ("1999-12-31", "ok", None, "outside the days it may have"),
    ("2999-01-01", "ok", None, "outside the days it may have"),
    ("2024-02-30", "ok", None, "must be a day"),
    ("yesterday", "ok", None, "must be a day"),
    ("2024-01-02", "\ud800", None, "not text"),
])
def test_a_bad_annotation_is_one_sentence_and_nothing_is_stored(backend, day, text, service, said):
    one_dataset()
    before = len(store.audit_log(100))
    with pytest.raises(AnnotationError, match=said):
        add_annotation("acme", day, text, service, who="cli:ann")
    assert annotations_of("acme") == [] and len(store.audit_log(100)) == before


def test_the_longest_text_and_the_range_s_edges_are_kept():
    one_dataset()
    add_annotation("acme", defaults.ANNOTATION_EARLIEST, "x" * defaults.ANNOTATION_TEXT_MAX)
    today = pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d")
    add_annotation("acme", today, "today")
    assert [a.day for a in annotations_of("acme")] == [defaults.ANNOTATION_EARLIEST, today]
    assert annotation_day("2024-01-02") == ns("2024-01-02")


def test_an_annotation_of_an_unknown_dataset_is_refused(backend):
    with pytest.raises(AnnotationError, match="no dataset named 'nope'"):
        add_annotation("nope", "2024-01-02", "x")
    with pytest.raises(AnnotationError, match="dataset names are"):
        add_annotation("../etc", "2024-01-02", "x")


# ----- the API --------------------------------------------------------------------------------

@pytest.fixture
def api(data_dir):
    """A client of the dashboard's server, the dataset acme, an editor token and a viewer token."""
    from dashboard.app import create_app
    one_dataset()
    path = tokens.tokens_path(data_dir)
    return (create_app().server.test_client(), tokens.create(path, "bot", "editor"), tokens.create(path, "reader"))


def post(client, body, token=None, **kw):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if isinstance(body, bytes):
        return client.post("/api/v1/annotations", data=body, headers=headers, content_type="application/json", **kw)
    return client.post("/api/v1/annotations", json=body, headers=headers, **kw)


GOOD = {"dataset": "acme", "date": "2024-01-02", "text": "migrated CI", "service": "api"}


def test_an_editor_token_adds_an_annotation_201(api):
    client, editor, viewer = api
    reply = post(client, GOOD, editor)
    assert reply.status_code == 201
    body = reply.get_json()
    assert {k: body[k] for k in ("dataset", "date", "service", "text", "author")} == {
        "dataset": "acme", "date": "2024-01-02", "service": "api", "text": "migrated CI", "author": "token:bot"}
    listed = client.get("/api/v1/annotations?dataset=acme", headers={"Authorization": f"Bearer {viewer}"})
    assert listed.status_code == 200 and listed.get_json()["annotations"] == [body]
    entry = store.audit_log(1)[0]
    assert (entry.who, entry.action, entry.detail) == ("token:bot", "annotate", "2024-01-02 api: migrated CI")


def test_no_token_is_401_a_viewer_token_403_and_nothing_is_stored(api):
    client, editor, viewer = api
    none = post(client, GOOD)
    assert none.status_code == 401 and "Bearer" in none.headers["WWW-Authenticate"]
    assert post(client, GOOD, "mtr_forged").status_code == 401
    refused = post(client, GOOD, viewer)
    assert refused.status_code == 403 and "'reader' is a viewer's" in refused.get_json()["error"]
    assert annotations_of("acme") == []


def test_with_no_token_at_all_the_open_api_still_refuses_an_anonymous_write(data_dir):
    from dashboard.app import create_app
    one_dataset()
    refused = post(create_app().server.test_client(), GOOD)
    assert refused.status_code == 401 and "needs an editor token" in refused.get_json()["error"]
    assert "Bearer" in refused.headers["WWW-Authenticate"] and annotations_of("acme") == []


@pytest.mark.parametrize("body, status, said", [
    ({**GOOD, "text": ""}, 400, "text is empty"),
    ({**GOOD, "text": "x" * 201}, 400, "at most 200"),
    ({**GOOD, "date": "1999-01-01"}, 400, "outside the days"),
    ({**GOOD, "date": "soon"}, 400, "must be a day"),
    ({**GOOD, "colour": "red"}, 400, "unknown field 'colour'"),
    ({"dataset": "acme", "text": "x"}, 400, "'date' is missing"),
    ([GOOD], 400, "must be a JSON object"),
    (b"{not json", 400, "must be a JSON object"),
    ({**GOOD, "dataset": "nope"}, 404, "no dataset named 'nope'"),
    ({**GOOD, "dataset": 3}, 400, "dataset names are"),
])
def test_a_bad_body_is_a_4xx_with_one_sentence_and_nothing_stored(api, body, status, said):
    client, editor, _ = api
    reply = post(client, body, editor)
    assert reply.status_code == status and said in reply.get_json()["error"]
    assert "\n" not in reply.get_json()["error"]
    assert annotations_of("acme") == []


def test_a_huge_body_is_413(api):
    client, editor, _ = api
    reply = post(client, {**GOOD, "text": "x" * defaults.ANNOTATION_BODY_MAX_BYTES}, editor)
    assert reply.status_code == 413 and annotations_of("acme") == []


def test_listing_needs_a_known_dataset(api):
    client, _, viewer = api
    auth = {"Authorization": f"Bearer {viewer}"}
    assert client.get("/api/v1/annotations", headers=auth).status_code == 400
    assert client.get("/api/v1/annotations?dataset=nope", headers=auth).status_code == 404
    assert client.get("/api/v1/annotations?dataset=acme&x=1", headers=auth).status_code == 400


VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=250),
                   st.dates().map(str), st.lists(st.text(max_size=5), max_size=3))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(
    st.dictionaries(st.sampled_from(["dataset", "date", "text", "service", "other"]), VALUES, max_size=5),
    st.fixed_dictionaries({"dataset": st.sampled_from(["acme", "nope", ""]), "date": VALUES, "text": VALUES},
                          optional={"service": VALUES}),
    VALUES, st.binary(max_size=64)))
def test_fuzz_the_post_body_never_5xx_and_nothing_stored_on_failure(api, body):
    client, editor, _ = api
    before = len(annotations_of("acme"))
    reply = post(client, body, editor)
    assert reply.status_code < 500, reply.get_data(as_text=True)
    assert set(reply.get_json()) <= {"error", "parameter"} if reply.status_code != 201 else True
    assert len(annotations_of("acme")) == before + (reply.status_code == 201)


def test_a_token_s_role_is_viewer_unless_created_editor(data_dir):
    from metrics.cli import run_tokens
    path = tokens.tokens_path(data_dir)
    out = io.StringIO()
    assert run_tokens(["create", "bot", "--role", "editor"], out=out) == 0
    assert tokens.holder(path, out.getvalue().splitlines()[1]) == ("bot", "editor")
    reader = tokens.create(path, "reader")
    assert tokens.holder(path, reader) == ("reader", "viewer") and tokens.check(path, reader) == "reader"
    assert "role" not in json.loads(path.read_text())["reader"]      # a viewer token's entry is as before
    with pytest.raises(tokens.TokenError, match="a token's role is viewer or editor"):
        tokens.create(path, "x", "admin")


# ----- on the charts and in the drill-down ------------------------------------------------------

def test_markers_are_bounded_one_a_day_then_wider_spans():
    from components.figures import MAX_NOTE_MARKS, NOTES_A_MARK, note_marks
    start = ns("2024-01-01")
    at, hover = note_marks([start, start + 3600 * 10**9, start + DAY], ["a<b>", "b", "c"])
    assert at == [start, start + DAY] and hover == ["a&lt;b&gt;<br>b", "c"]
    many = start + np.arange(1000) * DAY                           # a note a day for 1000 days
    at, hover = note_marks(many, [f"n{i}" for i in range(1000)])
    assert len(at) <= MAX_NOTE_MARKS and at[0] == start
    assert hover[0].count("<br>") == NOTES_A_MARK and hover[0].endswith("more")
    crowded = note_marks([start] * 7, list("abcdefg"))[1]
    assert crowded == ["a<br>b<br>c<br>d<br>e<br>and 2 more"]


def test_marked_draws_the_goal_and_the_markers_on_a_time_chart_only():
    import plotly.graph_objects as go
    from components import figures as fg
    start = ns("2024-01-03")
    time_chart = fg._figure([go.Scatter(x=["2024-01-01", "2024-01-07"], y=[1, 2])], "t", "light", xaxis=fg.DATE_AXIS)
    drawn = fg.marked(time_chart, [(1.5, "goal: x ≥ 1.5")], ([start], ["migrated CI"]))
    notes = drawn.data[-1]
    assert notes.name == "annotations" and list(notes.x) == ["2024-01-03T00:00:00+00:00"] * 2 + [None]
    assert list(notes.hovertext) == ["migrated CI", "migrated CI", None] and notes.yaxis == "y9"
    assert [(s.y0, s.name) for s in drawn.layout.shapes] == [(1.5, "goal")]
    go.Figure(drawn.to_dict())                                     # a valid figure
    bars = fg._figure([go.Bar(x=["a", "b"], y=[1, 2])], "t", "light")
    assert len(fg.marked(bars, [], ([start], ["x"])).data) == 1   # not a chart over time: no markers
    fixed = fg._figure([go.Bar(x=["a"], y=[1])], "t", "light", y_range=(0, 5))
    assert list(fg.marked(fixed, [(9.0, "goal")]).layout.yaxis.range) == [0, pytest.approx(9.9)]


HAND = [ev("2024-01-01T10:00:00Z", "deploy", deploy_id="d1", status="success"),
        ev("2024-01-03T10:00:00Z", "deploy", deploy_id="d2", status="success"),
        ev("2024-01-04T10:00:00Z", "incident_start", incident_id="i1"),
        ev("2024-01-04T11:00:00Z", "incident_resolved", incident_id="i1"),
        ev("2024-01-06T10:00:00Z", "deploy", "web", deploy_id="w1", status="success"),
        ev("2024-01-02T09:00:00Z", "pr_created", pr_id="p1"),
        ev("2024-01-02T10:00:00Z", "pr_merged", pr_id="p1"),
        ev("2024-01-05T09:00:00Z", "survey", metric_value=4),
        ev("2024-01-05T09:00:00Z", "platform_investment_hour", metric_value=3)]


def test_every_time_chart_carries_the_markers_and_the_drilldown_lists_them(data_dir):
    from dataclasses import replace
    from components.panels import figures
    from dashboard.callbacks import computed_or_problem
    from dashboard.data import Views
    from dashboard.state import View
    from dashboard.tabs import TAB_VIEWS, drilldown_annotations
    store.save("acme", normalize(pd.DataFrame(HAND))[0])
    add_annotation("acme", "2024-01-02", "migrated CI", who="ann")
    add_annotation("acme", "2024-01-05", "web only", "web", who="ann")
    views = Views()
    view = replace(View(), dataset="acme", days=0)
    marked = {}
    for tab in ("dora", "space", "pvm"):
        c, problem = computed_or_problem(views, replace(view, tab=tab))
        assert problem is None
        for name, fig in figures(TAB_VIEWS[tab](c, "light")[1]).items():
            if fig.layout.xaxis.type == "date":
                notes = [t for t in fig.data if t.name == "annotations"]
                assert len(notes) == 1, name
                marked[name] = sorted({x[:10] for x in notes[0].x if x})
                assert notes[0].hovertext[1] == "2024-01-02: migrated CI (ann)"        # its day, text and author
    # the note of 01-02, the incident of 01-04 and web's note of 01-05, on every chart over time
    assert {"deployments", "recovery", "timeline", "activity", "impact"} <= set(marked)
    assert all(days == ["2024-01-02", "2024-01-04", "2024-01-05"] for days in marked.values()), marked
    # narrowed to api, web's note is not drawn
    c, _ = computed_or_problem(views, replace(view, only=("api",)))
    assert list(c.notes["text"]) == ["migrated CI", "incident started (api)"]
    c, _ = computed_or_problem(views, view)
    table = drilldown_annotations(c)[1]
    assert [(r["kind"], r["text"], r["author"]) for r in table.data] == [
        ("note", "web only", "ann"), ("incident", "incident started (api)", ""), ("note", "migrated CI", "ann")]
    assert table.data[0]["at"] == "2024-01-05 00:00"


def test_the_monthly_trends_carry_the_markers_across_all_their_panels(data_dir):
    """A 120-day view draws the trends (a panel per DORA key, one x axis): the annotations' trace is
    on an axis of its own spanning the whole plot height, so each marker's line crosses every panel."""
    from dataclasses import replace
    from components.figures import NOTE_AXIS
    from components.panels import figures
    from dashboard.callbacks import computed_or_problem
    from dashboard.data import Views
    from dashboard.state import View
    from dashboard.tabs import TAB_VIEWS
    store.save("acme", normalize(pd.DataFrame(HAND))[0])
    add_annotation("acme", "2024-01-02", "migrated CI", who="ann")
    c, problem = computed_or_problem(Views(), replace(View(), dataset="acme", days=120))
    assert problem is None
    trends = figures(TAB_VIEWS["dora"](c, "light")[1])["trends"]
    notes = [t for t in trends.data if t.name == "annotations"]
    assert len(notes) == 1 and "2024-01-02: migrated CI (ann)" in notes[0].hovertext
    axis = trends.layout[f"yaxis{NOTE_AXIS[1:]}"]
    assert list(axis.domain) == [0, 1] and axis.anchor == "x" and axis.overlaying is None
    assert len({trends.layout[name].domain for name in trends.layout if name.startswith("yaxis")
                and trends.layout[name].domain is not None}) > 2       # the panels: several heights


def test_a_body_that_is_not_json_is_400(api):
    client, editor, _ = api
    reply = client.post("/api/v1/annotations", data=json.dumps(GOOD), content_type="text/plain",
                        headers={"Authorization": f"Bearer {editor}"})
    assert reply.status_code == 400 and "must be JSON (Content-Type: application/json)" in reply.get_json()["error"]
    assert annotations_of("acme") == []


def test_prs_per_deployment_lists_the_deployments_that_shipped_prs_with_their_count():
    """d1 (01-02 12:00) ships x and y, merged that morning; d2 (01-03) ships nothing: one row, 2 PRs."""
    from helpers import analysis_of, ev
    rows = [ev("2024-01-02T08:00:00Z", "pr_created", pr_id="x"), ev("2024-01-02T09:00:00Z", "pr_merged", pr_id="x"),
            ev("2024-01-02T08:30:00Z", "pr_created", pr_id="y"), ev("2024-01-02T10:00:00Z", "pr_merged", pr_id="y"),
            ev("2024-01-02T12:00:00Z", "deploy", deploy_id="d1"), ev("2024-01-03T12:00:00Z", "deploy", deploy_id="d2")]
    shipped = analysis_of(rows).prs_per_deployment()
    assert shipped["prs"].tolist() == [2]
    assert shipped["ts"].tolist() == [pd.Timestamp("2024-01-02T12:00:00Z").value]
