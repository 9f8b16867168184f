"""Key figures of a study, and their comparison with the figures the paper published.

``key-figures.json`` holds the numbers a reader checks first, computed from the data.
:func:`compare_published` sets them beside the published values (from a study's
``published.yaml``, which cites its source) so a reviewer sees at once what the
pipeline reproduced.

Examples
--------
>>> flatten({"a": 1, "b": {"c": 2}})
{'a': 1, 'b.c': 2}
>>> compare_published({"n": 20, "sd": 14.1}, {"n": 20, "sd": 14.2})["match"].tolist()
[True, False]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import InputError, Problem
from peerstudy.readers import read_yaml

__all__ = ["survey_key_figures", "interview_key_figures", "dyad_key_figures", "flatten", "read_published", "compare_published"]


def survey_key_figures(questionnaires: pd.DataFrame, participants: pd.DataFrame, codings: pd.DataFrame,
                       codebook: pd.DataFrame, *, characteristics: Sequence[str], continuous: Sequence[str] = (),
                       analysed_if: str | None = None) -> dict[str, Any]:
    """The key figures of a survey, computed from its cleaned and coded tables.

    Returns ``n_distributed``, ``n_returned``, ``response_rate_pct``; for each continuous
    characteristic ``<c>_mean``, ``<c>_sd`` (sample SD), ``<c>_min``, ``<c>_max``; for each
    yes/no characteristic ``<c>_n`` and ``<c>_pct``; for each other characteristic a
    mapping level → n; ``categories`` as question → category label (lower case) → number
    of coded excerpts. Means, SDs and percentages are rounded to one decimal.
    """
    n_distributed = int(len(questionnaires))
    n_returned = int(questionnaires["returned"].sum())
    figures: dict[str, Any] = {
        "n_distributed": n_distributed,
        "n_returned": n_returned,
        "response_rate_pct": round(100 * n_returned / n_distributed, 1),
    }
    for col in characteristics:
        values = participants[col].dropna()
        if col in continuous:
            values = values.astype("float64")
            figures |= {f"{col}_mean": round(float(values.mean()), 1), f"{col}_sd": round(float(values.std(ddof=1)), 1),
                        f"{col}_min": _number(values.min()), f"{col}_max": _number(values.max())}
        elif pd.api.types.is_bool_dtype(participants[col]):
            n = int(values.astype(bool).sum())
            figures |= {f"{col}_n": n, f"{col}_pct": round(100 * n / len(values), 1)}
        else:
            counts = values.astype(str).value_counts()
            figures[col] = {str(k): int(counts[k]) for k in sorted(counts.index, key=lambda k: (-counts[k], k))}
    counts = codings["code"].value_counts()
    figures["categories"] = {
        str(root): {str(codebook.at[code, "label"]).lower(): int(counts.get(code, 0))
                    for code in codebook.index[codebook["parent"] == root]}
        for root in codebook.index[codebook["parent"].isna()]
    }
    if analysed_if:
        figures["free_text_analysed_for"] = analysed_if
    return figures


def interview_key_figures(participants: pd.DataFrame, codings: pd.DataFrame, consensus: pd.DataFrame,
                          codebook: pd.DataFrame, reliability: pd.DataFrame, stability: pd.DataFrame, *,
                          band_field: str, service_field: str = "service_years") -> dict[str, Any]:
    """The key figures of an interview study with independent coders.

    Returns ``n_participants``; ``sex`` (level → n); ``age_mean``, ``age_min``,
    ``age_max``; ``<service_field>_mean`` and ``<service_field>_groups`` (band → n, from
    ``band_field``); ``n_units_coded`` (units the independent coders marked);
    ``n_statements`` (units in the consensus); ``n_themes``, ``n_categories``,
    ``n_subcategories`` (codebook depths 0, 1, 2); ``percent_agreement``,
    ``cohen_kappa``, ``krippendorff_alpha`` (from the reliability summary);
    ``third_coder_agreement`` (percent, from the stability table).
    """
    stats = reliability.set_index("statistic")["value"]
    depth = codebook["depth"].value_counts()
    bands = participants[band_field].value_counts()
    figures: dict[str, Any] = {
        "n_participants": int(len(participants)),
        "sex": {str(k): int(v) for k, v in participants["sex"].value_counts().sort_index(ascending=False).items()},
        "age_mean": round(float(participants["age"].astype(float).mean()), 1),
        "age_min": _number(participants["age"].min()),
        "age_max": _number(participants["age"].max()),
        f"{service_field}_mean": round(float(participants[service_field].astype(float).mean()), 1),
        f"{service_field}_groups": {str(k): int(bands.get(k, 0)) for k in dict.fromkeys(participants[band_field].dropna())},
        "n_units_coded": int(stats["units coded by every coder"]),
        "n_statements": int(consensus["segment"].nunique()),
        "n_themes": int(depth.get(0, 0)), "n_categories": int(depth.get(1, 0)), "n_subcategories": int(depth.get(2, 0)),
        "percent_agreement": float(stats["percent agreement (Miles & Huberman)"]),
        "cohen_kappa": float(stats["Cohen's kappa"]),
        "krippendorff_alpha": float(stats["Krippendorff's alpha"]),
    }
    if not stability.empty:
        figures["third_coder_agreement"] = float(stability["percent_agreement"].iloc[0])
    figures["n_codings"] = int(len(codings))
    return figures


def dyad_key_figures(documents: pd.DataFrame, segments: pd.DataFrame, consensus: pd.DataFrame,
                     participants: pd.DataFrame, codebook: pd.DataFrame, *, dimensions_of: str,
                     unit: str = "dyad", time: str = "session", role: str = "role") -> dict[str, Any]:
    """The key figures of a dyadic study observed and interviewed across sessions.

    Returns ``n_dyads``, ``n_observations`` and ``n_interviews`` (documents of kind
    observation / interview), ``sessions``, ``core_category`` (the label of the
    codebook's single top-level code, lower case), ``empathy_dimensions`` (labels of the
    children of ``dimensions_of``, lower case), ``coded_statements_by_role`` (statements
    in the consensus by the speaker's role) and ``coded_observation_excerpts``.
    """
    roots = codebook.index[codebook["parent"].isna()].tolist()
    from peerstudy.codebook import children

    spoken = consensus.drop_duplicates("segment").merge(segments[["segment", "participant"]], on="segment")
    by_role = spoken.merge(participants[["participant", role]], on="participant")[role].value_counts()
    return {
        "n_dyads": int(documents[unit].nunique()),
        "n_observations": int((documents["kind"] == "observation").sum()),
        "n_interviews": int((documents["kind"] == "interview").sum()),
        "sessions": sorted(int(s) for s in documents[time].unique()),
        "core_category": str(codebook.at[roots[0], "label"]).lower() if len(roots) == 1 else None,
        "empathy_dimensions": [str(codebook.at[c, "label"]).lower() for c in children(codebook, dimensions_of)],
        "coded_statements_by_role": {str(k): int(by_role.get(k, 0)) for k in sorted(participants[role].dropna().unique())},
        "coded_observation_excerpts": int((spoken["participant"].astype(str) == "").sum()),
    }


def _number(value: Any) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def flatten(figures: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as one level with dotted keys."""
    flat: dict[str, Any] = {}
    for key, value in figures.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat |= flatten(value, prefix=f"{name}.")
        else:
            flat[name] = value
    return flat


def read_published(path: str | Path) -> dict[str, Any]:
    """The published figures of a study (``figures:``) from its ``published.yaml``; none
    for an empty path (a study with no published figures to compare with)."""
    if not str(path):
        return {}
    p = resolve_input(path)
    doc = read_yaml(p, what="a published-figures file (YAML)", parameter="published")
    if not isinstance(doc, dict) or not isinstance(doc.get("figures"), dict) or not doc.get("source"):
        raise InputError(Problem(file=relative_to_root(p), field="figures",
                                 expected="'source:' (the citation) and a mapping 'figures:'",
                                 found=repr(sorted(doc) if isinstance(doc, dict) else doc),
                                 fix="see studies/supporter-survey/published.yaml for the format"))
    return doc["figures"]


def compare_published(figures: Mapping[str, Any], published: Mapping[str, Any]) -> pd.DataFrame:
    """Each published figure beside the value the pipeline computed.

    Returns
    -------
    pandas.DataFrame
        ``figure``, ``published``, ``reproduced``, ``match``; one row per published
        figure (nested ones with dotted names). A figure the pipeline did not compute
        shows ``reproduced`` as missing and does not match.
    """
    ours = flatten(figures)
    rows = []
    for name, value in flatten(published).items():
        got = ours.get(name)
        rows.append({"figure": name, "published": value, "reproduced": got,
                     "match": got is not None and got == value})
    frame = pd.DataFrame(rows, columns=["figure", "published", "reproduced", "match"])
    return frame.astype({"figure": "string", "published": "string", "reproduced": "string", "match": "bool"})
