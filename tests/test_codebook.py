"""Codebook models, French errors on broken codebooks, and drafting from exports."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from rencontres_lib.codebook import (
    Codebook,
    Scale,
    load_codebook,
    normalize_label,
    parse_codebook,
)
from rencontres_lib.codebook_draft import draft_codebook, write_draft
from rencontres_lib.errors import ConfigError
from rencontres_lib.loaders.questionnaire import load_questionnaire
from rencontres_lib.metrics import scored

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "questionnaires"
REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"
ACCORD4 = ["Pas du tout d'accord", "Plutôt pas d'accord", "Plutôt d'accord", "Tout à fait d'accord"]


def test_project_codebook() -> None:
    book = load_codebook(ROOT / "parameters" / "codebook.yaml")
    ids = list(book.by_id)
    assert ids == ["profil", "territoire", "org_1", "org_2", "dec_1", "dec_2", "dec_3", "inc_1", "inc_2",
                   "tra_1", "tra_2", "red_1", "red_2", "outils", "avancees", "freins", "pistes"]  # fmt: skip
    assert len(book.likert_questions()) == 11
    assert [q.id for q in book.likert_questions() if q.inverse] == ["inc_2"]
    assert len(book.by_id["outils"]) == 6
    assert book.by_column["RED[SQ002]"].dimension == "redevabilite"
    assert (
        book.by_column["INC[SQ002]"].texte
        == "Ce sont toujours les mêmes personnes qui participent."
    )
    q = book.questions_frame()
    assert list(q.columns) == [
        "question_id", "type", "dimension", "texte", "echelle", "inverse", "favorables"
    ]  # fmt: skip
    assert q.set_index("question_id").loc["inc_2", "inverse"]
    # accord5 has 5 labels: 4 and 5 are favourable (reversed items are re-ranked by the loader)
    assert q.set_index("question_id").loc["inc_2", "favorables"] == (4, 5)
    assert q.set_index("question_id").loc["avancees", "favorables"] == ()
    assert book.scale(book.by_column["ORG[SQ001]"]).favorable_positions() == {4, 5}


def test_scale_positions_and_lookup() -> None:
    four = Scale(
        libelles=ACCORD4, hors_echelle=["Sans avis"], synonymes={"D'accord": "Plutôt d'accord"}
    )
    assert four.favorable_positions() == {3, 4}
    three = Scale(libelles=["Non", "Bof", "Oui"])
    assert three.favorable_positions() == {3}
    chosen = Scale(libelles=ACCORD4, favorables=["Tout à fait d'accord"])
    assert chosen.favorable_positions() == {4}
    table = four.lookup()
    assert table[normalize_label("  TOUT  à fait d’accord ")] == ("Tout à fait d'accord", 4)
    assert table["d'accord"] == ("Plutôt d'accord", 3)
    assert table["sans avis"] == ("Sans avis", None)
    assert normalize_label("3.0") == "3"


def test_yaml_yes_no_stay_text_and_numeric_keys() -> None:
    book = parse_codebook(
        "echelles:\n  yn: {libelles: [Non, Plutôt non, Plutôt oui, Oui], codes: {0: Non, 1: Oui}}\n"
        "questions:\n  - {colonne: 12, id: q, type: likert, echelle: yn}\n  - {colonne: X, id: x, type: Ignoré}\n"
    )
    assert book.echelles["yn"].libelles[0] == "Non"
    assert book.echelles["yn"].codes == {"0": "Non", "1": "Oui"}
    assert book.questions[0].colonne == "12"
    assert book.questions[1].type == "ignore"
    assert isinstance(book, Codebook)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("codebook_yaml_invalide.yaml", ["ligne 8", "YAML valide", "indentation"]),
        ("codebook_type_inconnu.yaml", ["ligne 4", "questions[2]", "« ORG[SQ001] »", "clé « type »",
                                        "echelle_de_likert", "types attendus : profil, territoire, likert"]),
        ("codebook_echelle_inconnue.yaml", ["ligne 7", "questions[2]", "clé « echelle »", "« accord5 » inconnue",
                                            "échelles définies : accord4"]),
        ("codebook_dimension_inconnue.yaml", ["ligne 7", "questions[2]", "« INC[SQ002] »", "clé « dimension »",
                                              "« participation » inconnue", "organisation, decision, inclusion"]),
        ("codebook_colonne_double.yaml", ["ligne 4", "questions[2]", "« AVANCEES »", "colonne en double"]),
    ],
)  # fmt: skip
def test_broken_codebooks(name: str, expected: list[str]) -> None:
    with pytest.raises(ConfigError) as err:
        load_codebook(FIX / name)
    text = str(err.value)
    assert name in text
    for part in expected:
        assert part in text, (part, text)


def test_other_codebook_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="introuvable"):
        load_codebook(tmp_path / "absent.yaml")
    cases = {
        "format: surveymonkey\nquestions: []\n": "valeurs attendues : limesurvey, google_forms",
        "questions:\n  - {colonne: A, type: texte}\n": "clé « id » : clé obligatoire absente",
        "questions:\n  - {colonne: A, id: a, type: texte, dimenssion: x}\n": "clé « dimenssion » : clé inconnue",
        "echelles: {s: {libelles: [a, b], favorables: [c]}}\nquestions: []\n": "« favorables » contient « c »",
        "questions:\n  - {colonne: A, id: a, type: choix_multiple}\n": "indiquez « option »",
        "questions:\n  - {colonne: A, id: p, type: profil, synonymes: {Maire: maire}}\n": "profil « maire » inconnu",
        "- a\n- b\n": "clé « questions »",
    }
    for text, expected in cases.items():
        with pytest.raises(ConfigError) as err:
            parse_codebook(text, "cb.yaml")
        assert expected in str(err.value) and "cb.yaml" in str(err.value), str(err.value)


def _draft(path: Path) -> tuple[str, dict]:
    text = draft_codebook(path)
    return text, yaml.safe_load(text)


def test_draft_limesurvey_then_load(tmp_path: Path) -> None:
    text, data = _draft(FIX / "limesurvey.csv")
    assert data["format"] == "limesurvey"
    scale = data["echelles"]["accord"]
    assert scale["libelles"] == ["Pas du tout d'accord", "Plutôt pas d'accord", "Ni d'accord ni pas d'accord",
                                 "Plutôt d'accord", "Tout à fait d'accord"]  # fmt: skip
    assert scale["hors_echelle"] == ["Sans avis"]
    assert scale["synonymes"] == {"D'accord": "Plutôt d'accord"}
    assert "« Bof »" in text  # unknown label flagged, never guessed
    by_col = {q["colonne"]: q for q in data["questions"]}
    assert by_col["PROFIL"]["type"] == "profil" and by_col["TERRITOIRE"]["type"] == "territoire"
    assert (by_col["ORG[SQ001]"]["type"], by_col["ORG[SQ001]"]["dimension"]) == (
        "likert",
        "organisation",
    )
    assert (
        by_col["OUTILS[SQ003]"]["type"] == "choix_multiple"
        and by_col["OUTILS[SQ003]"]["option"] == "SQ003"
    )
    assert {by_col[f"OUTILS[SQ00{i}]"]["id"] for i in range(1, 7)} == {"outils"}
    assert by_col["AVANCEES"]["type"] == "texte"
    assert "id" not in by_col and "submitdate" not in by_col
    assert text.count("# À vérifier") >= 10
    out = write_draft(FIX / "limesurvey.csv", tmp_path / "cb.yaml")
    res = load_questionnaire(FIX / "limesurvey.csv", out)
    assert (res.rows_read, res.rows_used, res.rows_rejected) == (7, 4, 3)
    assert len(res.extra["respondents"]) == 4


def test_draft_google_forms_multi_select_and_profile() -> None:
    _, data = _draft(FIX / "google_forms.csv")
    by_col = {q["colonne"]: q for q in data["questions"]}
    assert data["format"] == "google_forms"
    assert "Horodateur" not in by_col and "Adresse e-mail" not in by_col
    assert by_col["Vous êtes…"]["type"] == "profil"
    assert by_col["À quelle rencontre avez-vous participé ?"]["type"] == "territoire"
    assert by_col["Quels outils utilisez-vous ?"]["type"] == "choix_multiple"
    assert by_col["Quels outils utilisez-vous ?"]["separateur"] == ", "
    assert (
        by_col["Ce sont toujours les mêmes personnes qui participent."]["dimension"] == "inclusion"
    )


def test_draft_kobo_and_framaforms_families() -> None:
    text, data = _draft(FIX / "kobo.csv")
    by_col = {q["colonne"]: q for q in data["questions"]}
    assert data["format"] == "kobo"
    assert by_col["outils"]["type"] == "ignore" and "doublon" in text
    assert by_col["outils/reunion"]["id"] == by_col["outils/atelier"]["id"] == "outils"
    assert "_submission_time" not in by_col
    _, data = _draft(FIX / "framaforms.csv")
    by_col = {q["colonne"]: q for q in data["questions"]}
    assert (by_col["Outils : Atelier"]["type"], by_col["Outils : Atelier"]["option"]) == (
        "choix_multiple",
        "Atelier",
    )


def test_draft_recognises_scales(tmp_path: Path) -> None:
    rows = [
        ("Toujours", "Très satisfait", "10", "Pas important"),
        ("Souvent", "Plutôt satisfait", "0", "Très important"),
        ("De temps en temps", "Peu satisfait", "7", "Peu important"),
        ("Parfois", "Pas du tout satisfait", "3", "Très important"),
        ("Jamais", "Ne sais pas", "5", "Peu important"),
        ("Rarement", "Plutôt satisfait", "8", "Moyennement important"),
    ]
    path = tmp_path / "echelles.csv"
    lines = ["Fréquence,Satisfaction,Note,Importance"] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    text, data = _draft(path)
    sc = data["echelles"]
    assert sc["frequence"]["libelles"] == [
        "Jamais",
        "Rarement",
        "De temps en temps",
        "Souvent",
        "Toujours",
    ]
    assert sc["frequence"]["synonymes"] == {"Parfois": "De temps en temps"}
    assert sc["satisfaction"]["libelles"] == [
        "Pas du tout satisfait",
        "Peu satisfait",
        "Plutôt satisfait",
        "Très satisfait",
    ]
    assert sc["satisfaction"]["hors_echelle"] == ["Ne sais pas"]
    assert sc["numerique_0_10"]["libelles"] == [str(i) for i in range(11)]
    assert sc["importance"]["libelles"] == [
        "Pas important", "Peu important", "Moyennement important", "Important", "Très important"
    ]  # fmt: skip
    assert "niveau « Important » jamais choisi : ajouté d'après le modèle" in text
    assert "niveau neutre « Ni satisfait ni insatisfait » jamais choisi" in text
    assert load_questionnaire(path, text).rows_used == 6


def test_write_draft_refuses_to_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "brouillon.yaml"
    out.write_text("déjà là", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        write_draft(FIX / "google_forms.csv", out)
    assert "existe déjà" in str(err.value) and "brouillon.yaml" in str(err.value)
    assert out.read_text(encoding="utf-8") == "déjà là"


def test_draft_real_google_forms_xlsx(tmp_path: Path) -> None:
    path = REAL / "survey-fr-likert-xlsx" / "dataset.xlsx"
    if not path.exists():
        pytest.skip("../shared/data/real absent")
    out = write_draft(path, tmp_path / "codebook.yaml")
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    by_col = {q["colonne"]: q for q in data["questions"]}
    assert len(by_col) == 54
    assert by_col["F"]["type"] == "choix_multiple" and by_col["F"]["separateur"] == ", "
    assert by_col["K1"]["type"] == "likert" and by_col["K1"]["echelle"] == "numerique_1_5"
    assert by_col["B"]["type"] == "choix"
    res = load_questionnaire(path, out)
    assert (res.rows_read, res.rows_used, res.rows_rejected) == (86, 86, 0)
    assert len(res.extra["respondents"]) == 86
    t = scored(res.table, res.extra["questions"])
    k1 = t[(t["question_id"] == "k1") & t["favorable"].notna()]
    # K1 counts in the file: 1→37, 3→5, 4→25, 5→3 (16 blanks): favourable = 4 and 5 = 28 / 70
    assert (len(k1), int(k1["favorable"].sum())) == (70, 28)
    f = t[t["question_id"] == "f"]
    # F cells: "1, 3, 4"×21, "1"×20, "1, 3"×19, "3"×2, "4"×2, "5"×2, "3, 4", "1, 4", "1, 2, 3", "1, 2, 3, 4"
    assert len(f) == 138 and int((f["valeur"] == "1").sum()) == 63


# --------------------------------------------------------------------------- issue 15


def test_google_forms_12_hour_timestamps_and_comma_options() -> None:
    """Cases 2 and 3: « 2025/03/14 3:08:24 PM UTC+1 » → 15:08:24; options with commas are
    never split, the draft lists the recurring whole cell and says what it cannot explain."""
    path = FIX / "google_forms_virgules.csv"
    text = draft_codebook(path)
    data = yaml.safe_load(text)
    q = next(x for x in data["questions"] if x["type"] == "choix_multiple")
    option = "Réunions publiques, ateliers ou tables rondes"
    assert q["options"] == {option: option} and q["separateur"] == ", "
    assert "# À vérifier : 1 réponse que ces options n'expliquent pas" in text
    assert "aucune n'a été inventée en coupant les réponses" in text
    res = load_questionnaire(path, text)
    resp = res.extra["respondents"]
    assert resp["date"].tolist() == [
        pd.Timestamp("2025-03-14 15:08:24"),
        pd.Timestamp("2025-03-14 15:15:02"),
        pd.Timestamp("2025-03-15 09:01:44"),
    ]
    assert resp["profil"].tolist() == ["elu", "agent_territorial", "citoyen"]  # « DGS »
    answers = res.table[res.table["question_id"] == q["id"]]
    # the option is counted whole, 3 times; « Réunions publiques » alone never appears
    assert answers["valeur"].astype(str).tolist() == [option] * 3
    unknown = [f for f in res.findings if "option inconnue" in f.message]
    assert len(unknown) == 1 and unknown[0].row == 3 and "Budget participatif" in unknown[0].message


def test_multi_select_without_options_is_flagged_when_loading(tmp_path: Path) -> None:
    book = (
        "version: 1\nquestions:\n"
        "  - {colonne: Outils, id: outils, type: choix_multiple, separateur: ', '}\n"
    )
    path = tmp_path / "q.csv"
    path.write_text('Outils\n"Réunions publiques, ateliers"\n', encoding="utf-8")
    res = load_questionnaire(path, book)
    assert [f.level for f in res.findings if "aucune option déclarée" in f.message] == [
        "avertissement"
    ]


def test_limesurvey_full_text_options_with_na() -> None:
    """Case 4: « Outils [Réunion publique] », « Outils [Atelier] » with Oui/Non/N/A → one
    multiple-choice question, N/A = sans réponse."""
    path = FIX / "limesurvey_texte_na.csv"
    text = draft_codebook(path)
    data = yaml.safe_load(text)
    outils = [q for q in data["questions"] if q["colonne"].startswith("Outils")]
    assert [(q["id"], q["type"], q["option"]) for q in outils] == [
        ("outils", "choix_multiple", "Réunion publique"),
        ("outils", "choix_multiple", "Atelier"),
    ]
    assert "« N/A » (LimeSurvey) y compte comme sans réponse" in text
    res = load_questionnaire(path, text)
    assert (res.rows_read, res.rows_used) == (3, 3)
    t = res.table[res.table["question_id"] == "outils"]
    got = sorted(zip(t["respondent_id"].astype(int), t["valeur"].astype(str), strict=True))
    assert got == [(1, "Réunion publique"), (2, "Atelier"), (3, "Réunion publique")]
    assert not [f for f in res.findings if f.level != "info"]


def test_draft_real_survey_codebook_readme_values() -> None:
    """The real xlsx survey's README gives E (cours à distance) as 1 = Oui, 2 = Non: the draft
    must not read those codes as a scale, and H (plateforme préférée, codes 1–5) is flagged."""
    path = REAL / "survey-fr-likert-xlsx" / "dataset.xlsx"
    if not path.exists():
        pytest.skip("../shared/data/real absent")
    text = draft_codebook(path)
    data = yaml.safe_load(text)
    by_col = {q["colonne"]: q for q in data["questions"]}
    assert by_col["E"]["type"] == "choix"
    assert "# À vérifier" in text


def test_draft_comments_survive_a_ruamel_round_trip() -> None:
    """The draft is written with ruamel.yaml: an edit made with it keeps every « À vérifier »."""
    import io

    from ruamel.yaml import YAML

    text = draft_codebook(FIX / "google_forms_virgules.csv")
    rt = YAML()
    data = rt.load(text)
    data["incompletes"] = "garder"
    buffer = io.StringIO()
    rt.dump(data, buffer)
    edited = buffer.getvalue()
    assert edited.count("# À vérifier") == text.count("# À vérifier") >= 2
    assert parse_codebook(edited).incompletes == "garder"


def test_draft_ignores_and_names_shifted_rows() -> None:
    text = draft_codebook(FIX / "mini_guillemet_ouvert.csv")
    assert "(2 lignes, 9 colonnes" in text
    assert "1 ligne ignorée au nombre de champs différent de l'en-tête (ligne 3)" in text
