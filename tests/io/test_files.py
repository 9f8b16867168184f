"""The low-level writers load no plotting or table library.

``peerstudy.io.rawdata`` (all that ``accept-raw`` needs) and ``peerstudy.io.files`` must not
import pandas or matplotlib (issue 14: ``accept-raw`` answering in under a second; issue
12: importing the I/O layer loads no plotting library). Checked in a fresh interpreter,
since this test session has long imported both.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module", ["peerstudy.io.files", "peerstudy.io.rawdata", "peerstudy.errors", "peerstudy.config"]
)
def test_the_io_layer_imports_no_table_or_plotting_library(module):
    code = (
        f"import sys, json, {module}; "
        "print(json.dumps(sorted(m for m in ('pandas', 'matplotlib', 'numpy', 'papermill') if m in sys.modules)))"
    )
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert loaded == []
