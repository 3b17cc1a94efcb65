"""rencontres_lib.io.read_table on small files written by the tests (values checked by hand)."""

from __future__ import annotations

import os
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from rencontres_lib.errors import SourceError
from rencontres_lib.io import read_table, sha256_file

ROWS = [["1", "Élu·e", "Plutôt d'accord"], ["2", "Association", "Tout à fait d'accord"]]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("sep", "name"), [(",", "virgule.csv"), (";", "pv.csv"), ("\t", "tab.txt")]
)
def test_separators(tmp_path: Path, sep: str, name: str) -> None:
    text = sep.join(["id", "PROFIL", "ORG"]) + "\n" + "\n".join(sep.join(r) for r in ROWS) + "\n"
    raw = read_table(_write(tmp_path / name, text.encode("utf-8")))
    assert raw.sep == sep
    assert list(raw.frame.columns) == ["id", "PROFIL", "ORG"]
    assert raw.frame.values.tolist() == ROWS
    assert [raw.line_of(i) for i in range(2)] == [2, 3]


def test_tsv_suffix_forces_tab(tmp_path: Path) -> None:
    raw = read_table(_write(tmp_path / "f.tsv", b"a\tb\n1,5\t2;3\n"))
    assert raw.sep == "\t"
    assert raw.frame.values.tolist() == [["1,5", "2;3"]]


def test_utf8_bom(tmp_path: Path) -> None:
    raw = read_table(_write(tmp_path / "bom.csv", "\ufeffid;PROFIL\n1;Élu·e\n".encode()))
    assert list(raw.frame.columns) == ["id", "PROFIL"]  # the BOM is not glued to « id »
    assert raw.frame.loc[0, "PROFIL"] == "Élu·e"
    assert raw.encoding == "utf-8-sig"


def test_cp1252(tmp_path: Path) -> None:
    data = "id;PROFIL;ORG\n1;Élu;Plutôt d’accord\n2;Chercheur·e;Très bien\n".encode("cp1252")
    raw = read_table(_write(tmp_path / "cp.csv", data))
    assert raw.encoding == "cp1252"
    assert raw.frame["PROFIL"].tolist() == ["Élu", "Chercheur·e"]
    assert raw.frame.loc[0, "ORG"] == "Plutôt d’accord"
    assert any("cp1252" in f.message and f.level == "info" for f in raw.findings)


def test_multiline_cells_and_line_of(tmp_path: Path) -> None:
    data = b'id,texte,n\n1,"deux\nlignes",a\n2,simple,b\n3,"trois\nlignes\nici",c\n4,fin,d\n'
    raw = read_table(_write(tmp_path / "ml.csv", data))
    assert raw.frame["texte"].tolist() == ["deux\nlignes", "simple", "trois\nlignes\nici", "fin"]
    assert [raw.line_of(i) for i in range(4)] == [2, 4, 5, 8]


def test_mixed_crlf_lf(tmp_path: Path) -> None:
    data = b'id;texte\r\n1;"a\r\nb"\n2;c\r\n3;d\n'
    raw = read_table(_write(tmp_path / "mix.csv", data))
    assert raw.frame["id"].tolist() == ["1", "2", "3"]
    assert raw.frame.loc[1, "texte"] == "c"
    assert raw.frame.loc[0, "texte"].replace("\r\n", "\n") == "a\nb"
    assert [raw.line_of(i) for i in range(3)] == [2, 4, 5]


def test_xlsx_first_and_named_sheet_with_blank_row(tmp_path: Path) -> None:
    path = tmp_path / "classeur.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Réponses"
    ws.append(["id", "PROFIL", "note"])
    ws.append([1, "Élu·e", 2.0])
    ws.append([])  # blank row 3: dropped, line numbers of later rows kept
    ws.append([2, "Association", 3.5])
    other = wb.create_sheet("Codes")
    other.append(["code", "libelle"])
    other.append([1, "Tout à fait d'accord"])
    wb.save(path)
    raw = read_table(path)
    assert raw.sheet == "Réponses" and raw.sep is None
    assert raw.frame.values.tolist() == [["1", "Élu·e", "2"], ["2", "Association", "3.5"]]
    assert [raw.line_of(0), raw.line_of(1)] == [2, 4]
    named = read_table(path, sheet="Codes")
    assert named.frame.values.tolist() == [["1", "Tout à fait d'accord"]]
    with pytest.raises(SourceError) as err:
        read_table(path, sheet="Absente")
    assert "Absente" in str(err.value) and "classeur.xlsx" in str(err.value)


