"""What a notebook declares, read from its JSON without papermill or nbformat (whose imports
cost more than a command that only checks a study may take): the parameters its
``parameters`` cell declares, as papermill reads them, the processed tables it reads and
writes, and a digest of its cells as written (not their outputs); and an executed notebook
with what differs from run to run taken out (:func:`normalise_notebook`: the pipeline
before storing it, and JupyterLab's save hook).
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from peerstudy import config

__all__ = ["code_cells_digest", "declared_parameters", "join_streams", "normalise_notebook", "processed_tables"]

Notebook = TypeVar("Notebook", bound=dict[str, Any])


def declared_parameters(notebook: Path) -> dict[str, dict[str, str]]:
    """The parameters a notebook's ``parameters`` cell declares, as papermill's
    ``inspect_notebook`` gives them (name, ``inferred_type_name``, ``default`` as written),
    read without importing papermill.

    Examples
    --------
    >>> from peerstudy import config
    >>> declared_parameters(config.NOTEBOOKS_DIR / "code.ipynb")["coding_sheets"]["inferred_type_name"]
    'list'
    """
    cells = json.loads(Path(notebook).read_bytes()).get("cells", [])
    for cell in cells:
        if "parameters" not in cell.get("metadata", {}).get("tags", []):
            continue
        source = "".join(cell.get("source", []))
        segment, declared = _segments(source), {}
        for node in ast.parse(source).body:
            target: ast.expr
            if isinstance(node, ast.AnnAssign) and node.value is not None:
                target, annotation, value = node.target, ast.unparse(node.annotation), node.value
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, annotation, value = node.targets[0], "None", node.value
            else:
                continue
            if isinstance(target, ast.Name):
                default = segment(value)
                declared[target.id] = {"name": target.id, "inferred_type_name": annotation, "default": default}
        return declared
    return {}


def processed_tables(notebook: Path) -> tuple[frozenset[str], frozenset[str]]:
    """The processed tables (``data/processed/<study>/<name>.parquet``) a notebook needs and
    those it writes, as its code cells say: ``report.load("name")`` without ``missing_ok``,
    and the names given to ``report.processed(name=...)``.

    Examples
    --------
    >>> from peerstudy import config
    >>> needs, writes = processed_tables(config.NOTEBOOKS_DIR / "screen-records.ipynb")
    >>> sorted(needs), sorted(writes)
    (['records'], ['decisions', 'extraction', 'votes'])
    """
    needs: set[str] = set()
    writes: set[str] = set()
    for cell in json.loads(Path(notebook).read_bytes()).get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        try:
            tree = ast.parse("".join(cell.get("source", [])))
        except SyntaxError:  # a cell of IPython magics: no table calls to find
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr == "processed":
                writes.update(k.arg for k in node.keywords if k.arg)
            elif node.func.attr == "load" and node.args and isinstance(node.args[0], ast.Constant):
                optional = any(
                    k.arg == "missing_ok" and isinstance(k.value, ast.Constant) and k.value.value for k in node.keywords
                )
                if isinstance(node.args[0].value, str) and not optional:
                    needs.add(node.args[0].value)
    return frozenset(needs), frozenset(writes)


def _segments(source: str) -> Callable[[ast.expr], str]:
    """The source of a node of ``source`` as written: what :func:`ast.get_source_segment`
    gives, with the lines found once rather than once per node (a parameters cell with
    dozens of parameters and their comments took a tenth of a second).

    Examples
    --------
    >>> source = "a = 1\\nb: dict = {\\n  'é': [2],\\n}  # note\\r\\nc = 'x'\\rd = 3"
    >>> nodes = [node.value for node in ast.parse(source).body]
    >>> [_segments(source)(n) for n in nodes] == [ast.get_source_segment(source, n) for n in nodes]
    True
    """
    data = source.encode("utf-8")
    starts = [0] + [m.end() for m in re.finditer(rb"\r\n|\r|\n", data)]  # ast's lines: not split at \f or \v

    def segment(node: ast.expr) -> str:
        if node.end_lineno is None or node.end_col_offset is None:
            return ""
        begin, end = starts[node.lineno - 1] + node.col_offset, starts[node.end_lineno - 1] + node.end_col_offset
        return data[begin:end].decode("utf-8")

    return segment


def code_cells_digest(path: Path) -> str:
    """sha256 of each cell's type, tags and source, and the kernel, of the notebook at
    ``path`` (see :func:`peerstudy.pipeline.stagecache.notebook_digest`, which remembers it
    for one look).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "n.ipynb"
    >>> _ = path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": "1", "outputs": [1]}]}))
    >>> before = code_cells_digest(path)
    >>> _ = path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": ["1"], "outputs": []}]}))
    >>> code_cells_digest(path) == before
    True
    """
    nb = json.loads(path.read_bytes())
    code = {
        "kernel": nb.get("metadata", {}).get("kernelspec", {}).get("name"),
        "cells": [
            [
                cell.get("cell_type"),
                sorted(cell.get("metadata", {}).get("tags", [])),
                "".join(cell.get("source", [])) if isinstance(cell.get("source"), list) else cell.get("source"),
            ]
            for cell in nb.get("cells", [])
        ],
    }
    return hashlib.sha256(json.dumps(code, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


_TIMING_KEYS = ("start_time", "end_time", "duration", "status", "exception")


def normalise_notebook(nb: Notebook, *, output_path: str) -> tuple[Notebook, dict[str, Any]]:
    """Remove what differs from run to run (timings, absolute paths, the patch version of
    Python) from an executed notebook; return it and the removed timings."""
    timings: dict[str, Any] = {}
    pm = nb["metadata"].get("papermill", {})
    for key in _TIMING_KEYS:
        if key in pm:
            timings[key] = pm.pop(key)
    pm["input_path"] = config.relative_to_root(pm.get("input_path", ""))
    pm["output_path"] = output_path
    pm.pop("environment_variables", None)
    lang = nb["metadata"].get("language_info", {})
    if "version" in lang:
        lang["version"] = ".".join(str(lang["version"]).split(".")[:2])
    cells = []
    for i, cell in enumerate(nb["cells"]):
        meta = cell.get("metadata", {})
        cell_pm = meta.get("papermill", {})
        cells.append({k: cell_pm.pop(k) for k in _TIMING_KEYS if k in cell_pm})
        if not cell_pm:
            meta.pop("papermill", None)
        meta.pop("execution", None)
        cell["id"] = f"cell-{i}"
        if cell.get("outputs"):
            cell["outputs"] = join_streams(cell["outputs"])
    timings["cells"] = cells
    return nb, timings


def join_streams(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Adjacent stream outputs of one stream as one, as JupyterLab shows them: the kernel
    sends what a cell printed every 0.2 s, so where a print is cut in two depends on how
    busy the machine was, not on the notebook.

    Examples
    --------
    >>> join_streams([{"output_type": "stream", "name": "stdout", "text": "['a', 'b']"},
    ...               {"output_type": "stream", "name": "stdout", "text": "\\n"},
    ...               {"output_type": "stream", "name": "stderr", "text": "warning\\n"}])
    [{'output_type': 'stream', 'name': 'stdout', 'text': "['a', 'b']\\n"}, {'output_type': 'stream', 'name': 'stderr', 'text': 'warning\\n'}]
    """
    joined: list[dict[str, Any]] = []
    for output in outputs:
        last = joined[-1] if joined else {}
        if output.get("output_type") == last.get("output_type") == "stream" and output["name"] == last["name"]:
            last["text"] += output["text"]
        else:
            joined.append(output)
    return joined
