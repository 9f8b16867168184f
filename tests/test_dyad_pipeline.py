"""Study C (dyad-sessions) end to end: the design facts of the abstract, and bad input
in the records or the roster stops the run with one message and writes nothing."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from helpers import copy_study, replace_in
from peerstudy import pipeline
from peerstudy.config import PROJECT_ROOT

pytestmark = pytest.mark.slow  # runs whole studies through the pipeline

STUDY = "dyad-sessions"


def key_figures():
    return json.loads((PROJECT_ROOT / f"reports/{STUDY}/key-figures.json").read_text())


def test_design_figures_of_the_abstract():
    # Yuen (ICMH 2024, abstract): 10 dyads; sessions 1, 3, 9 observed (30 observations);
    # PSW and PIR interviewed after sessions 3 and 9 (40 interviews); empathy a key
    # component, in the illness, family relationships, employment, interests in life and
    # self-esteem dimensions. The core category "life alliance" is the stand-in codebook's
    # root by construction: not a figure computed from the data.
    key = key_figures()
    assert (key["n_dyads"], key["n_observations"], key["n_interviews"]) == (10, 30, 40)
    assert key["sessions"] == [1, 3, 9]
    assert key["sessions_by_kind"] == {"observation notes": [1, 3, 9], "interview": [3, 9]}
    assert key["most_coded_category"] == "empathy" and "core_category" not in key
    assert {"illness", "family relationships", "employment", "interests in life", "self-esteem"} <= set(
        key["empathy_dimensions"]
    )
    assert set(key["coded_statements_by_role"]) == {"PSW", "PIR"}
    assert min(key["coded_statements_by_role"].values()) > 0


def test_statements_by_role_equal_an_independent_count(regenerated):
    processed = regenerated / "data/processed" / STUDY
    segments = pd.read_parquet(processed / "segments.parquet")
    consensus = pd.read_parquet(processed / "consensus.parquet")
    spoken = segments[segments["segment"].isin(consensus["segment"])]
    # the role is in the pseudonym (PSW03, PIR07): count by prefix, independently of the roster join
    counts = spoken["participant"].str[:3].value_counts()
    assert key_figures()["coded_statements_by_role"] == {"PIR": int(counts["PIR"]), "PSW": int(counts["PSW"])}


def test_every_dimension_has_a_quote_and_the_emergence_table_is_complete():
    dims = pd.read_csv(PROJECT_ROOT / f"reports/{STUDY}/tables/empathy-dimensions.csv")
    assert dims["quote"].notna().all() and (dims["quote"].str.len() > 0).all()
    emergence = pd.read_csv(PROJECT_ROOT / f"reports/{STUDY}/tables/emergence.csv")
    # observations at 3 sessions, each interview source at 2, for every focused category
    assert emergence.groupby("code").size().unique().tolist() == [7]
    assert emergence.loc[emergence["source"] == "observation", "of"].unique().tolist() == [10]


@pytest.mark.parametrize(
    "change, message",
    [
        (
            replace_in("records/D02-S3-OBS.txt", "Session: 3", "Session: 4"),
            r"D02-S3-OBS\.txt, field 'Session': expected a header line 'Session: …' with one of 1, 3, 9",
        ),
        (
            replace_in("records/D04-S1-OBS.txt", "Dyad: D04", "Dyad: D11"),
            r"D04-S1-OBS\.txt, field 'Dyad': expected a dyad of the participants sheet, found 'D11'",
        ),
        (
            replace_in("roster.csv", ",PIR,D05,", ",carer,D05,"),
            r"roster\.csv, row \d+, field 'role': expected one of the declared spellings",
        ),
    ],
)
def test_bad_input_one_message_nothing_written(tmp_path, change, message):
    out = tmp_path / "out"
    with pytest.raises(pipeline.StageFailed, match=message):
        pipeline.run_study(
            copy_study(tmp_path, STUDY, change, name="bad-dyads"), output_root=out, log=lambda line: None
        )
    assert not (out / "data/processed/bad-dyads").exists()
    assert not (out / "reports/bad-dyads").exists()
