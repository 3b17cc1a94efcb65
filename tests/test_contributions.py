"""Contributions loader (Decidim new/old/comments, Pol.is, generic) with hand-computed values."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from rencontres_lib.errors import SourceError
from rencontres_lib.io import read_table
from rencontres_lib.loaders.contributions import COLUMNS, load_contributions

FIX = Path(__file__).resolve().parent / "fixtures" / "contributions"
REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"
EXEMPLE = Path(__file__).resolve().parents[1] / "data" / "exemple"


def only(findings, fragment: str):
    hits = [f for f in findings if fragment in f.message]
    assert len(hits) == 1, [f.french() for f in findings]
    return hits[0]


def real(path: str) -> Path:
    p = REAL / path
    if not p.exists():
        pytest.skip(f"données réelles absentes ({path})")
    return p


def cell_values(table: pd.DataFrame) -> set[str]:
    return {str(v) for v in table.astype(str).to_numpy().ravel()}


# --------------------------------------------------------------------------- Decidim


def test_decidim_new_layout():
    r = load_contributions(FIX / "decidim_nouveau.csv", territoire="lyon")
    t = r.table
    assert r.kind == "contributions" and r.extra["format"] == "decidim"
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (4, 3, 1)
    assert list(t.columns) == COLUMNS
    assert t["proposition_id"].tolist() == ["101", "102", "103"]
    assert t["territoire"].tolist() == ["lyon"] * 3
    assert t["atelier"].tolist() == ["Atelier 1 — Se déplacer"] * 2 + [
        "Atelier 2 — Décider ensemble"
    ]
    assert t["theme"].tolist() == ["Mobilités", "Démocratie", "Démocratie"]
    # HTML stripped, entities decoded, list items on their own lines
    assert (
        t["corps"].iloc[0]
        == "Relier les quartiers nord et sud :\npiste protégée ;\nstationnements vélos."
    )
    assert (
        t["corps"].iloc[1]
        == "Consacrer 5 % du budget d'investissement\naux projets des habitant·es."
    )
    # no French title/body on line 5: the English one is used
    assert (t["titre"].iloc[2], t["corps"].iloc[2]) == (
        "Citizens' assembly",
        "A citizens' assembly drawn by lot.",
    )
    assert t["soutiens"].tolist() == [12, 7, 0] and str(t["soutiens"].dtype) == "Int64"
    assert t["commentaires"].tolist() == [2, 0, 5]
    assert t["etat"].tolist() == ["accepted", "evaluating", ""]
    assert t["date"].iloc[0] == pd.Timestamp("2025-03-14 10:32:00")
    # line 6 (state « withdrawn », no text): left out as withdrawn, before the empty-text check
    f = only(r.findings, "retirée par la personne qui l'avait déposée")
    assert (f.level, f.row, f.column) == ("info", 6, "state")
    assert not [x for x in r.findings if "sans titre ni texte" in x.message]
    assert not {"Camille D.", "Sam L.", "Alex"} & cell_values(t)  # author/name never copied


def test_decidim_old_layout():
    r = load_contributions(FIX / "decidim_ancien.csv")
    t = r.table
    assert r.extra["format"] == "decidim_ancien"
    assert (r.rows_read, r.rows_used) == (3, 3)
    assert t["titre"].tolist() == [
        "Reconnaître le vote blanc",
        "Transports gratuits",
        "Isoler les écoles",
    ]
    assert t["corps"].iloc[0] == "Compter les votes blancs\ndans les suffrages exprimés."
    assert t["theme"].tolist() == ["Démocratie et citoyenneté", "", "Transition écologique"]
    assert t["soutiens"].tolist() == [5, 0, 11]  # « votes »
    assert t["commentaires"].tolist() == [2, 0, 1]
    assert t["territoire"].tolist() == ["", "", ""]
    assert t["date"].iloc[2] == pd.Timestamp("2019-01-26 18:12:44")


def test_non_integer_supports():
    r = load_contributions(FIX / "soutiens_non_entiers.csv")
    f = only(r.findings, "valeur non entière")
    assert (f.file, f.row, f.column, f.count) == ("soutiens_non_entiers.csv", 2, "supports", 2)
    assert "lignes 2 et 3" in f.message and "nombre entier était attendu" in f.message
    assert r.table["soutiens"].tolist() == [pd.NA, pd.NA, 4]
    assert r.rows_used == 3


# --------------------------------------------------------------------------- Pol.is


def test_polis_comments_and_votes():
    r = load_contributions(FIX / "polis" / "comments.csv", territoire="nantes")
    t = r.table
    assert r.extra["format"] == "polis"
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (5, 3, 2)
    f = only(r.findings, "modération")
    assert (f.level, f.row, f.column, f.count) == (
        "info",
        4,
        "moderated",
        2,
    ) and "lignes 4 et 7" in f.message
    assert t["proposition_id"].tolist() == ["0", "1", "3"]
    assert t["soutiens"].tolist() == [14, 9, 5]
    assert t["etat"].tolist() == ["acceptée", "non modérée", "acceptée"]
    assert t["corps"].iloc[2] == "Des réunions le soir\net le week-end."
    # issue 16 item 6: a Pol.is comment keeps its text as its title (never None, « – », <NA>)
    assert t["titre"].tolist() == t["corps"].tolist()
    assert t["titre"].iloc[0] == "Ouvrir les conseils municipaux au tirage au sort."
    assert t["date"].iloc[0] == pd.Timestamp("2025-03-14 10:32:00")  # 1741948320 s
    assert "5" not in cell_values(t[["proposition_id"]])  # author ids never become rows
    votes = r.extra["votes"]
    assert list(votes.columns) == ["proposition_id", "groupe", "accords", "desaccords", "passes"]
    rows = {
        (v.proposition_id, v.groupe): (v.accords, v.desaccords, v.passes)
        for v in votes.itertuples()
    }
    assert rows == {
        ("0", "0"): (2, 0, 0),
        ("0", "1"): (1, 1, 0),
        ("0", "sans groupe"): (0, 0, 1),  # participant 4 was put in no group
        ("1", "0"): (1, 0, 1),
        ("1", "1"): (0, 2, 0),
        ("3", "0"): (1, 1, 0),
        ("3", "1"): (1, 0, 0),
    }  # comments 2 and 4 (moderated out) are left out


def test_polis_invalid_votes():
    r = load_contributions(FIX / "polis_votes_invalides" / "comments.csv")
    bad = sorted((f.row, f.column) for f in r.findings if "vote illisible" in f.message)
    assert bad == [(2, "1"), (3, "0")]
    assert all(
        f.file == "participants-votes.csv" for f in r.findings if "vote illisible" in f.message
    )
    assert "attendu : 1, -1, 0 ou vide" in r.findings[0].message
    assert r.table["date"].iloc[0] == pd.Timestamp("2025-03-14 10:32:00")  # milliseconds
    assert r.extra["votes"]["accords"].tolist() == [1, 0]


# --------------------------------------------------------------------------- generic


def test_generic_sheet():
    r = load_contributions(FIX / "generique.csv")
    t = r.table
    assert r.extra["format"] == "generique"
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (4, 3, 1)
    assert t["proposition_id"].tolist() == ["L2", "L4", "L6"]
    assert t["corps"].iloc[0] == "Un lieu ouvert en continu\npour suivre le projet."
    assert t["soutiens"].tolist() == [8, pd.NA, 1200]  # « 1 200 »
    assert t["theme"].tolist() == ["Information", "Décision", "Redevabilité"]
    assert t["territoire"].tolist() == ["lille"] * 3
    f = only(r.findings, "sans titre ni texte")
    assert (f.row, f.column) == (5, "Proposition")


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("entete_seule.csv", "au moins une ligne de données était attendue"),
        ("generique_sans_texte.csv", "« Thème », « Atelier », « Soutiens »"),
    ],
)
def test_unusable_files(fixture, expected):
    with pytest.raises(SourceError) as err:
        load_contributions(FIX / fixture)
    msg = err.value.french()
    assert fixture in msg and "ligne 1" in msg and expected in msg


# --------------------------------------------------------------------------- real files


def test_real_mel_proposals_old_layout():
    r = load_contributions(
        real("decidim-mel-granddebat/propositions-libres.csv"), territoire="lille"
    )
    assert r.extra["format"] == "decidim_ancien"
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (196, 196, 0)
    assert not any("auteur" in c or "author" in c for c in r.table.columns)
    assert r.table["titre"].iloc[0] == "Collectivités territoriales"
    assert r.table["soutiens"].notna().all()


@pytest.mark.parametrize(
    ("name", "rows"),
    [("commentaires_propositions_libres.csv", 44), ("commentaires_debats.csv", 693)],
)
def test_real_mel_comments(name, rows):
    path = real(f"decidim-mel-granddebat/{name}")
    raw = read_table(path).frame
    assert len(raw) == rows
    r = load_contributions(path)
    assert r.extra["format"] == "decidim_commentaires"
    assert r.rows_read == rows and r.rows_used + r.rows_rejected == rows
    authors = {a for a in raw["author/name"] if len(a) > 2}
    assert authors and not authors & cell_values(r.table)
    assert len(r.extra["parents"]) == r.rows_used


def test_real_decidim_new_layout_fixture():
    r = load_contributions(real("decidim-export-format-fixture/import_proposals.csv"))
    t = r.table
    assert r.extra["format"] == "decidim"
    # the first row is an amendment (is_amend = true): left out by default (issue 15, case 9)
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (3, 2, 1)
    assert t["titre"].tolist() == ["Nihil id.", "Suspendisse lobortis"]
    assert t["atelier"].tolist() == ["Port Kasandra"] * 2
    assert t["soutiens"].tolist() == [1, 0]
    every = load_contributions(
        real("decidim-export-format-fixture/import_proposals.csv"), keep_withdrawn=True
    ).table
    assert every["titre"].tolist() == ["Esse qui. Ut.", "Nihil id.", "Suspendisse lobortis"]
    assert every["theme"].iloc[0] == "Aliquam rerum aut dignissimos."  # category/name/en before /ca
    assert every["soutiens"].tolist() == [0, 1, 0]
    assert every["etat"].iloc[0] == "evaluating"


# --------------------------------------------------------------------------- example data


@pytest.mark.parametrize("slug", ["lyon", "grenoble", "nantes", "lille"])
def test_example_proposals(slug):
    path = EXEMPLE / f"propositions_{slug}.csv"
    if not path.exists():
        pytest.skip(f"données d'exemple absentes ({path.name})")
    r = load_contributions(path, territoire=slug)
    assert r.extra["format"] == "decidim"
    assert r.rows_used > 0 and not r.errors
    assert (r.table["theme"] != "").any() and (r.table["atelier"] != "").any()


def test_decidim_withdrawn_proposals_and_amendments_left_out_by_default():
    """Case 9: 4 rows, 1 amendment (line 3) and 1 withdrawn (line 4) → 2 proposals."""
    path = FIX / "decidim_retirees_amendements.csv"
    r = load_contributions(path, territoire="lyon")
    assert r.extra["format"] == "decidim"
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (4, 2, 2)
    assert r.table["proposition_id"].tolist() == ["201", "204"]
    assert r.table["soutiens"].tolist() == [4, 2]
    amend = only(r.findings, "amendement")
    assert (amend.level, amend.row, amend.column) == ("info", 3, "is_amend")
    gone = only(r.findings, "retirée")
    assert (gone.row, gone.column) == (4, "withdrawn")
    kept = load_contributions(path, territoire="lyon", keep_withdrawn=True)
    assert kept.table["proposition_id"].tolist() == ["201", "202", "203", "204"]


def test_contributions_short_row_rejected_with_its_line(tmp_path):
    path = tmp_path / "props.csv"
    path.write_text("Titre;Proposition;Soutiens\nA;Texte A;3\nB;5\nC;Texte C;1\n", encoding="utf-8")
    r = load_contributions(path)
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (3, 2, 1)
    assert r.table["titre"].tolist() == ["A", "C"]
    f = only(r.findings, "moins de champs")
    assert (f.level, f.row) == ("avertissement", 3)


def test_contribution_registry_formats():
    from rencontres_lib.loaders.contributions import FORMATS

    assert set(FORMATS) == {
        "polis",
        "decidim_debats",
        "decidim_commentaires",
        "decidim",
        "decidim_ancien",
        "generique",
    }


REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"


@pytest.mark.skipif(not (REAL / "decidim-mel-granddebat").is_dir(), reason="exports réels absents")
def test_real_decidim_grand_debat_proposals():
    r = load_contributions(REAL / "decidim-mel-granddebat" / "propositions-libres.csv")
    assert r.extra["format"] == "decidim_ancien"
    assert r.rows_read == 196  # SOURCE.md: 196 data rows
    assert r.rows_read == r.rows_used + r.rows_rejected
    assert not r.errors
    assert (r.table["titre"] != "").all()


@pytest.mark.skipif(not (REAL / "decidim-mel-granddebat").is_dir(), reason="exports réels absents")
def test_real_decidim_comments():
    r = load_contributions(REAL / "decidim-mel-granddebat" / "commentaires_debats.csv")
    assert r.extra["format"] == "decidim_commentaires"
    assert r.rows_read == 693 and not r.errors
    assert set(r.extra["parents"]["parent_type"]) == {"Debate", "Comment"}  # replies too


@pytest.mark.skipif(not (REAL / "decidim-mel-granddebat").is_dir(), reason="exports réels absents")
def test_real_decidim_debates():
    r = load_contributions(REAL / "decidim-mel-granddebat" / "debats.csv")
    assert r.extra["format"] == "decidim_debats"
    assert (r.rows_read, r.rows_used) == (29, 29)  # SOURCE.md: 29 debates
    first = r.table.iloc[1]
    assert first["titre"] == "Faut-il reconnaître le vote blanc ?"
    assert first["corps"] == "Démocratie et citoyenneté"  # description/fr, HTML stripped
    assert first["commentaires"] == 75
    assert first["date"] == pd.Timestamp("2019-01-16 10:59:37")  # « +0100 » dropped
