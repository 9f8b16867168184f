"""The HTML pages of the reports: one page per executed notebook, and ``reports/index.html``.

Every page is self-contained (no script, style or font from the network: the notebooks'
outputs are HTML tables and embedded images, so the pages need no JavaScript) and starts
with a header: the study's title, the source it reproduces (``source`` of the study's
``published`` file), the notes on its data (the study's ``notes``, and which characteristics
are not published, from ``unpublished``), the commit and the code hash, the parameters
(collapsed), links to the index and to the previous and next stage, and the study's
downloads (``tables/``, ``figures/``, ``qda/``). Pages carry no date or clock: the same
inputs and code give the same bytes.

The index has one card per study, with the number of published figures its report
reproduces and links to its pages; the hashes of the raw inputs are in a collapsed section.
"""

from __future__ import annotations

import csv
import functools
import html
import json
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import nbformat

from peerstudy import config
from peerstudy.io.files import write_bytes_atomic
from peerstudy.io.yamlfiles import read_yaml

__all__ = [
    "render_html",
    "current_commit",
    "list_downloads",
    "page_header",
    "write_pages",
    "count_reproduced",
    "write_index",
    "list_links",
    "find_link_problems",
    "DOWNLOAD_DIRS",
]

#: The folders of ``reports/<study>/`` whose files every page of the study links to.
DOWNLOAD_DIRS = ("tables", "figures", "qda")
#: A study's comparison of reproduced with published figures, in ``reports/<study>/``.
COMPARISON = "tables/published-comparison.csv"

# The lab template with every script from the network removed (require.js, MathJax,
# mermaid, widgets) and the page header placed at the top of the body.
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}<style>{{ resources.page_css }}</style>{%- endblock extra_css -%}
{%- block body_header -%}
<body class="jp-Notebook" data-jp-theme-light="true" data-jp-theme-name="JupyterLab Light">
{{ resources.page_header }}
<main>
{%- endblock body_header -%}
"""

_CSS = (
    ".ps-header{font-family:sans-serif;margin:0;padding:.8em 16px .6em;"
    "border-bottom:1px solid #ccc;line-height:1.4;font-size:14px}"
    ".ps-header h1{font-size:1.4em;margin:.2em 0}.ps-header nav span{margin-right:1.2em}"
    ".ps-header a{color:#0645ad;text-decoration:underline}"
    ".ps-source{font-style:italic}.ps-notice{background:#fff6dc;border-left:4px solid #e0a800;"
    "padding:.3em .8em;margin:.5em 0}.ps-notice ul{margin:.2em 0;padding-left:1.2em}"
    ".ps-header code{font-size:.9em;word-break:break-all}.ps-header details{margin:.3em 0}"
    ".ps-header table td,.ps-header table th{text-align:left;vertical-align:top;padding:.1em .6em}"
    ".ps-downloads li{display:inline-block;margin-right:1em}"
)


def render_html(nb: nbformat.NotebookNode, title: str, header: str = "") -> bytes:
    """HTML for reviewers: code, prompts and parameter cells hidden; outputs and prose
    shown; no script or style loaded from the network; ``header`` (HTML) at the top.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Results")])
    >>> page = render_html(nb, "demo", "<p>header</p>").decode()
    >>> "<p>header</p>" in page and "http" not in page.split("<main>")[0].split("<style")[0]
    True
    """
    resources = {"metadata": {"name": title}, "page_header": header, "page_css": _CSS}
    body, _ = _html_exporter().from_notebook_node(nb, resources=resources)
    return body.encode("utf-8")


# What nbconvert's HTMLExporter does to its page after the template, by parsing the page
# with BeautifulSoup and writing it out again (ten times as long as the template itself):
# the outputs and input wrappers reachable by keyboard, and an alternative text on each
# image that has none. Done here on the tags the template writes, the rest left byte for byte.
_FOCUSABLE = re.compile(r'<div\b([^<>]*\bclass="[^"]*\b(?:jp-OutputArea-output|jp-Cell-inputWrapper)\b[^"]*"[^<>]*)>')
_NO_ALT = re.compile(r"<img\b(?![^<>]*\balt=)")
_IMAGE_ALT = "No description has been provided for this image"


def _mark_page(page: str) -> str:
    """Make the template's outputs and input wrappers focusable and give images without one
    an alternative text, as nbconvert's HTML exporter does.

    Examples
    --------
    >>> _mark_page('<div class="jp-RenderedText jp-OutputArea-output" data-mime-type="text/plain"><img src="x.png">')
    '<div class="jp-RenderedText jp-OutputArea-output" data-mime-type="text/plain" tabindex="0"><img alt="No description has been provided for this image" src="x.png">'
    >>> _mark_page('<div class="jp-Cell"><img alt="a chart" src="x.png"></div>')  # nothing to add
    '<div class="jp-Cell"><img alt="a chart" src="x.png"></div>'
    """
    page = _FOCUSABLE.sub(
        lambda m: f'<div{m.group(1)} tabindex="0">' if "tabindex=" not in m.group(1) else m.group(0), page
    )
    return _NO_ALT.sub(f'<img alt="{_IMAGE_ALT}"', page)


@functools.cache
def _html_exporter() -> Any:
    """The exporter of :func:`render_html`, made once: making one compiles its templates,
    which took longer than rendering a page."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
    from traitlets.config import Config

    class PageExporter(HTMLExporter):
        """The lab template's HTML with the exporter's filters, marked by :func:`_mark_page`."""

        def from_notebook_node(self, nb: Any, resources: Any = None, **kw: Any) -> tuple[str, Any]:  # type: ignore[override]
            resources = self._init_resources(resources)
            language = nb.metadata.get("language_info", {})
            lexer = language.get("pygments_lexer", language.get("name"))
            self.register_filter("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            self.register_filter(
                "filter_data_type",
                WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources),
            )
            page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return _mark_page(page), resources

    c = Config()
    c.TagRemovePreprocessor.remove_cell_tags = {"parameters", "injected-parameters"}
    c.TagRemovePreprocessor.enabled = True
    exporter = PageExporter(config=c, template_name="lab", extra_loaders=[DictLoader({"peerstudy.html.j2": _TEMPLATE})])
    exporter.template_file = "peerstudy.html.j2"
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    return exporter


