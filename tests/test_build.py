"""The batch: incremental rules, failure isolation, stale marking, atomic publication.

The incremental rules are tested with a stand-in executor (counting executions) so they run
in a second; the real papermill path is exercised by ``built_example`` below.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest

from rencontres_lib import build as build_mod
from rencontres_lib import logistique


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
    monkeypatch.setattr(build_mod, "_prewarm", lambda cwd: None)  # no real kernel
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
    assert "À jour" in index and "Reconstruit" not in index  # no build jargon for readers


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
    # compte rendu: profiles, registered and present, dimensions, statements, 3 free-text themes
    assert lyon.count('class="graphique"') >= 7
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


def _add_registrant(path: Path, first: str, last: str) -> None:
    """A copy of the first registration row with another person's name and e-mail."""
    text = path.read_text(encoding="utf-8-sig")
    header, row = text.splitlines()[:2]
    fields = row.split(";")
    cols = header.split(";")
    for i, col in enumerate(cols):
        if col.startswith("Nom"):
            fields[i] = last
        elif col.startswith("Prénom"):
            fields[i] = first
        elif "mail" in col.lower():
            fields[i] = f"{first[0].lower()}.{last.lower()}@example.org"
    fields[0] = str(int(fields[0]) + 7)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(";".join(fields) + "\r\n")


def test_a_new_name_rebuilds_only_the_reports_whose_sources_hold_it(project, fake_execute):
    # Grenoble's proposals mention a person who has not registered yet
    props = project / "data/exemple/propositions_grenoble.csv"
    text = props.read_text(encoding="utf-8")
    old = "Organiser une réunion de restitution un an après"
    assert old in text
    props.write_text(text.replace(old, "Organiser avec Zéphyrine Quatremaire une restitution"))
    assert run(project).exit_code == 0

    # she registers in Lyon: Lyon (its file changed), Grenoble (its text holds her name), Lille
    # (its note de cadrage quotes the earlier meetings' proposals, Grenoble's included) and the
    # synthesis are rebuilt; Nantes, whose sources never name her, is not
    fake_execute.clear()
    _add_registrant(project / "data/exemple/inscriptions_lyon.csv", "Zéphyrine", "Quatremaire")
    second = run(project)
    assert executed(fake_execute) == ["grenoble", "lille", "lyon", "synthese"]
    assert {o.slug: o.state for o in second.outcomes}["nantes"] == "réutilisé"
    names = json.loads((project / "prive/noms.json").read_text(encoding="utf-8"))
    assert ["Zéphyrine", "Quatremaire"] in names  # every notebook masks her

    # a name found nowhere else: only its own territory and the synthesis
    fake_execute.clear()
    _add_registrant(project / "data/exemple/inscriptions_nantes.csv", "Barnabé", "Xylophonique")
    run(project)
    assert executed(fake_execute) == ["nantes", "synthese"]


