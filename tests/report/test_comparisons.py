"""Session and role crosstabs, shared views, dimensions and profiles on hand-made codings
whose answers are worked out by hand in the comments."""

from __future__ import annotations

import pandas as pd
import pytest

from peerstudy.errors import ConfigError
from peerstudy.report.comparisons import dimension_table, dyad_profiles, emergence_table, role_table, shared_views

BOOK = pd.DataFrame(
    {
        "label": ["Life alliance", "Trust", "Empathy", "Early trust", "Illness", "Family"],
        "parent": [None, "core", "core", "trust", "empathy", "empathy"],
        "depth": [0, 1, 1, 2, 2, 2],
    },
    index=pd.Index(["core", "trust", "empathy", "early", "emp-ill", "emp-fam"], name="code"),
)

# Two dyads. D1: observed at sessions 1 and 3, both members interviewed at 3.
# D2: observed at session 1 and 3, only the PIR interviewed at 3.
DOCS = pd.DataFrame(
    {
        "document": ["D1-S1-OBS", "D1-S3-OBS", "D1-S3-PSW", "D1-S3-PIR", "D2-S1-OBS", "D2-S3-OBS", "D2-S3-PIR"],
        "dyad": ["D1", "D1", "D1", "D1", "D2", "D2", "D2"],
        "session": [1, 3, 3, 3, 1, 3, 3],
        "source": [
            "observation",
            "observation",
            "PSW interview",
            "PIR interview",
            "observation",
            "observation",
            "PIR interview",
        ],
    }
)
SEGS = pd.DataFrame(
    {
        "segment": ["a", "b", "c", "d", "e", "f", "g"],
        "document": ["D1-S1-OBS", "D1-S3-PSW", "D1-S3-PIR", "D1-S3-PIR", "D2-S1-OBS", "D2-S3-PIR", "D1-S3-PSW"],
        "participant": ["", "PSW01", "PIR01", "PIR01", "", "PIR02", "PSW01"],
        "text": [
            "They smiled.",
            "I told him about my illness too.",
            "She understands my family.",
            "I trust her now.",
            "Long silence.",
            "We talk about family a lot, really a lot.",
            "Trust takes time.",
        ],
    }
)
CONS = pd.DataFrame(
    {
        "segment": ["a", "b", "c", "d", "e", "f", "g"],
        "code": ["early", "emp-ill", "emp-fam", "early", "early", "emp-fam", "early"],
    }
)
PEOPLE = pd.DataFrame({"participant": ["PSW01", "PIR01", "PSW02", "PIR02"], "role": ["PSW", "PIR", "PSW", "PIR"]})


def test_emergence_shares_of_dyads():
    table = emergence_table(CONS, SEGS, DOCS, BOOK, depth=1, sources=["observation", "PSW interview", "PIR interview"])
    cell = table.set_index(["code", "source", "session"])
    # trust seen in the session-1 observations of both dyads: 2 of 2
    assert cell.loc[("trust", "observation", 1), ["units", "of", "share"]].tolist() == [2, 2, 1.0]
    # no trust in the session-3 observations
    assert cell.loc[("trust", "observation", 3), "units"] == 0
    # PIR interviews at session 3 exist for both dyads; empathy raised by both PIRs
    assert cell.loc[("empathy", "PIR interview", 3), ["units", "of"]].tolist() == [2, 2]
    # only D1 has a PSW interview: of = 1
    assert cell.loc[("empathy", "PSW interview", 3), ["units", "of", "share"]].tolist() == [1, 1, 1.0]


def test_shared_view_needs_both_roles_in_the_same_round():
    shared = shared_views(CONS, SEGS, DOCS, BOOK, PEOPLE, depth=1)
    # D1 session 3: PSW raised empathy (b) and trust (g); PIR raised empathy (c) and trust (d) -> 2 shared views.
    # D2: only the PIR was interviewed -> none.
    assert shared.values.tolist() == [["D1", 3, "trust"], ["D1", 3, "empathy"]]
    # at the level of dimensions the PSW spoke of illness and the PIR of family: no shared view
    assert shared_views(CONS, SEGS, DOCS, BOOK, PEOPLE, depth=2)[["code"]].values.tolist() == [["early"]]