def current_commit(root: Path | None = None) -> str | None:
    """The last commit that changed the code producing the reports (``src/`` and
    ``studies/``), or ``None`` where git or the repository is absent.

    Not ``HEAD``, and not the last change of ``notebooks/``: ``make report`` rewrites the
    outputs stored in ``notebooks/`` and the reports, and committing them makes a new
    commit that a page naming it could never be regenerated to name byte for byte. The
    notebooks' sources, like all the code, are in the code hash on each page, which says
    whether the code used was exactly that commit's.

    Examples
    --------
    >>> commit = current_commit()
    >>> commit is None or len(commit) == 40
    True
    """
    git = shutil.which("git")
    if not git:
        return None
    try:
        done = subprocess.run(
            [git, "log", "-1", "--format=%H", "--", "src", "studies"],
            cwd=root or config.PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    out = done.stdout.strip()
    return out if done.returncode == 0 and len(out) == 40 else None


def list_downloads(reports_dir: Path) -> list[str]:
    """Files of a study's ``tables/``, ``figures/`` and ``qda/`` folders, as paths
    relative to ``reports_dir``, in sorted order.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> (d / "tables").mkdir(); _ = (d / "tables" / "a.csv").write_text("x")
    >>> _ = (d / "notes.md").write_text("x")
    >>> list_downloads(d)
    ['tables/a.csv']
    """
    found = []
    for folder in DOWNLOAD_DIRS:
        base = reports_dir / folder
        if base.is_dir():
            found += [p.relative_to(reports_dir).as_posix() for p in sorted(base.rglob("*")) if p.is_file()]
    return found


def _e(value: Any) -> str:
    return html.escape(str(value))


def _link(href: str, text: str) -> str:
    return f'<a href="{_e(href)}">{_e(text)}</a>'


def _source_of(parameters: Mapping[str, Any]) -> str | None:
    """The ``source`` declared by the study's published-figures file, if any."""
    published = parameters.get("published")
    if not published:
        return None
    path = config.resolve_input(Path(published))
    if not path.is_file():
        return None
    doc = read_yaml(path, what="a published-figures file (YAML)")
    source = doc.get("source") if isinstance(doc, dict) else None
    return " ".join(str(source).split()) if source else None


def _notices(parameters: Mapping[str, Any]) -> list[str]:
    from peerstudy.report.declarations import stand_in_notes

    notes = parameters.get("notes") or []
    notes = [notes] if isinstance(notes, str) else list(notes)
    return [" ".join(str(n).split()) for n in notes] + stand_in_notes(parameters.get("unpublished") or [])


def _parameters_table(parameters: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<tr><th>{_e(k)}</th><td><code>{_e(json.dumps(v, ensure_ascii=False, default=str))}</code></td></tr>"
        for k, v in parameters.items()
        if k != "notes"
    )
    return f"<details><summary>Parameters ({len(parameters) - ('notes' in parameters)})</summary><table>{rows}</table></details>"


def _navigation(notebooks: Sequence[str], notebook: str) -> str:
    i = list(notebooks).index(notebook)
    links = [_link("../index.html", "All reports")]
    if i > 0:
        links.append("Previous stage: " + _link(f"{notebooks[i - 1]}.html", notebooks[i - 1]))
    if i + 1 < len(notebooks):
        links.append("Next stage: " + _link(f"{notebooks[i + 1]}.html", notebooks[i + 1]))
    links.append(_link(f"{notebook}.ipynb", "notebook (.ipynb)"))
    return "<nav>" + "".join(f"<span>{x}</span> " for x in links).rstrip() + "</nav>"


def _downloads(downloads: Sequence[str]) -> str:
    if not downloads:
        return ""
    groups = []
    for folder in DOWNLOAD_DIRS:
        files = [d for d in downloads if d.startswith(folder + "/")]
        if files:
            items = "".join(f"<li>{_link(d, d.split('/', 1)[1])}</li>" for d in files)
            groups.append(f'<p>{_e(folder)}/ ({len(files)})</p><ul class="ps-downloads">{items}</ul>')
    return f"<details><summary>Downloads ({len(downloads)} files)</summary>{''.join(groups)}</details>"


def page_header(
    study: str,
    notebook: str,
    notebooks: Sequence[str],
    parameters: Mapping[str, Any],
    *,
    code_sha256: str,
    commit: str | None,
    downloads: Sequence[str] = (),
    reproduced: tuple[int, int] | None = None,
) -> str:
    """The header of a report page (HTML): title, source, notes on the data, provenance,
    parameters (collapsed), navigation and downloads; with ``reproduced`` (see
    :func:`count_reproduced`), how many published figures the study reproduces, linked
    to its comparison table.

    Examples
    --------
    >>> h = page_header("demo", "b", ["a", "b"], {"title": "A <demo>"}, code_sha256="ab12", commit=None)
    >>> "A &lt;demo&gt;" in h and 'href="a.html"' in h and "commit" not in h
    True
    """
    title = parameters.get("title") or study
    parts = [
        '<header class="ps-header">',
        _navigation(notebooks, notebook),
        f"<h1>{_e(title)}</h1>",
        f"<p>Study <code>{_e(study)}</code>, stage {list(notebooks).index(notebook) + 1} of {len(notebooks)}: "
        f"<strong>{_e(notebook)}</strong></p>",
    ]
    source = _source_of(parameters)
    if source:
        parts.append(f'<p class="ps-source">Source: {_e(source)}</p>')
    if reproduced is not None:
        parts.append(
            f"<p><strong>{reproduced[0]} of {reproduced[1]} published figures reproduced</strong> "
            f"({_link(COMPARISON, 'comparison table')})</p>"
        )
    notices = _notices(parameters)
    if notices:
        items = "".join(f"<li>{_e(n)}</li>" for n in notices)
        parts.append(f'<div class="ps-notice"><strong>About these data</strong><ul>{items}</ul></div>')
    prov = f"Code sha256 <code>{_e(code_sha256)}</code>"
    if commit:
        prov = f"Code last changed in commit <code>{_e(commit)}</code>; " + prov
    parts += [
        f"<p>{prov} (see <code>reports/manifest.json</code>).</p>",
        _parameters_table(parameters),
        _downloads(downloads),
        "</header>",
    ]
    return "\n".join(p for p in parts if p)


def write_pages(
    study: str, notebooks: Sequence[str], parameters: Mapping[str, Any], reports_dir: Path, *, code_sha256: str
) -> list[Path]:
    """Render every executed notebook ``reports_dir/<nb>.ipynb`` of a study to
    ``<nb>.html`` with its header; return the pages written."""
    commit = current_commit()
    downloads = list_downloads(reports_dir)
    written = []
    for nb in notebooks:
        executed = nbformat.read(reports_dir / f"{nb}.ipynb", as_version=4)
        header = page_header(
            study,
            nb,
            notebooks,
            parameters,
            code_sha256=code_sha256,
            commit=commit,
            downloads=downloads,
            reproduced=count_reproduced(reports_dir / COMPARISON),
        )
        page = render_html(executed, f"{parameters.get('title') or study}: {nb}", header)
        written.append(write_bytes_atomic(reports_dir / f"{nb}.html", page))
    return written


def count_reproduced(comparison_csv: Path) -> tuple[int, int] | None:
    """(reproduced, published) from a study's ``tables/published-comparison.csv`` (its
    ``match`` column), or ``None`` where the study has none.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "c.csv"
    >>> _ = p.write_text("figure,published,reproduced,match\\na,1,1,True\\nb,2,3,False\\n")
    >>> count_reproduced(p)
    (1, 2)
    """
    if not comparison_csv.is_file():
        return None
    with open(comparison_csv, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return sum(str(r.get("match", "")).strip().lower() == "true" for r in rows), len(rows)


_INDEX_CSS = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
    ".card{border:1px solid #ccc;border-radius:6px;padding:.6em 1.2em;margin:1em 0}"
    ".card h2{margin:.2em 0;font-size:1.2em}.status{font-weight:bold}"
    "code{font-size:.85em;word-break:break-all}td,th{padding:.2em .6em;text-align:left;vertical-align:top}"
)


def _card(base: Path, name: str, entry: Mapping[str, Any]) -> list[str]:
    title = entry.get("parameters", {}).get("title", name)
    counted = count_reproduced(base / name / COMPARISON)
    status = (
        "no published comparison" if counted is None else f"{counted[0]} of {counted[1]} published figures reproduced"
    )
    parts = [
        '<section class="card">',
        f"<h2>{_e(title)}</h2>",
        f'<p>Study <code>{_e(name)}</code>. <span class="status">{_e(status)}</span>.</p><ul>',
    ]
    for nb in entry["notebooks"]:
        rel = Path(nb).relative_to("reports").with_suffix(".html").as_posix()
        parts.append(f"<li>{_link(rel, Path(nb).stem)}</li>")
    parts.append(f"<li>{_link(f'{name}/key-figures.json', 'key figures (JSON)')}</li></ul>")
    rows = "".join(
        f"<tr><th>{_e(raw)}</th><td><code>{_e(digest)}</code></td></tr>" for raw, digest in entry["raw_inputs"].items()
    )
    parts.append(
        f"<p>Code sha256 <code>{_e(entry['code_sha256'])}</code></p>"
        f"<details><summary>sha256 of the {len(entry['raw_inputs'])} raw inputs</summary>"
        f"<table>{rows}</table></details></section>"
    )
    return parts


def write_index(manifest: Mapping[str, Any], *, root: Path | None = None) -> Path:
    """``reports/index.html``: one card per study (status, links to its pages), with
    provenance; the raw inputs' hashes collapsed.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> entry = {"notebooks": ["reports/s/a.ipynb"], "parameters": {"title": "S"}, "raw_inputs": {"r": "00"},
    ...          "code_sha256": "ff"}
    >>> 'href="s/a.html"' in write_index({"studies": {"s": entry}}, root=root).read_text()
    True
    """
    base = (Path(root) if root else config.output_root()) / "reports"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
        "<title>peerstudy reports</title>",
        f"<style>{_INDEX_CSS}</style>",
        "</head><body>",
        "<h1>peerstudy reports</h1>",
        "<p>Each report was produced from the raw data by the notebooks listed, with the parameters shown at "
        "the top of each page. The hashes identify the exact inputs and code; <code>make test</code> checks "
        "that they still match.</p>",
    ]
    for name, entry in sorted(manifest.get("studies", {}).items()):
        parts += _card(base, name, entry)
    pkgs = ", ".join(f"{k} {v}" for k, v in manifest.get("packages", {}).items())
    parts.append(f"<p>Python {_e(manifest.get('python', ''))}; {_e(pkgs)}.</p></body></html>")
    return write_bytes_atomic(base / "index.html", ("\n".join(parts) + "\n").encode("utf-8"))