def test_name_scanner_finds_whole_first_or_last_names(tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("texte\nMerci à Hélène pour l'atelier\n", encoding="utf-8")
    b = tmp_path / "b.csv"
    b.write_bytes("texte\nM. DURAND-LEFÈVRE a parlé\n".encode("cp1252"))  # not UTF-8
    people = [("Hélène", "Martin"), ("Paul", "Durand-Lefèvre"), ("Paul", "Durand"), ("Léa", "Hel")]
    scanner = build_mod.NameScanner(people)
    assert scanner.relevant([a]) == [("Hélène", "Martin")]  # first name whole, accents folded
    # both words of a compound last name; « Durand » alone also occurs; « hel » is no word
    assert scanner.relevant([b]) == [("Paul", "Durand-Lefèvre"), ("Paul", "Durand")]
    assert scanner.relevant([tmp_path / "absent.csv"]) == []


BAD_PARAMETERS = {
    "date_impossible": "territoire: Rennes\nslug: rennes\ndate: 2025-02-30\n",
    "cle_double": "territoire: Brest\nslug: brest\ndate: 2025-04-01\ndate: 2025-04-02\n",
    "copie_de_lyon": None,  # same slug as lyon.yaml
}


def test_bad_parameters_files_fail_alone_with_their_file_and_key(project, fake_execute):
    params = project / "parameters"
    for name, text in BAD_PARAMETERS.items():
        if text is None:
            text = (params / "lyon.yaml").read_text(encoding="utf-8")
        (params / f"{name}.yaml").write_text(text, encoding="utf-8")
    (params / "latin1.yaml").write_bytes(
        "territoire: Sète\nslug: sete\ndate: 2025-05-01\n".encode("latin-1")
    )
    (params / "dossier.yaml").mkdir()
    os.mkfifo(params / "tube.yaml")  # reading it would block for ever

    report = run(project)
    assert report.exit_code == 1
    errors = {o.slug: o.error for o in report.failures}
    assert set(errors) == {
        "date_impossible",
        "cle_double",
        "copie_de_lyon",
        "latin1",
        "dossier",
        "tube",
    }
    assert "date_impossible.yaml" in errors["date_impossible"]
    assert (
        "clé « date »" in errors["date_impossible"] and "n'existe pas" in errors["date_impossible"]
    )
    assert "2025-02-30" not in errors["date_impossible"]  # public: never the value itself
    assert "ligne 4" in errors["cle_double"] and "clé « date » en double" in errors["cle_double"]
    assert "clé « slug »" in errors["copie_de_lyon"] and "lyon.yaml" in errors["copie_de_lyon"]
    assert "UTF-8" in errors["latin1"] and "latin1.yaml" in errors["latin1"]
    assert "dossier" in errors["dossier"] and "fichier ordinaire" in errors["tube"]
    # every healthy territory was built, and Lyon's report is Lyon's own
    states = {o.slug: o.state for o in report.outcomes}
    assert all(states[s] == "exécuté" for s in ("grenoble", "lille", "lyon", "nantes", "synthese"))
    index = (project / "reports/index.html").read_text(encoding="utf-8")
    assert index.count("Échec") == 6 and "2025-02-30" not in index


def test_public_text_keeps_places_and_hides_values():
    text = (
        "fichier « data/x.csv », ligne 3, colonne « Profil » : valeur « Sophie Exemple » inconnue ;"
        " clé « sources.inscriptions » : fichier introuvable « data/absent.csv »"
    )
    public = build_mod.public_text(text)
    assert "Sophie" not in public and "valeur « … » inconnue" in public
    for kept in (
        "« data/x.csv »",
        "ligne 3",
        "« Profil »",
        "« sources.inscriptions »",
        "« data/absent.csv »",
    ):
        assert kept in public


def test_unwritable_reports_folder_is_a_french_error(project, fake_execute):
    import shutil

    shutil.rmtree(project / "reports")
    (project / "reports").write_text("un fichier à la place du dossier", encoding="utf-8")
    with pytest.raises(build_mod.BuildError) as exc:
        run(project)
    assert "« reports/ »" in exc.value.french() and fake_execute == []
    (project / "reports").unlink()
    (project / "reports").mkdir()
    if os.geteuid() != 0:  # root writes into read-only folders anyway
        (project / "reports").chmod(0o500)
        try:
            with pytest.raises(build_mod.BuildError, match="permission refusée"):
                run(project)
        finally:
            (project / "reports").chmod(0o700)


@pytest.mark.slow
def test_build_on_a_dask_local_cluster(project):
    """Two territories run on a LocalCluster: same reports, cache and failure isolation."""
    from distributed import Client, LocalCluster

    for slug in ("lille", "nantes"):
        (project / "parameters" / f"{slug}.yaml").unlink()
    lines: list[str] = []
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            # the audit runs after the notebooks, the same with or without a cluster
            first = build_mod.build(project, cluster=client, audit=False, log=lines.append)
            assert first.exit_code == 0, lines
            assert sorted(o.slug for o in first.outcomes if o.state == "exécuté") == [
                "grenoble",
                "lyon",
                "synthese",
            ]
            assert (project / "reports/lyon.html").stat().st_size > 10_000
            # same cache: nothing to do; a broken territory fails alone
            again = build_mod.build(project, cluster=client, audit=False, log=lines.append)
            assert {o.state for o in again.outcomes} == {"réutilisé"}
            p = project / "data/exemple/inscriptions_lyon.csv"
            p.write_bytes(b"")
            broken = build_mod.build(project, cluster=client, audit=False, log=lines.append)
    states = {o.slug: o.state for o in broken.outcomes}
    # Lyon's registrants vanish with its file: Grenoble is rebuilt too when one of their first
    # or last names occurs in its own sources (its published text could have masked it)
    assert states["lyon"] == "échec" and states["synthese"] == "exécuté", lines
    assert states["grenoble"] in ("réutilisé", "exécuté"), lines
    assert broken.failures[0].error.startswith("échec dans la cellule")
    assert "Rapport périmé" in (project / "reports/lyon.html").read_text(encoding="utf-8")


def test_early_audit_spares_the_final_one_and_keeps_its_findings(tmp_path, monkeypatch):
    """Files audited as soon as they are published are not read again by the final audit
    (same bytes), their findings still count, and a file changed since is read again."""
    reports = tmp_path / "reports"
    reports.mkdir()
    bad = reports / "a.html"
    bad.write_text("<p>Merci à Jean Dupont, jean.dupont@example.org</p>", encoding="utf-8")
    ok = reports / "b.html"
    ok.write_text("<p>Rien à signaler.</p>", encoding="utf-8")
    people = [("Jean", "Dupont")]
    early = build_mod.EarlyAudit(reports, people)
    early.submit([bad, ok])
    done = early.results()
    assert sorted(done) == ["a.html", "b.html"]
    assert done["a.html"][1] and not done["b.html"][1]

    read: list[list[str]] = []
    real = build_mod.audit_paths

    def counting(paths, **kw):
        read.append(sorted(Path(p).name for p in paths))
        return real(paths, **kw)

    monkeypatch.setattr(build_mod, "audit_paths", counting)
    quiet = lambda message: None  # noqa: E731
    with_early = build_mod._audit(reports, people, "k", {}, tmp_path / "c1.json", quiet, done)
    assert read == []  # nothing read a second time
    plain = build_mod._audit(reports, people, "k", {}, tmp_path / "c2.json", quiet)
    assert read == [["a.html", "b.html"]]
    assert with_early == plain >= 1
    ok.write_text("<p>Rien à signaler, version 2.</p>", encoding="utf-8")
    build_mod._audit(reports, people, "k", {}, tmp_path / "c3.json", quiet, done)
    assert read[-1] == ["b.html"]  # changed since its early audit


def test_without_chromium_the_pdfs_are_named_as_skipped(project, fake_execute, monkeypatch):
    """No Chromium: the build still succeeds, prints no PDF, and says so in French; with
    --sans-documents it says that the documents were not asked for instead."""
    sheet = project / "prive" / "lyon" / "emargement.html"
    sheet.parent.mkdir(parents=True)
    sheet.write_text("<!doctype html><p>Émargement</p>", encoding="utf-8")
    monkeypatch.setattr(build_mod, "chromium", lambda: None)
    monkeypatch.setattr(logistique, "chromium", lambda: None)
    monkeypatch.setattr(build_mod, "publish_documents", lambda *a, **k: None)
    monkeypatch.setattr(build_mod, "publish_kits", lambda *a, **k: None)
    said: list[str] = []
    report = build_mod.build(project, audit=False, log=said.append)
    assert report.exit_code == 0
    assert any("PDF non produits pour 1 feuille d'émargement" in m for m in said), said
    assert not sheet.with_suffix(".pdf").exists()
    said.clear()
    build_mod.build(project, audit=False, documents=False, log=said.append)
    assert any(m.startswith("Documents non produits (--sans-documents)") for m in said), said
    assert not any("Chromium absent" in m for m in said)


def test_without_documents_the_old_documents_of_a_rebuilt_report_are_withdrawn(
    project, fake_execute, monkeypatch
):
    """--sans-documents never leaves, published and linked, the DOCX of an older version of a
    report it has just rebuilt; the documents of a reused report stay."""
    monkeypatch.setattr(build_mod, "publish_kits", lambda *a, **k: None)
    reports = project / "reports"

    def fake_documents(notebook, reports, slug, work, log):
        (reports / f"{slug}.docx").write_bytes(b"ancien")

    monkeypatch.setattr(build_mod, "publish_documents", fake_documents)
    run(project)
    assert (reports / "lyon.docx").exists() and (reports / "nantes.docx").exists()
    with open(project / "data/exemple/inscriptions_lyon.csv", "ab") as fh:
        fh.write(b"\r\n")  # Lyon (and the synthesis) rebuilt, Nantes reused
    said: list[str] = []
    build_mod.build(project, audit=False, documents=False, log=said.append)
    assert not (reports / "lyon.docx").exists() and not (reports / "synthese.docx").exists()
    assert (reports / "nantes.docx").exists()
    assert any("anciens documents des rapports refaits retirés" in m for m in said), said
