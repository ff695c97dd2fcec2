"""The view's declared fields (dashboard/fields.py) and what derives from them: the computation key
(every field that changes the numbers is in it, no other), the link's round trip, the API reading a
query exactly as the dashboard reads a link, and each control a widget on the page.

The field lists come from the declarations, so a new field is covered without touching this file;
a field whose parser is of a new kind fails here until ``accepted`` says what values it takes."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import ClassVar
from urllib.parse import parse_qs, urlencode

import flask
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from dashboard.api import FIELDS_BY_PARAMETER, REPEATABLE, ApiError, view_of
from dashboard.data import Views
from dashboard.fields import BOTH, CONTROLS, DATASET, FIELDS, SYNTHETIC, View, style_key
from dashboard.layout import page
from dashboard.parsers import Amount, Checked, Day, Days, Matching, Names, OneOf, Whole, number_text
from dashboard.state import from_query, read_link, to_query, validate

from conftest import FIXTURES

PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                            HealthCheck.too_slow,
                                                                            HealthCheck.filter_too_much])
UNIVERSES = (SYNTHETIC, DATASET)


def applies(name: str, universe: str) -> bool:
    return FIELDS[name].universe in (BOTH, universe)


def accepted(name: str, universe: str) -> st.SearchStrategy:
    """Values field ``name`` accepts in ``universe``, as a View holds them, by its parser's kind."""
    p = FIELDS[name].parse
    if isinstance(p, Whole):
        return st.integers(p.lo, p.hi)
    if isinstance(p, Amount):
        return st.floats(p.lo, p.hi, allow_nan=False, allow_infinity=False)
    if isinstance(p, Days):
        return st.integers(0 if universe == DATASET else 1, p.hi)
    if isinstance(p, Day):
        return st.just("") | st.dates(date(1970, 1, 1), date(2199, 12, 31)).map(date.isoformat)
    if isinstance(p, (OneOf, Checked)):
        return st.sampled_from(p.choices)
    if isinstance(p, Matching):
        return st.from_regex(p.pattern, fullmatch=True).filter(lambda text: text == text.strip())
    if isinstance(p, Names):
        one = st.from_regex(p.pattern, fullmatch=True).filter(lambda n: n.strip() and (n == n.strip() or not p.strip))
        return st.lists(one, max_size=3, unique=True).map(tuple)
    raise AssertionError(f"field {name}: no strategy for a {type(p).__name__} parser; add one to accepted()")


@st.composite
def views(draw, universe: str) -> View:
    """A valid view of the synthetic universe or of a stored dataset."""
    dataset = draw(accepted("dataset", DATASET)) if universe == DATASET else ""
    values = {name: draw(accepted(name, universe)) for name in FIELDS if name != "dataset"}
    view, _ = validate(dataset=dataset, **values)
    assume(view is not None)
    return view


def keyed(view: View) -> set:
    """The fields whose values a view's computation may depend on: the declared ones."""
    return {name for name, f in FIELDS.items() if f.computes and f.applies_to(view)}


def values_of(view: View) -> dict:
    return {name: getattr(view, name) for name in FIELDS}


# ---------------------------------------------------------------------------------------------
# the computation key


@pytest.mark.parametrize("universe", UNIVERSES)
@pytest.mark.parametrize("name", FIELDS)
@PROPERTY
@given(data=st.data())
def test_every_field_that_changes_the_computation_is_in_the_key(name, universe, data):
    """Two views that differ in one field only: different keys where the field changes the
    computation and applies to the view's data, equal keys otherwise (the Views' cache keys too)."""
    view = data.draw(views(universe))
    other = replace(view, **{name: data.draw(accepted(name, universe))})
    assume(other != view)
    changes = FIELDS[name].computes and applies(name, universe)
    assert (view.computation_key() != other.computation_key()) == changes
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("dashboard.data.version_of", lambda dataset: (1, 2))
        assert (cache_key(view) != cache_key(other)) == changes


def cache_key(view: View):
    """The key ``Views.compute`` caches ``view`` under (nothing computed)."""
    views, keys = Views(), []
    views.cache.get = lambda key, compute: keys.append(key)
    views.compute(view, end_ns=0)
    return keys[0]


class ReadsRecorded(View):
    """A View that notes which fields are read from it."""

    read: ClassVar[set] = set()

    def __getattribute__(self, name):
        if name in FIELDS:
            ReadsRecorded.read.add(name)
        return super().__getattribute__(name)


@pytest.mark.parametrize("view", [
    View(seed=3, days=7, services=2, team_size=3), View(days=7, only=("search",), hourly_rate=99.5),
    View(days=7, teams=("core",), developers=4), View(dataset="hand", days=0),
    View(dataset="hand", days=0, start="2024-01-02", end="2024-01-05", only=("api",), value_per_deploy=10),
    View(dataset="hand", days=7, teams=("core",)),
], ids=lambda v: f"{v.dataset or 'synthetic'}-{v.days}")
def test_the_computation_reads_only_the_fields_in_its_key(view, isolated_data_dir):
    """What ``Views.compute`` reads of a view (every tab, benchmark and field that does not apply
    to its data left alone) is in the key, so a cached result is never another view's."""
    from metrics.cli import main
    assert main(["import", "--from", "events", str(FIXTURES / "hand.csv"), "--name", "hand"]) == 0
    (isolated_data_dir / "teams.toml").write_text('[teams.core]\nservices = ["api", "checkout"]\n')
    spied = ReadsRecorded(**values_of(view))
    ReadsRecorded.read = set()
    computed = Views().compute(spied)
    assert ReadsRecorded.read and ReadsRecorded.read <= keyed(view), ReadsRecorded.read - keyed(view)
    assert computed.current.summary == Views().compute(view).current.summary


