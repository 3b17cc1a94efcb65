"""The batch: incremental rules, failure isolation, stale marking, atomic publication.

The incremental rules are tested with a stand-in executor (counting executions) so they run
in a second; the real papermill path is exercised by ``built_example`` below.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from rencontres_lib import build as build_mod


@pytest.fixture
def fake_execute(monkeypatch):
    calls: list[str] = []

    def execute(notebook: Path, output: Path, parameters: dict, cwd: Path) -> float:
        calls.append(output.parent.name)
        if "parametres" in parameters and "casse" in Path(parameters["parametres"]).read_text(
            encoding="utf-8"
        ):
            raise RuntimeError("cellule 3 : données cassées")
        nb = nbformat.v4.new_notebook()
        nb.cells.append(nbformat.v4.new_markdown_cell(f"## Rapport {output.parent.name}"))
        output.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, output)
        if "sortie" in parameters:
            Path(parameters["sortie"]).mkdir(parents=True, exist_ok=True)
            (Path(parameters["sortie"]) / "resultats.json").write_text(
                json.dumps({"slug": output.parent.name})
            )
        return 0.01

    monkeypatch.setattr(build_mod, "_execute", execute)
    # the library's own hash is tested apart: here the sources may be edited while tests run
    monkeypatch.setattr(build_mod, "library_fingerprint", lambda: "bibliotheque")
    monkeypatch.setattr(
        build_mod,
        "private_outputs",
        lambda pfile, root, log, pdfs=None: calls.append(f"prive:{pfile.stem}"),
    )
    return calls


def executed(calls: list[str]) -> list[str]:
    return sorted(c for c in calls if not c.startswith("prive:"))


def run(root: Path, **kw):
    return build_mod.build(root, audit=False, log=lambda m: None, **kw)


def test_incremental_rules(project, fake_execute):
    first = run(project)
    assert executed(fake_execute) == ["grenoble", "lille", "lyon", "nantes", "synthese"]
    assert first.exit_code == 0
    assert {o.state for o in first.outcomes} == {"exécuté"}

    fake_execute.clear()
    again = run(project)
    assert fake_execute == []  # unchanged → nothing executed
    assert {o.state for o in again.outcomes} == {"réutilisé"}

    fake_execute.clear()
    with open(project / "data/exemple/inscriptions_lyon.csv", "ab") as fh:
        fh.write(b"\r\n")
    one = run(project)
    assert executed(fake_execute) == ["lyon", "synthese"]  # exactly 2 executions
    assert one.executed == 2

    fake_execute.clear()
    nb = project / "notebooks/rencontre.ipynb"
    text = nb.read_text(encoding="utf-8")
    assert "# Paramètres" in text
    nb.write_text(text.replace("# Paramètres", "# Les paramètres"), encoding="utf-8")
    run(project)
    assert executed(fake_execute) == [
        "grenoble",
        "lille",
        "lyon",
        "nantes",
        "synthese",
    ]  # source changed → all

    fake_execute.clear()
    run(project, force=True)
    assert len(executed(fake_execute)) == 5
    assert sorted(c for c in fake_execute if c.startswith("prive:")) == [
        "prive:grenoble",
        "prive:lille",
        "prive:lyon",
        "prive:nantes",
    ]
    index = (project / "reports/index.html").read_text(encoding="utf-8")
    assert "Reconstruit" in index


def test_one_broken_territory_does_not_stop_the_others(project, fake_execute):
    assert run(project).exit_code == 0
    good = (project / "reports/nantes.html").read_text(encoding="utf-8")
    # break nantes's data: the stand-in executor fails on it
    p = project / "parameters/nantes.yaml"
    p.write_text(p.read_text(encoding="utf-8") + "# casse\n", encoding="utf-8")
    fake_execute.clear()
    report = run(project)
    assert report.exit_code == 1
    assert [o.slug for o in report.failures] == ["nantes"]
    assert "nantes" in fake_execute and "synthese" in fake_execute
    kept = (project / "reports/nantes.html").read_text(encoding="utf-8")
    assert (
        "Rapport périmé" in kept
        and kept.replace(
            kept[kept.index('<div class="perime"') : kept.index("<!--/PERIME-->") + 14], ""
        )
        == good
    )
    index = (project / "reports/index.html").read_text(encoding="utf-8")
    assert "Échec" in index and "RuntimeError" in index and "périmée" in index
    # an unexpected error's text may hold data: shown in the terminal, never published
    assert "données cassées" in report.failures[0].detail and "données cassées" not in index
    assert "données cassées" not in kept


def test_invalid_parameters_are_reported_and_others_built(project, fake_execute):
    (project / "parameters/rennes.yaml").write_text(
        "territoire: Rennes\nslug: rennes\ndate: demain\n", encoding="utf-8"
    )
    report = run(project)
    assert report.exit_code == 1
    failed = report.failures[0]
    assert (
        failed.slug == "rennes" and "clé « date »" in failed.error and "AAAA-MM-JJ" in failed.error
    )
    assert (project / "reports/lyon.html").exists()
    assert not list((project / "reports").glob(".*.tmp")) and not list(
        (project / "reports").glob("*.tmp")
    )


@pytest.mark.slow
def test_real_build_of_the_example_data(built_example):
    root, report = built_example["root"], built_example["report"]
    assert report.failures == [], built_example["log"]
    assert report.audit_hits == 0, built_example["log"]
    names = sorted(p.name for p in (root / "reports").glob("*.html"))
    assert names == [
        "grenoble.html",
        "index.html",
        "lille.html",
        "lyon.html",
        "nantes.html",
        "synthese.html",
    ]
    lyon = (root / "reports/lyon.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in lyon
    assert "require.js" not in lyon and "mathjax" not in lyon.lower() and "cdn." not in lyon
    assert lyon.count('class="graphique"') >= 8
    assert '<script src="assets/plotly.min.js"></script>' in lyon
    assert (
        'class="jp-CodeMirrorEditor' not in lyon and "load_rencontre" not in lyon
    )  # no code cell published
    assert (root / "reports/assets/plotly.min.js").stat().st_size > 1_000_000
    assert list((root / "reports/tableaux").glob("lyon_*.csv"))
    # executed notebooks kept for debugging outside reports/
    assert (root / "build/lyon/rencontre.ipynb").exists()
    assert "Synthèse" in (root / "reports/synthese.html").read_text(encoding="utf-8")
    # progress: one line per notebook
    assert sum(": exécuté" in line for line in built_example["log"]) == 5


@pytest.mark.slow
def test_real_build_writes_logistics_only_under_prive(built_example):
    import shutil

    root = built_example["root"]
    for slug in ("lyon", "grenoble", "nantes", "lille"):
        assert (root / "prive" / slug / "emargement.html").exists()
        assert (root / "prive" / slug / "liste_attente.csv").exists()
        if shutil.which("chromium"):
            pdf = (root / "prive" / slug / "emargement.pdf").read_bytes()
            assert pdf.startswith(b"%PDF") and b"/MediaBox [0 0 594.9" in pdf  # A4: 595 × 842 pt
    assert not [
        p for p in (root / "reports").rglob("*") if "emargement" in p.name or "contacts" in p.name
    ]
