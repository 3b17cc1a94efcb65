"""Questionnaire loader: one tiny fixture per export format and per kind of broken file.

Every expected number below was counted by hand in the fixture (see the comments).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from rencontres_lib.codebook import load_codebook
from rencontres_lib.errors import SourceError
from rencontres_lib.loaders.questionnaire import load_questionnaire
from rencontres_lib.loaders.questionnaire_formats import detect_format, first_occurrences
from rencontres_lib.metrics import scored

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "questionnaires"
MINI = FIX / "codebook_mini.yaml"
PROJECT_CODEBOOK = ROOT / "parameters" / "codebook.yaml"


def table(result) -> pd.DataFrame:
    """The long table with type, dimension and favourable flag, as the reports use it."""
    return scored(result.table, result.extra["questions"])


def fav(result, qid: str) -> tuple[int, int]:
    """(favourable answers, in-scale answers) for a Likert question."""
    t = table(result)
    t = t[(t["question_id"] == qid) & t["favorable"].notna()]
    return int(t["favorable"].sum()), len(t)


def options(result, qid: str) -> dict[str, int]:
    t = result.table
    return t.loc[t["question_id"] == qid, "valeur"].astype(object).value_counts().to_dict()


def one(result, level: str, needle: str):
    hits = [f for f in result.findings if f.level == level and needle in f.message]
    assert len(hits) == 1, [f.french() for f in result.findings]
    return hits[0]


# --------------------------------------------------------------------------- formats


def test_limesurvey_icpc_export() -> None:
    r = load_questionnaire(FIX / "limesurvey.csv", PROJECT_CODEBOOK)
    # 7 records: line 4 incomplete (no submitdate), line 8 blank, line 9 repeats id 2
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (7, 4, 3)
    assert r.extra["format"] == "limesurvey"
    resp = r.extra["respondents"]
    assert list(resp.columns) == ["respondent_id", "profil", "territoire", "complet", "date"]
    assert resp["respondent_id"].tolist() == ["1", "2", "4", "5"]
    assert resp["profil"].tolist() == ["elu", "agent_territorial", "citoyen", "autre"]
    assert resp["territoire"].tolist() == ["Lyon", "Lyon", "Grenoble", "Nantes"]
    assert resp["date"].iloc[0] == pd.Timestamp("2025-03-10 09:12:00")
    # the loader's table holds one small integer per cell; type, dimension, favorable are derived
    assert list(r.table.columns) == ["respondent_id", "question_id", "valeur", "rang"]
    assert [str(t) for t in r.table.dtypes] == ["category"] * 4
    assert list(r.table["rang"].cat.categories) == [1, 2, 3, 4, 5] and r.table["rang"].cat.ordered
    assert list(r.table["respondent_id"].cat.categories) == ["1", "2", "4", "5"]
    t = table(r)
    assert list(t.columns) == [
        "respondent_id",
        "question_id",
        "type",
        "dimension",
        "valeur",
        "rang",
        "favorable",
    ]
    assert str(t["favorable"].dtype) == "boolean"
    assert t.loc[t["question_id"] == "org_1", "dimension"].unique().tolist() == ["organisation"]
    assert fav(r, "org_1") == (3, 4)  # TA, PA, PP, TA
    assert fav(r, "inc_2") == (2, 4)  # reversed: TA→1, PD→5, PP→4, TA→1
    assert fav(r, "tra_2") == (3, 3)  # « Bof » (line 5) left out
    row = t[(t["question_id"] == "red_1") & (t["respondent_id"] == "1")].iloc[0]
    assert row["valeur"] == "Sans avis" and pd.isna(row["rang"]) and pd.isna(row["favorable"])
    inc = t[(t["question_id"] == "inc_2")].set_index("respondent_id")["rang"]
    assert inc.to_dict() == {"1": 1, "2": 5, "4": 4, "5": 1}
    assert options(r, "outils") == {"Réunion publique": 2, "Atelier ou groupe de travail": 2,
                                    "Budget participatif": 1, "Plateforme en ligne": 1, "Convention ou jury citoyen": 1}  # fmt: skip
    texts = t[t["type"] == "texte"]
    assert texts.groupby("question_id", observed=True).size().to_dict() == {
        "avancees": 3,
        "freins": 2,
        "pistes": 1,
    }
    assert texts.loc[texts["respondent_id"] == "5", "valeur"].iloc[0] == "Texte\nsur deux lignes"
    assert one(r, "info", "entièrement vide").row == 8
    assert one(r, "info", "incomplète").row == 4
    dup = one(r, "avertissement", "identifiant déjà vu")
    assert (dup.row, dup.column) == (9, "id")
    unknown = one(r, "avertissement", "non reconnu (attendu : un profil ICPC")
    assert (unknown.row, unknown.column) == (
        6,
        "PROFIL",
    ) and "« Journaliste » (1)" in unknown.message
    email = one(r, "info", "adresse e-mail")
    assert (email.row, email.column) == (3, "AVANCEES")
    phone = one(r, "info", "numéro de téléphone")
    assert (phone.row, phone.column) == (3, "FREINS")
    q = r.extra["questions"]
    assert q.set_index("question_id").loc["dec_2", "texte"].startswith("Les élus s'engagent")


def test_limesurvey_code_and_text_headings(tmp_path: Path) -> None:
    text = (FIX / "mini_ids_doubles.csv").read_text(encoding="utf-8")
    head, rest = text.split("\n", 1)
    head = head.replace("ORG[SQ001]", "ORG[SQ001]. L'organisation des services a évolué")
    head = head.replace("INC[SQ002]", "inc[sq002] Ce sont toujours les mêmes")
    (tmp_path / "codes_textes.csv").write_text(head + "\n" + rest, encoding="utf-8")
    r = load_questionnaire(tmp_path / "codes_textes.csv", MINI)
    assert not r.errors
    assert r.extra["colonnes"]["ORG[SQ001]"] == "ORG[SQ001]. L'organisation des services a évolué"
    assert (fav(r, "org_1"), fav(r, "inc_2")) == ((2, 3), (1, 2))


def test_google_forms_csv_and_xlsx(tmp_path: Path) -> None:
    cb = FIX / "codebook_google_forms.yaml"
    r = load_questionnaire(FIX / "google_forms.csv", cb)
    assert r.extra["format"] == "google_forms"
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (5, 5, 0)
    resp = r.extra["respondents"]
    assert resp["profil"].tolist() == [
        "elu",
        "association",
        "chercheur",
        "citoyen",
        "agent_territorial",
    ]
    assert resp["date"].tolist()[0] == pd.Timestamp("2025-03-10 09:12:03")  # day first
    assert resp["date"].tolist()[4] == pd.Timestamp("2025-03-12 08:00:00")
    assert fav(r, "org_1") == (2, 4)  # TA, PP, (Sans avis), PA, PD
    assert fav(r, "inc_2") == (2, 4)  # reversed: PA→2, PD→5, TA→1, (blank), PP→4
    # « Conseil citoyen, de quartier » contains the separator but is one option
    assert options(r, "outils") == {"Réunion publique": 2, "Atelier": 2, "Conseil citoyen, de quartier": 1,
                                    "Budget participatif": 1}  # fmt: skip
    assert r.private is not None and r.private["email"].tolist()[0] == "a.martin@example.org"
    assert "a.martin" not in " ".join(r.table["valeur"].astype(str))

    src = pd.read_csv(FIX / "google_forms.csv", dtype=str, keep_default_na=False)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Réponses au formulaire 1"
    ws.append(list(src.columns))
    for values in src.itertuples(index=False):
        stamp = pd.to_datetime(values[0], dayfirst=True).to_pydatetime()
        ws.append([stamp, *[v or None for v in values[1:]]])
    wb.save(tmp_path / "gf.xlsx")
    x = load_questionnaire(tmp_path / "gf.xlsx", cb)
    assert (x.rows_used, fav(x, "org_1"), fav(x, "inc_2")) == (5, (2, 4), (2, 4))
    assert x.extra["respondents"]["date"].tolist() == resp["date"].tolist()


def test_framaforms_with_draft_and_group_header_row() -> None:
    cb = FIX / "codebook_framaforms.yaml"
    r = load_questionnaire(FIX / "framaforms.csv", cb)
    assert r.extra["format"] == "framaforms"
    # submission 2 is a draft (Brouillon = 1) → excluded
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (4, 3, 1)
    assert r.extra["respondents"]["profil"].tolist() == ["elu", "consultant", "agent_etat"]
    assert r.extra["respondents"]["date"].tolist()[1] == pd.Timestamp("2025-03-11 10:00")
    assert fav(r, "org_1") == (1, 3)  # PA, PD, NN
    assert options(r, "outils") == {"Réunion publique": 2, "Atelier": 1}
    assert one(r, "info", "brouillon").row == 3
    assert one(r, "info", "numéro de téléphone").row == 4
    g = load_questionnaire(FIX / "framaforms_entetes.csv", cb)
    assert (g.rows_read, g.rows_used, g.rows_rejected, fav(g, "org_1")) == (4, 3, 1, (1, 3))
    assert one(g, "info", "en-têtes des questions trouvés ligne 2").row == 2
    assert one(g, "info", "brouillon").row == 4  # one line lower than in framaforms.csv


def test_kobo() -> None:
    r = load_questionnaire(FIX / "kobo.csv", FIX / "codebook_kobo.yaml")
    assert r.extra["format"] == "kobo"
    # line 4 not submitted (_submission_time empty), line 5 repeats _id 101
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (5, 3, 2)
    resp = r.extra["respondents"]
    # KoboToolbox's numeric _id: the ids stay numbers (no text per respondent)
    assert resp["respondent_id"].tolist() == [101, 102, 104]
    assert str(resp["respondent_id"].dtype) == "int64"
    assert str(r.table["respondent_id"].cat.categories.dtype) == "int64"
    assert resp["profil"].tolist() == ["elu", "agent_territorial", "association"]
    assert resp["territoire"].tolist() == ["Nantes"] * 3
    assert resp["date"].tolist()[0] == pd.Timestamp("2025-03-10 09:05:12")
    assert fav(r, "org_1") == (2, 2)  # tout_a_fait, plutot, (sans_avis)
    assert fav(r, "inc_2") == (2, 3)  # reversed: plutot_pas→4, tout_a_fait→1, pas_du_tout→5
    expected = {"Réunion publique": 2, "Atelier": 2}
    assert options(r, "outils") == expected  # one space-separated column
    assert options(r, "outils_col") == expected  # one 0/1 column per option
    assert one(r, "info", "incomplète").row == 4
    assert one(r, "avertissement", "identifiant déjà vu").row == 5
    assert one(r, "info", "adresse e-mail").row == 6


def test_decidim() -> None:
    r = load_questionnaire(FIX / "decidim.csv", FIX / "codebook_decidim.yaml")
    assert r.extra["format"] == "decidim"
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (3, 3, 0)
    resp = r.extra["respondents"]
    assert resp["respondent_id"].tolist() == ["a1b2c3", "d4e5f6", "a7b8c9"]
    assert resp["profil"].tolist() == ["elu", "citoyen", "non_renseigne"]
    assert resp["date"].tolist()[2] == pd.Timestamp("2025-03-11 11:00:00")  # « UTC » dropped
    assert fav(r, "org_1") == (2, 3)
    assert options(r, "outils") == {"Atelier": 2, "Réunion publique": 1}


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["id", "submitdate", "lastpage", "ORG[SQ001]"], "limesurvey"),
        (["Horodateur", "Vous êtes…"], "google_forms"),
        (["Timestamp", "Email Address", "Q1"], "google_forms"),
        (["start", "groupe/q1", "_id", "_uuid", "_submission_time"], "kobo"),
        (["ID de réponse", "Répondu le", "1. Question"], "decidim"),
        (["Numéro de soumission", "Date de soumission", "Vous êtes"], "framaforms"),
        (["code", "note"], "generique"),
    ],
)
def test_detect_format(columns: list[str], expected: str) -> None:
    assert detect_format(columns) == expected


def test_codebook_given_as_object_path_or_text() -> None:
    book = load_codebook(MINI)
    text = MINI.read_text(encoding="utf-8")
    for cb in (book, MINI, str(MINI), text):
        assert load_questionnaire(FIX / "mini_ids_doubles.csv", cb).rows_used == 3
    with pytest.raises(SourceError, match="format « spss » inconnu"):
        load_questionnaire(FIX / "mini_ids_doubles.csv", book, fmt="spss")


def test_generic_export_with_identifier_and_english_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "generique.csv"
    path.write_text(
        "Timestamp,code,Q1,Remarques\n"
        "3/15/2025 10:00:00,A7,Oui,\n"
        "3/16/2025 11:30:00,B2,Plutôt oui,rien\n"
        "3/16/2025 12:00:00,A7,Non,doublon\n",
        encoding="utf-8",
    )
    text = (
        "identifiant: code\n"
        "echelles: {on: {libelles: [Non, Plutôt non, Plutôt oui, Oui]}}\n"
        "questions:\n"
        "  - {colonne: Q1, id: q1, type: likert, echelle: on}\n"
        "  - {colonne: Remarques, id: remarques, type: texte}\n"
        "  - {colonne: code, id: code, type: ignore}\n"
    )
    r = load_questionnaire(path, text)
    assert r.extra["format"] == "google_forms"  # first column « Timestamp »
    resp = r.extra["respondents"]
    assert resp["respondent_id"].tolist() == ["A7", "B2"]  # ids with letters stay text
    assert resp["date"].tolist() == [
        pd.Timestamp("2025-03-15 10:00"),
        pd.Timestamp("2025-03-16 11:30"),
    ]
    assert fav(r, "q1") == (2, 2)
    assert one(r, "avertissement", "identifiant déjà vu").row == 4


def test_numeric_ids_with_a_blank_become_text(tmp_path: Path) -> None:
    """Whole-number ids stay numbers; one blank id makes them all text, the blank one named
    after its line (a number could collide with a real id)."""
    text = (
        "identifiant: id\n"
        "echelles: {on: {libelles: [Non, Oui]}}\n"
        "questions:\n"
        "  - {colonne: Q1, id: q1, type: likert, echelle: on}\n"
    )
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("id,Q1\n7,Oui\n007,Non\n12,Oui\n", encoding="utf-8")
    r = load_questionnaire(numbers, text)
    # « 007 » is the number 7: a repeated id, the first answer kept
    assert r.extra["respondents"]["respondent_id"].tolist() == [7, 12]
    assert one(r, "avertissement", "identifiant déjà vu").row == 3
    blank = tmp_path / "blank.csv"
    blank.write_text("id,Q1\n7,Oui\n,Non\n12,Oui\n", encoding="utf-8")
    r = load_questionnaire(blank, text)
    assert r.extra["respondents"]["respondent_id"].tolist() == ["7", "ligne-3", "12"]
    assert r.table["respondent_id"].astype(object).tolist() == ["7", "ligne-3", "12"]
    assert fav(r, "q1") == (2, 3)


# --------------------------------------------------------------------------- broken files


def test_label_not_in_scale() -> None:
    r = load_questionnaire(FIX / "mini_libelle_hors_echelle.csv", MINI)
    assert (r.rows_used, r.rows_rejected) == (5, 0)
    w = one(r, "avertissement", "« org_1 »")
    assert (w.row, w.column, w.count) == (2, "ORG[SQ001]", 3)
    for part in ("hors de l'échelle « accord4 »", "« Bof » (2)", "« D'accord » (1)", "lignes 2, 4, 5",
                 "attendu : « Pas du tout d'accord »", "non renseignées"):  # fmt: skip
        assert part in w.message
    assert "mini_libelle_hors_echelle.csv" in w.french() and "ligne 2" in w.french()
    assert one(r, "avertissement", "« inc_2 »").row == 6  # « Très d'accord »
    # accepted after normalisation: « tout à fait d’accord », «   Plutôt  pas d'accord  »
    assert fav(r, "org_1") == (2, 2)
    assert fav(r, "inc_2") == (1, 3)  # reversed 4 levels: PA→2, PP→3, (Sans avis), TA→1


def test_numeric_code_outside_codes() -> None:
    r = load_questionnaire(FIX / "mini_code_hors_codes.csv", MINI)
    w = one(r, "avertissement", "« org_1 »")
    assert (
        (w.row, w.count) == (3, 1)
        and "« 7 » (1)" in w.message
        and "codes prévus : 1, 2, 3, 4, 9" in w.message
    )
    assert one(r, "avertissement", "« inc_2 »").row == 5  # « 0 »
    assert fav(r, "org_1") == (2, 2)  # 4, (7), 9 = Sans avis, 3
    assert fav(r, "inc_2") == (2, 3)  # reversed: 1→4, 2→3, 4→1, (0)
    assert options(r, "outils") == {"Réunion publique": 2, "Atelier": 2}  # LimeSurvey « Y »


def test_missing_codebook_column() -> None:
    r = load_questionnaire(FIX / "mini_colonne_manquante.csv", MINI)
    e = one(r, "erreur", "INC[SQ002]")
    assert (e.row, e.column) == (1, "INC[SQ002]")
    assert (
        "colonnes proches : « INC[SQ02] »" in e.message
        and "séparateur détecté : virgule" in e.message
    )
    assert "attendu : un en-tête identique" in e.message
    assert "« INC[SQ02] »" in one(r, "info", "absente du codebook").message
    assert fav(r, "org_1") == (2, 2) and fav(r, "inc_2") == (0, 0)


def test_wrong_separator() -> None:
    r = load_questionnaire(FIX / "mini_mauvais_separateur.csv", MINI)
    e = one(r, "erreur", "aucune des 7 colonnes")
    assert e.row == 1 and "une seule colonne" in e.message and "attendu : « PROFIL »" in e.message
    assert "mini_mauvais_separateur.csv" in e.french()
    assert len(r.table) == 0 and r.rows_read == 2


def test_duplicated_ids() -> None:
    r = load_questionnaire(FIX / "mini_ids_doubles.csv", MINI)
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (5, 3, 2)
    w = one(r, "avertissement", "identifiant déjà vu")
    assert (w.row, w.column, w.count) == (4, "id", 2) and "lignes 4, 6" in w.message
    assert r.extra["respondents"]["date"].tolist()[1] == pd.Timestamp(
        "2025-03-10 09:10:00"
    )  # first kept
    assert fav(r, "org_1") == (2, 3)


def test_blank_rows() -> None:
    r = load_questionnaire(FIX / "mini_lignes_vides.csv", MINI)
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (5, 3, 2)
    i = one(r, "info", "entièrement vide")
    assert (i.row, i.count) == (3, 2) and "lignes 3, 5" in i.message


def test_incomplete_responses_excluded_or_kept() -> None:
    r = load_questionnaire(FIX / "mini_incompletes.csv", MINI)
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (5, 3, 2)
    i = one(r, "info", "incomplète")
    assert (i.row, i.column) == (3, "submitdate") and "lignes 3, 5" in i.message
    book = load_codebook(MINI).model_copy(update={"incompletes": "garder"})
    k = load_questionnaire(FIX / "mini_incompletes.csv", book)
    assert (k.rows_used, k.rows_rejected) == (5, 0)
    assert k.extra["respondents"]["complet"].tolist() == [True, False, True, False, True]
    assert fav(k, "org_1") == (2, 4)  # PA, TA, PP, (blank), PD


def test_duplicated_headers() -> None:
    r = load_questionnaire(FIX / "mini_entetes_doubles.csv", MINI)
    w = one(r, "avertissement", "en double")
    assert (w.row, w.column) == (1, "ORG[SQ001]") and "ORG[SQ001] (2)" in w.message
    assert fav(r, "org_1") == (2, 2)  # the first ORG[SQ001] column is used


def test_header_only() -> None:
    r = load_questionnaire(FIX / "mini_entete_seule.csv", MINI)
    e = one(r, "erreur", "aucune réponse")
    assert e.row == 1 and "au moins une ligne de réponse était attendue" in e.message
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (0, 0, 0)
    assert len(r.table) == 0 and len(r.extra["respondents"]) == 0


def test_cp1252_export() -> None:
    r = load_questionnaire(FIX / "mini_cp1252.csv", MINI)
    assert "cp1252" in one(r, "info", "encodage").message
    assert r.extra["respondents"]["profil"].tolist() == ["elu", "agent_territorial", "agent_etat"]
    assert fav(r, "inc_2") == (1, 2)  # « Plutôt d’accord » (typographic ’) → rang 2 ; PD → 4
    assert "Élus présents" in r.table["valeur"].tolist()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("vide.csv", "le fichier est vide (0 octet)"),
        ("encodage_inconnu.csv", "encodage du texte non reconnu"),
    ],
)
def test_unreadable_files(name: str, expected: str) -> None:
    with pytest.raises(SourceError) as err:
        load_questionnaire(FIX / name, MINI)
    assert expected in str(err.value) and name in str(err.value)


# --------------------------------------------------------------------------- example data


def test_example_data_if_present() -> None:
    path = ROOT / "data" / "exemple" / "questionnaire.csv"
    if not path.exists():
        pytest.skip("données d'exemple pas encore générées")
    r = load_questionnaire(path, PROJECT_CODEBOOK)
    assert not r.errors
    assert r.rows_read == r.rows_used + r.rows_rejected
    resp = r.extra["respondents"]
    assert set(resp["profil"]) <= {
        "agent_territorial",
        "elu",
        "association",
        "consultant",
        "agent_etat",
        "chercheur",
        "citoyen",
    }
    t = table(r)
    assert set(t.loc[t["type"] == "likert", "question_id"]) == {
        "org_1", "org_2", "dec_1", "dec_2", "dec_3", "inc_1", "inc_2", "tra_1", "tra_2", "red_1", "red_2"
    }  # fmt: skip
    assert not any(
        f.level == "avertissement" and "hors de l'échelle" in f.message for f in r.findings
    )


def test_first_occurrences_of_numbers_and_texts() -> None:
    import numpy as np

    assert first_occurrences(np.array([1, 2, 5])).tolist() == [True, True, True]  # increasing
    assert first_occurrences(np.array([3, 1, 3, 2])).tolist() == [True, True, False, True]
    assert first_occurrences(np.array([4, 4])).tolist() == [True, False]
    texts = np.array(["a", "b", "a"], dtype=object)
    assert first_occurrences(texts).tolist() == [True, True, False]


def test_dates_and_completeness_plain_or_coded_agree() -> None:
    """A date column read plain (mostly distinct texts) is parsed and checked cell by cell; the
    same column coded (few distinct texts) is parsed once per text: the results are the same."""
    import numpy as np

    from rencontres_lib.columns import ColumnStore, is_blank
    from rencontres_lib.loaders.questionnaire_formats import map_uniques, parse_dates

    cells = ["2025-03-14 10:00:00", "", "14/03/2025 10:00", "pas une date", "2025-03-14 10:00:00"]
    frame = pd.DataFrame({"date": pd.array(cells, dtype=object)})
    plain, coded = ColumnStore.from_frame(frame), ColumnStore.from_frame(frame)
    coded.factor("date")
    assert plain.is_plain("date") and not coded.is_plain("date")
    rows = np.array([0, 2, 3])
    for store in (plain, coded):
        dates, bad = parse_dates(store, "date")
        assert dates.tolist()[0] == dates.tolist()[2] == dates.tolist()[4]
        assert dates.tolist()[0] == pd.Timestamp("2025-03-14 10:00")
        assert pd.isna(dates.tolist()[1]) and pd.isna(dates.tolist()[3])
        assert bad.tolist() == [3]  # the empty cell is not unreadable, only missing
        dates, bad = parse_dates(store, "date", rows)
        assert len(dates) == 3 and bad.tolist() == [2]
        blank = map_uniques(store, "date", is_blank)
        assert blank.tolist() == [False, True, False, False, False]
        assert map_uniques(store, "date", is_blank, rows).tolist() == [False, False, False]


def test_one_profile_classifier_for_every_source(tmp_path: Path) -> None:
    """Case 8: « DGS », « Maire adjoint », « agent de la métropole » are classified as in the
    registrations (same rules), and ``rules`` (sources.profils) applies here too."""
    from rencontres_lib.loaders.inscriptions import load_inscriptions

    book = (
        "version: 1\nquestions:\n  - {colonne: PROFIL, id: profil, type: profil}\n"
        "  - {colonne: Q1, id: q1, type: texte}\n"
    )
    path = tmp_path / "q.csv"
    path.write_text(
        "PROFIL;Q1\nDGS;a\nMaire adjoint;b\nagent de la métropole;c\nJournaliste;d\n",
        encoding="utf-8",
    )
    r = load_questionnaire(path, book)
    assert r.extra["respondents"]["profil"].tolist() == [
        "agent_territorial",
        "elu",
        "agent_territorial",
        "autre",
    ]
    regs = tmp_path / "inscrits.csv"
    regs.write_text(
        "Nom;Email;Profil\nA;a@x.fr;DGS\nB;b@x.fr;Maire adjoint\nC;c@x.fr;agent de la métropole\n"
        "D;d@x.fr;Journaliste\n",
        encoding="utf-8",
    )
    same = load_inscriptions(regs, salt="s").table["profil"].tolist()
    assert same == r.extra["respondents"]["profil"].tolist()
    rules = tmp_path / "profils.yaml"
    rules.write_text("regles:\n  - {profil: citoyen, mots: [journaliste]}\n", encoding="utf-8")
    with_rules = load_questionnaire(path, book, rules=rules)
    assert with_rules.extra["respondents"]["profil"].tolist()[-1] == "citoyen"
    assert not [f for f in with_rules.findings if "non reconnu" in f.message]


def test_unclosed_quote_row_is_rejected_not_shifted() -> None:
    """Case 6: line 3 « "Lyon,"Plutôt d'accord" » would shift every answer by one column."""
    r = load_questionnaire(FIX / "mini_guillemet_ouvert.csv", FIX / "codebook_mini.yaml")
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (3, 2, 1)
    resp = r.extra["respondents"]
    assert resp["respondent_id"].tolist() == [1, 3]
    assert resp["territoire"].tolist() == ["Lyon", "Lyon"]
    bad = one(r, "avertissement", "champs 8 au lieu de 9")
    assert (bad.row, bad.file) == (3, "mini_guillemet_ouvert.csv")
    # the escaped quotes of line 4 are a well-formed cell, kept whole
    texts = r.table[r.table["question_id"] == "avancees"]
    assert 'Un "vrai" débat, enfin' in texts["valeur"].astype(str).tolist()
    assert not [f for f in r.findings if "hors de l'échelle" in f.message]