# ---------------------------------------------------------------------------------------------
# the link


@PROPERTY
@given(view=st.one_of(views(SYNTHETIC), views(DATASET)), defaults=st.one_of(views(SYNTHETIC), views(DATASET)))
def test_a_valid_view_round_trips_through_its_link(view, defaults):
    """``from_query(to_query(view))`` is the view; a dataset's link leaves out the synthetic
    universe's settings, which come back as the defaults have them."""
    expected = replace(view, **{name: getattr(defaults, name) for name, f in FIELDS.items()
                                if view.dataset and not f.applies_to(view)})
    assert from_query(to_query(view, defaults), defaults) == (expected, [])


def test_numbers_in_the_link_read_back_as_the_same_number():
    assert number_text(150.0) == "150" and number_text(99.5) == "99.5" and number_text(1e9) == "1e+09"
    assert number_text(150.123456789) == "150.123456789"          # six digits ("150.123") would be another rate
    view = View(hourly_rate=150.123456789)
    assert "rate=150.123456789" in to_query(view, View()) and from_query(to_query(view, View()), View())[0] == view


def link_values(parameter: str) -> st.SearchStrategy:
    """What a link may give one parameter: texts its field accepts, and anything else."""
    name = FIELDS_BY_PARAMETER[parameter]
    good = st.one_of(*(accepted(name, u) for u in UNIVERSES)).map(lambda v: [number_text(v) if isinstance(v, float)
                                                                           else v])
    if parameter in REPEATABLE:
        good = good.map(lambda v: list(v[0]) or [""])
    junk = st.lists(st.text(max_size=12), min_size=1, max_size=3 if parameter in REPEATABLE else 1)
    return st.one_of(good, junk)


APP = flask.Flask(__name__)


@settings(max_examples=150, deadline=None)
@given(query=st.lists(st.sampled_from(sorted(FIELDS_BY_PARAMETER)), unique=True, max_size=6).flatmap(
    lambda parameters: st.fixed_dictionaries({p: link_values(p) for p in parameters})))
def test_the_api_and_a_link_accept_and_refuse_the_same_parameters(query):
    """The same query: the API gives the dashboard's view, or refuses it with the dashboard's
    first complaint, naming the parameter the dashboard complains of."""
    search = "?" + urlencode(query, doseq=True)
    view, errors = from_query(search, View())
    with APP.test_request_context("/api/v1/summary" + search):
        args = flask.request.args
        try:
            api_view = view_of(args, View())
        except ApiError as refused:
            first = read_link(parse_qs(search[1:], keep_blank_values=True), View())[1][0]
            assert errors and errors[0] == f"In the link: {refused} Showing the default instead."
            assert refused.parameter == first[0] and refused.status == 400
        else:
            assert errors == [] and api_view == view


@PROPERTY
@given(name=st.sampled_from(sorted(FIELDS)),
       raw=st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(), st.text(max_size=30),
                     st.lists(st.one_of(st.text(max_size=10), st.integers(), st.none()), max_size=4),
                     st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)))
def test_any_value_of_any_field_gives_a_view_or_sentences(name, raw):
    view, errors = validate(**{name: raw})
    assert (view is None) == bool(errors) and all(isinstance(e, str) and e.endswith(".") for e in errors)


def test_validate_takes_field_names_only():
    with pytest.raises(TypeError, match="colour"):
        validate(colour="red")
    assert validate() == (View(), [])


# ---------------------------------------------------------------------------------------------
# the controls


def by_id(component, found=None) -> dict:
    """Every component of a layout with an id, by its id."""
    found = {} if found is None else found
    if getattr(component, "id", None) is not None:
        found[component.id] = component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if hasattr(child, "to_plotly_json"):
            by_id(child, found)
    return found


def test_every_control_is_a_widget_on_the_page():
    """Each declared control, each button or input that submits one, and each control's container
    is a component of the page with that property."""
    found = by_id(page(View(), 10**6))
    for c in CONTROLS:
        for component_id, prop in ((c.id, c.prop), *c.submitted_by):
            assert component_id in found and prop in found[component_id].available_properties, (component_id, prop)
        if c.column:
            assert c.column in found and style_key(c.column).endswith("_style")



def test_the_callbacks_take_every_control_id_from_the_fields():
    """No declared control's id is written out in dashboard/callbacks.py: its inputs, outputs and
    states reach each control through its field's declaration, so a renamed widget is one edit."""
    import ast
    import dashboard.callbacks as callbacks
    with open(callbacks.__file__, encoding="utf-8") as f:
        texts = {node.value for node in ast.walk(ast.parse(f.read()))
                 if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    ids = {c.id for c in CONTROLS} | {i for c in CONTROLS for i, _ in c.submitted_by} | {c.column for c in CONTROLS}
    assert sorted((ids - {""}) & texts) == []
    # and they are wired: each control a dependency of the main callback, by its declared id
    wired = {d.component_id for d in (*callbacks.OUTPUTS.values(), *callbacks.TRIGGERS["controls"].values(),
                                      *callbacks.READS["typed"].values()) if isinstance(d.component_id, str)}
    assert {c.id for c in CONTROLS} <= wired
