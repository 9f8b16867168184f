"""REFI-QDA in the pipeline: the interview study re-run from a .qdpx written by the
writer gives the same key figures as from the coder sheets, and each study's exported
consensus reads back to the same codings."""

from __future__ import annotations

import json

import pandas as pd

from peerstudy import pipeline
from peerstudy.config import PROJECT_ROOT
from peerstudy.qualitative.refi import read_refi, write_qdpx

STUDY = "professional-interviews"


def test_interview_study_from_a_qdpx_gives_the_same_key_figures(tmp_path, regenerated):
    processed = regenerated / "data/processed" / STUDY
    book = pd.read_parquet(processed / "codebook.parquet").set_index("code")
    documents = pd.read_parquet(processed / "documents.parquet")
    segments = pd.read_parquet(processed / "segments.parquet")
    codings = pd.read_parquet(processed / "codings.parquet")  # the two independent coders
    qdpx = write_qdpx(tmp_path / "coded-in-a-qda-program.qdpx", book, documents, segments, codings)

    text = (PROJECT_ROOT / "studies" / f"{STUDY}.yaml").read_text()
    text = text.replace("study: professional-interviews", "study: from-qdpx")
    lines = [line for line in text.splitlines() if not line.startswith(("coding_sheets:", "qdpx:"))]
    lines += ["coding_sheets: []", f"qdpx: {qdpx}"]
    params = tmp_path / "from-qdpx.yaml"
    params.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    pipeline.run_study(params, output_root=out, log=lambda line: None)

    ours = json.loads((out / "reports/from-qdpx/key-figures.json").read_text())
    committed = json.loads((PROJECT_ROOT / "reports" / STUDY / "key-figures.json").read_text())
    assert ours == committed
    imported = pd.read_csv(out / "reports/from-qdpx/tables/code-frequencies.csv")
    assert imported["codings"].sum() == len(pd.read_parquet(processed / "consensus.parquet"))


def test_exported_codings_read_back_per_coder(regenerated):
    for study in pipeline.list_studies():
        folder = regenerated / "reports" / study / "qda"
        if not folder.exists():
            continue
        project = read_refi(folder / "project.qdpx")
        processed = regenerated / "data/processed" / study
        consensus = pd.read_parquet(processed / "consensus.parquet")
        coders = pd.concat([pd.read_parquet(processed / f"{t}.parquet") for t in ("codings", "recodings")])
        expected = coders["coder"].value_counts().to_dict() | {"consensus": len(consensus)}
        assert project.codings["coder"].value_counts().to_dict() == expected
        ours = project.codings[project.codings["coder"] == "consensus"]
        assert sorted(ours["segment"].unique()) == sorted(consensus["segment"].unique())
