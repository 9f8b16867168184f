"""How far the coders of a study agreed: the numbers a methods section reports.

Built on :mod:`peerstudy.stats`. The unit is the candidate unit (segment) the coders
marked; each independent coder gives it one code. Reported: units, agreements and
disagreements, percent agreement as Miles & Huberman define it (agreements /
(agreements + disagreements)), Cohen's kappa (two coders; Fleiss' with more) and
Krippendorff's nominal alpha over the units' codes, and, when a further coder re-coded
the consensus, that coder's agreement with it (stability).

Examples
--------
>>> codings = pd.DataFrame({"segment": ["u1", "u1", "u2", "u2", "u3", "u3"],
...                         "code": ["a", "a", "b", "b", "a", "b"], "coder": ["X", "Y"] * 3})
>>> unit_labels(codings, ["X", "Y"]).to_dict("index")
{'u1': {'X': 'a', 'Y': 'a'}, 'u2': {'X': 'b', 'Y': 'b'}, 'u3': {'X': 'a', 'Y': 'b'}}
>>> summary = reliability_summary(codings, ["X", "Y"]).set_index("statistic")["value"]
>>> float(summary["percent agreement (Miles & Huberman)"])
66.7
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import cast

import pandas as pd

from peerstudy.errors import InputError, Problem
from peerstudy.qualitative.codebook import ancestors
from peerstudy.stats.alpha import krippendorff_alpha
from peerstudy.stats.codetable import agreement_table
from peerstudy.stats.kappa import cohen_kappa, fleiss_kappa
from peerstudy.stats.percent import miles_huberman

__all__ = [
    "unit_labels",
    "reliability_summary",
    "agreement_by_level",
    "agreement_by_code",
    "stability",
    "one_code_per_unit",
    "shared_documents",
]


def unit_labels(codings: pd.DataFrame, coders: Sequence[str]) -> pd.DataFrame:
    """Units × coders table of the code each coder gave each unit (NaN: not coded)."""
    part = codings[codings["coder"].isin(coders)]
    twice = part[part.duplicated(["segment", "coder"], keep=False)]
    if not twice.empty:
        first = twice.iloc[0]
        raise InputError(
            Problem(
                file=first.get("sheet"),
                row=int(first["row"]) if "row" in first else None,
                field="code",
                expected="one code per unit and coder (for unit-level agreement)",
                found=f"{twice[twice['segment'] == first['segment']]['code'].tolist()} for one unit",
                fix="code each unit once, or use the per-code agreement table instead",
            )
        )
    table = part.pivot(index="segment", columns="coder", values="code")
    return table.reindex(columns=list(coders))


def _coders(codings: pd.DataFrame, coders: Sequence[str] | None) -> list[str]:
    return list(coders) if coders is not None else list(dict.fromkeys(codings["coder"]))


def _lift(
    codings: pd.DataFrame, codebook: pd.DataFrame, depth: int, coders: Sequence[str] | None
) -> tuple[list[str], pd.DataFrame, list[str]]:
    """The compared coders, their codings with each code lifted to ``depth``, and the
    codes at that depth in codebook order."""
    coders = _coders(codings, coders)
    part = codings[codings["coder"].isin(coders)]
    lifted = part.assign(code=ancestors(codebook, part["code"], depth))[["segment", "code", "coder"]]
    depths = codebook["depth"].astype(int)
    return coders, lifted, [c for c in codebook.index if depths[c] == depth]


def one_code_per_unit(codings: pd.DataFrame, coders: Sequence[str] | None = None) -> bool:
    """Whether every coder gave every unit at most one code (the unit-level figures apply).

    Examples
    --------
    >>> one_code_per_unit(pd.DataFrame({"segment": ["u1", "u1"], "code": ["a", "b"], "coder": ["X", "X"]}))
    False
    """
    part = codings[codings["coder"].isin(_coders(codings, coders))]
    return not part.duplicated(["segment", "coder"]).any()


def shared_documents(codings: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """The codings of the documents every coder coded (where one coder coded only part
    of the data, agreement is computed over the part all of them coded).

    Examples
    --------
    >>> segs = pd.DataFrame({"segment": ["s1", "s2"], "document": ["d1", "d2"]})
    >>> cods = pd.DataFrame({"segment": ["s1", "s1", "s2"], "code": ["a", "a", "b"], "coder": ["X", "Y", "X"]})
    >>> shared_documents(cods, segs)["segment"].tolist()
    ['s1', 's1']
    """
    doc = codings["segment"].map(segments.set_index("segment")["document"])
    coders = codings["coder"].nunique()
    by_doc = codings.assign(_d=doc).groupby("_d")["coder"].nunique()
    return codings[doc.isin(by_doc.index[by_doc == coders])].reset_index(drop=True)


def reliability_summary(codings: pd.DataFrame, coders: Sequence[str] | None = None) -> pd.DataFrame:
    """The agreement of the independent coders, one statistic per row.

    Where each coder gave each unit one code: units, agreements, disagreements, Miles &
    Huberman's percent agreement, Cohen's (Fleiss') kappa and Krippendorff's alpha over
    the units' codes. Where some unit has several codes from one coder, the unit-level
    figures do not apply: the rows are then the pooled agreement over the unit × code
    presence matrix (:func:`peerstudy.stats.codetable.agreement_table`, row "overall"), as QDA
    programs report it; per code, see :func:`agreement_by_code`.

    Returns
    -------
    pandas.DataFrame
        ``statistic``, ``value``, ``detail``. Percentages on a 0-100 scale rounded to
        one decimal; coefficients rounded to three. ``coders`` default: every coder in
        ``codings``. One coder: a single row saying so.

    Examples
    --------
    >>> one = pd.DataFrame({"segment": ["u1"], "code": ["a"], "coder": ["X"]})
    >>> reliability_summary(one)["detail"].tolist()
    ['one coder: inter-coder agreement does not apply']
    """
    coders = _coders(codings, coders)
    if len(coders) < 2:
        return pd.DataFrame(
            {
                "statistic": ["coders"],
                "value": [float(len(coders))],
                "detail": ["one coder: inter-coder agreement does not apply"],
            }
        )
    if not one_code_per_unit(codings, coders):
        return _presence_summary(codings, coders)
    labels = unit_labels(codings, coders).dropna()
    agree = int((labels.nunique(axis=1) == 1).sum())
    disagree = int(len(labels) - agree)
    kappa_name = "Cohen's kappa" if len(coders) == 2 else "Fleiss' kappa"
    nominal = "over the units' codes, nominal"
    kappa = alpha = math.nan
    if pd.unique(labels.to_numpy().ravel()).size < 2:  # one code throughout: chance agreement is 1
        nominal = "not computable: every unit was given the same code (percent agreement above)"
    else:
        kappa = float(cohen_kappa(labels[coders[0]], labels[coders[1]]) if len(coders) == 2 else fleiss_kappa(labels))
        alpha = float(krippendorff_alpha(labels, level="nominal"))
    rows = [
        ("units coded by every coder", float(len(labels)), f"coders: {', '.join(coders)}"),
        ("agreements", float(agree), "units given the same code by every coder"),
        ("disagreements", float(disagree), "units given different codes"),
        (
            "percent agreement (Miles & Huberman)",
            round(100 * miles_huberman(agree, disagree), 1),
            "agreements / (agreements + disagreements) × 100",
        ),
        (kappa_name, round(float(kappa), 3), nominal),
        ("Krippendorff's alpha", round(float(alpha), 3), nominal),
    ]
    return pd.DataFrame(rows, columns=["statistic", "value", "detail"])


def _presence_summary(codings: pd.DataFrame, coders: list[str]) -> pd.DataFrame:
    """Pooled agreement over the unit × code presence matrix (several codes per unit)."""
    part = codings[codings["coder"].isin(coders)]
    codes = sorted(part["code"].unique())
    table = agreement_table(part[["segment", "code", "coder"]], coders=coders, codes=codes)
    # one row is labelled "overall", so .loc gives that row (pandas-stubs cannot know it is unique)
    overall = cast(pd.Series, table.set_index("code").loc["overall"])
    kappa_name = "Cohen's kappa" if len(coders) == 2 else "Fleiss' kappa"
    rows = [
        ("units", float(part["segment"].nunique()), f"coders: {', '.join(coders)}; some units have several codes"),
        ("unit × code cells", float(overall["n_units"]), "each code's presence or absence in each unit"),
        ("cells agreed", float(overall["n_all"] + overall["n_none"]), "every coder applied the code, or none did"),
        (
            "percent agreement (pooled over codes)",
            round(100 * float(overall["percent_agreement"]), 1),
            "agreeing cells / cells × 100",
        ),
        (f"{kappa_name} (pooled over codes)", round(float(overall["kappa"]), 3), "presence or absence, over all cells"),
        (
            "Krippendorff's alpha (pooled over codes)",
            round(float(overall["alpha"]), 3),
            "presence or absence, over all cells",
        ),
    ]
    return pd.DataFrame(rows, columns=["statistic", "value", "detail"])


def agreement_by_level(
    codings: pd.DataFrame, codebook: pd.DataFrame, *, depth: int, coders: Sequence[str] | None = None
) -> pd.DataFrame:
    """Percent agreement per code at one depth of the codebook (e.g. per theme).

    Each coding is lifted to its ancestor at ``depth``; for each such code, the units
    where any coder applied it count, and agreement is the share where every coder did
    (MAXQDA's code-specific segment agreement, :func:`peerstudy.stats.codetable.agreement_table`
    with ``ignore_uncoded=True``).
    """
    coders, lifted, codes = _lift(codings, codebook, depth, coders)
    table = agreement_table(lifted, coders=coders, ignore_uncoded=True, codes=codes)
    table = table.set_index("code")
    out = pd.DataFrame(
        {
            "label": [codebook.at[c, "label"] if c in codebook.index else "all" for c in table.index],
            "units": table["n_units"],
            "agreed": table["n_all"],
            "percent_agreement": (100 * table["percent_agreement"]).round(1),
        },
        index=table.index,
    )
    return out.reset_index()


def agreement_by_code(
    codings: pd.DataFrame, codebook: pd.DataFrame, *, depth: int, coders: Sequence[str] | None = None
) -> pd.DataFrame:
    """Per code at ``depth``: how often each coder applied it, percent agreement and
    Cohen's kappa over every unit (presence or absence of the code), as
    :func:`peerstudy.stats.codetable.agreement_table` computes them; codes no unit received
    are listed with NaN and the reason."""
    coders, lifted, codes = _lift(codings, codebook, depth, coders)
    table = agreement_table(lifted, coders=coders, codes=codes)
    table.insert(1, "label", [codebook.at[c, "label"] if c in codebook.index else "all codes" for c in table["code"]])
    keep = ["code", "label", *[f"n_by_{c}" for c in coders], "percent_agreement", "kappa", "reason"]
    out = table[keep].copy()
    out["percent_agreement"] = (100 * out["percent_agreement"]).round(1)
    out["kappa"] = out["kappa"].round(3)
    return out


def stability(consensus: pd.DataFrame, recoded: pd.DataFrame) -> pd.DataFrame:
    """Agreement of a re-coding coder with the consensus, over the units they re-coded."""
    if recoded.empty:
        return pd.DataFrame(columns=["coder", "units", "same", "percent_agreement"])
    merged = recoded.merge(consensus[["segment", "code"]], on="segment", suffixes=("", "_consensus"))
    rows = []
    for coder, part in merged.groupby("coder", sort=True):
        same = int((part["code"] == part["code_consensus"]).sum())
        rows.append(
            {"coder": coder, "units": len(part), "same": same, "percent_agreement": round(100 * same / len(part), 1)}
        )
    return pd.DataFrame(rows)
