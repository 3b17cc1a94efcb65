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
    root = copy_project(tmp_path / "projet")
    monkeypatch.setenv("RENCONTRES_ROOT", str(root))
    return root


@pytest.fixture(scope="session")
def built_example(tmp_path_factory) -> dict:
    """The example data built once for real (papermill + nbconvert), shared by the slow tests."""
    import os

    from rencontres_lib.build import build

    root = copy_project(tmp_path_factory.mktemp("exemple") / "projet")
    old = os.environ.get("RENCONTRES_ROOT")
    lines: list[str] = []
    try:
        report = build(root, jobs=2, log=lines.append)
    finally:
        if old is None:
            os.environ.pop("RENCONTRES_ROOT", None)
        else:
            os.environ["RENCONTRES_ROOT"] = old
    return {"root": root, "report": report, "log": lines}