def test_ods(tmp_path: Path) -> None:
    path = tmp_path / "export.ods"
    pd.DataFrame({"id": ["1", "2"], "PROFIL": ["Élu·e", "Citoyen·ne"]}).to_excel(
        path, engine="odf", index=False
    )
    raw = read_table(path)
    assert raw.frame.values.tolist() == [["1", "Élu·e"], ["2", "Citoyen·ne"]]


def test_missing_empty_and_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="introuvable") as err:
        read_table(tmp_path / "absent.csv")
    assert "absent.csv" in str(err.value)
    with pytest.raises(SourceError, match="vide") as err:
        read_table(_write(tmp_path / "vide.csv", b""))
    assert "vide.csv" in str(err.value)
    with pytest.raises(SourceError, match="dossier"):
        read_table(tmp_path)
    with pytest.raises(SourceError, match="espaces ou des lignes vides"):
        read_table(_write(tmp_path / "blanc.csv", b"\n  \n"))


def test_duplicated_headers_warning(tmp_path: Path) -> None:
    raw = read_table(_write(tmp_path / "dup.csv", b"id,ORG,ORG,\n1,a,b,c\n"))
    assert list(raw.frame.columns) == ["id", "ORG", "ORG (2)", "colonne_4"]
    warn = [f for f in raw.findings if f.level == "avertissement"]
    assert len(warn) == 1 and warn[0].row == 1 and warn[0].column == "ORG"
    assert "en double" in warn[0].message and "ORG (2)" in warn[0].message


def test_reading_never_changes_the_file(tmp_path: Path) -> None:
    csv_path = _write(tmp_path / "f.csv", "id;PROFIL\r\n1;Élu\r\n".encode("cp1252"))
    xlsx_path = tmp_path / "f.xlsx"
    pd.DataFrame({"a": ["1"]}).to_excel(xlsx_path, index=False)
    for path in (csv_path, xlsx_path):
        os.utime(path, (1_600_000_000, 1_600_000_000))
        before, digest = path.read_bytes(), sha256_file(path)
        raw = read_table(path)
        assert raw.sha256 == digest
        assert path.read_bytes() == before
        assert path.stat().st_mtime == 1_600_000_000


def test_line_of_after_blank_line(tmp_path: Path) -> None:
    raw = read_table(_write(tmp_path / "b.csv", b'a,b\n1,x\n\n2,"y\nz"\n3,w\n'))
    assert raw.frame["a"].tolist() == ["1", "2", "3"]
    assert [raw.line_of(i) for i in range(3)] == [2, 4, 6]


def test_extra_field_on_every_row(tmp_path: Path) -> None:
    raw = read_table(_write(tmp_path / "x.csv", b"a,b\n1,2,\n3,4,\n"))
    assert raw.frame["a"].tolist() == ["1", "3"]


def test_extra_non_empty_field_is_listed_with_its_line_never_shifted(tmp_path: Path) -> None:
    path = _write(tmp_path / "y.csv", b"a,b\n1,2\n3,4,perdu\n5\n")
    raw = read_table(path)
    # (frame index, file line, fields): line 3 has 3 fields, line 4 has 1
    assert raw.misaligned == [(1, 3, 3), (2, 4, 1)]
    assert raw.frame.values.tolist() == [["1", "2"], ["3", "4"], ["5", ""]]


def test_extra_non_empty_field_on_every_line_is_an_error(tmp_path: Path) -> None:
    from rencontres_lib.errors import SourceError

    path = _write(tmp_path / "z.csv", b"a,b\n1,2,x\n3,4,perdu\n")
    with pytest.raises(SourceError) as err:
        read_table(path)
    msg = err.value.french()
    assert "z.csv" in msg and "plus de champs que l'en-tête (2 colonnes)" in msg and "« x »" in msg


# --------------------------------------------------------------------------- bounded reads


def test_cr_only_line_endings(tmp_path: Path) -> None:
    raw = read_table(_write(tmp_path / "mac.csv", b"a;b\r1;x\r2;y\r"))
    assert raw.frame.values.tolist() == [["1", "x"], ["2", "y"]]
    assert [raw.line_of(i) for i in range(2)] == [2, 3]


