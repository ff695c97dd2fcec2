"""Which PRs were AI-assisted (metrics/ai_rules.py): every rule by hand, its precedence, the
settings of ``[ai]`` (each bad entry one sentence naming it), and the ``pr_ai_assisted`` event
through validation, the tables and back."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from metrics import schema as s
from metrics.ai_rules import AiRules, AiRulesError, ai_events, ai_rules_of, ai_settings_path, detect, read_ai_settings
from metrics.ingest import load_events
from metrics.tables import frame_from_tables, tables_from_frame


def facts(**columns) -> pd.DataFrame:
    n = max(len(v) for v in columns.values())
    frame = pd.DataFrame({"pr_id": [f"#{i + 1}" for i in range(n)], "service": "shop"})
    for name, values in columns.items():
        frame[name] = values
    return frame


def decided(frame, rules=None) -> list[tuple]:
    out = detect(frame, rules)
    return [(None if math.isnan(v) else int(v), r, a) for v, r, a in zip(out["ai_assisted"], out["rule"], out["assistant"])]


# -- each rule by hand ---------------------------------------------------------------------------

def test_trailers_by_address_name_and_key():
    frame = facts(messages=[
        "Fix\n\nCo-Authored-By: Claude Opus 4.6 <noreply@anthropic.com>",            # address
        "Fix\n\nCo-authored-by: Copilot <223556219+Copilot@users.noreply.github.com>",  # GitHub's ID+ prefix
        "Fix\n\nco-authored-by:   Codex   <noreply@openai.com>  ",                      # case, spaces
        "Fix\n\nAssisted-by: Cursor Agent <cursoragent@cursor.com>",                   # another trailer key
        "Fix\n\nCo-authored-by: aider (gpt-4o) <noreply@aider.chat>",
        "Fix\n\nCo-authored-by: Devin <158243242+devin-ai-integration[bot]@users.noreply.github.com>",
        "Fix\n\nCo-authored-by: Claude",                                                 # a whole name, no address
        "Fix\n\nCo-authored-by: Claudette Martin <claudette@example.com>",              # a human: not a name match
        "Fix\n\nCo-authored-by: Claude Dupont <claude.dupont@example.com>",             # a whole name must match
        "Mentions noreply@anthropic.com in the body, no trailer",
        "Fix\r\n\r\nCo-authored-by: Gemini <x@example.com>\r\n",                         # CRLF
        "Reviewed-by: Claude <noreply@anthropic.com>",                                  # not a trailer key read
        "Fix\n\nCo-authored-by: copilot-swe-agent <198982749+Copilot@users.noreply.github.com>",  # the address alone
    ])
    assert decided(frame) == [(1, "trailer", "claude"), (1, "trailer", "copilot"), (1, "trailer", "codex"),
                              (1, "trailer", "cursor"), (1, "trailer", "aider"), (1, "trailer", "devin"),
                              (1, "trailer", "claude"), (0, "none", ""), (0, "none", ""), (0, "none", ""),
                              (1, "trailer", "gemini"), (0, "none", ""), (1, "trailer", "copilot")]


def test_labels_bots_and_branches():
    frame = facts(labels=["bug\nCopilot", "AI-Assisted", "", None, "", "", "", ""],
                  author=["ann", "ann", "devin-ai-integration[bot]", "copilot", "ann", "ann", "ann", None],
                  branch=["main", "main", "x", "y", "claude/fix-7", "codex/a/b/c", "feature/claude/x", "cursor/"])
    assert decided(frame) == [(1, "label", "copilot"), (1, "label", ""), (1, "bot-author", "devin"),
                              (1, "bot-author", "copilot"), (1, "branch", "claude"), (1, "branch", "codex"),
                              (0, "none", ""), (1, "branch", "cursor")]


def test_unknown_when_no_fact_at_all_and_checked_when_any():
    frame = facts(messages=[None, "", "plain"], labels=[None, None, None], author=[None, "", None], branch=[None, None, None])
    assert decided(frame) == [(None, "", ""), (None, "", ""), (0, "none", "")]
    # a frame without any fact column: every PR unknown
    assert decided(facts(pr_id=["#1", "#2"])) == [(None, "", ""), (None, "", "")]
    assert detect(facts(messages=[]).iloc[:0]).empty


def test_precedence_is_the_order_of_rules_then_of_assistants():
    everything = facts(messages=["x\n\nCo-authored-by: Claude <noreply@anthropic.com>"], labels=["cursor"],
                       author=["Copilot"], branch=["codex/1"])
    assert decided(everything) == [(1, "trailer", "claude")]
    order = lambda *rules: ai_rules_of({"rules": list(rules)})            # noqa: E731
    assert decided(everything, order("label", "trailer")) == [(1, "label", "cursor")]
    assert decided(everything, order("bot-author", "label")) == [(1, "bot-author", "copilot")]
    assert decided(everything, order("branch")) == [(1, "branch", "codex")]
    # a rule left out never decides: the PR is 0 when only it would match
    assert decided(facts(branch=["claude/x"]), order("trailer", "label")) == [(0, "none", "")]
    # two assistants in one rule: the first in their order is named (claude before codex)
    both = facts(messages=["x\n\nCo-authored-by: Codex <codex@openai.com>\nCo-authored-by: Claude <noreply@anthropic.com>"])
    assert decided(both) == [(1, "trailer", "claude")]
    # an assistant's label wins over a generic one within the label rule
    assert decided(facts(labels=["ai-assisted\ndevin"])) == [(1, "label", "devin")]


# -- the [ai] settings ----------------------------------------------------------------------------

def test_settings_replace_keys_and_add_assistants(tmp_path):
    path = tmp_path / "ai.toml"
    path.write_text('[ai]\nrules = ["branch", "trailer"]\ntrailer_keys = ["Co-authored-by"]\nlabels = ["robot"]\n'
                    '[ai.assistants.claude]\nbranches = ["ai/claude-*"]\n'
                    '[ai.assistants.tabnine]\nnames = ["Tabnine"]\nbots = ["tabnine-bot"]\n', encoding="utf-8")
    rules = read_ai_settings(path)
    assert rules.rules == ("branch", "trailer") and rules.trailer_keys == ("Co-authored-by",)
    assert list(rules.assistants)[-1] == "tabnine"
    frame = facts(branch=["claude/x", "ai/claude-7", None, None, None],
                  messages=[None, None, "Assisted-by: Claude <noreply@anthropic.com>", "Co-authored-by: tabnine", None],
                  labels=[None, None, None, None, "robot"])
    # claude's branches replaced; Assisted-by no longer read; a new assistant; a new generic label (label rule off)
    assert decided(frame, rules) == [(0, "none", ""), (1, "branch", "claude"), (0, "none", ""), (1, "trailer", "tabnine"),
                                     (0, "none", "")]
    no_builtin = ai_rules_of({"builtin": False})
    assert no_builtin.assistants == {} and decided(facts(author=["Copilot"]), no_builtin) == [(0, "none", "")]


def test_settings_file_missing_is_the_defaults_unless_required(tmp_path, monkeypatch):
    assert read_ai_settings(tmp_path / "none.toml") == AiRules()
    with pytest.raises(AiRulesError, match="does not exist"):
        read_ai_settings(tmp_path / "none.toml", required=True)
    monkeypatch.setenv("METRICS_AI_RULES", str(tmp_path / "x.toml"))
    assert ai_settings_path(tmp_path) == tmp_path / "x.toml"
    monkeypatch.delenv("METRICS_AI_RULES")
    assert ai_settings_path(tmp_path) == tmp_path / "ai.toml"
    broken = tmp_path / "broken.toml"
    broken.write_text("[ai\n", encoding="utf-8")
    with pytest.raises(AiRulesError, match="is not valid TOML"):
        read_ai_settings(broken)


@pytest.mark.parametrize("table, says", [
    ("rules = \"trailer\"", r"\[ai\] rules must be a list of texts, not str"),
    ("rules = [\"trailer\", \"magic\"]", r"rules lists each of trailer, label, bot-author, branch at most once, not 'magic'"),
    ("rules = [\"label\", \"label\"]", r"at most once, not 'twice'"),
    ("labels = [\"ok\", \"  \"]", r"\[ai\] labels: item 2 is empty"),
    ("labels = [1]", r"\[ai\] labels: item 1 must be a text, not int"),
    ("trailer_keys = [\"Co authored by\"]", r"trailer_keys are trailer names"),
    ("builtin = \"yes\"", r"builtin must be true or false"),
    ("colour = 1", r"unknown key 'colour'"),
    ("assistants = 3", r"\[ai.assistants\] must be a table"),
    ("[ai.assistants.claude]\nbranches = [\"\"]", r"\[ai.assistants.claude\] branches: item 1 is empty \(an empty pattern"),
    ("[ai.assistants.claude]\nbots = \"claude\"", r"\[ai.assistants.claude\] bots must be a list"),
    ("[ai.assistants.claude]\nmood = [\"x\"]", r"\[ai.assistants.claude\] has an unknown key 'mood'"),
    ("[ai.assistants.Bad_Name]\nbots = [\"x\"]", r"\[ai.assistants.Bad_Name\]: an assistant's name is lower-case"),
    ("assistants.claude = 1", r"\[ai.assistants.claude\] must be a table"),
])
def test_each_bad_setting_is_one_sentence_naming_its_entry(tmp_path, table, says):
    path = tmp_path / "ai.toml"
    path.write_text("[ai]\n" + table + "\n", encoding="utf-8")
    with pytest.raises(AiRulesError, match=says) as caught:
        read_ai_settings(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_ai_is_a_table():
    with pytest.raises(AiRulesError, match=r"\[ai\] must be a table of settings, not int"):
        ai_rules_of(3)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["rules", "trailer_keys", "labels", "builtin", "assistants", "other"]),
                       st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                                    max_leaves=8), max_size=4))
def test_fuzzed_ai_settings_are_rules_or_one_sentence(table):
    try:
        rules = ai_rules_of(table)
    except AiRulesError as e:
        assert str(e) and "\n" not in str(e)
        return
    decided(facts(messages=["x"], labels=["y"], author=["z"], branch=["w"]), rules)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.none() | st.text(max_size=40), st.none() | st.text(max_size=20),
                          st.none() | st.text(max_size=12), st.none() | st.text(max_size=12)), max_size=6))
def test_fuzzed_facts_always_decide_every_pr(rows):
    frame = facts(messages=[r[0] for r in rows] or [None], labels=[r[1] for r in rows] or [None],
                  author=[r[2] for r in rows] or [None], branch=[r[3] for r in rows] or [None])
    out = detect(frame)
    assert len(out) == len(frame)
    known = out["ai_assisted"].notna()
    assert set(out["ai_assisted"][known]) <= {0.0, 1.0}
    assert ((out["rule"][known] == "none") == (out["ai_assisted"][known] == 0)).all()
    assert set(out["rule"]) <= set(s.AI_RULES) | {""}


# -- the event: validation, tables, round trip ------------------------------------------------------

def test_events_from_the_rules_validate_and_reach_the_pr_table(tmp_path):
    frame = facts(messages=["x\n\nCo-authored-by: Claude <noreply@anthropic.com>", "plain", None],
                  labels=[None, None, None], author=["ann", "bob", None], branch=[None, None, None])
    frame["pr_id"] = ["shop#1", "shop#2", "shop#3"]
    frame["ts"] = ["2024-03-01T10:00:00Z", "2024-03-01T11:00:00Z", "2024-03-01T12:00:00Z"]
    rows = ai_events(frame)
    assert list(rows["pr_id"]) == ["shop#1", "shop#2"]                    # the unknown PR has no event
    created = pd.DataFrame({"ts": frame["ts"], "kind": "pr_created", "service": "shop", "pr_id": frame["pr_id"]})
    path = tmp_path / "events.csv"
    pd.concat([created, rows], ignore_index=True).to_csv(path, index=False)
    events, report = load_events([path])
    assert report.rejected_count == 0
    tables = tables_from_frame(events)
    prs = tables.prs.sort_values("created")
    assert prs["ai_assisted"].tolist()[:2] == [1.0, 0.0] and math.isnan(prs["ai_assisted"].tolist()[2])
    again = frame_from_tables(tables)
    ai = again[again["kind"] == s.PR_AI_ASSISTED].sort_values("pr_id")
    assert list(zip(ai["pr_id"], ai["metric_value"], ai["status"], ai["author"])) == \
        [("shop#1", 1.0, "trailer", "claude"), ("shop#2", 0.0, "none", "")]


BAD = """ts,kind,service,pr_id,metric_value,status,author
2024-03-01T10:00:00Z,pr_ai_assisted,shop,#1,1,trailer,claude
2024-03-01T10:00:00Z,pr_ai_assisted,shop,#2,0.5,none,
2024-03-01T10:00:00Z,pr_ai_assisted,shop,#3,1,none,
2024-03-01T10:00:00Z,pr_ai_assisted,shop,#4,0,label,
2024-03-01T10:00:00Z,pr_ai_assisted,shop,#5,1,magic,
2024-03-01T10:00:00Z,pr_ai_assisted,shop,#6,,trailer,
2024-03-01T10:00:00Z,pr_ai_assisted,shop,,1,trailer,
2024-03-01T11:00:00Z,pr_ai_assisted,shop,#1,0,none,
2024-03-01T10:00:00Z,pr_ai_assisted,shop,#7,-1,none,
2024-03-01T10:00:00Z,pr_ai_assisted,shop,#8,2,label,
2024-03-01T10:00:00Z,pr_ai_assisted,shop,#9,0,NONE,
"""


def test_bad_pr_ai_assisted_rows_are_rejected_with_their_reason(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(BAD, encoding="utf-8")
    events, report = load_events([path])
    reasons = dict(zip(report.rejected["row"], report.rejected["reason"]))
    assert reasons == {
        "line 3": "pr_ai_assisted must be 0 or 1",
        "line 4": "pr_ai_assisted 1 names the rule that matched, not none",
        "line 5": "pr_ai_assisted 0 has the rule none 'label'",
        "line 6": "unknown pr_ai_assisted rule (trailer, label, bot-author, branch or none) 'magic'",
        "line 7": "missing metric_value (required for pr_ai_assisted)",
        "line 8": "missing pr_id",
        "line 9": "second pr_ai_assisted for the same pr_id",
        "line 10": "pr_ai_assisted must be 0 or 1",
        "line 11": "pr_ai_assisted must be 0 or 1",
    }
    # status is lower-cased like a deployment's: NONE is none
    assert sorted(events["pr_id"]) == ["shop#1", "shop#9"]


def test_the_synthetic_universe_gives_its_prs_verdicts():
    # issue 29's ai-src: the synthetic universe draws verdicts of its own (tests/test_synthetic.py: their
    # shares, and that every earlier event is unchanged); a PR with none is unknown
    from metrics.synthetic import generate
    tables = generate(days=7, seed=1).tables
    known = ~np.isnan(tables.prs["ai_assisted"].to_numpy())
    assert len(tables.prs) and known.any() and len(tables.ai_checks) == known.sum()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["0", "1", "0.5", "-1", "", "x", "1e309", "nan"]),
                          st.sampled_from(list(s.AI_RULES) + ["", "Label", "magic"]),
                          st.sampled_from(["", "claude", "copilot"]), st.sampled_from(["#1", "#2", ""])), max_size=6),
       st.booleans())
def test_fuzzed_canonical_pr_ai_assisted_rows_store_valid_events_or_nothing(tmp_path_factory, rows, strict):
    import csv
    import io
    from metrics import store
    from metrics.cli import main
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["ts", "kind", "service", "pr_id", "metric_value", "status", "author"]] +
                                 [["2024-03-01T10:00:00Z", "pr_ai_assisted", "shop", p, v, r, a] for v, r, a, p in rows])
    path = tmp_path_factory.mktemp("c") / "ai.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    name = f"fuzz{abs(hash(buffer.getvalue())) % 10**8}{int(strict)}"
    code = main(["import", "--from", "events", "--name", name, str(path)] + (["--strict"] if strict else []))
    stored = name in {d.name for d in store.list_datasets()}
    assert code in (0, 1, 2)
    if code == 2:
        assert not stored
    if stored:
        frame = store.load(name)
        ok = frame["kind"] == s.PR_AI_ASSISTED
        assert frame.loc[ok, "metric_value"].isin([0.0, 1.0]).all()
        assert frame.loc[ok, "status"].isin(s.AI_RULES).all()
        assert ((frame.loc[ok, "status"] == "none") == (frame.loc[ok, "metric_value"] == 0)).all()
        assert not frame.loc[ok, "pr_id"].duplicated().any()
