"""pyproject.toml, requirements.lock and environment.yml agree; the venv is what the lock says."""

from __future__ import annotations

from importlib import metadata

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from peerstudy.config import PROJECT_ROOT
from peerstudy.pipeline.envfiles import direct_requirements, normalise_name, read_lock, render_environment


def test_environment_yml_is_rendered_from_pyproject_and_lock():
    committed = (PROJECT_ROOT / "environment.yml").read_text(encoding="utf-8")
    assert committed == render_environment(), "environment.yml drifted: run `make lock`"


def test_every_direct_dependency_is_pinned_within_its_range():
    pins = read_lock()
    for name, spec in direct_requirements().items():
        assert name in pins, f"{name} is not in requirements.lock: run `make lock`"
        assert pins[name] in SpecifierSet(spec), f"{name}=={pins[name]} violates {spec!r} in pyproject.toml"


def test_lock_is_closed_under_dependencies():
    """Every requirement of every locked package is itself locked (nothing floats)."""
    pins = read_lock()
    for name in pins:
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for req in map(Requirement, requires):
            if req.marker and not req.marker.evaluate({"extra": ""}):
                continue
            assert normalise_name(req.name) in pins, f"{name} needs {req.name}, which the lock does not pin"


def test_installed_versions_are_the_locked_ones():
    installed = {normalise_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    wrong = {n: (v, installed.get(n)) for n, v in read_lock().items() if installed.get(n) != v}
    assert not wrong, (
        f"the environment differs from requirements.lock (locked, installed): {wrong}; run `make test` to reinstall"
    )
