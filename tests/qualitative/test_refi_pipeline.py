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


def test_a_study_coded_in_a_qda_program_alone_takes_its_codebook_from_the_project(tmp_path, regenerated):
    """A user who made the codes in the QDA program has no YAML codebook and codes with the
    program's own guids: ``codebook:`` and ``qdpx:`` both name the project. Here the
    interview study's first coder's codings, written as a project whose code guids are
    replaced by new ones (as NVivo gives the codes it creates)."""
    import uuid
    import zipfile

    from peerstudy.qualitative.refi import refi_guid

    processed = regenerated / "data/processed" / STUDY
    book = pd.read_parquet(processed / "codebook.parquet").set_index("code")
    documents = pd.read_parquet(processed / "documents.parquet")
    segments = pd.read_parquet(processed / "segments.parquet")
    codings = pd.read_parquet(processed / "codings.parquet")
    first = codings[codings["coder"] == sorted(codings["coder"].unique())[0]]
    written = write_qdpx(tmp_path / "written.qdpx", book, documents, segments, first)
    qdpx = tmp_path / "coded-in-nvivo.qdpx"
    with zipfile.ZipFile(written) as source, zipfile.ZipFile(qdpx, "w") as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "project.qde":
                text = data.decode("utf-8")
                for number, code in enumerate(book.index):
                    made_by_the_program = str(uuid.UUID(int=number + 1))
                    text = text.replace(refi_guid("code", code), made_by_the_program)
                data = text.encode("utf-8")
            target.writestr(member, data)

    text = (PROJECT_ROOT / "studies" / f"{STUDY}.yaml").read_text()
    text = text.replace("study: professional-interviews", "study: from-nvivo")
    drop = (
        "codebook:",
        "coding_sheets:",
        "qdpx:",
        "reconciliation:",
        "stability_sheets:",
        "published:",
        "unit_column:",
    )
    lines = [line for line in text.splitlines() if not line.startswith(drop)]
    lines += [f"codebook: {qdpx}", "coding_sheets: []", f"qdpx: {qdpx}", 'reconciliation: ""']
    lines += ["stability_sheets: []", 'published: ""', 'unit_column: ""']
    params = tmp_path / "from-nvivo.yaml"
    params.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    pipeline.run_study(params, output_root=out, log=lambda line: None)

    # counted another way: the first coder's codings per code label, from the processed tables
    by_hand = first["code"].map(book["label"]).value_counts().to_dict()
    frequencies = pd.read_csv(out / "reports/from-nvivo/tables/code-frequencies.csv")
    imported = pd.read_parquet(out / "data/processed/from-nvivo/codebook.parquet")
    assert sorted(imported["label"]) == sorted(book["label"])  # the whole tree, named as in the program
    assert {label: n for label, n in zip(frequencies["label"], frequencies["codings"], strict=True) if n} == by_hand
