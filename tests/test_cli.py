"""The ``rencontres`` command: French help, new → check, codebook, audit exit codes."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from rencontres_lib import cli
from rencontres_lib.cli import main


def test_help_is_french(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for word in ("build", "check", "codebook", "audit", "new", "construit tous les rapports"):
        assert word in out
    with pytest.raises(SystemExit):
        main(["build", "--help"])
    out = capsys.readouterr().out
    assert "--jobs" in out and "--force" in out and "--autonome" in out and "parallèle" in out


def test_new_writes_a_file_that_check_accepts(project, capsys):
    args = [
        "new",
        "rennes",
        "--territoire",
        "Rennes Métropole",
        "--date",
        "2025-05-16",
        "--lieu",
        "Le Couvent des Jacobins",
        "--capacite",
        "80",
        "--questionnaire",
        "data/exemple/questionnaire.csv",
        "--codebook",
        "parameters/codebook.yaml",
        "--inscriptions",
        "data/exemple/inscriptions_nantes.csv",
        "--filtre",
        "Nantes",
    ]
    assert main(args) == 0
    target = project / "parameters/rennes.yaml"
    text = target.read_text(encoding="utf-8")
    assert (
        "# Nombre de places" in text
        and "capacite: 80" in text
        and 'territoire: "Rennes Métropole"' in text
    )
    out = capsys.readouterr().out
    assert "rencontres check" in out
    # the organiser's text file, every section ready to fill, read back by the report
    from rencontres_lib.textes import load_texts

    words = load_texts(project / "parameters/textes/rennes.md")
    assert {"introduction", "faits marquants", "prochaines etapes"} <= set(words.sections)
    assert words.html("introduction") == ""  # empty: « À rédiger » in a draft
    assert main(["check", str(target)]) == 0
    assert "Résultat : utilisable." in capsys.readouterr().out
    # refuses to overwrite
    assert main(args) == 1
    assert "existe déjà" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == text


def test_new_without_terminal_never_waits_for_input(project):
    proc = subprocess.run(
        [sys.executable, "-m", "rencontres_lib.cli", "new", "brest", "--date", "2025-06-01"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=project,  # the project root is found from the current folder
    )
    assert proc.returncode == 0, proc.stderr
    assert (project / "parameters/brest.yaml").exists()


def test_new_rejects_bad_values(project, capsys):
    assert main(["new", "Mauvais Slug", "--date", "2025-06-01"]) == 1
    assert "minuscules" in capsys.readouterr().err
    assert main(["new", "quimper", "--date", "01/06/2025"]) == 1
    assert "AAAA-MM-JJ" in capsys.readouterr().err


def test_check_reports_errors_with_exit_1(project, capsys):
    p = project / "parameters/lyon.yaml"
    p.write_text(
        p.read_text(encoding="utf-8").replace("inscriptions_lyon.csv", "inscriptions_absent.csv"),
        encoding="utf-8",
    )
    assert main(["check", str(p)]) == 1
    out = capsys.readouterr().out
    assert "sources.inscriptions" in out and "introuvable" in out


def test_audit_exit_codes(tmp_path, project, capsys):
    clean = tmp_path / "propre"
    clean.mkdir()
    (clean / "a.html").write_text(
        "<html><body><p>Rien à signaler.</p></body></html>", encoding="utf-8"
    )
    assert main(["audit", str(clean)]) == 0
    dirty = tmp_path / "sale"
    dirty.mkdir()
    (dirty / "b.html").write_text(
        '<html><body><p>écrire à jeanne.martin@example.org</p><script src="https://cdn.example.net/x.js"></script></body></html>',
        encoding="utf-8",
    )
    assert main(["audit", str(dirty)]) == 1
    out = capsys.readouterr().out
    assert "b.html" in out and "courriel" in out


def test_unexpected_error_prints_french_and_logs_the_traceback_privately(
    project, capsys, monkeypatch
):
    from rencontres_lib import cli

    def broken(args):
        raise TypeError("détail interne de Sophie Exemple")

    monkeypatch.setattr(cli, "cmd_build", broken)
    assert main(["build"]) == 1
    err = capsys.readouterr().err
    assert "Erreur inattendue (TypeError)" in err and "rencontres build" in err
    assert "Traceback" not in err and "Sophie" not in err
    logs = list((project / "prive" / "journaux").glob("erreur-*.log"))
    assert len(logs) == 1 and str(logs[0].relative_to(project)) in err
    text = logs[0].read_text(encoding="utf-8")
    assert "Traceback" in text and "détail interne de Sophie Exemple" in text
    assert (logs[0].stat().st_mode & 0o777) == 0o600


def test_build_with_unwritable_reports_is_a_french_error(project, capsys):
    import shutil

    shutil.rmtree(project / "reports")
    (project / "reports").write_text("", encoding="utf-8")
    assert main(["--racine", str(project), "build", "--sans-audit"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Erreur : impossible d'écrire dans le dossier « reports/ »")
    assert "Traceback" not in err


def test_progress_lines_go_through_tqdm_without_a_bar_off_terminal(capsys):
    handler = cli._ProgressHandler()
    for done, text in ((1, "[1/2] Lyon : construit"), (2, "[2/2] Synthèse : construit")):
        record = logging.LogRecord("rencontres_lib.build", logging.INFO, "", 0, text, None, None)
        record.done, record.total = done, 2
        handler.emit(record)
    assert capsys.readouterr().out == "[1/2] Lyon : construit\n[2/2] Synthèse : construit\n"
    assert handler.bar is None  # captured output is no terminal: plain lines only


def test_build_command_hands_its_early_service_to_the_build(project, monkeypatch):
    """The service started before the imports is the one the build uses (and stops): else a
    cold build would start a second one."""
    from rencontres_lib import build as build_mod
    from rencontres_lib import service

    early, seen = object(), {}
    asked = {}

    def start_for_build(root, **kw):
        asked.update(kw, root=root)
        return early

    def fake_build(**kw):
        seen.update(kw)
        return build_mod.BuildReport()

    monkeypatch.setattr(service, "start_for_build", start_for_build)
    monkeypatch.setattr(build_mod, "build", fake_build)
    assert main(["build", "--force", "-j", "2"]) == 0
    assert seen["analyser"] is early
    assert asked == {"jobs": 2, "force": True, "cluster": None, "root": project.resolve()}
