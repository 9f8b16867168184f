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

from peerstudy.cleaning.surveyfields import Fields, FieldSpec
from peerstudy.config import relative_to_root, resolve_input
from peerstudy.errors import InputError, Problem
from peerstudy.io.yamlfiles import read_yaml
from peerstudy.report.tables import code_depths

__all__ = [
    "survey_key_figures",
    "interview_key_figures",
    "dyad_key_figures",
    "flatten",
    "read_published",
    "compare_published",
]


def survey_key_figures(
    flow: pd.DataFrame,
    questionnaires: pd.DataFrame,
    participants: pd.DataFrame,
    codings: pd.DataFrame,
    codebook: pd.DataFrame,
    *,
    fields: Fields,
    characteristics: Sequence[str],
    distributed: int = 0,
    analysed_if: str | None = None,
    likert: pd.DataFrame | None = None,
    scales: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The key figures of a survey, computed from its cleaned and coded tables.

    Returns, from the participant flow (:attr:`peerstudy.cleaning.clean.CleanExport.flow`):
    ``n_received`` (rows of the export), ``excluded`` (reason → n, in order) and
    ``n_returned`` (the questionnaires analysed); ``n_distributed`` and
    ``response_rate_pct`` (returned / distributed) where the number distributed is known:
    ``distributed`` when the study declares it, else the questionnaires the export lists
    when it lists unreturned ones (blank rows), else neither. Per characteristic, by its
    declared type: integer, number: ``<c>_mean``, ``<c>_sd`` (sample SD), ``<c>_min``,
    ``<c>_max``; boolean: ``<c>_n`` and ``<c>_pct``; multi: option → n of respondents
    choosing it; category, label, likert: level → n. ``likert`` (item → n, median,
    pct_agree) and ``scales`` (scale → n, cronbach_alpha, null where not computable) from
    their tables when given;
    ``categories`` as question → category label (lower case) → number of coded excerpts.
    Means, SDs and percentages are rounded to one decimal.
    """
    steps = flow.set_index("step")["n"]
    returned = int(steps["analysed"])
    figures: dict[str, Any] = {
        "n_received": int(steps["received"]),
        "excluded": {str(r): int(n) for r, n in flow.loc[flow["step"] == "excluded", ["reason", "n"]].values},
        "n_returned": returned,
    }
    if not distributed and not questionnaires["returned"].all():
        distributed = int(len(questionnaires))
    if distributed:
        figures |= {"n_distributed": int(distributed), "response_rate_pct": round(100 * returned / distributed, 1)}
    for col in characteristics:
        figures |= _characteristic_figures(participants[col], fields[col])
    if likert is not None and len(likert):
        figures["likert"] = {
            str(item): {"n": int(n), "median": _finite(median), "pct_agree": _finite(agree)}
            for item, n, median, agree in zip(
                likert["item"], likert["n"], likert["median"], likert["pct_agree"], strict=True
            )
        }
    if scales is not None and len(scales):
        figures["scales"] = {
            str(scale): {"n": int(n), "cronbach_alpha": _finite(alpha)}
            for scale, n, alpha in zip(scales["scale"], scales["n"], scales["cronbach_alpha"], strict=True)
        }
    counts = codings["code"].value_counts()
    figures["categories"] = {
        str(root): {
            str(codebook.at[code, "label"]).lower(): int(counts.get(code, 0))
            for code in codebook.index[codebook["parent"] == root]
        }
        for root in codebook.index[codebook["parent"].isna()]
    }
    if analysed_if:
        figures["free_text_analysed_for"] = analysed_if
    return figures


def _characteristic_figures(column: pd.Series, spec: FieldSpec) -> dict[str, Any]:
    """The key figures of one participant field, by its declared type."""
    name, values = spec.name, column.dropna()
    if spec.type in ("integer", "number"):
        values = values.astype("float64")
        return {
            f"{name}_mean": _finite(values.mean(), 1),
            f"{name}_sd": _finite(values.std(ddof=1), 1),
            f"{name}_min": _number(values.min()),
            f"{name}_max": _number(values.max()),
        }
    if spec.type == "boolean":
        n = int(values.astype(bool).sum())
        return {f"{name}_n": n, f"{name}_pct": round(100 * n / len(values), 1) if len(values) else 0.0}
    if spec.type == "multi":
        from peerstudy.report.fieldfigures import option_counts

        counts, _ = option_counts(values, spec)
        return {name: {str(k): int(v) for k, v in counts.items()}}
    if spec.type == "likert":
        from peerstudy.report.likert import answered_scores

        values = answered_scores(values, spec).map({float(score): label for score, label in spec.levels})
    counts = values.astype(str).value_counts()
    return {name: {str(k): int(counts[k]) for k in sorted(counts.index, key=lambda k: (-counts[k], k))}}


def interview_key_figures(
    participants: pd.DataFrame,
    codings: pd.DataFrame,
    consensus: pd.DataFrame,
    codebook: pd.DataFrame,
    reliability: pd.DataFrame,
    stability: pd.DataFrame,
    *,
    characteristics: Sequence[str] = (),
    continuous: Sequence[str] = (),
    band_field: str = "",
    banded: str = "",
    level_names: Sequence[str] = (),
) -> dict[str, Any]:
    """The key figures of an interview study.

    Returns ``n_participants``; per described participant field, its counts (level →
    n) or, for a continuous one, ``<field>_mean``, ``_min`` and ``_max``; with bands,
    ``<banded>_groups`` (band → n, from ``band_field``); ``n_units_coded`` (units the
    independent coders marked, when each unit has one code); ``n_statements`` (units in
    the consensus); ``n_<level>s`` per depth of the codebook (named by ``level_names``,
    else ``n_level_<depth>``); ``percent_agreement``, ``cohen_kappa``,
    ``krippendorff_alpha`` (from the reliability summary, those it holds);
    ``third_coder_agreement`` (percent, from the stability table); ``n_codings``.

    Examples
    --------
    >>> people = pd.DataFrame({"participant": ["P1", "P2"], "sex": ["f", "m"], "age": [30, 41]})
    >>> book = pd.DataFrame({"depth": [0]}, index=pd.Index(["a"], name="code"))
    >>> one = pd.DataFrame({"statistic": ["coders"], "value": [1.0], "detail": [""]})
    >>> cods = pd.DataFrame({"segment": ["s"], "code": ["a"], "coder": ["X"]})
    >>> key = interview_key_figures(people, cods, cods, book, one, pd.DataFrame(), characteristics=["sex", "age"],
    ...                             continuous=["age"], level_names=["theme"])
    >>> key["sex"], key["age_mean"], key["n_themes"]
    ({'m': 1, 'f': 1}, 35.5, 1)
    """
    stats = reliability.set_index("statistic")["value"]
    depth = codebook["depth"].value_counts()
    figures: dict[str, Any] = {"n_participants": int(len(participants))}
    for field in characteristics:
        if field == band_field:
            continue
        values = participants[field].dropna()
        if field in continuous:
            figures[f"{field}_mean"] = _finite(values.astype(float).mean(), 1)
            figures[f"{field}_min"], figures[f"{field}_max"] = _number(values.min()), _number(values.max())
        else:
            figures[field] = {str(k): int(v) for k, v in values.value_counts().sort_index(ascending=False).items()}
    if band_field:
        bands = participants[band_field].value_counts()
        figures[f"{banded}_groups"] = {
            str(k): int(bands.get(k, 0)) for k in dict.fromkeys(participants[band_field].dropna())
        }
    if "units coded by every coder" in stats:
        figures["n_units_coded"] = int(stats["units coded by every coder"])
    figures["n_statements"] = int(consensus["segment"].nunique())
    for d in range(int(codebook["depth"].max()) + 1):
        name = f"n_{level_names[d]}s" if d < len(level_names) else f"n_level_{d}"
        figures[name.replace("ys", "ies") if name.endswith("ys") else name] = int(depth.get(d, 0))
    for key, statistic in (
        ("percent_agreement", "percent agreement (Miles & Huberman)"),
        ("cohen_kappa", "Cohen's kappa"),
        ("krippendorff_alpha", "Krippendorff's alpha"),
    ):
        if statistic in stats:
            figures[key] = _finite(stats[statistic])
    if not stability.empty:
        figures["third_coder_agreement"] = float(stability["percent_agreement"].iloc[0])
    figures["n_codings"] = int(len(codings))
    return figures


def dyad_key_figures(
    documents: pd.DataFrame,
    segments: pd.DataFrame,
    consensus: pd.DataFrame,
    participants: pd.DataFrame,
    codebook: pd.DataFrame,
    *,
    source_kinds: Mapping[str, str],
    dimensions_of: Sequence[str] = (),
    depth: int = 1,
    unit: str = "dyad",
    time: str = "session",
    source: str = "source",
    role: str = "role",
) -> dict[str, Any]:
    """The key figures of a dyadic study followed across sessions, each counted from the
    documents and the consensus codings (never read off a label of the codebook).

    Returns ``n_dyads``; per kind of source the study declares (``source_kinds``: source
    → kind, see :data:`peerstudy.report.declarations.SOURCE_KINDS`) the number of its documents:
    ``n_observations``, ``n_recorded_sessions``, ``n_interviews``; ``sessions``;
    ``sessions_by_kind`` (kind → the sessions its documents come from);
    ``most_coded_category`` (the label, lower case, of the category at ``depth`` coded
    in the most dyad-sessions, ties broken by more statements, then codebook order);
    ``<code>_dimensions`` (labels, lower case, of the children of each code in
    ``dimensions_of`` that the consensus codes, itself or below it, in codebook order);
    ``coded_statements_by_role`` (statements in the consensus by the speaker's role)
    and, with observation notes, ``coded_observation_excerpts`` (statements attributed
    to no participant).

    Examples
    --------
    >>> book = pd.DataFrame({"label": ["Core", "Trust", "Empathy", "Illness", "Work"],
    ...                      "parent": [None, "core", "core", "empathy", "empathy"], "depth": [0, 1, 1, 2, 2]},
    ...                     index=pd.Index(["core", "trust", "empathy", "ill", "work"], name="code"))
    >>> docs = pd.DataFrame({"document": ["A", "B"], "dyad": ["D1", "D1"], "session": [1, 3],
    ...                      "source": ["observation", "observation"]})
    >>> segs = pd.DataFrame({"segment": ["a", "b", "c"], "document": ["A", "B", "B"], "participant": ["", "", ""]})
    >>> cons = pd.DataFrame({"segment": ["a", "b", "c"], "code": ["trust", "ill", "trust"]})
    >>> people = pd.DataFrame({"participant": ["P1"], "role": ["PSW"]})
    >>> key = dyad_key_figures(docs, segs, cons, people, book, source_kinds={"observation": "observation notes"},
    ...                        dimensions_of=["empathy"])
    >>> key["most_coded_category"], key["empathy_dimensions"], key["sessions_by_kind"]
    ('trust', ['illness'], {'observation notes': [1, 3]})
    """
    from peerstudy.report.declarations import SOURCE_KINDS

    spoken = consensus.drop_duplicates("segment").merge(segments[["segment", "participant"]], on="segment")
    by_role = spoken.merge(participants[["participant", role]], on="participant")[role].value_counts()
    kinds = documents[source].astype(str).map(dict(source_kinds))
    figures: dict[str, Any] = {"n_dyads": int(documents[unit].nunique())}
    for kind, name in SOURCE_KINDS.items():
        if kind in source_kinds.values():
            figures[name] = int((kinds == kind).sum())
    figures["sessions"] = sorted(int(s) for s in documents[time].unique())
    figures["sessions_by_kind"] = {
        kind: sorted(int(s) for s in documents.loc[kinds == kind, time].unique())
        for kind in dict.fromkeys(source_kinds.values())
    }
    coded = _coded_categories(consensus, segments, documents, codebook, depth, unit=unit, time=time)
    if len(coded):
        figures["most_coded_category"] = str(codebook.at[coded.index[0], "label"]).lower()
    for parent in dimensions_of:
        figures[f"{parent}_dimensions"] = _coded_children(consensus, codebook, parent)
    figures["coded_statements_by_role"] = {
        str(k): int(by_role.get(k, 0)) for k in sorted(participants[role].dropna().unique())
    }
    if "observation notes" in source_kinds.values():
        figures["coded_observation_excerpts"] = int((spoken["participant"].astype(str) == "").sum())
    return figures


def _coded_categories(
    consensus: pd.DataFrame,
    segments: pd.DataFrame,
    documents: pd.DataFrame,
    codebook: pd.DataFrame,
    depth: int,
    *,
    unit: str,
    time: str,
) -> pd.DataFrame:
    """Per category at ``depth`` coded in the consensus: ``unit_times`` (distinct unit and
    time, e.g. dyad-sessions) and ``statements``, most coded first (ties: codebook order)."""
    from peerstudy.qualitative.codebook import ancestor

    coded = consensus[["segment", "code"]].merge(segments[["segment", "document"]], on="segment")
    coded = coded.merge(documents[["document", unit, time]], on="document")
    depths = code_depths(codebook)
    coded = coded[[depths[c] >= depth for c in coded["code"]]]
    coded = coded.assign(category=[ancestor(codebook, c, depth) for c in coded["code"]])
    table = pd.DataFrame(
        {
            "unit_times": coded.drop_duplicates(["category", unit, time])["category"].value_counts(),
            "statements": coded.drop_duplicates(["category", "segment"])["category"].value_counts(),
        }
    )
    table["order"] = [list(codebook.index).index(c) for c in table.index]
    return table.sort_values(["unit_times", "statements", "order"], ascending=[False, False, True])


def _coded_children(consensus: pd.DataFrame, codebook: pd.DataFrame, parent: str) -> list[str]:
    """Labels (lower case) of the children of ``parent`` coded in the consensus, themselves or below them."""
    from peerstudy.qualitative.codebook import ancestors, children

    depths = code_depths(codebook)
    depth = depths[parent] + 1
    deep = [c for c in consensus["code"].unique() if depths[c] >= depth]
    coded = set(ancestors(codebook, deep, depth))
    return [str(codebook.at[c, "label"]).lower() for c in children(codebook, parent) if c in coded]


def _number(value: Any) -> int | float | None:
    if pd.isna(value):
        return None
    return int(value) if float(value).is_integer() else float(value)


def _finite(value: Any, ndigits: int | None = None) -> float | None:
    """``value`` as a float (rounded to ``ndigits``), or None (JSON null) where it is not a
    number: a mean of no answers, a coefficient that is not computable.

    Examples
    --------
    >>> _finite(3.14159, 1), _finite(float("nan")), _finite(pd.NA)
    (3.1, None, None)
    """
    if pd.isna(value):
        return None
    return float(value) if ndigits is None else round(float(value), ndigits)


def flatten(figures: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as one level with dotted keys."""
    flat: dict[str, Any] = {}
    for key, value in figures.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and not _is_includes(value):
            flat |= flatten(value, prefix=f"{name}.")
        else:
            flat[name] = value
    return flat


def _is_includes(value: Any) -> bool:
    """A published figure stated as "including" these items: ``{includes: [...]}``."""
    return isinstance(value, Mapping) and list(value) == ["includes"] and isinstance(value["includes"], list)


def _matches(published: Any, got: Any) -> bool:
    if got is None:
        return False
    if _is_includes(published):
        return isinstance(got, list) and all(item in got for item in published["includes"])
    return got == published


def read_published(path: str | Path) -> dict[str, Any]:
    """The published figures of a study (``figures:``) from its ``published.yaml``; none
    for an empty path (a study with no published figures to compare with)."""
    if not str(path):
        return {}
    p = resolve_input(path)
    doc = read_yaml(p, what="a published-figures file (YAML)", parameter="published")
    if not isinstance(doc, dict) or not isinstance(doc.get("figures"), dict) or not doc.get("source"):
        raise InputError(
            Problem(
                file=relative_to_root(p),
                field="figures",
                expected="'source:' (the citation) and a mapping 'figures:'",
                found=repr(sorted(doc) if isinstance(doc, dict) else doc),
                fix="see studies/supporter-survey/published.yaml for the format",
            )
        )
    return doc["figures"]


def compare_published(figures: Mapping[str, Any], published: Mapping[str, Any]) -> pd.DataFrame:
    """Each published figure beside the value the pipeline computed.

    A figure the paper states as a list "including" some items (not necessarily all) is
    written ``{includes: [...]}``: it matches when the computed list holds every one.

    Returns
    -------
    pandas.DataFrame
        ``figure``, ``published``, ``reproduced``, ``match``; one row per published
        figure (nested ones with dotted names). A figure the pipeline did not compute
        shows ``reproduced`` as missing and does not match.

    Examples
    --------
    >>> table = compare_published({"dims": ["a", "b", "c"]}, {"dims": {"includes": ["a", "c"]}})
    >>> table[["published", "match"]].values.tolist()
    [['including a, c', True]]
    """
    ours = flatten(figures)
    rows = []
    for name, value in flatten(published).items():
        got = ours.get(name)
        shown = f"including {', '.join(map(str, value['includes']))}" if _is_includes(value) else value
        rows.append({"figure": name, "published": shown, "reproduced": got, "match": _matches(value, got)})
    frame = pd.DataFrame(rows, columns=["figure", "published", "reproduced", "match"])
    return frame.astype({"figure": "string", "published": "string", "reproduced": "string", "match": "bool"})
