"""Publication figures: one function per figure, each returning a matplotlib Figure.

Save them with :meth:`peerstudy.report.outputs.StudyOutputs.figure`, which writes PNG and SVG
without timestamps.

Examples
--------
>>> fig = plot_counts(pd.Series(["a", "b", "a"]), title="Demo", xlabel="n")
>>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
['a', 'b']
"""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from peerstudy.report.outputs import FIGURE_RC

__all__ = [
    "plot_counts",
    "plot_category_counts",
    "plot_saturation",
    "plot_heatmap",
    "plot_emergence",
    "plot_role_comparison",
    "plot_memo_timeline",
]

_COLOUR = "#3a6ea5"


def plot_counts(values: pd.Series, *, title: str, xlabel: str = "Participants (n)") -> plt.Figure:
    """Horizontal bars of how often each value occurs, most frequent first, with n (%)
    written at the end of each bar."""
    counts = values.dropna().astype(str).value_counts()
    counts = counts.loc[sorted(counts.index, key=lambda k: (-counts[k], k))]
    with matplotlib.rc_context(FIGURE_RC):
        fig, ax = plt.subplots(figsize=(6.4, 0.5 * len(counts) + 1.2))
        if counts.empty:  # a question nobody answered: an empty frame that says so
            ax.text(0.5, 0.5, "No answers", transform=ax.transAxes, ha="center", va="center", color="#444444")
            ax.set_yticks([])
        else:
            sns.barplot(x=counts.to_numpy(), y=counts.index.tolist(), orient="h", color=_COLOUR, ax=ax)
        total = counts.sum()
        for i, n in enumerate(counts):
            ax.text(n + 0.1, i, f"{n} ({100 * n / total:.1f}%)", va="center", fontsize=9)
        ax.set_xlim(0, (counts.max() if len(counts) else 1) * 1.3)
        ax.set(title=title, xlabel=xlabel, ylabel="")
        sns.despine(fig)
        fig.tight_layout()
    return fig


def plot_category_counts(categories: pd.DataFrame, *, title: str = "Excerpts per category") -> plt.Figure:
    """Small multiples, one panel per question: excerpts per category, in codebook order.

    ``categories`` is the table of :func:`peerstudy.report.tables.category_table`.
    """
    questions = list(dict.fromkeys(categories["question"]))
    heights = [int((categories["question"] == q).sum()) for q in questions]
    with matplotlib.rc_context(FIGURE_RC):
        fig, axes = plt.subplots(
            len(questions),
            1,
            figsize=(7.5, 0.42 * sum(heights) + 1.0 * len(questions)),
            gridspec_kw={"height_ratios": heights},
            sharex=True,
            squeeze=False,
        )
        top = int(categories["n"].max()) if len(categories) else 1
        for ax, q in zip(axes[:, 0], questions, strict=False):
            part = categories[categories["question"] == q]
            sns.barplot(x=part["n"].to_numpy(), y=part["category"].tolist(), orient="h", color=_COLOUR, ax=ax)
            for i, n in enumerate(part["n"]):
                ax.text(n + 0.05, i, str(n), va="center", fontsize=9)
            ax.set(title=f"{q or 'Codes'} ({int(part['n'].sum())} excerpts)", xlabel="", ylabel="")
            ax.set_xlim(0, top + 1)
        axes[-1, 0].set_xlabel("Excerpts (n)")
        fig.suptitle(title)
        sns.despine(fig)
        fig.tight_layout()
    return fig


def plot_saturation(saturation: pd.DataFrame, *, title: str = "Code saturation") -> plt.Figure:
    """New codes found in each successive document (bars) and their running total (line).

    ``saturation`` is the table of :func:`peerstudy.report.tables.saturation_table`.
    """
    with matplotlib.rc_context(FIGURE_RC):
        fig, ax = plt.subplots(figsize=(7.0, 3.8))
        x = list(range(1, len(saturation) + 1))
        ax.bar(x, saturation["new"], color="#9ab8d8", label="new codes")
        ax.plot(x, saturation["cumulative"], color=_COLOUR, marker="o", label="cumulative")
        ax.set_xticks(x, [f"{d}" for d in saturation["document"]], rotation=0)
        ax.set(title=title, xlabel="Transcripts in order of data collection", ylabel="Codes (n)")
        ax.set_ylim(0, saturation["cumulative"].max() * 1.15)
        ax.legend(frameon=False, loc="center right")
        sns.despine(fig)
        fig.tight_layout()
    return fig