def test_header_longer_than_the_sniffing_window(tmp_path: Path) -> None:
    from rencontres_lib.io import SNIFF_CHARS

    names = [f"question numéro {i} " + "x" * 40 for i in range(SNIFF_CHARS // 50 + 10)]
    header = ";".join(names)
    assert len(header) > SNIFF_CHARS
    raw = read_table(
        _write(tmp_path / "large.csv", (header + "\n" + ";".join("1" * len(names)) + "\n").encode())
    )
    assert list(raw.frame.columns) == names
    assert raw.frame.iloc[0].tolist() == ["1"] * len(names)


def test_too_many_columns_refused_before_parsing(tmp_path: Path) -> None:
    from rencontres_lib.errors import SourceError
    from rencontres_lib.io import MAX_COLUMNS

    path = _write(
        tmp_path / "w.csv", (",".join(f"c{i}" for i in range(MAX_COLUMNS + 1)) + "\n").encode()
    )
    with pytest.raises(SourceError) as err:
        read_table(path)
    assert f"{MAX_COLUMNS + 1} colonnes" in err.value.french() and "w.csv" in err.value.french()


def test_cell_too_long_refused(tmp_path: Path, monkeypatch) -> None:
    from rencontres_lib import io as rio
    from rencontres_lib.errors import SourceError

    assert rio.MAX_CELL_CHARS >= 10 * 2**20  # a 10 Mo open answer stays readable
    monkeypatch.setattr(rio, "MAX_CELL_CHARS", 1000)  # the same check, on a small file
    path = _write(tmp_path / "long.csv", b'a,b\n1,"' + b"x" * 1005 + b'"\n')
    with pytest.raises(SourceError) as err:
        read_table(path)
    assert "caractères (limite de lecture)" in err.value.french()


def test_zip_bomb_refused_from_the_zip_directory(tmp_path: Path) -> None:
    import zipfile

    from rencontres_lib.errors import SourceError

    path = tmp_path / "bombe.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (210 * 1024 * 1024))
    assert path.stat().st_size < 1024 * 1024  # tiny on disk
    with pytest.raises(SourceError) as err:
        read_table(path)
    assert "trop volumineux une fois décompressé" in err.value.french()


def test_special_files_refused_without_hanging(tmp_path: Path) -> None:
    import os

    from rencontres_lib.errors import SourceError

    fifo = tmp_path / "tube.csv"
    os.mkfifo(fifo)
    with pytest.raises(SourceError) as err:
        read_table(fifo)
    assert "tube nommé" in err.value.french()
    (tmp_path / "dossier.csv").mkdir()
    with pytest.raises(SourceError, match="dossier"):
        read_table(tmp_path / "dossier.csv")
    if Path("/dev/null").exists():
        with pytest.raises(SourceError, match="fichier spécial"):
            read_table("/dev/null")


def test_not_a_spreadsheet_gives_a_french_message(tmp_path: Path) -> None:
    from rencontres_lib.errors import SourceError

    path = _write(tmp_path / "faux.xlsx", b"ceci n'est pas un classeur")
    with pytest.raises(SourceError) as err:
        read_table(path)
    msg = err.value.french()
    assert "classeur illisible" in msg and "engine" not in msg


REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"


@pytest.mark.skipif(not (REAL / "gdn-aggregates-21mars").is_dir(), reason="exports réels absents")
def test_real_grand_debat_files_bom_crlf_and_quoted_zip_codes() -> None:
    """SOURCE.md: aggregates are UTF-8 with BOM, « , », CRLF (8806 rows × 14 columns);
    zip.csv quotes every field and keeps leading zeros (36078 rows)."""
    from rencontres_lib.referentiels import departement_from_postcode

    agg = read_table(REAL / "gdn-aggregates-21mars" / "democratie_21mars.csv")
    assert (agg.sep, agg.frame.shape, agg.misaligned) == (",", (8806, 14), [])
    assert list(agg.frame.columns)[:2] == ["mois", "region"]  # BOM not in the first name
    zips = read_table(REAL / "gdn-questionnaire-meta" / "zip.csv")
    assert zips.frame.shape == (36078, 2) and list(zips.frame.columns) == ["ZipCode", "Name"]
    first = zips.frame["ZipCode"].iloc[0]
    assert len(first) == 5 and departement_from_postcode("01400") == "01"
    assert zips.frame["ZipCode"].str.fullmatch(r"\d{5}").all()
