"""What a notebook declares, read from its JSON without papermill or nbformat (whose
imports cost more than a command that only checks a study may take): the parameters its
``parameters`` cell declares, as papermill reads them, and a digest of its cells as
written (not their outputs).
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

__all__ = ["code_cells_digest", "declared_parameters"]


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