HEAD_MINI = (
    "id,submitdate,PROFIL,TERRITOIRE,ORG[SQ001],INC[SQ002],OUTILS[SQ001],OUTILS[SQ002],AVANCEES\n"
)


@pytest.mark.parametrize(
    ("line3", "swallowed"),
    [
        # line 2 opens a quote that never closes: pandas alone stopped at the end of the file
        (
            "2,2025-03-10 09:10:00,Élu·e,Lyon,3,4,Oui,Oui,Des budgets\n",
            "les lignes 3 à 5 étaient lues",
        ),
        # line 3's quote « closes » it before text: pandas alone read 3 rows, line 3 in a cell
        ('2,2025-03-10 09:10:00,Élu·e,Lyon,3,4,Oui,Oui,"Des budgets"\n', "la ligne 3 était lue"),
    ],
)
def test_quote_never_closed_no_longer_swallows_rows(
    tmp_path: Path, line3: str, swallowed: str
) -> None:
    path = tmp_path / "guillemet.csv"
    path.write_text(
        HEAD_MINI
        + '1,2025-03-10 09:00:00,Élu·e,Lyon,3,3,Oui,,"Rien\n'
        + line3
        + "3,2025-03-10 09:20:00,Citoyen·ne,Lyon,1,2,,Oui,Enfin\n"
        # line 5: 8 fields under 9 columns, rejected at its own line
        + "4,2025-03-10 09:30:00,Élu·e,Lyon,4,4,Oui,Bien\n",
        encoding="utf-8",
    )
    before = path.read_bytes()
    r = load_questionnaire(path, MINI)
    assert path.read_bytes() == before
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (4, 3, 1)
    warning = one(r, "avertissement", "guillemet ouvert dans cette cellule")
    assert (warning.file, warning.row, warning.column) == ("guillemet.csv", 2, "AVANCEES")
    assert swallowed in warning.message
    assert one(r, "avertissement", "champs 8 au lieu de 9").row == 5
    assert r.extra["respondents"]["respondent_id"].tolist() == [1, 2, 3]  # numbers, as usual
    assert options(r, "avancees") == {"Rien": 1, "Des budgets": 1, "Enfin": 1}
    assert fav(r, "org_1") == (2, 3)  # 3, 3, 1: two « Plutôt d'accord »


