"""A notebook's declared parameters and cells digest, read from its JSON (notebookcells)."""

from __future__ import annotations

import json

from peerstudy import config
from peerstudy.pipeline import notebookcells


def test_declared_parameters_read_as_papermill_reads_them():
    import ast

    import papermill

    for path in sorted(config.NOTEBOOKS_DIR.glob("*.ipynb")):
        ours, theirs = notebookcells.declared_parameters(path), papermill.inspect_notebook(str(path))
        assert list(ours) == list(theirs), path.name
        for name, spec in theirs.items():
            assert ours[name]["inferred_type_name"] == spec["inferred_type_name"], (path.name, name)
            assert ast.literal_eval(ours[name]["default"]) == ast.literal_eval(spec["default"]), (path.name, name)


def test_parameter_defaults_are_the_source_segments_python_gives():
    """Each default as written: what the standard library's ast.get_source_segment gives
    for the value of each assignment of every notebook's parameters cell, and for a cell
    with Windows and old Mac line ends, a form feed and letters of several bytes."""
    import ast

    cells = [
        "".join(cell["source"])
        for path in sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]
        if "parameters" in cell.get("metadata", {}).get("tags", [])
    ]
    assert len(cells) == len(list(config.NOTEBOOKS_DIR.glob("*.ipynb")))
    cells.append("a = 'é'\r\nb: dict = {\r\n  'ß': [1,\r 2],\r\n}  # c\n\x0cd = ('x'\n     'y')\n")
    for source in cells:
        segment = notebookcells._segments(source)
        for node in ast.parse(source).body:
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                assert segment(node.value) == ast.get_source_segment(source, node.value)
