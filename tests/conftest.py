"""Shared fixtures: a copy of the project in a temporary folder, and one real build of it."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_REAL = ROOT.parent / "shared" / "data" / "real"


def copy_project(dst: Path) -> Path:
    """A throw-away copy of what a build reads (never the user's reports/ or prive/)."""
    from rencontres_lib.build import copy_inputs

    return copy_inputs(ROOT, dst)


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A copy of the project, made this process's project root (as ``rencontres --racine``)."""
    from rencontres_lib import config

    root = copy_project(tmp_path / "projet")
    monkeypatch.setattr(config, "_ROOT", root.resolve())
    return root


@pytest.fixture(scope="session")
def built_example(tmp_path_factory) -> dict:
    """The example data built once for real (papermill + nbconvert), shared by the slow tests."""
    from rencontres_lib.build import build

    root = copy_project(tmp_path_factory.mktemp("exemple") / "projet")
    lines: list[str] = []
    report = build(root, jobs=2, log=lines.append)
    return {"root": root, "report": report, "log": lines}