def test_quoted_answer_on_two_lines_stays_one_cell(tmp_path: Path) -> None:
    # a true two-line answer (lines 2–3): 3 records on lines 2, 4 and 5; line 5 is short
    path = tmp_path / "multiligne.csv"
    path.write_text(
        HEAD_MINI
        + '1,2025-03-10 09:00:00,Élu·e,Lyon,3,3,Oui,,"Rien\nde plus"\n'
        + "2,2025-03-10 09:10:00,Élu·e,Lyon,3,4,Oui,Oui,Des budgets\n"
        + "3,2025-03-10 09:20:00,Citoyen·ne,Lyon,1,2,,Oui\n",
        encoding="utf-8",
    )
    r = load_questionnaire(path, MINI)
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (3, 2, 1)
    assert not [f for f in r.findings if "guillemet ouvert dans" in f.message]
    assert one(r, "avertissement", "champs 8 au lieu de 9").row == 5
    assert options(r, "avancees") == {"Rien\nde plus": 1, "Des budgets": 1}


def test_short_row_without_quotes_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "court.csv"
    path.write_text(
        "id,submitdate,PROFIL,TERRITOIRE,ORG[SQ001],INC[SQ002],OUTILS[SQ001],OUTILS[SQ002],AVANCEES\n"
        "1,2025-03-10 09:00:00,Élu·e,Lyon,3,3,Oui,,a\n"
        "2,2025-03-10 09:00:00,Élu·e,3,3,Oui,,b\n",
        encoding="utf-8",
    )
    r = load_questionnaire(path, FIX / "codebook_mini.yaml")
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (2, 1, 1)
    assert one(r, "avertissement", "1 ligne rejetée : nombre de champs 8 au lieu de 9").row == 3