def test_role_table_counts_statements_dyads_and_shared_views():
    table = role_table(CONS, SEGS, DOCS, BOOK, PEOPLE, depth=1).set_index("code")
    assert table.loc["empathy"].to_dict() == {
        "label": "Empathy",
        "statements_PIR": 2,
        "dyads_PIR": 2,
        "statements_PSW": 1,
        "dyads_PSW": 1,
        "shared_views": 1,
    }
    assert table.loc["trust", ["statements_PIR", "statements_PSW", "shared_views"]].tolist() == [1, 1, 1]


def test_dimensions_by_role_with_the_longest_quote():
    table = dimension_table(CONS, SEGS, DOCS, BOOK, PEOPLE, parent="empathy").set_index("code")
    assert table.loc["emp-fam", ["statements_PIR", "statements_PSW"]].tolist() == [2, 0]
    assert table.loc["emp-fam", "quote"] == "We talk about family a lot, really a lot."
    assert table.loc["emp-fam", "attribution"] == "PIR02, session 3"
    with pytest.raises(ConfigError, match="field 'parent': expected a code of the codebook"):
        dimension_table(CONS, SEGS, DOCS, BOOK, PEOPLE, parent="nope")


def test_dyad_profiles_one_row_per_dyad():
    profiles = dyad_profiles(CONS, SEGS, DOCS, BOOK, depth=1).set_index("dyad")
    assert profiles.to_dict("index") == {
        "D1": {"session 1": "trust", "session 3": "trust, empathy"},
        "D2": {"session 1": "trust", "session 3": "empathy"},
    }


def test_unknown_attribute_is_a_config_error():
    with pytest.raises(
        ConfigError, match="field 'attributes': expected columns of the documents table, found \\['wave'\\]"
    ):
        emergence_table(CONS, SEGS, DOCS, BOOK, time="wave")


def test_counts_by_session_and_role_at_every_level():
    from peerstudy.report.comparisons import counts_by_time_and_role

    # By hand from CONS/SEGS: session 1: a, e (observations, no speaker) -> trust; session 3: b (PSW01, empathy),
    # c (PIR01, empathy), d (PIR01, trust), f (PIR02, empathy), g (PSW01, trust).
    table = counts_by_time_and_role(CONS, SEGS, DOCS, BOOK, PEOPLE, depth=1).set_index("code")
    assert list(table.columns) == ["label", "session 1: observation", "session 3: PIR", "session 3: PSW"]
    assert table.loc["trust"].tolist() == ["Trust", 2, 1, 1]
    assert table.loc["empathy"].tolist() == ["Empathy", 0, 2, 1]
    top = counts_by_time_and_role(CONS, SEGS, DOCS, BOOK, PEOPLE, depth=0).set_index("code")
    assert top.loc["core"].tolist() == ["Life alliance", 2, 3, 2]


def test_shared_views_count_only_the_declared_sources():
    # D1 session 3: PSW01 and PIR01 both raised trust (g, d) and empathy (b, c) in their interviews;
    # counting only the PSW interviews, no view is shared.
    assert len(shared_views(CONS, SEGS, DOCS, BOOK, PEOPLE, depth=1, sources=["PSW interview", "PIR interview"])) == 2
    assert shared_views(CONS, SEGS, DOCS, BOOK, PEOPLE, depth=1, sources=["PSW interview"]).empty


