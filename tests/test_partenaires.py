"""Issue 15 across sources: territory filter near matches, ``rencontres new`` and where real
exports live (git-ignored ``donnees/``, pre-commit hook). Values computed by hand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from rencontres_lib.referentiels import territory_matches, territory_values

ROOT = Path(__file__).resolve().parents[1]


def test_near_territory_values_are_reported_with_counts():
    """Case 7: 5 × « Lyon », 3 × « lyon », 1 × « LYON », 2 × « Métropole de Lyon »."""
    values = ["Lyon"] * 5 + ["lyon"] * 3 + ["LYON"] + ["Métropole de Lyon"] * 2 + ["Grenoble"] * 4
    found = territory_matches(values, "Lyon", file="q.csv", column="TERRITOIRE")
    assert len(found) == 1
    f = found[0]
    assert (f.level, f.file, f.column, f.count) == ("avertissement", "q.csv", "TERRITOIRE", 6)
    assert "« lyon » (3), « Métropole de Lyon » (2), « LYON » (1)" in f.message
    assert "Grenoble" not in f.message


def test_a_filter_matching_no_row_is_an_error_naming_the_near_value():
    """« Rennes Métropole » (display name given by rencontres new) vs « Rennes » in the answers."""
    found = territory_matches(["Rennes"] * 6 + ["Nantes"] * 2, "Rennes Métropole", file="q.csv")
    assert [f.level for f in found] == ["erreur"]
    assert "aucune ligne ne correspond" in found[0].message
    assert "« Rennes » (6)" in found[0].message and "Nantes" not in found[0].message
    other = territory_matches(["Nantes"] * 2, "Brest")
    assert other[0].level == "erreur" and "valeurs trouvées : « Nantes » (2)" in other[0].message
    assert territory_matches(["Lyon", "Grenoble"], "Lyon") == []
    assert territory_values(["B", "A", "B", " ", None]) == [("B", 2), ("A", 1)]


def test_check_reports_the_near_matches(project, capsys):
    from rencontres_lib.cli import main

    q = project / "donnees" / "rennes" / "questionnaire.csv"
    q.parent.mkdir(parents=True, exist_ok=True)
    source = (project / "data" / "exemple" / "questionnaire.csv").read_text(encoding="utf-8")
    assert source.count('"Nantes"') > 0
    q.write_text(source.replace('"Nantes"', '"Rennes"'), encoding="utf-8")
    args = ["new", "rennes", "--territoire", "Rennes Métropole", "--date", "2025-05-16"]
    args += ["--questionnaire", str(q), "--codebook", "parameters/codebook.yaml"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Valeurs de la colonne territoire du questionnaire" in out
    text = (project / "parameters" / "rennes.yaml").read_text(encoding="utf-8")
    # rencontres new offers the questionnaire's value: « Rennes », not the display name
    assert 'territoire: "Rennes"' in text.split("filtre:")[1]
    assert "# valeurs trouvées dans le questionnaire :" in text
    assert (project / "donnees" / "rennes").is_dir()
    # a filter that matches nothing is an error in check
    bad = project / "parameters" / "rennes.yaml"
    bad.write_text(text.replace('  territoire: "Rennes"', '  territoire: "Rennes Métropole"'))
    assert main(["check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "aucune ligne ne correspond au filtre « Rennes Métropole »" in out


def test_real_exports_live_in_an_ignored_folder():
    ignore = (ROOT / ".gitignore").read_text(encoding="utf-8")
    assert "/donnees/*" in ignore.splitlines()
    assert (ROOT / "donnees" / "LISEZMOI.md").is_file()
    assert "donnees/" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ("data/inscriptions_rennes.csv", True),
        ("donnees/rennes/inscrits.xlsx", True),
        ("parameters/export.ODS", True),
        ("notes/contacts.json", True),
        ("data/exemple/inscriptions_lyon.csv", False),
        ("tests/fixtures/inscriptions/generique.csv", False),
        ("rencontres_lib/templates/rencontres/conf.json", False),
        ("parameters/lyon.yaml", False),
    ],
)
def test_pre_commit_hook_refuses_data_files_outside_example_and_fixtures(path, refused):
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = [h for r in config["repos"] if r["repo"] == "local" for h in r["hooks"]]
    hook = next(h for h in hooks if h["id"] == "refuser-exports-reels")
    assert hook["language"] == "fail"
    matched = bool(re.search(hook["files"], path)) and not re.search(hook["exclude"], path)
    assert matched == refused


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025/03/14 3:08:24 PM UTC+1", "2025-03-14 15:08:24"),  # Google Forms, English, 12 h
        ("2025/03/14 12:05:00 AM UTC+1", "2025-03-14 00:05:00"),  # midnight in 12 h form
        ("14/03/2025 15:08:24", "2025-03-14 15:08:24"),  # Google Forms, French
        ("3/14/2025 3:08:24 PM", "2025-03-14 15:08:24"),  # month first (14 is no month)
        ("2025-03-14T15:08:24.123+01:00", "2025-03-14 15:08:24"),  # KoboToolbox
        ("2025-03-14 15:08:24", "2025-03-14 15:08:24"),  # LimeSurvey
        ("2019-01-17 10:38:20 +0100", "2019-01-17 10:38:20"),  # Decidim 2019
        ("2025-03-14 11:05:10 UTC", "2025-03-14 11:05:10"),  # Decidim ≥ 0.23
        ("14/03/2025 - 15:08", "2025-03-14 15:08:00"),  # Framaforms
        ("vendredi 14 mars 2025 à 10h32", "2025-03-14 10:32:00"),
        ("Mar 14, 2025 3:08 PM", "2025-03-14 15:08:00"),
        ("45730.630833", "2025-03-14 15:08:24"),  # Excel serial: 45730 days after 1899-12-30
        ("14 March 2025 at 15:08", "2025-03-14 15:08:00"),  # dateparser, last resort
    ],
)
def test_every_tool_date_form(text, expected):
    import pandas as pd

    from rencontres_lib.loaders.common import parse_date_fr

    assert parse_date_fr(text) == pd.Timestamp(expected)


@pytest.mark.parametrize("text", ["2025-02-30", "demain", "", "31/31/2025", "12345"])
def test_impossible_dates_stay_empty(text):
    from rencontres_lib.loaders.common import parse_date_fr

    assert parse_date_fr(text) is None


def test_new_suggests_the_questionnaire_value():
    from rencontres_lib.nouveau import suggest_filter

    values = [("Rennes", 6), ("Nantes", 2)]
    assert suggest_filter("Rennes Métropole", values) == "Rennes"
    assert suggest_filter("Nantes", values) == "Nantes"
    assert suggest_filter("Brest", values) is None  # nothing close: the user must choose
    assert suggest_filter("Lyon", [("lyon", 3), ("Métropole de Lyon", 2)]) is None  # two
    assert suggest_filter("Lyon", []) is None
