"""Saving in JupyterLab leaves an unchanged notebook unchanged on disk.

When a kernel connects, JupyterLab writes the kernel's ``language_info`` (with the full
Python version, ``3.11.7``) into the notebook's metadata, and the kernel it ran with into
``kernelspec``; so merely opening and saving a notebook gave a git diff. The Jupyter
server's pre-save hook :func:`normalise_saved_notebook` (configured in
``jupyter_server_config.py`` at the project root, which ``make lab`` uses) normalises a
notebook as the pipeline does before storing it (:func:`peerstudy.pipeline.normalise_notebook`:
no timings, Python as major.minor, cell ids ``cell-<n>``) and sets ``language_info`` and
``kernelspec`` to the values the pipeline stores (those of the project's kernel).
"""

from __future__ import annotations

import sys
from typing import Any

import nbformat

from peerstudy.pipeline.kernels import KERNEL_NAME
from peerstudy.pipeline.notebookcells import normalise_notebook

__all__ = ["KERNELSPEC", "language_info", "normalise_saved_notebook"]

#: The ``kernelspec`` metadata papermill stores for the project's kernel (as ``make``
#: registers it: ``ipykernel install --name peerstudy --display-name "Python (peerstudy)"``).
KERNELSPEC: dict[str, str] = {"display_name": "Python (peerstudy)", "language": "python", "name": KERNEL_NAME}


def language_info() -> dict[str, Any]:
    """The ``language_info`` the project's kernel reports (ipykernel's, for the Python
    that runs it), with the version as major.minor, as the pipeline stores it.

    Examples
    --------
    >>> info = language_info()
    >>> info["name"], info["version"] == "{}.{}".format(*sys.version_info[:2])
    ('python', True)
    """
    from ipykernel.ipkernel import IPythonKernel

    info = dict(IPythonKernel.language_info)
    info["version"] = "{}.{}".format(*sys.version_info[:2])
    return info


def normalise_saved_notebook(
    model: dict[str, Any], path: str = "", contents_manager: Any = None, **kwargs: Any
) -> None:
    """Jupyter server pre-save hook: normalise a notebook model in place before it is
    written (any other model is left alone).

    Parameters
    ----------
    model
        The contents model the server is about to save (``type``, ``content``, ...).
    path
        The notebook's path from the server's root (unused: every notebook is normalised
        alike).
    contents_manager, kwargs
        Passed by the server; unused.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    >>> nb.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    >>> model = {"type": "notebook", "content": nb}
    >>> normalise_saved_notebook(model, "notebooks/x.ipynb")
    >>> model["content"].metadata.kernelspec["name"], model["content"].cells[0].id
    ('peerstudy', 'cell-0')
    """
    if model.get("type") != "notebook" or not model.get("content") or model["content"].get("nbformat") != 4:
        return  # not a notebook, or one of an older format (saved as it is)
    nb = nbformat.from_dict(model["content"])
    output_path = nb.metadata.get("papermill", {}).get("output_path", "")
    nb, _ = normalise_notebook(nb, output_path=output_path)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = language_info()
    model["content"] = nb
