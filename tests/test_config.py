"""Parameters files: validated into a typed model, French errors naming file, key and expectation."""

from pathlib import Path

import pytest

from rencontres_lib.config import load_parameters, parameter_files
from rencontres_lib.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]

BASE = """territoire: Métropole de Test
slug: test
date: 2025-03-14
lieu: Salle des fêtes
capacite: 50
phase: compte_rendu
deroule:
  - {heure: "09:30", titre: "Accueil"}
sources:
  questionnaire: q.csv
filtre: {territoire: Test}
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "q.csv").write_text("id\n1\n", encoding="utf-8")
    p = tmp_path / "test.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_valid_file_resolves_paths_against_root(tmp_path):
    params = load_parameters(write(tmp_path, BASE), root=tmp_path)
    assert params.slug == "test" and params.capacite == 50
    assert params.date.isoformat() == "2025-03-14"
    assert params.source("questionnaire") == tmp_path / "q.csv"
    assert params.deroule[0].heure == "09:30"
    assert params.filtre_territoire == "Test"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("date: 2025-03-14", "date: 14/03/2025"), ["clé « date »", "AAAA-MM-JJ", "14/03/2025"]),
        (
            ("phase: compte_rendu", "phase: bilan"),
            ["clé « phase »", "cadrage", "compte_rendu", "bilan"],
        ),
        (("capacite: 50", "capacite: beaucoup"), ["clé « capacite »", "nombre entier"]),
        (("capacite: 50", "capacite: -3"), ["clé « capacite »", "strictement positif"]),
        (("slug: test", "slug: Test Ville"), ["clé « slug »", "minuscules"]),
        (("slug: test", "slug: synthese"), ["clé « slug »", "« synthese » est réservé"]),
        (("territoire: Métropole de Test\n", ""), ["clé « territoire »", "obligatoire"]),
        (("lieu: Salle des fêtes", "lieux: Salle"), ["clé « lieux »", "inconnue"]),
        (("q.csv", "absent.csv"), ["sources.questionnaire", "introuvable", "absent.csv"]),
        (('heure: "09:30"', 'heure: "vers 9h"'), ["deroule.0.heure", "HH:MM"]),
    ],
)
def test_french_errors_name_file_key_and_expectation(tmp_path, change, expected):
    path = write(tmp_path, BASE.replace(*change))
    with pytest.raises(ConfigError) as err:
        load_parameters(path, root=tmp_path)
    msg = err.value.french()
    assert "test.yaml" in msg
    for part in expected:
        assert part in msg


def test_broken_yaml_names_the_line(tmp_path):
    path = write(tmp_path, BASE + "partenaires: [a, b\n")
    with pytest.raises(ConfigError) as err:
        load_parameters(path, root=tmp_path)
    assert "YAML invalide" in err.value.french() and "ligne" in err.value.french()


def test_example_parameters_are_valid():
    files = parameter_files(ROOT)
    assert [f.stem for f in files] == ["grenoble", "lille", "lyon", "nantes"]
    for f in files:
        p = load_parameters(f, root=ROOT)
        assert p.slug == f.stem
        assert all(path.exists() for path in p.input_paths())


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("date: 2025-03-14", "date: 2025-02-30"), ["clé « date »", "n'existe pas"]),
        (
            ("lieu: Salle des fêtes", "lieu: Salle\nlieu: Autre"),
            ["clé « lieu » en double", "ligne 5"],
        ),
        (
            ("sources:\n  questionnaire: q.csv", "sources:\n  questionnaire: ."),
            ["sources.questionnaire", "pas un fichier ordinaire"],
        ),
    ],
)
def test_impossible_dates_duplicate_keys_and_folders_are_french_errors(tmp_path, change, expected):
    path = write(tmp_path, BASE.replace(*change))
    with pytest.raises(ConfigError) as err:
        load_parameters(path, root=tmp_path)
    for part in expected:
        assert part in err.value.french()


def test_files_that_are_not_utf8_or_not_regular_are_refused_without_reading(tmp_path):
    import os

    latin = tmp_path / "latin.yaml"
    latin.write_bytes(
        BASE.replace("Métropole", "Metropole").replace("fêtes", "fetes\n# déjà").encode("latin-1")
    )
    with pytest.raises(ConfigError, match="UTF-8") as err:
        load_parameters(latin, root=tmp_path)
    assert err.value.row == 5 and "latin.yaml" in err.value.french()  # first non-UTF-8 byte
    (tmp_path / "dossier.yaml").mkdir()
    os.mkfifo(tmp_path / "tube.yaml")  # opening it for reading would wait for ever
    for name, word in (("dossier.yaml", "un dossier"), ("tube.yaml", "fichier spécial")):
        with pytest.raises(ConfigError, match="pas un fichier ordinaire") as err:
            load_parameters(tmp_path / name, root=tmp_path)
        assert word in err.value.french()
    # the build still lists them, to report them
    (tmp_path / "parameters").mkdir()
    for name in ("dossier.yaml", "tube.yaml", "latin.yaml"):
        (tmp_path / name).rename(tmp_path / "parameters" / name)
    assert [f.name for f in parameter_files(tmp_path)] == [
        "dossier.yaml",
        "latin.yaml",
        "tube.yaml",
    ]