def test_cr_only_line_endings_and_special_files(tmp_path: Path) -> None:
    import os

    from rencontres_lib.errors import SourceError

    src = (FIX / "mini_guillemet_ouvert.csv").read_text(encoding="utf-8")
    path = tmp_path / "mac.csv"
    path.write_text(src.replace("\n", "\r"), encoding="utf-8", newline="")
    r = load_questionnaire(path, FIX / "codebook_mini.yaml")
    assert (r.rows_read, r.rows_used, r.rows_rejected) == (3, 2, 1)
    assert one(r, "avertissement", "au lieu de 9 (en-tête)").row == 3
    fifo = tmp_path / "tube.csv"
    os.mkfifo(fifo)
    with pytest.raises(SourceError, match="tube nommé"):
        load_questionnaire(fifo, FIX / "codebook_mini.yaml")


def test_column_date_reader_agrees_with_the_cell_rule() -> None:
    """The fast column reader of submission dates and the loaders' cell rule (parse_date_fr)
    accept and refuse the same texts: « 2025 » or « 2025-03 » is no date for either."""
    from rencontres_lib.loaders.common import parse_date_fr
    from rencontres_lib.loaders.questionnaire_formats import _parse_date_texts

    texts = ["2025", "2025-03", "20250314", "2025-03-14", "2025-3-4", "14/03/2025 10:32", ""]
    dates, bad = _parse_date_texts(np.array(texts, dtype=object), True)
    cell = [parse_date_fr(t) for t in texts]
    assert [None if pd.isna(d) else d for d in dates] == cell
    assert bad.tolist() == [0, 1, 2]
