"""Hostile evaluation exports: each file is hand-made in tmp_path, expected values by hand.

Rule checked every time: rows read = rows used + rows rejected, a French finding naming the
file, the row and (when there is one) the column, and the raw file left byte for byte.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rencontres_lib.loaders.evaluation import load_evaluation

HEAD = "Horodateur,Satisfaction globale,Commentaire\n"


def load(path: Path):
    before = path.read_bytes()
    res = load_evaluation(path)
    assert path.read_bytes() == before  # raw input never modified
    assert res.rows_read == res.rows_used + res.rows_rejected
    return res


def messages(res, level: str | None = None) -> list[str]:
    return [f.french() for f in res.findings if level is None or f.level == level]


# ------------------------------------------------------------------ 1. unclosed double quote


@pytest.mark.parametrize(
    ("body", "swallowed"),
    [
        # the quote opened on line 2 never closes: lines 3 to 5 were one cell
        (
            '14/03/2025 10:01,5,"bien\n14/03/2025 10:02,4,ok\n14/03/2025 10:03,3,bof\n14/03/2025 10:04,2,nul\n',
            "les lignes 3 à 5 étaient lues",
        ),
        # it « closes » on line 3 before text (strict CSV refuses it): line 3 was in the cell
        (
            '14/03/2025 10:01,5,"bien\n14/03/2025 10:02,4,"ok"\n14/03/2025 10:03,3,bof\n14/03/2025 10:04,2,nul\n',
            "la ligne 3 était lue",
        ),
        # it closes just before the line end of line 4: two whole records inside the cell
        (
            '14/03/2025 10:01,5,"bien\n14/03/2025 10:02,4,ok\n14/03/2025 10:03,3,bof"\n14/03/2025 10:04,2,nul\n',
            "les lignes 3 à 4 étaient lues",
        ),
    ],
)
def test_unclosed_quote_no_longer_swallows_rows(tmp_path, body, swallowed):
    path = tmp_path / "guillemet.csv"
    path.write_text(HEAD + body, encoding="utf-8")
    res = load(path)
    assert (res.rows_read, res.rows_used, res.rows_rejected) == (4, 4, 0)
    assert res.table["satisfaction"].tolist() == [5, 4, 3, 2]
    # the closing quote of case 3, now alone on its line, is kept as written
    assert res.table["retenir"].tolist() == [
        "bien",
        "ok",
        'bof"' if 'bof"' in body else "bof",
        "nul",
    ]
    (warning,) = [m for m in messages(res, "avertissement") if "guillemet ouvert" in m]
    assert warning.startswith(
        "Avertissement — fichier « guillemet.csv », ligne 2, colonne « Commentaire » : "
        "guillemet ouvert"
    )
    assert swallowed in warning


def test_true_multiline_answers_stay_whole(tmp_path):
    # real multi-line answers, with commas, properly quoted: no warning, 3 rows
    path = tmp_path / "ok.csv"
    path.write_text(
        HEAD
        + '14/03/2025 10:01,5,"J\'ai aimé : a, b, c\nmerci"\n14/03/2025 10:02,4,"un, deux\ntrois, quatre"\n'
        # three lines of three comma-separated words: the header's width, but not records
        + '14/03/2025 10:03,3,"un, deux, trois\nquatre, cinq, six\nsept, huit, neuf"\n',
        encoding="utf-8",
    )
    res = load(path)
    assert (res.rows_read, res.rows_used) == (3, 3)
    assert res.table["retenir"].tolist() == [
        "J'ai aimé : a, b, c\nmerci",
        "un, deux\ntrois, quatre",
        "un, deux, trois\nquatre, cinq, six\nsept, huit, neuf",
    ]
    assert not any("guillemet ouvert" in m for m in messages(res))


# ------------------------------------------------------------------ 2. one invalid UTF-8 byte


def test_one_bad_byte_keeps_utf8_and_names_its_row(tmp_path):
    path = tmp_path / "octet.csv"
    path.write_bytes(
        HEAD.encode()
        + "14/03/2025 10:01,Très satisfait,Très bien\n".encode()
        + b"14/03/2025 10:02,4,Caf\xe9 froid\n"  # « é » in Windows-1252: invalid in UTF-8
        + "14/03/2025 10:03,Plutôt satisfait,À refaire\n".encode()
    )
    res = load(path)
    assert res.table["satisfaction"].tolist() == [5, 4, 4]  # accents read: labels recognised
    assert res.table["retenir"].tolist() == ["Très bien", "Caf\ufffd froid", "À refaire"]
    (warning,) = [f for f in res.findings if "illisible" in f.message]
    assert (warning.level, warning.row, warning.column) == ("avertissement", 3, "Commentaire")
    assert "octet invalide en UTF-8, ligne 3" in warning.message
    assert not any("cp1252" in f.message for f in res.findings)


def test_a_real_cp1252_file_is_still_read_as_cp1252(tmp_path):
    path = tmp_path / "cp.csv"
    path.write_bytes(
        (
            HEAD + "14/03/2025 10:01,Très satisfait,Café\n14/03/2025 10:02,Plutôt satisfait,Été\n"
        ).encode("cp1252")
    )
    res = load(path)
    assert res.table["satisfaction"].tolist() == [5, 4]
    assert res.table["retenir"].tolist() == ["Café", "Été"]
    assert [f.level for f in res.findings if "cp1252" in f.message] == ["info"]


# ------------------------------------------------------------------ 5. rencontres check masks values


def test_check_never_echoes_a_name_an_email_or_a_phone(tmp_path, capsys):
    from rencontres_lib.cli import main

    path = tmp_path / "eval.csv"
    path.write_text(
        "Horodateur,Vous êtes :,Satisfaction globale,Commentaire\n"
        "14/03/2025 10:01,jean.dupont@exemple.fr,5,ok\n"  # line 2: an e-mail as profile
        "14/03/2025 10:02,06 12 34 56 78,Génial merci Marie Curie,ok\n"  # line 3: phone, name
        "14/03/2025 10:03,Élu,4,ok\n",
        encoding="utf-8",
    )
    params = tmp_path / "essai.yaml"
    params.write_text(
        "territoire: Essai\nslug: essai\ndate: 2025-03-14\nphase: compte_rendu\n"
        f"sources:\n  evaluation: {path}\n",
        encoding="utf-8",
    )
    assert main(["check", str(params)]) == 0
    out = capsys.readouterr().out
    assert "3 lignes lues, 3 utilisées" in out
    for secret in ("jean.dupont", "exemple.fr", "06 12 34 56 78", "Curie"):
        assert secret not in out
    assert "« [courriel masqué] » (1), « [téléphone masqué] » (1)" in out
    assert "réponse non reconnue (« Génial merci [nom masqué] »)" in out
    assert "ligne 3, colonne « Satisfaction globale »" in out  # where stays readable


# ------------------------------------------------------------------ 8. form sent twice


def test_exact_duplicate_submission_is_rejected_naming_both_rows(tmp_path):
    path = tmp_path / "doublons.csv"
    path.write_text(
        HEAD
        + "14/03/2025 10:01,5,Très bien\n"  # line 2
        + "14/03/2025 10:02,4,Bien\n"  # line 3
        + "14/03/2025 10:01,5,Très bien\n"  # line 4 = line 2: rejected
        + "14/03/2025 10:03,4,Bien\n"  # line 5: same answers as 3, other time: kept
        + "14/03/2025 10:01,5, Très  bien\n",  # line 6 = line 2 up to spaces: rejected
        encoding="utf-8",
    )
    res = load(path)
    assert (res.rows_read, res.rows_used, res.rows_rejected) == (5, 3, 2)
    assert res.table["satisfaction"].tolist() == [5, 4, 4]
    (dup,) = [f for f in res.findings if "en double" in f.message]
    assert (dup.level, dup.row, dup.count) == ("avertissement", 4, 2)
    assert "même horodatage que la ligne 2" in dup.message and "(lignes 4 et 6)" in dup.message


def test_same_answers_without_timestamp_are_two_people(tmp_path):
    path = tmp_path / "sans_date.csv"
    path.write_text("Satisfaction globale,Commentaire\n4,Bien\n4,Bien\n", encoding="utf-8")
    res = load(path)
    assert (res.rows_read, res.rows_used, res.rows_rejected) == (2, 2, 0)


# ------------------------------------------------------------------ 6. sep=; line, title rows, sheets


def test_excel_sep_line_is_honoured(tmp_path):
    path = tmp_path / "sep.csv"
    path.write_bytes(
        "\ufeffsep=;\r\nHorodateur;Satisfaction globale;Commentaire\r\n"
        "14/03/2025 10:01;5;Bien, vraiment\r\n14/03/2025 10:02;Plutôt satisfait;\r\n"
        "14/03/2025 10:03;x;Bof\r\n".encode()
    )
    res = load(path)
    assert (res.rows_read, res.rows_used, res.rows_rejected) == (3, 3, 0)
    assert res.table["satisfaction"].tolist()[:2] == [5, 4]
    assert res.table["satisfaction"].isna().tolist() == [False, False, True]
    assert res.table["retenir"].tolist() == ["Bien, vraiment", "", "Bof"]
    note = next(f for f in res.findings if "sep=;" in f.message)
    assert note.level == "info" and "séparateur point-virgule" in note.message
    bad = next(f for f in res.findings if "non reconnue" in f.message)
    assert bad.row == 5  # the file's own line (the sep= line counts)


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def test_notice_sheet_and_title_rows_are_skipped_and_said(tmp_path):
    path = _workbook(
        tmp_path / "evaluation.xlsx",
        {
            "Lisez-moi": [["Ce classeur contient les réponses."], ["Ne pas diffuser."]],
            "Réponses": [
                ["Questionnaire d'évaluation — rencontre de Lyon"],  # row 1: title
                [None],  # row 2: blank
                ["Horodateur", "Satisfaction globale", "Commentaire"],  # row 3: header
                ["14/03/2025 10:01", 5, "Bien"],  # row 4
                ["14/03/2025 10:02", "Très insatisfait", None],  # row 5
            ],
        },
    )
    res = load(path)
    assert (res.rows_read, res.rows_used, res.rows_rejected) == (2, 2, 0)
    assert res.table["satisfaction"].tolist() == [5, 1]
    notes = [f.message for f in res.findings if f.level == "info"]
    assert "feuille « Réponses » lue : la première feuille, « Lisez-moi », est une notice." in notes
    header = next(f for f in res.findings if "en-tête trouvé" in f.message)
    assert header.row == 3 and "ligne 3 de la feuille « Réponses »" in header.message


def test_first_sheet_without_the_questions_is_passed_over(tmp_path):
    path = _workbook(
        tmp_path / "classeur.xlsx",
        {
            "Synthèse": [["Indicateur", "Valeur"], ["Réponses", 2]],
            "Données": [["Satisfaction globale (1 à 5)"], ["4"], ["2"]],
        },
    )
    res = load(path)
    assert res.table["satisfaction"].tolist() == [4, 2]
    assert any(
        "feuille « Données » lue : la première feuille, « Synthèse », n'a pas les colonnes "
        "attendues." == f.message
        for f in res.findings
    )
    assert [f.row for f in res.findings if "en-tête" in f.message] == []  # header on row 1


# ------------------------------------------------------------------ 3. several « satisfaction » columns


def test_several_satisfaction_columns_are_named(tmp_path):
    path = tmp_path / "deux.csv"
    path.write_text(
        "Horodateur,Satisfaction globale,Satisfaction des ateliers,Êtes-vous satisfait du lieu ?\n"
        "14/03/2025 10:01,5,2,1\n14/03/2025 10:02,4,1,1\n",
        encoding="utf-8",
    )
    res = load(path)
    assert res.table["satisfaction"].tolist() == [5, 4]  # the first column, as before
    (w,) = [f for f in res.findings if "plusieurs colonnes" in f.message]
    assert (w.level, w.row, w.column) == ("avertissement", 1, "Satisfaction globale")
    assert (
        "« Satisfaction globale » est lue, « Satisfaction des ateliers », « Êtes-vous satisfait "
        "du lieu ? » ne sont pas lues" in w.message
    )


# ------------------------------------------------------------------ 4. stars and emoji


def test_stars_and_marks_are_read_and_emoji_are_reported(tmp_path):
    path = tmp_path / "etoiles.csv"
    path.write_text(
        "Horodateur,Satisfaction globale,Recommanderiez-vous ce format ?\n"
        "14/03/2025 10:01,⭐⭐⭐⭐,Oui\n"  # line 2: 4 stars
        "14/03/2025 10:02,😀,⭐⭐⭐\n"  # line 3: emoji face; stars for a yes/no question
        "14/03/2025 10:03,4/5,Non\n"  # line 4
        "14/03/2025 10:04,4 étoiles,Oui\n"  # line 5
        "14/03/2025 10:05,★★☆☆☆,Oui\n",  # line 6: 2 filled stars of 5
        encoding="utf-8",
    )
    res = load(path)
    # line 3 has no answer left once both cells are unread: rejected as such
    assert (res.rows_read, res.rows_used, res.rows_rejected) == (5, 4, 1)
    assert res.table["satisfaction"].tolist() == [4, 4, 4, 2]
    assert res.table["recommandation"].tolist() == [3, 1, 3, 3]
    assert any(f.row == 3 and "sans aucune réponse" in f.message for f in res.findings)
    unread = {f.column: f for f in res.findings if "non reconnue" in f.message}
    assert (
        unread["Satisfaction globale"].row == 3
        and "« 😀 »" in unread["Satisfaction globale"].message
    )
    rec = unread["Recommanderiez-vous ce format ?"]
    assert rec.row == 3 and "« ⭐⭐⭐ »" in rec.message and rec.level == "avertissement"


# ------------------------------------------------------------------ 7. LimeSurvey answer codes


def test_limesurvey_answer_codes_are_named_as_such(tmp_path):
    path = tmp_path / "limesurvey.csv"
    path.write_text(
        "id,submitdate,lastpage,Satisfaction globale,Avez-vous pu vous exprimer ?\n"
        "1,2025-03-14 10:01:00,2,A1,AO01\n"  # line 2
        "2,2025-03-14 10:02:00,2,A4,AO02\n"  # line 3
        "3,2025-03-14 10:03:00,2,4,Oui\n",  # line 4: full answers on this row
        encoding="utf-8",
    )
    res = load(path)
    assert res.extra["format"] == "limesurvey"
    # lines 2 and 3 have no readable answer left: rejected; line 4 is read
    assert (res.rows_read, res.rows_used, res.rows_rejected) == (3, 1, 2)
    assert res.table["satisfaction"].tolist() == [4]
    coded = {f.column: f for f in res.findings if "réponses codées" in f.message}
    assert set(coded) == {"Satisfaction globale", "Avez-vous pu vous exprimer ?"}
    assert coded["Satisfaction globale"].row == 2 and coded["Satisfaction globale"].count == 2
    assert "(« A1 », « A4 »)" in coded["Satisfaction globale"].message
    assert "exportez les réponses complètes" in coded["Avez-vous pu vous exprimer ?"].message
    assert not any("non reconnue" in f.message for f in res.findings)


def test_limesurvey_question_codes_as_headers_say_how_to_export(tmp_path):
    from rencontres_lib.errors import SourceError

    path = tmp_path / "codes.csv"
    path.write_text("id,submitdate,lastpage,SATISF\n1,2025-03-14 10:01:00,2,A1\n", encoding="utf-8")
    with pytest.raises(SourceError) as err:
        load_evaluation(path)
    text = err.value.french()
    assert "codes.csv" in text and "ligne 1" in text and "« SATISF »" in text
    assert "« Texte complet de la question »" in text
