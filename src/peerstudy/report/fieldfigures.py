"""Figures of declared fields: the kind of figure is chosen by the field's declared type.

category, boolean, label: bars of n (%) per value (:func:`peerstudy.report.figures.plot_counts`);
likert: a diverging stacked bar (:func:`plot_likert`); integer, number: a histogram;
multi: respondents choosing each declared option (a person may choose several, so the
percentages, of those who answered, do not add up to 100). Nothing here knows the name of
any study's field: :func:`plot_characteristics` draws one figure per field it is given,
named after the field.

Examples
--------
>>> from peerstudy.cleaning.surveyfields import FieldSpec
>>> spec = FieldSpec("years", "Q2", "number", label="Years of peer support")
>>> fig = plot_field(pd.Series([0.5, 3.0, 12.75]), spec)
>>> fig.axes[0].get_title()
'Years of peer support (n = 3)'
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import MaxNLocator

from peerstudy.cleaning.surveyfields import Fields, FieldSpec
from peerstudy.cleaning.values import split_choices
from peerstudy.errors import ConfigError, Problem
from peerstudy.report.figures import plot_counts
from peerstudy.report.likert import answered_scores
from peerstudy.report.outputs import FIGURE_RC

__all__ = ["FIGURE_BY_TYPE", "plot_field", "plot_characteristics", "plot_likert", "option_counts"]

#: The figure drawn for each declared type.
FIGURE_BY_TYPE = {
    "category": "bars",
    "boolean": "bars",
    "label": "bars",
    "likert": "diverging stacked bar",
    "integer": "histogram",
    "number": "histogram",
    "multi": "counts per option",
}
_COLOUR = "#3a6ea5"


def plot_field(values: pd.Series, spec: FieldSpec, *, title: str | None = None) -> plt.Figure:
    """The figure of one field's answers, chosen by its declared type (see :data:`FIGURE_BY_TYPE`).

    Parameters
    ----------
    values
        The field's cleaned column (one value per participant).
    spec
        The field's declaration.
    title
        The figure's title; default: the field's ``label``, else its name.
    """
    title = title or spec.title
    kind = FIGURE_BY_TYPE.get(spec.type)
    if kind == "bars":
        if spec.type == "boolean":
            values = values.map({True: "yes", False: "no"}, na_action="ignore")
        return plot_counts(values, title=title)
    if kind == "histogram":
        return _plot_histogram(values, title=title, xlabel=spec.title)
    if kind == "counts per option":
        counts, answered = option_counts(values, spec)
        return _plot_option_counts(counts, answered, title=title)
    if kind == "diverging stacked bar":
        return plot_likert(pd.DataFrame({spec.name: values}), [spec], title=title)
    raise ConfigError(
        Problem(
            field=spec.name,
            expected=f"a field of a type with a figure ({', '.join(FIGURE_BY_TYPE)})",
            found=f"type {spec.type!r}",
            fix=f"leave {spec.name!r} out of the fields described",
        )
    )


def plot_characteristics(
    participants: pd.DataFrame, fields: Fields, names: Sequence[str], *, unpublished: Sequence[str] = ()
) -> dict[str, plt.Figure]:
    """One figure per field in ``names``, chosen by its declared type, keyed by the field's
    name (save each as ``figures/<name>``). Fields in ``unpublished`` say so in their title.

    Examples
    --------
    >>> from peerstudy.cleaning.surveyfields import read_fields
    >>> fields = read_fields("tests/fixtures/surveys/qualtrics_flow.yaml")
    >>> people = pd.DataFrame({"years": [0.5, 3.0], "supports": ["Online forum", "Peer group; Online forum"]})
    >>> sorted(plot_characteristics(people, fields, ["years", "supports"]))
    ['supports', 'years']
    """
    figures = {}
    for name in names:
        spec = fields[name]
        title = f"{spec.title} (not published: stand-in values)" if name in unpublished else spec.title
        figures[name] = plot_field(participants[name], spec, title=title)
    return figures


def option_counts(values: pd.Series, spec: FieldSpec) -> tuple[pd.Series, int]:
    """Respondents choosing each option of a multi field (declared options in their order,
    then any others by frequency), and how many answered the question.

    Examples
    --------
    >>> from peerstudy.cleaning.surveyfields import FieldSpec
    >>> spec = FieldSpec("s", "Q3", "multi", options=(("1", "Peer group"), ("2", "Counselling, one-to-one")))
    >>> counts, answered = option_counts(pd.Series(["Peer group; Counselling, one-to-one", "Peer group", None]), spec)
    >>> counts.to_dict(), answered
    ({'Peer group': 2, 'Counselling, one-to-one': 1}, 2)
    """
    answers = values.dropna().astype(str)
    chosen = [_options_of(answer, spec) for answer in answers]
    flat = pd.Series([option for options in chosen for option in options], dtype="object")
    counts = flat.value_counts()
    declared = [label for _, label in spec.options]
    others = sorted((o for o in counts.index if o not in declared), key=lambda o: (-counts[o], o))
    order = declared + others
    return pd.Series([int(counts.get(o, 0)) for o in order], index=order, dtype="int64"), len(answers)


def _options_of(answer: str, spec: FieldSpec) -> list[str]:
    """The options in one cleaned multi answer (joined by ``"; "``)."""
    if spec.options:
        found = split_choices(answer, spec.options, ";")
        if found is not None:
            return list(dict.fromkeys(found))
    return list(dict.fromkeys(part.strip() for part in answer.split(";") if part.strip()))


def _plot_option_counts(counts: pd.Series, answered: int, *, title: str) -> plt.Figure:
    with matplotlib.rc_context(FIGURE_RC):
        fig, ax = plt.subplots(figsize=(6.4, 0.5 * len(counts) + 1.4))
        ax.barh(range(len(counts)), counts.to_numpy(), color=_COLOUR)
        ax.set_yticks(range(len(counts)), counts.index.tolist())
        ax.invert_yaxis()
        for i, n in enumerate(counts):
            ax.text(n + 0.1, i, f"{n} ({100 * n / answered:.1f}%)" if answered else "0", va="center", fontsize=9)
        ax.set_xlim(0, max(int(counts.max()) if len(counts) else 1, 1) * 1.3)
        ax.set(title=title, xlabel=f"Respondents choosing the option (n; % of {answered} who answered)", ylabel="")
        sns.despine(fig)
        fig.tight_layout()
    return fig


def _plot_histogram(values: pd.Series, *, title: str, xlabel: str) -> plt.Figure:
    numbers = values.dropna().astype("float64")
    with matplotlib.rc_context(FIGURE_RC):
        fig, ax = plt.subplots(figsize=(6.4, 3.6))
        bins = np.histogram_bin_edges(numbers, bins="auto").tolist() if len(numbers) else 1
        ax.hist(numbers, bins=bins, color=_COLOUR, edgecolor="white")
        ax.set(title=f"{title} (n = {len(numbers)})", xlabel=xlabel, ylabel="Participants (n)")
        locator = ax.yaxis.get_major_locator()
        if isinstance(locator, MaxNLocator):  # a linear axis's AutoLocator is one
            locator.set_params(integer=True)
        sns.despine(fig)
        fig.tight_layout()
    return fig


def plot_likert(participants: pd.DataFrame, items: Sequence[FieldSpec], *, title: str) -> plt.Figure:
    """A diverging stacked bar per Likert item (answers as given): the levels below the
    midpoint extend left of zero, those above it right, a middle level is split across
    zero; bars show % of those who answered; one colour per level, lowest first."""
    levels = list(dict.fromkeys(label for spec in items for _, label in spec.levels))
    palette = sns.color_palette("RdBu", len(levels))
    with matplotlib.rc_context(FIGURE_RC):
        fig, ax = plt.subplots(figsize=(8.0, 0.6 * len(items) + 1.8))
        for row, spec in enumerate(items):
            scores = answered_scores(participants[spec.name], spec).dropna()
            shares = [
                100 * float((scores == score).sum()) / len(scores) if len(scores) else 0.0 for score, _ in spec.levels
            ]
            middle = (spec.levels[0][0] + spec.levels[-1][0]) / 2
            below = sum(p for (s, _), p in zip(spec.levels, shares, strict=True) if s < middle)
            centre = sum(p for (s, _), p in zip(spec.levels, shares, strict=True) if s == middle)
            left = -below - centre / 2
            for (_, label), share in zip(spec.levels, shares, strict=True):
                ax.barh(row, share, left=left, color=palette[levels.index(label)], edgecolor="white",
                        label=label if row == 0 else None)  # fmt: skip
                left += share
        ax.axvline(0, color="#444444", linewidth=0.8)
        ax.set_xlim(-100, 100)
        ax.set_xticks([-100, -50, 0, 50, 100], ["100", "50", "0", "50", "100"])
        ax.set_yticks(
            range(len(items)), [f"{s.label or s.column} (n = {participants[s.name].notna().sum()})" for s in items]
        )
        ax.invert_yaxis()
        ax.set(title=title, xlabel="Respondents (%); disagreeing left of 0, agreeing right", ylabel="")
        ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=min(len(levels), 5), fontsize=8)
        sns.despine(fig, left=True)
        fig.tight_layout()
    return fig