def plot_heatmap(table: pd.DataFrame, *, title: str, xlabel: str) -> plt.Figure:
    """Counts of a crosstab (codes × groups) as an annotated heatmap."""
    with matplotlib.rc_context(FIGURE_RC):
        fig, ax = plt.subplots(figsize=(1.0 * table.shape[1] + 5.5, 0.45 * table.shape[0] + 1.5))
        sns.heatmap(table, annot=True, fmt="d", cmap="Blues", cbar=False, linewidths=0.5, ax=ax)
        ax.set(title=title, xlabel=xlabel, ylabel="")
        fig.tight_layout()
    return fig


def plot_emergence(
    emergence: pd.DataFrame, *, time: str = "session", title: str = "Share of dyads in which each category appears"
) -> plt.Figure:
    """Small multiples, one heatmap per source: categories × times, coloured and
    annotated by the share of units (table of :func:`peerstudy.report.comparisons.emergence_table`)."""
    sources = list(dict.fromkeys(emergence["source"]))
    labels = list(dict.fromkeys(emergence["label"]))
    with matplotlib.rc_context(FIGURE_RC):
        fig, axes = plt.subplots(
            1, len(sources), figsize=(2.3 * len(sources) + 4.5, 0.42 * len(labels) + 1.6), sharey=True, squeeze=False
        )
        for i, (ax, src) in enumerate(zip(axes[0], sources, strict=False)):
            grid = (
                emergence[emergence["source"] == src].pivot(index="label", columns=time, values="share").reindex(labels)
            )
            sns.heatmap(grid, vmin=0, vmax=1, annot=True, fmt=".1f", cmap="Blues", cbar=False, linewidths=0.5, ax=ax)
            ax.set(title=src, xlabel=time.capitalize(), ylabel="")
            if i:
                ax.tick_params(left=False)
        fig.suptitle(title)
        fig.tight_layout()
    return fig


def plot_role_comparison(roles: pd.DataFrame, *, title: str = "Statements per category by role") -> plt.Figure:
    """Paired horizontal bars per category, one colour per role, with the number of
    shared views written beside each pair (table of :func:`peerstudy.report.comparisons.role_table`,
    whose ``statements_<role>`` columns name the roles)."""
    role_columns = {c.removeprefix("statements_"): c for c in roles.columns if c.startswith("statements_")}
    long = roles.melt(id_vars=["label"], value_vars=list(role_columns.values()), var_name="role", value_name="n")
    long["role"] = long["role"].map({v: k for k, v in role_columns.items()})
    with matplotlib.rc_context(FIGURE_RC):
        fig, ax = plt.subplots(figsize=(8.0, 0.55 * len(roles) + 1.4))
        sns.barplot(data=long, x="n", y="label", hue="role", orient="h", palette=["#3a6ea5", "#e39b4b"], ax=ax)
        top = long["n"].max()
        for i, shared in enumerate(roles["shared_views"]):
            ax.text(top * 1.04, i, f"shared: {shared}", va="center", fontsize=8)
        ax.set_xlim(0, top * 1.25)
        ax.set(title=title, xlabel="Coded statements (n)", ylabel="")
        ax.legend(title="", frameon=False, loc="upper right", bbox_to_anchor=(1.0, -0.1), ncol=2)
        sns.despine(fig)
        fig.tight_layout()
    return fig


def plot_memo_timeline(timeline: pd.DataFrame, *, title: str = "Analytic memos by category over time") -> plt.Figure:
    """One marker per memo and category it develops, dated (table of
    :func:`peerstudy.qualitative.memos.memo_timeline`)."""
    labels = list(dict.fromkeys(timeline["label"]))
    with matplotlib.rc_context(FIGURE_RC):
        fig, ax = plt.subplots(figsize=(8.0, 0.45 * len(labels) + 1.6))
        dates = pd.to_datetime(timeline["date"])
        ax.scatter(dates, [labels.index(label) for label in timeline["label"]], color=_COLOUR, s=36, zorder=3)
        ax.set_yticks(range(len(labels)), labels)
        ax.invert_yaxis()
        ax.grid(axis="x", color="#dddddd", zorder=0)
        ax.set(title=title, xlabel="Memo date", ylabel="")
        fig.autofmt_xdate()
        sns.despine(fig)
        fig.tight_layout()
    return fig