def test_dyad_declarations_are_checked_together():
    from peerstudy.report.comparisons import check_dyad_parameters

    kinds = {"observation": "field notes", "PSW interview": "interview", "PIR interview": "interview"}
    with pytest.raises(ConfigError) as info:
        check_dyad_parameters(
            DOCS,
            BOOK,
            source_kinds=kinds,
            sources=["observation", "video"],
            shared_sources=["PSW interview"],
            dimensions_of=["kindness"],
            depth=3,
        )
    fields = [p.field for p in info.value.problems]
    assert fields == ["source_kinds", "sources", "dimensions_of", "category_depth"]


def test_a_declared_source_without_documents_is_no_problem_an_undeclared_one_is():
    from peerstudy.report.comparisons import check_dyad_parameters

    # DOCS holds observations and PSW and PIR interviews; a carers' interview is declared
    # but not done yet (its counts are zero), and a misspelt declaration leaves the
    # documents' own "PIR interview" undeclared
    kinds = {"observation": "observation notes", "PSW interview": "interview", "PIR interview": "interview"}
    planned = {**kinds, "carer interview": "interview"}
    check_dyad_parameters(DOCS, BOOK, source_kinds=planned, sources=[], shared_sources=["carer interview"],
                          dimensions_of=[], depth=0)  # fmt: skip
    misspelt = {k.replace("PIR interview", "PIR interveiw"): v for k, v in kinds.items()}
    with pytest.raises(ConfigError) as info:
        check_dyad_parameters(DOCS, BOOK, source_kinds=misspelt, sources=[], shared_sources=[], dimensions_of=[],
                              depth=0)  # fmt: skip
    (problem,) = info.value.problems
    assert (problem.field, problem.found) == ("source_kinds", "'PIR interview'")


def test_dyad_key_figures_count_the_declared_kinds():
    from peerstudy.report.keyfigures import dyad_key_figures

    # 4 observation documents and 3 interviews in DOCS (counted from its source column above)
    kinds = {"observation": "observation notes", "PSW interview": "interview", "PIR interview": "interview"}
    key = dyad_key_figures(DOCS, SEGS, CONS, PEOPLE, BOOK, source_kinds=kinds, dimensions_of=["empathy"])
    assert (key["n_observations"], key["n_interviews"]) == (4, 3) and "n_recorded_sessions" not in key
    assert key["empathy_dimensions"] == ["illness", "family"] and "core_category" not in key
    # by hand from CONS/SEGS/DOCS: trust (early) in D1-S1, D1-S3, D2-S1 = 3 dyad-sessions;
    # empathy in D1-S3, D2-S3 = 2; so trust is the most coded category
    assert key["most_coded_category"] == "trust"
    assert key["sessions_by_kind"] == {"observation notes": [1, 3], "interview": [3]}
    recorded = dict(kinds, observation="recorded session")
    key = dyad_key_figures(DOCS, SEGS, CONS, PEOPLE, BOOK, source_kinds=recorded)
    assert key["n_recorded_sessions"] == 4 and "n_observations" not in key and "coded_observation_excerpts" not in key


def test_role_table_counts_the_shared_views_its_options_name():
    # by hand from SEGS/CONS: in D1 session 3 the PSW (b: illness -> empathy, g: early -> trust) and the
    # PIR (c: family -> empathy, d: early -> trust) both raised trust and empathy: one shared view each
    options = {"depth": 1, "roles": ["PSW", "PIR"], "sources": ["PSW interview", "PIR interview"]}
    table = role_table(CONS, SEGS, DOCS, BOOK, PEOPLE, **options).set_index("code")
    assert table["shared_views"].to_dict() == {"trust": 1, "empathy": 1}
    # one role compared: every (dyad, session, code) that role raised counts (D1-S3 trust and empathy)
    assert len(shared_views(CONS, SEGS, DOCS, BOOK, PEOPLE, roles=["PSW"])) == 2
    with pytest.raises(TypeError):
        shared_views(CONS, SEGS, DOCS, BOOK, PEOPLE, dyad="D1")  # not an option