class _Links(HTMLParser):
    """Every ``src`` and ``href`` of a page (``<a>``, ``<link>``, ``<script>``, ``<img>``…)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [v for k, v in attrs if k in ("src", "href") and v is not None]


def list_links(page: str) -> list[str]:
    """The ``src`` and ``href`` values of an HTML page, in order.

    Examples
    --------
    >>> list_links('<a href="x.html">x</a><img src="data:image/png;base64,AA">')
    ['x.html', 'data:image/png;base64,AA']
    """
    parser = _Links()
    parser.feed(page)
    return parser.links


def find_link_problems(folder: Path) -> list[str]:
    """Links of every ``.html`` page below ``folder`` that load from the network
    (``http:``, ``https:``, ``//``) or that point to a file that does not exist; one line
    per problem (empty: all links local and resolving).

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "a.html").write_text('<a href="b.html">b</a><script src="https://cdn.example/x.js"></script>')
    >>> find_link_problems(d)
    ['a.html: b.html does not exist', 'a.html: https://cdn.example/x.js is loaded from the network']
    """
    problems = []
    for page in sorted(folder.rglob("*.html")):
        rel = page.relative_to(folder).as_posix()
        for link in list_links(page.read_text(encoding="utf-8")):
            target = link.strip()
            scheme = urlsplit(target).scheme.lower()
            if scheme in ("http", "https") or target.startswith("//"):
                problems.append(f"{rel}: {target} is loaded from the network")
            elif not scheme and not target.startswith("#"):
                path = unquote(urlsplit(target).path)
                if path and not (page.parent / path).exists():
                    problems.append(f"{rel}: {target} does not exist")
    return problems
