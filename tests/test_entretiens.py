"""Interview excerpts loader (Taguette, QualCoder, generic) with hand-computed values."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from rencontres_lib.errors import SourceError
from rencontres_lib.loaders.entretiens import COLUMNS, dimension_of, load_entretiens

FIX = Path(__file__).resolve().parent / "fixtures" / "entretiens"
EXEMPLE = Path(__file__).resolve().parents[1] / "data" / "exemple"


def only(findings, fragment: str):
    hits = [f for f in findings if fragment in f.message]
    assert len(hits) == 1, [f.french() for f in findings]
    return hits[0]


@pytest.fixture(scope="module")
def taguette():
    return load_entretiens(FIX / "taguette_highlights.csv", FIX / "attributs.csv")


def test_taguette_counts_and_columns(taguette):
    r = taguette
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (8, 8, 0)
    assert r.kind == "entretiens" and r.extra["format"] == "taguette"
    assert list(r.table.columns) == COLUMNS
    assert not r.findings  # every document has attributes and every attribute a document


def test_taguette_values(taguette):
    t = taguette.table
    # one row per highlight × tag: highlight 1 carries two tags
    assert t["extrait_id"].tolist() == ["1", "1", "2", "3", "4", "5", "6", "7"]
    assert t["theme"].tolist()[:2] == ["Organisation", "Décision"]
    assert t["dimension"].tolist() == [
        "organisation", "decision", "inclusion", "transparence", "redevabilite", "", "", "redevabilite",
    ]  # fmt: skip
    assert t["territoire"].tolist() == ["lyon"] * 3 + ["grenoble"] * 2 + ["nantes"] * 2 + ["lille"]
    assert t["profil"].tolist() == (
        ["agent_territorial"] * 3 + ["elu"] * 2 + ["citoyen"] * 2 + ["consultant"]
    )
    # quoted multi-line cell, CRLF file: line break kept as "\n"
    assert t["texte"].iloc[2] == (
        "Les habitant·es des quartiers prioritaires étaient peu nombreux ;\non est allés les chercher au marché."
    )
    assert t["theme"].iloc[6] == ""  # untagged highlight kept with an empty theme


def test_attributes_table_dates(taguette):
    attrs = taguette.extra["attributs"]
    assert attrs["document"].tolist()[0] == "entretien_01_lyon"
    assert attrs["date"].tolist() == [
        pd.Timestamp("2025-01-20"),
        pd.Timestamp("2025-01-21"),
        pd.Timestamp("2025-01-22"),  # « 22 janvier 2025 »
        pd.Timestamp("2025-01-23"),
    ]
    assert attrs["profil"].tolist() == ["agent_territorial", "elu", "citoyen", "consultant"]


def test_qualcoder_export():
    r = load_entretiens(FIX / "qualcoder_coded.csv")
    assert r.extra["format"] == "qualcoder"
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (3, 2, 1)
    t = r.table
    assert t["extrait_id"].tolist() == ["ctid:12", "ctid:15"]
    assert t["document"].tolist() == ["entretien_05.txt", "entretien_06.txt"]
    assert t["dimension"].tolist() == ["decision", "inclusion"]
    assert t["territoire"].tolist() == ["nantes", "lille"]  # FileVar_territoire
    assert t["profil"].tolist() == ["agent_territorial", "chercheur"]
    assert t["texte"].iloc[1] == "Il manquait les jeunes.\nEt les personnes âgées."
    f = only(r.findings, "image")
    assert (f.level, f.row, f.column) == ("info", 3, "Coded")


def test_generic_sheet():
    r = load_entretiens(FIX / "generique.csv")
    t = r.table
    assert r.extra["format"] == "generique"
    assert t["extrait_id"].tolist() == ["L2", "L3", "L4"]
    assert t["dimension"].tolist() == ["organisation", "transparence", ""]
    assert t["profil"].tolist() == ["elu", "association", "non_renseigne"]
    assert t["texte"].iloc[0] == "« On s'est réparti les tables. »"


@pytest.mark.parametrize(
    ("theme", "dimension"),
    [
        ("Organisation", "organisation"),
        ("DÉCISION", "decision"),
        ("Décision : co-construction", "decision"),
        ("dimensions.inclusion", "inclusion"),
        ("Sincérité", "transparence"),
        ("Reddition des comptes", "redevabilite"),
        ("redevabilité / organisation", "redevabilite"),
        ("Ambiance", ""),
        ("Réorganisation", ""),
    ],
)
def test_dimension_of(theme, dimension):
    assert dimension_of(theme) == dimension


# --------------------------------------------------------------------------- broken files


def test_unknown_document_in_attributes():
    r = load_entretiens(FIX / "taguette_highlights.csv", FIX / "attributs_document_inconnu.csv")
    f = only(r.findings, "document inconnu")
    assert (f.file, f.row, f.column) == ("attributs_document_inconnu.csv", 4, "document")
    assert "« entretien_99_brest »" in f.message and "identique" in f.message
    missing = only(r.findings, "absent du tableau d'attributs")
    assert (missing.file, missing.row, missing.column, missing.count) == (
        "taguette_highlights.csv",
        8,
        "document",
        3,
    )
    assert "lignes 8, 9 et 10" in missing.message
    assert (
        r.table["territoire"].tolist()[-1] == ""
        and r.table["profil"].tolist()[-1] == "non_renseigne"
    )


def test_empty_excerpts_are_rejected():
    r = load_entretiens(FIX / "taguette_extraits_vides.csv", FIX / "attributs.csv")
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (4, 2, 2)
    f = only(r.findings, "extrait vide")
    assert (f.file, f.row, f.column, f.count) == ("taguette_extraits_vides.csv", 3, "content", 2)
    assert "lignes 3 et 4" in f.message and "un texte était attendu" in f.message
    assert r.table["extrait_id"].tolist() == ["1", "4"]


def test_missing_text_column():
    with pytest.raises(SourceError) as err:
        load_entretiens(FIX / "generique_sans_texte.csv")
    msg = err.value.french()
    assert "generique_sans_texte.csv" in msg and "ligne 1" in msg
    assert (
        "colonne d'extrait introuvable" in msg and "« Entretien », « Thème », « Territoire »" in msg
    )


def test_unknown_format_argument():
    with pytest.raises(SourceError, match="format « nvivo » inconnu"):
        load_entretiens(FIX / "generique.csv", fmt="nvivo")


# --------------------------------------------------------------------------- example data


def test_example_interviews():
    path, attrs = EXEMPLE / "entretiens.csv", EXEMPLE / "entretiens_attributs.csv"
    if not (path.exists() and attrs.exists()):
        pytest.skip("données d'exemple absentes (entretiens.csv)")
    r = load_entretiens(path, attrs)
    assert r.extra["format"] == "taguette"
    assert r.rows_used > 0 and not r.errors
    assert (r.table["territoire"] != "").all()
    assert (r.table["dimension"] != "").any()


def test_qualcoder_repeated_header_and_short_row_never_shifted():
    """Case 5: « Category » twice, then a row with one field fewer (line 4)."""
    r = load_entretiens(FIX / "qualcoder_ligne_courte.csv")
    assert r.extra["format"] == "qualcoder"
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (3, 2, 1)
    assert r.table["territoire"].tolist() == ["Lyon", "Lyon"]
    assert r.table["profil"].tolist() == ["elu", "agent_territorial"]  # « DGS »
    short = [f for f in r.findings if "moins de champs" in f.message]
    assert len(short) == 1 and (short[0].level, short[0].row) == ("avertissement", 4)
    assert short[0].file == "qualcoder_ligne_courte.csv"
    dup = [f for f in r.findings if "en double" in f.message]
    assert dup and dup[0].file == "qualcoder_ligne_courte.csv"  # never a path
