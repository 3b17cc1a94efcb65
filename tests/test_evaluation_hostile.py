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
    # a real two-line answer, with commas, properly quoted: no warning, 2 rows
    path = tmp_path / "ok.csv"
    path.write_text(
        HEAD
        + '14/03/2025 10:01,5,"J\'ai aimé : a, b, c\nmerci"\n14/03/2025 10:02,4,"un, deux\ntrois, quatre"\n',
        encoding="utf-8",
    )
    res = load(path)
    assert (res.rows_read, res.rows_used) == (2, 2)
    assert res.table["retenir"].tolist() == [
        "J'ai aimé : a, b, c\nmerci",
        "un, deux\ntrois, quatre",
    ]
    assert not any("guillemet ouvert" in m for m in messages(res))
