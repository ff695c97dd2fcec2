"""Survey answers from Google Forms, Typeform and Microsoft Forms CSV exports (fixtures written from
each service's export layout) -> satisfaction_survey events, with hand-checked times and scores."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from metrics.ingest import LoadError, load_events
from metrics.ingest.sources.survey.reader import survey_reader

GOOGLE = '''Timestamp,Email Address,How satisfied are you with our developer tools?,Anything else?
2024/03/05 10:15:22 AM GMT+1,a@example.com,4,
2024/03/05 4:02:10 PM GMT+1,b@example.com,5,"great, thanks"
2024/03/06 9:00:00 AM GMT+1,c@example.com,,
2024/03/06 9:30:00 AM GMT+1,d@example.com,7,
'''
TYPEFORM = '''#,"On a scale of 1-5, how happy are you with CI?",Start Date (UTC),Submit Date (UTC),Network ID
abc1,"3 - Neutral",2024-03-05 10:00:00,2024-03-05 10:01:12,n1
abc2,"5 - Very happy",2024-03-05 11:00:00,2024-03-05 11:00:40,n2
'''
MSFORMS = '''ID,Start time,Completion time,Email,Name,Satisfaction
1,3/5/24 10:00:00,3/5/24 10:02:00,anonymous,,2
2,3/6/24 10:00:00,3/6/24 10:03:00,anonymous,,4
'''


def load(tmp_path, text, **options):
    path = tmp_path / "answers.csv"
    path.write_text(text, encoding="utf-8")
    return load_events([path], reader=survey_reader(**options))


def test_google_forms(tmp_path):
    frame, report = load(tmp_path, GOOGLE, score_column="How satisfied are you with our developer tools?")
    assert frame["metric_value"].tolist() == [4.0, 5.0]
    assert [str(t) for t in frame["ts"]] == ["2024-03-05 09:15:22+00:00", "2024-03-05 15:02:10+00:00"]
    assert set(frame["kind"]) == {"satisfaction_survey"} and set(frame["service"]) == {"team"}
    assert report.skipped == {"answers without a score (question left empty)": 1}
    assert report.rejected_count == 1 and "line 5" in report.rejected.iloc[0]["row"]
    assert "a@example.com" not in frame.to_csv()                 # respondents are never stored


def test_typeform_text_answers(tmp_path):
    frame, report = load(tmp_path, TYPEFORM, score_column="On a scale of 1-5, how happy are you with CI?")
    assert frame["metric_value"].tolist() == [3.0, 5.0]
    assert str(frame["ts"].iloc[0]) == "2024-03-05 10:01:12+00:00"    # Submit Date (UTC), not Start Date


def test_microsoft_forms_day_first_and_service(tmp_path):
    frame, _ = load(tmp_path, MSFORMS, score_column="Satisfaction")
    assert str(frame["ts"].iloc[0]) == "2024-03-05 10:02:00+00:00"      # month first by default
    frame, _ = load(tmp_path, MSFORMS, score_column="Satisfaction", day_first=True, service="platform")
    assert str(frame["ts"].iloc[0]) == "2024-05-03 10:02:00+00:00" and set(frame["service"]) == {"platform"}


def test_missing_columns_are_one_sentence(tmp_path):
    with pytest.raises(LoadError, match="has no column 'Score'.*columns are: Timestamp"):
        load(tmp_path, GOOGLE, score_column="Score")
    with pytest.raises(LoadError, match="no submission time column"):
        load(tmp_path, "Score\n4\n", score_column="Score")


@settings(max_examples=120, deadline=None)
@given(st.lists(st.lists(st.text(max_size=12), min_size=2, max_size=2), max_size=6))
def test_fuzzed_exports_never_crash(tmp_path_factory, rows):
    import csv
    import io
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["Timestamp", "Score"]] + rows)
    path = tmp_path_factory.mktemp("s") / "f.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    try:
        frame, report = load_events([path], reader=survey_reader(score_column="Score"))
    except LoadError:
        return
    assert ((frame["metric_value"] >= 1) & (frame["metric_value"] <= 5)).all()


# -- DORA's AI Capabilities Model: a column per capability ----------------------------------------------

CAPABILITIES = '''Timestamp,Email Address,Satisfaction,Clear and communicated AI stance,Q7 platform,  working in small batches ,ai_capability_user_centric,version-control
2024/03/05 10:15:22 AM GMT+1,a@example.com,4,5 - Strongly agree,3,2,4,1
2024/03/05 4:02:10 PM GMT+1,b@example.com,,1,,6,3,
'''


def test_a_column_per_ai_capability_by_header_or_by_option(tmp_path):
    frame, report = load(tmp_path, CAPABILITIES, score_column="Satisfaction", capability_column={"platform": ("Q7 platform",)})
    got = sorted(zip(frame["ts"].astype(str), frame["kind"], frame["metric_value"]))
    # line 2 (09:15 UTC): satisfaction 4 and six capabilities; line 3 (15:02 UTC): no satisfaction, stance 1,
    # small batches 6 (rejected: 1-5), user-centric 3; the empty answers skipped
    assert got == [("2024-03-05 09:15:22+00:00", "ai_capability_platform", 3.0),
                   ("2024-03-05 09:15:22+00:00", "ai_capability_small_batches", 2.0),
                   ("2024-03-05 09:15:22+00:00", "ai_capability_stance", 5.0),
                   ("2024-03-05 09:15:22+00:00", "ai_capability_user_centric", 4.0),
                   ("2024-03-05 09:15:22+00:00", "ai_capability_version_control", 1.0),
                   ("2024-03-05 09:15:22+00:00", "satisfaction_survey", 4.0),
                   ("2024-03-05 15:02:10+00:00", "ai_capability_stance", 1.0),
                   ("2024-03-05 15:02:10+00:00", "ai_capability_user_centric", 3.0)]
    assert set(frame["service"]) == {"team"} and "a@example.com" not in frame.to_csv()
    assert report.skipped == {"answers without a score (question left empty)": 1, "AI capability answers left empty": 2}
    assert list(zip(report.rejected["row"], report.rejected["reason"])) == \
        [("line 3", "Working in small batches answer must be between 1 and 5")]


def test_without_the_option_a_column_not_named_as_a_capability_is_not_read(tmp_path):
    frame, _ = load(tmp_path, CAPABILITIES, score_column="Satisfaction")
    assert "ai_capability_platform" not in set(frame["kind"])


@pytest.mark.parametrize("given, says", [
    ({"bogus": ("Q7 platform",)}, r"--capability-column bogus=\.\.\.: 'bogus' is not a capability; the capabilities are stance, "
                                   r"data-ecosystems, internal-data, version-control, small-batches, user-centric, platform"),
    ({"stance": ("Q99",)}, r"answers.csv has no column 'Q99' \(--capability-column stance=\.\.\.\)"),
])
def test_a_bad_capability_column_is_one_sentence(tmp_path, given, says):
    with pytest.raises(LoadError, match=says):
        load(tmp_path, CAPABILITIES, score_column="Satisfaction", capability_column=given)


def test_the_command_line_stores_capabilities_and_refuses_a_bad_column_storing_nothing(tmp_path, capsys):
    from metrics import store
    from metrics.cli import main
    path = tmp_path / "answers.csv"
    path.write_text(CAPABILITIES, encoding="utf-8")
    assert main(["import", "--from", "survey", "--name", "ai", "--score-column", "Satisfaction",
                 "--capability-column", "platform=Q7 platform", str(path)]) == 0
    tables = store.load_tables("ai")
    # the capabilities table keeps each answer with its capability's index in schema.AI_CAPABILITY_KINDS
    assert sorted(zip(tables.ai_capabilities["capability"], tables.ai_capabilities["score"])) == \
        [(0, 1.0), (0, 5.0), (3, 1.0), (4, 2.0), (5, 3.0), (5, 4.0), (6, 3.0)]
    capsys.readouterr()
    assert main(["import", "--from", "survey", "--name", "other", "--score-column", "Satisfaction",
                 "--capability-column", "mood=Q7 platform", str(path)]) == 2
    err = capsys.readouterr().err
    assert "'mood' is not a capability" in err and "Traceback" not in err
    assert "other" not in {d.name for d in store.list_datasets()}


@settings(max_examples=120, deadline=None)
@given(st.lists(st.lists(st.text(max_size=8), min_size=4, max_size=4), max_size=6),
       st.dictionaries(st.sampled_from(["stance", "platform", "nope", "small-batches"]),
                       st.lists(st.sampled_from(["Score", "A", "Working in small batches", "missing"]), min_size=1, max_size=2),
                       max_size=2))
def test_fuzzed_capability_exports_never_crash(tmp_path_factory, rows, given):
    import csv
    import io
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["Timestamp", "Score", "A", "Working in small batches"]] + rows)
    path = tmp_path_factory.mktemp("s") / "f.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    try:
        frame, report = load_events([path], reader=survey_reader(score_column="Score", capability_column=given))
    except LoadError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert ((frame["metric_value"] >= 1) & (frame["metric_value"] <= 5)).all()
